//! API tokens: long random secrets shown once, stored as a hash, revocable.

use crate::users::User;
use crate::{Db, Result, Ts, Tx};

/// A token's public description; never contains the secret or its hash.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The first characters of the secret, so a person can tell their tokens apart.
    pub prefix: String,
    pub created_at: Ts,
    pub last_used_at: Option<Ts>,
    pub revoked_at: Option<Ts>,
}

/// A token, its user and the user's groups: everything authenticating a request needs.
#[derive(Debug, Clone)]
pub struct TokenPrincipal {
    pub token_id: i64,
    pub revoked: bool,
    pub last_used_at: Option<Ts>,
    pub user: User,
    /// Ascending.
    pub group_ids: Vec<i64>,
}

#[derive(sqlx::FromRow)]
struct PrincipalRow {
    token_id: i64,
    revoked: bool,
    token_last_used_at: Option<Ts>,
    #[sqlx(flatten)]
    user: User,
    group_ids: Option<String>,
}

const TOKEN_COLS: &str = "id, user_id, name, prefix, created_at, last_used_at, revoked_at";

impl Tx {
    pub async fn insert_api_token(
        &mut self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        prefix: &str,
        now: Ts,
    ) -> Result<ApiToken> {
        let sql = format!(
            "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING {TOKEN_COLS}"
        );
        Ok(on_tx!(self, |c| sqlx::query_as(&sql)
            .bind(user_id)
            .bind(name)
            .bind(token_hash)
            .bind(prefix)
            .bind(now)
            .fetch_one(c)
            .await?))
    }

    /// Marks a token revoked (kept for the record). Revoking twice is not an error.
    pub async fn revoke_api_token(&mut self, id: i64, now: Ts) -> Result<ApiToken> {
        let sql =
            format!("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING {TOKEN_COLS}");
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).bind(id).bind(now).fetch_one(c).await?))
    }

    pub async fn revoke_api_tokens_of(&mut self, user_id: i64, now: Ts) -> Result<u64> {
        Ok(on_tx!(self, |c| sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL"
        )
        .bind(user_id)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected()))
    }
}

impl Db {
    pub async fn api_token(&self, id: i64) -> Result<ApiToken> {
        let sql = format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(id).fetch_one(p).await?))
    }

    pub async fn api_tokens_of(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        let sql = format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE user_id = $1 ORDER BY id");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(user_id).fetch_all(p).await?))
    }

    /// A token with its user and the user's group ids, in one query: authentication runs on
    /// every API request, and three round trips for it were a good part of a cheap read's cost.
    pub async fn token_principal(&self, token_hash: &str) -> Result<Option<TokenPrincipal>> {
        let groups = match self.backend() {
            crate::Backend::Sqlite => "group_concat(m.group_id, ',' ORDER BY m.group_id)",
            crate::Backend::Postgres => "string_agg(m.group_id::text, ',' ORDER BY m.group_id)",
        };
        let sql = format!(
            "SELECT t.id AS token_id, (t.revoked_at IS NOT NULL) AS revoked, t.last_used_at AS token_last_used_at, \
             u.id, u.email, u.name, u.role, u.time_zone, u.locale, u.organization_id, u.active, u.sees_all_groups, u.manager_id, \
             u.created_at, u.updated_at, \
             (SELECT {groups} FROM group_members m WHERE m.user_id = u.id) AS group_ids \
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1"
        );
        let row: Option<PrincipalRow> =
            on_read!(self, |p| sqlx::query_as(&sql).bind(token_hash).fetch_optional(p).await?);
        Ok(row.map(|r| TokenPrincipal {
            token_id: r.token_id,
            revoked: r.revoked,
            last_used_at: r.token_last_used_at,
            group_ids: r.group_ids.as_deref().unwrap_or("").split(',').filter_map(|g| g.trim().parse().ok()).collect(),
            user: r.user,
        }))
    }

    /// Records use of a token. Called at most once a minute per token (see the app layer) so
    /// that reads do not turn every API call into a write.
    pub async fn touch_api_token(&self, id: i64, now: Ts) -> Result<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, |c| sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected());
        tx.commit().await
    }
}
