//! Service requests: a user asking for something standard. Fulfilment waits for the
//! approval when one was asked for, and for every fulfilment task.

use crate::ticket::detail::DetailSpec;
use crate::ticket::guard::{Guard, GuardRule};
use crate::ticket::kind::KindDef;
use crate::ticket::Status::*;
use crate::ticket::StatusCategory as C;

pub static DEF: KindDef = KindDef {
    name: "service_request",
    aliases: &["request"],
    label: "Service request",
    prefix: "REQ",
    initial: Submitted,
    statuses: &[
        (Submitted, C::New),
        (AwaitingApproval, C::Pending),
        (Fulfilling, C::Open),
        (Fulfilled, C::Resolved),
        (Closed, C::Closed),
        (Rejected, C::Closed),
        (Cancelled, C::Closed),
    ],
    transitions: &[
        (Submitted, &[AwaitingApproval, Fulfilling, Rejected, Cancelled]),
        (AwaitingApproval, &[Fulfilling, Rejected, Cancelled]),
        (Fulfilling, &[Fulfilled, Cancelled]),
        (Fulfilled, &[Closed, Fulfilling]),
    ],
    resolved: Fulfilled,
    reopen: Some(Fulfilling),
    hold: None,
    assignment: None,
    guards: &[
        // Whatever status the request is in: a pending or rejected approval blocks fulfilment.
        GuardRule { to: &[Fulfilling], guard: Guard::ApprovalGranted { awaiting: AwaitingApproval } },
        GuardRule { to: &[Fulfilled], guard: Guard::TasksDone },
    ],
    detail: DetailSpec::NONE,
    flags_on_enter: &[],
    approval_status: Some(AwaitingApproval),
    approval_outcome: Some((Fulfilling, Rejected)),
    requester_facing: true,
    child: false,
};
