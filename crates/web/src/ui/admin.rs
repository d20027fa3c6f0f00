//! The admin pages for identities: users (create, role, deactivate), their API tokens (shown
//! once), organisations, groups and memberships. Desk configuration is in `admin_desk`.

use super::{admin_only, app_error, describe, error_page, FormPost, Nav};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use opsdesk_app::auth::Authenticated;
use opsdesk_app::groups::{CreateGroup, CreateOrganization};
use opsdesk_app::users::{CreateUser, UpdateUser};
use opsdesk_app::AppError;
use opsdesk_store::groups::Group;
use opsdesk_store::organizations::Organization;
use opsdesk_store::tokens::ApiToken;
use opsdesk_store::users::User;
use serde::Deserialize;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/admin", get(|| async { Redirect::to("/admin/users") }))
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/{id}", post(update_user))
        .route("/admin/users/{id}/tokens", get(tokens).post(issue_token))
        .route("/admin/tokens/{id}/revoke", post(revoke_token))
        .route("/admin/organizations", get(organizations).post(create_organization))
        .route("/admin/groups", get(groups).post(create_group))
        .merge(super::admin_group::router())
        .merge(super::admin_user::router())
        .merge(super::admin_desk::router())
        .merge(super::admin_mail::router())
        .merge(super::admin_calendars::router())
        .merge(super::admin_policies::router())
        .merge(super::admin_cmdb::router())
        .merge(super::admin_change_templates::router())
        .merge(super::admin_blackouts::router())
        .merge(super::admin_questionnaire::router())
        .merge(super::admin_cab_policies::router())
}

/// The confirmation shown after a successful change (`?ok=` carries a fixed code, never text).
#[derive(Deserialize, Default)]
pub struct Done {
    pub ok: Option<String>,
}

impl Done {
    pub fn message(&self) -> Option<&'static str> {
        Some(match self.ok.as_deref()? {
            "created" => "Created.",
            "saved" => "Saved.",
            "added" => "Added.",
            "removed" => "Removed.",
            "revoked" => "Revoked.",
            "deleted" => "Deleted.",
            "reset_sent" => "A password-reset link is on its way to the user.",
            _ => return None,
        })
    }
}

pub fn done(path: &str, what: &str) -> Response {
    Redirect::to(&format!("{path}?ok={what}")).into_response()
}

/// A failed admin change: the reason, on a page with a way back.
pub fn failed(auth: &Authenticated, e: AppError) -> Response {
    match e {
        AppError::Invalid(_) | AppError::Conflict { .. } | AppError::Forbidden | AppError::NotFound => {
            error_page(StatusCode::UNPROCESSABLE_ENTITY, Some(Nav::of(auth)), &describe(&e))
        }
        other => app_error(Some(Nav::of(auth)), other),
    }
}

macro_rules! admin {
    ($s:expr, $jar:expr, $uri:expr) => {
        match admin_only(&$s, &$jar, &$uri).await {
            Ok(a) => a,
            Err(r) => return r,
        }
    };
}
pub(crate) use admin;

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
struct UsersPage {
    nav: Nav,
    ok: Option<&'static str>,
    users: Vec<User>,
    organizations: Vec<Organization>,
}

async fn users(State(s): State<WebState>, jar: CookieJar, uri: Uri, q: Query<Done>) -> Response {
    let auth = admin!(s, jar, uri);
    let users = match s.app.users(&auth.actor, 0, 500).await {
        Ok(u) => u,
        Err(e) => return app_error(Some(Nav::of(&auth)), e),
    };
    let organizations = s.app.organizations(&auth.actor, 0, 500).await.unwrap_or_default();
    UsersPage { nav: Nav::of(&auth), ok: q.message(), users, organizations }.into_response()
}

async fn create_user(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let input = CreateUser {
        email: fields.raw("email").into(),
        name: fields.raw("name").into(),
        role: fields.get("role").unwrap_or("requester").into(),
        password: fields.get("password").map(str::to_string),
        organization_id: fields.get("organization_id").and_then(|v| v.parse().ok()),
        ..Default::default()
    };
    match s.app.create_user(&auth.actor, input).await {
        Ok(_) => done("/admin/users", "created"),
        Err(e) => failed(&auth, e),
    }
}

