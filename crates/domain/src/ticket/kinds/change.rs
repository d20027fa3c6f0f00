//! Changes: planned work on live services. A standard change comes from a pre-approved
//! template and goes straight to the schedule; a normal change is assessed and approved by
//! the CAB; an emergency change may be implemented first and approved by the emergency CAB
//! afterwards, and is always reviewed. Every change ends with a post-implementation review.
//!
//! The guards read the change's facts (type, risk class, schedule, conflicts not overridden;
//! see [`crate::change`]) besides its detail record and approval.

use crate::change::{review, ChangeFacts, ChangeType};
use crate::ticket::detail::{DetailField, DetailSpec, DetailType};
use crate::ticket::guard::{ApprovalFact, Fact, Guard, GuardFacts, GuardRule};
use crate::ticket::kind::KindDef;
use crate::ticket::Status::*;
use crate::ticket::StatusCategory as C;

const TEXT: DetailType = DetailType::Text { max: 20_000 };
/// The outcomes a review records.
pub const OUTCOMES: &[&str] = &["successful", "partial", "failed"];

pub static DEF: KindDef = KindDef {
    name: "change",
    aliases: &["rfc"],
    label: "Change",
    prefix: "CHG",
    initial: Draft,
    statuses: &[
        (Draft, C::New),
        (Assessment, C::Open),
        (AwaitingApproval, C::Pending),
        (Scheduled, C::Open),
        (Implementing, C::Open),
        (Review, C::Open),
        (Failed, C::Open),
        (Closed, C::Closed),
        (Rejected, C::Closed),
        (Cancelled, C::Closed),
    ],
    transitions: &[
        (Draft, &[Assessment, Scheduled, Implementing, Cancelled]),
        (Assessment, &[AwaitingApproval, Scheduled, Implementing, Draft, Cancelled]),
        (AwaitingApproval, &[Scheduled, Rejected, Assessment, Cancelled]),
        (Scheduled, &[Implementing, Assessment, Cancelled]),
        (Implementing, &[Review, Failed]),
        (Failed, &[Review]),
        (Review, &[Closed]),
    ],
    // The work is done once it is in review: that stamps the resolution.
    resolved: Review,
    reopen: None,
    hold: None,
    assignment: None,
    guards: &[
        GuardRule {
            to: &[Assessment, AwaitingApproval, Scheduled, Implementing],
            guard: Guard::Predicate { name: "plans_for_high_risk", needs: &[Fact::Detail, Fact::Change], check: plans },
        },
        GuardRule {
            to: &[AwaitingApproval, Scheduled],
            guard: Guard::Predicate { name: "schedule_planned", needs: &[Fact::Change], check: schedule_planned },
        },
        GuardRule {
            to: &[AwaitingApproval, Scheduled],
            guard: Guard::Predicate { name: "conflicts_cleared", needs: &[Fact::Change], check: conflicts_cleared },
        },
        GuardRule {
            to: &[Scheduled],
            guard: Guard::Predicate {
                name: "approved_or_standard",
                needs: &[Fact::Approval, Fact::Change],
                check: approved_or_standard,
            },
        },
        GuardRule {
            to: &[Implementing],
            guard: Guard::Predicate { name: "scheduled_or_emergency", needs: &[Fact::Change], check: scheduled_first },
        },
        GuardRule { to: &[Review], guard: Guard::TasksDone },
        GuardRule {
            to: &[Review],
            guard: Guard::Predicate {
                name: "emergency_approved",
                needs: &[Fact::Approval, Fact::Change],
                check: emergency_approved,
            },
        },
        GuardRule { to: &[Failed], guard: Guard::Recorded { name: "backout_recorded", fields: &["backout_notes"] } },
        GuardRule { to: &[Closed], guard: Guard::Recorded { name: "review_recorded", fields: &["review_outcome"] } },
        GuardRule {
            to: &[Closed],
            guard: Guard::Predicate {
                name: "caused_incidents_reviewed",
                needs: &[Fact::Detail, Fact::Change],
                check: caused_incidents_reviewed,
            },
        },
    ],
    detail: DetailSpec {
        fields: &[
            DetailField { name: "implementation_plan", label: "Implementation plan", field_type: TEXT },
            DetailField { name: "backout_plan", label: "Backout plan", field_type: TEXT },
            DetailField { name: "test_plan", label: "Test plan", field_type: TEXT },
            DetailField { name: "backout_notes", label: "Backout performed", field_type: TEXT },
            DetailField {
                name: "review_outcome",
                label: "Review outcome",
                field_type: DetailType::Choice { options: OUTCOMES },
            },
            DetailField { name: review::INCIDENT_REVIEW, label: "Caused incidents reviewed", field_type: TEXT },
            DetailField { name: "lessons", label: "Lessons learned", field_type: TEXT },
            DetailField { name: "follow_up", label: "Follow-up actions", field_type: TEXT },
        ],
        rule: None,
    },
    flags_on_enter: &[],
    approval_status: Some(AwaitingApproval),
    approval_outcome: Some((Scheduled, Rejected)),
    requester_facing: false,
    child: false,
};

