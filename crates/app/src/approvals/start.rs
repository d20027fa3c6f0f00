//! Starting an approval: resolving who approves each stage (named users, group members, the
//! requester's manager), writing the approval, and opening its first stage (one request mail
//! per approver, an `approval.requested` event). Agents start one on a ticket; a service
//! request entering `awaiting_approval` starts its category's or desk's template.

use super::mail::{MailPurpose, MAIL_JOB};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::approval::{ApprovalSpec, GroupRef, Rule, StageState, UserRef};
use opsdesk_domain::ticket::{Kind, Status};
use opsdesk_domain::{Actor, FieldError, Invalid};
use opsdesk_store::approvals::TICKET;
use opsdesk_store::jobs::NewJob;
use opsdesk_store::tickets::Ticket;
use opsdesk_store::{Ts, Tx};
use serde_json::json;

/// A stage with its people resolved: (user id, how they came to approve).
pub(crate) struct ResolvedStage {
    pub rule: Rule,
    pub approvers: Vec<(i64, String)>,
}

/// Resolves each stage's references against committed users and groups. A user or group that
/// does not exist is always a field error (a misspelt approver would leave changes waiting on
/// nobody); inactive people are left out; a stage with nobody left, or whose rule needs more
/// people than it has, is a field error when `strict`, and dropped otherwise (policies, whose
/// groups may gain members before an approval starts).
pub(crate) async fn resolve(
    tx: &mut Tx,
    spec: &ApprovalSpec,
    requester_id: i64,
    strict: bool,
) -> Result<Vec<ResolvedStage>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, s) in spec.stages.iter().enumerate() {
        let at = format!("stages[{i}]");
        let mut people: Vec<(i64, String)> = Vec::new();
        fn add(people: &mut Vec<(i64, String)>, id: i64, source: String) {
            if !people.iter().any(|(p, _)| *p == id) {
                people.push((id, source));
            }
        }
        for (j, u) in s.approvers.users.iter().enumerate() {
            let found = match u {
                UserRef::Id(id) => tx.active_person(Some(*id), None).await?,
                UserRef::Email(e) => tx.active_person(None, Some(e.as_str())).await?,
            };
            match found {
                Some(p) => add(&mut people, p.id, "user".into()),
                None => {
                    errors.push(FieldError::new(format!("{at}.approvers.users[{j}]"), "unknown", "no such active user"))
                }
            }
        }
        for (j, g) in s.approvers.groups.iter().enumerate() {
            let group = match g {
                GroupRef::Id(id) => tx.group_id_named(Some(*id), None).await?,
                GroupRef::Name(n) => tx.group_id_named(None, Some(n)).await?,
            };
            let Some(group) = group else {
                errors.push(FieldError::new(format!("{at}.approvers.groups[{j}]"), "unknown", "no such group"));
                continue;
            };
            for m in tx.active_member_ids(group).await? {
                add(&mut people, m, format!("group:{group}"));
            }
        }
        if s.approvers.manager {
            let manager = match tx.active_person(Some(requester_id), None).await? {
                Some(r) => match r.manager_id {
                    Some(m) => tx.active_person(Some(m), None).await?,
                    None => None,
                },
                None => None,
            };
            match manager {
                Some(m) => add(&mut people, m.id, "manager".into()),
                None if strict && s.approvers.users.is_empty() && s.approvers.groups.is_empty() => {
                    errors.push(FieldError::new(
                        format!("{at}.approvers.manager"),
                        "no_manager",
                        "the requester has no active manager",
                    ))
                }
                None => {}
            }
        }
        if people.is_empty() {
            if strict {
                errors.push(FieldError::new(
                    format!("{at}.approvers"),
                    "no_approvers",
                    "no active approver in this stage",
                ));
            }
            continue;
        }
        if let Err(e) = s.rule.check_against(people.len(), &format!("{at}.rule")) {
            if strict {
                errors.push(e);
            }
            continue;
        }
        out.push(ResolvedStage { rule: s.rule, approvers: people });
    }
    if !errors.is_empty() {
        return Err(Invalid(errors).into());
    }
    Ok(out)
}

