//! A desk's IMAP mailbox, which the worker polls: admins set where it is and how to sign in.
//! The password is write-only: views say whether one is set, never what it is.

use crate::{App, AppError, Result};
use opsdesk_domain::validation::Checks;
use opsdesk_domain::{Actor, FieldError, Permission};
use opsdesk_store::mail::{Mailbox, MailboxSettings};
use opsdesk_store::Ts;
use serde::{Deserialize, Serialize};

/// How the worker reaches the IMAP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TlsMode {
    /// Plain text: only to a loopback address (a local server or a tunnel).
    None,
    /// Plain connection upgraded with STARTTLS before signing in (port 143).
    Starttls,
    /// TLS from the first byte (port 993).
    Tls,
}

impl TlsMode {
    pub fn parse(s: &str) -> Option<TlsMode> {
        match s {
            "none" => Some(TlsMode::None),
            "starttls" => Some(TlsMode::Starttls),
            "tls" => Some(TlsMode::Tls),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::None => "none",
            TlsMode::Starttls => "starttls",
            TlsMode::Tls => "tls",
        }
    }
}

/// The default poll interval when the server has no IDLE (and the longest wait with it).
pub const DEFAULT_POLL_SECS: i64 = 60;

/// A desk's IMAP mailbox. Without `password` the stored one is kept (required the first
/// time).
#[derive(Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DeskMailboxInput)]
pub struct MailboxInput {
    /// A host name or address, without a scheme or port; at most 253 characters.
    #[schema(
        min_length = 1,
        max_length = 253,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub host: String,
    /// 993 with `tls`, 143 otherwise, when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 65535)]
    pub port: Option<i64>,
    /// `tls` when absent; `none` only for a loopback host (422 `insecure` otherwise).
    #[serde(default)]
    #[schema(value_type = Option<TlsMode>)]
    pub tls: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 320,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub username: String,
    /// Write-only: never shown again. One line of at most 1024 characters.
    #[serde(default)]
    #[schema(write_only, max_length = 1024)]
    pub password: Option<String>,
    /// `INBOX` when absent; one line of at most 200 characters, without `"`.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub folder: Option<String>,
    /// Seconds between polls when the server has no IDLE, 5 to 86400; 60 when absent.
    #[serde(default)]
    #[schema(minimum = 5, maximum = 86400)]
    pub poll_secs: Option<i64>,
}

impl std::fmt::Debug for MailboxInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxInput")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("folder", &self.folder)
            .field("poll_secs", &self.poll_secs)
            .finish()
    }
}

/// A desk's IMAP mailbox as admins see it, with the status of the worker's last round. The
/// password is never returned.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = DeskMailbox)]
pub struct MailboxView {
    pub desk_id: i64,
    pub host: String,
    pub port: i64,
    pub tls: TlsMode,
    pub username: String,
    /// Whether a password is stored (it is never shown).
    pub password_set: bool,
    pub folder: String,
    pub poll_secs: i64,
    /// When the worker last finished a round on this mailbox.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_poll_at: Option<Ts>,
    /// What went wrong last (connection, sign-in, or a refused message), until a later round
    /// succeeds without trouble.
    pub last_error: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_error_at: Option<Ts>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Ts,
}

impl MailboxView {
    pub fn of(m: &Mailbox) -> MailboxView {
        MailboxView {
            desk_id: m.desk_id,
            host: m.host.clone(),
            port: m.port,
            tls: TlsMode::parse(&m.tls).unwrap_or(TlsMode::Tls),
            username: m.username.clone(),
            password_set: !m.password.is_empty(),
            folder: m.folder.clone(),
            poll_secs: m.poll_secs,
            last_poll_at: m.last_poll_at,
            last_error: m.last_error.clone(),
            last_error_at: m.last_error_at,
            updated_at: m.updated_at,
        }
    }
}

/// Whether `host` is a loopback name or address (where plain text is acceptable).
pub fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn text(c: &mut Checks, raw: &str, field: &str, max: usize) -> Option<String> {
    let s = raw.trim();
    if s.is_empty() {
        c.push(FieldError::new(field, "required", format!("{field} is required")));
        return None;
    }
    if s.chars().count() > max {
        c.push(FieldError::new(field, "too_long", format!("at most {max} characters")));
        return None;
    }
    // A folder name goes into IMAP commands quoted; a quote in it would end the string.
    if s.chars().any(char::is_control) || (field == "folder" && s.contains('"')) {
        c.push(FieldError::new(field, "invalid", format!("{field} is one line of text")));
        return None;
    }
    Some(s.to_string())
}

