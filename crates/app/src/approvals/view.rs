//! What the API and the pages show of an approval: app-owned views, not store rows.

use crate::{App, Result};
use opsdesk_domain::approval::Rule;
use opsdesk_store::approvals::{ApprovalRecord, TICKET};
use opsdesk_store::Ts;
use serde::Serialize;

/// An approval of a record (a ticket): its state and its stages in order.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Approval)]
pub struct ApprovalView {
    pub id: i64,
    pub subject: SubjectView,
    #[schema(value_type = ApprovalStateSchema)]
    pub state: String,
    pub requested_by: Option<i64>,
    pub template_id: Option<i64>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<Ts>,
    /// The position of the stage deciding now; `null` once finished.
    pub current_stage: Option<usize>,
    pub stages: Vec<StageView>,
}

/// The record an approval is for.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ApprovalSubject)]
pub struct SubjectView {
    /// `ticket`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: i64,
    pub number: Option<String>,
    pub title: Option<String>,
    pub status: Option<String>,
}

/// A stage: its approvers, the rule, and the decisions made in it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ApprovalStage)]
pub struct StageView {
    pub position: usize,
    /// `waiting`, `pending`, `approved`, `rejected` or `skipped`.
    #[schema(value_type = StageStateSchema)]
    pub state: String,
    #[schema(value_type = super::RuleSchema)]
    pub rule: serde_json::Value,
    /// Approvals this stage needs.
    pub required: usize,
    pub approvers: Vec<ApproverView>,
    pub decisions: Vec<DecisionView>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<Ts>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<Ts>,
}

/// An approver of a stage.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Approver)]
pub struct ApproverView {
    pub id: i64,
    pub name: String,
    pub email: String,
    /// How they came to approve: `user`, `group:<id>` or `manager`.
    pub source: String,
    /// `approve` or `reject` once they (or their delegate) decided.
    #[schema(value_type = Option<DecisionSchema>)]
    pub decision: Option<String>,
}

/// A decision, audited.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ApprovalDecision)]
pub struct DecisionView {
    pub id: i64,
    /// The approver the decision counts for.
    pub approver: i64,
    /// Who made it: the approver, or their delegate.
    pub decided_by: i64,
    pub decided_by_name: String,
    /// The approver, when a delegate decided for them; else `null`.
    pub on_behalf_of: Option<i64>,
    #[schema(value_type = DecisionSchema)]
    pub decision: String,
    pub comment: String,
    /// Through the API, the Approvals page or a signed email link.
    #[schema(value_type = DecisionVia)]
    pub via: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Ts,
}

/// Where an approval stands.
#[derive(utoipa::ToSchema)]
#[schema(as = ApprovalState, rename_all = "snake_case")]
#[allow(dead_code)] // documents `ApprovalView::state` (`ApprovalState::parse`)
enum ApprovalStateSchema {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

/// Where a stage stands: `waiting` for the stages before it, `pending` while it decides.
#[derive(utoipa::ToSchema)]
#[schema(as = ApprovalStageState, rename_all = "snake_case")]
#[allow(dead_code)] // documents `StageView::state` (`StageState::parse`)
enum StageStateSchema {
    Waiting,
    Pending,
    Approved,
    Rejected,
    Skipped,
}

/// An approver's answer.
#[derive(utoipa::ToSchema)]
#[schema(as = ApprovalDecisionValue, rename_all = "snake_case")]
#[allow(dead_code)] // documents decisions (`Decision::parse`)
pub(crate) enum DecisionSchema {
    Approve,
    Reject,
}

/// The edge a decision came through.
#[derive(utoipa::ToSchema)]
#[schema(as = ApprovalVia, rename_all = "snake_case")]
#[allow(dead_code)] // documents `DecisionView::via`
enum DecisionVia {
    Api,
    Web,
    Link,
}

impl App {
    pub(crate) async fn approval_view(&self, rec: ApprovalRecord) -> Result<ApprovalView> {
        let subject = if rec.approval.subject_type == TICKET {
            let t = self.db.ticket(rec.approval.subject_id).await.ok();
            SubjectView {
                kind: TICKET.into(),
                id: rec.approval.subject_id,
                number: t.as_ref().map(|t| t.number.clone()),
                title: t.as_ref().map(|t| t.title.clone()),
                status: t.as_ref().map(|t| t.status.as_str().to_string()),
            }
        } else {
            SubjectView {
                kind: rec.approval.subject_type.clone(),
                id: rec.approval.subject_id,
                number: None,
                title: None,
                status: None,
            }
        };
        Ok(view_of(&rec, subject))
    }
}

pub(crate) fn view_of(rec: &ApprovalRecord, subject: SubjectView) -> ApprovalView {
    let stages: Vec<StageView> = rec
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            // Shown as null when damaged (logged); deciding refuses it (`to_domain`).
            let rule_json: serde_json::Value =
                opsdesk_store::stored_json(&format!("rule of approval stage {}", s.id), &s.rule)
                    .unwrap_or(serde_json::Value::Null);
            let approvers: Vec<ApproverView> = rec
                .approvers
                .iter()
                .filter(|a| a.stage_id == s.id)
                .map(|a| ApproverView {
                    id: a.user_id,
                    name: a.name.clone(),
                    email: a.email.clone(),
                    source: a.source.clone(),
                    decision: rec
                        .decisions
                        .iter()
                        .find(|d| d.stage_id == s.id && d.approver_id == a.user_id)
                        .map(|d| d.decision.clone()),
                })
                .collect();
            let required = Rule::parse(&rule_json, "rule").map(|r| r.required(approvers.len())).unwrap_or(0);
            StageView {
                position: i,
                state: s.state.clone(),
                rule: rule_json,
                required,
                decisions: rec
                    .decisions
                    .iter()
                    .filter(|d| d.stage_id == s.id)
                    .map(|d| DecisionView {
                        id: d.id,
                        approver: d.approver_id,
                        decided_by: d.decided_by,
                        decided_by_name: d.decided_by_name.clone(),
                        on_behalf_of: (d.decided_by != d.approver_id).then_some(d.approver_id),
                        decision: d.decision.clone(),
                        comment: d.comment.clone(),
                        via: d.via.clone(),
                        at: d.created_at,
                    })
                    .collect(),
                approvers,
                started_at: s.started_at,
                finished_at: s.finished_at,
            }
        })
        .collect();
    ApprovalView {
        id: rec.approval.id,
        subject,
        state: rec.approval.state.clone(),
        requested_by: rec.approval.requested_by,
        template_id: rec.approval.template_id,
        created_at: rec.approval.created_at,
        finished_at: rec.approval.finished_at,
        current_stage: stages.iter().position(|s| s.state == "pending").filter(|_| rec.approval.state == "pending"),
        stages,
    }
}
