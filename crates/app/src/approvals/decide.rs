//! Deciding: an approver (or their active delegate) approves or rejects in the current stage.
//! The decision, its audit entry, the stage's and approval's new states, the next stage's
//! requests and the outcome's move of the request commit together.

use super::start::open_stage;
use super::{refusal, to_domain};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::approval::{parse_comment, Decision, Delegation, Progress, StageState};
use opsdesk_domain::{Actor, FieldError};
use opsdesk_store::approvals::{ApprovalRecord, NewDecision, TICKET};
use opsdesk_store::audit::NewAuditEntry;
use opsdesk_store::{Ts, Tx};
use serde::Deserialize;
use serde_json::json;

/// Approve or reject in the current stage. One rejection rejects the approval.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Decision)]
pub struct DecisionInput {
    #[schema(value_type = super::view::DecisionSchema)]
    pub decision: String,
    /// At most 4000 characters, without control characters other than line breaks and tabs.
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub comment: Option<String>,
    /// For a delegate of several approvers of one stage: whom this decision is for.
    #[serde(default)]
    pub on_behalf_of: Option<i64>,
}

/// Who decides and through which edge.
pub(crate) struct Decider<'a> {
    pub actor: &'a Actor,
    pub user_id: i64,
    pub via: &'static str,
}

/// Records one decision inside `tx` and applies what follows from it. `fixed` names the
/// approver and stage a signed link is bound to (the link's holder decides as that approver).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn decide_in(
    tx: &mut Tx,
    who: &Decider<'_>,
    approval_id: i64,
    decision: Decision,
    comment: &str,
    on_behalf_of: Option<i64>,
    fixed: Option<(i64, i64)>,
    now: Ts,
) -> Result<()> {
    let rec = tx.approval_for_update(approval_id).await?;
    let mut approval = to_domain(&rec)?;
    let current = approval.current().ok_or_else(|| refusal(opsdesk_domain::approval::Refusal::Finished))?;
    let stage_row = &rec.stages[current];
    let approver = match fixed {
        Some((stage_id, approver)) => {
            if stage_id != stage_row.id {
                return Err(refusal(opsdesk_domain::approval::Refusal::Finished));
            }
            if !approval.waits_on(approver) {
                return Err(refusal(opsdesk_domain::approval::Refusal::AlreadyDecided));
            }
            approver
        }
        None => {
            let people = &approval.stages[current].approvers;
            let delegations: Vec<Delegation> = tx
                .delegates_of(people)
                .await?
                .into_iter()
                .map(|d| Delegation {
                    user_id: d.user_id,
                    delegate_id: d.delegate_id,
                    from: d.starts_at.0,
                    until: d.ends_at.map(|t| t.0),
                })
                .collect();
            approval.authority(who.user_id, on_behalf_of, &delegations, now.0).map_err(refusal)?
        }
    };
    let progress = approval.decide(approver, decision).map_err(refusal)?;
    let new = NewDecision {
        stage_id: stage_row.id,
        approver_id: approver,
        decided_by: who.user_id,
        decision: decision.as_str(),
        comment,
        via: who.via,
    };
    tx.insert_approval_decision(&new, now).await.map_err(|e| {
        if e.is_conflict_on("approver_id") || e.is_conflict_on("approval_decisions") {
            refusal(opsdesk_domain::approval::Refusal::AlreadyDecided)
        } else {
            e.into()
        }
    })?;
    let on_behalf_of = (approver != who.user_id).then_some(approver);
    let detail = json!({
        "approval_id": approval_id, "stage": current, "decision": decision.as_str(),
        "on_behalf_of": on_behalf_of, "via": who.via,
    });
    let audit = NewAuditEntry {
        action: "approval.decided",
        actor_user_id: Some(who.user_id),
        subject_user_id: Some(approver),
        detail: detail.clone(),
        ..Default::default()
    };
    tx.append_audit(&audit, now).await?;
    let subject = format!("{}:{}", rec.approval.subject_type, rec.approval.subject_id);
    emit(tx, "approval.decided", subject.clone(), who.actor, detail, now).await?;

    // Stage states the decision changed.
    for (i, s) in approval.stages.iter().enumerate() {
        let before = StageState::parse(&rec.stages[i].state).ok();
        if before != Some(s.state) {
            let started = (s.state == StageState::Pending).then_some(now);
            let finished =
                matches!(s.state, StageState::Approved | StageState::Rejected | StageState::Skipped).then_some(now);
            tx.set_approval_stage_state(rec.stages[i].id, s.state.as_str(), started, finished).await?;
        }
    }
    match progress {
        Progress::Recorded => {}
        Progress::NextStage(next) => {
            let people = approval.stages[next].approvers.clone();
            let stage_id = rec.stages[next].id;
            open_stage(tx, who.actor, rec.approval.subject_id, approval_id, stage_id, next, &people, now).await?;
        }
        Progress::Approved | Progress::Rejected => {
            tx.set_approval_state(approval_id, approval.state, now).await?;
            let kind = if progress == Progress::Approved { "approval.approved" } else { "approval.rejected" };
            emit(tx, kind, subject, who.actor, json!({ "approval_id": approval_id }), now).await?;
            apply_outcome(tx, who.actor, &rec, progress == Progress::Approved, now).await?;
        }
    }
    Ok(())
}

/// A request waiting for this approval moves on: approved to `fulfilling`, rejected to
/// `rejected`. Other tickets (or a request moved on by hand meanwhile) are left as they are.
async fn apply_outcome(tx: &mut Tx, actor: &Actor, rec: &ApprovalRecord, approved: bool, now: Ts) -> Result<()> {
    if rec.approval.subject_type != TICKET {
        return Ok(());
    }
    let ticket = tx.ticket_for_update(rec.approval.subject_id).await?;
    let def = ticket.kind.def();
    let (Some(waiting), Some((granted, refused))) = (def.approval_status, def.approval_outcome) else { return Ok(()) };
    if ticket.status != waiting {
        return Ok(());
    }
    let to = if approved { granted } else { refused };
    crate::tickets::transition::move_ticket(tx, actor, &ticket, to, None, None, true, now).await?;
    Ok(())
}

impl App {
    /// The caller decides on an approval (API and the Approvals page).
    #[tracing::instrument(skip(self, input))]
    pub async fn decide_approval(
        &self,
        actor: &Actor,
        approval_id: i64,
        input: DecisionInput,
        via: &'static str,
    ) -> Result<super::ApprovalView> {
        let user_id = actor.user_id.ok_or(AppError::Forbidden)?;
        let rec = self.db.approval_record(approval_id).await?;
        self.check_approval_visible(actor, &rec).await?;
        let decision = Decision::parse(&input.decision)?;
        let comment = parse_comment(input.comment.as_deref())?;
        if input.on_behalf_of.is_some_and(|u| u <= 0) {
            return Err(FieldError::new("on_behalf_of", "invalid_user", "a user id").into());
        }
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let who = Decider { actor, user_id, via };
        decide_in(&mut tx, &who, approval_id, decision, &comment, input.on_behalf_of, None, now).await?;
        tx.commit().await?;
        self.approval(actor, approval_id).await
    }
}