impl App {
    /// A desk's mailbox (admins), or `NotFound` when none is set.
    pub async fn desk_mailbox(&self, actor: &Actor, desk_id: i64) -> Result<MailboxView> {
        if !actor.can(Permission::ManageIdentities) {
            return Err(AppError::Forbidden);
        }
        self.db.desk(desk_id).await?;
        let m = self.db.mailbox(desk_id).await?.ok_or(AppError::NotFound)?;
        Ok(MailboxView::of(&m))
    }

    /// Sets a desk's mailbox (admins). The worker picks the change up within seconds.
    #[tracing::instrument(skip(self, input))]
    pub async fn put_desk_mailbox(&self, actor: &Actor, desk_id: i64, input: MailboxInput) -> Result<MailboxView> {
        if !actor.can(Permission::ManageIdentities) {
            return Err(AppError::Forbidden);
        }
        self.db.desk(desk_id).await?;
        let existing = self.db.mailbox(desk_id).await?;
        let mut c = Checks::new();
        let host = text(&mut c, &input.host, "host", 253);
        if let Some(h) = &host {
            if h.contains(char::is_whitespace) || h.contains('/') || h.contains('@') {
                c.push(FieldError::new("host", "invalid", "host is a name or an address, without a scheme or port"));
            }
        }
        let tls = match input.tls.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Some(TlsMode::Tls),
            Some(s) => {
                let t = TlsMode::parse(s);
                if t.is_none() {
                    c.push(FieldError::new("tls", "invalid", "tls is none, starttls or tls"));
                }
                t
            }
        };
        if let (Some(TlsMode::None), Some(h)) = (tls, &host) {
            if !is_loopback(h) {
                c.push(FieldError::new(
                    "tls",
                    "insecure",
                    "without TLS the password would cross the network in clear: only a loopback host may use none",
                ));
            }
        }
        let port = input.port.unwrap_or(match tls {
            Some(TlsMode::Tls) => 993,
            _ => 143,
        });
        if !(1..=65_535).contains(&port) {
            c.push(FieldError::new("port", "invalid", "port is 1 to 65535"));
        }
        let username = text(&mut c, &input.username, "username", 320);
        let password = match input.password.as_deref().filter(|p| !p.is_empty()) {
            Some(p) if p.len() > 1024 || p.chars().any(char::is_control) => {
                c.push(FieldError::new("password", "invalid", "the password is at most 1024 characters on one line"));
                None
            }
            Some(p) => Some(p.to_string()),
            None => match &existing {
                Some(m) if !m.password.is_empty() => Some(m.password.clone()),
                _ => {
                    c.push(FieldError::new("password", "required", "password is required"));
                    None
                }
            },
        };
        let folder = match input.folder.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Some("INBOX".to_string()),
            Some(f) => text(&mut c, f, "folder", 200),
        };
        let poll_secs = input.poll_secs.unwrap_or(DEFAULT_POLL_SECS);
        if !(5..=86_400).contains(&poll_secs) {
            c.push(FieldError::new("poll_secs", "invalid", "poll_secs is 5 to 86400 seconds"));
        }
        c.finish()?;
        let (Some(host), Some(tls), Some(username), Some(password), Some(folder)) =
            (host, tls, username, password, folder)
        else {
            return Err(AppError::Internal("validated input is incomplete".into()));
        };
        let now = Ts::now();
        let settings = MailboxSettings {
            desk_id,
            host: &host,
            port,
            tls: tls.as_str(),
            username: &username,
            password: &password,
            folder: &folder,
            poll_secs,
        };
        let mut tx = self.db.begin().await?;
        let stored = tx.put_mailbox(&settings, now).await?;
        crate::emit(
            &mut tx,
            "desk.mailbox_changed",
            format!("desk:{desk_id}"),
            actor,
            serde_json::json!({ "host": host, "port": port, "tls": tls.as_str(), "username": username, "folder": folder }),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(MailboxView::of(&stored))
    }

    /// Removes a desk's mailbox (admins); the worker stops polling it.
    #[tracing::instrument(skip(self))]
    pub async fn delete_desk_mailbox(&self, actor: &Actor, desk_id: i64) -> Result<()> {
        if !actor.can(Permission::ManageIdentities) {
            return Err(AppError::Forbidden);
        }
        self.db.desk(desk_id).await?;
        let mut tx = self.db.begin().await?;
        if !tx.delete_mailbox(desk_id).await? {
            return Err(AppError::NotFound);
        }
        crate::emit(
            &mut tx,
            "desk.mailbox_removed",
            format!("desk:{desk_id}"),
            actor,
            serde_json::json!({}),
            Ts::now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
