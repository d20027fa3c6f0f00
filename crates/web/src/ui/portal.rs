//! The self-service portal: requesters log tickets, follow their own and their organisation's,
//! reply publicly, and confirm or reopen a resolution. Internal notes are never shown here.

use super::agent_ticket::attach;
use super::sla_view::{EventRow, TargetRow};
use super::view::{conversation, words, AttachmentRow, Entry, Names, TicketRow};
use super::{app_error, describe, signed_in, Nav, UploadPost};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use opsdesk_app::auth::Authenticated;
use opsdesk_app::tickets::{CreateTicket, Page, Ref, TicketView, TransitionInput};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/portal", get(home))
        .route("/portal/new", get(new_form).post(create))
        .route("/portal/tickets/{number}", get(ticket))
        .route("/portal/tickets/{number}/reply", post(reply))
        .route("/portal/tickets/{number}/transitions", post(transition))
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/home.html")]
struct HomePage {
    nav: Nav,
    mine: Vec<TicketRow>,
    shared: Vec<TicketRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/new.html")]
struct NewPage {
    nav: Nav,
    categories: Vec<(String, String)>,
    kind: String,
    category: String,
    title: String,
    description: String,
    /// The business services offered to the requester, as `(id, name)`.
    services: Vec<(String, String)>,
    service: String,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/ticket.html")]
struct TicketPage {
    nav: Nav,
    t: TicketView,
    kind: String,
    status: String,
    entries: Vec<Entry>,
    files: Vec<AttachmentRow>,
    resolved: bool,
    open: bool,
    reopen_to: String,
    error: Option<String>,
    notice: Option<String>,
    sla: Vec<TargetRow>,
    sla_events: Vec<EventRow>,
}

async fn home(State(s): State<WebState>, jar: CookieJar, uri: Uri) -> Response {
    let auth = match signed_in(&s, &jar, &uri).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let page = Page { q: String::new(), limit: 200, after: None };
    let list = match s.app.list_tickets(&auth.actor, &page).await {
        Ok(l) => l,
        Err(e) => return app_error(Some(Nav::of(&auth)), e),
    };
    let mut names = Names::default();
    let (mut mine, mut shared) = (Vec::new(), Vec::new());
    for t in &list.items {
        let row = TicketRow::of(t, &s.app, &auth.actor, &mut names).await;
        if t.requester_id == auth.user.id {
            mine.push(row);
        } else {
            shared.push(row);
        }
    }
    HomePage { nav: Nav::of(&auth), mine, shared }.into_response()
}

/// Categories of every desk, as `(id, "Desk / Parent / Name")`.
async fn category_choices(s: &WebState) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let desks = s.app.desks().await.unwrap_or_default();
    for d in &desks {
        let cats = s.app.categories(Some(d.id)).await.unwrap_or_default();
        for c in &cats {
            let parent = c.parent_id.and_then(|p| cats.iter().find(|x| x.id == p)).map(|p| format!("{} / ", p.name));
            let label = if desks.len() > 1 {
                format!("{} / {}{}", d.name, parent.unwrap_or_default(), c.name)
            } else {
                format!("{}{}", parent.unwrap_or_default(), c.name)
            };
            out.push((c.id.to_string(), label));
        }
    }
    out
}

/// The services a requester may name as affected (none when they cannot be read: the form
/// still works without).
pub async fn service_choices(s: &WebState, auth: &Authenticated) -> Vec<(String, String)> {
    s.app
        .services_to_pick(&auth.actor)
        .await
        .map_err(|e| tracing::warn!(error = %e, "the new-ticket form offers no services"))
        .unwrap_or_default()
        .into_iter()
        .map(|sv| (sv.id.to_string(), sv.name))
        .collect()
}

/// Names the affected service on a new incident; whether it worked.
pub async fn name_affected_service(s: &WebState, auth: &Authenticated, number: &str, service: Option<i64>) -> bool {
    let Some(ci) = service else { return true };
    let input = opsdesk_app::cmdb::TicketCiInput { ci, role: Some("affected".into()) };
    s.app
        .add_ticket_ci(&auth.actor, number, input)
        .await
        .map_err(|e| tracing::warn!(error = %e, "the affected service was not named on the new ticket"))
        .is_ok()
}

async fn new_form(State(s): State<WebState>, jar: CookieJar, uri: Uri) -> Response {
    let auth = match signed_in(&s, &jar, &uri).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    NewPage {
        nav: Nav::of(&auth),
        categories: category_choices(&s).await,
        kind: "incident".into(),
        category: String::new(),
        title: String::new(),
        description: String::new(),
        services: service_choices(&s, &auth).await,
        service: String::new(),
        error: None,
    }
    .into_response()
}

async fn create(State(s): State<WebState>, post: UploadPost) -> Response {
    let UploadPost { auth, fields, file } = post;
    let kind = if fields.get("kind") == Some("service_request") { "service_request" } else { "incident" };
    let category_id = fields.get("category").and_then(|c| c.parse::<i64>().ok());
    let mut desk = None;
    if let Some(c) = category_id {
        for d in s.app.desks().await.unwrap_or_default() {
            if s.app.categories(Some(d.id)).await.unwrap_or_default().iter().any(|x| x.id == c) {
                desk = Some(Ref::Id(d.id));
            }
        }
    }
    let input = CreateTicket {
        kind: kind.into(),
        title: fields.raw("title").into(),
        description: fields.raw("description").replace("\r\n", "\n"),
        category: category_id.map(Ref::Id),
        desk,
        ..Default::default()
    };
    let service = fields.get("service").and_then(|v| v.parse::<i64>().ok()).filter(|_| kind == "incident");
    match s.app.create_ticket(&auth.actor, input).await {
        Ok(t) => {
            let mut failed = Vec::new();
            if let Some(f) = file {
                if attach(&s, &auth, &t.number, f, true).await.is_err() {
                    failed.push("attachment=failed");
                }
            }
            if !name_affected_service(&s, &auth, &t.number, service).await {
                failed.push("service=failed");
            }
            let mut target = format!("/portal/tickets/{}", t.number);
            if !failed.is_empty() {
                target.push('?');
                target.push_str(&failed.join("&"));
            }
            Redirect::to(&target).into_response()
        }
        Err(e) => NewPage {
            nav: Nav::of(&auth),
            categories: category_choices(&s).await,
            kind: kind.into(),
            category: category_id.map(|c| c.to_string()).unwrap_or_default(),
            title: fields.raw("title").into(),
            description: fields.raw("description").into(),
            services: service_choices(&s, &auth).await,
            service: fields.raw("service").trim().into(),
            error: Some(describe(&e)),
        }
        .into_response(),
    }
}

async fn render(
    s: &WebState,
    auth: &Authenticated,
    number: &str,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    let zone = auth.user.time_zone.as_str();
    let (t, tl, sla) = match s.app.ticket_page(&auth.actor, number, zone).await {
        Ok(x) => x,
        Err(e) => return app_error(Some(Nav::of(auth)), e),
    };
    let mut names = Names::default();
    let (entries, files) = conversation(&t, &tl, &s.app, &auth.actor, &mut names, true).await;
    let resolved = t.status == t.kind.resolved_status();
    TicketPage {
        nav: Nav::of(auth),
        kind: words(t.kind.as_str()),
        status: words(t.status.as_str()),
        resolved,
        open: t.status.is_open(),
        reopen_to: t.kind.reopen_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
        entries,
        files,
        error,
        notice,
        sla: sla.targets.iter().map(|x| TargetRow::of(x, zone)).collect(),
        // Requesters see their targets, never the clock history.
        sla_events: Vec::new(),
        t,
    }
    .into_response()
}

#[derive(serde::Deserialize, Default)]
struct TicketQuery {
    attachment: Option<String>,
    service: Option<String>,
}

async fn ticket(
    State(s): State<WebState>,
    jar: CookieJar,
    uri: Uri,
    Path(number): Path<String>,
    q: Result<axum::extract::Query<TicketQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let auth = match signed_in(&s, &jar, &uri).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let q = q.map(|q| q.0).unwrap_or_default();
    let error = match (q.attachment, q.service) {
        (None, None) => None,
        (Some(_), None) => Some("The ticket was logged, but the attachment could not be added."),
        (None, Some(_)) => Some("The ticket was logged, but the affected service could not be named on it."),
        (Some(_), Some(_)) => {
            Some("The ticket was logged, but neither the attachment nor the affected service could be added.")
        }
    }
    .map(str::to_string);
    render(&s, &auth, &number, error, None).await
}

async fn reply(State(s): State<WebState>, Path(number): Path<String>, post: UploadPost) -> Response {
    let UploadPost { auth, fields, file } = post;
    let body = fields.raw("body").replace("\r\n", "\n");
    if body.trim().is_empty() && file.is_none() {
        return render(&s, &auth, &number, Some("Write a reply or attach a file.".into()), None).await;
    }
    if !body.trim().is_empty() {
        if let Err(e) = s.app.add_comment(&auth.actor, &number, &body, true).await {
            return render(&s, &auth, &number, Some(describe(&e)), None).await;
        }
    }
    if let Some(f) = file {
        if let Err(e) = attach(&s, &auth, &number, f, true).await {
            return render(&s, &auth, &number, Some(e), None).await;
        }
    }
    Redirect::to(&format!("/portal/tickets/{}", super::view::enc(&number))).into_response()
}

/// Confirm a resolution (close) or reopen; the application decides what a requester may do.
async fn transition(State(s): State<WebState>, Path(number): Path<String>, post: super::FormPost) -> Response {
    let super::FormPost { auth, fields } = post;
    let to = fields.get("to").unwrap_or("").to_string();
    let input = TransitionInput { to, comment: fields.get("comment").map(str::to_string), ..Default::default() };
    match s.app.transition_ticket(&auth.actor, &number, None, input).await {
        Ok(t) => {
            let msg = format!("Thank you. The ticket is now {}.", words(t.status.as_str()));
            render(&s, &auth, &number, None, Some(msg)).await
        }
        Err(e) => render(&s, &auth, &number, Some(describe(&e)), None).await,
    }
}
