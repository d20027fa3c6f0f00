//! The agents' service level pages: the SLA compliance report (per policy, priority or group
//! over a period, with a CSV download of the same figures) and one's in-app notifications.

use super::form::FieldErrors;
use super::{agent_only, app_error, FormPost, Nav};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use opsdesk_app::sla::ReportLine;
use opsdesk_app::AppError;
use opsdesk_store::Ts;
use serde::Deserialize;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/agent/reports/sla", get(report))
        .route("/agent/reports/sla.csv", get(report_csv))
        .route("/agent/notifications", get(notifications))
        .route("/agent/notifications/read", post(mark_read))
}

macro_rules! agent {
    ($s:expr, $jar:expr, $uri:expr) => {
        match agent_only(&$s, &$jar, &$uri).await {
            Ok(a) => a,
            Err(r) => return r,
        }
    };
}

#[derive(Deserialize, Default)]
struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    group_by: Option<String>,
}

/// The period and grouping as the form shows them, and as the application takes them:
/// `to` is inclusive on the page (a whole day), so the report runs to the next midnight UTC.
struct Period {
    from: String,
    to: String,
    group_by: String,
    range: Option<(Ts, Ts)>,
    errors: FieldErrors,
}

fn day_start(d: jiff::civil::Date) -> Option<Ts> {
    d.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| Ts(z.timestamp()))
}

fn period(q: ReportQuery) -> Period {
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let from = q.from.map(|f| f.trim().to_string()).filter(|f| !f.is_empty());
    let to = q.to.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    let from = from.unwrap_or_else(|| today.checked_sub(jiff::Span::new().days(30)).unwrap_or(today).to_string());
    let to = to.unwrap_or_else(|| today.to_string());
    let mut errors = FieldErrors::default();
    let mut date = |raw: &str, key: &str| match raw.parse::<jiff::civil::Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(key, "a date like 2026-05-01");
            None
        }
    };
    let (f, t) = (date(&from, "from"), date(&to, "to"));
    let range = match (f, t) {
        (Some(f), Some(t)) => match (day_start(f), t.tomorrow().ok().and_then(day_start)) {
            (Some(a), Some(b)) if a < b => Some((a, b)),
            _ => {
                errors.push("to", "the end date is on or after the start date");
                None
            }
        },
        _ => None,
    };
    let group_by =
        q.group_by.filter(|g| ["policy", "priority", "group"].contains(&g.as_str())).unwrap_or("policy".into());
    Period { from, to, group_by, range, errors }
}

pub struct ReportRow {
    pub key: String,
    pub target: &'static str,
    pub total: i64,
    pub met: i64,
    pub breached: i64,
    pub open: i64,
    pub cancelled: i64,
    pub compliance: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "agent/report.html")]
struct ReportPage {
    nav: Nav,
    from: String,
    to: String,
    group_by: String,
    errors: FieldErrors,
    rows: Vec<ReportRow>,
    csv_href: String,
}

async fn lines(s: &WebState, actor: &opsdesk_domain::Actor, p: &Period) -> Result<Vec<ReportLine>, AppError> {
    match p.range {
        Some((from, to)) => s.app.sla_report(actor, from, to, &p.group_by).await,
        None => Ok(Vec::new()),
    }
}

async fn report(
    State(s): State<WebState>,
    jar: CookieJar,
    uri: Uri,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Response {
    let auth = agent!(s, jar, uri);
    let p = period(q.map(|q| q.0).unwrap_or_default());
    let found = match lines(&s, &auth.actor, &p).await {
        Ok(l) => l,
        Err(e) => return app_error(Some(Nav::of(&auth)), e),
    };
    let rows = found
        .iter()
        .map(|l| ReportRow {
            key: l.key.clone(),
            target: super::sla_view::target_label(&l.target),
            total: l.total,
            met: l.met,
            breached: l.breached,
            open: l.open,
            cancelled: l.cancelled,
            compliance: l.compliance_percent.map(|c| format!("{c:.1} %")).unwrap_or_else(|| "–".into()),
        })
        .collect();
    let enc = super::view::enc;
    let csv_href =
        format!("/agent/reports/sla.csv?from={}&to={}&group_by={}", enc(&p.from), enc(&p.to), enc(&p.group_by));
    let status = if p.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = ReportPage {
        nav: Nav::of(&auth),
        from: p.from,
        to: p.to,
        group_by: p.group_by,
        errors: p.errors,
        rows,
        csv_href,
    };
    (status, page).into_response()
}

/// The same figures as the page, as a CSV download.
async fn report_csv(
    State(s): State<WebState>,
    jar: CookieJar,
    uri: Uri,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Response {
    let auth = agent!(s, jar, uri);
    let p = period(q.map(|q| q.0).unwrap_or_default());
    if !p.errors.is_empty() {
        let why = p.errors.0.iter().map(|e| format!("{}: {}", e.0, e.1)).collect::<Vec<_>>().join("; ");
        return super::error_page(StatusCode::UNPROCESSABLE_ENTITY, Some(Nav::of(&auth)), &why);
    }
    match lines(&s, &auth.actor, &p).await {
        Ok(l) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"sla-report-{}-{}.csv\"", p.from, p.to)),
            ],
            crate::routes::sla_report_csv(&l),
        )
            .into_response(),
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}

pub struct NotificationRow {
    pub text: String,
    pub at: String,
    pub unread: bool,
    pub href: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "agent/notifications.html")]
struct NotificationsPage {
    nav: Nav,
    rows: Vec<NotificationRow>,
    unread: i64,
    upto: i64,
}

async fn notifications(State(s): State<WebState>, jar: CookieJar, uri: Uri) -> Response {
    let auth = agent!(s, jar, uri);
    let mut nav = Nav::of(&auth);
    let found = match s.app.my_notifications(&auth.actor, None, 100).await {
        Ok(n) => n,
        Err(e) => return app_error(Some(nav), e),
    };
    let unread = s.app.unread_notifications(&auth.actor).await.unwrap_or(0);
    nav.unread = unread;
    let zone = auth.user.time_zone.as_str();
    let rows = found
        .iter()
        .map(|n| NotificationRow {
            text: n.text.clone(),
            at: super::sla_view::in_zone(n.created_at.0, zone),
            unread: n.read_at.is_none(),
            href: n.ticket_id.map(|id| format!("/agent/tickets/{id}")),
        })
        .collect();
    let upto = found.first().map(|n| n.id).unwrap_or(0);
    NotificationsPage { nav, rows, unread, upto }.into_response()
}

/// Marks the notifications the page showed (up to `upto`) as read.
async fn mark_read(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let upto = fields.get("upto").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    match s.app.mark_notifications_read(&auth.actor, upto).await {
        Ok(_) => Redirect::to("/agent/notifications").into_response(),
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}
