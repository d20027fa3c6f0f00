//! The admin page of one user: edit their name, email, organisation and role (a refused
//! change shows the form again as typed, the error at its field), send them a password-reset
//! link, and the confirmation page before deactivating them.

use super::admin::{admin, done, failed, Done};
use super::form::FieldErrors;
use super::{admin_only, app_error, FormPost, Nav};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use opsdesk_app::auth::Authenticated;
use opsdesk_app::users::UpdateUser;
use opsdesk_app::AppError;
use opsdesk_store::organizations::Organization;
use opsdesk_store::users::User;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/admin/users/{id}", get(user))
        .route("/admin/users/{id}/profile", post(save_profile))
        .route("/admin/users/{id}/password-reset", post(send_reset))
        .route("/admin/users/{id}/deactivate", get(confirm_deactivate))
}

/// The profile form as typed.
struct ProfileForm {
    name: String,
    email: String,
    role: String,
    organization_id: Option<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/user.html")]
struct UserPage {
    nav: Nav,
    ok: Option<&'static str>,
    user: User,
    organizations: Vec<Organization>,
    form: ProfileForm,
    errors: FieldErrors,
    /// Why the reset link was not sent, when it was refused.
    reset_refused: Option<String>,
}

async fn render(
    s: &WebState,
    auth: &Authenticated,
    id: i64,
    ok: Option<&'static str>,
    form: Option<ProfileForm>,
    errors: FieldErrors,
    reset_refused: Option<String>,
) -> Response {
    let user = match s.app.user(&auth.actor, id).await {
        Ok(u) => u,
        Err(e) => return app_error(Some(Nav::of(auth)), e),
    };
    let organizations = match s.app.organizations(&auth.actor, 0, 500).await {
        Ok(o) => o,
        Err(e) => return app_error(Some(Nav::of(auth)), e),
    };
    let form = form.unwrap_or_else(|| ProfileForm {
        name: user.name.clone(),
        email: user.email.clone(),
        role: user.role.as_str().to_string(),
        organization_id: user.organization_id,
    });
    let refused = !errors.is_empty() || reset_refused.is_some();
    let status = if refused { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = UserPage { nav: Nav::of(auth), ok, user, organizations, form, errors, reset_refused };
    (status, page).into_response()
}

async fn user(State(s): State<WebState>, jar: CookieJar, uri: Uri, Path(id): Path<i64>, q: Query<Done>) -> Response {
    let auth = admin!(s, jar, uri);
    render(&s, &auth, id, q.message(), None, FieldErrors::default(), None).await
}

async fn save_profile(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let form = ProfileForm {
        name: fields.raw("name").into(),
        email: fields.raw("email").into(),
        role: fields.raw("role").into(),
        organization_id: fields.get("organization_id").and_then(|v| v.parse().ok()),
    };
    let input = UpdateUser {
        name: Some(form.name.clone()),
        email: Some(form.email.clone()),
        role: Some(form.role.clone()),
        organization_id: Some(form.organization_id),
        ..Default::default()
    };
    match s.app.update_user(&auth.actor, id, input).await {
        Ok(_) => done(&format!("/admin/users/{id}"), "saved"),
        Err(AppError::Invalid(inv)) => {
            let errors = FieldErrors::of_invalid(&inv.0, |_, _| None);
            render(&s, &auth, id, None, Some(form), errors, None).await
        }
        Err(e) => failed(&auth, e),
    }
}

async fn send_reset(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, .. } = post;
    match s.app.send_password_reset(&auth.actor, id).await {
        Ok(()) => done(&format!("/admin/users/{id}"), "reset_sent"),
        Err(AppError::Conflict { message, .. }) => {
            render(&s, &auth, id, None, None, FieldErrors::default(), Some(message)).await
        }
        Err(e) => failed(&auth, e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/user_deactivate.html")]
struct DeactivatePage {
    nav: Nav,
    ok: Option<&'static str>,
    user: User,
}

async fn confirm_deactivate(State(s): State<WebState>, jar: CookieJar, uri: Uri, Path(id): Path<i64>) -> Response {
    let auth = admin!(s, jar, uri);
    match s.app.user(&auth.actor, id).await {
        Ok(user) => DeactivatePage { nav: Nav::of(&auth), ok: None, user }.into_response(),
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}
