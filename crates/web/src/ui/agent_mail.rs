//! The agents' mail pages: messages held for review (a stranger's reply, a sender over the
//! limit, a message without a usable sender) with release and discard, the raw download of
//! any message an agent may handle, and the rows of a ticket's "Mail" section.

use super::view::{enc, when, words};
use super::{app_error, signed_in, FormPost, Nav};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use opsdesk_app::mail::{MailMessageView, Outcome, SEND_ATTEMPTS};
use opsdesk_app::App;
use opsdesk_domain::Actor;
use opsdesk_store::mail::status;
use serde::Deserialize;

/// Held messages shown on one page.
const PAGE: i64 = 50;
/// The navigation counts held messages up to this many.
pub const COUNT_CAP: i64 = 100;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/agent/mail/held", get(held))
        .route("/agent/mail/held/{id}/release", post(release))
        .route("/agent/mail/held/{id}/discard", post(discard))
        .route("/agent/mail/{id}/raw", get(raw))
}

pub struct HeldRow {
    pub id: i64,
    pub sender: String,
    pub subject: String,
    pub received: String,
    pub reason: String,
    pub ticket: Option<String>,
    pub preview: String,
    pub raw_href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "agent/held.html")]
struct HeldPage {
    nav: Nav,
    rows: Vec<HeldRow>,
    notice: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
struct HeldQuery {
    after: Option<i64>,
    done: Option<String>,
    ticket: Option<String>,
}

/// Why a message was held, in words.
fn reason_words(reason: Option<&str>) -> String {
    match reason {
        Some("not_participant") => "sender is not a participant of the ticket".into(),
        Some("rate_limited") => "sender is over the message limit".into(),
        Some("no_sender") => "no usable sender address".into(),
        Some(other) => words(other),
        None => String::new(),
    }
}

/// Counts the messages waiting for this agent into the navigation.
pub async fn count_into(app: &App, actor: &Actor, nav: &mut Nav) {
    nav.held = app.held_mail_count(actor, COUNT_CAP).await.unwrap_or(0);
}

/// The held page. Requesters get the API's answer (403); agents see the messages of tickets
/// they may work, admins also those that belong to no ticket.
async fn held(
    State(s): State<WebState>,
    jar: CookieJar,
    uri: Uri,
    q: Result<Query<HeldQuery>, QueryRejection>,
) -> Response {
    let auth = match signed_in(&s, &jar, &uri).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let q = q.map(|q| q.0).unwrap_or_default();
    let mut nav = Nav::of(&auth);
    let found = match s.app.held_mail_review(&auth.actor, q.after.unwrap_or(0).max(0), PAGE).await {
        Ok(f) => f,
        Err(e) => return app_error(Some(nav), e),
    };
    count_into(&s.app, &auth.actor, &mut nav).await;
    let next = (found.len() as i64 == PAGE)
        .then(|| found.last().map(|h| format!("/agent/mail/held?after={}", h.message.id)))
        .flatten();
    let rows = found
        .into_iter()
        .map(|h| HeldRow {
            id: h.message.id,
            sender: h.message.sender.clone().unwrap_or_else(|| "(no sender)".into()),
            subject: if h.message.subject.trim().is_empty() {
                "(no subject)".into()
            } else {
                h.message.subject.clone()
            },
            received: when(h.message.created_at),
            reason: reason_words(h.message.reason.as_deref()),
            ticket: h.ticket_number,
            preview: h.preview,
            raw_href: format!("/agent/mail/{}/raw", h.message.id),
        })
        .collect();
    // Only known outcomes become a notice; the ticket number is shown as text, escaped.
    let ticket = q.ticket.filter(|t| t.len() <= 24 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    let notice = match (q.done.as_deref(), ticket) {
        (Some("released"), Some(t)) => Some(format!("Released into {t}.")),
        (Some("released"), None) => Some("Released.".into()),
        (Some("discarded"), _) => Some("Discarded. The message stays stored.".into()),
        _ => None,
    };
    HeldPage { nav, rows, notice, next }.into_response()
}

async fn release(State(s): State<WebState>, Path(id): Path<String>, post: FormPost) -> Response {
    let FormPost { auth, .. } = post;
    let Ok(id) = id.parse::<i64>() else { return app_error(Some(Nav::of(&auth)), opsdesk_app::AppError::NotFound) };
    match s.app.release_mail(&auth.actor, id).await {
        Ok(Outcome::Ticket { number, .. }) => {
            Redirect::to(&format!("/agent/mail/held?done=released&ticket={}", enc(&number))).into_response()
        }
        Ok(Outcome::Comment { ticket_id, .. }) => {
            let number = s.app.db.ticket(ticket_id).await.map(|t| t.number).unwrap_or_default();
            Redirect::to(&format!("/agent/mail/held?done=released&ticket={}", enc(&number))).into_response()
        }
        Ok(_) => Redirect::to("/agent/mail/held?done=released").into_response(),
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}

async fn discard(State(s): State<WebState>, Path(id): Path<String>, post: FormPost) -> Response {
    let FormPost { auth, .. } = post;
    let Ok(id) = id.parse::<i64>() else { return app_error(Some(Nav::of(&auth)), opsdesk_app::AppError::NotFound) };
    match s.app.discard_mail(&auth.actor, id).await {
        Ok(()) => Redirect::to("/agent/mail/held?done=discarded").into_response(),
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}

/// The original message as a download: never rendered from our origin.
async fn raw(State(s): State<WebState>, jar: CookieJar, uri: Uri, Path(id): Path<String>) -> Response {
    let auth = match signed_in(&s, &jar, &uri).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else { return app_error(Some(Nav::of(&auth)), opsdesk_app::AppError::NotFound) };
    let (_, data) = match s.app.mail_raw(&auth.actor, id).await {
        Ok(x) => x,
        Err(e) => return app_error(Some(Nav::of(&auth)), e),
    };
    let mut res = Response::new(Body::from(data));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("message/rfc822"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"message-{id}.eml\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    res
}

/// One message of a ticket's "Mail" section.
pub struct MailRow {
    pub direction: &'static str,
    pub subject: String,
    pub party: String,
    pub at: String,
    pub status: String,
    pub failed: bool,
    /// The last delivery error of an outbound message, or why an inbound one was held or
    /// flagged automatic.
    pub detail: Option<String>,
    /// Every delivery attempt, oldest first, so a failure stays visible after a retry.
    pub attempts: Vec<AttemptRow>,
    pub raw_href: String,
}

/// One delivery attempt in a ticket's "Mail" section.
pub struct AttemptRow {
    pub attempt: i64,
    pub at: String,
    pub failed: bool,
    pub outcome: String,
    pub error: Option<String>,
}

impl MailRow {
    pub fn of(m: &MailMessageView) -> MailRow {
        let out = m.direction == "out";
        let failed = out && m.status == status::FAILED;
        let status_words = match failed {
            true if m.attempts < SEND_ATTEMPTS => {
                format!("failed (attempt {} of {SEND_ATTEMPTS}, retrying)", m.attempts)
            }
            true => format!("failed (gave up after {} attempts)", m.attempts),
            false => words(&m.status),
        };
        let detail = match (out, m.reason.as_deref()) {
            (_, None) | (_, Some("")) => None,
            (true, Some(e)) => Some(e.to_string()),
            (false, Some(r)) => Some(reason_words(Some(r))),
        };
        let attempts = m
            .deliveries
            .iter()
            .map(|d| AttemptRow {
                attempt: d.attempt,
                at: when(d.at),
                failed: d.outcome == status::FAILED,
                outcome: words(&d.outcome),
                error: d.error.clone().filter(|e| !e.is_empty()),
            })
            .collect();
        MailRow {
            direction: if out { "out" } else { "in" },
            subject: if m.subject.trim().is_empty() { "(no subject)".into() } else { m.subject.clone() },
            party: if out { m.recipient.clone() } else { m.sender.clone() }.unwrap_or_default(),
            at: when(m.updated_at),
            status: status_words,
            failed,
            detail,
            attempts,
            raw_href: format!("/agent/mail/{}/raw", m.id),
        }
    }
}

/// The rows of a ticket's "Mail" section; empty when the agent may not work the ticket
/// (the page itself already refuses then).
pub async fn ticket_mail_rows(app: &App, actor: &Actor, number: &str) -> Vec<MailRow> {
    match app.ticket_mail(actor, number).await {
        Ok(all) => all.iter().map(MailRow::of).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "the ticket page shows no mail section");
            Vec::new()
        }
    }
}
