//! Typed, directed relationships between CIs, and the configured rules of which types may
//! join which classes. Every type reads "source <type> target" and means the source depends
//! on the target: `app runs_on vm01` — if vm01 fails, app is affected.

use crate::validation::FieldError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RelType {
    RunsOn,
    DependsOn,
    HostedOn,
    ConnectsTo,
    PartOf,
    Uses,
}

impl RelType {
    pub const ALL: [RelType; 6] =
        [RelType::RunsOn, RelType::DependsOn, RelType::HostedOn, RelType::ConnectsTo, RelType::PartOf, RelType::Uses];

    pub fn as_str(self) -> &'static str {
        match self {
            RelType::RunsOn => "runs_on",
            RelType::DependsOn => "depends_on",
            RelType::HostedOn => "hosted_on",
            RelType::ConnectsTo => "connects_to",
            RelType::PartOf => "part_of",
            RelType::Uses => "uses",
        }
    }

    /// How the relationship reads from its source: "runs on".
    pub fn label(self) -> &'static str {
        match self {
            RelType::RunsOn => "runs on",
            RelType::DependsOn => "depends on",
            RelType::HostedOn => "hosted on",
            RelType::ConnectsTo => "connects to",
            RelType::PartOf => "part of",
            RelType::Uses => "uses",
        }
    }

    /// How it reads from its target: "runs".
    pub fn reverse_label(self) -> &'static str {
        match self {
            RelType::RunsOn => "runs",
            RelType::DependsOn => "is needed by",
            RelType::HostedOn => "hosts",
            RelType::ConnectsTo => "is connected from",
            RelType::PartOf => "contains",
            RelType::Uses => "is used by",
        }
    }

    pub fn parse(raw: &str) -> Result<RelType, FieldError> {
        RelType::ALL.into_iter().find(|t| t.as_str() == raw.trim()).ok_or_else(|| {
            FieldError::new(
                "type",
                "invalid_type",
                "type is one of runs_on, depends_on, hosted_on, connects_to, part_of, uses",
            )
        })
    }
}

/// One allowed combination: sources of `source_class`, relationships of `rel`, targets of
/// `target_class`. `None` for a class means any class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelRule {
    pub source_class: Option<String>,
    pub rel: RelType,
    pub target_class: Option<String>,
}

impl RelRule {
    pub fn allows(&self, source_class: &str, rel: RelType, target_class: &str) -> bool {
        self.rel == rel
            && self.source_class.as_deref().is_none_or(|c| c == source_class)
            && self.target_class.as_deref().is_none_or(|c| c == target_class)
    }
}

/// The rules a new CMDB starts with (source class, type, target class; `*` is any): software
/// runs on or is hosted on machines, virtual machines are hosted on servers, and the generic
/// types join anything.
pub const DEFAULT_RULES: &[(&str, &str, &str)] = &[
    ("application", "runs_on", "server"),
    ("application", "runs_on", "virtual_machine"),
    ("database", "runs_on", "server"),
    ("database", "runs_on", "virtual_machine"),
    ("business_service", "runs_on", "server"),
    ("business_service", "runs_on", "virtual_machine"),
    ("virtual_machine", "hosted_on", "server"),
    ("application", "hosted_on", "server"),
    ("application", "hosted_on", "virtual_machine"),
    ("database", "hosted_on", "server"),
    ("database", "hosted_on", "virtual_machine"),
    ("database", "hosted_on", "storage"),
    ("server", "hosted_on", "storage"),
    ("virtual_machine", "hosted_on", "storage"),
    ("*", "depends_on", "*"),
    ("*", "uses", "*"),
    ("*", "part_of", "*"),
    ("*", "connects_to", "*"),
];

/// Why a relationship may not be made, naming the field to blame; `Ok` when it may.
pub fn check(rules: &[RelRule], source: (i64, &str), rel: RelType, target: (i64, &str)) -> Result<(), FieldError> {
    if source.0 == target.0 {
        return Err(FieldError::new("target", "self_relationship", "a configuration item cannot relate to itself"));
    }
    if rules.iter().any(|r| r.allows(source.1, rel, target.1)) {
        Ok(())
    } else {
        Err(FieldError::new(
            "type",
            "not_allowed",
            format!("{} is not allowed from a {} to a {}", rel.as_str(), source.1, target.1),
        ))
    }
}
