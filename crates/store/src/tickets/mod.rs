//! Tickets of every kind: the record, numbering, optimistic updates, and everything around it
//! (timeline, history, links, watchers, search, desks and their configuration).

mod bulk;
mod desks;
pub mod filter;
mod kinds;
mod links;
mod search;
mod timeline;
mod views;

pub use bulk::{BulkChange, BulkComment, BulkSearchEntry};
pub use desks::{Category, CustomFieldRow, ServiceDesk};
pub use filter::{Col, Cond, SortCol, TicketFilter};
pub use links::{Link, Watcher};
pub use timeline::{Attachment, Comment, HistoryEntry, NewAttachment};
pub use views::SavedView;

use crate::{Backend, Db, Result, Ts, Tx};
use opsdesk_domain::ticket::{Kind, Status};
use serde::Serialize;

macro_rules! ticket_cols {
    () => {
        "id, number, kind, desk_id, title, description, status, is_open, hold_reason, impact, urgency, priority, \
         priority_override_reason, category_id, requester_id, organization_id, shared_with_organization, group_id, \
         assignee_id, custom_fields, external_id, version, created_at, updated_at, resolved_at, closed_at, sla_due_at, \
         parent_id"
    };
}
pub(crate) use ticket_cols;

/// A ticket as stored.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Ticket {
    pub id: i64,
    pub number: String,
    #[sqlx(try_from = "String")]
    pub kind: Kind,
    pub desk_id: i64,
    pub title: String,
    pub description: String,
    #[sqlx(try_from = "String")]
    pub status: Status,
    pub is_open: bool,
    pub hold_reason: Option<String>,
    pub impact: i64,
    pub urgency: i64,
    pub priority: i64,
    pub priority_override_reason: Option<String>,
    pub category_id: Option<i64>,
    pub requester_id: i64,
    pub organization_id: Option<i64>,
    pub shared_with_organization: bool,
    pub group_id: Option<i64>,
    pub assignee_id: Option<i64>,
    /// A JSON object.
    pub custom_fields: String,
    pub external_id: Option<String>,
    pub version: i64,
    pub created_at: Ts,
    pub updated_at: Ts,
    pub resolved_at: Option<Ts>,
    pub closed_at: Option<Ts>,
    /// The nearest due instant of the running SLA clocks (microseconds), or
    /// [`NO_DUE`](crate::sla::NO_DUE) when none runs. Kept by the SLA code; never written from here.
    #[serde(skip)]
    pub sla_due_at: i64,
    /// The ticket a task belongs to; set at creation, never changed.
    pub parent_id: Option<i64>,
}

impl Ticket {
    pub fn access(&self) -> opsdesk_domain::ticket::TicketAccess {
        opsdesk_domain::ticket::TicketAccess {
            kind: self.kind,
            requester_id: self.requester_id,
            organization_id: self.organization_id,
            shared_with_organization: self.shared_with_organization,
            group_id: self.group_id,
            assignee_id: self.assignee_id,
        }
    }
}

impl Tx {
    /// The next number of a kind. SQLite: a counter row (one writer, so no contention).
    /// PostgreSQL: a sequence, which never blocks concurrent creators; a rolled-back creation
    /// leaves a gap, which numbers tolerate.
    pub async fn next_ticket_seq(&mut self, kind: Kind) -> Result<i64> {
        let row: (i64,) = match self.backend() {
            Backend::Sqlite => on_tx!(self, |c| sqlx::query_as(
                "INSERT INTO ticket_counters (kind, last) VALUES ($1, 1) \
                 ON CONFLICT (kind) DO UPDATE SET last = ticket_counters.last + 1 RETURNING last"
            )
            .bind(kind.as_str())
            .fetch_one(c)
            .await?),
            Backend::Postgres => {
                let sql = format!("SELECT nextval('ticket_number_{}')", kind.as_str());
                on_tx!(self, |c| sqlx::query_as(&sql).fetch_one(c).await?)
            }
        };
        Ok(row.0)
    }

