//! Signing in and out through the API. Browsers get a session cookie (HTTP-only, SameSite=Lax)
//! plus the CSRF token they must echo on writes; scripts should prefer API tokens.

use crate::extract::{ApiJson, ClientIp, SESSION_COOKIE};
use crate::openapi::fails;
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use opsdesk_app::auth::NewSession;
use opsdesk_app::views::SessionView;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(request_password_reset))
        .routes(routes!(confirm_password_reset))
}

/// Credentials.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Login {
    email: String,
    password: String,
}

/// The session cookie for a new session.
pub fn session_cookie(s: &NewSession, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, s.token.clone()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .build()
}

pub fn removal_cookie() -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, "")).path("/").build()
}

#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "auth", operation_id = "login", summary = "Sign in",
    description = "Starts a browser session: sets the `opsdesk_session` cookie and answers the CSRF token to echo \
                   on writes. Repeated failures for one account or address are throttled.",
    security(()),
    request_body = Login,
    responses((status = 200, description = "Signed in.", body = SessionView,
        headers(("Set-Cookie" = String, description = "`opsdesk_session=...; HttpOnly; SameSite=Lax; Path=/` (`Secure` over HTTPS)."))),
        fails::Unauthenticated, fails::Throttled),
)]
async fn login(
    State(s): State<WebState>,
    ip: ClientIp,
    jar: CookieJar,
    ApiJson(body): ApiJson<Login>,
) -> ApiResult<impl IntoResponse> {
    let session = s.app.login(&body.email, &body.password, &ip.origin()).await?;
    let jar = jar.add(session_cookie(&session, s.config.cookie_secure));
    Ok((jar, Json(SessionView::from(&session))))
}

/// Signing out is a write like any other: with a live session it needs the CSRF token, so
/// another site cannot sign a person out.
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "auth", operation_id = "logout", summary = "Sign out",
    description = "Ends the session named by the cookie, if any, and clears the cookie. With a live session it \
                   needs the session's CSRF token.",
    security(("sessionCookie" = [], "csrfToken" = []), ()),
    responses((status = 204, description = "Signed out."), fails::Forbidden),
)]
async fn logout(
    State(s): State<WebState>,
    ip: ClientIp,
    jar: CookieJar,
    headers: axum::http::HeaderMap,
) -> ApiResult<impl IntoResponse> {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        if let Ok(auth) = s.app.authenticate_session(c.value()).await {
            let submitted = headers.get(crate::extract::CSRF_HEADER).and_then(|v| v.to_str().ok());
            if !opsdesk_app::App::csrf_ok(&auth, submitted) {
                return Err(crate::extract::csrf_problem());
            }
        }
        s.app.logout(c.value(), &ip.origin()).await?;
    }
    Ok((jar.remove(removal_cookie()), StatusCode::NO_CONTENT))
}

/// Who forgot their password.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordResetRequest {
    #[schema(format = Email, max_length = 254)]
    email: String,
}

#[utoipa::path(
    post, path = "/api/v1/auth/password-reset", tag = "auth", operation_id = "requestPasswordReset",
    summary = "Ask for a password-reset link",
    description = "Emails a single-use link that works for one hour to the active account with this address, if \
                   there is one; a new link replaces the previous one. The answer is the same whether or not an \
                   account exists (only a malformed address answers 422). Requests are throttled per address asked \
                   for (5 an hour) and per client (20 in 15 minutes).",
    security(()),
    request_body = PasswordResetRequest,
    responses((status = 202, description = "If an active account has this address, a link is on its way."),
        fails::Throttled),
)]
async fn request_password_reset(
    State(s): State<WebState>,
    ip: ClientIp,
    ApiJson(body): ApiJson<PasswordResetRequest>,
) -> ApiResult<StatusCode> {
    s.app.request_password_reset(&body.email, &ip.origin()).await?;
    Ok(StatusCode::ACCEPTED)
}

/// The token from the emailed link and the new password.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordResetConfirm {
    /// The last part of the emailed link (`.../password-reset/{token}`).
    token: String,
    #[schema(min_length = 10, max_length = 1024)]
    password: String,
}

#[utoipa::path(
    post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", operation_id = "confirmPasswordReset",
    summary = "Set a new password with a reset link",
    description = "Uses the link once: sets the password (the usual rules apply: 422 `validation_failed`) and ends \
                   every session of the account. An unknown token answers 404; a used, expired or replaced one 410 \
                   (`reset_link_used`, `reset_link_expired`, `reset_link_replaced`).",
    security(()),
    request_body = PasswordResetConfirm,
    responses((status = 204, description = "The password is set; sign in with it."), fails::NotFound, fails::Gone),
)]
async fn confirm_password_reset(
    State(s): State<WebState>,
    ip: ClientIp,
    ApiJson(body): ApiJson<PasswordResetConfirm>,
) -> ApiResult<StatusCode> {
    s.app.reset_password(&body.token, &body.password, &ip.origin()).await?;
    Ok(StatusCode::NO_CONTENT)
}
