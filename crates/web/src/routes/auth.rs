//! Signing in and out through the API. Browsers get a session cookie (HTTP-only, SameSite=Lax)
//! plus the CSRF token they must echo on writes; scripts should prefer API tokens.

use crate::extract::{ApiJson, ClientIp, SESSION_COOKIE};
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use opsdesk_app::auth::NewSession;
use serde::Deserialize;
use serde_json::json;

pub fn router() -> Router<WebState> {
    Router::new().route("/api/v1/auth/login", post(login)).route("/api/v1/auth/logout", post(logout))
}

#[derive(Deserialize)]
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

async fn login(
    State(s): State<WebState>,
    ip: ClientIp,
    jar: CookieJar,
    ApiJson(body): ApiJson<Login>,
) -> ApiResult<impl IntoResponse> {
    let session = s.app.login(&body.email, &body.password, &ip.origin()).await?;
    let jar = jar.add(session_cookie(&session, s.config.cookie_secure));
    let body = json!({ "user": session.user, "csrf_token": session.csrf_token, "expires_at": session.expires_at });
    Ok((jar, Json(body)))
}

/// Signing out is a write like any other: with a live session it needs the CSRF token, so
/// another site cannot sign a person out.
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
