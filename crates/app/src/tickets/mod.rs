//! Ticket commands: create, read, change, transition, comment, attach, link, list. Every
//! read checks visibility; every write checks that the actor may work the ticket and records
//! history and an event in the same transaction.

mod config;
pub(crate) mod create;
mod guards;
mod import;
pub(crate) mod intake;
mod links;
mod list;
mod refs;
mod tasks;
pub(crate) mod timeline;
pub(crate) mod transition;
mod update;
mod views;

pub use config::{DeskInput, NewCategory, TicketSettings};
pub use create::CreateTicket;
pub use import::{ImportReport, ImportRow, RejectedRow};
pub use links::LinkInput;
pub use list::{Page, TicketPage, ViewInput, ViewWithCount};
pub(crate) use refs::checked;
pub use refs::Ref;
pub use tasks::CreateTask;
pub use timeline::{clean_filename, AttachmentUpload, Timeline};
pub use transition::TransitionInput;
pub use update::UpdateTicket;
pub(crate) use update::{diff as field_changes, follow_assignment};
pub use views::{
    AttachmentView, CategoryView, CommentView, CustomFieldView, DeskView, HistoryView, LinkView, SavedViewView,
    TicketTimelineView, TimelineView, WatcherView,
};

use crate::{App, AppError, Result};
use opsdesk_domain::ticket::{Priority, Status, StatusCategory, StatusClass, TicketNumber};
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
    /// What the status means across kinds: new, open, pending, resolved or closed.
    #[schema(value_type = crate::schema::StatusCategorySchema)]
    pub status_category: StatusCategory,
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
    /// The ticket a task belongs to.
    pub parent: Option<i64>,
    /// The kind's own fields, on a single ticket's read (a problem's root cause, workaround
    /// and known error); absent for kinds without any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::schema::DetailSchema>)]
    pub detail: Option<serde_json::Map<String, serde_json::Value>>,
    /// A task's predecessors: the ids of the tasks it waits for (single reads of tasks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Vec<i64>>,
    /// The workarounds of the problems this ticket is caused by, for agents (single reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workarounds: Option<Vec<Workaround>>,
    /// A change's own record with its conflicts now, on a single change's read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<crate::changes::ChangeView>,
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
            status_category: t.kind.category(t.status),
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
            // A view cannot fail here (it is built in many places); the failure is logged, and
            // every write of the ticket's fields reports it (`update`).
            custom_fields: opsdesk_store::stored_json(&format!("custom fields of ticket {}", t.id), &t.custom_fields)
                .unwrap_or_else(|_| serde_json::json!({})),
            external_id: t.external_id.clone(),
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
            resolved_at: t.resolved_at,
            closed_at: t.closed_at,
            parent: t.parent_id,
            detail: None,
            after: None,
            workarounds: None,
            change: None,
            sla: None,
            sla_due_at: (t.sla_due_at != opsdesk_store::sla::NO_DUE).then(|| Ts::from_micros(t.sla_due_at)),
        }
    }
}

/// A known error's workaround, shown on the tickets the problem causes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Workaround {
    pub problem_id: i64,
    pub problem_number: String,
    pub title: String,
    pub known_error: bool,
    pub workaround: String,
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

    /// A ticket with its SLA targets, its kind's detail record, a task's predecessors, and
    /// (for agents) the workarounds of the problems that cause it.
    pub async fn ticket(&self, actor: &Actor, id_or_number: &str) -> Result<TicketView> {
        let t = self.find_ticket(actor, id_or_number).await?;
        let mut view = self.with_detail(TicketView::from(&t)).await?;
        view.sla = Some(self.sla_targets(actor, &t, Ts::now()).await?);
        if t.kind == opsdesk_domain::ticket::Kind::Change {
            view.change = self.change_view(actor, &t).await?;
        }
        if actor.role != opsdesk_domain::Role::Requester && t.kind.def().requester_facing {
            view.workarounds = Some(self.workarounds_for(actor, t.id).await?);
        }
        Ok(view)
    }

    /// Adds what a single ticket's answer carries beyond its row: the kind's detail record and
    /// a task's predecessors.
    pub(crate) async fn with_detail(&self, mut view: TicketView) -> Result<TicketView> {
        let spec = &view.kind.def().detail;
        if !spec.is_empty() {
            view.detail = Some(spec.complete(&self.db.ticket_detail(view.id).await?));
        }
        if view.kind.def().child {
            view.after = Some(self.db.task_predecessors(view.id).await?);
        }
        Ok(view)
    }

    /// The workarounds recorded on the problems a ticket is linked to as caused by.
    pub async fn workarounds_for(&self, actor: &Actor, ticket_id: i64) -> Result<Vec<Workaround>> {
        let mut out = Vec::new();
        for (p, detail) in self.db.causing_problems(ticket_id).await? {
            let workaround = detail.get("workaround").and_then(serde_json::Value::as_str).unwrap_or_default();
            if workaround.is_empty() || !actor.can_see_ticket(&p.access()) {
                continue;
            }
            out.push(Workaround {
                problem_id: p.id,
                problem_number: p.number.clone(),
                title: p.title.clone(),
                known_error: detail.get("known_error").and_then(serde_json::Value::as_bool).unwrap_or(false),
                workaround: workaround.to_string(),
            });
        }
        Ok(out)
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
