//! Moving a ticket through its lifecycle: agents work it; requesters confirm a resolution,
//! reopen, or cancel their own; resolved tickets close by themselves after a quiet period;
//! resolving a problem can resolve the incidents it caused.

use super::{body_text, TicketView};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::ticket::{HoldReason, Kind, Status, StatusClass};
use opsdesk_domain::{Actor, FieldError, Role};
use opsdesk_store::tickets::Ticket;
use opsdesk_store::{Ts, Tx};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    /// A status of the ticket's kind that its current status leads to.
    #[schema(value_type = crate::schema::StatusSchema)]
    pub to: String,
    #[schema(max_length = 65536, pattern = r"^[^\u0000]*$")]
    pub comment: Option<String>,
    /// Whether the comment is a public reply (default) or an internal note.
    pub public: Option<bool>,
    /// Required when the status is `on_hold`.
    #[schema(value_type = Option<crate::schema::HoldReasonSchema>)]
    pub hold_reason: Option<String>,
    /// Resolving a problem: also resolve the open incidents linked to it, with `comment` as a
    /// public note on each.
    #[serde(default)]
    pub resolve_linked_incidents: bool,
}

pub(crate) const CAUSED_BY: &str = "caused_by";
/// A change fixes a problem: the change is the source.
pub(crate) const FIXES: &str = "fixes";

