//! The shape of an approval as a client or a template states it: stages of approvers (named
//! users, a group's members, the requester's manager) and a rule. Parsed from JSON with field
//! paths (`stages[0].rule`); who the references name is resolved by the app layer.

use super::rule::Rule;
use crate::identity::Email;
use crate::validation::{FieldError, Invalid};
use serde_json::{json, Value};

/// At most this many stages, and this many references per stage list.
pub const MAX_STAGES: usize = 20;
const MAX_REFS: usize = 200;

/// A user named by id or by email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    Id(i64),
    Email(Email),
}

impl UserRef {
    pub fn parse(v: &Value, field: &str) -> Result<UserRef, FieldError> {
        match v {
            Value::Number(n) => n
                .as_i64()
                .filter(|i| *i > 0)
                .map(UserRef::Id)
                .ok_or_else(|| FieldError::new(field, "invalid_user", "a user id or an email address")),
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(i) if i > 0 => Ok(UserRef::Id(i)),
                _ => Email::parse(s).map(UserRef::Email).map_err(|e| e.at(field)),
            },
            _ => Err(FieldError::new(field, "invalid_user", "a user id or an email address")),
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            UserRef::Id(i) => json!(i),
            UserRef::Email(e) => json!(e.as_str()),
        }
    }
}

/// A group named by id or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupRef {
    Id(i64),
    Name(String),
}

impl GroupRef {
    pub fn parse(v: &Value, field: &str) -> Result<GroupRef, FieldError> {
        match v {
            Value::Number(n) => n
                .as_i64()
                .filter(|i| *i > 0)
                .map(GroupRef::Id)
                .ok_or_else(|| FieldError::new(field, "invalid_group", "a group id or name")),
            Value::String(s) if !s.trim().is_empty() && s.len() <= 200 => Ok(GroupRef::Name(s.trim().to_string())),
            _ => Err(FieldError::new(field, "invalid_group", "a group id or name")),
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            GroupRef::Id(i) => json!(i),
            GroupRef::Name(n) => json!(n),
        }
    }
}

/// Who approves a stage.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApproverSpec {
    pub users: Vec<UserRef>,
    pub groups: Vec<GroupRef>,
    /// The requester's manager.
    pub manager: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageSpec {
    pub approvers: ApproverSpec,
    pub rule: Rule,
}

/// An approval's stages, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalSpec {
    pub stages: Vec<StageSpec>,
}

impl ApprovalSpec {
    /// Reads `{"stages": [{"approvers": {"users", "groups", "manager"}, "rule"}]}`, collecting
    /// every error with its path.
    pub fn parse(v: &Value) -> Result<ApprovalSpec, Invalid> {
        let mut errors = Vec::new();
        let Some(stages) = v.get("stages").and_then(Value::as_array) else {
            return Err(FieldError::new("stages", "required", "stages is a list of at least one stage").into());
        };
        if stages.is_empty() || stages.len() > MAX_STAGES {
            return Err(FieldError::new("stages", "invalid_length", format!("1 to {MAX_STAGES} stages")).into());
        }
        let mut out = Vec::new();
        for (i, s) in stages.iter().enumerate() {
            let at = format!("stages[{i}]");
            let Some(obj) = s.as_object() else {
                errors.push(FieldError::new(at, "invalid_stage", "a stage is an object with approvers and rule"));
                continue;
            };
            for k in obj.keys().filter(|k| !matches!(k.as_str(), "approvers" | "rule")) {
                errors.push(FieldError::new(format!("{at}.{k}"), "unknown_field", "not a field of a stage"));
            }
            let rule = match obj.get("rule") {
                Some(r) => Rule::parse(r, &format!("{at}.rule")).map_err(|e| errors.push(e)).ok(),
                None => {
                    errors.push(FieldError::new(format!("{at}.rule"), "required", "each stage needs a rule"));
                    None
                }
            };
            let approvers = parse_approvers(obj.get("approvers"), &format!("{at}.approvers"), &mut errors);
            if let (Some(rule), Some(approvers)) = (rule, approvers) {
                out.push(StageSpec { approvers, rule });
            }
        }
        if errors.is_empty() {
            Ok(ApprovalSpec { stages: out })
        } else {
            Err(Invalid(errors))
        }
    }

    /// The wire form (what a template stores and shows).
    pub fn to_json(&self) -> Value {
        let stages: Vec<Value> = self
            .stages
            .iter()
            .map(|s| {
                json!({
                    "approvers": {
                        "users": s.approvers.users.iter().map(UserRef::to_json).collect::<Vec<_>>(),
                        "groups": s.approvers.groups.iter().map(GroupRef::to_json).collect::<Vec<_>>(),
                        "manager": s.approvers.manager,
                    },
                    "rule": s.rule.to_json(),
                })
            })
            .collect();
        json!({ "stages": stages })
    }
}

fn parse_approvers(v: Option<&Value>, at: &str, errors: &mut Vec<FieldError>) -> Option<ApproverSpec> {
    let Some(obj) = v.and_then(Value::as_object) else {
        errors.push(FieldError::new(at, "required", "approvers is an object with users, groups and/or manager"));
        return None;
    };
    let mut spec = ApproverSpec::default();
    let before = errors.len();
    for k in obj.keys().filter(|k| !matches!(k.as_str(), "users" | "groups" | "manager")) {
        errors.push(FieldError::new(format!("{at}.{k}"), "unknown_field", "approvers are users, groups, manager"));
    }
    let list = |key: &str, errors: &mut Vec<FieldError>| -> Vec<Value> {
        match obj.get(key) {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(a)) if a.len() <= MAX_REFS => a.clone(),
            Some(_) => {
                errors.push(FieldError::new(
                    format!("{at}.{key}"),
                    "invalid_list",
                    format!("a list of at most {MAX_REFS}"),
                ));
                vec![]
            }
        }
    };
    for (j, u) in list("users", errors).iter().enumerate() {
        match UserRef::parse(u, &format!("{at}.users[{j}]")) {
            Ok(r) if !spec.users.contains(&r) => spec.users.push(r),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    for (j, g) in list("groups", errors).iter().enumerate() {
        match GroupRef::parse(g, &format!("{at}.groups[{j}]")) {
            Ok(r) if !spec.groups.contains(&r) => spec.groups.push(r),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    match obj.get("manager") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(b)) => spec.manager = *b,
        Some(_) => errors.push(FieldError::new(format!("{at}.manager"), "invalid_bool", "manager is true or false")),
    }
    if errors.len() > before {
        return None;
    }
    if spec.users.is_empty() && spec.groups.is_empty() && !spec.manager {
        errors.push(FieldError::new(at, "no_approvers", "name at least one user, group, or the manager"));
        return None;
    }
    Some(spec)
}
