//! Organisations: the companies or departments requesters belong to. Requesters may see the
//! tickets their organisation shares.

use crate::{Db, Result, Ts, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub created_at: Ts,
}

impl Tx {
    pub async fn insert_organization(&mut self, name: &str, now: Ts) -> Result<Organization> {
        Ok(on_tx!(self, |c| sqlx::query_as(
            "INSERT INTO organizations (name, created_at) VALUES ($1, $2) RETURNING id, name, created_at"
        )
        .bind(name)
        .bind(now)
        .fetch_one(c)
        .await?))
    }
}

impl Db {
    pub async fn organization(&self, id: i64) -> Result<Organization> {
        Ok(on_read!(self, |p| sqlx::query_as("SELECT id, name, created_at FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_one(p)
            .await?))
    }

    pub async fn organization_by_name(&self, name: &str) -> Result<Option<Organization>> {
        Ok(on_read!(self, |p| sqlx::query_as("SELECT id, name, created_at FROM organizations WHERE name = $1")
            .bind(name)
            .fetch_optional(p)
            .await?))
    }

    pub async fn organizations(&self, after: i64, limit: i64) -> Result<Vec<Organization>> {
        Ok(on_read!(self, |p| sqlx::query_as(
            "SELECT id, name, created_at FROM organizations WHERE id > $1 ORDER BY id LIMIT $2"
        )
        .bind(after)
        .bind(limit)
        .fetch_all(p)
        .await?))
    }
}
