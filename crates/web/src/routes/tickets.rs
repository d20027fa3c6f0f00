//! Tickets: create, read, change (with ETag / If-Match), transitions, comments, attachments,
//! links, watchers, and the list with the query language.

use crate::extract::{if_match, ApiJson, ApiMultipart, ApiPath, ApiQuery, Caller, Listing};
use crate::openapi::fails;
use crate::problem::{ApiResult, Problem};
use crate::WebState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Json;
use opsdesk_app::tickets::{
    AttachmentUpload, AttachmentView, CommentView, CreateTask, CreateTicket, LinkInput, LinkView, Page, Ref,
    TicketPage, TicketTimelineView, TicketView, TimelineView, TransitionInput, UpdateTicket,
};
use opsdesk_domain::FieldError;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Attachments are limited by the desk setting; this only bounds what is read at all.
const UPLOAD_BODY_LIMIT: usize = 110 * 1024 * 1024;

pub fn router() -> OpenApiRouter<WebState> {
    use utoipa_axum::router::UtoipaMethodRouterExt;
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update))
        .routes(routes!(timeline))
        .routes(routes!(transition))
        .routes(routes!(comments, add_comment))
        .routes(routes!(upload).layer(axum::extract::DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)))
        .routes(routes!(download))
        .routes(routes!(link))
        .routes(routes!(tasks, add_task))
        .routes(routes!(add_watcher))
        .routes(routes!(remove_watcher))
        // Large enough that an oversized title or description is refused by validation, naming
        // the field, rather than by the body limit.
        .layer(axum::extract::DefaultBodyLimit::max(TICKET_BODY_LIMIT))
}

/// The query language, for the description of the list.
const QUERY_LANGUAGE: &str = "The ticket query language. Terms are separated by spaces; filters are ANDed, the \
comma-separated values of one filter are ORed, and `-` before a term negates it.\n\n\
* `kind:incident,service_request,problem`\n\
* `status:open` (any open status) or a status name: `status:on_hold`, `-status:closed`\n\
* `priority:P1,P2`, `priority<=P2`; `impact:1`, `urgency<3` (1 high to 3 low)\n\
* `group:<name or id>`; `assignee:me`, `assignee:none`, `assignee:<email or id>`; \
`requester:<me, email or id>`; `watcher:me`\n\
* `category:<name>` (a top-level category includes its subcategories), `desk:<name>`, \
`organization:<name>` (or `org:`), `number:INC-1042`, `parent:REQ-12`\n\
* `ci:<name or id>` (the ticket names that configuration item), `service:<name>` (that business service)\n\
* `created>-7d`, `updated<-2w` (relative: `m`, `h`, `d`, `w`), `created:2024-05-01` (that day), \
`created>=2024-05-01`\n\
* `has:attachment`, `has:assignee`, `has:category`, `has:group`; `is:open`, `is:closed`, `is:assigned`, \
`is:unassigned`\n\
* `cf.<key>:value`, `cf.<key>>100` for custom fields\n\
* `sort:<key>` or `sort:-<key>` for descending, with keys priority, created, updated, number, status, due, \
relevance (default `sort:-created`)\n\n\
Bare words and \"quoted phrases\" are full-text search over titles, descriptions and comments. At most 2000 \
characters and 50 terms. A query that does not parse answers 400 `invalid_query` pointing at the offending \
characters.";

const TICKET_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// A ticket with its ETag.
fn with_etag(status: StatusCode, t: TicketView) -> Response {
    let version = t.version;
    crate::extract::with_etag(status, t, version)
}

/// A new ticket or task: 201 with its ETag and its URL in `Location`.
fn created(t: TicketView) -> Response {
    let location = HeaderValue::from_str(&format!("/api/v1/tickets/{}", t.id)).ok();
    let mut res = with_etag(StatusCode::CREATED, t);
    if let Some(l) = location {
        res.headers_mut().insert(header::LOCATION, l);
    }
    res
}

