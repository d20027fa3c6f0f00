//! Many tickets at once: the same rows as the one-at-a-time methods, written with multi-row
//! `INSERT`s. The data set generator loads a million tickets in a few thousand statements
//! instead of ten million, and the group commit of new tickets writes a batch of them in a
//! handful of statements.

use super::Ticket;
use crate::multirow::{cached, chunk_rows, values};
use crate::{Backend, Result, Ts, Tx};
use opsdesk_domain::ticket::Kind;
use std::collections::HashMap;

/// A comment of a bulk load.
#[derive(Debug, Clone)]
pub struct BulkComment {
    pub ticket_id: i64,
    pub author_id: Option<i64>,
    pub body: String,
    pub public: bool,
    pub source: &'static str,
    pub created_at: Ts,
}

/// One history row of a bulk load.
#[derive(Debug, Clone)]
pub struct BulkChange {
    pub ticket_id: i64,
    pub actor_id: Option<i64>,
    pub field: &'static str,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub created_at: Ts,
}

/// A ticket's whole search entry: what a requester may match, and the internal notes.
#[derive(Debug, Clone)]
pub struct BulkSearchEntry {
    pub ticket_id: i64,
    pub public_text: String,
    pub internal_text: String,
}

impl Tx {
    /// Takes the next `n` numbers of a kind at once, in ascending order.
    pub async fn reserve_ticket_seqs(&mut self, kind: Kind, n: usize) -> Result<Vec<i64>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let count = n as i64;
        match self.backend() {
            Backend::Sqlite => {
                let (last,): (i64,) = on_tx!(self, |c| sqlx::query_as(
                    "INSERT INTO ticket_counters (kind, last) VALUES ($1, $2) \
                     ON CONFLICT (kind) DO UPDATE SET last = ticket_counters.last + $2 RETURNING last"
                )
                .bind(kind.as_str())
                .bind(count)
                .fetch_one(c)
                .await?);
                Ok((last - count + 1..=last).collect())
            }
            Backend::Postgres => {
                let sql = format!("SELECT nextval('ticket_number_{}') FROM generate_series(1, $1)", kind.as_str());
                let rows: Vec<(i64,)> = on_tx!(self, |c| sqlx::query_as(&sql).bind(count).fetch_all(c).await?);
                let mut seqs: Vec<i64> = rows.into_iter().map(|r| r.0).collect();
                seqs.sort_unstable();
                Ok(seqs)
            }
        }
    }

    /// Inserts numbered tickets as [`insert_ticket`](Tx::insert_ticket) does (version 1,
    /// `updated_at` = `created_at`) and returns their ids in the order given.
    pub async fn insert_tickets_bulk(&mut self, tickets: &[Ticket]) -> Result<Vec<i64>> {
        const TEMPLATE: &str = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)";
        let mut ids = Vec::with_capacity(tickets.len());
        for chunk in tickets.chunks(chunk_rows(25)) {
            let sql = format!(
                "INSERT INTO tickets (number, kind, desk_id, title, description, status, is_open, hold_reason, \
                 impact, urgency, priority, priority_override_reason, category_id, requester_id, organization_id, \
                 shared_with_organization, group_id, assignee_id, custom_fields, external_id, version, created_at, \
                 updated_at, resolved_at, closed_at, parent_id) VALUES {} RETURNING id, number",
                values(self.backend(), TEMPLATE, chunk.len())
            );
            let rows: Vec<(i64, String)> = on_tx!(self, |c| {
                let mut q = sqlx::query_as(&sql).persistent(cached(chunk.len()));
                for t in chunk {
                    q = q
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
                        .bind(t.created_at)
                        .bind(t.resolved_at)
                        .bind(t.closed_at)
                        .bind(t.parent_id);
                }
                q.fetch_all(c).await?
            });
            // RETURNING promises no order: match the rows back by their unique number.
            let by_number: HashMap<String, i64> = rows.into_iter().map(|(id, n)| (n, id)).collect();
            for t in chunk {
                let id = by_number.get(&t.number).copied().ok_or_else(|| {
                    crate::StoreError::Other(sqlx::Error::Protocol(format!(
                        "bulk insert returned no id for {}",
                        t.number
                    )))
                })?;
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Inserts comments as [`insert_comment`](Tx::insert_comment) does, in the order given.
    pub async fn insert_comments_bulk(&mut self, comments: &[BulkComment]) -> Result<()> {
        for chunk in comments.chunks(chunk_rows(6)) {
            let sql = format!(
                "INSERT INTO comments (ticket_id, author_id, body, public, source, created_at) VALUES {}",
                values(self.backend(), "(?, ?, ?, ?, ?, ?)", chunk.len())
            );
            on_tx!(self, |c| {
                let mut q = sqlx::query(&sql).persistent(cached(chunk.len()));
                for m in chunk {
                    q = q
                        .bind(m.ticket_id)
                        .bind(m.author_id)
                        .bind(&m.body)
                        .bind(m.public)
                        .bind(m.source)
                        .bind(m.created_at);
                }
                q.execute(c).await?.rows_affected()
            });
        }
        Ok(())
    }

    /// Records history rows as [`record_change`](Tx::record_change) does, in the order given.
    pub async fn record_changes_bulk(&mut self, changes: &[BulkChange]) -> Result<()> {
        for chunk in changes.chunks(chunk_rows(6)) {
            let sql = format!(
                "INSERT INTO ticket_history (ticket_id, actor_id, field, old_value, new_value, created_at) VALUES {}",
                values(self.backend(), "(?, ?, ?, ?, ?, ?)", chunk.len())
            );
            on_tx!(self, |c| {
                let mut q = sqlx::query(&sql).persistent(cached(chunk.len()));
                for h in chunk {
                    q = q
                        .bind(h.ticket_id)
                        .bind(h.actor_id)
                        .bind(h.field)
                        .bind(&h.old_value)
                        .bind(&h.new_value)
                        .bind(h.created_at);
                }
                q.execute(c).await?.rows_affected()
            });
        }
        Ok(())
    }

    /// Creates whole search entries: a new ticket's title and description as its public text,
    /// or (bulk loads) what [`index_comment`](Tx::index_comment) for each comment would leave.
    pub async fn index_tickets_bulk(&mut self, entries: &[BulkSearchEntry]) -> Result<()> {
        let (head, template) = match self.backend() {
            Backend::Sqlite => ("INSERT INTO ticket_search (rowid, public_text, internal_text) VALUES ", "(?, ?, ?)"),
            Backend::Postgres => (
                "INSERT INTO ticket_search (ticket_id, public_text, internal_text) VALUES ",
                "(?, to_tsvector('english', ?), to_tsvector('english', ?))",
            ),
        };
        for chunk in entries.chunks(chunk_rows(3)) {
            let sql = format!("{head}{}", values(self.backend(), template, chunk.len()));
            on_tx!(self, |c| {
                let mut q = sqlx::query(&sql).persistent(cached(chunk.len()));
                for e in chunk {
                    q = q.bind(e.ticket_id).bind(&e.public_text).bind(&e.internal_text);
                }
                q.execute(c).await?.rows_affected()
            });
        }
        Ok(())
    }

    /// SQLite: drops the secondary indexes of `tickets` (those a migration created, not the
    /// ones behind UNIQUE constraints) and returns their definitions for
    /// [`restore_indexes`](Tx::restore_indexes), so that a bulk load builds each index once
    /// instead of updating it row by row. PostgreSQL: keeps them (returns none).
    pub async fn drop_ticket_indexes(&mut self) -> Result<Vec<String>> {
        if self.backend() != Backend::Sqlite {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, String)> = on_tx!(self, |c| {
            sqlx::query_as(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tickets' AND sql IS NOT NULL \
             ORDER BY name"
        )
        .fetch_all(c)
        .await?
        });
        for (name, _) in &rows {
            // Names come from the schema itself, not from input; quoted all the same.
            let sql = format!("DROP INDEX \"{}\"", name.replace('"', "\"\""));
            on_tx!(self, |c| sqlx::query(&sql).execute(c).await?.rows_affected());
        }
        Ok(rows.into_iter().map(|(_, sql)| sql).collect())
    }

    /// Runs the index definitions [`drop_ticket_indexes`](Tx::drop_ticket_indexes) returned.
    pub async fn restore_indexes(&mut self, definitions: &[String]) -> Result<()> {
        for sql in definitions {
            on_tx!(self, |c| sqlx::query(sql).execute(c).await?.rows_affected());
        }
        Ok(())
    }
}
