//! Approvals: started on a ticket by agents, decided by approvers and their delegates, the
//! caller's delegate, and the templates admins keep.

use super::tickets::TicketId;
use crate::extract::{ApiJson, ApiPath, Caller, Listing};
use crate::openapi::fails;
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use opsdesk_app::approvals::{
    ApprovalSettings, ApprovalView, CreateApprovalSchema, DecisionInput, DelegateInput, DelegateView, TemplateInput,
    TemplateView,
};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(of_ticket, create))
        .routes(routes!(show))
        .routes(routes!(decide))
        .routes(routes!(waiting_on_me))
        .routes(routes!(delegate, set_delegate, clear_delegate))
        .routes(routes!(templates, create_template))
        .routes(routes!(template, update_template, delete_template))
        .routes(routes!(settings, set_settings))
}

const APPROVALS: &str = "approvals";

#[utoipa::path(
    get, path = "/api/v1/tickets/{id}/approvals", tag = APPROVALS, operation_id = "listTicketApprovals",
    summary = "A ticket's approvals", description = "Newest first, to those who see the ticket.",
    params(TicketId),
    responses((status = 200, description = "The approvals (one page).", body = Listing<ApprovalView>), fails::NotFound),
)]
async fn of_ticket(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Listing<ApprovalView>>> {
    Ok(Json(Listing::all(s.app.ticket_approvals(&a.actor, &id).await?)))
}

/// The body is read as JSON and checked by `ApprovalSpec::parse`, so that each error names its
/// path (`stages[1].approvers.users[0]`); `CreateApprovalSchema` describes it.
#[utoipa::path(
    post, path = "/api/v1/tickets/{id}/approvals", tag = APPROVALS, operation_id = "createApproval",
    summary = "Ask for approval",
    description = "Agents who work the ticket. The first stage's approvers are mailed a signed link. A service \
                   request still `submitted` moves to `awaiting_approval`; one pending approval at a time (409 \
                   `approval_pending`).",
    params(TicketId),
    request_body = CreateApprovalSchema,
    responses((status = 201, description = "The approval.", body = ApprovalView), fails::NotFound, fails::Conflict),
)]
async fn create(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<ApprovalView>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_approval(&a.actor, &id, &body).await?)))
}

#[utoipa::path(
    get, path = "/api/v1/approvals/{id}", tag = APPROVALS, operation_id = "getApproval", summary = "An approval",
    description = "To those who see its ticket, its approvers and their delegates.",
    params(("id" = i64, Path, description = "The approval's id.")),
    responses((status = 200, description = "The approval.", body = ApprovalView), fails::NotFound),
)]
async fn show(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ApprovalView>> {
    Ok(Json(s.app.approval(&a.actor, id).await?))
}

#[utoipa::path(
    post, path = "/api/v1/approvals/{id}/decisions", tag = APPROVALS, operation_id = "decideApproval",
    summary = "Approve or reject",
    description = "An approver of the current stage, or the active delegate of one (recorded as `on_behalf_of`). \
                   403 `not_an_approver`; 409 `already_decided` for a second decision or a finished approval.",
    params(("id" = i64, Path, description = "The approval's id.")),
    request_body = DecisionInput,
    responses((status = 200, description = "The approval after the decision.", body = ApprovalView),
        fails::NotFound, fails::Conflict),
)]
async fn decide(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DecisionInput>,
) -> ApiResult<Json<ApprovalView>> {
    Ok(Json(s.app.decide_approval(&a.actor, id, body, "api").await?))
}

#[utoipa::path(
    get, path = "/api/v1/me/approvals", tag = APPROVALS, operation_id = "listMyApprovals",
    summary = "Approvals waiting on the caller",
    description = "Pending approvals whose current stage waits on the caller, as approver or active delegate.",
    responses((status = 200, description = "Oldest first (one page).", body = Listing<ApprovalView>)),
)]
async fn waiting_on_me(State(s): State<WebState>, Caller(a): Caller) -> ApiResult<Json<Listing<ApprovalView>>> {
    Ok(Json(Listing::all(s.app.approvals_waiting_on_me(&a.actor).await?)))
}

#[utoipa::path(
    get, path = "/api/v1/me/delegate", tag = APPROVALS, operation_id = "getMyDelegate",
    summary = "The caller's delegate",
    responses((status = 200, description = "The delegate.", body = DelegateView)),
)]
async fn delegate(State(s): State<WebState>, Caller(a): Caller) -> ApiResult<Json<DelegateView>> {
    Ok(Json(s.app.my_delegate(&a.actor).await?))
}

