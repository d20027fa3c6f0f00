//! Ticket commands: create, read, change, transition, comment, attach, link, list. Every
//! read checks visibility; every write checks that the actor may work the ticket and records
//! history and an event in the same transaction.

mod config;
pub(crate) mod create;
mod import;
pub(crate) mod intake;
mod links;
mod list;
mod refs;
pub(crate) mod timeline;
pub(crate) mod transition;
mod update;
mod views;

pub use config::{DeskInput, NewCategory, TicketSettings};
pub use create::CreateTicket;
pub use import::{ImportReport, ImportRow, RejectedRow};
pub use links::LinkInput;
pub use list::{Page, TicketPage, ViewInput, ViewWithCount};
pub use refs::Ref;
pub use timeline::{clean_filename, AttachmentUpload, Timeline};
pub use transition::TransitionInput;
pub(crate) use update::diff as field_changes;
pub use update::UpdateTicket;
pub use views::{
    AttachmentView, CategoryView, CommentView, CustomFieldView, DeskView, HistoryView, LinkView, SavedViewView,
    TicketTimelineView, TimelineView, WatcherView,
};

use crate::{App, AppError, Result};
use opsdesk_domain::ticket::{Priority, Status, StatusClass, TicketNumber};
use opsdesk_domain::Actor;
use opsdesk_store::tickets::Ticket;
use opsdesk_store::Ts;
use serde::Serialize;

/// A ticket as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Ticket)]
pub struct TicketView {
    pub id: i64,
    /// `INC-1042`: the kind's prefix and a per-kind sequence.
    pub number: String,
    #[schema(value_type = crate::schema::KindSchema)]
    pub kind: opsdesk_domain::ticket::Kind,
    pub desk_id: i64,
    pub title: String,
    pub description: String,
    #[schema(value_type = crate::schema::StatusSchema)]
    pub status: Status,
    #[schema(value_type = crate::schema::StatusClassSchema)]
    pub status_class: StatusClass,
    #[schema(value_type = Option<crate::schema::HoldReasonSchema>)]
    pub hold_reason: Option<String>,
    #[schema(value_type = crate::schema::LevelSchema)]
    pub impact: i64,
    #[schema(value_type = crate::schema::LevelSchema)]
    pub urgency: i64,
    #[schema(value_type = crate::schema::PrioritySchema)]
    pub priority: String,
    pub priority_override_reason: Option<String>,
    pub category_id: Option<i64>,
    pub requester_id: i64,
    pub organization_id: Option<i64>,
    pub shared_with_organization: bool,
    pub group_id: Option<i64>,
    pub assignee_id: Option<i64>,
    /// Values of the desk's custom fields for this kind, by key.
    #[schema(value_type = Object)]
    pub custom_fields: serde_json::Value,
    pub external_id: Option<String>,
    /// Bumped by every change; the ETag.
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Ts,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<Ts>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<Ts>,
    /// The SLA targets, on a single ticket's read (not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<Vec<crate::sla::SlaTargetView>>,
    /// The nearest due instant of the running SLA clocks, for lists (the UI's due column);
    /// not part of the API's JSON.
    #[serde(skip)]
    pub sla_due_at: Option<Ts>,
}

impl From<&Ticket> for TicketView {
    fn from(t: &Ticket) -> Self {
        TicketView {
            id: t.id,
            number: t.number.clone(),
            kind: t.kind,
            desk_id: t.desk_id,
            title: t.title.clone(),
            description: t.description.clone(),
            status: t.status,
            status_class: t.status.class(),
            hold_reason: t.hold_reason.clone(),
            impact: t.impact,
            urgency: t.urgency,
            priority: Priority::new(t.priority as u8).map(|p| p.to_string()).unwrap_or_default(),
            priority_override_reason: t.priority_override_reason.clone(),
            category_id: t.category_id,
            requester_id: t.requester_id,
            organization_id: t.organization_id,
            shared_with_organization: t.shared_with_organization,
            group_id: t.group_id,
            assignee_id: t.assignee_id,
            custom_fields: serde_json::from_str(&t.custom_fields).unwrap_or_else(|_| serde_json::json!({})),
            external_id: t.external_id.clone(),
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
            resolved_at: t.resolved_at,
            closed_at: t.closed_at,
            sla: None,
            sla_due_at: (t.sla_due_at != opsdesk_store::sla::NO_DUE).then(|| Ts::from_micros(t.sla_due_at)),
        }
    }
}

/// Why an optimistic write was refused: the ticket moved on. Carries the current state.
#[derive(Debug, Clone)]
pub struct Stale(pub Box<TicketView>);

impl App {
    /// Finds a ticket by id (`42`) or number (`INC-1042`) if the actor may see it. Tickets the
    /// actor may not see answer exactly like missing ones.
    pub async fn find_ticket(&self, actor: &Actor, id_or_number: &str) -> Result<Ticket> {
        let s = id_or_number.trim();
        let found = if let Ok(id) = s.parse::<i64>() {
            self.db.ticket(id).await
        } else if let Some(n) = TicketNumber::parse(s) {
            self.db.ticket_by_number(&n.to_string()).await
        } else {
            return Err(AppError::NotFound);
        };
        let t = found?;
        if actor.can_see_ticket(&t.access()) {
            Ok(t)
        } else {
            Err(AppError::NotFound)
        }
    }

    /// A ticket with its SLA targets.
    pub async fn ticket(&self, actor: &Actor, id_or_number: &str) -> Result<TicketView> {
        let t = self.find_ticket(actor, id_or_number).await?;
        let mut view = TicketView::from(&t);
        view.sla = Some(self.sla_targets(actor, &t, Ts::now()).await?);
        Ok(view)
    }

    /// A ticket the actor may work (agents and admins who see it).
    pub(crate) async fn workable_ticket(&self, actor: &Actor, id_or_number: &str) -> Result<Ticket> {
        let t = self.find_ticket(actor, id_or_number).await?;
        if actor.can_work_ticket(&t.access()) {
            Ok(t)
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// A short single line of text (a title), or a field error.
pub(crate) fn one_line(
    raw: &str,
    field: &str,
    max_chars: usize,
) -> std::result::Result<String, opsdesk_domain::FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(opsdesk_domain::FieldError::new(field, "required", format!("{field} is required")));
    }
    if s.chars().count() > max_chars {
        return Err(opsdesk_domain::FieldError::new(
            field,
            "too_long",
            format!("{field} has at most {max_chars} characters"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(opsdesk_domain::FieldError::new(
            field,
            "invalid_characters",
            format!("{field} is one line of text"),
        ));
    }
    Ok(s.to_string())
}

/// Free text (a description, a comment): bounded, no NUL.
pub(crate) fn body_text(
    raw: &str,
    field: &str,
    max_chars: usize,
) -> std::result::Result<String, opsdesk_domain::FieldError> {
    if raw.chars().count() > max_chars {
        return Err(opsdesk_domain::FieldError::new(
            field,
            "too_long",
            format!("{field} has at most {max_chars} characters"),
        ));
    }
    if raw.contains('\0') {
        return Err(opsdesk_domain::FieldError::new(
            field,
            "invalid_characters",
            format!("{field} contains a NUL character"),
        ));
    }
    Ok(raw.to_string())
}

pub(crate) const TITLE_MAX: usize = 300;
pub(crate) const DESCRIPTION_MAX: usize = 65_536;
