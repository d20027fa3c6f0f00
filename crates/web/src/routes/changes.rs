//! Change management: a change's own fields and conflicts (the change itself is a ticket of
//! kind `change`), the change calendar and its iCalendar feed, templates, blackouts, CIs'
//! maintenance windows, desks' risk questionnaires, CAB approval policies and the report.

use crate::extract::{if_match, ApiJson, ApiPath, ApiQuery, Caller, Listing};
use crate::openapi::fails;
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use opsdesk_app::changes::{
    ApprovalPolicyInput, ApprovalPolicyView, BlackoutInput, BlackoutView, CalendarQuery, CalendarView, ChangePatch,
    ChangeReport, ConflictsView, FeedTokenView, MaintenanceWindowView, OverrideInput, QuestionnaireView, TemplateInput,
    TemplateView,
};
use opsdesk_app::tickets::{Ref, TicketView};
use opsdesk_app::AppError;
use opsdesk_domain::change::Questionnaire;
use opsdesk_domain::sla::CalendarSpec;
use opsdesk_domain::FieldError;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(update_change))
        .routes(routes!(conflicts))
        .routes(routes!(override_conflicts))
        .routes(routes!(calendar))
        .routes(routes!(calendar_ics))
        .routes(routes!(feed_state, issue_feed, revoke_feed))
        .routes(routes!(list_templates, create_template))
        .routes(routes!(set_template_active))
        .routes(routes!(list_blackouts, create_blackout))
        .routes(routes!(delete_blackout))
        .routes(routes!(maintenance_window, set_maintenance_window))
        .routes(routes!(questionnaire, set_questionnaire))
        .routes(routes!(list_policies, put_policy))
        .routes(routes!(delete_policy))
        .routes(routes!(report))
        .merge(super::change_settings::router())
}

#[utoipa::path(
    patch, path = "/api/v1/changes/{id}", tag = "changes", operation_id = "updateChange",
    summary = "Re-plan a change",
    description = "Agents who work the change. Its type, planned window (`null` clears it) or risk answers, while it \
                   is in draft or assessment (a standard change also while scheduled). The risk is scored again; \
                   the conflicts are those of the new window. `If-Match` carries the ticket's ETag. Plans and the \
                   review are the ticket's `detail` (`PATCH /api/v1/tickets/{id}`); CIs are \
                   `POST /api/v1/tickets/{id}/cis`.",
    params(("id" = String, Path, description = "The change's id or number (`CHG-12`).")),
    request_body = ChangePatch,
    responses(
        (status = 200, description = "The change.", body = TicketView),
        fails::NotFound, fails::Conflict,
    ),
)]
async fn update_change(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ChangePatch>,
) -> ApiResult<Json<TicketView>> {
    let expected = if_match(&headers, "the change")?;
    Ok(Json(s.app.update_change(&auth.actor, &id, expected, body).await?))
}

