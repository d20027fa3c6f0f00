//! Counters of failed logins per key, kept in the database so that every web node of a
//! deployment enforces the same limit.

use crate::{Db, Result, Ts, Tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct ThrottleState {
    pub failures: i64,
    pub window_started_at: Ts,
    pub locked_until: Option<Ts>,
}

impl Db {
    pub async fn throttle_state(&self, key: &str) -> Result<Option<ThrottleState>> {
        Ok(on_read!(self, |p| sqlx::query_as(
            "SELECT failures, window_started_at, locked_until FROM login_throttle WHERE key = $1"
        )
        .bind(key)
        .fetch_optional(p)
        .await?))
    }
}

impl Tx {
    pub async fn throttle_state_in_tx(&mut self, key: &str) -> Result<Option<ThrottleState>> {
        Ok(on_tx!(self, |c| sqlx::query_as(
            "SELECT failures, window_started_at, locked_until FROM login_throttle WHERE key = $1"
        )
        .bind(key)
        .fetch_optional(c)
        .await?))
    }

    pub async fn put_throttle_state(&mut self, key: &str, s: &ThrottleState) -> Result<()> {
        on_tx!(self, |c| sqlx::query(
            "INSERT INTO login_throttle (key, failures, window_started_at, locked_until) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, \
             window_started_at = excluded.window_started_at, locked_until = excluded.locked_until"
        )
        .bind(key)
        .bind(s.failures)
        .bind(s.window_started_at)
        .bind(s.locked_until)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn clear_throttle(&mut self, key: &str) -> Result<()> {
        on_tx!(self, |c| sqlx::query("DELETE FROM login_throttle WHERE key = $1")
            .bind(key)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Forgets counters whose window and lock are both over.
    pub async fn purge_stale_throttles(&mut self, window_started_before: Ts, now: Ts) -> Result<u64> {
        Ok(on_tx!(self, |c| sqlx::query(
            "DELETE FROM login_throttle WHERE window_started_at < $1 AND (locked_until IS NULL OR locked_until < $2)"
        )
        .bind(window_started_before)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected()))
    }
}
