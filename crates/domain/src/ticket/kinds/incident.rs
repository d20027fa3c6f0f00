//! Incidents: unplanned interruptions. The goal is to restore service fast.

use crate::ticket::detail::DetailSpec;
use crate::ticket::guard::{Guard, GuardRule};
use crate::ticket::kind::KindDef;
use crate::ticket::HoldReason;
use crate::ticket::Status::*;
use crate::ticket::StatusCategory as C;

pub static DEF: KindDef = KindDef {
    name: "incident",
    aliases: &[],
    label: "Incident",
    prefix: "INC",
    initial: New,
    statuses: &[
        (New, C::New),
        (Assigned, C::Open),
        (InProgress, C::Open),
        (OnHold, C::Pending),
        (Resolved, C::Resolved),
        (Closed, C::Closed),
        (Cancelled, C::Closed),
    ],
    transitions: &[
        (New, &[Assigned, InProgress, OnHold, Resolved, Cancelled]),
        (Assigned, &[New, InProgress, OnHold, Resolved, Cancelled]),
        (InProgress, &[Assigned, OnHold, Resolved, Cancelled]),
        (OnHold, &[Assigned, InProgress, Resolved, Cancelled]),
        (Resolved, &[Closed, InProgress]),
    ],
    resolved: Resolved,
    reopen: Some(InProgress),
    hold: Some((OnHold, &HoldReason::ALL)),
    assignment: Some((New, Assigned)),
    guards: &[GuardRule { to: &[Resolved], guard: Guard::TasksDone }],
    detail: DetailSpec::NONE,
    flags_on_enter: &[],
    approval_status: None,
    approval_outcome: None,
    requester_facing: true,
    child: false,
};
