//! Guards: conditions a transition needs besides being in the lifecycle (an approval granted,
//! every task done, a workaround recorded). A kind declares which guards protect which target
//! statuses; the application gathers the facts the guards ask for and this module decides. A
//! refused guard names itself and says what would satisfy it.

use super::Status;
use serde::Serialize;
use serde_json::{Map, Value};

/// A condition on entering a status.
#[derive(Debug, Clone, Copy)]
pub enum Guard {
    /// The named detail fields hold a value (non-empty text, `true`, a number).
    Recorded { name: &'static str, fields: &'static [&'static str] },
    /// The ticket's most recent approval is neither pending nor rejected; a ticket that is
    /// waiting in its approval status needs one that was granted.
    ApprovalGranted { awaiting: Status },
    /// No child task is still open.
    TasksDone,
    /// A kind's own rule over the facts; `None` passes, `Some(detail)` refuses.
    Predicate { name: &'static str, needs: &'static [Fact], check: fn(&GuardFacts) -> Option<String> },
}

/// A guard on entering any of `to`.
#[derive(Debug, Clone, Copy)]
pub struct GuardRule {
    pub to: &'static [Status],
    pub guard: Guard,
}

/// What a guard needs to know; the application reads only what the guards of a move ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    Detail,
    Approval,
    OpenTasks,
    Predecessors,
    /// A change's type, risk class, schedule and unresolved conflicts.
    Change,
}

/// The state of a ticket's most recent approval, as guards see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalFact {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

/// The facts a move is judged on.
#[derive(Debug, Clone)]
pub struct GuardFacts {
    pub from: Status,
    pub to: Status,
    /// The kind's detail record (an empty map when the kind has none).
    pub detail: Map<String, Value>,
    /// The most recent approval of the ticket, if any.
    pub approval: Option<ApprovalFact>,
    /// Numbers of the ticket's child tasks that are still open.
    pub open_tasks: Vec<String>,
    /// Numbers of the tasks this task waits for that are not done yet.
    pub waiting_on: Vec<String>,
    /// A change's facts (changes only).
    pub change: Option<crate::change::ChangeFacts>,
}

impl GuardFacts {
    pub fn new(from: Status, to: Status) -> Self {
        GuardFacts {
            from,
            to,
            detail: Map::new(),
            approval: None,
            open_tasks: Vec::new(),
            waiting_on: Vec::new(),
            change: None,
        }
    }
}

/// A guard that refused, and what would satisfy it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuardFailure {
    pub name: &'static str,
    pub detail: String,
}

impl Guard {
    pub fn name(&self) -> &'static str {
        match self {
            Guard::Recorded { name, .. } | Guard::Predicate { name, .. } => name,
            Guard::ApprovalGranted { .. } => "approval_granted",
            Guard::TasksDone => "tasks_done",
        }
    }

    pub fn needs(&self) -> &'static [Fact] {
        match self {
            Guard::Recorded { .. } => &[Fact::Detail],
            Guard::ApprovalGranted { .. } => &[Fact::Approval],
            Guard::TasksDone => &[Fact::OpenTasks],
            Guard::Predicate { needs, .. } => needs,
        }
    }

    /// `None` when the guard is satisfied.
    pub fn check(&self, f: &GuardFacts) -> Option<GuardFailure> {
        let refuse = |detail: String| Some(GuardFailure { name: self.name(), detail });
        match *self {
            Guard::Recorded { fields, .. } => {
                let missing: Vec<&str> = fields.iter().copied().filter(|k| !has_value(f.detail.get(*k))).collect();
                if missing.is_empty() {
                    None
                } else {
                    refuse(format!("record {} first", missing.join(" and ")))
                }
            }
            Guard::ApprovalGranted { awaiting } => match f.approval {
                Some(ApprovalFact::Pending) => refuse("the approval is still pending; wait for its decision".into()),
                Some(ApprovalFact::Rejected) => {
                    refuse("the approval was rejected; start a new approval if the request changed".into())
                }
                Some(ApprovalFact::Approved) => None,
                None | Some(ApprovalFact::Cancelled) if f.from == awaiting => {
                    refuse("no approval was granted; start an approval and wait for its decision".into())
                }
                None | Some(ApprovalFact::Cancelled) => None,
            },
            Guard::TasksDone => {
                if f.open_tasks.is_empty() {
                    None
                } else {
                    refuse(format!("finish or cancel the open tasks first: {}", f.open_tasks.join(", ")))
                }
            }
            Guard::Predicate { check, .. } => check(f).and_then(refuse),
        }
    }
}

