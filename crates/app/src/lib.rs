//! Opsdesk application commands: the use cases. Each command checks who is asking, decides with
//! the domain, and writes state, audit rows and an outbox event in one transaction. It is the
//! only way state changes, whatever edge (HTTP, CLI, worker) a request arrives through.
#![forbid(unsafe_code)]

pub mod approvals;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod changes;
pub mod cmdb;
pub mod demo;
mod demo_catalog;
mod demo_changes;
mod demo_kb;
mod demo_tickets;
mod error;
pub mod group_changes;
pub mod group_commit;
pub mod groups;
pub mod jobs;
pub mod kb;
pub mod mail;
pub mod password_reset;
pub mod schema;
pub mod secrets;
pub mod sla;
pub mod tickets;
pub mod tokens;
pub mod users;
pub mod views;

pub use error::AppError;
pub use opsdesk_domain as domain;
pub use opsdesk_store as store;

use opsdesk_store::outbox::NewEvent;
use opsdesk_store::{Db, Ts, Tx};
use std::time::Duration;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Tunables of the application layer.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// How long a login session lasts.
    pub session_ttl: Duration,
    pub mail: mail::MailConfig,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig { session_ttl: Duration::from_secs(12 * 3600), mail: mail::MailConfig::default() }
    }
}

/// The application: the database and the configuration every command needs. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub config: AppConfig,
    /// New tickets waiting for the group commit.
    intake: std::sync::Arc<group_commit::GroupCommit<tickets::intake::Waiting, Result<opsdesk_store::tickets::Ticket>>>,
}

impl App {
    pub fn new(db: Db, config: AppConfig) -> Self {
        App { db, config, intake: tickets::intake::intake() }
    }
}

/// Records a domain event in the outbox of the command's transaction.
pub(crate) async fn emit(
    tx: &mut Tx,
    kind: &str,
    subject: String,
    actor: &opsdesk_domain::Actor,
    payload: serde_json::Value,
    now: Ts,
) -> Result<()> {
    tx.emit_events(&[(NewEvent { kind, subject, actor_user_id: actor.user_id, payload }, now)]).await?;
    Ok(())
}

/// Where a request came from, for the audit log and per-address throttling.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: String,
}

impl Origin {
    pub fn console() -> Self {
        Origin { ip: "console".into() }
    }
}

/// For optional input fields that can also be cleared: absent stays `None` (with
/// `#[serde(default)]`), present-and-null becomes `Some(None)`.
pub(crate) fn nullable<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// An instant typed in a query or form: RFC 3339, or a date (midnight UTC). Errors name
/// `field`.
pub fn instant_or_date(raw: &str, field: &str) -> std::result::Result<opsdesk_store::Ts, opsdesk_domain::FieldError> {
    let s = raw.trim();
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(opsdesk_store::Ts(t));
    }
    s.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| opsdesk_store::Ts(z.timestamp()))
        .ok_or_else(|| {
            opsdesk_domain::FieldError::new(field, "invalid_time", "a time like 2026-12-01 or 2026-12-01T09:00:00Z")
        })
}
