//! Service level management: business calendars and SLA policies (admins write, agents
//! read), a ticket's SLA, one's notifications, and the SLA compliance report.

use super::tickets::TicketId;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, Listing, Page};
use crate::openapi::fails;
use crate::problem::{ApiResult, Problem};
use crate::WebState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use opsdesk_app::sla::{
    CalendarInput, CalendarView, NotificationView, PolicyInput, PolicyView, ReportGrouping, ReportLine, SlaReport,
    TicketSla,
};
use opsdesk_domain::FieldError;
use opsdesk_store::Ts;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(calendars, create_calendar))
        .routes(routes!(calendar, update_calendar, delete_calendar))
        .routes(routes!(policies, create_policy))
        .routes(routes!(policy, update_policy, delete_policy))
        .routes(routes!(ticket_sla))
        .routes(routes!(notifications))
        .routes(routes!(report))
}

const SLA: &str = "sla";

#[utoipa::path(
    get, path = "/api/v1/sla/calendars", tag = SLA, operation_id = "listSlaCalendars",
    summary = "List business calendars",
    description = "Agents and admins. The built-in 24x7 calendar comes first, with id 0.",
    responses((status = 200, description = "The calendars (one page).", body = Listing<CalendarView>), fails::Forbidden),
)]
async fn calendars(State(s): State<WebState>, Caller(a): Caller) -> ApiResult<Json<Listing<CalendarView>>> {
    Ok(Json(Listing::all(s.app.sla_calendars(&a.actor).await?)))
}

#[utoipa::path(
    get, path = "/api/v1/sla/calendars/{id}", tag = SLA, operation_id = "getSlaCalendar",
    summary = "Get a business calendar",
    params(("id" = i64, Path, description = "The calendar's id (0: the built-in 24x7 calendar).")),
    responses((status = 200, description = "The calendar.", body = CalendarView), fails::Forbidden, fails::NotFound),
)]
async fn calendar(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CalendarView>> {
    Ok(Json(s.app.sla_calendar(&a.actor, id).await?))
}

#[utoipa::path(
    post, path = "/api/v1/sla/calendars", tag = SLA, operation_id = "createSlaCalendar",
    summary = "Create a business calendar", description = "Admins. A taken name answers 422 with `taken`.",
    request_body = CalendarInput,
    responses((status = 201, description = "The new calendar.", body = CalendarView)),
)]
async fn create_calendar(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(b): ApiJson<CalendarInput>,
) -> ApiResult<(StatusCode, Json<CalendarView>)> {
    Ok((StatusCode::CREATED, Json(s.app.save_sla_calendar(&a.actor, None, b).await?)))
}

#[utoipa::path(
    put, path = "/api/v1/sla/calendars/{id}", tag = SLA, operation_id = "updateSlaCalendar",
    summary = "Replace a business calendar",
    description = "Admins. The built-in calendar answers 409 `builtin_calendar`.",
    params(("id" = i64, Path, description = "The calendar's id (0: the built-in 24x7 calendar).")),
    request_body = CalendarInput,
    responses((status = 200, description = "The calendar.", body = CalendarView), fails::NotFound, fails::Conflict),
)]
async fn update_calendar(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CalendarInput>,
) -> ApiResult<Json<CalendarView>> {
    Ok(Json(s.app.save_sla_calendar(&a.actor, Some(id), b).await?))
}

#[utoipa::path(
    delete, path = "/api/v1/sla/calendars/{id}", tag = SLA, operation_id = "deleteSlaCalendar",
    summary = "Delete a business calendar",
    description = "Admins. A calendar a policy uses answers 409 `calendar_in_use`; the built-in one 409 \
                   `builtin_calendar`.",
    params(("id" = i64, Path, description = "The calendar's id (0: the built-in 24x7 calendar).")),
    responses((status = 204, description = "The calendar is gone."), fails::NotFound, fails::Conflict),
)]
async fn delete_calendar(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.app.delete_sla_calendar(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get, path = "/api/v1/sla/policies", tag = SLA, operation_id = "listSlaPolicies", summary = "List SLA policies",
    description = "Agents and admins, in evaluation order: the first policy that matches a ticket applies.",
    responses((status = 200, description = "The policies (one page).", body = Listing<PolicyView>), fails::Forbidden),
)]
async fn policies(State(s): State<WebState>, Caller(a): Caller) -> ApiResult<Json<Listing<PolicyView>>> {
    Ok(Json(Listing::all(s.app.sla_policies(&a.actor).await?)))
}