impl App {
    #[tracing::instrument(skip(self, input))]
    pub async fn transition_ticket(
        &self,
        actor: &Actor,
        id_or_number: &str,
        expected_version: Option<i64>,
        input: TransitionInput,
    ) -> Result<TicketView> {
        let current = self.find_ticket(actor, id_or_number).await?;
        let to = Status::parse(&input.to).map_err(|e| e.at("to"))?;
        let hold = input.hold_reason.as_deref().map(HoldReason::parse).transpose()?;
        let comment = match input.comment.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(body_text(c, "comment", super::DESCRIPTION_MAX)?),
            None => None,
        };
        let public = input.public.unwrap_or(true);
        if actor.role == Role::Requester {
            // Requesters act only on their own tickets: confirm, reopen, or cancel.
            let own = actor.user_id == Some(current.requester_id);
            let k = current.kind;
            let resolved = current.status == k.resolved_status();
            let allowed = resolved && (to == Status::Closed || Some(to) == k.reopen_status())
                || to == Status::Cancelled && current.status.is_open();
            if !own || !allowed || !public || input.resolve_linked_incidents || !k.def().requester_facing {
                return Err(AppError::Forbidden);
            }
        } else if !actor.can_work_ticket(&current.access()) {
            return Err(AppError::Forbidden);
        }
        if input.resolve_linked_incidents && !(current.kind == Kind::Problem && to == Status::Resolved) {
            return Err(
                FieldError::new("resolve_linked_incidents", "not_applicable", "only when resolving a problem").into()
            );
        }

        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let before = tx.ticket_for_update(current.id).await?;
        if expected_version.is_some_and(|v| v != before.version) {
            return Err(AppError::Stale(Box::new(TicketView::from(&before))));
        }
        let after = move_ticket(&mut tx, actor, &before, to, hold, comment.as_deref(), public, now).await?;
        if input.resolve_linked_incidents {
            let note = format!(
                "Resolved together with problem {}: {}",
                after.number,
                comment.as_deref().unwrap_or("the underlying cause was removed.")
            );
            for id in tx.linked_sources(after.id, CAUSED_BY).await? {
                let incident = tx.ticket_for_update(id).await?;
                let can_resolve = incident.kind.can_move(incident.status, Status::Resolved);
                if can_resolve && actor.can_see_ticket(&incident.access()) {
                    // An incident whose own guards hold it (open tasks) stays as it is.
                    match move_ticket(&mut tx, actor, &incident, Status::Resolved, None, Some(&note), true, now).await {
                        Ok(_) | Err(AppError::GuardFailed(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(TicketView::from(&after))
    }

    /// Closes resolved tickets whose quiet period has passed (the scheduled job). Returns how
    /// many were closed.
    pub async fn auto_close_resolved(&self, now: Ts) -> Result<usize> {
        let quiet = self.ticket_settings().await?.auto_close_after_secs;
        let cutoff = Ts::from_micros(now.micros() - quiet.saturating_mul(1_000_000));
        let system = Actor::system();
        let mut closed = 0;
        loop {
            let due = self.db.tickets_due_for_close(cutoff, 200).await?;
            if due.is_empty() {
                break;
            }
            for id in &due {
                let mut tx = self.db.begin().await?;
                let t = tx.ticket_for_update(*id).await?;
                // Re-checked under the lock: a reply may have reopened it meanwhile.
                if t.status == t.kind.resolved_status() && t.resolved_at.is_some_and(|r| r < cutoff) {
                    let note = "Closed automatically: no reply since the resolution.";
                    move_ticket(&mut tx, &system, &t, Status::Closed, None, Some(note), true, now).await?;
                    closed += 1;
                }
                tx.commit().await?;
            }
            if due.len() < 200 {
                break;
            }
        }
        Ok(closed)
    }
}

/// Applies one transition inside `tx`: checks the lifecycle and its guards, stamps resolution
/// and closure, sets the detail flags the kind sets on entering the status, adds the comment,
/// records history and the event.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn move_ticket(
    tx: &mut Tx,
    actor: &Actor,
    before: &Ticket,
    to: Status,
    hold: Option<HoldReason>,
    comment: Option<&str>,
    public: bool,
    now: Ts,
) -> Result<Ticket> {
    super::guards::check_move(tx, before, to, hold).await?;
    let def = before.kind.def();
    let mut after = before.clone();
    after.status = to;
    after.is_open = to.is_open();
    after.hold_reason = match def.hold {
        Some((hold_status, _)) if hold_status == to => hold.map(|h| h.as_str().to_string()),
        _ => None,
    };
    if to == def.resolved {
        after.resolved_at = Some(now);
    } else if to.is_open() {
        after.resolved_at = None;
    }
    if to.class() == StatusClass::Closed {
        after.closed_at = Some(now);
    }
    after.updated_at = now;
    let Some(stored) = tx.update_ticket(&after).await? else {
        return Err(AppError::Conflict {
            code: "concurrent_change",
            message: "the ticket changed meanwhile; try again".into(),
        });
    };
    for (field, old, new) in super::update::diff(before, &stored) {
        tx.record_change(stored.id, actor.user_id, field, old.as_deref(), new.as_deref(), now).await?;
    }
    for (_, flag) in def.flags_on_enter.iter().filter(|(s, _)| *s == to) {
        let mut detail = tx.ticket_detail(stored.id).await?;
        if detail.get(*flag) != Some(&serde_json::Value::Bool(true)) {
            detail.insert(flag.to_string(), serde_json::Value::Bool(true));
            tx.put_ticket_detail(stored.id, &detail).await?;
            let field = format!("detail.{flag}");
            tx.record_change(stored.id, actor.user_id, &field, Some("false"), Some("true"), now).await?;
        }
    }
    if let Some(text) = comment {
        tx.insert_comment(stored.id, actor.user_id, text, public, "transition", now).await?;
        tx.index_comment(stored.id, text, public).await?;
    }
    crate::changes::on_moved(tx, &stored, now).await?;
    crate::approvals::on_ticket_moved(tx, actor, before.status, &stored, now).await?;
    crate::catalog::on_ticket_moved(tx, actor, before.status, &stored, now).await?;
    let change = crate::sla::track::Change::Moved { before, public_reply: comment.is_some() && public };
    crate::sla::track::track(tx, actor, &stored, change, now).await?;
    let payload = json!({ "from": before.status, "to": to });
    emit(tx, "ticket.transitioned", format!("ticket:{}", stored.id), actor, payload, now).await?;
    Ok(stored)
}
