//! A desk's IMAP mailbox: connection settings (the password is stored so the worker can sign
//! in, and never leaves the process through an API), the lease that keeps one session per
//! mailbox across worker processes, and the status of its last round.

use crate::{Db, Result, Ts, Tx};

#[derive(Clone, PartialEq, sqlx::FromRow)]
pub struct Mailbox {
    pub desk_id: i64,
    pub host: String,
    pub port: i64,
    /// `none`, `starttls` or `tls`.
    pub tls: String,
    pub username: String,
    pub password: String,
    pub folder: String,
    pub poll_secs: i64,
    /// Grows with every change of the settings.
    pub revision: i64,
    pub lease_holder: Option<String>,
    pub lease_until: Option<Ts>,
    pub last_poll_at: Option<Ts>,
    pub last_error: Option<String>,
    pub last_error_at: Option<Ts>,
    pub updated_at: Ts,
}

// By hand, so that the password never reaches a log line.
impl std::fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailbox")
            .field("desk_id", &self.desk_id)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &"***")
            .field("folder", &self.folder)
            .field("poll_secs", &self.poll_secs)
            .field("revision", &self.revision)
            .finish_non_exhaustive()
    }
}

const COLS: &str = "desk_id, host, port, tls, username, password, folder, poll_secs, revision, lease_holder, \
                    lease_until, last_poll_at, last_error, last_error_at, updated_at";

/// What an admin sets.
#[derive(Clone)]
pub struct MailboxSettings<'a> {
    pub desk_id: i64,
    pub host: &'a str,
    pub port: i64,
    pub tls: &'a str,
    pub username: &'a str,
    pub password: &'a str,
    pub folder: &'a str,
    pub poll_secs: i64,
}

impl Tx {
    /// Creates or replaces a desk's mailbox settings; the status and lease stay, the revision
    /// grows (and the last error is cleared: it was about the old settings).
    pub async fn put_mailbox(&mut self, m: &MailboxSettings<'_>, now: Ts) -> Result<Mailbox> {
        let sql = format!(
            "INSERT INTO desk_mailboxes (desk_id, host, port, tls, username, password, folder, poll_secs, \
             revision, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9) ON CONFLICT (desk_id) DO UPDATE SET \
             host = excluded.host, port = excluded.port, tls = excluded.tls, username = excluded.username, \
             password = excluded.password, folder = excluded.folder, poll_secs = excluded.poll_secs, \
             revision = desk_mailboxes.revision + 1, last_error = NULL, last_error_at = NULL, \
             updated_at = excluded.updated_at RETURNING {COLS}"
        );
        Ok(on_tx!(self, |c| sqlx::query_as(&sql)
            .bind(m.desk_id)
            .bind(m.host)
            .bind(m.port)
            .bind(m.tls)
            .bind(m.username)
            .bind(m.password)
            .bind(m.folder)
            .bind(m.poll_secs)
            .bind(now)
            .fetch_one(c)
            .await?))
    }

    /// Removes a desk's mailbox; whether there was one.
    pub async fn delete_mailbox(&mut self, desk_id: i64) -> Result<bool> {
        Ok(on_tx!(self, |c| sqlx::query("DELETE FROM desk_mailboxes WHERE desk_id = $1")
            .bind(desk_id)
            .execute(c)
            .await?
            .rows_affected())
            > 0)
    }
}

impl Db {
    pub async fn mailbox(&self, desk_id: i64) -> Result<Option<Mailbox>> {
        let sql = format!("SELECT {COLS} FROM desk_mailboxes WHERE desk_id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(desk_id).fetch_optional(p).await?))
    }

    /// Every configured mailbox (one per desk at most).
    pub async fn mailboxes(&self) -> Result<Vec<Mailbox>> {
        let sql = format!("SELECT {COLS} FROM desk_mailboxes ORDER BY desk_id");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).fetch_all(p).await?))
    }

    /// Takes or renews the lease on a mailbox for `holder` until `until`, if it is free, expired
    /// or already `holder`'s. True when `holder` holds it now.
    pub async fn lease_mailbox(&self, desk_id: i64, holder: &str, now: Ts, until: Ts) -> Result<bool> {
        let mut tx = self.begin().await?;
        let n = on_tx!(&mut tx, |c| sqlx::query(
            "UPDATE desk_mailboxes SET lease_holder = $2, lease_until = $4 WHERE desk_id = $1 AND \
             (lease_holder IS NULL OR lease_holder = $2 OR lease_until IS NULL OR lease_until < $3)"
        )
        .bind(desk_id)
        .bind(holder)
        .bind(now)
        .bind(until)
        .execute(c)
        .await?
        .rows_affected());
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Gives a lease back (on shutdown), so another worker takes over at once.
    pub async fn release_mailbox(&self, desk_id: i64, holder: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, |c| {
            sqlx::query(
            "UPDATE desk_mailboxes SET lease_holder = NULL, lease_until = NULL WHERE desk_id = $1 AND lease_holder = $2"
        )
        .bind(desk_id)
        .bind(holder)
        .execute(c)
        .await?
        .rows_affected()
        });
        tx.commit().await?;
        Ok(())
    }

    /// Records a finished round (and clears the last error when `clear_error`).
    pub async fn mailbox_polled(&self, desk_id: i64, at: Ts, clear_error: bool) -> Result<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, |c| sqlx::query(
            "UPDATE desk_mailboxes SET last_poll_at = $2, \
             last_error = CASE WHEN $3 THEN NULL ELSE last_error END, \
             last_error_at = CASE WHEN $3 THEN NULL ELSE last_error_at END WHERE desk_id = $1"
        )
        .bind(desk_id)
        .bind(at)
        .bind(clear_error)
        .execute(c)
        .await?
        .rows_affected());
        tx.commit().await?;
        Ok(())
    }

    /// Records what went wrong with a mailbox (a connection failure or a refused message).
    pub async fn mailbox_failed(&self, desk_id: i64, error: &str, at: Ts) -> Result<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, |c| sqlx::query(
            "UPDATE desk_mailboxes SET last_error = $2, last_error_at = $3 WHERE desk_id = $1"
        )
        .bind(desk_id)
        .bind(error)
        .bind(at)
        .execute(c)
        .await?
        .rows_affected());
        tx.commit().await?;
        Ok(())
    }
}
