//! The transactional outbox: every command writes one event row in the same transaction as its
//! change; the worker dispatches pending events to their subscribers as jobs.

use crate::multirow::{cached, chunk_rows, numbered, values};
use crate::{Result, Ts, Tx};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Event {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub actor_user_id: Option<i64>,
    pub payload: String,
    pub created_at: Ts,
}

/// A domain event to record: `kind` like `user.created`, `subject` like `user:42`.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub kind: &'a str,
    pub subject: String,
    pub actor_user_id: Option<i64>,
    pub payload: serde_json::Value,
}

impl Tx {
    /// Records several events, each with its own time, in the order given (their ids ascend in
    /// that order, which is the order the dispatcher sees them in).
    pub async fn emit_events(&mut self, events: &[(NewEvent<'_>, Ts)]) -> Result<()> {
        for chunk in events.chunks(chunk_rows(5)) {
            let sql = format!(
                "INSERT INTO events (kind, subject, actor_user_id, payload, created_at) VALUES {}",
                values(self.backend(), "(?, ?, ?, ?, ?)", chunk.len())
            );
            on_tx!(self, |c| {
                let mut q = sqlx::query(&sql).persistent(cached(chunk.len()));
                for (e, at) in chunk {
                    q = q.bind(e.kind).bind(&e.subject).bind(e.actor_user_id).bind(e.payload.to_string()).bind(*at);
                }
                q.execute(c).await?.rows_affected()
            });
        }
        Ok(())
    }

    /// The oldest undispatched events, locked for this transaction on PostgreSQL so that two
    /// dispatchers never take the same event.
    pub async fn pending_events(&mut self, limit: i64) -> Result<Vec<Event>> {
        let sql = format!(
            "SELECT id, kind, subject, actor_user_id, payload, created_at FROM events WHERE dispatched_at IS NULL \
             ORDER BY id LIMIT $1{}",
            self.skip_locked()
        );
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).bind(limit).fetch_all(c).await?))
    }

    pub async fn mark_events_dispatched(&mut self, ids: &[i64], now: Ts) -> Result<()> {
        for chunk in ids.chunks(chunk_rows(1)) {
            let sql = numbered(
                self.backend(),
                &format!("UPDATE events SET dispatched_at = ? WHERE id IN ({})", vec!["?"; chunk.len()].join(", ")),
            );
            on_tx!(self, |c| {
                let mut q = sqlx::query(&sql).persistent(cached(chunk.len())).bind(now);
                for id in chunk {
                    q = q.bind(id);
                }
                q.execute(c).await?.rows_affected()
            });
        }
        Ok(())
    }

    /// Deletes dispatched events older than `before`.
    pub async fn purge_dispatched_events(&mut self, before: Ts) -> Result<u64> {
        Ok(on_tx!(self, |c| sqlx::query("DELETE FROM events WHERE dispatched_at IS NOT NULL AND dispatched_at < $1")
            .bind(before)
            .execute(c)
            .await?
            .rows_affected()))
    }
}

impl crate::Db {
    /// Whether any event waits for dispatch.
    pub async fn has_pending_events(&self) -> Result<bool> {
        let row: Option<(i64,)> =
            on_read!(self, |p| sqlx::query_as("SELECT id FROM events WHERE dispatched_at IS NULL LIMIT 1")
                .fetch_optional(p)
                .await?);
        Ok(row.is_some())
    }

    /// Events of a subject, oldest first (for tests and audits of what a command emitted).
    pub async fn events_of(&self, subject: &str) -> Result<Vec<Event>> {
        Ok(on_read!(self, |p| sqlx::query_as(
            "SELECT id, kind, subject, actor_user_id, payload, created_at FROM events WHERE subject = $1 ORDER BY id"
        )
        .bind(subject)
        .fetch_all(p)
        .await?))
    }
}