/// Whether a detail value counts as recorded.
fn has_value(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Bool(b)) => *b,
        Some(_) => true,
    }
}

/// Every failed guard among `rules` for a move to `facts.to`.
pub fn check_all(rules: &[GuardRule], facts: &GuardFacts) -> Vec<GuardFailure> {
    rules.iter().filter(|r| r.to.contains(&facts.to)).filter_map(|r| r.guard.check(facts)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> GuardFacts {
        GuardFacts::new(Status::Submitted, Status::Fulfilling)
    }

    #[test]
    fn approval_granted_refuses_pending_and_rejected_and_needs_one_when_awaiting() {
        let g = Guard::ApprovalGranted { awaiting: Status::AwaitingApproval };
        let mut f = facts();
        assert_eq!(g.check(&f), None, "a request that never needed approval may be fulfilled");
        f.approval = Some(ApprovalFact::Pending);
        assert_eq!(g.check(&f).map(|x| x.name), Some("approval_granted"));
        f.approval = Some(ApprovalFact::Rejected);
        assert!(g.check(&f).is_some_and(|x| x.detail.contains("rejected")));
        f.approval = Some(ApprovalFact::Approved);
        assert_eq!(g.check(&f), None);
        let mut waiting = GuardFacts::new(Status::AwaitingApproval, Status::Fulfilling);
        assert!(g.check(&waiting).is_some(), "awaiting approval with none started");
        waiting.approval = Some(ApprovalFact::Approved);
        assert_eq!(g.check(&waiting), None);
    }

    #[test]
    fn tasks_done_names_the_open_tasks() {
        let mut f = facts();
        assert_eq!(Guard::TasksDone.check(&f), None);
        f.open_tasks = vec!["TSK-1".into(), "TSK-2".into()];
        let e = Guard::TasksDone.check(&f).unwrap();
        assert_eq!(e.name, "tasks_done");
        assert!(e.detail.contains("TSK-1, TSK-2"), "{}", e.detail);
    }

    #[test]
    fn recorded_needs_a_value_in_each_field() {
        let g = Guard::Recorded { name: "workaround_recorded", fields: &["workaround"] };
        let mut f = facts();
        assert!(g.check(&f).is_some());
        f.detail.insert("workaround".into(), Value::String("  ".into()));
        assert!(g.check(&f).is_some(), "blank text is not a workaround");
        f.detail.insert("workaround".into(), Value::String("restart the spooler".into()));
        assert_eq!(g.check(&f), None);
    }

    #[test]
    fn only_rules_for_the_target_apply() {
        let rules = [
            GuardRule {
                to: &[Status::Fulfilling],
                guard: Guard::ApprovalGranted { awaiting: Status::AwaitingApproval },
            },
            GuardRule { to: &[Status::Fulfilled], guard: Guard::TasksDone },
        ];
        let mut f = facts();
        f.approval = Some(ApprovalFact::Pending);
        f.open_tasks = vec!["TSK-9".into()];
        let failed = check_all(&rules, &f);
        assert_eq!(failed.iter().map(|x| x.name).collect::<Vec<_>>(), ["approval_granted"]);
        f.to = Status::Fulfilled;
        assert_eq!(check_all(&rules, &f).iter().map(|x| x.name).collect::<Vec<_>>(), ["tasks_done"]);
    }
}
