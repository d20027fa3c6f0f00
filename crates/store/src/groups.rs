//! Groups of agents (assignment groups, resolver teams) and their members.

use crate::{Db, Result, StoreError, Ts, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub lead_user_id: Option<i64>,
    pub created_at: Ts,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct GroupMember {
    pub user_id: i64,
    pub email: String,
    pub name: String,
    pub added_at: Ts,
}

const GROUP_COLS: &str = "id, name, description, lead_user_id, created_at";

impl Tx {
    pub async fn insert_group(
        &mut self,
        name: &str,
        description: &str,
        lead_user_id: Option<i64>,
        now: Ts,
    ) -> Result<Group> {
        Ok(on_tx!(self, |c| sqlx::query_as(
            "INSERT INTO groups (name, description, lead_user_id, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, name, description, lead_user_id, created_at"
        )
        .bind(name)
        .bind(description)
        .bind(lead_user_id)
        .bind(now)
        .fetch_one(c)
        .await?))
    }

    /// Adds a member; adding someone who is already a member changes nothing and returns false.
    pub async fn add_group_member(&mut self, group_id: i64, user_id: i64, now: Ts) -> Result<bool> {
        let n = on_tx!(self, |c| sqlx::query(
            "INSERT INTO group_members (group_id, user_id, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        )
        .bind(group_id)
        .bind(user_id)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    pub async fn remove_group_member(&mut self, group_id: i64, user_id: i64) -> Result<()> {
        let n = on_tx!(self, |c| sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
            .bind(group_id)
            .bind(user_id)
            .execute(c)
            .await?
            .rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

impl Db {
    pub async fn group(&self, id: i64) -> Result<Group> {
        let sql = format!("SELECT {GROUP_COLS} FROM groups WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(id).fetch_one(p).await?))
    }

    pub async fn group_by_name(&self, name: &str) -> Result<Option<Group>> {
        let sql = format!("SELECT {GROUP_COLS} FROM groups WHERE name = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(name).fetch_optional(p).await?))
    }

    pub async fn groups(&self, after: i64, limit: i64) -> Result<Vec<Group>> {
        let sql = format!("SELECT {GROUP_COLS} FROM groups WHERE id > $1 ORDER BY id LIMIT $2");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(after).bind(limit).fetch_all(p).await?))
    }

    pub async fn group_members(&self, group_id: i64) -> Result<Vec<GroupMember>> {
        Ok(on_read!(self, |p| sqlx::query_as(
            "SELECT u.id AS user_id, u.email, u.name, m.added_at FROM group_members m \
             JOIN users u ON u.id = m.user_id WHERE m.group_id = $1 ORDER BY u.name, u.id"
        )
        .bind(group_id)
        .fetch_all(p)
        .await?))
    }
}
