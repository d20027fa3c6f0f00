//! Desk configuration for admins: service desks, categories, custom fields, the priority
//! matrix and ticket settings; and saved views for agents.

use crate::extract::{ApiJson, ApiPath, Caller, Listing};
use crate::openapi::fails;
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use opsdesk_app::schema::{CustomFieldTypeSchema, KindSchema, PriorityMatrixSchema};
use opsdesk_app::tickets::{
    CategoryView, CustomFieldView, DeskInput, DeskView, NewCategory, SavedViewView, TicketSettings, ViewInput,
};
use opsdesk_domain::ticket::{CustomFieldDef, Kind, PriorityMatrix};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(desks, create_desk))
        .routes(routes!(update_desk))
        .routes(routes!(categories, create_category))
        .routes(routes!(custom_fields))
        .routes(routes!(put_custom_field, delete_custom_field))
        .routes(routes!(matrix, set_matrix))
        .routes(routes!(settings, set_settings))
        .routes(routes!(views, create_view))
        .routes(routes!(delete_view))
}

const DESK: &str = "desk configuration";

#[utoipa::path(
    get, path = "/api/v1/desks", tag = DESK, operation_id = "listDesks", summary = "List service desks",
    responses((status = 200, description = "Every desk (one page).", body = Listing<DeskView>)),
)]
async fn desks(State(s): State<WebState>, Caller(_): Caller) -> ApiResult<Json<Listing<DeskView>>> {
    Ok(Json(Listing::all(s.app.desks().await?.iter().map(DeskView::from).collect())))
}

#[utoipa::path(
    post, path = "/api/v1/desks", tag = DESK, operation_id = "createDesk", summary = "Create a service desk",
    description = "Admins. A taken name answers 422 with `taken`.",
    request_body = DeskInput,
    responses((status = 201, description = "The new desk.", body = DeskView)),
)]
async fn create_desk(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(b): ApiJson<DeskInput>,
) -> ApiResult<(StatusCode, Json<DeskView>)> {
    Ok((StatusCode::CREATED, Json(DeskView::from(&s.app.create_desk(&a.actor, b).await?))))
}

#[utoipa::path(
    put, path = "/api/v1/desks/{id}", tag = DESK, operation_id = "updateDesk", summary = "Change a service desk",
    description = "Admins.",
    params(("id" = i64, Path, description = "The desk's id.")),
    request_body = DeskInput,
    responses((status = 200, description = "The changed desk.", body = DeskView), fails::NotFound),
)]
async fn update_desk(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DeskInput>,
) -> ApiResult<Json<DeskView>> {
    Ok(Json(DeskView::from(&s.app.update_desk(&a.actor, id, b).await?)))
}

#[utoipa::path(
    get, path = "/api/v1/desks/{id}/categories", tag = DESK, operation_id = "listCategories",
    summary = "A desk's categories",
    params(("id" = i64, Path, description = "The desk's id.")),
    responses((status = 200, description = "Every category of the desk (one page).", body = Listing<CategoryView>)),
)]
async fn categories(
    State(s): State<WebState>,
    Caller(_): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Listing<CategoryView>>> {
    Ok(Json(Listing::all(s.app.categories(Some(id)).await?.iter().map(CategoryView::from).collect())))
}

#[utoipa::path(
    post, path = "/api/v1/desks/{id}/categories", tag = DESK, operation_id = "createCategory",
    summary = "Add a category", description = "Admins.",
    params(("id" = i64, Path, description = "The desk's id.")),
    request_body = NewCategory,
    responses((status = 201, description = "The new category.", body = CategoryView), fails::NotFound),
)]
async fn create_category(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NewCategory>,
) -> ApiResult<(StatusCode, Json<CategoryView>)> {
    Ok((StatusCode::CREATED, Json(CategoryView::from(&s.app.create_category(&a.actor, id, b).await?))))
}

fn kind(raw: &str) -> ApiResult<Kind> {
    Kind::parse(raw).map_err(|_| crate::problem::Problem::not_found())
}

#[utoipa::path(
    get, path = "/api/v1/desks/{id}/custom-fields/{kind}", tag = DESK, operation_id = "listCustomFields",
    summary = "A desk's custom fields of one kind",
    params(("id" = i64, Path, description = "The desk's id."), ("kind" = KindSchema, Path, description = "The ticket kind.")),
    responses((status = 200, description = "The fields, in position order (one page).", body = Listing<CustomFieldView>), fails::NotFound),
)]
async fn custom_fields(
    State(s): State<WebState>,
    Caller(_): Caller,
    ApiPath((id, k)): ApiPath<(i64, String)>,
) -> ApiResult<Json<Listing<CustomFieldView>>> {
    let defs = s.app.custom_fields(id, kind(&k)?).await?;
    Ok(Json(Listing::all(defs.iter().map(CustomFieldView::from).collect())))
}

/// A custom field as an admin writes it; the key is in the path.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct FieldInput {
    #[schema(max_length = 120, pattern = r"\S")]
    label: String,
    #[schema(value_type = CustomFieldTypeSchema)]
    field_type: String,
    #[serde(default)]
    required: bool,
    /// The choices of a select or multi-select (1 to 500); none for other types.
    #[serde(default)]
    #[schema(max_items = 500)]
    options: Vec<String>,
    /// Order among the desk's fields of the kind.
    #[serde(default)]
    position: i64,
}

