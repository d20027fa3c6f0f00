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

/// The records that refer to a group by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupUsage {
    pub members: i64,
    pub tickets: i64,
    /// Group queues (saved views shared with the group).
    pub saved_views: i64,
    /// Desks whose new tickets go to the group.
    pub default_of_desks: Vec<String>,
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

    /// Reads a group inside the transaction that is about to change it.
    pub async fn group_for_update(&mut self, id: i64) -> Result<Group> {
        let sql = match self.backend() {
            crate::Backend::Sqlite => format!("SELECT {GROUP_COLS} FROM groups WHERE id = $1"),
            crate::Backend::Postgres => format!("SELECT {GROUP_COLS} FROM groups WHERE id = $1 FOR UPDATE"),
        };
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).bind(id).fetch_one(c).await?))
    }

    /// Writes back a group's name, description and lead.
    pub async fn update_group(&mut self, g: &Group) -> Result<()> {
        let n = on_tx!(self, |c| sqlx::query(
            "UPDATE groups SET name = $2, description = $3, lead_user_id = $4 WHERE id = $1"
        )
        .bind(g.id)
        .bind(&g.name)
        .bind(&g.description)
        .bind(g.lead_user_id)
        .execute(c)
        .await?
        .rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Deletes a group; the caller has checked that nothing uses it.
    pub async fn delete_group(&mut self, id: i64) -> Result<()> {
        let n = on_tx!(self, |c| sqlx::query("DELETE FROM groups WHERE id = $1")
            .bind(id)
            .execute(c)
            .await?
            .rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Whether a user is a member of a group, read inside the transaction.
    pub async fn is_group_member(&mut self, group_id: i64, user_id: i64) -> Result<bool> {
        let row: Option<(i64,)> =
            on_tx!(self, |c| sqlx::query_as("SELECT user_id FROM group_members WHERE group_id = $1 AND user_id = $2")
                .bind(group_id)
                .bind(user_id)
                .fetch_optional(c)
                .await?);
        Ok(row.is_some())
    }

    /// What refers to a group by key, counted inside the transaction that would delete it.
    pub async fn group_usage(&mut self, id: i64) -> Result<GroupUsage> {
        let count = "SELECT (SELECT COUNT(*) FROM group_members WHERE group_id = $1), \
                     (SELECT COUNT(*) FROM tickets WHERE group_id = $1), \
                     (SELECT COUNT(*) FROM saved_views WHERE group_id = $1)";
        let (members, tickets, saved_views): (i64, i64, i64) =
            on_tx!(self, |c| sqlx::query_as(count).bind(id).fetch_one(c).await?);
        let desks: Vec<(String,)> = on_tx!(self, |c| sqlx::query_as(
            "SELECT name FROM service_desks WHERE default_group_id = $1 ORDER BY name"
        )
        .bind(id)
        .fetch_all(c)
        .await?);
        Ok(GroupUsage { members, tickets, saved_views, default_of_desks: desks.into_iter().map(|d| d.0).collect() })
    }

    /// The stored rule documents that may name groups (by id or by name) inside their JSON:
    /// SLA policies, approval templates, change approval policies and change templates, as
    /// (what, name, json).
    pub async fn group_naming_documents(&mut self) -> Result<Vec<(String, String, String)>> {
        let sql = "SELECT 'SLA policy', name, spec FROM sla_policies \
                   UNION ALL SELECT 'approval template', name, spec FROM approval_templates \
                   UNION ALL SELECT 'change approval policy', name, stages FROM change_approval_policies \
                   UNION ALL SELECT 'change template', name, tasks FROM change_templates";
        Ok(on_tx!(self, |c| sqlx::query_as(sql).fetch_all(c).await?))
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
        // A lead is a member: one who leaves stops leading.
        on_tx!(self, |c| sqlx::query("UPDATE groups SET lead_user_id = NULL WHERE id = $1 AND lead_user_id = $2")
            .bind(group_id)
            .bind(user_id)
            .execute(c)
            .await?
            .rows_affected());
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
