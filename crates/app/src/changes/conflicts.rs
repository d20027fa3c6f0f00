//! A change's conflicts as the API answers them, and overriding them with a reason. The
//! override covers exactly the conflicts it was given for: a conflict that appears later
//! blocks approval again. Each override is recorded in the change's history with who gave
//! it and why, and as an event.

use super::scan::{self, override_keys};
use super::views::{ConflictView, ConflictsView, OverrideView};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::{Actor, FieldError};
use opsdesk_store::changes::Reader;
use opsdesk_store::Ts;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideInput {
    /// Why the change may go ahead despite its conflicts.
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

impl App {
    pub async fn change_conflicts(&self, actor: &Actor, id_or_number: &str) -> Result<ConflictsView> {
        let t = self.find_ticket(actor, id_or_number).await?;
        if t.kind != opsdesk_domain::ticket::Kind::Change || actor.role == opsdesk_domain::Role::Requester {
            return Err(AppError::NotFound);
        }
        let mut r = Reader::Db(&self.db);
        let Some(row) = r.change(t.id).await? else { return Err(AppError::NotFound) };
        let found = scan::scan(&mut r, &t, &row).await?;
        let covered = override_keys(&row);
        Ok(ConflictsView {
            conflicts: found.conflicts.iter().map(|c| ConflictView::of(c, &covered)).collect(),
            conflicts_override: row.override_reason.map(|reason| OverrideView {
                reason,
                by: row.override_by,
                at: row.override_at,
            }),
            next_free_window: found.next_free.map(Into::into),
        })
    }

    /// Overrides the change's present conflicts with a reason.
    #[tracing::instrument(skip(self, input))]
    pub async fn override_change_conflicts(
        &self,
        actor: &Actor,
        id_or_number: &str,
        input: OverrideInput,
    ) -> Result<ConflictsView> {
        let t = self.change_ticket(actor, id_or_number).await?;
        let reason = input.reason.trim();
        if reason.is_empty() || reason.chars().count() > 2000 || reason.contains('\0') {
            return Err(
                FieldError::new("reason", "required", "an override needs a reason of 1 to 2000 characters").into()
            );
        }
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let ticket = tx.ticket_for_update(t.id).await?;
        let Some(mut row) = tx.change_for_update(t.id).await? else { return Err(AppError::NotFound) };
        let found = scan::scan(&mut Reader::Tx(&mut tx), &ticket, &row).await?;
        if found.conflicts.is_empty() {
            return Err(AppError::Conflict {
                code: "no_conflicts",
                message: format!("{} has no conflicts to override", ticket.number),
            });
        }
        let keys: Vec<String> = found.conflicts.iter().map(|c| c.key()).collect();
        row.override_reason = Some(reason.to_string());
        row.override_keys = Some(json!(keys).to_string());
        row.override_by = actor.user_id;
        row.override_at = Some(now);
        row.updated_at = now;
        tx.put_change(&row).await?;
        let summary: Vec<String> =
            found.conflicts.iter().map(|c| format!("{} with {}", c.kind.as_str(), c.with)).collect();
        tx.record_change(
            ticket.id,
            actor.user_id,
            "change.conflicts_override",
            Some(&summary.join("; ")),
            Some(reason),
            now,
        )
        .await?;
        let payload = json!({ "reason": reason, "conflicts": summary });
        emit(&mut tx, "change.conflicts_overridden", format!("ticket:{}", ticket.id), actor, payload, now).await?;
        tx.commit().await?;
        self.change_conflicts(actor, &ticket.id.to_string()).await
    }
}