#[utoipa::path(
    get, path = "/api/v1/changes/{id}/conflicts", tag = "changes", operation_id = "changeConflicts",
    summary = "A change's conflicts",
    description = "Agents. Other changes on the same CI or on a CI linked to its CIs within the configured \
                   depth of the dependency graph (2 levels until changed; with the path), the assignee booked elsewhere, blackouts (global or of its \
                   CIs and the services they reach), and maintenance windows of its CIs the window leaves. \
                   Windows that only touch do not conflict. With conflicts, the next free window of the same \
                   length.",
    params(("id" = String, Path, description = "The change's id or number.")),
    responses((status = 200, description = "The conflicts.", body = ConflictsView), fails::NotFound),
)]
async fn conflicts(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ConflictsView>> {
    Ok(Json(s.app.change_conflicts(&auth.actor, &id).await?))
}

#[utoipa::path(
    post, path = "/api/v1/changes/{id}/conflicts/override", tag = "changes", operation_id = "overrideChangeConflicts",
    summary = "Override a change's conflicts with a reason",
    description = "Agents who work the change. Covers the conflicts present now (a later one blocks again); \
                   recorded in the change's history and as an event.",
    params(("id" = String, Path, description = "The change's id or number.")),
    request_body = OverrideInput,
    responses(
        (status = 200, description = "The conflicts, each marked overridden.", body = ConflictsView),
        fails::NotFound, fails::Conflict,
    ),
)]
async fn override_conflicts(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<OverrideInput>,
) -> ApiResult<Json<ConflictsView>> {
    Ok(Json(s.app.override_change_conflicts(&auth.actor, &id, body).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct CalendarParams {
    /// RFC 3339 or a date; the first of this month by default.
    from: Option<String>,
    /// RFC 3339 or a date; 31 days after `from` by default, at most 400 days after it.
    to: Option<String>,
    /// Filters `type:`, `status:`, `desk:`, `ci:` (id or name), `service:` (id or name), and
    /// words of the number or title.
    #[param(max_length = 500)]
    q: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/changes/calendar", tag = "changes", operation_id = "changeCalendar",
    summary = "The change calendar",
    description = "Agents: the changes they see whose planned window overlaps the range (drafts included; \
                   cancelled and rejected ones left out), each with the kinds of conflict it has at a glance; \
                   the blackouts; and, for CIs a `ci:` filter names, their maintenance windows in the range.",
    params(CalendarParams),
    responses((status = 200, description = "The calendar.", body = CalendarView), fails::Forbidden),
)]
async fn calendar(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(p): ApiQuery<CalendarParams>,
) -> ApiResult<Json<CalendarView>> {
    if p.q.as_deref().is_some_and(|q| q.chars().count() > 500 || q.contains('\0')) {
        return Err(AppError::from(FieldError::new("q", "invalid", "q is at most 500 characters, without NUL")).into());
    }
    let q = CalendarQuery { from: p.from, to: p.to, q: p.q };
    Ok(Json(s.app.change_calendar(&auth.actor, &q).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct FeedParams {
    /// The caller's feed token (`POST /api/v1/me/calendar-feed`).
    token: String,
}

#[utoipa::path(
    get, path = "/api/v1/changes/calendar.ics", tag = "changes", operation_id = "changeCalendarFeed",
    summary = "The change calendar as an iCalendar feed",
    description = "For calendar programs, which cannot sign in: the token in the address is the credential. The \
                   changes its owner sees from 30 days ago to 180 days ahead, and the blackouts. A wrong or \
                   revoked token answers 404.",
    security(()),
    params(FeedParams),
    responses(
        (status = 200, description = "The feed.", body = String, content_type = "text/calendar"),
        fails::NotFound,
    ),
)]
async fn calendar_ics(State(s): State<WebState>, ApiQuery(p): ApiQuery<FeedParams>) -> ApiResult<Response> {
    let body = s.app.calendar_feed(&p.token).await?;
    Ok(([(header::CONTENT_TYPE, "text/calendar; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body)
        .into_response())
}

#[utoipa::path(
    get, path = "/api/v1/me/calendar-feed", tag = "changes", operation_id = "calendarFeedState",
    summary = "Whether the caller has a calendar feed",
    responses((status = 200, description = "The state (the token is shown only when issued).", body = FeedTokenView)),
)]
async fn feed_state(State(s): State<WebState>, Caller(auth): Caller) -> ApiResult<Json<FeedTokenView>> {
    Ok(Json(s.app.calendar_feed_state(&auth.actor).await?))
}

#[utoipa::path(
    post, path = "/api/v1/me/calendar-feed", tag = "changes", operation_id = "issueCalendarFeed",
    summary = "Issue the caller's calendar feed token",
    description = "Agents. Revokes the one before; the answer carries the token and the feed's address once.",
    responses((status = 201, description = "The token.", body = FeedTokenView), fails::Forbidden),
)]
async fn issue_feed(State(s): State<WebState>, Caller(auth): Caller) -> ApiResult<(StatusCode, Json<FeedTokenView>)> {
    Ok((StatusCode::CREATED, Json(s.app.issue_calendar_feed(&auth.actor).await?)))
}

#[utoipa::path(
    delete, path = "/api/v1/me/calendar-feed", tag = "changes", operation_id = "revokeCalendarFeed",
    summary = "Revoke the caller's calendar feed token",
    responses((status = 204, description = "Revoked: the feed's address answers 404 from now on.")),
)]
async fn revoke_feed(State(s): State<WebState>, Caller(auth): Caller) -> ApiResult<StatusCode> {
    s.app.revoke_calendar_feed(&auth.actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get, path = "/api/v1/changes/templates", tag = "changes", operation_id = "listChangeTemplates",
    summary = "List change templates", description = "Agents and admins; retired ones are marked inactive.",
    responses((status = 200, description = "Every template.", body = Listing<TemplateView>), fails::Forbidden),
)]
async fn list_templates(State(s): State<WebState>, Caller(auth): Caller) -> ApiResult<Json<Listing<TemplateView>>> {
    Ok(Json(Listing::all(s.app.change_templates(&auth.actor).await?)))
}

