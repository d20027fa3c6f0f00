//! Emailed password-reset links: only a hash of each link's token is stored, and a user has at
//! most one live link at a time.

use crate::{Result, Ts, Tx};

/// A reset link as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PasswordReset {
    pub id: i64,
    pub user_id: i64,
    pub created_at: Ts,
    pub expires_at: Ts,
    pub used_at: Option<Ts>,
    /// Set when a newer link for the same user replaced this one.
    pub revoked_at: Option<Ts>,
}

impl Tx {
    /// Stores a new link and revokes the user's other live links in the same transaction, so
    /// only the newest link works.
    pub async fn insert_password_reset(
        &mut self,
        token_hash: &str,
        user_id: i64,
        now: Ts,
        expires_at: Ts,
    ) -> Result<()> {
        on_tx!(self, |c| sqlx::query(
            "UPDATE password_resets SET revoked_at = $2 WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL"
        )
        .bind(user_id)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        on_tx!(self, |c| sqlx::query(
            "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)"
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// The link with this token hash, if any.
    pub async fn password_reset(&mut self, token_hash: &str) -> Result<Option<PasswordReset>> {
        Ok(on_tx!(self, |c| {
            sqlx::query_as(
            "SELECT id, user_id, created_at, expires_at, used_at, revoked_at FROM password_resets WHERE token_hash = $1"
        )
        .bind(token_hash)
        .fetch_optional(c)
        .await?
        }))
    }

    /// Marks a live link used; false when it was used or revoked meanwhile (a parallel request).
    pub async fn use_password_reset(&mut self, id: i64, now: Ts) -> Result<bool> {
        let n = on_tx!(self, |c| sqlx::query(
            "UPDATE password_resets SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL"
        )
        .bind(id)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Moves the expiry of a user's links (tests use it to reach an expired link without waiting).
    pub async fn set_password_reset_expiry(&mut self, user_id: i64, expires_at: Ts) -> Result<u64> {
        Ok(on_tx!(self, |c| sqlx::query("UPDATE password_resets SET expires_at = $2 WHERE user_id = $1")
            .bind(user_id)
            .bind(expires_at)
            .execute(c)
            .await?
            .rows_affected()))
    }
}
