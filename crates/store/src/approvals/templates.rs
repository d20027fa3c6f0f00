//! Approval templates: the stages a service request of a desk (or of one of its categories)
//! gets when it enters `awaiting_approval`.

use crate::{Db, Result, Ts, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ApprovalTemplate {
    pub id: i64,
    pub desk_id: i64,
    pub category_id: Option<i64>,
    pub name: String,
    /// The approval spec's wire form (JSON), references as ids.
    pub spec: String,
    pub created_at: Ts,
    pub updated_at: Ts,
}

const COLS: &str = "id, desk_id, category_id, name, spec, created_at, updated_at";

impl Tx {
    pub async fn insert_approval_template(
        &mut self,
        desk_id: i64,
        category_id: Option<i64>,
        name: &str,
        spec: &str,
        now: Ts,
    ) -> Result<ApprovalTemplate> {
        let sql = format!(
            "INSERT INTO approval_templates (desk_id, category_id, name, spec, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING {COLS}"
        );
        Ok(on_tx!(self, |c| sqlx::query_as(&sql)
            .bind(desk_id)
            .bind(category_id)
            .bind(name)
            .bind(spec)
            .bind(now)
            .fetch_one(c)
            .await?))
    }

    pub async fn update_approval_template(
        &mut self,
        id: i64,
        desk_id: i64,
        category_id: Option<i64>,
        name: &str,
        spec: &str,
        now: Ts,
    ) -> Result<ApprovalTemplate> {
        let sql = format!(
            "UPDATE approval_templates SET desk_id = $2, category_id = $3, name = $4, spec = $5, updated_at = $6 \
             WHERE id = $1 RETURNING {COLS}"
        );
        Ok(on_tx!(self, |c| sqlx::query_as(&sql)
            .bind(id)
            .bind(desk_id)
            .bind(category_id)
            .bind(name)
            .bind(spec)
            .bind(now)
            .fetch_one(c)
            .await?))
    }

    pub async fn delete_approval_template(&mut self, id: i64) -> Result<()> {
        let n = on_tx!(self, |c| sqlx::query("DELETE FROM approval_templates WHERE id = $1")
            .bind(id)
            .execute(c)
            .await?
            .rows_affected());
        if n == 0 {
            return Err(crate::StoreError::NotFound);
        }
        Ok(())
    }

    /// The template for a ticket: the category's when it has one, else the desk's.
    pub async fn approval_template_for(
        &mut self,
        desk_id: i64,
        category_id: Option<i64>,
    ) -> Result<Option<ApprovalTemplate>> {
        let sql = format!(
            "SELECT {COLS} FROM approval_templates WHERE desk_id = $1 AND (category_id = $2 OR category_id IS NULL) \
             ORDER BY category_id IS NULL, id LIMIT 1"
        );
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).bind(desk_id).bind(category_id).fetch_optional(c).await?))
    }
}

impl Db {
    pub async fn approval_templates(&self) -> Result<Vec<ApprovalTemplate>> {
        let sql = format!("SELECT {COLS} FROM approval_templates ORDER BY desk_id, category_id IS NOT NULL, id");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).fetch_all(p).await?))
    }

    pub async fn approval_template(&self, id: i64) -> Result<ApprovalTemplate> {
        let sql = format!("SELECT {COLS} FROM approval_templates WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(id).fetch_one(p).await?))
    }
}