#[utoipa::path(
    post, path = "/api/v1/changes/templates", tag = "changes", operation_id = "createChangeTemplate",
    summary = "Add a change template",
    description = "Admins. A `standard` template is a pre-approved change: changes from it skip the CAB. Its plans, \
                   risk answers and tasks are the starting point of each change made from it; tasks run in order \
                   unless marked `parallel`.",
    request_body = TemplateInput,
    responses((status = 201, description = "The template.", body = TemplateView)),
)]
async fn create_template(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<TemplateInput>,
) -> ApiResult<(StatusCode, Json<TemplateView>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_change_template(&auth.actor, body).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ActiveInput {
    active: bool,
}

#[utoipa::path(
    put, path = "/api/v1/changes/templates/{id}/active", tag = "changes", operation_id = "setChangeTemplateActive",
    summary = "Retire or restore a change template", description = "Admins.",
    params(("id" = i64, Path, description = "The template's id.")),
    request_body = ActiveInput,
    responses((status = 200, description = "The template.", body = TemplateView), fails::NotFound),
)]
async fn set_template_active(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ActiveInput>,
) -> ApiResult<Json<TemplateView>> {
    Ok(Json(s.app.set_change_template_active(&auth.actor, id, body.active).await?))
}

#[utoipa::path(
    get, path = "/api/v1/changes/blackouts", tag = "changes", operation_id = "listBlackouts",
    summary = "List blackout windows", description = "Agents: the blackouts that have not ended.",
    responses((status = 200, description = "The blackouts.", body = Listing<BlackoutView>), fails::Forbidden),
)]
async fn list_blackouts(State(s): State<WebState>, Caller(auth): Caller) -> ApiResult<Json<Listing<BlackoutView>>> {
    Ok(Json(Listing::all(s.app.blackouts(&auth.actor).await?)))
}

#[utoipa::path(
    post, path = "/api/v1/changes/blackouts", tag = "changes", operation_id = "createBlackout",
    summary = "Add a blackout window",
    description = "Admins. A change freeze: `scope` `\"all\"` freezes every change, `{\"cis\": [ids]}` changes on \
                   those CIs and on CIs the named services depend on.",
    request_body = BlackoutInput,
    responses((status = 201, description = "The blackout.", body = BlackoutView)),
)]
async fn create_blackout(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<BlackoutInput>,
) -> ApiResult<(StatusCode, Json<BlackoutView>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_blackout(&auth.actor, body).await?)))
}

#[utoipa::path(
    delete, path = "/api/v1/changes/blackouts/{id}", tag = "changes", operation_id = "deleteBlackout",
    summary = "Remove a blackout window", description = "Admins.",
    params(("id" = i64, Path, description = "The blackout's id.")),
    responses((status = 204, description = "Removed."), fails::NotFound),
)]
async fn delete_blackout(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.app.delete_blackout(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get, path = "/api/v1/cmdb/cis/{id}/maintenance-windows", tag = "changes", operation_id = "ciMaintenanceWindow",
    summary = "A CI's maintenance window", description = "Agents. `window` is null when any time is allowed.",
    params(("id" = i64, Path, description = "The CI's id.")),
    responses((status = 200, description = "The window.", body = MaintenanceWindowView), fails::NotFound),
)]
async fn maintenance_window(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<MaintenanceWindowView>> {
    Ok(Json(s.app.maintenance_window(&auth.actor, id).await?))
}

#[utoipa::path(
    put, path = "/api/v1/cmdb/cis/{id}/maintenance-windows", tag = "changes", operation_id = "setCiMaintenanceWindow",
    summary = "Set a CI's maintenance window",
    description = "Admins. Weekly intervals in a time zone, written as business calendars are \
                   (`{\"time_zone\": \"Europe/Berlin\", \"hours\": {\"sat\": [\"22:00-06:00\"]}}`; holidays are \
                   left out of the window). `null` removes it. A change whose window leaves it conflicts.",
    params(("id" = i64, Path, description = "The CI's id.")),
    request_body(content = Option<CalendarSpec>, description = "The window, or null."),
    responses((status = 200, description = "The window.", body = MaintenanceWindowView), fails::NotFound),
)]
async fn set_maintenance_window(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Option<CalendarSpec>>,
) -> ApiResult<Json<MaintenanceWindowView>> {
    Ok(Json(s.app.set_maintenance_window(&auth.actor, id, body).await?))
}

