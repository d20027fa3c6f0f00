//! Saved views: a named query, owned by a user or shared with a group.

use super::filter::{Arg, Sql};
use crate::bind_all;
use crate::{Db, Result, Ts, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SavedView {
    pub id: i64,
    pub name: String,
    pub query: String,
    pub owner_user_id: Option<i64>,
    pub group_id: Option<i64>,
    pub position: i64,
    pub created_at: Ts,
}

const VIEW_COLS: &str = "id, name, query, owner_user_id, group_id, position, created_at";

impl Tx {
    pub async fn insert_view(
        &mut self,
        name: &str,
        query: &str,
        owner_user_id: Option<i64>,
        group_id: Option<i64>,
        position: i64,
        now: Ts,
    ) -> Result<SavedView> {
        let sql = format!(
            "INSERT INTO saved_views (name, query, owner_user_id, group_id, position, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             RETURNING {VIEW_COLS}"
        );
        Ok(on_tx!(self, |c| sqlx::query_as(&sql)
            .bind(name)
            .bind(query)
            .bind(owner_user_id)
            .bind(group_id)
            .bind(position)
            .bind(now)
            .fetch_one(c)
            .await?))
    }

    pub async fn delete_view(&mut self, id: i64) -> Result<bool> {
        let n = on_tx!(self, |c| sqlx::query("DELETE FROM saved_views WHERE id = $1")
            .bind(id)
            .execute(c)
            .await?
            .rows_affected());
        Ok(n == 1)
    }
}

impl Db {
    pub async fn view(&self, id: i64) -> Result<SavedView> {
        let sql = format!("SELECT {VIEW_COLS} FROM saved_views WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(id).fetch_one(p).await?))
    }

    /// The views a user sees: their own and those of their groups.
    pub async fn views_for(&self, user_id: i64, group_ids: &[i64]) -> Result<Vec<SavedView>> {
        let mut sql = Sql::default();
        let u = sql.arg(Arg::I(user_id));
        let groups =
            if group_ids.is_empty() { String::new() } else { format!(" OR group_id IN ({})", sql.ints(group_ids)) };
        sql.text =
            format!("SELECT {VIEW_COLS} FROM saved_views WHERE owner_user_id = {u}{groups} ORDER BY position, id");
        Ok(on_read!(self, |p| bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(p).await?))
    }
}
