//! The server-rendered web UI: the agent console (`/agent`), the self-service portal
//! (`/portal`) and the admin pages (`/admin`). Pages are askama templates (auto-escaped); every
//! form post passes through [`FormPost`] or [`UploadPost`], which check the session, the origin
//! and the session's CSRF token before a handler runs. Assets are embedded in the binary.

mod admin;
mod admin_blackouts;
mod admin_cab_policies;
mod admin_calendars;
mod admin_change_templates;
mod admin_cmdb;
mod admin_desk;
mod admin_group;
mod admin_mail;
mod admin_policies;
mod admin_questionnaire;
mod admin_user;
mod agent;
mod agent_change;
mod agent_mail;
mod agent_new;
mod agent_process;
mod agent_sla;
mod agent_ticket;
mod agent_ticket_cis;
mod approval_change;
mod approvals;
mod changes_calendar;
mod ci_maintenance;
mod cmdb;
mod cmdb_form;
mod cmdb_graph;
mod cmdb_item;
mod escalation_lines;
mod form;
mod history_words;
mod kb;
mod policy_form;
mod portal;
mod portal_catalog;
mod sla_view;
mod view;

pub use form::{FieldErrors, FormPost, UploadPost};

use crate::extract::SESSION_COOKIE;
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::CookieJar;
use opsdesk_app::auth::Authenticated;
use opsdesk_app::AppError;
use opsdesk_domain::Role;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/assets/app.js", get(js))
        .merge(agent::router())
        .merge(agent_ticket::router())
        .merge(agent_ticket_cis::router())
        .merge(agent_change::router())
        .merge(changes_calendar::router())
        .merge(agent_process::router())
        .merge(agent_new::router())
        .merge(agent_mail::router())
        .merge(agent_sla::router())
        .merge(portal::router())
        .merge(portal_catalog::router())
        .merge(admin::router())
        .merge(kb::router())
        .merge(approvals::router())
        .merge(cmdb::router())
        .merge(ci_maintenance::router())
}

async fn js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../assets/app.js"),
    )
}

/// What the page frame shows: who is signed in, the sign-out form's token, the section.
#[derive(Debug, Clone)]
pub struct Nav {
    pub name: String,
    pub role: String,
    pub csrf: String,
    pub agent: bool,
    pub admin: bool,
    /// Unread notifications, shown by the pages that read the count (the queue and the
    /// notifications page); 0 elsewhere, so other pages spend no query on it.
    pub unread: i64,
    /// Held mail waiting for this agent, counted by the same pages (capped for display).
    pub held: i64,
}

impl Nav {
    pub fn of(auth: &Authenticated) -> Nav {
        Nav {
            name: auth.user.name.clone(),
            role: auth.user.role.to_string(),
            csrf: auth.csrf_token.clone().unwrap_or_default(),
            agent: auth.user.role != Role::Requester,
            admin: auth.user.role == Role::Admin,
            unread: 0,
            held: 0,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    nav: Option<Nav>,
    title: String,
    message: String,
}

/// A page that explains a failure in words; never internals.
pub fn error_page(status: StatusCode, nav: Option<Nav>, message: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error").to_string();
    (status, ErrorPage { nav, title, message: message.to_string() }).into_response()
}

/// Turns an application error into a page.
pub fn app_error(nav: Option<Nav>, e: AppError) -> Response {
    match e {
        AppError::NotFound => error_page(StatusCode::NOT_FOUND, nav, "There is no such page, or you may not see it."),
        AppError::Forbidden => error_page(StatusCode::FORBIDDEN, nav, "You may not do that."),
        AppError::Refused { ref message, .. } => error_page(StatusCode::FORBIDDEN, nav, message),
        AppError::Gone { ref message, .. } => error_page(StatusCode::GONE, nav, message),
        AppError::Unauthenticated => Redirect::to("/login").into_response(),
        AppError::Invalid(_)
        | AppError::Conflict { .. }
        | AppError::Transition { .. }
        | AppError::GuardFailed(_)
        | AppError::TooLarge { .. }
        | AppError::Query(_)
        | AppError::Precondition(_)
        | AppError::Stale(_) => error_page(StatusCode::UNPROCESSABLE_ENTITY, nav, &describe(&e)),
        other => {
            tracing::error!(error = %other, "page failed");
            error_page(StatusCode::INTERNAL_SERVER_ERROR, nav, "Something went wrong on our side. Try again shortly.")
        }
    }
}

/// A human sentence for an expected failure (field errors are listed with their field).
pub fn describe(e: &AppError) -> String {
    match e {
        AppError::Invalid(inv) => inv.0.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; "),
        AppError::Transition { message, allowed, .. } if !allowed.is_empty() => {
            format!("{message} (allowed: {})", allowed.join(", "))
        }
        AppError::GuardFailed(guards) => guards.iter().map(|g| g.detail.clone()).collect::<Vec<_>>().join("; "),
        AppError::Forbidden => "You may not do that.".into(),
        AppError::NotFound => "Not found, or not visible to you.".into(),
        AppError::Store(_) | AppError::Internal(_) => "Something went wrong on our side.".into(),
        other => other.to_string(),
    }
}

/// The signed-in user of a page, or a redirect to the sign-in page that comes back here.
pub async fn signed_in(s: &WebState, jar: &CookieJar, uri: &Uri) -> Result<Authenticated, Response> {
    let back = || {
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let next: String = path
            .chars()
            .flat_map(|c| match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | '/' | '-' | '_' | '.' => vec![c.to_string()],
                other => other.to_string().bytes().map(|b| format!("%{b:02X}")).collect(),
            })
            .collect();
        Redirect::to(&format!("/login?next={next}")).into_response()
    };
    let Some(cookie) = jar.get(SESSION_COOKIE) else { return Err(back()) };
    s.app.authenticate_session(cookie.value()).await.map_err(|_| back())
}

/// Agents and admins; requesters are sent to the portal.
pub async fn agent_only(s: &WebState, jar: &CookieJar, uri: &Uri) -> Result<Authenticated, Response> {
    let auth = signed_in(s, jar, uri).await?;
    if auth.user.role == Role::Requester {
        return Err(Redirect::to("/portal").into_response());
    }
    Ok(auth)
}

/// Admins only; others get a 403 page.
pub async fn admin_only(s: &WebState, jar: &CookieJar, uri: &Uri) -> Result<Authenticated, Response> {
    let auth = signed_in(s, jar, uri).await?;
    if auth.user.role != Role::Admin {
        return Err(error_page(StatusCode::FORBIDDEN, Some(Nav::of(&auth)), "The admin pages are for admins."));
    }
    Ok(auth)
}

/// Where a user starts after signing in.
pub fn home_for(role: Role) -> &'static str {
    if role == Role::Requester {
        "/portal"
    } else {
        "/agent"
    }
}