#[utoipa::path(
    get, path = "/api/v1/desks/{desk}/change-questionnaire", tag = "changes", operation_id = "changeQuestionnaire",
    summary = "A desk's risk questionnaire",
    description = "Agents. The desk's own, or the standard one (`own: false`).",
    params(("desk" = String, Path, description = "The desk's id or name.")),
    responses((status = 200, description = "The questionnaire.", body = QuestionnaireView), fails::NotFound),
)]
async fn questionnaire(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(desk): ApiPath<String>,
) -> ApiResult<Json<QuestionnaireView>> {
    Ok(Json(s.app.change_questionnaire(&auth.actor, &desk_ref(&desk)).await?))
}

#[utoipa::path(
    put, path = "/api/v1/desks/{desk}/change-questionnaire", tag = "changes", operation_id = "setChangeQuestionnaire",
    summary = "Set a desk's risk questionnaire",
    description = "Admins. Questions with weighted answers (0 to 100); the answers give up to 60 of a change's 100 \
                   risk points. `null` goes back to the standard questionnaire.",
    params(("desk" = String, Path, description = "The desk's id or name.")),
    request_body(content = Option<Questionnaire>, description = "The questionnaire, or null."),
    responses((status = 200, description = "The questionnaire.", body = QuestionnaireView), fails::NotFound),
)]
async fn set_questionnaire(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(desk): ApiPath<String>,
    ApiJson(body): ApiJson<Option<Questionnaire>>,
) -> ApiResult<Json<QuestionnaireView>> {
    Ok(Json(s.app.set_change_questionnaire(&auth.actor, &desk_ref(&desk), body).await?))
}

fn desk_ref(raw: &str) -> Ref {
    match raw.parse::<i64>() {
        Ok(id) => Ref::Id(id),
        Err(_) => Ref::Name(raw.to_string()),
    }
}

#[utoipa::path(
    get, path = "/api/v1/changes/approval-policies", tag = "changes", operation_id = "listChangeApprovalPolicies",
    summary = "List CAB approval policies",
    description = "Agents. The approval a change gets on entering awaiting approval (and an emergency change on \
                   entering implementation): the policy of its type and risk class, else of its type.",
    responses((status = 200, description = "Every policy.", body = Listing<ApprovalPolicyView>)),
)]
async fn list_policies(
    State(s): State<WebState>,
    Caller(auth): Caller,
) -> ApiResult<Json<Listing<ApprovalPolicyView>>> {
    Ok(Json(Listing::all(s.app.change_approval_policies(&auth.actor).await?)))
}

#[utoipa::path(
    put, path = "/api/v1/changes/approval-policies", tag = "changes", operation_id = "putChangeApprovalPolicy",
    summary = "Set the CAB approval of a change type and risk class",
    description = "Admins. Replaces the policy of the same type and class. Stages as an approval takes them \
                   (for example a technical approver, then the CAB group with 2 of its members, then the service \
                   owner).",
    request_body = ApprovalPolicyInput,
    responses((status = 200, description = "The policy.", body = ApprovalPolicyView)),
)]
async fn put_policy(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<ApprovalPolicyInput>,
) -> ApiResult<Json<ApprovalPolicyView>> {
    Ok(Json(s.app.put_change_approval_policy(&auth.actor, body).await?))
}

#[utoipa::path(
    delete, path = "/api/v1/changes/approval-policies/{id}", tag = "changes", operation_id = "deleteChangeApprovalPolicy",
    summary = "Remove a CAB approval policy", description = "Admins.",
    params(("id" = i64, Path, description = "The policy's id.")),
    responses((status = 204, description = "Removed."), fails::NotFound),
)]
async fn delete_policy(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.app.delete_change_approval_policy(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ReportParams {
    /// RFC 3339 or a date.
    from: String,
    /// RFC 3339 or a date, after `from`.
    to: String,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/reports/changes", tag = "changes", operation_id = "changeReport",
    summary = "Change report",
    description = "Agents and admins, over the changes logged in [from, to): success rate (successful among \
                   reviewed), changes that caused incidents, the emergency share and the mean lead time from \
                   logging to implementation, for all changes and per type.",
    params(ReportParams),
    responses(
        (status = 200, description = "The report: JSON, or with `format=csv` CSV with a header row.",
            content((ChangeReport = "application/json"), (String = "text/csv"))),
        fails::BadRequest,
    ),
)]
async fn report(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Response> {
    let csv = match p.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(AppError::from(FieldError::new("format", "invalid_format", "format is json or csv")).into())
        }
    };
    let report = s.app.change_report(&auth.actor, &p.from, &p.to).await?;
    if csv {
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"change-report.csv\""),
            ],
            report.to_csv(),
        )
            .into_response());
    }
    Ok(Json(report).into_response())
}
