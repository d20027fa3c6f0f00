//! The append-only security audit log: logins, failures, tokens, role changes. The schema
//! refuses updates and deletes of its rows.

use crate::{Db, Result, Ts, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Ts,
    pub action: String,
    pub actor_user_id: Option<i64>,
    pub subject_user_id: Option<i64>,
    pub email: Option<String>,
    pub ip: Option<String>,
    /// JSON text.
    pub detail: String,
}

/// One thing to record.
#[derive(Debug, Clone, Default)]
pub struct NewAuditEntry<'a> {
    pub action: &'a str,
    pub actor_user_id: Option<i64>,
    pub subject_user_id: Option<i64>,
    pub email: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub detail: serde_json::Value,
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub subject_user_id: Option<i64>,
    /// Entries with an id below this one (newest first paging).
    pub before: Option<i64>,
    pub limit: i64,
}

impl Tx {
    pub async fn append_audit(&mut self, e: &NewAuditEntry<'_>, now: Ts) -> Result<()> {
        on_tx!(self, |c| {
            sqlx::query(
            "INSERT INTO audit_log (at, action, actor_user_id, subject_user_id, email, ip, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )
        .bind(now)
        .bind(e.action)
        .bind(e.actor_user_id)
        .bind(e.subject_user_id)
        .bind(e.email)
        .bind(e.ip)
        .bind(e.detail.to_string())
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(())
    }
}

impl Db {
    /// Entries newest first.
    pub async fn audit_entries(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        Ok(on_read!(self, |p| sqlx::query_as(
            "SELECT id, at, action, actor_user_id, subject_user_id, email, ip, detail FROM audit_log \
             WHERE ($1 IS NULL OR action = $1) AND ($2 IS NULL OR subject_user_id = $2) AND ($3 IS NULL OR id < $3) \
             ORDER BY id DESC LIMIT $4"
        )
        .bind(f.action.as_deref())
        .bind(f.subject_user_id)
        .bind(f.before)
        .bind(f.limit)
        .fetch_all(p)
        .await?))
    }
}
