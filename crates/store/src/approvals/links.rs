//! Signed approval links (only the token's hash is kept) and the reminders and escalations
//! sent, each recorded once.

use crate::{Db, Result, Ts, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ApprovalLink {
    pub token_hash: String,
    pub stage_id: i64,
    pub approver_id: i64,
    pub approval_id: i64,
    pub created_at: Ts,
    pub expires_at: Ts,
    pub used_at: Option<Ts>,
}

/// An approver a pending stage has waited on since `started_at`.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DueNudge {
    pub approval_id: i64,
    pub stage_id: i64,
    pub approver_id: i64,
    pub started_at: Ts,
}

const LINK_SQL: &str = "SELECT l.token_hash, l.stage_id, l.approver_id, s.approval_id, l.created_at, l.expires_at, \
     l.used_at FROM approval_links l JOIN approval_stages s ON s.id = l.stage_id WHERE l.token_hash = $1";

impl Tx {
    pub async fn insert_approval_link(
        &mut self,
        token_hash: &str,
        stage_id: i64,
        approver_id: i64,
        now: Ts,
        expires_at: Ts,
    ) -> Result<()> {
        let sql = "INSERT INTO approval_links (token_hash, stage_id, approver_id, created_at, expires_at) \
                   VALUES ($1, $2, $3, $4, $5)";
        on_tx!(self, |c| sqlx::query(sql)
            .bind(token_hash)
            .bind(stage_id)
            .bind(approver_id)
            .bind(now)
            .bind(expires_at)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn approval_link(&mut self, token_hash: &str) -> Result<Option<ApprovalLink>> {
        Ok(on_tx!(self, |c| sqlx::query_as(LINK_SQL).bind(token_hash).fetch_optional(c).await?))
    }

    /// Marks a link used; false when it was used already (by a parallel request too).
    pub async fn use_approval_link(&mut self, token_hash: &str, now: Ts) -> Result<bool> {
        let n = on_tx!(self, |c| sqlx::query(
            "UPDATE approval_links SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL"
        )
        .bind(token_hash)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Records that a reminder or escalation went out; false when one already had (the unique
    /// key makes it once, whichever worker gets there first).
    pub async fn record_approval_nudge(
        &mut self,
        stage_id: i64,
        approver_id: i64,
        kind: &str,
        now: Ts,
    ) -> Result<bool> {
        let n = on_tx!(self, |c| sqlx::query(
            "INSERT INTO approval_nudges (stage_id, approver_id, kind, sent_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING"
        )
        .bind(stage_id)
        .bind(approver_id)
        .bind(kind)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }
}

impl Db {
    pub async fn approval_link(&self, token_hash: &str) -> Result<Option<ApprovalLink>> {
        Ok(on_read!(self, |p| sqlx::query_as(LINK_SQL).bind(token_hash).fetch_optional(p).await?))
    }

    /// Approvers of pending stages started before `started_before` who have not decided and
    /// have had no `kind` nudge for the stage yet.
    pub async fn due_approval_nudges(&self, kind: &str, started_before: Ts, limit: i64) -> Result<Vec<DueNudge>> {
        let sql = "SELECT s.approval_id, s.id AS stage_id, a.user_id AS approver_id, s.started_at \
                   FROM approval_stages s JOIN approval_approvers a ON a.stage_id = s.id \
                   WHERE s.state = 'pending' AND s.started_at <= $1 \
                   AND NOT EXISTS (SELECT 1 FROM approval_decisions d WHERE d.stage_id = s.id AND d.approver_id = a.user_id) \
                   AND NOT EXISTS (SELECT 1 FROM approval_nudges n WHERE n.stage_id = s.id AND n.approver_id = a.user_id \
                        AND n.kind = $2) \
                   ORDER BY s.started_at, s.id, a.position LIMIT $3";
        Ok(on_read!(self, |p| sqlx::query_as(sql).bind(started_before).bind(kind).bind(limit).fetch_all(p).await?))
    }
}
