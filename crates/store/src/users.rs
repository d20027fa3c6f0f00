//! People: requesters, agents and admins.

use crate::{Db, Result, Ts, Tx};
use opsdesk_domain::Role;

macro_rules! user_cols {
    () => {
        "id, email, name, role, time_zone, locale, organization_id, active, sees_all_groups, manager_id, created_at, updated_at"
    };
}

/// A user as stored. The password hash is deliberately not part of it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub time_zone: String,
    pub locale: String,
    pub organization_id: Option<i64>,
    pub active: bool,
    pub sees_all_groups: bool,
    /// Who approves for this person when an approval asks for "the requester's manager".
    pub manager_id: Option<i64>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

/// What creating a user needs, already validated by the caller.
#[derive(Debug)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub time_zone: &'a str,
    pub locale: &'a str,
    pub password_hash: Option<&'a str>,
    pub organization_id: Option<i64>,
}

impl Tx {
    pub async fn insert_user(&mut self, u: &NewUser<'_>, now: Ts) -> Result<User> {
        const SQL: &str = concat!(
            "INSERT INTO users (email, name, role, time_zone, locale, password_hash, organization_id, created_at, updated_at) ",
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING ",
            user_cols!()
        );
        let user = on_tx!(self, |c| sqlx::query_as(SQL)
            .bind(u.email)
            .bind(u.name)
            .bind(u.role.as_str())
            .bind(u.time_zone)
            .bind(u.locale)
            .bind(u.password_hash)
            .bind(u.organization_id)
            .bind(now)
            .fetch_one(c)
            .await?);
        Ok(user)
    }

    /// A user by address, read inside the transaction (sees its own and committed writes).
    pub async fn user_by_email(&mut self, email: &str) -> Result<Option<User>> {
        const SQL: &str = concat!("SELECT ", user_cols!(), " FROM users WHERE email = $1");
        Ok(on_tx!(self, |c| sqlx::query_as(SQL).bind(email).fetch_optional(c).await?))
    }

    /// Reads a user inside the transaction that is about to change it.
    pub async fn user_for_update(&mut self, id: i64) -> Result<User> {
        let sql = match self.backend() {
            crate::Backend::Sqlite => concat!("SELECT ", user_cols!(), " FROM users WHERE id = $1"),
            crate::Backend::Postgres => concat!("SELECT ", user_cols!(), " FROM users WHERE id = $1 FOR UPDATE"),
        };
        Ok(on_tx!(self, |c| sqlx::query_as(sql).bind(id).fetch_one(c).await?))
    }

    /// Writes back the mutable profile and access fields of a user (a taken email is a
    /// conflict on `email`).
    pub async fn update_user(&mut self, u: &User) -> Result<()> {
        const SQL: &str = "UPDATE users SET name = $2, role = $3, time_zone = $4, locale = $5, organization_id = $6, \
                           active = $7, sees_all_groups = $8, updated_at = $9, manager_id = $10, email = $11 WHERE id = $1";
        let n = on_tx!(self, |c| sqlx::query(SQL)
            .bind(u.id)
            .bind(&u.name)
            .bind(u.role.as_str())
            .bind(&u.time_zone)
            .bind(&u.locale)
            .bind(u.organization_id)
            .bind(u.active)
            .bind(u.sees_all_groups)
            .bind(u.updated_at)
            .bind(u.manager_id)
            .bind(&u.email)
            .execute(c)
            .await?
            .rows_affected());
        if n == 0 {
            return Err(crate::StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn set_password_hash(&mut self, user_id: i64, hash: &str, now: Ts) -> Result<()> {
        on_tx!(self, |c| sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(user_id)
            .bind(hash)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }
}

impl Db {
    pub async fn user(&self, id: i64) -> Result<User> {
        const SQL: &str = concat!("SELECT ", user_cols!(), " FROM users WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(SQL).bind(id).fetch_one(p).await?))
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        const SQL: &str = concat!("SELECT ", user_cols!(), " FROM users WHERE email = $1");
        Ok(on_read!(self, |p| sqlx::query_as(SQL).bind(email).fetch_optional(p).await?))
    }

    /// The stored password hash of a user, for verifying a login.
    pub async fn password_hash(&self, user_id: i64) -> Result<Option<String>> {
        let row: (Option<String>,) =
            on_read!(self, |p| sqlx::query_as("SELECT password_hash FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_one(p)
                .await?);
        Ok(row.0)
    }

    /// Users in id order after `after`, for cursor pagination.
    pub async fn users(&self, after: i64, limit: i64) -> Result<Vec<User>> {
        const SQL: &str = concat!("SELECT ", user_cols!(), " FROM users WHERE id > $1 ORDER BY id LIMIT $2");
        Ok(on_read!(self, |p| sqlx::query_as(SQL).bind(after).bind(limit).fetch_all(p).await?))
    }

    /// The groups a user is a member of, for building their access scope.
    pub async fn group_ids_of(&self, user_id: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_read!(self, |p| sqlx::query_as(
            "SELECT group_id FROM group_members WHERE user_id = $1 ORDER BY group_id"
        )
        .bind(user_id)
        .fetch_all(p)
        .await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
