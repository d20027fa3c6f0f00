//! The service catalog: categories and items per desk (admins write, agents read every item,
//! requesters the published items offered to them), ordering an item as a service request,
//! and reading an ordered request's answers as a form.

use crate::extract::{if_match, ApiJson, ApiPath, ApiQuery, Caller, Listing};
use crate::openapi::fails;
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use opsdesk_app::catalog::{
    CatalogCategoryInput, CatalogCategoryView, CatalogItemInput, CatalogItemView, CatalogRequestView, ItemQuery,
    OrderInput,
};
use opsdesk_app::tickets::Ref;
use opsdesk_app::AppError;
use opsdesk_domain::FieldError;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list_items, create_item))
        .routes(routes!(show_item, update_item, delete_item))
        .routes(routes!(order))
        .routes(routes!(show_request))
        .routes(routes!(list_categories, create_category))
        .routes(routes!(update_category, delete_category))
}

const CATALOG: &str = "catalog";

/// A desk named in a query or path: its id, or its name.
fn desk_ref(raw: &str) -> Ref {
    match raw.trim().parse::<i64>() {
        Ok(id) => Ref::Id(id),
        Err(_) => Ref::Name(raw.to_string()),
    }
}

fn short_text(v: Option<&str>, field: &str) -> Result<(), AppError> {
    if v.is_some_and(|q| q.chars().count() > 200 || q.contains('\0')) {
        return Err(FieldError::new(field, "invalid", format!("{field} is at most 200 characters, without NUL")).into());
    }
    Ok(())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ItemParams {
    /// Words that must all appear in the item's title, description or category name.
    #[param(max_length = 200)]
    q: Option<String>,
    /// A desk's id or name.
    #[param(max_length = 200)]
    desk: Option<String>,
    /// A catalog category's id.
    category: Option<i64>,
}

#[utoipa::path(
    get, path = "/api/v1/catalog/items", tag = CATALOG, operation_id = "listCatalogItems",
    summary = "Browse and search the catalog",
    description = "Requesters: the published items offered to their organisation or one of their groups (items \
                   with no audience are offered to everyone). Agents and admins: every item, drafts included, with \
                   its approval, fulfilment and audience. In catalog order (desk, position).",
    params(ItemParams),
    responses((status = 200, description = "The items (one page).", body = Listing<CatalogItemView>)),
)]
async fn list_items(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiQuery(p): ApiQuery<ItemParams>,
) -> ApiResult<Json<Listing<CatalogItemView>>> {
    short_text(p.q.as_deref(), "q")?;
    short_text(p.desk.as_deref(), "desk")?;
    let query = ItemQuery { q: p.q, desk: p.desk.as_deref().map(desk_ref), category: p.category };
    Ok(Json(Listing::all(s.app.catalog_items(&a.actor, &query).await?)))
}

#[utoipa::path(
    post, path = "/api/v1/catalog/items", tag = CATALOG, operation_id = "createCatalogItem",
    summary = "Create a catalog item",
    description = "Admins. The form's fields are checked as a whole: unique keys, choices for selects, `show_if` \
                   naming an earlier field and a value it can take. Approvers, groups and organisations are \
                   stored as ids. Every wrong part is named in `errors` (`form[2].show_if.field`, \
                   `approval.stages[0].rule`, `fulfilment[1].after[0]`).",
    request_body = CatalogItemInput,
    responses((status = 201, description = "The item.", body = CatalogItemView)),
)]
async fn create_item(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(body): ApiJson<CatalogItemInput>,
) -> ApiResult<(StatusCode, Json<CatalogItemView>)> {
    Ok((StatusCode::CREATED, Json(s.app.put_catalog_item(&a.actor, None, None, body).await?)))
}

#[utoipa::path(
    get, path = "/api/v1/catalog/items/{id}", tag = CATALOG, operation_id = "getCatalogItem",
    summary = "A catalog item",
    description = "An item a requester may not order (a draft, or outside its audience) answers 404.",
    params(("id" = i64, Path, description = "The item's id.")),
    responses((status = 200, description = "The item.", body = CatalogItemView), fails::NotFound),
)]
async fn show_item(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CatalogItemView>> {
    Ok(Json(s.app.catalog_item(&a.actor, id).await?))
}

#[utoipa::path(
    put, path = "/api/v1/catalog/items/{id}", tag = CATALOG, operation_id = "updateCatalogItem",
    summary = "Replace a catalog item",
    description = "Admins. `If-Match` with the item's `version` refuses a stale write (412). Requests already \
                   ordered keep the form and fulfilment they were ordered with.",
    params(("id" = i64, Path, description = "The item's id.")),
    request_body = CatalogItemInput,
    responses((status = 200, description = "The item.", body = CatalogItemView), fails::NotFound, fails::Stale),
)]
async fn update_item(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CatalogItemInput>,
) -> ApiResult<Json<CatalogItemView>> {
    let expected = if_match(&headers, "the catalog item")?;
    Ok(Json(s.app.put_catalog_item(&a.actor, Some(id), expected, body).await?))
}

