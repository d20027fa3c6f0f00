//! What surrounds changes: templates, blackout windows, CIs' maintenance windows, the desks'
//! risk questionnaires, approval policies per type and risk class, and calendar feed tokens.

use crate::{Db, Result, Ts, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ChangeTemplateRow {
    pub id: i64,
    pub name: String,
    pub change_type: String,
    pub description: String,
    pub implementation_plan: Option<String>,
    pub backout_plan: Option<String>,
    pub test_plan: Option<String>,
    /// JSON object of preset risk answers.
    pub risk_answers: String,
    /// JSON array of task titles; a title starting with `then:` waits for the one before.
    pub tasks: String,
    pub active: bool,
    pub created_at: Ts,
    pub updated_at: Ts,
}

#[derive(Debug, Clone)]
pub struct NewChangeTemplate<'a> {
    pub name: &'a str,
    pub change_type: &'a str,
    pub description: &'a str,
    pub implementation_plan: Option<&'a str>,
    pub backout_plan: Option<&'a str>,
    pub test_plan: Option<&'a str>,
    pub risk_answers: &'a str,
    pub tasks: &'a str,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BlackoutRow {
    pub id: i64,
    pub name: String,
    pub starts_at: Ts,
    pub ends_at: Ts,
    /// NULL: every change; else a JSON array of CI ids.
    pub ci_ids: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: Ts,
}

#[derive(Debug, Clone)]
pub struct NewBlackout<'a> {
    pub name: &'a str,
    pub starts_at: Ts,
    pub ends_at: Ts,
    pub ci_ids: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ApprovalPolicyRow {
    pub id: i64,
    pub name: String,
    pub change_type: String,
    pub risk_class: Option<String>,
    /// The approval stages, as an approval's `stages` are written (JSON).
    pub stages: String,
    pub created_at: Ts,
    pub updated_at: Ts,
}

const TEMPLATE_COLUMNS: &str = "id, name, change_type, description, implementation_plan, backout_plan, test_plan, \
     risk_answers, tasks, active, created_at, updated_at";
const BLACKOUT_COLUMNS: &str = "id, name, starts_at, ends_at, ci_ids, created_by, created_at";
const POLICY_COLUMNS: &str = "id, name, change_type, risk_class, stages, created_at, updated_at";

impl Db {
    pub async fn change_templates(&self) -> Result<Vec<ChangeTemplateRow>> {
        let sql = format!("SELECT {TEMPLATE_COLUMNS} FROM change_templates ORDER BY name");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).fetch_all(p).await?))
    }

    pub async fn change_template(&self, id: i64) -> Result<ChangeTemplateRow> {
        let sql = format!("SELECT {TEMPLATE_COLUMNS} FROM change_templates WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(id).fetch_one(p).await?))
    }

    pub async fn change_template_named(&self, name: &str) -> Result<Option<ChangeTemplateRow>> {
        let sql = format!("SELECT {TEMPLATE_COLUMNS} FROM change_templates WHERE lower(name) = lower($1)");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(name).fetch_optional(p).await?))
    }

    /// Every blackout that has not ended by `now`, earliest first.
    pub async fn blackouts_from(&self, now: Ts) -> Result<Vec<BlackoutRow>> {
        let sql = format!("SELECT {BLACKOUT_COLUMNS} FROM change_blackouts WHERE ends_at > $1 ORDER BY starts_at, id");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(now).fetch_all(p).await?))
    }

    /// A desk's risk questionnaire (JSON), when it has its own.
    pub async fn change_questionnaire(&self, desk: i64) -> Result<Option<String>> {
        Ok(on_read!(self, |p| sqlx::query_scalar("SELECT spec FROM change_questionnaires WHERE desk_id = $1")
            .bind(desk)
            .fetch_optional(p)
            .await?))
    }

    pub async fn change_approval_policies(&self) -> Result<Vec<ApprovalPolicyRow>> {
        let sql = format!("SELECT {POLICY_COLUMNS} FROM change_approval_policies ORDER BY change_type, risk_class, id");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).fetch_all(p).await?))
    }

    /// The user a calendar feed token belongs to.
    pub async fn calendar_feed_user(&self, token_hash: &str) -> Result<Option<i64>> {
        Ok(on_read!(self, |p| sqlx::query_scalar("SELECT user_id FROM calendar_feeds WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(p)
            .await?))
    }

    pub async fn has_calendar_feed(&self, user: i64) -> Result<bool> {
        let n: i64 = on_read!(self, |p| sqlx::query_scalar("SELECT COUNT(*) FROM calendar_feeds WHERE user_id = $1")
            .bind(user)
            .fetch_one(p)
            .await?);
        Ok(n > 0)
    }
}

impl Tx {
    pub async fn insert_change_template(&mut self, t: &NewChangeTemplate<'_>, now: Ts) -> Result<i64> {
        Ok(on_tx!(self, |c| sqlx::query_scalar(
            "INSERT INTO change_templates (name, change_type, description, implementation_plan, backout_plan, \
             test_plan, risk_answers, tasks, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9, $9) RETURNING id"
        )
        .bind(t.name)
        .bind(t.change_type)
        .bind(t.description)
        .bind(t.implementation_plan)
        .bind(t.backout_plan)
        .bind(t.test_plan)
        .bind(t.risk_answers)
        .bind(t.tasks)
        .bind(now)
        .fetch_one(c)
        .await?))
    }