/// The ticket's id (`42`) or number (`INC-1042`), in the path of every ticket operation.
#[derive(Deserialize, IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
#[allow(dead_code)] // documents the path; handlers read it with `ApiPath`
pub(super) struct TicketId(
    /// The ticket's id (`42`) or number (`INC-1042`).
    String,
);

/// `If-Match` on a ticket write.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // documents the header; handlers read it with `if_match`
struct IfMatch {
    /// The ETag of the ticket as last read (`"7"`; a `W/` prefix is ignored). If the ticket
    /// changed since, nothing changes and the answer is 412 `stale_version` with the current
    /// ticket. Absent or `*`: apply whatever the version.
    #[param(rename = "If-Match")]
    if_match: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// A query in the ticket query language: `kind:incident status:open priority:P1,P2 "vpn"`.
    #[serde(default)]
    q: String,
    /// Page size, 1 to 500 (50 by default); out-of-range values are clamped.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next` cursor of the previous page.
    after: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/tickets", tag = "tickets", operation_id = "listTickets", summary = "List and search tickets",
    description = QUERY_LANGUAGE,
    params(ListQuery),
    responses((status = 200, description = "A page of tickets.", body = TicketPage), fails::BadRequest),
)]
async fn list(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<TicketPage>> {
    let page = Page { q: q.q, limit: q.limit.unwrap_or(50), after: q.after };
    Ok(Json(s.app.list_tickets(&auth.actor, &page).await?))
}

#[utoipa::path(
    post, path = "/api/v1/tickets", tag = "tickets", operation_id = "createTicket", summary = "Log a ticket",
    description = "Requesters log tickets for themselves and may not set group, assignee, priority, watchers or \
                   external_id (422 `not_allowed` naming each). Without a group the desk's default group takes it.",
    request_body = CreateTicket,
    responses((status = 201, description = "The new ticket.", body = TicketView,
        headers(("ETag" = String, description = "The ticket's version (`\"1\"`)."), ("Location" = String, description = "The URL of the new ticket.")))),
)]
async fn create(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<CreateTicket>,
) -> ApiResult<Response> {
    Ok(created(s.app.create_ticket(&auth.actor, body).await?))
}

#[utoipa::path(
    post, path = "/api/v1/tickets/{id}/tasks", tag = "tickets", operation_id = "createTask", summary = "Add a task",
    description = "Agents and admins who work the ticket. The task (`TSK-…`) has the parent's desk, requester, impact \
                   and urgency, the parent's group unless one is named, and waits for the tasks of the same parent \
                   named in `after`. Not under a task; not under a closed ticket (409 `parent_closed`).",
    params(TicketId),
    request_body = CreateTask,
    responses((status = 201, description = "The new task.", body = TicketView,
        headers(("ETag" = String, description = "The task's version (`\"1\"`)."), ("Location" = String, description = "The URL of the task."))),
        fails::NotFound, fails::Conflict),
)]
async fn add_task(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CreateTask>,
) -> ApiResult<Response> {
    Ok(created(s.app.create_task(&auth.actor, &id, body).await?))
}

#[utoipa::path(
    get, path = "/api/v1/tickets/{id}/tasks", tag = "tickets", operation_id = "listTasks", summary = "A ticket's tasks",
    description = "The tasks of a ticket the caller sees, oldest first, each with the ids of the tasks it waits for \
                   in `after`. All of them on one page (`next` is null).",
    params(TicketId),
    responses((status = 200, description = "The tasks.", body = TicketPage), fails::NotFound),
)]
async fn tasks(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TicketPage>> {
    let items = s.app.tasks_of(&auth.actor, &id).await?;
    Ok(Json(TicketPage { items, next: None }))
}

#[utoipa::path(
    get, path = "/api/v1/tickets/{id}", tag = "tickets", operation_id = "getTicket", summary = "Get a ticket",
    description = "With its SLA targets in `sla`.",
    params(TicketId),
    responses((status = 200, description = "The ticket.", body = TicketView,
        headers(("ETag" = String, description = "The ticket's version; send it back in `If-Match`."))), fails::NotFound),
)]
async fn show(State(s): State<WebState>, Caller(auth): Caller, ApiPath(id): ApiPath<String>) -> ApiResult<Response> {
    Ok(with_etag(StatusCode::OK, s.app.ticket(&auth.actor, &id).await?))
}

