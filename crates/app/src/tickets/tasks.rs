//! Tasks under a parent ticket: created by agents who work the parent, numbered `TSK-…`, with
//! their own group, assignee and SLA clocks, optionally waiting for other tasks of the same
//! parent. A parent cannot be resolved or fulfilled while one is open (the kinds' guards).

use super::create::{CreateTicket, Lookups};
use super::refs::Ref;
use super::TicketView;
use crate::{App, AppError, Result};
use opsdesk_domain::{Actor, FieldError};
use opsdesk_store::Ts;
use serde::Deserialize;

/// Input for a new task.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    #[schema(
        max_length = 300,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 65536, pattern = r"^[^\u0000]*$")]
    pub description: String,
    /// Defaults to the parent's group.
    pub group: Option<Ref>,
    pub assignee: Option<Ref>,
    /// Tasks of the same parent (ids or numbers) this one waits for.
    #[serde(default)]
    pub after: Vec<Ref>,
}

impl App {
    /// Adds a task to a ticket the actor works.
    #[tracing::instrument(skip(self, input))]
    pub async fn create_task(&self, actor: &Actor, parent: &str, input: CreateTask) -> Result<TicketView> {
        let parent = self.workable_ticket(actor, parent).await?;
        if parent.kind.def().child {
            return Err(FieldError::new("parent", "child_kind", "a task cannot have tasks of its own").into());
        }
        if !parent.is_open {
            return Err(AppError::Conflict {
                code: "parent_closed",
                message: format!("{} is {}; tasks are added to open tickets", parent.number, parent.status),
            });
        }
        let siblings = self.db.child_tasks(parent.id).await?;
        let mut after_ids = Vec::new();
        let mut unknown = Vec::new();
        for (i, r) in input.after.iter().enumerate() {
            let found = siblings.iter().find(|t| match r {
                Ref::Id(id) => t.id == *id,
                Ref::Name(n) => t.number.eq_ignore_ascii_case(n.trim()),
            });
            match found {
                Some(t) if !after_ids.contains(&t.id) => after_ids.push(t.id),
                Some(_) => {}
                None => unknown.push(FieldError::new(
                    format!("after[{i}]"),
                    "unknown",
                    format!("not a task of {}", parent.number),
                )),
            }
        }
        if !unknown.is_empty() {
            return Err(AppError::Invalid(opsdesk_domain::Invalid(unknown)));
        }
        let ticket = CreateTicket {
            kind: opsdesk_domain::ticket::Kind::Task.as_str().into(),
            title: input.title,
            description: input.description,
            impact: Some(parent.impact),
            urgency: Some(parent.urgency),
            category: parent.category_id.map(Ref::Id),
            desk: Some(Ref::Id(parent.desk_id)),
            group: input.group.or(parent.group_id.map(Ref::Id)),
            assignee: input.assignee,
            requester: Some(Ref::Id(parent.requester_id)),
            ..Default::default()
        };
        let now = Ts::now();
        let mut prepared = self.prepare_ticket(actor, ticket, now, &mut Lookups::for_child_of(parent.id)).await?;
        prepared.after_ids = after_ids;
        let t = self.insert_grouped(actor, prepared, now).await?;
        self.with_detail(TicketView::from(&t)).await
    }

    /// The tasks of a ticket the actor sees, oldest first, each with its predecessors.
    pub async fn tasks_of(&self, actor: &Actor, parent: &str) -> Result<Vec<TicketView>> {
        let parent = self.find_ticket(actor, parent).await?;
        let order = self.db.task_order_of_parent(parent.id).await?;
        Ok(self
            .db
            .child_tasks(parent.id)
            .await?
            .iter()
            .filter(|t| actor.can_see_ticket(&t.access()))
            .map(|t| {
                let mut v = TicketView::from(t);
                v.after = Some(order.iter().filter(|(task, _)| *task == t.id).map(|(_, after)| *after).collect());
                v
            })
            .collect())
    }
}