    /// Inserts a ticket (its `id`, `version` and timestamps are set here) and returns it.
    pub async fn insert_ticket(&mut self, t: &Ticket) -> Result<Ticket> {
        const SQL: &str = concat!(
            "INSERT INTO tickets (number, kind, desk_id, title, description, status, is_open, hold_reason, impact, \
             urgency, priority, priority_override_reason, category_id, requester_id, organization_id, \
             shared_with_organization, group_id, assignee_id, custom_fields, external_id, version, created_at, \
             updated_at, resolved_at, closed_at, parent_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
             $12, $13, $14, $15, $16, $17, $18, $19, $20, 1, $21, $21, $22, $23, $24) RETURNING ",
            ticket_cols!()
        );
        Ok(on_tx!(self, |c| sqlx::query_as(SQL)
            .bind(&t.number)
            .bind(t.kind.as_str())
            .bind(t.desk_id)
            .bind(&t.title)
            .bind(&t.description)
            .bind(t.status.as_str())
            .bind(t.is_open)
            .bind(&t.hold_reason)
            .bind(t.impact)
            .bind(t.urgency)
            .bind(t.priority)
            .bind(&t.priority_override_reason)
            .bind(t.category_id)
            .bind(t.requester_id)
            .bind(t.organization_id)
            .bind(t.shared_with_organization)
            .bind(t.group_id)
            .bind(t.assignee_id)
            .bind(&t.custom_fields)
            .bind(&t.external_id)
            .bind(t.created_at)
            .bind(t.resolved_at)
            .bind(t.closed_at)
            .bind(t.parent_id)
            .fetch_one(c)
            .await?))
    }

    /// Reads a ticket inside the transaction that will change it (locking it on PostgreSQL).
    pub async fn ticket_for_update(&mut self, id: i64) -> Result<Ticket> {
        let sql = match self.backend() {
            Backend::Sqlite => concat!("SELECT ", ticket_cols!(), " FROM tickets WHERE id = $1"),
            Backend::Postgres => concat!("SELECT ", ticket_cols!(), " FROM tickets WHERE id = $1 FOR UPDATE"),
        };
        Ok(on_tx!(self, |c| sqlx::query_as(sql).bind(id).fetch_one(c).await?))
    }

    /// Writes back a changed ticket if it is still at `t.version`; returns the stored ticket
    /// with its new version, or `None` when someone else changed it meanwhile.
    pub async fn update_ticket(&mut self, t: &Ticket) -> Result<Option<Ticket>> {
        const SQL: &str = concat!(
            "UPDATE tickets SET title = $3, description = $4, status = $5, is_open = $6, hold_reason = $7, \
             impact = $8, urgency = $9, priority = $10, priority_override_reason = $11, category_id = $12, \
             requester_id = $13, organization_id = $14, shared_with_organization = $15, group_id = $16, \
             assignee_id = $17, custom_fields = $18, updated_at = $19, resolved_at = $20, closed_at = $21, \
             version = version + 1 WHERE id = $1 AND version = $2 RETURNING ",
            ticket_cols!()
        );
        Ok(on_tx!(self, |c| sqlx::query_as(SQL)
            .bind(t.id)
            .bind(t.version)
            .bind(&t.title)
            .bind(&t.description)
            .bind(t.status.as_str())
            .bind(t.is_open)
            .bind(&t.hold_reason)
            .bind(t.impact)
            .bind(t.urgency)
            .bind(t.priority)
            .bind(&t.priority_override_reason)
            .bind(t.category_id)
            .bind(t.requester_id)
            .bind(t.organization_id)
            .bind(t.shared_with_organization)
            .bind(t.group_id)
            .bind(t.assignee_id)
            .bind(&t.custom_fields)
            .bind(t.updated_at)
            .bind(t.resolved_at)
            .bind(t.closed_at)
            .fetch_optional(c)
            .await?))
    }

    /// The ticket id of an external id (imports are idempotent by it).
    pub async fn ticket_id_by_external_id(&mut self, external_id: &str) -> Result<Option<i64>> {
        let row: Option<(i64,)> = on_tx!(self, |c| sqlx::query_as("SELECT id FROM tickets WHERE external_id = $1")
            .bind(external_id)
            .fetch_optional(c)
            .await?);
        Ok(row.map(|r| r.0))
    }
}

impl Db {
    pub async fn ticket(&self, id: i64) -> Result<Ticket> {
        const SQL: &str = concat!("SELECT ", ticket_cols!(), " FROM tickets WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(SQL).bind(id).fetch_one(p).await?))
    }

    /// The tickets of `ids` that exist, in no particular order (one query for a page of
    /// references instead of one per reference).
    pub async fn tickets_by_ids(&self, ids: &[i64]) -> Result<Vec<Ticket>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(concat!("SELECT ", ticket_cols!(), " FROM tickets WHERE id IN ({})"), marks.join(", "));
        Ok(on_read!(self, |c| {
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(c).await?
        }))
    }

    pub async fn ticket_by_number(&self, number: &str) -> Result<Ticket> {
        const SQL: &str = concat!("SELECT ", ticket_cols!(), " FROM tickets WHERE number = $1");
        Ok(on_read!(self, |p| sqlx::query_as(SQL).bind(number).fetch_one(p).await?))
    }

    pub async fn ticket_exists_any(&self) -> Result<bool> {
        let row: Option<(i64,)> =
            on_read!(self, |p| sqlx::query_as("SELECT id FROM tickets LIMIT 1").fetch_optional(p).await?);
        Ok(row.is_some())
    }

    pub async fn ticket_exists_with_external_id(&self, external_id: &str) -> Result<bool> {
        let row: Option<(i64,)> = on_read!(self, |p| sqlx::query_as("SELECT id FROM tickets WHERE external_id = $1")
            .bind(external_id)
            .fetch_optional(p)
            .await?);
        Ok(row.is_some())
    }

    /// Resolved tickets whose quiet period ended before `resolved_before` (for auto-close).
    pub async fn tickets_due_for_close(&self, resolved_before: Ts, limit: i64) -> Result<Vec<i64>> {
        // The statuses the kinds declare as resolved (a closed-category "done" is final already).
        static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let sql = SQL.get_or_init(|| {
            let resolved: Vec<String> = Kind::ALL
                .iter()
                .map(|k| k.resolved_status())
                .filter(|s| s.category() == opsdesk_domain::ticket::StatusCategory::Resolved)
                .map(|s| format!("'{}'", s.as_str()))
                .collect();
            format!(
                "SELECT id FROM tickets WHERE status IN ({}) AND resolved_at IS NOT NULL AND resolved_at < $1 \
                 ORDER BY resolved_at LIMIT $2",
                resolved.join(", ")
            )
        });
        let rows: Vec<(i64,)> =
            on_read!(self, |p| sqlx::query_as(sql.as_str()).bind(resolved_before).bind(limit).fetch_all(p).await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
