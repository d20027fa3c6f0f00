//! Sign in and sign out; `/` sends a signed-in user to the portal or the agent console (see
//! `ui`). Every form post carries a
//! CSRF token; the sign-in form, which comes before any session, uses a double-submit cookie.

use crate::extract::{check_same_origin, ClientIp, SESSION_COOKIE};
use crate::problem::Problem;
use crate::routes;
use crate::ui::{error_page, Nav};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use opsdesk_app::secrets::{random_token, same_secret};
use opsdesk_app::{App, AppError};
use serde::Deserialize;

const LOGIN_CSRF_COOKIE: &str = "opsdesk_login_csrf";

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/assets/app.css", get(css))
        .route("/favicon.ico", get(favicon))
        .route("/favicon.svg", get(favicon))
}

/// The icon, an inline SVG: browsers that ask for `/favicon.ico` by habit get it too.
async fn favicon() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")],
        include_str!("../assets/favicon.svg"),
    )
}

/// An unknown URL: a page for a browser (it asks for `text/html`), problem+json for an API
/// client and for anything under `/api/`. Never cached: it may show who is signed in.
pub async fn not_found(State(s): State<WebState>, jar: CookieJar, headers: HeaderMap, uri: Uri) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.to_ascii_lowercase().contains("text/html"));
    if uri.path().starts_with("/api/") || !wants_html {
        return Problem::new(StatusCode::NOT_FOUND, "no_route", "no such endpoint").into_response();
    }
    let nav = match jar.get(SESSION_COOKIE) {
        Some(c) => s.app.authenticate_session(c.value()).await.ok().map(|a| Nav::of(&a)),
        None => None,
    };
    let mut res = error_page(StatusCode::NOT_FOUND, nav, "There is no page at this address.");
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../assets/app.css"),
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    email: String,
    message: Option<String>,
    /// A fixed confirmation (after a password reset), never text from the query.
    notice: Option<&'static str>,
}

/// Only same-origin relative paths are followed after sign-in; anything else (`//evil`,
/// `/\evil`, `https:evil`) goes home.
pub fn safe_next(next: &str) -> &str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    if ok {
        next
    } else {
        "/"
    }
}

fn login_page(
    jar: CookieJar,
    secure: bool,
    next: &str,
    email: &str,
    message: Option<String>,
) -> (CookieJar, LoginPage) {
    let (csrf, cookie) = pre_session_csrf(LOGIN_CSRF_COOKIE, "/login", secure);
    let page = LoginPage { csrf, next: safe_next(next).to_string(), email: email.to_string(), message, notice: None };
    (jar.add(cookie), page)
}

/// A fresh CSRF token for a form shown before any session (sign-in, password reset) and the
/// cookie that carries it (double submit): strict, HTTP-only, sent only to `path`.
pub(crate) fn pre_session_csrf(name: &'static str, path: &'static str, secure: bool) -> (String, Cookie<'static>) {
    let csrf = random_token("");
    let cookie = Cookie::build((name, csrf.clone()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path(path)
        .build();
    (csrf, cookie)
}

/// Whether a pre-session form echoed the token of its cookie.
pub(crate) fn pre_session_csrf_ok(jar: &CookieJar, name: &str, submitted: &str) -> bool {
    let expected = jar.get(name).map(|c| c.value().to_string()).unwrap_or_default();
    !expected.is_empty() && same_secret(&expected, submitted)
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
    /// `done` after a password reset.
    reset: Option<String>,
}

async fn login_form(
    State(s): State<WebState>,
    jar: CookieJar,
    q: axum::extract::Query<NextQuery>,
) -> impl IntoResponse {
    let (jar, mut page) = login_page(jar, s.config.cookie_secure, q.0.next.as_deref().unwrap_or("/"), "", None);
    if q.0.reset.as_deref() == Some("done") {
        page.notice = Some("Your new password is set and your other sessions have ended. Sign in with it.");
    }
    (jar, page)
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    csrf: String,
    #[serde(default)]
    next: String,
}

async fn login(State(s): State<WebState>, ip: ClientIp, jar: CookieJar, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    if let Err(p) = check_same_origin(&parts) {
        return p.into_response();
    }
    let Ok(Form(form)) = Form::<LoginForm>::from_request(Request::from_parts(parts, body), &s).await else {
        return (StatusCode::BAD_REQUEST, "the sign-in form was incomplete").into_response();
    };
    let secure = s.config.cookie_secure;
    if !pre_session_csrf_ok(&jar, LOGIN_CSRF_COOKIE, &form.csrf) {
        let msg = Some("Your sign-in form expired. Please try again.".to_string());
        let (jar, page) = login_page(jar, secure, &form.next, &form.email, msg);
        return (StatusCode::FORBIDDEN, jar, page).into_response();
    }
    match s.app.login(&form.email, &form.password, &ip.origin()).await {
        Ok(session) => {
            let jar = jar.add(routes::auth_cookie(&session, secure));
            (jar, Redirect::to(safe_next(&form.next))).into_response()
        }
        Err(e) => {
            let (status, msg, retry) = match e {
                AppError::BadCredentials => {
                    (StatusCode::UNAUTHORIZED, "The email or the password is wrong.".to_string(), None)
                }
                AppError::Throttled { retry_after_secs } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("Too many failed sign-ins. Try again in {} minutes.", retry_after_secs.div_ceil(60)),
                    Some(retry_after_secs),
                ),
                other => {
                    tracing::error!(error = %other, "sign-in failed");
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Signing in is not possible right now. Try again shortly.".to_string(),
                        None,
                    )
                }
            };
            let (jar, page) = login_page(jar, secure, &form.next, &form.email, Some(msg));
            let mut res = (status, jar, page).into_response();
            if let Some(secs) = retry {
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            res
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "start.html")]
struct StartNote {
    name: String,
    email: String,
    target: &'static str,
}

/// The start page sends each user to their place: requesters to the portal, others to the
/// agent console. The redirect carries a short note with a link, as HTTP suggests for 303.
async fn home(State(s): State<WebState>, jar: CookieJar) -> Response {
    let Some(cookie) = jar.get(SESSION_COOKIE) else { return Redirect::to("/login").into_response() };
    match s.app.authenticate_session(cookie.value()).await {
        Ok(auth) => {
            let target = crate::ui::home_for(auth.user.role);
            let note = StartNote { name: auth.user.name.clone(), email: auth.user.email.clone(), target };
            (StatusCode::SEE_OTHER, [(header::LOCATION, target)], note).into_response()
        }
        Err(_) => Redirect::to("/login").into_response(),
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

async fn logout(State(s): State<WebState>, ip: ClientIp, jar: CookieJar, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    if let Err(p) = check_same_origin(&parts) {
        return p.into_response();
    }
    let Some(cookie) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
        return Redirect::to("/login").into_response();
    };
    let Ok(auth) = s.app.authenticate_session(&cookie).await else { return Redirect::to("/login").into_response() };
    let form = Form::<CsrfOnly>::from_request(Request::from_parts(parts, body), &s).await;
    let submitted = form.as_ref().ok().map(|f| f.csrf.as_str());
    if !App::csrf_ok(&auth, submitted) {
        return crate::extract::csrf_problem().into_response();
    }
    if let Err(e) = s.app.logout(&cookie, &ip.origin()).await {
        return crate::problem::Problem::from(e).into_response();
    }
    (jar.remove(routes::auth_removal_cookie()), Redirect::to("/login")).into_response()
}
