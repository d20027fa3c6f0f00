//! Tickets: create, read, change (with ETag / If-Match), transitions, comments, attachments,
//! links, watchers, and the list with the query language.

use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::problem::{ApiResult, Problem};
use crate::WebState;
use axum::body::Body;
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use opsdesk_app::tickets::{
    AttachmentUpload, CreateTask, CreateTicket, LinkInput, Page, Ref, TicketPage, TicketView, TransitionInput,
    UpdateTicket,
};
use opsdesk_domain::FieldError;
use serde::Deserialize;
use serde_json::json;

/// Attachments are limited by the desk setting; this only bounds what is read at all.
const UPLOAD_BODY_LIMIT: usize = 110 * 1024 * 1024;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/api/v1/tickets", get(list).post(create))
        .route("/api/v1/tickets/{id}", get(show).patch(update))
        .route("/api/v1/tickets/{id}/timeline", get(timeline))
        .route("/api/v1/tickets/{id}/transitions", post(transition))
        .route("/api/v1/tickets/{id}/comments", get(comments).post(add_comment))
        .route(
            "/api/v1/tickets/{id}/attachments",
            post(upload).layer(axum::extract::DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route("/api/v1/tickets/{id}/attachments/{attachment_id}", get(download))
        .route("/api/v1/tickets/{id}/links", post(link))
        .route("/api/v1/tickets/{id}/tasks", get(tasks).post(add_task))
        .route("/api/v1/tickets/{id}/watchers", post(add_watcher))
        .route("/api/v1/tickets/{id}/watchers/{user_id}", delete(remove_watcher))
        // Large enough that an oversized title or description is refused by validation, naming
        // the field, rather than by the body limit.
        .layer(axum::extract::DefaultBodyLimit::max(TICKET_BODY_LIMIT))
}

const TICKET_BODY_LIMIT: usize = 16 * 1024 * 1024;

fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// A ticket with its ETag.
fn with_etag(status: StatusCode, t: TicketView) -> Response {
    let tag = etag(t.version);
    let mut res = (status, Json(t)).into_response();
    res.headers_mut().insert(header::ETAG, tag);
    res
}

/// The version a client says it has (`If-Match: "7"`); `*` or no header means any.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, Problem> {
    let Some(v) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let s = v.to_str().unwrap_or("").trim();
    if s == "*" {
        return Ok(None);
    }
    s.trim_start_matches("W/").trim_matches('"').parse().map(Some).map_err(|_| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_if_match",
            "If-Match takes the ETag of the ticket, such as \"3\"",
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    q: String,
    limit: Option<i64>,
    after: Option<String>,
}

async fn list(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<TicketPage>> {
    let page = Page { q: q.q, limit: q.limit.unwrap_or(50), after: q.after };
    Ok(Json(s.app.list_tickets(&auth.actor, &page).await?))
}

async fn create(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<CreateTicket>,
) -> ApiResult<Response> {
    let t = s.app.create_ticket(&auth.actor, body).await?;
    let location = HeaderValue::from_str(&format!("/api/v1/tickets/{}", t.id)).ok();
    let mut res = with_etag(StatusCode::CREATED, t);
    if let Some(l) = location {
        res.headers_mut().insert(header::LOCATION, l);
    }
    Ok(res)
}

async fn add_task(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CreateTask>,
) -> ApiResult<Response> {
    let t = s.app.create_task(&auth.actor, &id, body).await?;
    let location = HeaderValue::from_str(&format!("/api/v1/tickets/{}", t.id)).ok();
    let mut res = with_etag(StatusCode::CREATED, t);
    if let Some(l) = location {
        res.headers_mut().insert(header::LOCATION, l);
    }
    Ok(res)
}

async fn tasks(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let items = s.app.tasks_of(&auth.actor, &id).await?;
    Ok(Json(json!({ "items": items, "next": null })))
}

async fn show(State(s): State<WebState>, Caller(auth): Caller, ApiPath(id): ApiPath<String>) -> ApiResult<Response> {
    Ok(with_etag(StatusCode::OK, s.app.ticket(&auth.actor, &id).await?))
}

async fn update(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UpdateTicket>,
) -> ApiResult<Response> {
    let expected = if_match(&headers)?;
    Ok(with_etag(StatusCode::OK, s.app.update_ticket(&auth.actor, &id, expected, body).await?))
}

async fn transition(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TransitionInput>,
) -> ApiResult<Response> {
    let expected = if_match(&headers)?;
    Ok(with_etag(StatusCode::OK, s.app.transition_ticket(&auth.actor, &id, expected, body).await?))
}

async fn timeline(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let (ticket, timeline) = s.app.timeline(&auth.actor, &id).await?;
    Ok(Json(json!({ "ticket": ticket, "timeline": timeline })))
}

async fn comments(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let items = s.app.comments(&auth.actor, &id).await?;
    Ok(Json(json!({ "items": items, "next": null })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewComment {
    body: String,
    #[serde(default = "yes")]
    public: bool,
}

fn yes() -> bool {
    true
}

async fn add_comment(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<NewComment>,
) -> ApiResult<(StatusCode, Json<opsdesk_store::tickets::Comment>)> {
    Ok((StatusCode::CREATED, Json(s.app.add_comment(&auth.actor, &id, &body.body, body.public).await?)))
}

/// `multipart/form-data` with a `file` part and an optional `public` part (`true`/`false`).
async fn upload(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
    form: Multipart,
) -> ApiResult<(StatusCode, Json<opsdesk_store::tickets::Attachment>)> {
    let (filename, content_type, data, public) = read_upload(form).await?;
    let a = s.app.add_attachment(&auth.actor, &id, AttachmentUpload { filename, content_type, data, public }).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// Reads a `multipart/form-data` upload: the `file` part (required) and an optional `public`
/// part (`false` makes it internal; public otherwise). Shared by ticket and article uploads.
pub(super) async fn read_upload(mut form: Multipart) -> ApiResult<(String, String, Vec<u8>, bool)> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "the upload is too large")
        } else {
            Problem::new(StatusCode::BAD_REQUEST, "invalid_multipart", e.body_text())
        }
    };
    let mut file: Option<(String, String, Vec<u8>)> = None;
    let mut public = true;
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("attachment").to_string();
                let ct = field.content_type().unwrap_or("application/octet-stream").to_string();
                let data = field.bytes().await.map_err(unreadable)?;
                file = Some((name, ct, data.to_vec()));
            }
            Some("public") => public = field.text().await.map_err(unreadable)?.trim() != "false",
            _ => {}
        }
    }
    let Some((filename, content_type, data)) = file else {
        return Err(Problem::from(opsdesk_app::AppError::from(FieldError::new(
            "file",
            "required",
            "send the file as the multipart part named file",
        ))));
    };
    Ok((filename, content_type, data, public))
}

