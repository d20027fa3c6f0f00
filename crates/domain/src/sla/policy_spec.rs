//! SLA policies as an admin writes them, and their validation into [`Policy`].

use super::policy::{Conditions, Escalation, EscalationAction, EscalationTrigger, PauseRule, Policy};
use super::{BusinessDuration, TargetKind};
use crate::ticket::{HoldReason, Kind, Priority, Status};
use crate::validation::{Checks, FieldError, Invalid};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A policy as an admin writes it; [`Policy::parse`] checks it.
///
/// ```json
/// { "name": "P1 incidents",
///   "conditions": { "kinds": ["incident"], "priorities": ["P1"], "custom_fields": {"vip": true} },
///   "targets": { "first_response": "30m", "resolution": "4h" },
///   "calendar_id": 3, "warnings": [75, 90],
///   "pause_when": ["on_hold:awaiting_requester"],
///   "escalations": [ { "when": "90%", "action": "notify_group_lead" },
///                    { "when": "breach", "action": "reassign_to_group", "group_id": 7 } ] }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// One line of 1 to 120 characters, unique among policies.
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    #[serde(default)]
    pub conditions: ConditionsSpec,
    pub targets: TargetsSpec,
    /// The business calendar; absent, null or 0 means the built-in 24x7 calendar.
    #[serde(default)]
    pub calendar_id: Option<i64>,
    /// Percentages of a target at which to warn: 1 to 99, ascending; `[75, 90]` by default.
    #[serde(default = "default_warnings")]
    #[schema(value_type = Vec<WarningPercent>, default = json!([75, 90]))]
    pub warnings: Vec<i64>,
    /// Statuses that pause the clocks: a status name, `on_hold` (any reason) or
    /// `on_hold:<hold reason>`; `["on_hold:awaiting_requester"]` by default.
    #[serde(default = "default_pause_when")]
    #[schema(default = json!(["on_hold:awaiting_requester"]))]
    pub pause_when: Vec<String>,
    #[serde(default)]
    pub escalations: Vec<EscalationSpec>,
}

/// A warning threshold: a percentage of a target, 1 to 99.
#[derive(utoipa::ToSchema)]
#[schema(minimum = 1, maximum = 99)]
#[allow(dead_code)] // documents `PolicySpec::warnings`; `PolicyInput` names the same schema
pub struct WarningPercent(i64);

fn default_warnings() -> Vec<i64> {
    vec![75, 90]
}

fn default_pause_when() -> Vec<String> {
    vec!["on_hold:awaiting_requester".into()]
}

/// Conditions as written. An empty list (or map) matches every ticket.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionsSpec {
    /// Positive desk ids.
    #[serde(default)]
    pub desk_ids: Vec<i64>,
    /// Ticket kinds (`incident`, `service_request`, ...).
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Priorities, `P1` to `P5`.
    #[serde(default)]
    pub priorities: Vec<String>,
    /// Positive category ids.
    #[serde(default)]
    pub category_ids: Vec<i64>,
    /// Positive organisation ids.
    #[serde(default)]
    pub organization_ids: Vec<i64>,
    /// Custom field values that must be equal, by key (1-40 lowercase letters, digits or `_`,
    /// starting with a letter).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_fields: BTreeMap<String, Value>,
}

/// Targets as written, in [`BusinessDuration`] syntax (`4h`, `1h30m`) or as integer
/// seconds (`5400`); kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetsSpec {
    /// A business duration: `30m`, `4h`, `1h30m`, or integer seconds.
    #[serde(deserialize_with = "super::duration::written")]
    #[schema(value_type = super::duration::WrittenDuration)]
    pub first_response: String,
    /// A business duration, no shorter than `first_response`.
    #[serde(deserialize_with = "super::duration::written")]
    #[schema(value_type = super::duration::WrittenDuration)]
    pub resolution: String,
    /// A business duration for every reply after the first; none when absent.
    #[serde(default, deserialize_with = "super::duration::written_opt")]
    #[schema(value_type = Option<super::duration::WrittenDuration>)]
    pub next_response: Option<String>,
}

/// An escalation as written: `when` is `breach` or one of the policy's warnings (`75%`);
/// `target` narrows it to one target (all when absent); `action` is one of
/// `notify_group`, `notify_group_lead` (both: `group_id`, or the ticket's assignment group
/// when absent), `notify_user` (`user_id`), `reassign_to_group` (`group_id`),
/// `raise_priority`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationSpec {
    /// `breach`, or one of the policy's warnings like `75%`.
    pub when: String,
    /// One target; every target when absent.
    #[serde(default)]
    #[schema(value_type = Option<TargetName>)]
    pub target: Option<String>,
    #[schema(value_type = EscalationActionName)]
    pub action: String,
    /// For group actions; the ticket's group when absent (notify actions only).
    #[serde(default)]
    pub group_id: Option<i64>,
    /// For `notify_user`.
    #[serde(default)]
    pub user_id: Option<i64>,
}

