//! Service level management: business calendars and SLA policies (admins write, agents
//! read), a ticket's SLA, one's notifications, and the SLA compliance report.

use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, Page};
use crate::problem::{ApiResult, Problem};
use crate::WebState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use opsdesk_app::sla::{CalendarInput, PolicyInput, ReportLine};
use opsdesk_domain::FieldError;
use opsdesk_store::Ts;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/api/v1/sla/calendars", get(calendars).post(create_calendar))
        .route("/api/v1/sla/calendars/{id}", get(calendar).put(update_calendar).delete(delete_calendar))
        .route("/api/v1/sla/policies", get(policies).post(create_policy))
        .route("/api/v1/sla/policies/{id}", get(policy).put(update_policy).delete(delete_policy))
        .route("/api/v1/tickets/{id}/sla", get(ticket_sla))
        .route("/api/v1/me/notifications", get(notifications))
        .route("/api/v1/reports/sla", get(report))
}

async fn calendars(State(s): State<WebState>, Caller(a): Caller) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "items": s.app.sla_calendars(&a.actor).await?, "next": null })))
}

async fn calendar(State(s): State<WebState>, Caller(a): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(s.app.sla_calendar(&a.actor, id).await?)))
}

async fn create_calendar(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(b): ApiJson<CalendarInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((StatusCode::CREATED, Json(json!(s.app.save_sla_calendar(&a.actor, None, b).await?))))
}

async fn update_calendar(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CalendarInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(s.app.save_sla_calendar(&a.actor, Some(id), b).await?)))
}

async fn delete_calendar(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.app.delete_sla_calendar(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn policies(State(s): State<WebState>, Caller(a): Caller) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "items": s.app.sla_policies(&a.actor).await?, "next": null })))
}

async fn policy(State(s): State<WebState>, Caller(a): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(s.app.sla_policy(&a.actor, id).await?)))
}

async fn create_policy(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(b): ApiJson<PolicyInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((StatusCode::CREATED, Json(json!(s.app.save_sla_policy(&a.actor, None, b).await?))))
}

async fn update_policy(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<PolicyInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(s.app.save_sla_policy(&a.actor, Some(id), b).await?)))
}

async fn delete_policy(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.app.delete_sla_policy(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn ticket_sla(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(s.app.ticket_sla(&a.actor, &id).await?)))
}

async fn notifications(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Value>> {
    let limit = page.limit();
    let before = match page.after_id()? {
        0 => None,
        id => Some(id),
    };
    let items = s.app.my_notifications(&a.actor, before, limit).await?;
    let next = if items.len() as i64 == limit { items.last().map(|n| n.id.to_string()) } else { None };
    Ok(Json(json!({ "items": items, "next": next })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    group_by: Option<String>,
    format: Option<String>,
}

/// An RFC 3339 instant, or a date (midnight UTC).
fn instant(raw: &str, field: &str) -> Result<Ts, FieldError> {
    let s = raw.trim();
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(Ts(t));
    }
    s.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| Ts(z.timestamp()))
        .ok_or_else(|| FieldError::new(field, "invalid_time", "a time like 2026-05-01 or 2026-05-01T09:00:00Z"))
}

fn bad(errors: Vec<FieldError>) -> Problem {
    Problem::from(opsdesk_app::AppError::Invalid(opsdesk_domain::Invalid(errors)))
}

async fn report(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let now = Ts::now();
    let to = match q.to.as_deref() {
        Some(t) => instant(t, "to").map_err(|e| errors.push(e)).ok(),
        None => Some(now),
    };
    let from = match q.from.as_deref() {
        Some(f) => instant(f, "from").map_err(|e| errors.push(e)).ok(),
        None => to.map(|t| Ts::from_micros(t.micros() - 30 * 86_400_000_000)),
    };
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            errors.push(FieldError::new("format", "invalid_format", "format is json or csv"));
            false
        }
    };
    let (Some(from), Some(to)) = (from, to) else { return Err(bad(errors)) };
    if !errors.is_empty() {
        return Err(bad(errors));
    }
    let group_by = q.group_by.unwrap_or_else(|| "policy".into());
    let lines = s.app.sla_report(&a.actor, from, to, &group_by).await?;
    if csv {
        let body = to_csv(&lines);
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"sla-report.csv\""),
            ],
            body,
        )
            .into_response());
    }
    Ok(Json(json!({ "from": from, "to": to, "group_by": group_by, "items": lines })).into_response())
}

/// One CSV field: quoted when needed, and a leading `= + - @` defused so a spreadsheet
/// shows it as text rather than running it as a formula.
fn field(raw: &str) -> String {
    let s = if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{raw}") } else { raw.to_string() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The report as CSV (the API's `format=csv` and the report page's download).
pub(crate) fn to_csv(lines: &[ReportLine]) -> String {
    let mut out = String::from("key,target,total,met,breached,open,cancelled,compliance_percent\r\n");
    for l in lines {
        let compliance = l.compliance_percent.map(|c| format!("{c:.1}")).unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\r\n",
            field(&l.key),
            field(&l.target),
            l.total,
            l.met,
            l.breached,
            l.open,
            l.cancelled,
            compliance
        ));
    }
    out
}
