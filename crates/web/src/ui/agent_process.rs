//! The process parts of the agent's ticket page, read from the kind's declaration: the kind's
//! detail fields (a problem's root cause, workaround, known error), the workarounds of the
//! problems a ticket is caused by, a ticket's tasks with their order and the form to add one,
//! and a task's parent and predecessors.

use super::agent_ticket::{render, Outcome};
use super::view::{words, Names};
use super::FormPost;
use crate::WebState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use opsdesk_app::tickets::{CreateTask, Ref, TicketView, UpdateTicket, Workaround};
use opsdesk_app::App;
use opsdesk_domain::ticket::DetailType;
use opsdesk_domain::Actor;
use serde_json::{Map, Value};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/agent/tickets/{number}/detail", post(save_detail))
        .route("/agent/tickets/{number}/tasks", post(add_task))
}

pub struct DetailRow {
    pub name: &'static str,
    pub label: &'static str,
    pub flag: bool,
    pub max: usize,
    /// A choice's values (empty for text and flags).
    pub options: &'static [&'static str],
    pub value: String,
    pub checked: bool,
}

pub struct TaskRow {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub status: String,
    pub open: bool,
    pub assignee: String,
    pub waits_for: String,
}

/// What the page shows of the ticket's kind.
#[derive(Default)]
pub struct ProcessPanel {
    pub detail: Vec<DetailRow>,
    pub workarounds: Vec<Workaround>,
    /// Whether the ticket can have tasks (any kind that is not itself a child).
    pub takes_tasks: bool,
    pub tasks: Vec<TaskRow>,
    pub parent: Option<(String, String)>,
    pub waits_for: Vec<String>,
    /// The hold reasons the kind accepts (empty: it has no hold status).
    pub hold_reasons: Vec<(String, String)>,
}

impl ProcessPanel {
    pub async fn of(app: &App, actor: &Actor, t: &TicketView, names: &mut Names) -> ProcessPanel {
        let def = t.kind.def();
        let full = app.ticket(actor, &t.id.to_string()).await.ok();
        let detail_values = full.as_ref().and_then(|f| f.detail.clone()).unwrap_or_default();
        let detail = def
            .detail
            .fields
            .iter()
            .map(|f| {
                let v = detail_values.get(f.name);
                DetailRow {
                    name: f.name,
                    label: f.label,
                    flag: f.field_type == DetailType::Flag,
                    max: match f.field_type {
                        DetailType::Text { max } => max,
                        DetailType::Flag | DetailType::Choice { .. } => 0,
                    },
                    options: match f.field_type {
                        DetailType::Choice { options } => options,
                        _ => &[],
                    },
                    value: v.and_then(Value::as_str).unwrap_or_default().to_string(),
                    checked: v.and_then(Value::as_bool).unwrap_or(false),
                }
            })
            .collect();
        let mut tasks = Vec::new();
        if !def.child {
            let all = app.tasks_of(actor, &t.id.to_string()).await.unwrap_or_default();
            for task in &all {
                let waits: Vec<String> = task
                    .after
                    .iter()
                    .flatten()
                    .filter_map(|id| all.iter().find(|x| x.id == *id).map(|x| x.number.clone()))
                    .collect();
                tasks.push(TaskRow {
                    id: task.id,
                    number: task.number.clone(),
                    title: task.title.clone(),
                    status: words(task.status.as_str()),
                    open: task.status.is_open(),
                    assignee: names.of(app, actor, task.assignee_id).await,
                    waits_for: waits.join(", "),
                });
            }
        }
        let mut parent = None;
        let mut waits_for = Vec::new();
        if let Some(p) = t.parent {
            if let Ok(p) = app.ticket(actor, &p.to_string()).await {
                parent = Some((p.number, p.title));
            }
            for id in full.as_ref().and_then(|f| f.after.clone()).unwrap_or_default() {
                if let Ok(x) = app.ticket(actor, &id.to_string()).await {
                    waits_for.push(format!("{} ({})", x.number, words(x.status.as_str())));
                }
            }
        }
        ProcessPanel {
            detail,
            workarounds: full.and_then(|f| f.workarounds).unwrap_or_default(),
            takes_tasks: !def.child,
            tasks,
            parent,
            waits_for,
            hold_reasons: def
                .hold
                .map(|(_, reasons)| reasons.iter().map(|r| (r.as_str().to_string(), words(r.as_str()))).collect())
                .unwrap_or_default(),
        }
    }
}

/// Saves the detail form: text fields as typed (empty clears), flags as checked.
async fn save_detail(State(s): State<WebState>, Path(number): Path<String>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let current = match s.app.ticket(&auth.actor, &number).await {
        Ok(t) => t,
        Err(e) => return super::app_error(Some(super::Nav::of(&auth)), e),
    };
    let old = current.detail.clone().unwrap_or_default();
    let mut patch = Map::new();
    for f in current.kind.def().detail.fields {
        let v = match f.field_type {
            DetailType::Flag => Value::Bool(fields.has(&format!("detail.{}", f.name))),
            DetailType::Text { .. } => match fields.get(&format!("detail.{}", f.name)) {
                Some(x) => Value::String(x.replace("\r\n", "\n")),
                None => Value::Null,
            },
            DetailType::Choice { .. } => match fields.get(&format!("detail.{}", f.name)).filter(|x| !x.is_empty()) {
                Some(x) => Value::String(x.to_string()),
                None => Value::Null,
            },
        };
        if old.get(f.name) != Some(&v) {
            patch.insert(f.name.to_string(), v);
        }
    }
    let version = fields.get("version").and_then(|v| v.parse::<i64>().ok());
    let input = UpdateTicket { detail: Some(patch), ..Default::default() };
    let out = match s.app.update_ticket(&auth.actor, &number, version, input).await {
        Ok(_) => Outcome::notice("Saved."),
        Err(opsdesk_app::AppError::Stale(_)) => {
            Outcome::error("This ticket was changed by someone else meanwhile; nothing was saved. Check the current values and try again.")
        }
        Err(e) => Outcome::error(&super::describe(&e)),
    };
    render(&s, &auth, &number, out).await
}

async fn add_task(State(s): State<WebState>, Path(number): Path<String>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let input = CreateTask {
        title: fields.raw("title").to_string(),
        description: fields.raw("description").replace("\r\n", "\n"),
        group: fields.get("group").and_then(|g| g.parse().ok()).map(Ref::Id),
        assignee: fields.get("assignee").and_then(|a| a.parse().ok()).map(Ref::Id),
        after: fields.all("after").iter().filter_map(|a| a.parse().ok()).map(Ref::Id).collect(),
    };
    let out = match s.app.create_task(&auth.actor, &number, input).await {
        Ok(t) => Outcome::notice(&format!("Task {} added.", t.number)),
        Err(e) => Outcome::error(&super::describe(&e)),
    };
    render(&s, &auth, &number, out).await
}