/// The targets an SLA policy sets.
#[derive(utoipa::ToSchema)]
#[schema(as = SlaTargetName)]
#[allow(dead_code)] // documents `EscalationSpec::target`
#[serde(rename_all = "snake_case")]
enum TargetName {
    FirstResponse,
    NextResponse,
    Resolution,
}

/// What an escalation does.
#[derive(utoipa::ToSchema)]
#[schema(as = EscalationAction)]
#[allow(dead_code)] // documents `EscalationSpec::action`
#[serde(rename_all = "snake_case")]
enum EscalationActionName {
    NotifyGroup,
    NotifyGroupLead,
    NotifyUser,
    ReassignToGroup,
    RaisePriority,
}

impl Policy {
    /// Checks every field and reports all problems with their paths (`targets.resolution`,
    /// `conditions.kinds[1]`, `warnings[0]`, `escalations[2].group_id`).
    pub fn parse(spec: &PolicySpec) -> Result<Policy, Invalid> {
        let mut c = Checks::new();
        let name = spec.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 120 {
            c.push(FieldError::new("name", "invalid_name", "a policy name is 1 to 120 characters"));
        }
        let conditions = parse_conditions(&spec.conditions, &mut c);
        let t = &spec.targets;
        let first_response = c.take(parse_target(&t.first_response, "targets.first_response"));
        let resolution = c.take(parse_target(&t.resolution, "targets.resolution"));
        let next_response = t.next_response.as_ref().map(|s| c.take(parse_target(s, "targets.next_response")));
        if let (Some(f), Some(r)) = (first_response, resolution) {
            if r < f {
                c.push(FieldError::new(
                    "targets.resolution",
                    "resolution_before_response",
                    "the resolution target cannot be shorter than the first response target",
                ));
            }
        }
        if spec.calendar_id.is_some_and(|id| id <= 0) {
            c.push(FieldError::new("calendar_id", "invalid_id", "calendar_id is a positive id"));
        }
        let mut warnings = Vec::new();
        for (i, &w) in spec.warnings.iter().enumerate() {
            let field = format!("warnings[{i}]");
            match u8::try_from(w) {
                Ok(p @ 1..=99) if warnings.last().is_none_or(|&last| p > last) => warnings.push(p),
                Ok(1..=99) => c.push(FieldError::new(field, "not_ascending", "warnings are in ascending order")),
                _ => c.push(FieldError::new(field, "out_of_range", "a warning is a percentage from 1 to 99")),
            }
        }
        let pause_when =
            spec.pause_when.iter().enumerate().filter_map(|(i, raw)| c.take(parse_pause_rule(raw, i))).collect();
        let mut escalations = Vec::new();
        for (i, e) in spec.escalations.iter().enumerate() {
            if let Some(e) = parse_escalation(e, &format!("escalations[{i}]"), &spec.warnings, &mut c) {
                if e.target == Some(TargetKind::NextResponse) && t.next_response.is_none() {
                    c.push(FieldError::new(
                        format!("escalations[{i}].target"),
                        "no_such_target",
                        "the policy has no next_response target",
                    ));
                }
                escalations.push(e);
            }
        }
        c.finish()?;
        let (Some(first_response), Some(resolution)) = (first_response, resolution) else {
            // Unreachable: a missing target was recorded as an error above.
            return Err(FieldError::new("targets", "invalid_target", "targets are required").into());
        };
        Ok(Policy {
            name,
            conditions,
            first_response,
            resolution,
            next_response: next_response.flatten(),
            calendar_id: spec.calendar_id,
            warnings,
            pause_when,
            escalations,
        })
    }