#[utoipa::path(
    delete, path = "/api/v1/catalog/items/{id}", tag = CATALOG, operation_id = "deleteCatalogItem",
    summary = "Delete a catalog item",
    description = "Admins. Requests ordered from it keep its title, form and answers.",
    params(("id" = i64, Path, description = "The item's id.")),
    responses((status = 204, description = "Deleted."), fails::NotFound),
)]
async fn delete_item(State(s): State<WebState>, Caller(a): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    s.app.delete_catalog_item(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post, path = "/api/v1/catalog/items/{id}/requests", tag = CATALOG, operation_id = "orderCatalogItem",
    summary = "Order a catalog item",
    description = "Anyone the item is offered to. Creates a service request (`REQ-…`) in the item's desk with the \
                   checked answers; the caller is its requester. Fields whose `show_if` is not met are not \
                   required and their answers are dropped; every wrong answer is named `answers.<key>` (422). \
                   When the item has an approval and its price is not under `approval_skip_below`, the request \
                   waits in `awaiting_approval` (see `/api/v1/tickets/{id}/approvals`); otherwise it goes to \
                   `fulfilling` at once. Its fulfilment tasks (`/api/v1/tickets/{id}/tasks`) are created when it \
                   enters `fulfilling`, and it is fulfilled when the last of them is done. A draft answers 409 \
                   `not_published`.",
    params(("id" = i64, Path, description = "The item's id.")),
    request_body = OrderInput,
    responses(
        (status = 201, description = "The request.", body = CatalogRequestView),
        fails::NotFound, fails::Conflict,
    ),
)]
async fn order(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<OrderInput>,
) -> ApiResult<(StatusCode, Json<CatalogRequestView>)> {
    Ok((StatusCode::CREATED, Json(s.app.order_catalog_item(&a.actor, id, body).await?)))
}

#[utoipa::path(
    get, path = "/api/v1/catalog/requests/{id}", tag = CATALOG, operation_id = "getCatalogRequest",
    summary = "An ordered request with its answers",
    description = "To those who see the ticket: the item it ordered, whom it is for, and the answers, by key and as \
                   a readable form in the form's order. A ticket that was not ordered from the catalog answers 404.",
    params(("id" = String, Path, description = "The request's id or number (`REQ-12`).")),
    responses((status = 200, description = "The request.", body = CatalogRequestView), fails::NotFound),
)]
async fn show_request(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<CatalogRequestView>> {
    Ok(Json(s.app.catalog_request(&a.actor, &id).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct CategoryParams {
    /// A desk's id or name.
    #[param(max_length = 200)]
    desk: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/catalog/categories", tag = CATALOG, operation_id = "listCatalogCategories",
    summary = "Catalog categories", description = "Everyone signed in. By desk, in order.",
    params(CategoryParams),
    responses((status = 200, description = "The categories (one page).", body = Listing<CatalogCategoryView>)),
)]
async fn list_categories(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiQuery(p): ApiQuery<CategoryParams>,
) -> ApiResult<Json<Listing<CatalogCategoryView>>> {
    short_text(p.desk.as_deref(), "desk")?;
    let desk = p.desk.as_deref().map(desk_ref);
    Ok(Json(Listing::all(s.app.catalog_categories(&a.actor, desk.as_ref()).await?)))
}

#[utoipa::path(
    post, path = "/api/v1/catalog/categories", tag = CATALOG, operation_id = "createCatalogCategory",
    summary = "Create a catalog category", description = "Admins. Names are unique within a desk.",
    request_body = CatalogCategoryInput,
    responses((status = 201, description = "The category.", body = CatalogCategoryView)),
)]
async fn create_category(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiJson(body): ApiJson<CatalogCategoryInput>,
) -> ApiResult<(StatusCode, Json<CatalogCategoryView>)> {
    Ok((StatusCode::CREATED, Json(s.app.put_catalog_category(&a.actor, None, body).await?)))
}

#[utoipa::path(
    put, path = "/api/v1/catalog/categories/{id}", tag = CATALOG, operation_id = "updateCatalogCategory",
    summary = "Replace a catalog category", description = "Admins.",
    params(("id" = i64, Path, description = "The category's id.")),
    request_body = CatalogCategoryInput,
    responses((status = 200, description = "The category.", body = CatalogCategoryView), fails::NotFound),
)]
async fn update_category(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CatalogCategoryInput>,
) -> ApiResult<Json<CatalogCategoryView>> {
    Ok(Json(s.app.put_catalog_category(&a.actor, Some(id), body).await?))
}

#[utoipa::path(
    delete, path = "/api/v1/catalog/categories/{id}", tag = CATALOG, operation_id = "deleteCatalogCategory",
    summary = "Delete a catalog category", description = "Admins. Its items stay, uncategorised.",
    params(("id" = i64, Path, description = "The category's id.")),
    responses((status = 204, description = "Deleted."), fails::NotFound),
)]
async fn delete_category(
    State(s): State<WebState>,
    Caller(a): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.app.delete_catalog_category(&a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
