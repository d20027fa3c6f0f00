//! The email channel's records: each desk's mail settings, and every message in and out,
//! stored once per Message-ID (a unique key enforces it) with its raw bytes as a blob.

mod desk_mail;
mod mailbox;

pub use desk_mail::DeskMail;
pub use mailbox::{Mailbox, MailboxSettings};

use crate::{Db, Result, Ts, Tx};

/// Where a message went (inbound) or how far it got (outbound).
pub mod status {
    pub const TICKET: &str = "ticket";
    pub const COMMENT: &str = "comment";
    pub const HELD: &str = "held";
    pub const BOUNCE: &str = "bounce";
    pub const DROPPED: &str = "dropped";
    pub const RELEASED: &str = "released";
    pub const DISCARDED: &str = "discarded";
    pub const QUEUED: &str = "queued";
    pub const SENT: &str = "sent";
    pub const FAILED: &str = "failed";
}

macro_rules! mail_cols {
    () => {
        "id, message_id, direction, desk_id, ticket_id, comment_id, sender, recipient, subject, status, reason, \
         automatic, raw_sha256, size, html, collapsed, notice, attempts, created_at, updated_at"
    };
}

/// A message as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MailMessage {
    pub id: i64,
    pub message_id: String,
    /// `in` or `out`.
    pub direction: String,
    pub desk_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub comment_id: Option<i64>,
    pub sender: Option<String>,
    pub recipient: Option<String>,
    pub subject: String,
    pub status: String,
    /// Why it was held, dropped or failed; or why it is automatic.
    pub reason: Option<String>,
    /// Sent or received by a machine: never answered automatically.
    pub automatic: bool,
    pub raw_sha256: String,
    pub size: i64,
    /// Sanitised HTML of an inbound message.
    pub html: Option<String>,
    /// Quoted history and signature collapsed out of the timeline.
    pub collapsed: Option<String>,
    /// Outbound: which notification (`created`, `reply`, ...).
    pub notice: Option<String>,
    pub attempts: i64,
    pub created_at: Ts,
    pub updated_at: Ts,
}

/// One delivery attempt of an outbound message, as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MailDelivery {
    pub mail_id: i64,
    /// 1 for the first attempt.
    pub attempt: i64,
    /// `sent` or `failed`.
    pub outcome: String,
    /// The server's answer or the connection error of a failed attempt.
    pub error: Option<String>,
    pub at: Ts,
}

/// A message to record.
#[derive(Debug, Clone)]
pub struct NewMail<'a> {
    pub message_id: &'a str,
    pub direction: &'a str,
    pub desk_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub comment_id: Option<i64>,
    pub sender: Option<&'a str>,
    pub recipient: Option<&'a str>,
    pub subject: &'a str,
    pub status: &'a str,
    pub reason: Option<&'a str>,
    pub automatic: bool,
    pub raw_sha256: &'a str,
    pub size: i64,
    pub html: Option<&'a str>,
    pub collapsed: Option<&'a str>,
    pub notice: Option<&'a str>,
}

impl Tx {
    /// Records a message; `None` when one with the same Message-ID is already stored.
    pub async fn insert_mail(&mut self, m: &NewMail<'_>, now: Ts) -> Result<Option<MailMessage>> {
        const SQL: &str = concat!(
            "INSERT INTO mail_messages (message_id, direction, desk_id, ticket_id, comment_id, sender, recipient, \
             subject, status, reason, automatic, raw_sha256, size, html, collapsed, notice, attempts, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 0, $17, $17) \
             ON CONFLICT (message_id) DO NOTHING RETURNING ",
            mail_cols!()
        );
        Ok(on_tx!(self, |c| sqlx::query_as(SQL)
            .bind(m.message_id)
            .bind(m.direction)
            .bind(m.desk_id)
            .bind(m.ticket_id)
            .bind(m.comment_id)
            .bind(m.sender)
            .bind(m.recipient)
            .bind(m.subject)
            .bind(m.status)
            .bind(m.reason)
            .bind(m.automatic)
            .bind(m.raw_sha256)
            .bind(m.size)
            .bind(m.html)
            .bind(m.collapsed)
            .bind(m.notice)
            .bind(now)
            .fetch_optional(c)
            .await?))
    }

