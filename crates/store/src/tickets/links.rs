//! Typed links between tickets, and watchers.

use crate::{Db, Result, Ts, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Link {
    pub id: i64,
    pub source_id: i64,
    pub target_id: i64,
    pub link_type: String,
    pub created_at: Ts,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Watcher {
    pub user_id: i64,
    pub name: String,
    pub email: String,
}

impl Tx {
    /// Adds a link; returns `None` when it already existed.
    pub async fn insert_link(
        &mut self,
        source_id: i64,
        target_id: i64,
        link_type: &str,
        created_by: Option<i64>,
        now: Ts,
    ) -> Result<Option<Link>> {
        Ok(on_tx!(self, |c| {
            sqlx::query_as(
            "INSERT INTO ticket_links (source_id, target_id, link_type, created_by, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT DO NOTHING RETURNING id, source_id, target_id, link_type, created_at"
        )
        .bind(source_id)
        .bind(target_id)
        .bind(link_type)
        .bind(created_by)
        .bind(now)
        .fetch_optional(c)
        .await?
        }))
    }

    /// Tickets linked to `target_id` by `link_type` (e.g. the incidents of a problem).
    pub async fn linked_sources(&mut self, target_id: i64, link_type: &str) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_tx!(self, |c| sqlx::query_as(
            "SELECT source_id FROM ticket_links WHERE target_id = $1 AND link_type = $2 ORDER BY source_id"
        )
        .bind(target_id)
        .bind(link_type)
        .fetch_all(c)
        .await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    pub async fn add_watcher(&mut self, ticket_id: i64, user_id: i64) -> Result<bool> {
        let n = on_tx!(self, |c| sqlx::query(
            "INSERT INTO watchers (ticket_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        )
        .bind(ticket_id)
        .bind(user_id)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    pub async fn remove_watcher(&mut self, ticket_id: i64, user_id: i64) -> Result<bool> {
        let n = on_tx!(self, |c| sqlx::query("DELETE FROM watchers WHERE ticket_id = $1 AND user_id = $2")
            .bind(ticket_id)
            .bind(user_id)
            .execute(c)
            .await?
            .rows_affected());
        Ok(n == 1)
    }
}

impl Db {
    /// Every link touching a ticket, either way.
    pub async fn links_of(&self, ticket_id: i64) -> Result<Vec<Link>> {
        Ok(on_read!(self, |p| sqlx::query_as(
            "SELECT id, source_id, target_id, link_type, created_at FROM ticket_links \
             WHERE source_id = $1 OR target_id = $1 ORDER BY id"
        )
        .bind(ticket_id)
        .fetch_all(p)
        .await?))
    }

    pub async fn watchers(&self, ticket_id: i64) -> Result<Vec<Watcher>> {
        Ok(on_read!(self, |p| sqlx::query_as(
            "SELECT u.id AS user_id, u.name, u.email FROM watchers w JOIN users u ON u.id = w.user_id \
             WHERE w.ticket_id = $1 ORDER BY u.name"
        )
        .bind(ticket_id)
        .fetch_all(p)
        .await?))
    }
}
