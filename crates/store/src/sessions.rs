//! Server-side login sessions. The browser holds a random token in an HTTP-only cookie; only its
//! hash is stored, so a leaked database does not hand out live sessions.

use crate::{Db, Result, Ts, Tx};

/// A live session joined with the state of its user, so one read decides whether it is valid.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionLookup {
    pub user_id: i64,
    pub csrf_token: String,
    pub expires_at: Ts,
    pub user_active: bool,
}

impl Tx {
    pub async fn insert_session(
        &mut self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        ip: &str,
        now: Ts,
        expires_at: Ts,
    ) -> Result<()> {
        on_tx!(self, |c| {
            sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, ip, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(ip)
        .bind(now)
        .bind(expires_at)
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(())
    }

    /// Ends one session; returns the user it belonged to, if it existed.
    pub async fn delete_session(&mut self, token_hash: &str) -> Result<Option<i64>> {
        let row: Option<(i64,)> =
            on_tx!(self, |c| sqlx::query_as("DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id")
                .bind(token_hash)
                .fetch_optional(c)
                .await?);
        Ok(row.map(|r| r.0))
    }

    /// Ends every session of a user (deactivation, role change, password change).
    pub async fn delete_sessions_of(&mut self, user_id: i64) -> Result<u64> {
        Ok(on_tx!(self, |c| sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(c)
            .await?
            .rows_affected()))
    }

    pub async fn purge_expired_sessions(&mut self, now: Ts) -> Result<u64> {
        Ok(on_tx!(self, |c| sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(c)
            .await?
            .rows_affected()))
    }
}

impl Db {
    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionLookup>> {
        Ok(on_read!(self, |p| sqlx::query_as(
            "SELECT s.user_id, s.csrf_token, s.expires_at, u.active AS user_active FROM sessions s \
             JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1"
        )
        .bind(token_hash)
        .fetch_optional(p)
        .await?))
    }
}
