//! Desk configuration for admins: service desks, categories, custom fields, the priority
//! matrix and ticket settings; and saved views for agents.

use crate::extract::{ApiJson, ApiPath, Caller};
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, put};
use axum::{Json, Router};
use opsdesk_app::tickets::{DeskInput, NewCategory, TicketSettings, ViewInput};
use opsdesk_domain::ticket::{CustomFieldDef, Kind, PriorityMatrix};
use serde_json::{json, Value};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/api/v1/desks", get(desks).post(create_desk))
        .route("/api/v1/desks/{id}", put(update_desk))
        .route("/api/v1/desks/{id}/categories", get(categories).post(create_category))
        .route("/api/v1/desks/{id}/custom-fields/{kind}", get(custom_fields))
        .route("/api/v1/desks/{id}/custom-fields/{kind}/{key}", put(put_custom_field).delete(delete_custom_field))
        .route("/api/v1/settings/priority-matrix", get(matrix).put(set_matrix))
        .route("/api/v1/settings/tickets", get(settings).put(set_settings))
        .route("/api/v1/views", get(views).post(create_view))
        .route("/api/v1/views/{id}", delete(delete_view))
}

async fn desks(State(s): State<WebState>, Caller(_): Caller) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "items": s.app.desks().await?, "next": null })))
}

async fn create_desk(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(b): ApiJson<DeskInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((StatusCode::CREATED, Json(json!(s.app.create_desk(&a.actor, b).await?))))
}

async fn update_desk(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DeskInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(s.app.update_desk(&a.actor, id, b).await?)))
}

async fn categories(State(s): State<WebState>, Caller(_): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "items": s.app.categories(Some(id)).await?, "next": null })))
}

async fn create_category(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NewCategory>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((StatusCode::CREATED, Json(json!(s.app.create_category(&a.actor, id, b).await?))))
}

fn kind(raw: &str) -> ApiResult<Kind> {
    Kind::parse(raw).map_err(|_| crate::problem::Problem::not_found())
}

async fn custom_fields(
    State(s): State<WebState>,
    Caller(_): Caller,
    ApiPath((id, k)): ApiPath<(i64, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "items": s.app.custom_fields(id, kind(&k)?).await?, "next": null })))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldInput {
    label: String,
    field_type: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    options: Vec<String>,
    #[serde(default)]
    position: i64,
}

async fn put_custom_field(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath((id, k, key)): ApiPath<(i64, String, String)>,
    ApiJson(b): ApiJson<FieldInput>,
) -> ApiResult<Json<CustomFieldDef>> {
    let field_type =
        opsdesk_domain::ticket::CustomFieldType::parse(&b.field_type).map_err(opsdesk_app::AppError::from)?;
    let def = CustomFieldDef { key, label: b.label, field_type, required: b.required, options: b.options };
    Ok(Json(s.app.put_custom_field(&a.actor, id, kind(&k)?, def, b.position).await?))
}

async fn delete_custom_field(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath((id, k, key)): ApiPath<(i64, String, String)>,
) -> ApiResult<StatusCode> {
    s.app.delete_custom_field(&a.actor, id, kind(&k)?, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn matrix(State(s): State<WebState>, Caller(_): Caller) -> ApiResult<Json<PriorityMatrix>> {
    Ok(Json(s.app.priority_matrix().await?))
}

async fn set_matrix(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(b): ApiJson<PriorityMatrix>,
) -> ApiResult<Json<PriorityMatrix>> {
    Ok(Json(s.app.set_priority_matrix(&a.actor, b).await?))
}

async fn settings(State(s): State<WebState>, Caller(_): Caller) -> ApiResult<Json<TicketSettings>> {
    Ok(Json(s.app.ticket_settings().await?))
}

async fn set_settings(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(b): ApiJson<TicketSettings>,
) -> ApiResult<Json<TicketSettings>> {
    Ok(Json(s.app.set_ticket_settings(&a.actor, b).await?))
}

async fn views(State(s): State<WebState>, Caller(a): Caller) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "items": s.app.views(&a.actor).await?, "next": null })))
}

async fn create_view(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(b): ApiJson<ViewInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((StatusCode::CREATED, Json(json!(s.app.create_view(&a.actor, b).await?))))
}

async fn delete_view(State(s): State<WebState>, Caller(a): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    s.app.delete_view(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
