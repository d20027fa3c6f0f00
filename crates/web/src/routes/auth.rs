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
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(logout))
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
