//! The email channel: a desk's mail settings and templates (admins write), messages held
//! for an agent, and a ticket's mail in and out with its raw messages.

use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, Listing, Page};
use crate::problem::ApiResult;
use crate::WebState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use opsdesk_app::mail::{DeskMailInput, DeskMailView, MailboxInput, MailboxView, Outcome};
use opsdesk_store::mail::MailMessage;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/api/v1/desks/{id}/mail", get(desk_mail).put(put_desk_mail))
        .route("/api/v1/desks/{id}/mailbox", get(desk_mailbox).put(put_desk_mailbox).delete(delete_desk_mailbox))
        .route("/api/v1/mail/held", get(held))
        .route("/api/v1/mail/held/{id}/release", post(release))
        .route("/api/v1/mail/held/{id}/discard", post(discard))
        .route("/api/v1/tickets/{id}/mail", get(ticket_mail))
        .route("/api/v1/tickets/{id}/mail/{mail_id}/raw", get(raw))
}

async fn desk_mail(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DeskMailView>> {
    Ok(Json(s.app.desk_mail(&a.actor, id).await?))
}

async fn put_desk_mail(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DeskMailInput>,
) -> ApiResult<Json<DeskMailView>> {
    Ok(Json(s.app.put_desk_mail(&a.actor, id, b).await?))
}

async fn desk_mailbox(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<MailboxView>> {
    Ok(Json(s.app.desk_mailbox(&a.actor, id).await?))
}

async fn put_desk_mailbox(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<MailboxInput>,
) -> ApiResult<Json<MailboxView>> {
    Ok(Json(s.app.put_desk_mailbox(&a.actor, id, b).await?))
}

async fn delete_desk_mailbox(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.app.delete_desk_mailbox(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn held(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiQuery(p): ApiQuery<Page>,
) -> ApiResult<Json<Listing<MailMessage>>> {
    let limit = p.limit();
    let items = s.app.held_mail(&a.actor, p.after_id()?, limit).await?;
    Ok(Json(Listing::by_id(items, limit, |m| m.id)))
}

async fn release(State(s): State<WebState>, Caller(a): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Outcome>> {
    Ok(Json(s.app.release_mail(&a.actor, id).await?))
}

async fn discard(State(s): State<WebState>, Caller(a): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    s.app.discard_mail(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn ticket_mail(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let items = s.app.ticket_mail(&a.actor, &id).await?;
    Ok(Json(serde_json::json!({ "items": items, "next": null })))
}

/// The original message, as a download (never rendered from our origin).
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
