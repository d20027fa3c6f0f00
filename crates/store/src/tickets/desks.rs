//! Service desks, their categories and custom fields, and desk-wide settings.

use crate::{Db, Result, Ts, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ServiceDesk {
    pub id: i64,
    pub name: String,
    pub default_group_id: Option<i64>,
    pub created_at: Ts,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Category {
    pub id: i64,
    pub desk_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CustomFieldRow {
    pub id: i64,
    pub desk_id: i64,
    pub kind: String,
    pub key: String,
    /// The JSON of a `CustomFieldDef`.
    pub definition: String,
    pub position: i64,
}

impl Tx {
    pub async fn insert_desk(&mut self, name: &str, default_group_id: Option<i64>, now: Ts) -> Result<ServiceDesk> {
        Ok(on_tx!(self, |c| sqlx::query_as(
            "INSERT INTO service_desks (name, default_group_id, created_at) VALUES ($1, $2, $3) \
             RETURNING id, name, default_group_id, created_at"
        )
        .bind(name)
        .bind(default_group_id)
        .bind(now)
        .fetch_one(c)
        .await?))
    }

    pub async fn update_desk(&mut self, id: i64, name: &str, default_group_id: Option<i64>) -> Result<ServiceDesk> {
        Ok(on_tx!(self, |c| sqlx::query_as(
            "UPDATE service_desks SET name = $2, default_group_id = $3 WHERE id = $1 \
             RETURNING id, name, default_group_id, created_at"
        )
        .bind(id)
        .bind(name)
        .bind(default_group_id)
        .fetch_one(c)
        .await?))
    }

    pub async fn insert_category(
        &mut self,
        desk_id: i64,
        parent_id: Option<i64>,
        name: &str,
        now: Ts,
    ) -> Result<Category> {
        Ok(on_tx!(self, |c| sqlx::query_as(
            "INSERT INTO categories (desk_id, parent_id, name, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, desk_id, parent_id, name"
        )
        .bind(desk_id)
        .bind(parent_id)
        .bind(name)
        .bind(now)
        .fetch_one(c)
        .await?))
    }

    /// Creates or replaces the definition of a custom field.
    pub async fn put_custom_field(
        &mut self,
        desk_id: i64,
        kind: &str,
        key: &str,
        definition: &str,
        position: i64,
    ) -> Result<()> {
        on_tx!(self, |c| {
            sqlx::query(
            "INSERT INTO custom_field_defs (desk_id, kind, key, definition, position) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (desk_id, kind, key) DO UPDATE SET definition = excluded.definition, position = excluded.position"
        )
        .bind(desk_id)
        .bind(kind)
        .bind(key)
        .bind(definition)
        .bind(position)
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(())
    }

    pub async fn delete_custom_field(&mut self, desk_id: i64, kind: &str, key: &str) -> Result<bool> {
        let n = on_tx!(self, |c| sqlx::query(
            "DELETE FROM custom_field_defs WHERE desk_id = $1 AND kind = $2 AND key = $3"
        )
        .bind(desk_id)
        .bind(kind)
        .bind(key)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    pub async fn put_setting(&mut self, key: &str, value: &str) -> Result<()> {
        on_tx!(self, |c| sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        )
        .bind(key)
        .bind(value)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }
}

impl Db {
    pub async fn desks(&self) -> Result<Vec<ServiceDesk>> {
        Ok(on_read!(self, |p| sqlx::query_as(
            "SELECT id, name, default_group_id, created_at FROM service_desks ORDER BY id"
        )
        .fetch_all(p)
        .await?))
    }

    pub async fn desk(&self, id: i64) -> Result<ServiceDesk> {
        Ok(on_read!(self, |p| sqlx::query_as(
            "SELECT id, name, default_group_id, created_at FROM service_desks WHERE id = $1"
        )
        .bind(id)
        .fetch_one(p)
        .await?))
    }

    pub async fn categories(&self, desk_id: Option<i64>) -> Result<Vec<Category>> {
        Ok(on_read!(self, |p| {
            sqlx::query_as(
            "SELECT id, desk_id, parent_id, name FROM categories WHERE ($1 IS NULL OR desk_id = $1) ORDER BY desk_id, name, id"
        )
        .bind(desk_id)
        .fetch_all(p)
        .await?
        }))
    }

    pub async fn category(&self, id: i64) -> Result<Category> {
        Ok(on_read!(self, |p| sqlx::query_as("SELECT id, desk_id, parent_id, name FROM categories WHERE id = $1")
            .bind(id)
            .fetch_one(p)
            .await?))
    }

    pub async fn custom_fields(&self, desk_id: i64, kind: &str) -> Result<Vec<CustomFieldRow>> {
        Ok(on_read!(self, |p| sqlx::query_as(
            "SELECT id, desk_id, kind, key, definition, position FROM custom_field_defs \
             WHERE desk_id = $1 AND kind = $2 ORDER BY position, id"
        )
        .bind(desk_id)
        .bind(kind)
        .fetch_all(p)
        .await?))
    }

    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = on_read!(self, |p| sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(p)
            .await?);
        Ok(row.map(|r| r.0))
    }
}