fn facts(f: &GuardFacts) -> Option<&ChangeFacts> {
    f.change.as_ref()
}

fn recorded(f: &GuardFacts, key: &str) -> bool {
    f.detail.get(key).and_then(|v| v.as_str()).is_some_and(|s| !s.trim().is_empty())
}

/// High and very high risk changes need a backout plan and a test plan before submission.
fn plans(f: &GuardFacts) -> Option<String> {
    let c = facts(f)?;
    if !c.risk_class.needs_plans() {
        return None;
    }
    let missing: Vec<&str> = ["backout_plan", "test_plan"].into_iter().filter(|k| !recorded(f, k)).collect();
    (!missing.is_empty())
        .then(|| format!("a {} risk change needs {} first", c.risk_class.label().to_lowercase(), missing.join(" and ")))
}

fn schedule_planned(f: &GuardFacts) -> Option<String> {
    (!facts(f)?.scheduled).then(|| "set the planned start and end first".to_string())
}

fn conflicts_cleared(f: &GuardFacts) -> Option<String> {
    let c = facts(f)?;
    (!c.open_conflicts.is_empty()).then(|| {
        format!(
            "the window has conflicts: {}; move the window or override them with a reason",
            c.open_conflicts.join("; ")
        )
    })
}

fn approved_or_standard(f: &GuardFacts) -> Option<String> {
    let c = facts(f)?;
    if c.change_type == ChangeType::Standard {
        return None;
    }
    match f.approval {
        Some(ApprovalFact::Approved) => None,
        Some(ApprovalFact::Pending) => Some("the CAB has not decided yet".into()),
        Some(ApprovalFact::Rejected) => Some("the CAB rejected this change".into()),
        _ => Some(format!("a {} change is scheduled once the CAB approves it", c.change_type.as_str())),
    }
}

/// Only an emergency change may be implemented without being scheduled first.
fn scheduled_first(f: &GuardFacts) -> Option<String> {
    let c = facts(f)?;
    (f.from != Scheduled && c.change_type != ChangeType::Emergency)
        .then(|| "only an emergency change is implemented before it is scheduled".to_string())
}

/// An emergency change implemented before its approval is reviewed once the emergency CAB
/// has approved it after the fact.
fn emergency_approved(f: &GuardFacts) -> Option<String> {
    let c = facts(f)?;
    if c.change_type != ChangeType::Emergency {
        return None;
    }
    match f.approval {
        Some(ApprovalFact::Approved) => None,
        Some(ApprovalFact::Pending) => Some("the emergency CAB has not approved this change yet".into()),
        Some(ApprovalFact::Rejected) => Some("the emergency CAB rejected this change".into()),
        _ => Some("an emergency change needs the emergency CAB's approval before its review".into()),
    }
}

/// Incidents linked to the change after its review was recorded as successful still need
/// saying why before it closes.
fn caused_incidents_reviewed(f: &GuardFacts) -> Option<String> {
    review::unacknowledged_incidents(&f.detail, &facts(f)?.caused_incidents)
}
