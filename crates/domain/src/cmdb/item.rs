//! A configuration item's own fields: its name and its status.

use crate::validation::FieldError;
use serde::{Deserialize, Serialize};

/// Where a CI is in its life. Retired items stay for history and impact at past instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CiStatus {
    Planned,
    Live,
    Maintenance,
    Retired,
}

impl CiStatus {
    pub const ALL: [CiStatus; 4] = [CiStatus::Planned, CiStatus::Live, CiStatus::Maintenance, CiStatus::Retired];

    pub fn as_str(self) -> &'static str {
        match self {
            CiStatus::Planned => "planned",
            CiStatus::Live => "live",
            CiStatus::Maintenance => "maintenance",
            CiStatus::Retired => "retired",
        }
    }

    pub fn parse(raw: &str) -> Result<CiStatus, FieldError> {
        CiStatus::ALL.into_iter().find(|s| s.as_str() == raw.trim()).ok_or_else(|| {
            FieldError::new("status", "invalid_status", "status is one of planned, live, maintenance, retired")
        })
    }
}

/// A CI's name: 1 to 200 characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiName(String);

impl CiName {
    pub fn parse(raw: &str) -> Result<CiName, FieldError> {
        let s = raw.trim();
        if s.is_empty() || s.chars().count() > 200 || s.chars().any(char::is_control) {
            return Err(FieldError::new(
                "name",
                "invalid_name",
                "a name is 1 to 200 characters, without control characters",
            ));
        }
        Ok(CiName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}
