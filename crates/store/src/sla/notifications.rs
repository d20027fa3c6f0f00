//! In-app notifications: one row per recipient (there is no mail channel yet).

use crate::{Db, Result, Ts, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    pub ticket_id: Option<i64>,
    pub kind: String,
    pub text: String,
    pub created_at: Ts,
    pub read_at: Option<Ts>,
}

impl Tx {
    pub async fn insert_notification(
        &mut self,
        user_id: i64,
        ticket_id: Option<i64>,
        kind: &str,
        text: &str,
        now: Ts,
    ) -> Result<()> {
        on_tx!(self, |c| sqlx::query(
            "INSERT INTO notifications (user_id, ticket_id, kind, text, created_at) VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(user_id)
        .bind(ticket_id)
        .bind(kind)
        .bind(text)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Marks a user's unread notifications up to id `upto` as read; returns how many.
    pub async fn mark_notifications_read(&mut self, user_id: i64, upto: i64, now: Ts) -> Result<u64> {
        Ok(on_tx!(self, |c| sqlx::query(
            "UPDATE notifications SET read_at = $3 WHERE user_id = $1 AND id <= $2 AND read_at IS NULL"
        )
        .bind(user_id)
        .bind(upto)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected()))
    }
}

impl Db {
    /// A user's notifications, newest first, before the id `before` (paging).
    pub async fn notifications(&self, user_id: i64, before: i64, limit: i64) -> Result<Vec<Notification>> {
        Ok(on_read!(self, |p| sqlx::query_as(
            "SELECT id, user_id, ticket_id, kind, text, created_at, read_at FROM notifications \
             WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
        )
        .bind(user_id)
        .bind(before)
        .bind(limit)
        .fetch_all(p)
        .await?))
    }

    /// How many of a user's notifications are unread.
    pub async fn unread_notifications(&self, user_id: i64) -> Result<i64> {
        let row: (i64,) = on_read!(self, |p| sqlx::query_as(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL"
        )
        .bind(user_id)
        .fetch_one(p)
        .await?);
        Ok(row.0)
    }
}
