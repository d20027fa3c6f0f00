//! A ticket's timeline: public replies and internal notes, attachments (content-addressed),
//! and the history of every field change.

use crate::{Backend, Db, Result, Ts, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Comment {
    pub id: i64,
    pub ticket_id: i64,
    pub author_id: Option<i64>,
    pub body: String,
    pub public: bool,
    pub source: String,
    pub created_at: Ts,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Attachment {
    pub id: i64,
    pub ticket_id: i64,
    pub comment_id: Option<i64>,
    /// The content address; never shown.
    pub sha256: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub public: bool,
    pub uploaded_by: Option<i64>,
    pub created_at: Ts,
}

#[derive(Debug, Clone)]
pub struct NewAttachment<'a> {
    pub ticket_id: i64,
    pub comment_id: Option<i64>,
    pub sha256: &'a str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub public: bool,
    pub uploaded_by: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct HistoryEntry {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub created_at: Ts,
}

const ATTACHMENT_COLS: &str =
    "id, ticket_id, comment_id, sha256, filename, content_type, size, public, uploaded_by, created_at";

impl Tx {
    pub async fn insert_comment(
        &mut self,
        ticket_id: i64,
        author_id: Option<i64>,
        body: &str,
        public: bool,
        source: &str,
        now: Ts,
    ) -> Result<Comment> {
        Ok(on_tx!(self, |c| {
            sqlx::query_as(
            "INSERT INTO comments (ticket_id, author_id, body, public, source, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             RETURNING id, ticket_id, author_id, body, public, source, created_at"
        )
        .bind(ticket_id)
        .bind(author_id)
        .bind(body)
        .bind(public)
        .bind(source)
        .bind(now)
        .fetch_one(c)
        .await?
        }))
    }

    /// Records one field change.
    pub async fn record_change(
        &mut self,
        ticket_id: i64,
        actor_id: Option<i64>,
        field: &str,
        old: Option<&str>,
        new: Option<&str>,
        now: Ts,
    ) -> Result<()> {
        on_tx!(self, |c| {
            sqlx::query(
            "INSERT INTO ticket_history (ticket_id, actor_id, field, old_value, new_value, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(ticket_id)
        .bind(actor_id)
        .bind(field)
        .bind(old)
        .bind(new)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(())
    }

    /// Stores content once per SHA-256.
    pub async fn put_blob(&mut self, sha256: &str, data: &[u8], now: Ts) -> Result<()> {
        on_tx!(self, |c| {
            sqlx::query(
            "INSERT INTO blobs (sha256, size, data, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING"
        )
        .bind(sha256)
        .bind(data.len() as i64)
        .bind(data)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(())
    }

    pub async fn insert_attachment(&mut self, a: &NewAttachment<'_>, size: i64, now: Ts) -> Result<Attachment> {
        let sql = format!(
            "INSERT INTO attachments (ticket_id, comment_id, sha256, filename, content_type, size, public, uploaded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {ATTACHMENT_COLS}"
        );
        Ok(on_tx!(self, |c| sqlx::query_as(&sql)
            .bind(a.ticket_id)
            .bind(a.comment_id)
            .bind(a.sha256)
            .bind(a.filename)
            .bind(a.content_type)
            .bind(size)
            .bind(a.public)
            .bind(a.uploaded_by)
            .bind(now)
            .fetch_one(c)
            .await?))
    }
}

impl Db {
    /// Comments of a ticket, oldest first; `internal` includes internal notes.
    pub async fn comments(&self, ticket_id: i64, internal: bool) -> Result<Vec<Comment>> {
        Ok(on_read!(self, |p| sqlx::query_as(
            "SELECT id, ticket_id, author_id, body, public, source, created_at FROM comments \
             WHERE ticket_id = $1 AND (public OR $2) ORDER BY id"
        )
        .bind(ticket_id)
        .bind(internal)
        .fetch_all(p)
        .await?))
    }

    pub async fn attachments(&self, ticket_id: i64, internal: bool) -> Result<Vec<Attachment>> {
        let sql =
            format!("SELECT {ATTACHMENT_COLS} FROM attachments WHERE ticket_id = $1 AND (public OR $2) ORDER BY id");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(ticket_id).bind(internal).fetch_all(p).await?))
    }

    pub async fn attachment(&self, ticket_id: i64, id: i64) -> Result<Attachment> {
        let sql = format!("SELECT {ATTACHMENT_COLS} FROM attachments WHERE ticket_id = $1 AND id = $2");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(ticket_id).bind(id).fetch_one(p).await?))
    }

    pub async fn blob(&self, sha256: &str) -> Result<Vec<u8>> {
        let row: (Vec<u8>,) = on_read!(self, |p| sqlx::query_as("SELECT data FROM blobs WHERE sha256 = $1")
            .bind(sha256)
            .fetch_one(p)
            .await?);
        Ok(row.0)
    }

    pub async fn history(&self, ticket_id: i64) -> Result<Vec<HistoryEntry>> {
        Ok(on_read!(self, |p| {
            sqlx::query_as(
            "SELECT id, actor_id, field, old_value, new_value, created_at FROM ticket_history WHERE ticket_id = $1 ORDER BY id"
        )
        .bind(ticket_id)
        .fetch_all(p)
        .await?
        }))
    }

    /// The text of all public comments, for rebuilding a ticket's search entry.
    pub(crate) async fn public_comment_text(&self, ticket_id: i64) -> Result<String> {
        let rows: Vec<(String,)> =
            on_read!(self, |p| sqlx::query_as("SELECT body FROM comments WHERE ticket_id = $1 AND public ORDER BY id")
                .bind(ticket_id)
                .fetch_all(p)
                .await?);
        Ok(rows.into_iter().map(|r| r.0).collect::<Vec<_>>().join("\n"))
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}
