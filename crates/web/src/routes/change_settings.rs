//! Change management's settings: how deep the conflict check looks into the dependency graph.

use crate::extract::{ApiJson, Caller};
use crate::openapi::fails;
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::Json;
use opsdesk_app::changes::{ChangeSettingsInput, ChangeSettingsView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new().routes(routes!(settings, update_settings))
}

#[utoipa::path(
    get, path = "/api/v1/changes/settings", tag = "changes", operation_id = "getChangeSettings",
    summary = "Change management's settings", description = "Agents and admins.",
    responses((status = 200, description = "The settings.", body = ChangeSettingsView), fails::Forbidden),
)]
async fn settings(State(s): State<WebState>, Caller(auth): Caller) -> ApiResult<Json<ChangeSettingsView>> {
    Ok(Json(s.app.change_settings(&auth.actor).await?))
}

#[utoipa::path(
    put, path = "/api/v1/changes/settings", tag = "changes", operation_id = "updateChangeSettings",
    summary = "Change change management's settings",
    description = "Admins. `conflict_depth`: how many levels of the dependency graph, either way, a change's CIs \
reach when its conflicts are checked (1 to 5; 2 until changed). Deeper finds more conflicts and reads more of the \
graph on every check.",
    request_body = ChangeSettingsInput,
    responses((status = 200, description = "The settings.", body = ChangeSettingsView)),
)]
async fn update_settings(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<ChangeSettingsInput>,
) -> ApiResult<Json<ChangeSettingsView>> {
    Ok(Json(s.app.update_change_settings(&auth.actor, body).await?))
}