#[utoipa::path(
    get, path = "/api/v1/sla/policies/{id}", tag = SLA, operation_id = "getSlaPolicy", summary = "Get an SLA policy",
    params(("id" = i64, Path, description = "The policy's id.")),
    responses((status = 200, description = "The policy.", body = PolicyView), fails::Forbidden, fails::NotFound),
)]
async fn policy(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PolicyView>> {
    Ok(Json(s.app.sla_policy(&a.actor, id).await?))
}

#[utoipa::path(
    post, path = "/api/v1/sla/policies", tag = SLA, operation_id = "createSlaPolicy", summary = "Create an SLA policy",
    description = "Admins. Applies to tickets created (or re-prioritised) from now on. Calendars, groups and users \
                   it names must exist (422 `unknown`); a taken name answers 422 with `taken`.",
    request_body = PolicyInput,
    responses((status = 201, description = "The new policy.", body = PolicyView)),
)]
async fn create_policy(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(b): ApiJson<PolicyInput>,
) -> ApiResult<(StatusCode, Json<PolicyView>)> {
    Ok((StatusCode::CREATED, Json(s.app.save_sla_policy(&a.actor, None, b).await?)))
}

#[utoipa::path(
    put, path = "/api/v1/sla/policies/{id}", tag = SLA, operation_id = "updateSlaPolicy",
    summary = "Replace or move an SLA policy",
    description = "Admins. Running clocks keep the policy they started with until a priority change.",
    params(("id" = i64, Path, description = "The policy's id.")),
    request_body = PolicyInput,
    responses((status = 200, description = "The policy.", body = PolicyView), fails::NotFound),
)]
async fn update_policy(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<PolicyInput>,
) -> ApiResult<Json<PolicyView>> {
    Ok(Json(s.app.save_sla_policy(&a.actor, Some(id), b).await?))
}

#[utoipa::path(
    delete, path = "/api/v1/sla/policies/{id}", tag = SLA, operation_id = "deleteSlaPolicy",
    summary = "Delete an SLA policy", description = "Admins. Running clocks keep the copy they started with.",
    params(("id" = i64, Path, description = "The policy's id.")),
    responses((status = 204, description = "The policy is gone."), fails::NotFound),
)]
async fn delete_policy(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.app.delete_sla_policy(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get, path = "/api/v1/tickets/{id}/sla", tag = SLA, operation_id = "getTicketSla", summary = "A ticket's SLA",
    description = "Its targets, and for agents the history of every clock event. Requesters see the targets of the \
                   tickets they see, without policy names or history.",
    params(TicketId),
    responses((status = 200, description = "The ticket's SLA.", body = TicketSla), fails::NotFound),
)]
async fn ticket_sla(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TicketSla>> {
    Ok(Json(s.app.ticket_sla(&a.actor, &id).await?))
}

#[utoipa::path(
    get, path = "/api/v1/me/notifications", tag = SLA, operation_id = "listMyNotifications",
    summary = "One's notifications",
    description = "Newest first: SLA warnings and breaches addressed to the caller.",
    params(Page),
    responses((status = 200, description = "A page of notifications.", body = Listing<NotificationView>), fails::BadRequest),
)]
async fn notifications(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Listing<NotificationView>>> {
    let limit = page.limit();
    let before = match page.after_id()? {
        0 => None,
        id => Some(id),
    };
    let items = s.app.my_notifications(&a.actor, before, limit).await?;
    let items = items.iter().map(NotificationView::from).collect();
    Ok(Json(Listing::by_id(items, limit, |n| n.id)))
}

/// The report's body.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // documents `format`, read as text so a wrong value is a field error
enum ReportFormat {
    Json,
    Csv,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ReportQuery {
    /// An RFC 3339 instant or a date (midnight UTC); 30 days before `to` by default.
    from: Option<String>,
    /// An RFC 3339 instant or a date (midnight UTC), after `from`; now by default.
    to: Option<String>,
    /// `policy` by default.
    #[param(value_type = Option<ReportGrouping>)]
    group_by: Option<String>,
    /// `json` by default; `csv` answers CSV with a header row.
    #[param(value_type = Option<ReportFormat>, inline)]
    format: Option<String>,
}

fn bad(errors: Vec<FieldError>) -> Problem {
    Problem::from(opsdesk_app::AppError::Invalid(opsdesk_domain::Invalid(errors)))
}

#[utoipa::path(
    get, path = "/api/v1/reports/sla", tag = SLA, operation_id = "slaReport", summary = "SLA compliance report",
    description = "Agents (over the tickets they see) and admins: clocks started in [from, to), met and breached \
                   per target and per policy, priority or group. A wrong `from`, `to`, `group_by` or `format` \
                   answers 422 naming the field.",
    params(ReportQuery),
    responses(
        (status = 200, description = "The report: JSON, or with `format=csv` CSV with a header row.",
            content((SlaReport = "application/json"), (String = "text/csv"))),
        fails::BadRequest, fails::Forbidden, fails::Invalid,
    ),
)]
async fn report(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let now = Ts::now();
    let to = match q.to.as_deref() {
        Some(t) => opsdesk_app::instant_or_date(t, "to").map_err(|e| errors.push(e)).ok(),
        None => Some(now),
    };
    let from = match q.from.as_deref() {
        Some(f) => opsdesk_app::instant_or_date(f, "from").map_err(|e| errors.push(e)).ok(),
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
    Ok(Json(SlaReport { from, to, group_by, items: lines }).into_response())
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