/// Writes an approval of `ticket` with its stages and opens the first. Returns its id.
pub(crate) async fn insert_approval(
    tx: &mut Tx,
    actor: &Actor,
    ticket: &Ticket,
    template_id: Option<i64>,
    stages: &[ResolvedStage],
    now: Ts,
) -> Result<i64> {
    let id = tx.insert_approval(TICKET, ticket.id, template_id, actor.user_id, now).await?;
    let mut first = None;
    for (i, s) in stages.iter().enumerate() {
        let state = if i == 0 { StageState::Pending } else { StageState::Waiting };
        let rule = s.rule.to_json().to_string();
        let started = (i == 0).then_some(now);
        let stage_id = tx.insert_approval_stage(id, i as i64, &rule, state.as_str(), started).await?;
        for (pos, (user, source)) in s.approvers.iter().enumerate() {
            tx.insert_approval_approver(stage_id, *user, source, pos as i64).await?;
        }
        if i == 0 {
            first = Some(stage_id);
        }
    }
    emit(tx, "approval.created", format!("ticket:{}", ticket.id), actor, json!({ "approval_id": id }), now).await?;
    if let (Some(stage_id), Some(s)) = (first, stages.first()) {
        let people: Vec<i64> = s.approvers.iter().map(|(u, _)| *u).collect();
        open_stage(tx, actor, ticket.id, id, stage_id, 0, &people, now).await?;
    }
    Ok(id)
}

/// A stage starts: each approver is asked by mail (one job each, keyed so it exists once) and
/// the `approval.requested` event is written.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn open_stage(
    tx: &mut Tx,
    actor: &Actor,
    ticket_id: i64,
    approval_id: i64,
    stage_id: i64,
    position: usize,
    approvers: &[i64],
    now: Ts,
) -> Result<()> {
    for a in approvers {
        enqueue_mail(tx, stage_id, *a, MailPurpose::Request, now).await?;
    }
    let payload = json!({ "approval_id": approval_id, "stage": position, "approvers": approvers });
    emit(tx, "approval.requested", format!("ticket:{ticket_id}"), actor, payload, now).await
}

pub(crate) async fn enqueue_mail(
    tx: &mut Tx,
    stage_id: i64,
    approver: i64,
    purpose: MailPurpose,
    now: Ts,
) -> Result<()> {
    let key = format!("approval-mail:{stage_id}:{approver}:{}", purpose.as_str());
    let job = NewJob {
        kind: MAIL_JOB,
        payload: json!({ "stage_id": stage_id, "approver_id": approver, "purpose": purpose.as_str() }),
        // Due at once, even when a scan was asked about a later instant.
        run_at: now.min(Ts::now()),
        max_attempts: crate::mail::SEND_ATTEMPTS,
        unique_key: Some(&key),
    };
    tx.enqueue_job(&job, now).await?;
    Ok(())
}

/// Starts the approval template of a service request's category (or, without one, of its
/// desk) when the request has none pending. Called when a request enters
/// `awaiting_approval`; a request with no template is left as it is.
pub(crate) async fn start_template_approval(tx: &mut Tx, actor: &Actor, ticket: &Ticket, now: Ts) -> Result<()> {
    if ticket.kind != Kind::ServiceRequest || !tx.pending_approvals_of(TICKET, ticket.id).await?.is_empty() {
        return Ok(());
    }
    let Some(template) = tx.approval_template_for(ticket.desk_id, ticket.category_id).await? else { return Ok(()) };
    let value: serde_json::Value =
        serde_json::from_str(&template.spec).map_err(|e| AppError::Internal(format!("template spec: {e}")))?;
    let spec = ApprovalSpec::parse(&value)?;
    let stages = resolve(tx, &spec, ticket.requester_id, false).await?;
    if stages.is_empty() {
        tracing::warn!(ticket = ticket.id, template = template.id, "approval template has no active approver");
        return Ok(());
    }
    insert_approval(tx, actor, ticket, Some(template.id), &stages, now).await?;
    Ok(())
}