#[utoipa::path(
    put, path = "/api/v1/me/delegate", tag = APPROVALS, operation_id = "setMyDelegate", summary = "Name a delegate",
    description = "Replaces any previous delegate; `user: null` clears it. Not oneself (422 `self_delegation`); \
                   `until` after `from`.",
    request_body = DelegateInput,
    responses((status = 200, description = "The delegate now.", body = DelegateView)),
)]
async fn set_delegate(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(body): ApiJson<DelegateInput>,
) -> ApiResult<Json<DelegateView>> {
    Ok(Json(s.app.set_my_delegate(&a.actor, body).await?))
}

#[utoipa::path(
    delete, path = "/api/v1/me/delegate", tag = APPROVALS, operation_id = "clearMyDelegate",
    summary = "Clear the delegate",
    responses((status = 200, description = "No delegate.", body = DelegateView)),
)]
async fn clear_delegate(State(s): State<WebState>, Caller(a): Caller) -> ApiResult<Json<DelegateView>> {
    Ok(Json(s.app.clear_my_delegate(&a.actor).await?))
}

#[utoipa::path(
    get, path = "/api/v1/approval-templates", tag = APPROVALS, operation_id = "listApprovalTemplates",
    summary = "Approval templates", description = "Agents and admins.",
    responses((status = 200, description = "By desk, the desk's own first (one page).", body = Listing<TemplateView>),
        fails::Forbidden),
)]
async fn templates(State(s): State<WebState>, Caller(a): Caller) -> ApiResult<Json<Listing<TemplateView>>> {
    Ok(Json(Listing::all(s.app.approval_templates(&a.actor).await?)))
}

#[utoipa::path(
    get, path = "/api/v1/approval-templates/{id}", tag = APPROVALS, operation_id = "getApprovalTemplate",
    summary = "An approval template",
    params(("id" = i64, Path, description = "The template's id.")),
    responses((status = 200, description = "The template.", body = TemplateView), fails::NotFound),
)]
async fn template(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TemplateView>> {
    Ok(Json(s.app.approval_template(&a.actor, id).await?))
}

#[utoipa::path(
    post, path = "/api/v1/approval-templates", tag = APPROVALS, operation_id = "createApprovalTemplate",
    summary = "Create an approval template", description = "Admins. One per desk and one per category.",
    request_body = TemplateInput,
    responses((status = 201, description = "The template.", body = TemplateView)),
)]
async fn create_template(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(body): ApiJson<TemplateInput>,
) -> ApiResult<(StatusCode, Json<TemplateView>)> {
    Ok((StatusCode::CREATED, Json(s.app.put_approval_template(&a.actor, None, body).await?)))
}

#[utoipa::path(
    put, path = "/api/v1/approval-templates/{id}", tag = APPROVALS, operation_id = "updateApprovalTemplate",
    summary = "Replace an approval template", description = "Admins. Approvals already started keep their stages.",
    params(("id" = i64, Path, description = "The template's id.")),
    request_body = TemplateInput,
    responses((status = 200, description = "The template.", body = TemplateView), fails::NotFound),
)]
async fn update_template(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TemplateInput>,
) -> ApiResult<Json<TemplateView>> {
    Ok(Json(s.app.put_approval_template(&a.actor, Some(id), body).await?))
}

#[utoipa::path(
    delete, path = "/api/v1/approval-templates/{id}", tag = APPROVALS, operation_id = "deleteApprovalTemplate",
    summary = "Delete an approval template", description = "Admins.",
    params(("id" = i64, Path, description = "The template's id.")),
    responses((status = 204, description = "Deleted."), fails::NotFound),
)]
async fn delete_template(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.app.delete_approval_template(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get, path = "/api/v1/settings/approvals", tag = APPROVALS, operation_id = "getApprovalSettings",
    summary = "Approval waits",
    responses((status = 200, description = "The settings.", body = ApprovalSettings)),
)]
async fn settings(State(s): State<WebState>, Caller(_): Caller) -> ApiResult<Json<ApprovalSettings>> {
    Ok(Json(s.app.approval_settings().await?))
}

#[utoipa::path(
    put, path = "/api/v1/settings/approvals", tag = APPROVALS, operation_id = "setApprovalSettings",
    summary = "Change approval waits",
    description = "Admins: reminder and escalation waits, the email link lifetime. The escalation comes after the \
                   reminder (422 `before_reminder`).",
    request_body = ApprovalSettings,
    responses((status = 200, description = "The settings.", body = ApprovalSettings)),
)]
async fn set_settings(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(body): ApiJson<ApprovalSettings>,
) -> ApiResult<Json<ApprovalSettings>> {
    Ok(Json(s.app.set_approval_settings(&a.actor, body).await?))
}
