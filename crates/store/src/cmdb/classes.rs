//! CI classes and the rules of which relationship types may join which classes, with the
//! built-in ones seeded when the database is migrated.

use crate::{Db, Result, StoreError, Ts, Tx};
use opsdesk_domain::cmdb::{ClassSchema, BUILT_IN_CLASSES, DEFAULT_RULES};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ClassRow {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub builtin: bool,
    /// The attribute schema (`ClassSchema`'s stored form).
    pub schema: String,
    pub created_at: Ts,
    pub updated_at: Ts,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RuleRow {
    pub id: i64,
    pub source_class: Option<String>,
    pub rel: String,
    pub target_class: Option<String>,
}

const CLASS_COLS: &str = "id, key, name, builtin, schema, created_at, updated_at";

impl Db {
    /// Adds the built-in classes a database lacks; the first time (no class at all), also the
    /// default relationship rules. Admins' changes to either are never undone.
    pub(crate) async fn seed_cmdb(&self) -> Result<()> {
        let mut tx = self.begin().await?;
        let (count,): (i64,) =
            on_tx!(&mut tx, |c| sqlx::query_as("SELECT COUNT(*) FROM ci_classes").fetch_one(c).await?);
        if count >= BUILT_IN_CLASSES.len() as i64 {
            return Ok(());
        }
        let now = Ts::now();
        for (key, name, schema) in BUILT_IN_CLASSES {
            let stored =
                serde_json::from_str(schema).ok().and_then(|v| ClassSchema::parse(&v).ok()).unwrap_or_default();
            on_tx!(&mut tx, |c| sqlx::query(
                "INSERT INTO ci_classes (key, name, builtin, schema, created_at, updated_at) \
                 VALUES ($1, $2, TRUE, $3, $4, $4) ON CONFLICT (key) DO NOTHING"
            )
            .bind(key)
            .bind(name)
            .bind(stored.to_stored())
            .bind(now)
            .execute(c)
            .await?
            .rows_affected());
        }
        if count == 0 {
            for (source, rel, target) in DEFAULT_RULES {
                let any = |s: &str| (s != "*").then(|| s.to_string());
                tx.insert_relationship_rule(any(source).as_deref(), rel, any(target).as_deref(), now).await?;
            }
        }
        tx.commit().await
    }

    pub async fn ci_classes(&self) -> Result<Vec<ClassRow>> {
        let sql = format!("SELECT {CLASS_COLS} FROM ci_classes ORDER BY name, id");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).fetch_all(p).await?))
    }

    pub async fn ci_class_by_key(&self, key: &str) -> Result<Option<ClassRow>> {
        let sql = format!("SELECT {CLASS_COLS} FROM ci_classes WHERE key = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(key).fetch_optional(p).await?))
    }

    pub async fn relationship_rules(&self) -> Result<Vec<RuleRow>> {
        Ok(on_read!(self, |p| sqlx::query_as(
            "SELECT id, source_class, rel, target_class FROM ci_relationship_rules ORDER BY rel, id"
        )
        .fetch_all(p)
        .await?))
    }
}

impl Tx {
    pub async fn insert_ci_class(&mut self, key: &str, name: &str, schema: &str, now: Ts) -> Result<ClassRow> {
        let sql = format!(
            "INSERT INTO ci_classes (key, name, builtin, schema, created_at, updated_at) \
             VALUES ($1, $2, FALSE, $3, $4, $4) RETURNING {CLASS_COLS}"
        );
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).bind(key).bind(name).bind(schema).bind(now).fetch_one(c).await?))
    }

    pub async fn update_ci_class(&mut self, id: i64, name: &str, schema: &str, now: Ts) -> Result<ClassRow> {
        let sql = format!(
            "UPDATE ci_classes SET name = $2, schema = $3, updated_at = $4 WHERE id = $1 RETURNING {CLASS_COLS}"
        );
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).bind(id).bind(name).bind(schema).bind(now).fetch_one(c).await?))
    }

    pub async fn ci_class_by_key(&mut self, key: &str) -> Result<Option<ClassRow>> {
        let sql = format!("SELECT {CLASS_COLS} FROM ci_classes WHERE key = $1");
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).bind(key).fetch_optional(c).await?))
    }

    pub async fn insert_relationship_rule(
        &mut self,
        source_class: Option<&str>,
        rel: &str,
        target_class: Option<&str>,
        now: Ts,
    ) -> Result<i64> {
        let row: (i64,) = on_tx!(self, |c| sqlx::query_as(
            "INSERT INTO ci_relationship_rules (source_class, rel, target_class, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id"
        )
        .bind(source_class)
        .bind(rel)
        .bind(target_class)
        .bind(now)
        .fetch_one(c)
        .await?);
        Ok(row.0)
    }

    pub async fn delete_relationship_rule(&mut self, id: i64) -> Result<()> {
        let n = on_tx!(self, |c| sqlx::query("DELETE FROM ci_relationship_rules WHERE id = $1")
            .bind(id)
            .execute(c)
            .await?
            .rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
