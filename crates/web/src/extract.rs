//! Our own extractors, so that malformed bodies, query strings and paths answer in the same
//! problem+json format as everything else, and so that authentication and CSRF checks cannot
//! be forgotten by a handler.

use crate::problem::Problem;
use crate::WebState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use axum_extra::extract::CookieJar;
use opsdesk_app::auth::Authenticated;
use opsdesk_app::{App, AppError, Origin};
use opsdesk_domain::FieldError;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "opsdesk_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A JSON body, parsed with our error answers.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_problem(rejection)),
        }
    }
}

fn json_problem(r: JsonRejection) -> Problem {
    match r {
        JsonRejection::JsonDataError(e) => {
            // serde's message, prefixed by the path of the offending field ("role: unknown
            // variant ..."); keep the path as the field name.
            let text = std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or_else(|| e.body_text());
            let (field, message) = match text.split_once(": ") {
                Some((f, m)) if !f.contains(' ') => (f.to_string(), m.to_string()),
                _ => (field_in_message(&text), text.clone()),
            };
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", format!("{field}: {message}"))
                .with_errors(vec![FieldError::new(field, "invalid", message)])
        }
        JsonRejection::JsonSyntaxError(e) => {
            let text = std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or_else(|| e.body_text());
            Problem::new(StatusCode::BAD_REQUEST, "malformed_json", format!("the body is not valid JSON: {text}"))
        }
        JsonRejection::MissingJsonContentType(_) => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        ),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "the body is larger than this endpoint accepts",
        ),
        other => Problem::new(StatusCode::BAD_REQUEST, "unreadable_body", other.body_text()),
    }
}

/// serde names a missing or unknown field in backticks: "missing field `email`".
fn field_in_message(text: &str) -> String {
    text.split('`').nth(1).unwrap_or("body").to_string()
}

/// Query-string parameters, parsed with our error answers.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(q) => Ok(ApiQuery(q.0)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                let text = e.body_text();
                let field = field_in_message(&text);
                Err(Problem::new(StatusCode::BAD_REQUEST, "invalid_query", text.clone())
                    .with_errors(vec![FieldError::new(field, "invalid", text)]))
            }
            Err(other) => Err(Problem::new(StatusCode::BAD_REQUEST, "invalid_query", other.body_text())),
        }
    }
}

/// A `multipart/form-data` body (uploads), with our error answers: a missing or broken
/// boundary is the client's mistake, said in problem+json like every other.
pub struct ApiMultipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for ApiMultipart {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
        if !multipart {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as multipart/form-data",
            ));
        }
        match axum::extract::Multipart::from_request(req, state).await {
            Ok(m) => Ok(ApiMultipart(m)),
            Err(_) => Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_multipart",
                "the multipart/form-data body has no usable boundary parameter",
            )),
        }
    }
}

/// Path parameters; a path that does not parse names nothing that exists.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(p) => Ok(ApiPath(p.0)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => Err(Problem::not_found()),
            Err(other) => Err(Problem::new(StatusCode::BAD_REQUEST, "invalid_path", other.body_text())),
        }
    }
}

/// The peer address of the request, as the server saw it.
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(ClientIp(ip))
    }
}

impl ClientIp {
    pub fn origin(&self) -> Origin {
        Origin { ip: self.0.clone() }
    }
}

/// The authenticated caller of an API endpoint: an API token (`Authorization: Bearer`) or a
/// session cookie. With a cookie, state-changing methods must carry the session's CSRF token in
/// `X-CSRF-Token` and must not come from a foreign origin.
pub struct Caller(pub Authenticated);

impl FromRequestParts<WebState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Problem> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
                .map(str::trim)
                .ok_or_else(|| Problem::from(AppError::Unauthenticated))?;
            return Ok(Caller(state.app.authenticate_token(token).await?));
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let cookie = jar.get(SESSION_COOKIE).ok_or_else(|| Problem::from(AppError::Unauthenticated))?;
        let auth = state.app.authenticate_session(cookie.value()).await?;
        if is_unsafe(&parts.method) {
            check_same_origin(parts)?;
            let submitted = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if !App::csrf_ok(&auth, submitted) {
                return Err(csrf_problem());
            }
        }
        Ok(Caller(auth))
    }
}

pub fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub fn csrf_problem() -> Problem {
    Problem::new(
        StatusCode::FORBIDDEN,
        "csrf_failed",
        "the request lacks a valid CSRF token; reload the page and try again",
    )
}

/// Refuses a cookie-authenticated write whose `Origin` names another site.
pub fn check_same_origin(parts: &Parts) -> Result<(), Problem> {
    let Some(origin) = parts.headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return Ok(()) };
    let host = parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or("");
    if origin_host.eq_ignore_ascii_case(host) {
        Ok(())
    } else {
        Err(Problem::new(StatusCode::FORBIDDEN, "foreign_origin", "cross-site requests are not accepted"))
    }
}

/// Pagination parameters shared by list endpoints.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Page size, 1 to 500 (50 by default); out-of-range values are clamped.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
}

impl Page {
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(50).clamp(1, 500)
    }

    /// The id cursor; an unreadable cursor is a client error.
    pub fn after_id(&self) -> Result<i64, Problem> {
        match &self.after {
            None => Ok(0),
            Some(s) => s.parse().map_err(|_| {
                Problem::new(StatusCode::BAD_REQUEST, "invalid_cursor", "after is a cursor returned as next by a list")
                    .with_errors(vec![FieldError::new("after", "invalid", "not a cursor of this list")])
            }),
        }
    }
}

/// A page of results and the cursor of the next, if there is one.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Listing<T> {
    pub items: Vec<T>,
    /// Pass as `after` for the next page; null on the last page (always null for lists of one
    /// page).
    pub next: Option<String>,
}

impl<T> Listing<T> {
    /// A list that is never paged.
    #[allow(dead_code)] // until a converted route lists everything at once
    pub fn all(items: Vec<T>) -> Self {
        Listing { items, next: None }
    }

    pub fn by_id(items: Vec<T>, limit: i64, id: impl Fn(&T) -> i64) -> Self {
        let next = if items.len() as i64 == limit { items.last().map(|t| id(t).to_string()) } else { None };
        Listing { items, next }
    }
}

/// The version a client says it has (`If-Match: "7"`; a `W/` prefix is ignored); `*` or no
/// header means any. `what` names the record in the error ("the ticket").
pub fn if_match(headers: &axum::http::HeaderMap, what: &str) -> Result<Option<i64>, Problem> {
    let Some(v) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let s = v.to_str().unwrap_or("").trim();
    if s == "*" {
        return Ok(None);
    }
    s.trim_start_matches("W/").trim_matches('"').parse().map(Some).map_err(|_| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_if_match",
            format!("If-Match takes the ETag of {what}, such as \"3\""),
        )
    })
}

/// A version as an ETag: `"7"`.
pub fn etag(version: i64) -> axum::http::HeaderValue {
    axum::http::HeaderValue::from_str(&format!("\"{version}\""))
        .unwrap_or(axum::http::HeaderValue::from_static("\"0\""))
}

/// A JSON answer carrying the ETag of the version it shows.
pub fn with_etag<T: serde::Serialize>(status: StatusCode, body: T, version: i64) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut res = (status, axum::Json(body)).into_response();
    res.headers_mut().insert(header::ETAG, etag(version));
    res
}
