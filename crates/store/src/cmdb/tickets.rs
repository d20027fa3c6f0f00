//! Which configuration items a ticket names (affected, or the cause), both ways.

use crate::{Db, Result, Ts, Tx};

/// A CI of a ticket.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TicketCiRow {
    pub ci_id: i64,
    pub name: String,
    pub class_key: String,
    pub status: String,
    pub role: String,
    pub created_at: Ts,
}

/// A ticket of a CI (the caller checks who may see it).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CiTicketRow {
    pub ticket_id: i64,
    pub role: String,
}

impl Db {
    pub async fn ticket_cis(&self, ticket: i64) -> Result<Vec<TicketCiRow>> {
        Ok(on_read!(self, |p| sqlx::query_as(
            "SELECT c.id AS ci_id, c.name, k.key AS class_key, c.status, l.role, l.created_at FROM ticket_cis l \
             JOIN cis c ON c.id = l.ci_id JOIN ci_classes k ON k.id = c.class_id \
             WHERE l.ticket_id = $1 ORDER BY l.created_at, c.id"
        )
        .bind(ticket)
        .fetch_all(p)
        .await?))
    }

    /// The tickets naming a CI, newest first.
    pub async fn ci_tickets(&self, ci: i64, limit: i64) -> Result<Vec<CiTicketRow>> {
        Ok(on_read!(self, |p| sqlx::query_as(
            "SELECT ticket_id, role FROM ticket_cis WHERE ci_id = $1 ORDER BY ticket_id DESC LIMIT $2"
        )
        .bind(ci)
        .bind(limit)
        .fetch_all(p)
        .await?))
    }
}

impl Tx {
    /// Names a CI on a ticket, or changes its role; `false` when nothing changed.
    pub async fn link_ticket_ci(&mut self, ticket: i64, ci: i64, role: &str, by: Option<i64>, now: Ts) -> Result<bool> {
        let n = on_tx!(self, |c| sqlx::query(
            "INSERT INTO ticket_cis (ticket_id, ci_id, role, created_at, created_by) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (ticket_id, ci_id) DO UPDATE SET role = excluded.role WHERE ticket_cis.role <> excluded.role"
        )
        .bind(ticket)
        .bind(ci)
        .bind(role)
        .bind(now)
        .bind(by)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n > 0)
    }

    pub async fn unlink_ticket_ci(&mut self, ticket: i64, ci: i64) -> Result<bool> {
        let n = on_tx!(self, |c| sqlx::query("DELETE FROM ticket_cis WHERE ticket_id = $1 AND ci_id = $2")
            .bind(ticket)
            .bind(ci)
            .execute(c)
            .await?
            .rows_affected());
        Ok(n == 1)
    }
}