/// Starts the approval policy of a change's type and risk class, unless an approval is
/// pending or was already granted. A change without a policy waits for an agent to start one.
pub(crate) async fn start_change_approval(tx: &mut Tx, actor: &Actor, ticket: &Ticket, now: Ts) -> Result<()> {
    if !tx.pending_approvals_of(TICKET, ticket.id).await?.is_empty()
        || tx.latest_approval_state(ticket.id).await? == Some(opsdesk_domain::approval::ApprovalState::Approved)
            && ticket.status == Status::Implementing
    {
        return Ok(());
    }
    let Some(change) = tx.change_for_update(ticket.id).await? else { return Ok(()) };
    let Some(policy) = tx.change_approval_policy_for(&change.change_type, &change.risk_class).await? else {
        return Ok(());
    };
    let stages: serde_json::Value =
        serde_json::from_str(&policy.stages).map_err(|e| AppError::Internal(format!("policy stages: {e}")))?;
    let spec = ApprovalSpec::parse(&json!({ "stages": stages }))?;
    let stages = resolve(tx, &spec, ticket.requester_id, false).await?;
    if stages.is_empty() {
        tracing::warn!(ticket = ticket.id, policy = policy.id, "change approval policy has no active approver");
        return Ok(());
    }
    insert_approval(tx, actor, ticket, None, &stages, now).await?;
    Ok(())
}

/// What a ticket's move means for its approvals: entering `awaiting_approval` starts the
/// template; leaving the open statuses (cancelled, closed, resolved) withdraws a pending
/// approval, so nobody is asked, reminded or escalated for it any more.
pub(crate) async fn on_ticket_moved(tx: &mut Tx, actor: &Actor, from: Status, ticket: &Ticket, now: Ts) -> Result<()> {
    if ticket.kind == Kind::Change {
        // A change asks its CAB on entering awaiting approval; an emergency change implemented
        // before it was scheduled asks its emergency CAB at once, to approve afterwards.
        let asks = ticket.status == Status::AwaitingApproval
            || ticket.status == Status::Implementing && from != Status::Scheduled;
        if asks && from != ticket.status {
            return start_change_approval(tx, actor, ticket, now).await;
        }
    } else if ticket.status == Status::AwaitingApproval && from != ticket.status {
        return start_template_approval(tx, actor, ticket, now).await;
    }
    if ticket.status.is_open() {
        return Ok(());
    }
    for id in tx.pending_approvals_of(TICKET, ticket.id).await? {
        let rec = tx.approval_for_update(id).await?;
        let mut approval = super::to_domain(&rec)?;
        if approval.cancel().is_err() {
            continue;
        }
        for (i, s) in approval.stages.iter().enumerate() {
            if rec.stages[i].state != s.state.as_str() {
                tx.set_approval_stage_state(rec.stages[i].id, s.state.as_str(), None, Some(now)).await?;
            }
        }
        tx.set_approval_state(id, approval.state, now).await?;
        let payload = json!({ "approval_id": id, "reason": format!("the ticket is {}", ticket.status.as_str()) });
        emit(tx, "approval.cancelled", format!("ticket:{}", ticket.id), actor, payload, now).await?;
    }
    Ok(())
}

impl App {
    /// Starts an approval on a ticket the actor works. A service request still `submitted`
    /// moves to `awaiting_approval` with it.
    #[tracing::instrument(skip(self, input))]
    pub async fn create_approval(
        &self,
        actor: &Actor,
        id_or_number: &str,
        input: &serde_json::Value,
    ) -> Result<super::ApprovalView> {
        let t = self.workable_ticket(actor, id_or_number).await?;
        if let Some(obj) = input.as_object() {
            if let Some(k) = obj.keys().find(|k| k.as_str() != "stages") {
                return Err(FieldError::new(k.clone(), "unknown_field", "an approval has only stages").into());
            }
        }
        let spec = ApprovalSpec::parse(input)?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let ticket = tx.ticket_for_update(t.id).await?;
        let stages = resolve(&mut tx, &spec, ticket.requester_id, true).await?;
        if !tx.pending_approvals_of(TICKET, ticket.id).await?.is_empty() {
            return Err(AppError::Conflict {
                code: "approval_pending",
                message: "this ticket already has a pending approval".into(),
            });
        }
        let id = insert_approval(&mut tx, actor, &ticket, None, &stages, now).await?;
        if ticket.kind == Kind::ServiceRequest && ticket.status == Status::Submitted {
            let to = Status::AwaitingApproval;
            crate::tickets::transition::move_ticket(&mut tx, actor, &ticket, to, None, None, true, now).await?;
        }
        tx.commit().await?;
        self.approval(actor, id).await
    }
}