#[utoipa::path(
    patch, path = "/api/v1/tickets/{id}", tag = "tickets", operation_id = "updateTicket", summary = "Change a ticket",
    description = "Absent fields stay; `null` clears a clearable one. Requesters may only change \
                   `shared_with_organization` of their own tickets.",
    params(TicketId, IfMatch),
    request_body = UpdateTicket,
    responses((status = 200, description = "The changed ticket.", body = TicketView,
        headers(("ETag" = String, description = "The new version."))), fails::NotFound, fails::Stale),
)]
async fn update(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UpdateTicket>,
) -> ApiResult<Response> {
    let expected = if_match(&headers, "the ticket")?;
    Ok(with_etag(StatusCode::OK, s.app.update_ticket(&auth.actor, &id, expected, body).await?))
}

#[utoipa::path(
    post, path = "/api/v1/tickets/{id}/transitions", tag = "tickets", operation_id = "transitionTicket",
    summary = "Move a ticket to another status",
    description = "An illegal move answers 422 `illegal_transition` with the statuses allowed now in `allowed`; \
                   a move refused by the kind's guards (approval granted, tasks done, workaround recorded, \
                   predecessors done) answers 422 `guard_failed` with `guards: [{name, detail}]`, one per refused \
                   guard. Requesters may confirm a resolution, reopen or cancel their own tickets.",
    params(TicketId, IfMatch),
    request_body = TransitionInput,
    responses((status = 200, description = "The moved ticket.", body = TicketView,
        headers(("ETag" = String, description = "The new version."))), fails::NotFound, fails::Stale),
)]
async fn transition(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TransitionInput>,
) -> ApiResult<Response> {
    let expected = if_match(&headers, "the ticket")?;
    Ok(with_etag(StatusCode::OK, s.app.transition_ticket(&auth.actor, &id, expected, body).await?))
}

#[utoipa::path(
    get, path = "/api/v1/tickets/{id}/timeline", tag = "tickets", operation_id = "getTimeline",
    summary = "A ticket and its timeline",
    description = "Comments, attachments, history, links and watchers, as the caller may see them.",
    params(TicketId),
    responses((status = 200, description = "The ticket and its timeline.", body = TicketTimelineView), fails::NotFound),
)]
async fn timeline(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TicketTimelineView>> {
    let (ticket, timeline) = s.app.timeline(&auth.actor, &id).await?;
    Ok(Json(TicketTimelineView { ticket, timeline: TimelineView::from(&timeline) }))
}

#[utoipa::path(
    get, path = "/api/v1/tickets/{id}/comments", tag = "tickets", operation_id = "listComments",
    summary = "A ticket's comments",
    description = "Oldest first; requesters see public replies only. One page.",
    params(TicketId),
    responses((status = 200, description = "The comments.", body = Listing<CommentView>), fails::NotFound),
)]
async fn comments(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Listing<CommentView>>> {
    let items = s.app.comments(&auth.actor, &id).await?;
    Ok(Json(Listing::all(items.iter().map(CommentView::from).collect())))
}

/// A reply or an internal note.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewComment {
    #[schema(max_length = 65536, pattern = r"^[^\u0000]*\S[^\u0000]*$")]
    body: String,
    /// A public reply (default) or an internal note (agents only).
    #[serde(default = "yes")]
    #[schema(default = true)]
    public: bool,
}

fn yes() -> bool {
    true
}

#[utoipa::path(
    post, path = "/api/v1/tickets/{id}/comments", tag = "tickets", operation_id = "addComment",
    summary = "Reply or add an internal note",
    description = "Requesters write public replies only (an internal note is 403).",
    params(TicketId),
    request_body = NewComment,
    responses((status = 201, description = "The new comment.", body = CommentView), fails::NotFound),
)]
async fn add_comment(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<NewComment>,
) -> ApiResult<(StatusCode, Json<CommentView>)> {
    let c = s.app.add_comment(&auth.actor, &id, &body.body, body.public).await?;
    Ok((StatusCode::CREATED, Json(CommentView::from(&c))))
}

