//! Delegates: one per person, for a window; read by the approval commands and the "waiting
//! on me" list.

use crate::{Db, Result, Ts, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DelegateRow {
    pub user_id: i64,
    pub delegate_id: i64,
    pub starts_at: Ts,
    pub ends_at: Option<Ts>,
    pub updated_at: Ts,
    pub delegate_name: String,
    pub delegate_email: String,
}

const DELEGATE_SQL: &str = "SELECT g.user_id, g.delegate_id, g.starts_at, g.ends_at, g.updated_at, \
     u.name AS delegate_name, u.email AS delegate_email FROM user_delegates g JOIN users u ON u.id = g.delegate_id";

impl Tx {
    /// Names (or replaces) a person's delegate.
    pub async fn put_delegate(
        &mut self,
        user_id: i64,
        delegate_id: i64,
        starts_at: Ts,
        ends_at: Option<Ts>,
        now: Ts,
    ) -> Result<()> {
        let sql = "INSERT INTO user_delegates (user_id, delegate_id, starts_at, ends_at, updated_at) \
                   VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET delegate_id = excluded.delegate_id, \
                   starts_at = excluded.starts_at, ends_at = excluded.ends_at, updated_at = excluded.updated_at";
        on_tx!(self, |c| sqlx::query(sql)
            .bind(user_id)
            .bind(delegate_id)
            .bind(starts_at)
            .bind(ends_at)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Clears a person's delegate; whether there was one.
    pub async fn delete_delegate(&mut self, user_id: i64) -> Result<bool> {
        let n = on_tx!(self, |c| sqlx::query("DELETE FROM user_delegates WHERE user_id = $1")
            .bind(user_id)
            .execute(c)
            .await?
            .rows_affected());
        Ok(n > 0)
    }

    /// The delegations of the given people (whatever their window), for deciding.
    pub async fn delegates_of(&mut self, user_ids: &[i64]) -> Result<Vec<DelegateRow>> {
        let mut out = Vec::new();
        for id in user_ids {
            let sql = format!("{DELEGATE_SQL} WHERE g.user_id = $1");
            let row: Option<DelegateRow> = on_tx!(self, |c| sqlx::query_as(&sql).bind(id).fetch_optional(c).await?);
            out.extend(row);
        }
        Ok(out)
    }
}

impl Db {
    pub async fn delegate_of(&self, user_id: i64) -> Result<Option<DelegateRow>> {
        let sql = format!("{DELEGATE_SQL} WHERE g.user_id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(user_id).fetch_optional(p).await?))
    }

    /// The delegations of the given people, for working out who may decide.
    pub async fn delegates_of(&self, user_ids: &[i64]) -> Result<Vec<DelegateRow>> {
        let mut out = Vec::new();
        for id in user_ids {
            out.extend(self.delegate_of(*id).await?);
        }
        Ok(out)
    }
}

/// An active person as approver resolution needs them.
#[derive(Debug, Clone, Copy, PartialEq, sqlx::FromRow)]
pub struct ActivePerson {
    pub id: i64,
    pub manager_id: Option<i64>,
}

impl Tx {
    /// An active user by id or address (inside the transaction that starts an approval).
    pub async fn active_person(&mut self, id: Option<i64>, email: Option<&str>) -> Result<Option<ActivePerson>> {
        let sql = "SELECT id, manager_id FROM users WHERE active AND (id = $1 OR email = $2)";
        Ok(on_tx!(self, |c| sqlx::query_as(sql).bind(id).bind(email).fetch_optional(c).await?))
    }

    /// A group's id by id or name.
    pub async fn group_id_named(&mut self, id: Option<i64>, name: Option<&str>) -> Result<Option<i64>> {
        let row: Option<(i64,)> = on_tx!(self, |c| sqlx::query_as("SELECT id FROM groups WHERE id = $1 OR name = $2")
            .bind(id)
            .bind(name)
            .fetch_optional(c)
            .await?);
        Ok(row.map(|r| r.0))
    }

    /// The active members of a group, by name then id.
    pub async fn active_member_ids(&mut self, group_id: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_tx!(self, |c| sqlx::query_as(
            "SELECT u.id FROM group_members m JOIN users u ON u.id = m.user_id \
             WHERE m.group_id = $1 AND u.active ORDER BY u.name, u.id"
        )
        .bind(group_id)
        .fetch_all(c)
        .await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
