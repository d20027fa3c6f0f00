//! The agent console's queue page: queues (saved views with live counts), a ticket list driven
//! by the query language, sortable columns, cursor paging and bulk actions.

use super::view::{enc, sort_of, with_sort, Names, TicketRow};
use super::{agent_only, app_error, describe, FormPost, Nav};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use opsdesk_app::auth::Authenticated;
use opsdesk_app::tickets::{Page, Ref, TransitionInput, UpdateTicket};
use opsdesk_app::AppError;
use serde::Deserialize;

pub fn router() -> Router<WebState> {
    Router::new().route("/agent", get(queue)).route("/agent/bulk", post(bulk))
}

const DEFAULT_QUERY: &str = "status:open";
/// The queues every agent has. "Unassigned" is the triage queue: open tickets no group owns
/// yet (a desk without a default group, a mail from a new address), which every agent sees.
const BUILT_IN: [(&str, &str); 3] = [
    ("My open tickets", "assignee:me status:open"),
    ("Unassigned", "-has:group status:open"),
    ("Unassigned in my groups", "is:unassigned has:group status:open"),
];

pub struct Queue {
    pub name: String,
    pub href: String,
    pub count: String,
    pub current: bool,
}

pub struct SortLink {
    pub href: String,
    pub mark: &'static str,
}

pub struct QueryProblem {
    pub message: String,
    pub before: String,
    pub at: String,
    pub after: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "agent/queue.html")]
pub struct QueuePage {
    nav: Nav,
    q: String,
    queues: Vec<Queue>,
    rows: Vec<TicketRow>,
    problem: Option<QueryProblem>,
    next: Option<String>,
    first: Option<String>,
    by_priority: SortLink,
    by_number: SortLink,
    by_updated: SortLink,
    by_due: SortLink,
    messages: Vec<String>,
    agents: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
struct QueueQuery {
    q: Option<String>,
    after: Option<String>,
}

async fn queue(
    State(s): State<WebState>,
    jar: CookieJar,
    uri: Uri,
    q: Result<Query<QueueQuery>, QueryRejection>,
) -> Response {
    let auth = match agent_only(&s, &jar, &uri).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let q = q.map(|q| q.0).unwrap_or_default();
    render(&s, &auth, q.q.unwrap_or_else(|| DEFAULT_QUERY.into()), q.after, Vec::new()).await
}

/// Splits a query at the column an error names ("at column N: ..."), to mark it.
fn query_problem(q: &str, message: &str) -> QueryProblem {
    let column = message
        .strip_prefix("at column ")
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let chars: Vec<char> = q.chars().collect();
    let i = (column - 1).min(chars.len());
    let before: String = chars[..i].iter().collect();
    let at: String = chars.get(i).map(|c| c.to_string()).unwrap_or_else(|| " ".into());
    let after: String = chars.get(i + 1..).map(|r| r.iter().collect()).unwrap_or_default();
    QueryProblem { message: message.to_string(), before, at, after }
}

fn sort_link(q: &str, key: &str, default_desc: bool) -> SortLink {
    let current = sort_of(q);
    let (term, mark) = match current {
        Some(c) if c == key => (format!("sort:-{key}"), " ▲"),
        Some(c) if c.strip_prefix('-') == Some(key) => (format!("sort:{key}"), " ▼"),
        _ if default_desc => (format!("sort:-{key}"), ""),
        _ => (format!("sort:{key}"), ""),
    };
    SortLink { href: format!("/agent?q={}", enc(&with_sort(q, &term))), mark }
}

pub async fn render(
    s: &WebState,
    auth: &Authenticated,
    q: String,
    after: Option<String>,
    messages: Vec<String>,
) -> Response {
    let app = &s.app;
    let actor = &auth.actor;
    let mut queues = Vec::new();
    for (name, query) in BUILT_IN {
        let count = app.count_tickets(actor, query).await.map(|n| n.to_string()).unwrap_or_else(|_| "?".into());
        queues.push(Queue { name: name.into(), href: format!("/agent?q={}", enc(query)), count, current: q == query });
    }
    match app.views(actor).await {
        Ok(views) => {
            for v in views {
                queues.push(Queue {
                    current: q == v.view.query,
                    href: format!("/agent?q={}", enc(&v.view.query)),
                    name: v.view.name,
                    count: v.count.to_string(),
                });
            }
        }
        Err(e) => return app_error(Some(Nav::of(auth)), e),
    }
    let page = Page { q: q.clone(), limit: 50, after: after.clone() };
    let (rows, next, problem) = match app.list_tickets(actor, &page).await {
        Ok(p) => {
            let mut names = Names::default();
            let mut rows = Vec::with_capacity(p.items.len());
            for t in &p.items {
                rows.push(TicketRow::of(t, app, actor, &mut names).await);
            }
            let next = p.next.map(|n| format!("/agent?q={}&after={}", enc(&q), enc(&n)));
            (rows, next, None)
        }
        Err(AppError::Query(fe)) => (Vec::new(), None, Some(query_problem(&q, &fe.message))),
        Err(AppError::Invalid(inv)) => {
            let message = inv.0.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; ");
            (Vec::new(), None, Some(query_problem(&q, &message)))
        }
        Err(e) => return app_error(Some(Nav::of(auth)), e),
    };
    let agents = app
        .users(actor, 0, 500)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|u| u.active && u.role != opsdesk_domain::Role::Requester)
        .map(|u| (u.email, u.name))
        .collect();
    let first = after.map(|_| format!("/agent?q={}", enc(&q)));
    let mut nav = Nav::of(auth);
    nav.unread = app.unread_notifications(actor).await.unwrap_or(0);
    super::agent_mail::count_into(app, actor, &mut nav).await;
    QueuePage {
        nav,
        by_priority: sort_link(&q, "priority", false),
        by_number: sort_link(&q, "number", true),
        by_updated: sort_link(&q, "updated", true),
        by_due: sort_link(&q, "due", false),
        q,
        queues,
        rows,
        problem,
        next,
        first,
        messages,
        agents,
    }
    .into_response()
}

