//! Tasks: units of work under a parent ticket (a request's fulfilment steps, later a change's
//! implementation steps), with their own group, assignee and SLA. A task may wait for other
//! tasks of the same parent; the rest run in parallel.

use crate::ticket::detail::DetailSpec;
use crate::ticket::guard::{Fact, GuardFacts, GuardRule};
use crate::ticket::kind::KindDef;
use crate::ticket::Status::*;
use crate::ticket::StatusCategory as C;

pub static DEF: KindDef = KindDef {
    name: "task",
    aliases: &[],
    label: "Task",
    prefix: "TSK",
    initial: Open,
    statuses: &[(Open, C::New), (InProgress, C::Open), (Done, C::Closed), (Cancelled, C::Closed)],
    transitions: &[(Open, &[InProgress, Done, Cancelled]), (InProgress, &[Open, Done, Cancelled])],
    resolved: Done,
    reopen: None,
    hold: None,
    assignment: None,
    guards: &[GuardRule {
        to: &[InProgress, Done],
        guard: crate::ticket::guard::Guard::Predicate {
            name: "predecessors_done",
            needs: &[Fact::Predecessors],
            check: predecessors_done,
        },
    }],
    detail: DetailSpec::NONE,
    flags_on_enter: &[],
    approval_status: None,
    approval_outcome: None,
    requester_facing: false,
    child: true,
};

fn predecessors_done(f: &GuardFacts) -> Option<String> {
    (!f.waiting_on.is_empty()).then(|| format!("this task waits for {} to be done first", f.waiting_on.join(", ")))
}
