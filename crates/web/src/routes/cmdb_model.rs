//! The CMDB's model, which admins shape and agents read: CI classes with their attribute
//! schemas, the rules of which relationships may link which classes, and the CMDB's settings.

use crate::extract::{ApiJson, ApiPath, Caller, Listing};
use crate::openapi::fails;
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use opsdesk_app::cmdb::{ClassInput, ClassView, CmdbSettingsInput, CmdbSettingsView, RuleInput, RuleView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list_classes, create_class))
        .routes(routes!(update_class))
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(delete_rule))
        .routes(routes!(settings, update_settings))
}

#[utoipa::path(
    get, path = "/api/v1/cmdb/classes", tag = "cmdb", operation_id = "listCiClasses", summary = "List CI classes",
    description = "Agents and admins. The built-in classes and those admins added, with their attribute schemas.",
    responses((status = 200, description = "Every class.", body = Listing<ClassView>), fails::Forbidden),
)]
async fn list_classes(State(s): State<WebState>, Caller(auth): Caller) -> ApiResult<Json<Listing<ClassView>>> {
    Ok(Json(Listing::all(s.app.ci_classes(&auth.actor).await?)))
}

#[utoipa::path(
    post, path = "/api/v1/cmdb/classes", tag = "cmdb", operation_id = "createCiClass", summary = "Add a CI class",
    description = "Admins. A taken key answers 422 `taken`; a bad attribute definition names `attributes[i].<field>`.",
    request_body = ClassInput,
    responses((status = 201, description = "The new class.", body = ClassView)),
)]
async fn create_class(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<ClassInput>,
) -> ApiResult<(StatusCode, Json<ClassView>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_ci_class(&auth.actor, body).await?)))
}

#[utoipa::path(
    patch, path = "/api/v1/cmdb/classes/{key}", tag = "cmdb", operation_id = "updateCiClass",
    summary = "Rename a class or replace its attributes",
    description = "Admins. Items keep their values; the new schema applies to their next write.",
    params(("key" = String, Path, description = "The class key.")),
    request_body = ClassInput,
    responses((status = 200, description = "The class.", body = ClassView), fails::NotFound),
)]
async fn update_class(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(key): ApiPath<String>,
    ApiJson(body): ApiJson<ClassInput>,
) -> ApiResult<Json<ClassView>> {
    Ok(Json(s.app.update_ci_class(&auth.actor, &key, body).await?))
}

#[utoipa::path(
    get, path = "/api/v1/cmdb/relationship-rules", tag = "cmdb", operation_id = "listCiRelationshipRules",
    summary = "List the allowed relationships",
    description = "Agents and admins. A relationship is allowed when a rule matches its type and both classes.",
    responses((status = 200, description = "Every rule.", body = Listing<RuleView>), fails::Forbidden),
)]
async fn list_rules(State(s): State<WebState>, Caller(auth): Caller) -> ApiResult<Json<Listing<RuleView>>> {
    Ok(Json(Listing::all(s.app.relationship_rules(&auth.actor).await?)))
}

#[utoipa::path(
    post, path = "/api/v1/cmdb/relationship-rules", tag = "cmdb", operation_id = "createCiRelationshipRule",
    summary = "Allow a relationship", description = "Admins.",
    request_body = RuleInput,
    responses((status = 201, description = "The rule.", body = RuleView)),
)]
async fn create_rule(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<RuleInput>,
) -> ApiResult<(StatusCode, Json<RuleView>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_relationship_rule(&auth.actor, body).await?)))
}

#[utoipa::path(
    delete, path = "/api/v1/cmdb/relationship-rules/{id}", tag = "cmdb", operation_id = "deleteCiRelationshipRule",
    summary = "Stop allowing a relationship", description = "Admins. Existing relationships stay.",
    params(("id" = i64, Path, description = "The rule's id.")),
    responses((status = 204, description = "Removed."), fails::NotFound),
)]
async fn delete_rule(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.app.delete_relationship_rule(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get, path = "/api/v1/cmdb/settings", tag = "cmdb", operation_id = "getCmdbSettings",
    summary = "The CMDB's settings", description = "Agents and admins.",
    responses((status = 200, description = "The settings.", body = CmdbSettingsView), fails::Forbidden),
)]
async fn settings(State(s): State<WebState>, Caller(auth): Caller) -> ApiResult<Json<CmdbSettingsView>> {
    Ok(Json(s.app.cmdb_settings(&auth.actor).await?))
}

#[utoipa::path(
    put, path = "/api/v1/cmdb/settings", tag = "cmdb", operation_id = "updateCmdbSettings",
    summary = "Change the CMDB's settings",
    description = "Admins. `stale_after_days`: an item a source once reported is flagged stale when no source has \
reported it for this many days (1 to 3650; 30 until changed).",
    request_body = CmdbSettingsInput,
    responses((status = 200, description = "The settings.", body = CmdbSettingsView)),
)]
async fn update_settings(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<CmdbSettingsInput>,
) -> ApiResult<Json<CmdbSettingsView>> {
    Ok(Json(s.app.update_cmdb_settings(&auth.actor, body).await?))
}