#[utoipa::path(
    put, path = "/api/v1/desks/{id}/custom-fields/{kind}/{key}", tag = DESK, operation_id = "putCustomField",
    summary = "Define or change a custom field", description = "Admins.",
    params(
        ("id" = i64, Path, description = "The desk's id."),
        ("kind" = KindSchema, Path, description = "The ticket kind."),
        ("key" = String, Path, description = "1-40 lowercase letters, digits or `_`, starting with a letter.", pattern = "^[a-z][a-z0-9_]{0,39}$"),
    ),
    request_body = FieldInput,
    responses((status = 200, description = "The field.", body = CustomFieldView), fails::NotFound),
)]
async fn put_custom_field(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath((id, k, key)): ApiPath<(i64, String, String)>,
    ApiJson(b): ApiJson<FieldInput>,
) -> ApiResult<Json<CustomFieldView>> {
    let field_type =
        opsdesk_domain::ticket::CustomFieldType::parse(&b.field_type).map_err(opsdesk_app::AppError::from)?;
    let def = CustomFieldDef { key, label: b.label, field_type, required: b.required, options: b.options };
    Ok(Json(CustomFieldView::from(&s.app.put_custom_field(&a.actor, id, kind(&k)?, def, b.position).await?)))
}

#[utoipa::path(
    delete, path = "/api/v1/desks/{id}/custom-fields/{kind}/{key}", tag = DESK, operation_id = "deleteCustomField",
    summary = "Remove a custom field", description = "Admins. Stored values stay on the tickets.",
    params(
        ("id" = i64, Path, description = "The desk's id."),
        ("kind" = KindSchema, Path, description = "The ticket kind."),
        ("key" = String, Path, description = "The field's key."),
    ),
    responses((status = 204, description = "Removed."), fails::NotFound),
)]
async fn delete_custom_field(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath((id, k, key)): ApiPath<(i64, String, String)>,
) -> ApiResult<StatusCode> {
    s.app.delete_custom_field(&a.actor, id, kind(&k)?, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get, path = "/api/v1/settings/priority-matrix", tag = DESK, operation_id = "getPriorityMatrix",
    summary = "The priority matrix",
    responses((status = 200, description = "The matrix.", body = PriorityMatrixSchema)),
)]
async fn matrix(State(s): State<WebState>, Caller(_): Caller) -> ApiResult<Json<PriorityMatrix>> {
    Ok(Json(s.app.priority_matrix().await?))
}

#[utoipa::path(
    put, path = "/api/v1/settings/priority-matrix", tag = DESK, operation_id = "setPriorityMatrix",
    summary = "Change the priority matrix", description = "Admins. Applies to tickets changed from now on.",
    request_body = PriorityMatrixSchema,
    responses((status = 200, description = "The matrix.", body = PriorityMatrixSchema)),
)]
async fn set_matrix(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(b): ApiJson<PriorityMatrix>,
) -> ApiResult<Json<PriorityMatrix>> {
    Ok(Json(s.app.set_priority_matrix(&a.actor, b).await?))
}

#[utoipa::path(
    get, path = "/api/v1/settings/tickets", tag = DESK, operation_id = "getTicketSettings", summary = "Ticket settings",
    responses((status = 200, description = "The settings.", body = TicketSettings)),
)]
async fn settings(State(s): State<WebState>, Caller(_): Caller) -> ApiResult<Json<TicketSettings>> {
    Ok(Json(s.app.ticket_settings().await?))
}

#[utoipa::path(
    put, path = "/api/v1/settings/tickets", tag = DESK, operation_id = "setTicketSettings",
    summary = "Change ticket settings", description = "Admins.",
    request_body = TicketSettings,
    responses((status = 200, description = "The settings.", body = TicketSettings)),
)]
async fn set_settings(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(b): ApiJson<TicketSettings>,
) -> ApiResult<Json<TicketSettings>> {
    Ok(Json(s.app.set_ticket_settings(&a.actor, b).await?))
}

#[utoipa::path(
    get, path = "/api/v1/views", tag = "views", operation_id = "listViews", summary = "The caller's views",
    description = "Personal and shared with the caller's groups, each with its live count.",
    responses((status = 200, description = "The views (one page).", body = Listing<SavedViewView>)),
)]
async fn views(State(s): State<WebState>, Caller(a): Caller) -> ApiResult<Json<Listing<SavedViewView>>> {
    Ok(Json(Listing::all(s.app.views(&a.actor).await?.iter().map(SavedViewView::from).collect())))
}

#[utoipa::path(
    post, path = "/api/v1/views", tag = "views", operation_id = "createView", summary = "Save a view",
    description = "Agents. With `group_id` the view is shared with that group (the caller's own groups; admins any).",
    request_body = ViewInput,
    responses((status = 201, description = "The view.", body = SavedViewView)),
)]
async fn create_view(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(b): ApiJson<ViewInput>,
) -> ApiResult<(StatusCode, Json<SavedViewView>)> {
    Ok((StatusCode::CREATED, Json(SavedViewView::from(&s.app.create_view(&a.actor, b).await?))))
}

#[utoipa::path(
    delete, path = "/api/v1/views/{id}", tag = "views", operation_id = "deleteView", summary = "Delete a view",
    params(("id" = i64, Path, description = "The view's id.")),
    responses((status = 204, description = "Deleted."), fails::NotFound),
)]
async fn delete_view(State(s): State<WebState>, Caller(a): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    s.app.delete_view(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
