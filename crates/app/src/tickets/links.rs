//! Links between tickets (a problem's incidents, duplicates, parent and child, related) and
//! watchers.

use super::refs::Ref;
use super::transition::{move_ticket, CAUSED_BY, FIXES};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::ticket::{Kind, Status};
use opsdesk_domain::{Actor, FieldError};
use opsdesk_store::tickets::Link;
use opsdesk_store::Ts;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    /// `caused_by` (an incident caused by a problem or a change), `fixes` (a change that fixes
    /// a problem), `duplicate_of`, `parent_of`, `child_of`, `related`.
    #[serde(rename = "type")]
    #[schema(value_type = super::views::LinkType)]
    pub link_type: String,
    /// The other ticket: id or number.
    pub target: Ref,
}

impl App {
    /// Links two tickets the actor may work. Marking a ticket a duplicate merges it: the
    /// duplicate is closed (cancelled) with a public note naming the survivor, the survivor
    /// gets an internal note and the duplicate's requester as a watcher.
    pub async fn link_tickets(&self, actor: &Actor, id_or_number: &str, input: LinkInput) -> Result<Link> {
        let source = self.workable_ticket(actor, id_or_number).await?;
        let target_ref = match &input.target {
            Ref::Id(id) => id.to_string(),
            Ref::Name(n) => n.clone(),
        };
        let target = self.workable_ticket(actor, &target_ref).await.map_err(|e| match e {
            AppError::NotFound | AppError::Forbidden => {
                AppError::from(FieldError::new("target", "unknown", "no such ticket, or not one you work"))
            }
            other => other,
        })?;
        if source.id == target.id {
            return Err(FieldError::new("target", "self_link", "a ticket cannot link to itself").into());
        }
        // Parent/child is stored one way: the parent is the source.
        let (from, to, kind) = match input.link_type.as_str() {
            "caused_by" => {
                // What caused it: a problem (the underlying cause) or a change (the change
                // reports count the incidents a change caused).
                let causes = [Kind::Problem, Kind::Change];
                if causes.contains(&source.kind) || !causes.contains(&target.kind) {
                    return Err(FieldError::new(
                        "type",
                        "wrong_kinds",
                        "caused_by links an incident or request to a problem or a change",
                    )
                    .into());
                }
                (&source, &target, CAUSED_BY)
            }
            "fixes" => {
                // The change that removes a problem's root cause: the problem's record shows
                // the change, and the change's record the problem it is meant to fix.
                if source.kind != Kind::Change || target.kind != Kind::Problem {
                    return Err(
                        FieldError::new("type", "wrong_kinds", "fixes links a change to the problem it fixes").into()
                    );
                }
                (&source, &target, FIXES)
            }
            "duplicate_of" => {
                if source.kind != target.kind {
                    return Err(FieldError::new("type", "wrong_kinds", "a duplicate is of the same kind").into());
                }
                (&source, &target, "duplicate_of")
            }
            "parent_of" => (&source, &target, "parent_of"),
            "child_of" => (&target, &source, "parent_of"),
            "related" => (&source, &target, "related"),
            _ => {
                return Err(FieldError::new(
                    "type",
                    "invalid_link_type",
                    "type is one of caused_by, fixes, duplicate_of, parent_of, child_of, related",
                )
                .into())
            }
        };
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let Some(link) = tx.insert_link(from.id, to.id, kind, actor.user_id, now).await? else {
            return Err(AppError::Conflict {
                code: "link_exists",
                message: "these tickets are already linked so".into(),
            });
        };
        tx.record_change(from.id, actor.user_id, "link", None, Some(&format!("{kind} {}", to.number)), now).await?;
        if kind == "duplicate_of" {
            let dup = tx.ticket_for_update(source.id).await?;
            let survivor_note = format!("{} was merged into this ticket as a duplicate.", dup.number);
            tx.insert_comment(target.id, actor.user_id, &survivor_note, false, "merge", now).await?;
            tx.add_watcher(target.id, dup.requester_id).await?;
            if dup.kind.allowed_from(dup.status).contains(&Status::Cancelled) {
                let note = format!("Merged into {} as a duplicate; follow it there.", target.number);
                move_ticket(&mut tx, actor, &dup, Status::Cancelled, None, Some(&note), true, now).await?;
            }
        }
        let payload = json!({ "type": kind, "target": to.id });
        emit(&mut tx, "ticket.linked", format!("ticket:{}", from.id), actor, payload, now).await?;
        tx.commit().await?;
        Ok(link)
    }

    pub async fn add_watcher(&self, actor: &Actor, id_or_number: &str, user: &Ref) -> Result<()> {
        let t = self.workable_ticket(actor, id_or_number).await?;
        let u = self.resolve_user(user, "user").await?;
        let mut tx = self.db.begin().await?;
        if tx.add_watcher(t.id, u.id).await? {
            tx.record_change(t.id, actor.user_id, "watcher_added", None, Some(&u.email), Ts::now()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_watcher(&self, actor: &Actor, id_or_number: &str, user_id: i64) -> Result<()> {
        let t = self.workable_ticket(actor, id_or_number).await?;
        let mut tx = self.db.begin().await?;
        if !tx.remove_watcher(t.id, user_id).await? {
            return Err(AppError::NotFound);
        }
        tx.record_change(t.id, actor.user_id, "watcher_removed", Some(&user_id.to_string()), None, Ts::now()).await?;
        tx.commit().await?;
        Ok(())
    }
}