    /// Parses an ordered list; paths are prefixed with `policies[i].`.
    pub fn parse_all(specs: &[PolicySpec]) -> Result<Vec<Policy>, Invalid> {
        let mut errors = Vec::new();
        let mut out = Vec::with_capacity(specs.len());
        for (i, spec) in specs.iter().enumerate() {
            match Policy::parse(spec) {
                Ok(p) => out.push(p),
                Err(Invalid(es)) => {
                    errors.extend(es.into_iter().map(|e| {
                        let field = format!("policies[{i}].{}", e.field);
                        e.at(field)
                    }));
                }
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(Invalid(errors))
        }
    }
}

fn parse_target(raw: &str, field: &str) -> Result<BusinessDuration, FieldError> {
    let d = BusinessDuration::parse(raw).map_err(|e| e.at(field))?;
    if d == BusinessDuration::ZERO {
        return Err(FieldError::new(field, "zero_target", "a target is longer than zero"));
    }
    Ok(d)
}

fn parse_conditions(spec: &ConditionsSpec, c: &mut Checks) -> Conditions {
    let ids = |list: &[i64], name: &str, c: &mut Checks| -> Vec<i64> {
        for (i, id) in list.iter().enumerate() {
            if *id <= 0 {
                c.push(FieldError::new(format!("conditions.{name}[{i}]"), "invalid_id", "ids are positive"));
            }
        }
        list.to_vec()
    };
    let desk_ids = ids(&spec.desk_ids, "desk_ids", c);
    let category_ids = ids(&spec.category_ids, "category_ids", c);
    let organization_ids = ids(&spec.organization_ids, "organization_ids", c);
    let kinds = (spec.kinds.iter().enumerate())
        .filter_map(|(i, k)| c.take(Kind::parse(k).map_err(|e| e.at(format!("conditions.kinds[{i}]")))))
        .collect();
    let priorities = (spec.priorities.iter().enumerate())
        .filter_map(|(i, p)| c.take(Priority::parse(p).map_err(|e| e.at(format!("conditions.priorities[{i}]")))))
        .collect();
    let mut custom_fields = Vec::new();
    for (key, value) in &spec.custom_fields {
        let ok = !key.is_empty()
            && key.len() <= 40
            && key.starts_with(|ch: char| ch.is_ascii_lowercase())
            && key.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
        if ok {
            custom_fields.push((key.clone(), value.clone()));
        } else {
            c.push(FieldError::new(
                format!("conditions.custom_fields.{key}"),
                "invalid_key",
                "a custom field key is 1-40 lowercase letters, digits or _ and starts with a letter",
            ));
        }
    }
    Conditions { desk_ids, kinds, priorities, category_ids, organization_ids, custom_fields }
}

/// `on_hold:awaiting_requester`, `on_hold` (any reason) or any other status name.
fn parse_pause_rule(raw: &str, i: usize) -> Result<PauseRule, FieldError> {
    let field = format!("pause_when[{i}]");
    let (status, reason) = match raw.split_once(':') {
        Some((s, r)) => (s, Some(r)),
        None => (raw, None),
    };
    let status = Status::parse(status).map_err(|e| e.at(field.clone()))?;
    let hold_reason = reason.map(HoldReason::parse).transpose().map_err(|e| e.at(field.clone()))?;
    if hold_reason.is_some() && status != Status::OnHold {
        return Err(FieldError::new(field, "reason_without_hold", "only on_hold takes a hold reason"));
    }
    if !status.is_open() {
        return Err(FieldError::new(field, "closed_status", "only an open status can pause a clock"));
    }
    Ok(PauseRule { status, hold_reason })
}

fn parse_escalation(e: &EscalationSpec, path: &str, warnings: &[i64], c: &mut Checks) -> Option<Escalation> {
    let err = |f: &str, code, m: &str| FieldError::new(format!("{path}.{f}"), code, m.to_string());
    let when = match e.when.trim() {
        "breach" => Some(EscalationTrigger::Breach),
        w => match w.strip_suffix('%').and_then(|p| p.trim().parse::<u8>().ok()) {
            Some(p) if warnings.contains(&i64::from(p)) => Some(EscalationTrigger::Warning(p)),
            _ => {
                c.push(err("when", "invalid_trigger", "when is breach or one of the policy's warnings, like 75%"));
                None
            }
        },
    };
    let target = match e.target.as_deref().map(|t| t.trim()) {
        None => Some(None),
        Some(t) => match TargetKind::ALL.into_iter().find(|k| k.as_str() == t) {
            Some(k) => Some(Some(k)),
            None => {
                c.push(err("target", "invalid_target", "target is first_response, next_response or resolution"));
                None
            }
        },
    };
    // An id field: `Some(value)` when acceptable, `None` after recording why not.
    let id = |f: &str, v: Option<i64>, required: bool, c: &mut Checks| -> Option<Option<i64>> {
        match v {
            Some(n) if n <= 0 => c.push(err(f, "invalid_id", "ids are positive")),
            None if required => c.push(err(f, "required", "this action needs it")),
            _ => return Some(v),
        }
        None
    };
    let action = match e.action.trim() {
        "notify_group" => id("group_id", e.group_id, false, c).map(|g| EscalationAction::NotifyGroup { group_id: g }),
        "notify_group_lead" => {
            id("group_id", e.group_id, false, c).map(|g| EscalationAction::NotifyGroupLead { group_id: g })
        }
        "notify_user" => {
            id("user_id", e.user_id, true, c).flatten().map(|u| EscalationAction::NotifyUser { user_id: u })
        }
        "reassign_to_group" => {
            id("group_id", e.group_id, true, c).flatten().map(|g| EscalationAction::ReassignToGroup { group_id: g })
        }
        "raise_priority" => Some(EscalationAction::RaisePriority),
        _ => {
            c.push(err(
                "action",
                "invalid_action",
                "action is notify_group, notify_group_lead, notify_user, reassign_to_group or raise_priority",
            ));
            None
        }
    };
    Some(Escalation { when: when?, target: target?, action: action? })
}