    /// Sets where a stored message went.
    pub async fn set_mail_outcome(
        &mut self,
        id: i64,
        status: &str,
        ticket_id: Option<i64>,
        comment_id: Option<i64>,
        reason: Option<&str>,
        now: Ts,
    ) -> Result<()> {
        on_tx!(self, |c| sqlx::query(
            "UPDATE mail_messages SET status = $2, ticket_id = $3, comment_id = $4, reason = $5, updated_at = $6 \
             WHERE id = $1"
        )
        .bind(id)
        .bind(status)
        .bind(ticket_id)
        .bind(comment_id)
        .bind(reason)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Records one delivery attempt of an outbound message: its latest state on the message,
    /// and the attempt itself in the delivery history (which a later attempt never overwrites).
    pub async fn record_send_attempt(&mut self, id: i64, status: &str, error: Option<&str>, now: Ts) -> Result<()> {
        let attempt: (i64,) = on_tx!(self, |c| sqlx::query_as(
            "UPDATE mail_messages SET status = $2, reason = $3, attempts = attempts + 1, updated_at = $4 \
             WHERE id = $1 RETURNING attempts"
        )
        .bind(id)
        .bind(status)
        .bind(error)
        .bind(now)
        .fetch_one(c)
        .await?);
        on_tx!(self, |c| sqlx::query(
            "INSERT INTO mail_deliveries (mail_id, attempt, outcome, error, at) VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(id)
        .bind(attempt.0)
        .bind(status)
        .bind(error)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Serialises deliveries from one sender until this transaction ends, so that the
    /// per-sender count and the insert it allows are one step. SQLite's write transaction
    /// (`BEGIN IMMEDIATE`) is already exclusive; PostgreSQL takes a transaction-scoped
    /// advisory lock keyed by the address (a hash collision only serialises two senders).
    pub async fn lock_mail_sender(&mut self, sender: &str) -> Result<()> {
        if let Tx::Pg(t) = self {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind(format!("opsdesk.mail-sender:{sender}"))
                .execute(&mut **t)
                .await?;
        }
        Ok(())
    }

    /// Inbound messages from `sender` since `since`, counted inside the write transaction
    /// (after `lock_mail_sender`) so that parallel deliveries cannot all pass the limit.
    pub async fn mail_count_from(&mut self, sender: &str, since: Ts) -> Result<i64> {
        let row: (i64,) = on_tx!(self, |c| sqlx::query_as(
            "SELECT COUNT(*) FROM mail_messages WHERE sender = $1 AND created_at >= $2 AND direction = 'in'"
        )
        .bind(sender)
        .bind(since)
        .fetch_one(c)
        .await?);
        Ok(row.0)
    }

    pub async fn mail_for_update(&mut self, id: i64) -> Result<MailMessage> {
        let sql = match self.backend() {
            crate::Backend::Sqlite => concat!("SELECT ", mail_cols!(), " FROM mail_messages WHERE id = $1"),
            crate::Backend::Postgres => {
                concat!("SELECT ", mail_cols!(), " FROM mail_messages WHERE id = $1 FOR UPDATE")
            }
        };
        Ok(on_tx!(self, |c| sqlx::query_as(sql).bind(id).fetch_one(c).await?))
    }
}

impl Db {
    /// The ticket of the first of `message_ids` (newest reference first) that we sent or
    /// stored and that belongs to a ticket.
    pub async fn ticket_of_references(&self, message_ids: &[String]) -> Result<Option<i64>> {
        if message_ids.is_empty() {
            return Ok(None);
        }
        let marks: Vec<String> = (1..=message_ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT message_id, ticket_id FROM mail_messages WHERE ticket_id IS NOT NULL AND message_id IN ({})",
            marks.join(", ")
        );
        let rows: Vec<(String, i64)> = on_read!(self, |c| {
            let mut q = sqlx::query_as(&sql);
            for id in message_ids {
                q = q.bind(id);
            }
            q.fetch_all(c).await?
        });
        Ok(message_ids.iter().find_map(|id| rows.iter().find(|(m, _)| m == id).map(|(_, t)| *t)))
    }

    pub async fn mail_message(&self, id: i64) -> Result<MailMessage> {
        const SQL: &str = concat!("SELECT ", mail_cols!(), " FROM mail_messages WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(SQL).bind(id).fetch_one(p).await?))
    }

    pub async fn mail_by_message_id(&self, message_id: &str) -> Result<Option<MailMessage>> {
        const SQL: &str = concat!("SELECT ", mail_cols!(), " FROM mail_messages WHERE message_id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(SQL).bind(message_id).fetch_optional(p).await?))
    }

    /// A ticket's messages in and out, oldest first.
    pub async fn mail_of_ticket(&self, ticket_id: i64) -> Result<Vec<MailMessage>> {
        const SQL: &str = concat!("SELECT ", mail_cols!(), " FROM mail_messages WHERE ticket_id = $1 ORDER BY id");
        Ok(on_read!(self, |p| sqlx::query_as(SQL).bind(ticket_id).fetch_all(p).await?))
    }

    /// The delivery attempts of a ticket's outbound messages, oldest first.
    pub async fn deliveries_of_ticket(&self, ticket_id: i64) -> Result<Vec<MailDelivery>> {
        const SQL: &str = "SELECT d.mail_id, d.attempt, d.outcome, d.error, d.at FROM mail_deliveries d \
                           JOIN mail_messages m ON m.id = d.mail_id WHERE m.ticket_id = $1 ORDER BY d.mail_id, d.attempt";
        Ok(on_read!(self, |p| sqlx::query_as(SQL).bind(ticket_id).fetch_all(p).await?))
    }

    /// Messages in a status (`held` for the agents' review), oldest first.
    pub async fn mail_in_status(&self, status: &str, after: i64, limit: i64) -> Result<Vec<MailMessage>> {
        const SQL: &str =
            concat!("SELECT ", mail_cols!(), " FROM mail_messages WHERE status = $1 AND id > $2 ORDER BY id LIMIT $3");
        Ok(on_read!(self, |p| sqlx::query_as(SQL).bind(status).bind(after).bind(limit).fetch_all(p).await?))
    }
}
