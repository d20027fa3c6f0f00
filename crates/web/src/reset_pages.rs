//! The forgotten-password pages: ask for a link by email address, then choose a new password
//! on the page the emailed link opens. Both come before any session, so their forms carry a
//! double-submit CSRF token like the sign-in form. Every post answers with a redirect, or
//! re-renders its form with what was typed and the error at the field.

use crate::extract::{check_same_origin, ClientIp};
use crate::pages::{pre_session_csrf, pre_session_csrf_ok};
use crate::ui::error_page;
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use opsdesk_app::password_reset::ResetCheck;
use opsdesk_app::AppError;
use serde::Deserialize;

const RESET_CSRF_COOKIE: &str = "opsdesk_reset_csrf";

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/password-reset", get(forgot_form).post(forgot))
        .route("/password-reset/{token}", get(reset_form).post(reset))
}

#[derive(Template, WebTemplate)]
#[template(path = "forgot_password.html")]
struct ForgotPage {
    csrf: String,
    email: String,
    sent: bool,
    error: Option<String>,
}

#[derive(Deserialize)]
struct SentQuery {
    sent: Option<String>,
}

fn forgot_page(
    jar: CookieJar,
    secure: bool,
    email: &str,
    sent: bool,
    error: Option<String>,
) -> (CookieJar, ForgotPage) {
    let (csrf, cookie) = pre_session_csrf(RESET_CSRF_COOKIE, "/password-reset", secure);
    (jar.add(cookie), ForgotPage { csrf, email: email.to_string(), sent, error })
}

async fn forgot_form(State(s): State<WebState>, jar: CookieJar, q: Query<SentQuery>) -> impl IntoResponse {
    forgot_page(jar, s.config.cookie_secure, "", q.sent.is_some(), None)
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    csrf: String,
}

/// Reads a pre-session form after the same-origin check; a refusal is the response to send.
async fn read_form<T: serde::de::DeserializeOwned>(s: &WebState, req: Request) -> Result<T, Response> {
    let (parts, body) = req.into_parts();
    check_same_origin(&parts).map_err(IntoResponse::into_response)?;
    match Form::<T>::from_request(Request::from_parts(parts, body), s).await {
        Ok(Form(f)) => Ok(f),
        Err(_) => Err(error_page(StatusCode::BAD_REQUEST, None, "The form could not be read.")),
    }
}

async fn forgot(State(s): State<WebState>, ip: ClientIp, jar: CookieJar, req: Request) -> Response {
    let form: ForgotForm = match read_form(&s, req).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let secure = s.config.cookie_secure;
    let again = |jar, status: StatusCode, msg: String| {
        let (jar, page) = forgot_page(jar, secure, &form.email, false, Some(msg));
        (status, jar, page).into_response()
    };
    if !pre_session_csrf_ok(&jar, RESET_CSRF_COOKIE, &form.csrf) {
        return again(jar, StatusCode::FORBIDDEN, "This form expired. Please try again.".into());
    }
    match s.app.request_password_reset(&form.email, &ip.origin()).await {
        Ok(()) => Redirect::to("/password-reset?sent=1").into_response(),
        Err(AppError::Invalid(_)) => {
            again(jar, StatusCode::UNPROCESSABLE_ENTITY, "Enter an email address such as name@example.com.".into())
        }
        Err(AppError::Throttled { retry_after_secs }) => {
            let msg = format!("Too many requests. Try again in {} minutes.", retry_after_secs.div_ceil(60));
            let mut res = again(jar, StatusCode::TOO_MANY_REQUESTS, msg);
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            res
        }
        Err(other) => {
            tracing::error!(error = %other, "password reset request failed");
            again(jar, StatusCode::SERVICE_UNAVAILABLE, "This is not possible right now. Try again shortly.".into())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "reset_password.html")]
struct ResetPage {
    csrf: String,
    token: String,
    errors: crate::ui::FieldErrors,
}

fn reset_page(jar: CookieJar, secure: bool, token: &str, errors: crate::ui::FieldErrors) -> (CookieJar, ResetPage) {
    let (csrf, cookie) = pre_session_csrf(RESET_CSRF_COOKIE, "/password-reset", secure);
    (jar.add(cookie), ResetPage { csrf, token: token.to_string(), errors })
}

/// The page for a link that cannot be used, saying why and what to do.
fn refused(check: ResetCheck) -> Response {
    let (status, message) = match check {
        ResetCheck::Expired => (StatusCode::GONE, "This reset link has expired. Ask for a new one."),
        ResetCheck::Used => (StatusCode::GONE, "This reset link has already been used: a link works once."),
        ResetCheck::Replaced => {
            (StatusCode::GONE, "A newer reset link was sent to you. Use the link in the latest message.")
        }
        ResetCheck::Unknown | ResetCheck::Usable => (
            StatusCode::NOT_FOUND,
            "This reset link is not valid. Check that the whole link was copied, or ask for a new one.",
        ),
    };
    error_page(status, None, message)
}

fn unavailable(e: AppError) -> Response {
    tracing::error!(error = %e, "password reset failed");
    error_page(StatusCode::SERVICE_UNAVAILABLE, None, "This is not possible right now. Try again shortly.")
}

async fn reset_form(State(s): State<WebState>, jar: CookieJar, Path(token): Path<String>) -> Response {
    match s.app.password_reset_check(&token).await {
        Ok(ResetCheck::Usable) => reset_page(jar, s.config.cookie_secure, &token, Default::default()).into_response(),
        Ok(check) => refused(check),
        Err(e) => unavailable(e),
    }
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
    #[serde(default)]
    csrf: String,
}

async fn reset(
    State(s): State<WebState>,
    ip: ClientIp,
    jar: CookieJar,
    Path(token): Path<String>,
    req: Request,
) -> Response {
    let form: ResetForm = match read_form(&s, req).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let secure = s.config.cookie_secure;
    let again = |jar, status: StatusCode, errors| (status, reset_page(jar, secure, &token, errors)).into_response();
    let mut errors = crate::ui::FieldErrors::default();
    if !pre_session_csrf_ok(&jar, RESET_CSRF_COOKIE, &form.csrf) {
        errors.push("password", "This form expired. Please type the new password again.");
        return again(jar, StatusCode::FORBIDDEN, errors);
    }
    if form.password != form.password_again {
        errors.push("password_again", "The two passwords differ.");
        return again(jar, StatusCode::UNPROCESSABLE_ENTITY, errors);
    }
    match s.app.reset_password(&token, &form.password, &ip.origin()).await {
        Ok(_) => Redirect::to("/login?reset=done").into_response(),
        Err(AppError::Invalid(inv)) => {
            for e in &inv.0 {
                errors.push("password", e.message.clone());
            }
            again(jar, StatusCode::UNPROCESSABLE_ENTITY, errors)
        }
        Err(AppError::NotFound) => refused(ResetCheck::Unknown),
        Err(AppError::Gone { code, .. }) => refused(match code {
            "reset_link_expired" => ResetCheck::Expired,
            "reset_link_replaced" => ResetCheck::Replaced,
            _ => ResetCheck::Used,
        }),
        Err(e) => unavailable(e),
    }
}