/// Changes a role or (re)activates. Deactivating needs the confirmation page's `confirm=yes`;
/// without it, the browser is sent to that page.
async fn update_user(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    if fields.get("active") == Some("false") && fields.get("confirm") != Some("yes") {
        return Redirect::to(&format!("/admin/users/{id}/deactivate")).into_response();
    }
    let back = if fields.get("back") == Some("user") { format!("/admin/users/{id}") } else { "/admin/users".into() };
    let input = UpdateUser {
        role: fields.get("role").map(str::to_string),
        active: fields.get("active").map(|v| v == "true"),
        ..Default::default()
    };
    match s.app.update_user(&auth.actor, id, input).await {
        Ok(_) => done(&back, "saved"),
        Err(e) => failed(&auth, e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/tokens.html")]
struct TokensPage {
    nav: Nav,
    ok: Option<&'static str>,
    user: User,
    tokens: Vec<ApiToken>,
    secret: Option<String>,
}

async fn tokens_page(
    s: &WebState,
    auth: &Authenticated,
    id: i64,
    ok: Option<&'static str>,
    secret: Option<String>,
) -> Response {
    let user = match s.app.user(&auth.actor, id).await {
        Ok(u) => u,
        Err(e) => return app_error(Some(Nav::of(auth)), e),
    };
    let tokens = s.app.api_tokens(&auth.actor, id).await.unwrap_or_default();
    TokensPage { nav: Nav::of(auth), ok, user, tokens, secret }.into_response()
}

async fn tokens(State(s): State<WebState>, jar: CookieJar, uri: Uri, Path(id): Path<i64>, q: Query<Done>) -> Response {
    let auth = admin!(s, jar, uri);
    tokens_page(&s, &auth, id, q.message(), None).await
}

/// Issues a token and shows its secret on this one response only.
async fn issue_token(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    match s.app.issue_api_token(&auth.actor, id, fields.get("name").unwrap_or("token")).await {
        Ok(issued) => {
            let mut res = tokens_page(&s, &auth, id, None, Some(issued.secret)).await;
            res.headers_mut()
                .insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => failed(&auth, e),
    }
}

async fn revoke_token(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, .. } = post;
    match s.app.revoke_api_token(&auth.actor, id).await {
        Ok(t) => done(&format!("/admin/users/{}/tokens", t.user_id), "revoked"),
        Err(e) => failed(&auth, e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/organizations.html")]
struct OrganizationsPage {
    nav: Nav,
    ok: Option<&'static str>,
    organizations: Vec<Organization>,
}

async fn organizations(State(s): State<WebState>, jar: CookieJar, uri: Uri, q: Query<Done>) -> Response {
    let auth = admin!(s, jar, uri);
    match s.app.organizations(&auth.actor, 0, 500).await {
        Ok(organizations) => OrganizationsPage { nav: Nav::of(&auth), ok: q.message(), organizations }.into_response(),
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}

async fn create_organization(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    match s.app.create_organization(&auth.actor, CreateOrganization { name: fields.raw("name").into() }).await {
        Ok(_) => done("/admin/organizations", "created"),
        Err(e) => failed(&auth, e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/groups.html")]
struct GroupsPage {
    nav: Nav,
    ok: Option<&'static str>,
    groups: Vec<Group>,
}

async fn groups(State(s): State<WebState>, jar: CookieJar, uri: Uri, q: Query<Done>) -> Response {
    let auth = admin!(s, jar, uri);
    match s.app.groups(&auth.actor, 0, 500).await {
        Ok(groups) => GroupsPage { nav: Nav::of(&auth), ok: q.message(), groups }.into_response(),
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}

async fn create_group(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let input = CreateGroup {
        name: fields.raw("name").into(),
        description: fields.raw("description").into(),
        lead_user_id: None,
    };
    match s.app.create_group(&auth.actor, input).await {
        Ok(g) => done(&format!("/admin/groups/{}", g.id), "created"),
        Err(e) => failed(&auth, e),
    }
}