/// The bytes of a file, in a download.
pub(super) struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for Binary {}

/// A file upload: `multipart/form-data` with a `file` part and an optional `public` part.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the form `read_upload` reads
pub(super) struct Upload {
    /// The file; its name is cleaned and only displayed.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// `false` makes it internal; public otherwise.
    public: Option<bool>,
}

#[utoipa::path(
    post, path = "/api/v1/tickets/{id}/attachments", tag = "tickets", operation_id = "uploadAttachment",
    summary = "Attach a file",
    description = "Up to the desk's attachment limit (`attachment_max_bytes` in the ticket settings).",
    params(TicketId),
    request_body(content = Upload, content_type = "multipart/form-data"),
    responses((status = 201, description = "The stored attachment.", body = AttachmentView),
        fails::BadRequest, fails::NotFound, fails::TooLarge, fails::Invalid),
)]
async fn upload(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
    ApiMultipart(form): ApiMultipart,
) -> ApiResult<(StatusCode, Json<AttachmentView>)> {
    let (filename, content_type, data, public) = read_upload(form).await?;
    let a = s.app.add_attachment(&auth.actor, &id, AttachmentUpload { filename, content_type, data, public }).await?;
    Ok((StatusCode::CREATED, Json(AttachmentView::from(&a))))
}

/// Reads a `multipart/form-data` upload: the `file` part (required) and an optional `public`
/// part (`false` makes it internal; public otherwise). Shared by ticket and article uploads.
pub(super) async fn read_upload(mut form: axum::extract::Multipart) -> ApiResult<(String, String, Vec<u8>, bool)> {
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

#[utoipa::path(
    get, path = "/api/v1/tickets/{id}/attachments/{attachment_id}", tag = "tickets", operation_id = "downloadAttachment",
    summary = "Download an attachment",
    description = "Always `Content-Disposition: attachment`, `nosniff` and sandboxed; served as \
                   `application/octet-stream` unless it is an image, a PDF or plain text.",
    params(TicketId, ("attachment_id" = i64, Path, description = "The attachment's id.")),
    responses((status = 200, description = "The file.", content_type = "application/octet-stream", body = Binary), fails::NotFound),
)]
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

#[utoipa::path(
    post, path = "/api/v1/tickets/{id}/links", tag = "tickets", operation_id = "linkTicket", summary = "Link two tickets",
    description = "Both tickets must be ones the caller works. `duplicate_of` merges the ticket into the target.",
    params(TicketId),
    request_body = LinkInput,
    responses((status = 201, description = "The link.", body = LinkView), fails::NotFound, fails::Conflict),
)]
async fn link(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<LinkInput>,
) -> ApiResult<(StatusCode, Json<LinkView>)> {
    Ok((StatusCode::CREATED, Json(LinkView::from(&s.app.link_tickets(&auth.actor, &id, body).await?))))
}

/// Who to add as a watcher.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct WatcherInput {
    user: Ref,
}

#[utoipa::path(
    post, path = "/api/v1/tickets/{id}/watchers", tag = "tickets", operation_id = "addWatcher", summary = "Add a watcher",
    description = "Agents.",
    params(TicketId),
    request_body = WatcherInput,
    responses((status = 204, description = "Watching."), fails::NotFound),
)]
async fn add_watcher(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<WatcherInput>,
) -> ApiResult<StatusCode> {
    s.app.add_watcher(&auth.actor, &id, &body.user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    delete, path = "/api/v1/tickets/{id}/watchers/{user_id}", tag = "tickets", operation_id = "removeWatcher",
    summary = "Remove a watcher",
    params(TicketId, ("user_id" = i64, Path, description = "The watcher's user id.")),
    responses((status = 204, description = "No longer watching."), fails::NotFound),
)]
async fn remove_watcher(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath((id, user_id)): ApiPath<(String, i64)>,
) -> ApiResult<StatusCode> {
    s.app.remove_watcher(&auth.actor, &id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
