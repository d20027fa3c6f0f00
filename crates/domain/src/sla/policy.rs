//! SLA policies: an ordered list where the first policy whose conditions fit a ticket gives
//! its targets, calendar, warning thresholds, pause statuses and escalations. This file
//! holds the checked policy and matching; `policy_spec` holds the form an admin writes.

use super::{BusinessDuration, TargetKind};
use crate::ticket::{HoldReason, Kind, Priority, Status};
use serde::Serialize;
use serde_json::{Map, Value};

/// A checked policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    pub name: String,
    pub conditions: Conditions,
    pub first_response: BusinessDuration,
    pub resolution: BusinessDuration,
    pub next_response: Option<BusinessDuration>,
    /// `None`: the built-in 24x7 calendar.
    pub calendar_id: Option<i64>,
    pub warnings: Vec<u8>,
    pub pause_when: Vec<PauseRule>,
    pub escalations: Vec<Escalation>,
}

/// Checked conditions; every non-empty one must hold. Custom fields compare JSON values for
/// equality (numbers by value, so `5` equals `5.0`); a field the ticket lacks is `null`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Conditions {
    pub desk_ids: Vec<i64>,
    pub kinds: Vec<Kind>,
    pub priorities: Vec<Priority>,
    pub category_ids: Vec<i64>,
    pub organization_ids: Vec<i64>,
    pub custom_fields: Vec<(String, Value)>,
}

/// A status that pauses the clocks; for `on_hold`, optionally only with one hold reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PauseRule {
    pub status: Status,
    pub hold_reason: Option<HoldReason>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationTrigger {
    /// Elapsed time reached this percentage of the target.
    Warning(u8),
    Breach,
}

/// What to do when a warning or breach happens. Group ids of `None` mean the ticket's
/// assignment group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum EscalationAction {
    NotifyGroup {
        group_id: Option<i64>,
    },
    NotifyGroupLead {
        group_id: Option<i64>,
    },
    NotifyUser {
        user_id: i64,
    },
    ReassignToGroup {
        group_id: i64,
    },
    /// One level more urgent (P3 becomes P2); P1 stays P1.
    RaisePriority,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Escalation {
    pub when: EscalationTrigger,
    /// `None`: every target of the policy.
    pub target: Option<TargetKind>,
    pub action: EscalationAction,
}

/// What the app layer knows about a ticket when choosing its policy.
#[derive(Debug, Clone, Copy)]
pub struct TicketFacts<'a> {
    pub desk_id: i64,
    pub kind: Kind,
    pub priority: Priority,
    pub category_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub custom_fields: &'a Map<String, Value>,
}

/// The first policy whose conditions fit the ticket; order is the admin's priority order.
pub fn match_policy<'p>(policies: &'p [Policy], facts: &TicketFacts<'_>) -> Option<&'p Policy> {
    policies.iter().find(|p| p.conditions.matches(facts))
}

/// One step more urgent, for [`EscalationAction::RaisePriority`].
pub fn raise_priority(p: Priority) -> Priority {
    Priority::new(p.get().saturating_sub(1)).unwrap_or(p)
}

impl Conditions {
    pub fn matches(&self, t: &TicketFacts<'_>) -> bool {
        fn fits<T: PartialEq>(list: &[T], v: Option<T>) -> bool {
            list.is_empty() || v.is_some_and(|v| list.contains(&v))
        }
        fits(&self.desk_ids, Some(t.desk_id))
            && fits(&self.kinds, Some(t.kind))
            && fits(&self.priorities, Some(t.priority))
            && fits(&self.category_ids, t.category_id)
            && fits(&self.organization_ids, t.organization_id)
            && self
                .custom_fields
                .iter()
                .all(|(k, want)| json_equal(t.custom_fields.get(k).unwrap_or(&Value::Null), want))
    }
}

fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64().is_some_and(|x| y.as_f64() == Some(x)),
        _ => a == b,
    }
}

impl Policy {
    /// The target this policy sets for `kind`, if any.
    pub fn target(&self, kind: TargetKind) -> Option<BusinessDuration> {
        match kind {
            TargetKind::FirstResponse => Some(self.first_response),
            TargetKind::NextResponse => self.next_response,
            TargetKind::Resolution => Some(self.resolution),
        }
    }

    /// Whether a ticket in `status` (with `hold_reason`) has its clocks paused.
    pub fn pauses(&self, status: Status, hold_reason: Option<HoldReason>) -> bool {
        self.pause_when.iter().any(|r| r.status == status && (r.hold_reason.is_none() || r.hold_reason == hold_reason))
    }

    /// The actions to take when `trigger` happens on the clock of `kind`.
    pub fn escalations_for(
        &self,
        kind: TargetKind,
        trigger: EscalationTrigger,
    ) -> impl Iterator<Item = &EscalationAction> + '_ {
        self.escalations
            .iter()
            .filter(move |e| e.when == trigger && e.target.is_none_or(|t| t == kind))
            .map(|e| &e.action)
    }
}