/// Bulk actions on the selected rows: assign (to me or an agent), change status, change
/// priority. Each ticket is changed on its own; failures are reported by ticket.
async fn bulk(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let q = fields.get("q").unwrap_or(DEFAULT_QUERY).to_string();
    let tickets: Vec<String> = fields.all("ticket").into_iter().map(str::to_string).collect();
    let action = fields.get("action").unwrap_or("");
    let mut messages = Vec::new();
    if tickets.is_empty() {
        messages.push("Select at least one ticket first.".to_string());
        return render(&s, &auth, q, None, messages).await;
    }
    let mut done = 0;
    for number in &tickets {
        let outcome = match action {
            "assign_me" => {
                let input = UpdateTicket { assignee: Some(auth.actor.user_id.map(Ref::Id)), ..Default::default() };
                s.app.update_ticket(&auth.actor, number, None, input).await.map(|_| ())
            }
            "assign" => {
                let to = fields.get("agent").map(|e| Ref::Name(e.to_string()));
                let input = UpdateTicket { assignee: Some(to), ..Default::default() };
                s.app.update_ticket(&auth.actor, number, None, input).await.map(|_| ())
            }
            "status" => {
                let input = TransitionInput {
                    to: fields.get("status").unwrap_or("").to_string(),
                    hold_reason: fields.get("status").filter(|s| *s == "on_hold").map(|_| "other".to_string()),
                    ..Default::default()
                };
                s.app.transition_ticket(&auth.actor, number, None, input).await.map(|_| ())
            }
            "priority" => {
                let input = UpdateTicket {
                    priority: Some(fields.get("priority").map(str::to_string)),
                    priority_reason: Some("set in bulk from the agent console".into()),
                    ..Default::default()
                };
                s.app.update_ticket(&auth.actor, number, None, input).await.map(|_| ())
            }
            _ => {
                messages.push("Choose an action.".to_string());
                break;
            }
        };
        match outcome {
            Ok(()) => done += 1,
            Err(e) => messages.push(format!("{number}: {}", describe(&e))),
        }
    }
    messages.insert(0, format!("Changed {done} of {} selected tickets.", tickets.len()));
    render(&s, &auth, q, None, messages).await
}
