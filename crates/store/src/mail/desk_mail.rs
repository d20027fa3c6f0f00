//! A desk's mail settings: the address mail to it arrives at (and notifications leave from),
//! the sender name, what to do with strangers' replies, and its notification templates.

use crate::{Db, Result, Ts, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeskMail {
    pub desk_id: i64,
    pub address: String,
    pub from_name: Option<String>,
    /// `hold` or `new_ticket`.
    pub strangers: String,
    /// A JSON object from notice (`created`, `reply`, ...) to template.
    pub templates: String,
    pub updated_at: Ts,
}

const COLS: &str = "desk_id, address, from_name, strangers, templates, updated_at";

impl Tx {
    /// Creates or replaces a desk's mail settings.
    pub async fn put_desk_mail(&mut self, m: &DeskMail) -> Result<DeskMail> {
        let sql = format!(
            "INSERT INTO desk_mail ({COLS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (desk_id) DO UPDATE SET \
             address = excluded.address, from_name = excluded.from_name, strangers = excluded.strangers, \
             templates = excluded.templates, updated_at = excluded.updated_at RETURNING {COLS}"
        );
        Ok(on_tx!(self, |c| sqlx::query_as(&sql)
            .bind(m.desk_id)
            .bind(&m.address)
            .bind(&m.from_name)
            .bind(&m.strangers)
            .bind(&m.templates)
            .bind(m.updated_at)
            .fetch_one(c)
            .await?))
    }
}

impl Db {
    pub async fn desk_mail(&self, desk_id: i64) -> Result<Option<DeskMail>> {
        let sql = format!("SELECT {COLS} FROM desk_mail WHERE desk_id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(desk_id).fetch_optional(p).await?))
    }

    /// Every desk's mail settings (a handful of rows: one per desk).
    pub async fn all_desk_mail(&self) -> Result<Vec<DeskMail>> {
        let sql = format!("SELECT {COLS} FROM desk_mail ORDER BY desk_id");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).fetch_all(p).await?))
    }
}
