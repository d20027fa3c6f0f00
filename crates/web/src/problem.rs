//! Every error a client sees: `application/problem+json` (RFC 9457) with a stable `code`, the
//! HTTP `status`, a human `detail`, and field errors where input was wrong. Internal failures are
//! logged and answered without internals.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use opsdesk_app::AppError;
use opsdesk_domain::FieldError;
use opsdesk_store::StoreError;
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct Problem {
    pub status: u16,
    pub code: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u64>,
    /// Members beyond RFC 9457's (`current` for a stale update, `allowed` for a transition).
    pub extra: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

/// An error answer (RFC 9457), served as `application/problem+json`.
// The schema of `Wire`, which borrows its fields and flattens its extra members.
#[derive(utoipa::ToSchema)]
#[schema(as = Problem)]
#[allow(dead_code)] // documents `Wire`
pub struct ProblemSchema {
    /// `urn:opsdesk:problem:<code>`.
    #[serde(rename = "type")]
    kind: String,
    /// The HTTP reason phrase of `status`.
    title: String,
    /// The HTTP status code.
    #[schema(minimum = 400, maximum = 599)]
    status: u16,
    /// Stable, machine-readable: `not_found`, `validation_failed`, ...
    code: String,
    /// What went wrong, for people.
    detail: String,
    /// Every wrong input field, when input was wrong.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    errors: Vec<FieldError>,
    /// With `stale_version` (412): the ticket as it is now.
    #[schema(required = false)]
    current: Option<opsdesk_app::tickets::TicketView>,
    /// With `illegal_transition` (422): the statuses (or article states) allowed now.
    #[schema(required = false)]
    allowed: Option<Vec<String>>,
}

/// The wire form; `type` and `title` derive from the code and status.
#[derive(Serialize)]
struct Wire<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    code: &'a str,
    detail: &'a str,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    errors: &'a [FieldError],
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    extra: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Problem {
            status: status.as_u16(),
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            extra: None,
        }
    }

    pub fn not_found() -> Self {
        Problem::new(StatusCode::NOT_FOUND, "not_found", "no such resource, or it is not visible to you")
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    pub fn with(mut self, key: &str, value: serde_json::Value) -> Self {
        self.extra.get_or_insert_with(Default::default).insert(key.to_string(), value);
        self
    }

    pub fn internal() -> Self {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on our side; it has been logged",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let wire = Wire {
            kind: format!("urn:opsdesk:problem:{}", self.code),
            title: status.canonical_reason().unwrap_or("Error"),
            status: self.status,
            code: self.code,
            detail: &self.detail,
            errors: &self.errors,
            extra: self.extra.as_deref(),
        };
        let body = serde_json::to_vec(&wire).unwrap_or_default();
        let mut res = (status, body).into_response();
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(secs) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"opsdesk\""));
        }
        res
    }
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(inv) => {
                let detail = match inv.0.as_slice() {
                    [one] => format!("{}: {}", one.field, one.message),
                    many => format!("{} fields are invalid", many.len()),
                };
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", detail).with_errors(inv.0)
            }
            AppError::NotFound => Problem::not_found(),
            AppError::Forbidden => Problem::new(StatusCode::FORBIDDEN, "forbidden", "your role does not allow this"),
            AppError::Refused { code, message } => Problem::new(StatusCode::FORBIDDEN, code, message),
            AppError::Unauthenticated => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "sign in, or send an API token as Authorization: Bearer <token>",
            ),
            AppError::BadCredentials => {
                Problem::new(StatusCode::UNAUTHORIZED, "bad_credentials", "the email or the password is wrong")
            }
            AppError::Throttled { retry_after_secs } => {
                let mut p = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    format!("too many failed sign-ins; try again in {retry_after_secs} seconds"),
                );
                p.retry_after = Some(retry_after_secs);
                p
            }
            AppError::Conflict { code, message } => Problem::new(StatusCode::CONFLICT, code, message),
            AppError::Gone { code, message } => Problem::new(StatusCode::GONE, code, message),
            AppError::Precondition(message) => Problem::new(StatusCode::PRECONDITION_FAILED, "stale_version", message),
            AppError::Stale(current) => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "stale_version",
                "the ticket was changed by someone else; review the current state and try again",
            )
            .with("current", serde_json::to_value(&current).unwrap_or_default()),
            AppError::Transition { field, message, allowed } => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "illegal_transition", message.clone())
                    .with_errors(vec![FieldError::new(field, "illegal_transition", message)])
                    .with("allowed", serde_json::json!(allowed))
            }
            AppError::GuardFailed(guards) => {
                let detail = guards.iter().map(|g| format!("{}: {}", g.name, g.detail)).collect::<Vec<_>>().join("; ");
                Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "guard_failed",
                    format!("the transition is guarded: {detail}"),
                )
                .with("guards", serde_json::to_value(&guards).unwrap_or_default())
            }
            AppError::TooLarge { limit } => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "file_too_large",
                format!("the file is larger than the limit of {limit} bytes"),
            ),
            AppError::Query(e) => {
                Problem::new(StatusCode::BAD_REQUEST, "invalid_query", e.message.clone()).with_errors(vec![e])
            }
            AppError::Store(StoreError::Unavailable(msg)) => {
                tracing::error!(error = %msg, "database unavailable");
                let mut p = Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database_unavailable",
                    "the database is not reachable; try again shortly",
                );
                p.retry_after = Some(RETRY_AFTER_UNAVAILABLE_SECS);
                p
            }
            // Conflicts that come from input are field errors by the time they get here
            // (`AppError::taken`); what is left names a schema object, which stays in the log.
            AppError::Store(StoreError::Conflict { constraint }) => {
                tracing::warn!(constraint, "unexpected conflict");
                Problem::new(StatusCode::CONFLICT, "conflict", "this conflicts with existing data")
            }
            other => {
                tracing::error!(error = %other, "request failed");
                Problem::internal()
            }
        }
    }
}

