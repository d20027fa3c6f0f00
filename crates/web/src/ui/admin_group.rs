//! The admin page of one group: rename and describe it, manage its members, name its lead
//! (one of the members; escalations with `notify_group_lead` tell them), and delete it once
//! nothing uses it, after a confirmation page that says what still does.

use super::admin::{admin, done, failed, Done};
use super::form::FieldErrors;
use super::{admin_only, app_error, error_page, FormPost, Nav};
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
use opsdesk_app::group_changes::UpdateGroup;
use opsdesk_app::AppError;
use opsdesk_store::groups::{Group, GroupMember};
use opsdesk_store::users::User;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/admin/groups/{id}", get(group).post(edit))
        .route("/admin/groups/{id}/lead", post(lead))
        .route("/admin/groups/{id}/delete", get(confirm_delete).post(delete))
        .route("/admin/groups/{id}/members", post(add_member))
        .route("/admin/groups/{id}/members/{user_id}/remove", post(remove_member))
}

/// The rename form as typed, kept when it is refused.
struct GroupForm {
    name: String,
    description: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/group.html")]
struct GroupPage {
    nav: Nav,
    ok: Option<&'static str>,
    group: Group,
    members: Vec<GroupMember>,
    candidates: Vec<User>,
    form: GroupForm,
    errors: FieldErrors,
}

async fn render(
    s: &WebState,
    auth: &Authenticated,
    id: i64,
    ok: Option<&'static str>,
    form: Option<GroupForm>,
    errors: FieldErrors,
) -> Response {
    let (group, members) = match s.app.group(&auth.actor, id).await {
        Ok(x) => x,
        Err(e) => return app_error(Some(Nav::of(auth)), e),
    };
    let candidates = match s.app.users(&auth.actor, 0, 500).await {
        Ok(users) => users
            .into_iter()
            .filter(|u| {
                u.active && u.role != opsdesk_domain::Role::Requester && !members.iter().any(|m| m.user_id == u.id)
            })
            .collect(),
        Err(e) => return app_error(Some(Nav::of(auth)), e),
    };
    let form = form.unwrap_or_else(|| GroupForm { name: group.name.clone(), description: group.description.clone() });
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, GroupPage { nav: Nav::of(auth), ok, group, members, candidates, form, errors }).into_response()
}

async fn group(State(s): State<WebState>, jar: CookieJar, uri: Uri, Path(id): Path<i64>, q: Query<Done>) -> Response {
    let auth = admin!(s, jar, uri);
    render(&s, &auth, id, q.message(), None, FieldErrors::default()).await
}

/// Renames or describes the group; a refused change shows the form again as typed.
async fn edit(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let form = GroupForm { name: fields.raw("name").into(), description: fields.raw("description").into() };
    let input =
        UpdateGroup { name: Some(form.name.clone()), description: Some(form.description.clone()), lead_user_id: None };
    match s.app.update_group(&auth.actor, id, input).await {
        Ok(_) => done(&format!("/admin/groups/{id}"), "saved"),
        Err(AppError::Invalid(inv)) => {
            render(&s, &auth, id, None, Some(form), FieldErrors::of_invalid(&inv.0, |_, _| None)).await
        }
        Err(e) => failed(&auth, e),
    }
}

/// Names the lead (empty: none).
async fn lead(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let lead = fields.get("lead_user_id").and_then(|v| v.parse::<i64>().ok());
    let input = UpdateGroup { lead_user_id: Some(lead), ..Default::default() };
    match s.app.update_group(&auth.actor, id, input).await {
        Ok(_) => done(&format!("/admin/groups/{id}"), "saved"),
        Err(AppError::Invalid(inv)) => {
            render(&s, &auth, id, None, None, FieldErrors::of_invalid(&inv.0, |_, _| None)).await
        }
        Err(e) => failed(&auth, e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/group_delete.html")]
struct DeletePage {
    nav: Nav,
    ok: Option<&'static str>,
    group: Group,
    /// Why the group cannot be deleted; empty when it can.
    reasons: Vec<String>,
}

async fn delete_page(s: &WebState, auth: &Authenticated, id: i64, status: StatusCode) -> Response {
    let group = match s.app.group(&auth.actor, id).await {
        Ok((g, _)) => g,
        Err(e) => return app_error(Some(Nav::of(auth)), e),
    };
    match s.app.group_in_use(&auth.actor, id).await {
        Ok(reasons) => (status, DeletePage { nav: Nav::of(auth), ok: None, group, reasons }).into_response(),
        Err(e) => app_error(Some(Nav::of(auth)), e),
    }
}

async fn confirm_delete(State(s): State<WebState>, jar: CookieJar, uri: Uri, Path(id): Path<i64>) -> Response {
    let auth = admin!(s, jar, uri);
    delete_page(&s, &auth, id, StatusCode::OK).await
}

/// Deletes only with the confirmation page's `confirm=yes`; without it, shows that page.
async fn delete(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    if fields.get("confirm") != Some("yes") {
        return Redirect::to(&format!("/admin/groups/{id}/delete")).into_response();
    }
    match s.app.delete_group(&auth.actor, id).await {
        Ok(()) => done("/admin/groups", "deleted"),
        Err(AppError::Conflict { .. }) => delete_page(&s, &auth, id, StatusCode::CONFLICT).await,
        Err(e) => failed(&auth, e),
    }
}

async fn add_member(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let Some(user_id) = fields.get("user_id").and_then(|v| v.parse::<i64>().ok()) else {
        return error_page(StatusCode::UNPROCESSABLE_ENTITY, Some(Nav::of(&auth)), "Choose an agent to add.");
    };
    match s.app.add_group_member(&auth.actor, id, user_id).await {
        Ok(()) => done(&format!("/admin/groups/{id}"), "added"),
        Err(e) => failed(&auth, e),
    }
}

async fn remove_member(State(s): State<WebState>, Path((id, user_id)): Path<(i64, i64)>, post: FormPost) -> Response {
    let FormPost { auth, .. } = post;
    match s.app.remove_group_member(&auth.actor, id, user_id).await {
        Ok(()) => done(&format!("/admin/groups/{id}"), "removed"),
        Err(e) => failed(&auth, e),
    }
}