    pub async fn set_change_template_active(&mut self, id: i64, active: bool, now: Ts) -> Result<bool> {
        let n = on_tx!(self, |c| sqlx::query("UPDATE change_templates SET active = $1, updated_at = $2 WHERE id = $3")
            .bind(active)
            .bind(now)
            .bind(id)
            .execute(c)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    pub async fn insert_blackout(&mut self, b: &NewBlackout<'_>, by: Option<i64>, now: Ts) -> Result<i64> {
        Ok(on_tx!(self, |c| sqlx::query_scalar(
            "INSERT INTO change_blackouts (name, starts_at, ends_at, ci_ids, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
        )
        .bind(b.name)
        .bind(b.starts_at)
        .bind(b.ends_at)
        .bind(b.ci_ids)
        .bind(by)
        .bind(now)
        .fetch_one(c)
        .await?))
    }

    pub async fn delete_blackout(&mut self, id: i64) -> Result<bool> {
        let n = on_tx!(self, |c| sqlx::query("DELETE FROM change_blackouts WHERE id = $1")
            .bind(id)
            .execute(c)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Sets (`Some`) or removes (`None`) a CI's maintenance window.
    pub async fn put_maintenance_window(&mut self, ci: i64, spec: Option<&str>, now: Ts) -> Result<()> {
        match spec {
            Some(s) => on_tx!(self, |c| sqlx::query(
                "INSERT INTO ci_maintenance_windows (ci_id, spec, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (ci_id) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at"
            )
            .bind(ci)
            .bind(s)
            .bind(now)
            .execute(c)
            .await
            .map(|_| ())?),
            None => on_tx!(self, |c| sqlx::query("DELETE FROM ci_maintenance_windows WHERE ci_id = $1")
                .bind(ci)
                .execute(c)
                .await
                .map(|_| ())?),
        };
        Ok(())
    }

    /// Sets (`Some`) or removes (`None`) a desk's own risk questionnaire.
    pub async fn put_change_questionnaire(&mut self, desk: i64, spec: Option<&str>, now: Ts) -> Result<()> {
        match spec {
            Some(s) => on_tx!(self, |c| sqlx::query(
                "INSERT INTO change_questionnaires (desk_id, spec, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (desk_id) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at"
            )
            .bind(desk)
            .bind(s)
            .bind(now)
            .execute(c)
            .await
            .map(|_| ())?),
            None => on_tx!(self, |c| sqlx::query("DELETE FROM change_questionnaires WHERE desk_id = $1")
                .bind(desk)
                .execute(c)
                .await
                .map(|_| ())?),
        };
        Ok(())
    }

    /// Writes the policy of a type and risk class (NULL: any class), replacing the one there.
    pub async fn put_change_approval_policy(
        &mut self,
        name: &str,
        change_type: &str,
        risk_class: Option<&str>,
        stages: &str,
        now: Ts,
    ) -> Result<i64> {
        let existing: Option<i64> = on_tx!(self, |c| sqlx::query_scalar(
            "SELECT id FROM change_approval_policies WHERE change_type = $1 AND COALESCE(risk_class, '*') = $2"
        )
        .bind(change_type)
        .bind(risk_class.unwrap_or("*"))
        .fetch_optional(&mut *c)
        .await?);
        if let Some(id) = existing {
            on_tx!(self, |c| sqlx::query(
                "UPDATE change_approval_policies SET name = $1, stages = $2, updated_at = $3 WHERE id = $4"
            )
            .bind(name)
            .bind(stages)
            .bind(now)
            .bind(id)
            .execute(c)
            .await
            .map(|_| ())?);
            return Ok(id);
        }
        Ok(on_tx!(self, |c| sqlx::query_scalar(
            "INSERT INTO change_approval_policies (name, change_type, risk_class, stages, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id"
        )
        .bind(name)
        .bind(change_type)
        .bind(risk_class)
        .bind(stages)
        .bind(now)
        .fetch_one(c)
        .await?))
    }

    pub async fn delete_change_approval_policy(&mut self, id: i64) -> Result<bool> {
        let n = on_tx!(self, |c| sqlx::query("DELETE FROM change_approval_policies WHERE id = $1")
            .bind(id)
            .execute(c)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// The approval policy of a change type and risk class: the class's own, else the
    /// type's catch-all.
    pub async fn change_approval_policy_for(
        &mut self,
        change_type: &str,
        risk_class: &str,
    ) -> Result<Option<ApprovalPolicyRow>> {
        let sql = format!(
            "SELECT {POLICY_COLUMNS} FROM change_approval_policies WHERE change_type = $1 \
             AND (risk_class = $2 OR risk_class IS NULL) ORDER BY risk_class IS NULL, id LIMIT 1"
        );
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).bind(change_type).bind(risk_class).fetch_optional(c).await?))
    }

    /// Replaces a user's calendar feed token (one per user); `None` revokes it.
    pub async fn put_calendar_feed(&mut self, user: i64, token_hash: Option<&str>, now: Ts) -> Result<()> {
        on_tx!(self, |c| sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1")
            .bind(user)
            .execute(&mut *c)
            .await
            .map(|_| ())?);
        if let Some(h) = token_hash {
            on_tx!(self, |c| sqlx::query(
                "INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES ($1, $2, $3)"
            )
            .bind(user)
            .bind(h)
            .bind(now)
            .execute(c)
            .await
            .map(|_| ())?);
        }
        Ok(())
    }
}

impl Db {
    /// A CI's maintenance window (calendar spec as JSON), when it has one.
    pub async fn maintenance_window(&self, ci: i64) -> Result<Option<String>> {
        Ok(on_read!(self, |p| sqlx::query_scalar("SELECT spec FROM ci_maintenance_windows WHERE ci_id = $1")
            .bind(ci)
            .fetch_optional(p)
            .await?))
    }

    pub async fn blackout(&self, id: i64) -> Result<BlackoutRow> {
        let sql = format!("SELECT {BLACKOUT_COLUMNS} FROM change_blackouts WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(id).fetch_one(p).await?))
    }
}