/// Answers every API error as problem+json, including those no handler wrote: a 405 from the
/// router, or a rejection of an extractor that is not one of ours (see `extract`). Their text
/// becomes the detail; a server error's text is logged, never sent. JSON answers are left as
/// they are (`/readyz` says what is not ready in its own body).
pub async fn as_problem(res: Response) -> Response {
    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json") || v.starts_with("application/json"));
    if is_problem || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        s if s.is_server_error() => "internal",
        _ => "request_refused",
    };
    let mut problem = if status.is_server_error() {
        tracing::error!(status = status.as_u16(), body = %text, "an error answer without a problem");
        Problem::internal()
    } else {
        let reason = status.canonical_reason().unwrap_or("the request was refused").to_lowercase();
        Problem::new(status, code, if text.is_empty() { reason } else { text })
    };
    problem.status = status.as_u16();
    let mut out = problem.into_response();
    // Keep what the original answer told the client besides its body (`Allow` on a 405).
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().entry(name.clone()).or_insert(value.clone());
        }
    }
    out
}

/// How long a client is told to wait when the database cannot be reached: long enough for a
/// restart or a failover, short enough that a person retrying by hand is not kept waiting.
pub const RETRY_AFTER_UNAVAILABLE_SECS: u64 = 5;

/// Lets handlers use `?` on application results.
pub type ApiResult<T> = Result<T, Problem>;

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    async fn wire(e: AppError) -> (u16, Option<String>, serde_json::Value) {
        let res = Problem::from(e).into_response();
        let status = res.status().as_u16();
        let retry = res.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = to_bytes(res.into_body(), 1 << 20).await.expect("body");
        (status, retry, serde_json::from_slice(&body).expect("json"))
    }

    /// The bodies of unexpected failures, as a client sees them: no storage text, ever.
    #[tokio::test]
    async fn unexpected_failures_carry_no_internals() {
        let (status, retry, unavailable) =
            wire(AppError::Store(StoreError::Unavailable("pool timed out: sqlx connect to 10.0.0.1".into()))).await;
        assert_eq!((status, retry.as_deref()), (503, Some("5")));
        insta::assert_json_snapshot!("database_unavailable", unavailable);
        let (status, _, conflict) =
            wire(AppError::Store(StoreError::Conflict { constraint: "users_email_key".into() })).await;
        assert_eq!(status, 409);
        insta::assert_json_snapshot!("conflict", conflict);
        let (status, _, internal) = wire(AppError::Internal("SQL syntax error near SELECT".into())).await;
        assert_eq!(status, 500);
        insta::assert_json_snapshot!("internal", internal);
        for body in [unavailable, conflict, internal] {
            let text = body.to_string().to_lowercase();
            for leak in ["sqlx", "sql", "constraint", "users_email_key", "10.0.0.1", "pool"] {
                assert!(!text.contains(leak), "{leak} in {text}");
            }
        }
    }
}
