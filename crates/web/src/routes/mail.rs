//! The email channel: a desk's mail settings and templates (admins write), messages held
//! for an agent, and a ticket's mail in and out with its raw messages.

use super::tickets::{Binary, TicketId};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, Listing, Page};
use crate::openapi::fails;
use crate::problem::ApiResult;
use crate::WebState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Json;
use opsdesk_app::mail::{DeskMailInput, DeskMailView, MailMessageView, MailboxInput, MailboxView, Outcome};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(desk_mail, put_desk_mail))
        .routes(routes!(desk_mailbox, put_desk_mailbox, delete_desk_mailbox))
        .routes(routes!(held))
        .routes(routes!(release))
        .routes(routes!(discard))
        .routes(routes!(ticket_mail))
        .routes(routes!(raw))
}

const MAIL: &str = "mail";

#[utoipa::path(
    get, path = "/api/v1/desks/{id}/mail", tag = MAIL, operation_id = "getDeskMail", summary = "A desk's mail settings",
    description = "Agents and admins. 404 while the desk has no address.",
    params(("id" = i64, Path, description = "The desk's id.")),
    responses((status = 200, description = "The settings and templates.", body = DeskMailView),
        fails::Forbidden, fails::NotFound),
)]
async fn desk_mail(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DeskMailView>> {
    Ok(Json(s.app.desk_mail(&a.actor, id).await?))
}

#[utoipa::path(
    put, path = "/api/v1/desks/{id}/mail", tag = MAIL, operation_id = "putDeskMail",
    summary = "Set a desk's mail settings",
    description = "Admins. Unknown placeholders in templates are field errors; an address another desk has \
                   answers 422 with `taken`.",
    params(("id" = i64, Path, description = "The desk's id.")),
    request_body = DeskMailInput,
    responses((status = 200, description = "The settings now in effect.", body = DeskMailView), fails::NotFound),
)]
async fn put_desk_mail(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DeskMailInput>,
) -> ApiResult<Json<DeskMailView>> {
    Ok(Json(s.app.put_desk_mail(&a.actor, id, b).await?))
}

#[utoipa::path(
    get, path = "/api/v1/desks/{id}/mailbox", tag = MAIL, operation_id = "getDeskMailbox",
    summary = "A desk's IMAP mailbox and its status", description = "Admins. 404 while the desk has none.",
    params(("id" = i64, Path, description = "The desk's id.")),
    responses((status = 200, description = "The mailbox (without its password).", body = MailboxView),
        fails::Forbidden, fails::NotFound),
)]
async fn desk_mailbox(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<MailboxView>> {
    Ok(Json(s.app.desk_mailbox(&a.actor, id).await?))
}

#[utoipa::path(
    put, path = "/api/v1/desks/{id}/mailbox", tag = MAIL, operation_id = "putDeskMailbox",
    summary = "Set a desk's IMAP mailbox",
    description = "Admins. The worker (role worker or all) connects within seconds, ingests unseen messages and \
                   deletes each once it is stored.",
    params(("id" = i64, Path, description = "The desk's id.")),
    request_body = MailboxInput,
    responses((status = 200, description = "The mailbox now in effect.", body = MailboxView), fails::NotFound),
)]
async fn put_desk_mailbox(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<MailboxInput>,
) -> ApiResult<Json<MailboxView>> {
    Ok(Json(s.app.put_desk_mailbox(&a.actor, id, b).await?))
}

#[utoipa::path(
    delete, path = "/api/v1/desks/{id}/mailbox", tag = MAIL, operation_id = "deleteDeskMailbox",
    summary = "Remove a desk's IMAP mailbox", description = "Admins. The worker stops polling it.",
    params(("id" = i64, Path, description = "The desk's id.")),
    responses((status = 204, description = "Removed."), fails::NotFound),
)]
async fn delete_desk_mailbox(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.app.delete_desk_mailbox(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get, path = "/api/v1/mail/held", tag = MAIL, operation_id = "listHeldMail", summary = "Messages held for an agent",
    description = "Replies from non-participants and senders over the rate limit, of tickets the caller works.",
    params(Page),
    responses((status = 200, description = "Held messages, oldest first.", body = Listing<MailMessageView>),
        fails::BadRequest, fails::Forbidden),
)]
async fn held(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiQuery(p): ApiQuery<Page>,
) -> ApiResult<Json<Listing<MailMessageView>>> {
    let limit = p.limit();
    let items = s.app.held_mail(&a.actor, p.after_id()?, limit).await?;
    Ok(Json(Listing::by_id(items.iter().map(MailMessageView::from).collect(), limit, |m| m.id)))
}

#[utoipa::path(
    post, path = "/api/v1/mail/held/{id}/release", tag = MAIL, operation_id = "releaseHeldMail",
    summary = "Post a held message",
    description = "Into its ticket as the sender's reply (the sender then watches it), or as a new ticket.",
    params(("id" = i64, Path, description = "The message's id.")),
    responses((status = 200, description = "Where it went.", body = Outcome),
        fails::NotFound, fails::Conflict, fails::Invalid),
)]
async fn release(State(s): State<WebState>, Caller(a): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Outcome>> {
    Ok(Json(s.app.release_mail(&a.actor, id).await?))
}

#[utoipa::path(
    post, path = "/api/v1/mail/held/{id}/discard", tag = MAIL, operation_id = "discardHeldMail",
    summary = "Discard a held message", description = "It stays stored, marked discarded.",
    params(("id" = i64, Path, description = "The message's id.")),
    responses((status = 204, description = "Discarded."), fails::NotFound, fails::Conflict),
)]
async fn discard(State(s): State<WebState>, Caller(a): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    s.app.discard_mail(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get, path = "/api/v1/tickets/{id}/mail", tag = MAIL, operation_id = "listTicketMail",
    summary = "A ticket's mail in and out",
    description = "Agents who may work the ticket: delivery states, and every delivery attempt with its error.",
    params(TicketId),
    responses((status = 200, description = "The messages, oldest first (one page).", body = Listing<MailMessageView>),
        fails::Forbidden, fails::NotFound),
)]
async fn ticket_mail(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Listing<MailMessageView>>> {
    Ok(Json(Listing::all(s.app.ticket_mail(&a.actor, &id).await?)))
}

/// The original message, as a download (never rendered from our origin).
#[utoipa::path(
    get, path = "/api/v1/tickets/{id}/mail/{mail_id}/raw", tag = MAIL, operation_id = "downloadRawMail",
    summary = "Download a message as received or sent",
    description = "Agents. Always a download (`message/rfc822`, `Content-Disposition: attachment`).",
    params(TicketId, ("mail_id" = i64, Path, description = "The message's id.")),
    responses((status = 200, description = "The raw RFC 5322 message.", content_type = "message/rfc822", body = Binary),
        fails::Forbidden, fails::NotFound),
)]
async fn raw(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath((id, mail_id)): ApiPath<(String, i64)>,
) -> ApiResult<Response> {
    let data = s.app.ticket_mail_raw(&a.actor, &id, mail_id).await?;
    let mut res = Response::new(Body::from(data));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("message/rfc822"));
    let disposition = format!("attachment; filename=\"message-{mail_id}.eml\"");
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    Ok(res)
}
