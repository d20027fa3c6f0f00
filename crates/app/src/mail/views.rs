//! What the API shows of mail: messages in and out as view types owned here (not the store's
//! rows, which also hold the raw message's address and its sanitised HTML), and the schemas
//! of the mail library's values (templates, notices, the stranger policy), read from its own
//! lists.

use opsdesk_mail::template::Notice;
use opsdesk_mail::thread::StrangerPolicy;
use opsdesk_store::mail::{status, MailDelivery, MailMessage};
use opsdesk_store::Ts;
use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// A message in or out, stored once per Message-ID.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = MailMessage)]
pub struct MailMessageView {
    pub id: i64,
    pub message_id: String,
    #[schema(value_type = MailDirection)]
    pub direction: String,
    pub desk_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub comment_id: Option<i64>,
    pub sender: Option<String>,
    pub recipient: Option<String>,
    pub subject: String,
    #[schema(value_type = MailStatusSchema)]
    pub status: String,
    /// Why it is held, dropped or automatic, or the last delivery error.
    pub reason: Option<String>,
    /// Sent or received by a machine: never answered automatically.
    pub automatic: bool,
    /// Bytes of the raw message.
    pub size: i64,
    /// Quoted history and signature, collapsed in the timeline.
    pub collapsed: Option<String>,
    /// Outbound: which notification.
    #[schema(value_type = Option<NoticeSchema>)]
    pub notice: Option<String>,
    /// Delivery attempts of an outbound message.
    pub attempts: i64,
    /// Every delivery attempt of an outbound message with its outcome and error, oldest
    /// first (a ticket's mail only; empty elsewhere and for inbound messages).
    pub deliveries: Vec<DeliveryAttemptView>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Ts,
}

/// One delivery attempt of an outbound message.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = MailDeliveryAttempt)]
pub struct DeliveryAttemptView {
    /// 1 for the first attempt.
    pub attempt: i64,
    /// `sent` or `failed`.
    #[schema(value_type = MailDeliveryOutcome)]
    pub outcome: String,
    /// The mail server's answer or the connection error of a failed attempt.
    pub error: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub at: Ts,
}

impl From<&MailDelivery> for DeliveryAttemptView {
    fn from(d: &MailDelivery) -> Self {
        DeliveryAttemptView { attempt: d.attempt, outcome: d.outcome.clone(), error: d.error.clone(), at: d.at }
    }
}

/// `sent` or `failed`.
pub struct MailDeliveryOutcome;

impl PartialSchema for MailDeliveryOutcome {
    fn schema() -> RefOr<Schema> {
        string_enum("How a delivery attempt ended.", [status::SENT, status::FAILED])
    }
}

impl ToSchema for MailDeliveryOutcome {}

impl From<&MailMessage> for MailMessageView {
    fn from(m: &MailMessage) -> Self {
        MailMessageView {
            id: m.id,
            message_id: m.message_id.clone(),
            direction: m.direction.clone(),
            desk_id: m.desk_id,
            ticket_id: m.ticket_id,
            comment_id: m.comment_id,
            sender: m.sender.clone(),
            recipient: m.recipient.clone(),
            subject: m.subject.clone(),
            status: m.status.clone(),
            reason: m.reason.clone(),
            automatic: m.automatic,
            size: m.size,
            collapsed: m.collapsed.clone(),
            notice: m.notice.clone(),
            attempts: m.attempts,
            deliveries: Vec::new(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

fn string_enum(description: &str, values: impl IntoIterator<Item = &'static str>) -> RefOr<Schema> {
    let values: Vec<&str> = values.into_iter().collect();
    ObjectBuilder::new().schema_type(Type::String).description(Some(description)).enum_values(Some(values)).into()
}

/// `in` or `out`.
pub struct MailDirection;

impl PartialSchema for MailDirection {
    fn schema() -> RefOr<Schema> {
        string_enum("Received (`in`) or sent (`out`).", ["in", "out"])
    }
}

impl ToSchema for MailDirection {}

/// Where a message stands (`opsdesk_store::mail::status`).
pub struct MailStatusSchema;

impl PartialSchema for MailStatusSchema {
    fn schema() -> RefOr<Schema> {
        use status::*;
        string_enum(
            "In: what it became (`ticket`, `comment`), or `held`, `bounce`, `dropped`, then `released` or \
             `discarded`. Out: `queued`, `sent` or `failed`.",
            [TICKET, COMMENT, HELD, BOUNCE, DROPPED, RELEASED, DISCARDED, QUEUED, SENT, FAILED],
        )
    }
}

impl ToSchema for MailStatusSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "MailStatus".into()
    }
}

/// The notifications a desk sends, each with a template (`Notice::ALL`).
pub struct NoticeSchema;

impl PartialSchema for NoticeSchema {
    fn schema() -> RefOr<Schema> {
        string_enum("A kind of notification.", Notice::ALL.map(Notice::as_str))
    }
}

impl ToSchema for NoticeSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "MailNotice".into()
    }
}

/// What a reply from someone who is not a participant does.
pub struct StrangerPolicySchema;

impl PartialSchema for StrangerPolicySchema {
    fn schema() -> RefOr<Schema> {
        string_enum(
            "What a reply from a non-participant does: `hold` it for an agent, or open a `new_ticket`.",
            [StrangerPolicy::Hold, StrangerPolicy::NewTicket].map(StrangerPolicy::as_str),
        )
    }
}

impl ToSchema for StrangerPolicySchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "StrangerPolicy".into()
    }
}

/// A notification template (`opsdesk_mail::template::Template`).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MailTemplate)]
#[allow(dead_code)] // documents `Template`, which the mail library (de)serialises as is
pub struct MailTemplateSchema {
    /// One line, at most 64 KiB. `{{ placeholder }}` fields: ticket.number, ticket.title,
    /// ticket.status, ticket.url, desk.name, requester.name, agent.name, comment.body,
    /// author.name; values are inserted once, never evaluated, and escaped in HTML. Unknown
    /// placeholders are field errors (`unknown_placeholder`).
    #[schema(
        min_length = 1,
        max_length = 65536,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    subject: String,
    /// The plain-text part, at most 64 KiB.
    #[schema(max_length = 65536)]
    text: String,
    /// The HTML part, at most 64 KiB; without it the HTML part is the text in paragraphs.
    #[schema(max_length = 65536)]
    html: Option<String>,
}
