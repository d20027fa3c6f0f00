//! Approvals for any record (tickets today): starting them (by an agent, or from the template of
//! a request's category or desk), deciding (through the API, the Approvals page or a signed
//! email link, by an approver or their active delegate), and what the outcome does to the
//! request. Each command is one transaction that also writes the decision's audit entry and the
//! `approval.*` outbox events.

mod decide;
mod delegation;
mod link;
mod mail;
mod nudge;
mod schema;
mod settings;
pub(crate) mod start;
mod templates;
mod view;

pub use decide::DecisionInput;
pub use delegation::{DelegateInput, DelegateView};
pub use link::{LinkCheck, LinkPage};
pub use mail::{ComposedMail, MailPurpose, MAIL_JOB};
pub use nudge::Nudged;
pub use schema::{ApproversSchema, CreateApprovalSchema, RuleSchema, StageInputSchema};
pub use settings::ApprovalSettings;
pub(crate) use start::on_ticket_moved;
/// For lifecycle code that starts a request's template approval itself.
#[allow(unused_imports)]
pub(crate) use start::start_template_approval;
pub use templates::{TemplateInput, TemplateView};
pub use view::{ApprovalView, ApproverView, DecisionView, StageView, SubjectView};

use crate::{App, AppError, Result};
use opsdesk_domain::approval::{Approval, ApprovalState, Decision, Refusal, Rule, Stage, StageState};
use opsdesk_domain::Actor;
use opsdesk_store::approvals::{ApprovalRecord, TICKET};

/// The domain's picture of a stored approval. A stage rule that does not parse is an error,
/// never a default rule: deciding under another rule than the one configured would be wrong.
pub(crate) fn to_domain(rec: &ApprovalRecord) -> Result<Approval> {
    let stages = rec
        .stages
        .iter()
        .map(|s| -> Result<Stage> {
            let what = format!("rule of approval stage {}", s.id);
            let raw: serde_json::Value = opsdesk_store::stored_json(&what, &s.rule)?;
            let rule = Rule::parse(&raw, "rule").map_err(|e| {
                tracing::error!(stage = s.id, error = %e.message, "a stored approval rule is invalid");
                AppError::Internal(format!("stored {what} is invalid"))
            })?;
            Ok(Stage {
                rule,
                approvers: rec.approvers.iter().filter(|a| a.stage_id == s.id).map(|a| a.user_id).collect(),
                decisions: rec
                    .decisions
                    .iter()
                    .filter(|d| d.stage_id == s.id)
                    .map(|d| (d.approver_id, Decision::parse(&d.decision).unwrap_or(Decision::Reject)))
                    .collect(),
                state: StageState::parse(&s.state).unwrap_or(StageState::Skipped),
            })
        })
        .collect::<Result<Vec<Stage>>>()?;
    Ok(Approval { state: ApprovalState::parse(&rec.approval.state).unwrap_or(ApprovalState::Cancelled), stages })
}

pub(crate) fn refusal(r: Refusal) -> AppError {
    match r {
        Refusal::Finished => {
            AppError::Conflict { code: "already_decided", message: "this approval is already decided".into() }
        }
        Refusal::AlreadyDecided => AppError::Conflict {
            code: "already_decided",
            message: "a decision was already recorded for this approver in this stage".into(),
        },
        Refusal::NotAnApprover => AppError::Refused {
            code: "not_an_approver",
            message: "you are not an approver of the current stage, nor the active delegate of one".into(),
        },
    }
}

impl App {
    /// An approval, if the actor may see it: those who see its ticket, its approvers and
    /// their delegates.
    pub async fn approval(&self, actor: &Actor, id: i64) -> Result<ApprovalView> {
        let rec = self.db.approval_record(id).await?;
        self.check_approval_visible(actor, &rec).await?;
        self.approval_view(rec).await
    }

    pub(crate) async fn check_approval_visible(&self, actor: &Actor, rec: &ApprovalRecord) -> Result<()> {
        if rec.approval.subject_type == TICKET {
            let t = self.db.ticket(rec.approval.subject_id).await?;
            if actor.can_see_ticket(&t.access()) {
                return Ok(());
            }
        }
        match actor.user_id {
            Some(u) if self.db.is_approval_participant(rec.approval.id, u).await? => Ok(()),
            _ => Err(AppError::NotFound),
        }
    }

    /// The approvals of a ticket the actor sees, newest first.
    pub async fn ticket_approvals(&self, actor: &Actor, id_or_number: &str) -> Result<Vec<ApprovalView>> {
        let t = self.find_ticket(actor, id_or_number).await?;
        let mut out = Vec::new();
        for id in self.db.approvals_of(TICKET, t.id).await? {
            out.push(self.approval_view(self.db.approval_record(id).await?).await?);
        }
        Ok(out)
    }

    /// Pending approvals whose current stage waits on the actor, as approver or as the active
    /// delegate of an approver.
    pub async fn approvals_waiting_on_me(&self, actor: &Actor) -> Result<Vec<ApprovalView>> {
        let Some(user) = actor.user_id else { return Ok(vec![]) };
        let mut out = Vec::new();
        for id in self.db.approvals_waiting_on(user, opsdesk_store::Ts::now()).await? {
            out.push(self.approval_view(self.db.approval_record(id).await?).await?);
        }
        Ok(out)
    }
}
