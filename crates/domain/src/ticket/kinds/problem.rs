//! Problems: the underlying cause of incidents. Problem management records the root cause
//! and, until the cause is removed, a workaround; a problem with a workaround is a known error.

use crate::ticket::detail::{DetailField, DetailSpec, DetailType};
use crate::ticket::guard::{Guard, GuardRule};
use crate::ticket::kind::KindDef;
use crate::ticket::Status::*;
use crate::ticket::StatusCategory as C;
use crate::validation::FieldError;
use serde_json::{Map, Value};

const TEXT: DetailType = DetailType::Text { max: 20_000 };

pub static DEF: KindDef = KindDef {
    name: "problem",
    aliases: &[],
    label: "Problem",
    prefix: "PRB",
    initial: New,
    statuses: &[
        (New, C::New),
        (Assessed, C::Open),
        (RootCauseAnalysis, C::Open),
        (KnownError, C::Open),
        (Resolved, C::Resolved),
        (Closed, C::Closed),
    ],
    transitions: &[
        (New, &[Assessed, Closed]),
        (Assessed, &[RootCauseAnalysis, KnownError, Resolved, Closed]),
        (RootCauseAnalysis, &[KnownError, Resolved]),
        (KnownError, &[RootCauseAnalysis, Resolved]),
        (Resolved, &[Closed, RootCauseAnalysis]),
    ],
    resolved: Resolved,
    reopen: Some(RootCauseAnalysis),
    hold: None,
    assignment: None,
    guards: &[
        GuardRule {
            to: &[KnownError],
            guard: Guard::Recorded { name: "workaround_recorded", fields: &["workaround"] },
        },
        GuardRule { to: &[Resolved], guard: Guard::TasksDone },
    ],
    detail: DetailSpec {
        fields: &[
            DetailField { name: "root_cause", label: "Root cause", field_type: TEXT },
            DetailField { name: "workaround", label: "Workaround", field_type: TEXT },
            DetailField { name: "known_error", label: "Known error", field_type: DetailType::Flag },
        ],
        rule: Some(known_error_needs_workaround),
    },
    flags_on_enter: &[(KnownError, "known_error")],
    approval_status: None,
    approval_outcome: None,
    requester_facing: true,
    child: false,
};

/// A known error is a problem with a workaround: the flag cannot stand without one.
fn known_error_needs_workaround(d: &Map<String, Value>) -> Result<(), FieldError> {
    let known = d.get("known_error").and_then(Value::as_bool).unwrap_or(false);
    let workaround = d.get("workaround").and_then(Value::as_str).is_some_and(|w| !w.trim().is_empty());
    if known && !workaround {
        return Err(FieldError::new(
            "detail.known_error",
            "workaround_required",
            "a known error needs a workaround; record the workaround first",
        ));
    }
    Ok(())
}
