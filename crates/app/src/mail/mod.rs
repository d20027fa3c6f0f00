//! The email channel's commands: ingesting a message (one transaction: the message row, the
//! ticket or comment, attachments, history and the event), the desks' mail settings and
//! templates, held messages, and turning outbox events into notifications.

mod held;
mod ingest;
mod mailbox;
mod notify;
mod sender;
mod settings;
mod views;

pub use held::HeldMail;
pub use ingest::{Ingested, Outcome};
pub use mailbox::{is_loopback, MailboxInput, MailboxView, TlsMode, DEFAULT_POLL_SECS};
pub use notify::{EventRef, Notification, SEND_ATTEMPTS};
pub use settings::{DeskMailInput, DeskMailView};
pub use views::{
    DeliveryAttemptView, MailDeliveryOutcome, MailDirection, MailMessageView, MailStatusSchema, MailTemplateSchema,
    NoticeSchema, StrangerPolicySchema,
};

use std::time::Duration;

/// Tunables of the email channel.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// Messages larger than this are refused with a reason (the MTA bounces them).
    pub max_message_bytes: usize,
    /// At most this many messages from one sender within `sender_window` are posted; the
    /// rest are held.
    pub sender_limit: i64,
    pub sender_window: Duration,
    /// Where notifications are sent: `smtp://host:port` (no TLS, for a local relay),
    /// `smtps://…` or `smtp+starttls://…`, with optional `user:pass@`.
    pub smtp_url: Option<String>,
    /// The web address of this installation, for links in notifications.
    pub base_url: Option<String>,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            max_message_bytes: 25 * 1024 * 1024,
            sender_limit: 60,
            sender_window: Duration::from_secs(3600),
            smtp_url: None,
            base_url: None,
        }
    }
}