/// Types a browser may be told as they are; anything else is served as opaque bytes.
const SAFE_TYPES: [&str; 6] = ["image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain", "text/csv"];

async fn download(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath((id, attachment_id)): ApiPath<(String, i64)>,
) -> ApiResult<Response> {
    let (a, data) = s.app.attachment(&auth.actor, &id, attachment_id).await?;
    Ok(file_response(&a.filename, &a.content_type, data))
}

/// A stored file as a download: never rendered inline from our origin, `nosniff`, sandboxed.
pub(super) fn file_response(filename: &str, content_type: &str, data: Vec<u8>) -> Response {
    let ct = if SAFE_TYPES.contains(&content_type) { content_type } else { "application/octet-stream" };
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"attachment\"; filename*=UTF-8''{encoded}");
    let mut res = Response::new(Body::from(data));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(ct).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    res
}

async fn link(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<LinkInput>,
) -> ApiResult<(StatusCode, Json<opsdesk_store::tickets::Link>)> {
    Ok((StatusCode::CREATED, Json(s.app.link_tickets(&auth.actor, &id, body).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WatcherInput {
    user: Ref,
}

async fn add_watcher(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<WatcherInput>,
) -> ApiResult<StatusCode> {
    s.app.add_watcher(&auth.actor, &id, &body.user).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_watcher(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath((id, user_id)): ApiPath<(String, i64)>,
) -> ApiResult<StatusCode> {
    s.app.remove_watcher(&auth.actor, &id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
