//! Approvals: started on a ticket by agents, decided by approvers and their delegates, the
//! caller's delegate, and the templates admins keep.

use crate::extract::{ApiJson, ApiPath, Caller};
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use opsdesk_app::approvals::{
    ApprovalSettings, ApprovalView, DecisionInput, DelegateInput, DelegateView, TemplateInput, TemplateView,
};
use serde_json::{json, Value};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/api/v1/tickets/{id}/approvals", get(of_ticket).post(create))
        .route("/api/v1/approvals/{id}", get(show))
        .route("/api/v1/approvals/{id}/decisions", post(decide))
        .route("/api/v1/me/approvals", get(waiting_on_me))
        .route("/api/v1/me/delegate", get(delegate).put(set_delegate).delete(clear_delegate))
        .route("/api/v1/approval-templates", get(templates).post(create_template))
        .route("/api/v1/approval-templates/{id}", get(template).put(update_template).delete(delete_template))
        .route("/api/v1/settings/approvals", get(settings).put(set_settings))
}

async fn of_ticket(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "items": s.app.ticket_approvals(&a.actor, &id).await?, "next": null })))
}

async fn create(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<ApprovalView>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_approval(&a.actor, &id, &body).await?)))
}

async fn show(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ApprovalView>> {
    Ok(Json(s.app.approval(&a.actor, id).await?))
}

async fn decide(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DecisionInput>,
) -> ApiResult<Json<ApprovalView>> {
    Ok(Json(s.app.decide_approval(&a.actor, id, body, "api").await?))
}

async fn waiting_on_me(State(s): State<WebState>, Caller(a): Caller) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "items": s.app.approvals_waiting_on_me(&a.actor).await?, "next": null })))
}

async fn delegate(State(s): State<WebState>, Caller(a): Caller) -> ApiResult<Json<DelegateView>> {
    Ok(Json(s.app.my_delegate(&a.actor).await?))
}

async fn set_delegate(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(body): ApiJson<DelegateInput>,
) -> ApiResult<Json<DelegateView>> {
    Ok(Json(s.app.set_my_delegate(&a.actor, body).await?))
}

async fn clear_delegate(State(s): State<WebState>, Caller(a): Caller) -> ApiResult<Json<DelegateView>> {
    Ok(Json(s.app.clear_my_delegate(&a.actor).await?))
}

async fn templates(State(s): State<WebState>, Caller(a): Caller) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "items": s.app.approval_templates(&a.actor).await?, "next": null })))
}

async fn template(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TemplateView>> {
    Ok(Json(s.app.approval_template(&a.actor, id).await?))
}

async fn create_template(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(body): ApiJson<TemplateInput>,
) -> ApiResult<(StatusCode, Json<TemplateView>)> {
    Ok((StatusCode::CREATED, Json(s.app.put_approval_template(&a.actor, None, body).await?)))
}

async fn update_template(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TemplateInput>,
) -> ApiResult<Json<TemplateView>> {
    Ok(Json(s.app.put_approval_template(&a.actor, Some(id), body).await?))
}

async fn delete_template(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.app.delete_approval_template(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn settings(State(s): State<WebState>, Caller(_): Caller) -> ApiResult<Json<ApprovalSettings>> {
    Ok(Json(s.app.approval_settings().await?))
}

async fn set_settings(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(body): ApiJson<ApprovalSettings>,
) -> ApiResult<Json<ApprovalSettings>> {
    Ok(Json(s.app.set_approval_settings(&a.actor, body).await?))
}
