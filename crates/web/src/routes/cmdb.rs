//! The CMDB's items: configuration items (with ETag / If-Match and reads at a past instant),
//! relationships, impact analysis, history, the tickets of an item, the items of a ticket, and
//! inventory pushes. Its model (classes, relationship rules, settings) is in `cmdb_model`.

use crate::extract::{if_match, ApiJson, ApiPath, ApiQuery, Caller, Listing, Page};
use crate::openapi::fails;
use crate::problem::{ApiResult, Problem};
use crate::WebState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use opsdesk_app::cmdb::{
    CiHistory, CiInput, CiPatch, CiTicketView, CiVersionView, CiView, HistoryEntryView, ImpactQuery, ImpactView,
    InventoryInput, InventoryView, ListCis, RelationshipInput, RelationshipView, TicketCiInput, TicketCiView,
    TicketImpactView,
};
use opsdesk_domain::cmdb::{Direction, RelType};
use opsdesk_domain::FieldError;
use opsdesk_store::Ts;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// An inventory push of 100,000 items is about 30 MB of JSON.
const INVENTORY_BODY_LIMIT: usize = 64 * 1024 * 1024;

pub fn router() -> OpenApiRouter<WebState> {
    use utoipa_axum::router::UtoipaMethodRouterExt;
    OpenApiRouter::new()
        .merge(super::cmdb_model::router())
        .routes(routes!(list_cis, create_ci))
        .routes(routes!(show_ci, update_ci, delete_ci))
        .routes(routes!(impact))
        .routes(routes!(history))
        .routes(routes!(ci_relationships))
        .routes(routes!(ci_tickets))
        .routes(routes!(create_relationship))
        .routes(routes!(delete_relationship))
        .routes(routes!(push_inventory).layer(axum::extract::DefaultBodyLimit::max(INVENTORY_BODY_LIMIT)))
        .routes(routes!(ticket_cis, add_ticket_ci))
        .routes(routes!(remove_ticket_ci))
        .routes(routes!(ticket_impact))
}

fn with_etag(status: StatusCode, ci: CiView) -> Response {
    let location = HeaderValue::from_str(&format!("/api/v1/cmdb/cis/{}", ci.id)).ok();
    let version = ci.version;
    let mut res = crate::extract::with_etag(status, ci, version);
    if status == StatusCode::CREATED {
        if let Some(l) = location {
            res.headers_mut().insert(header::LOCATION, l);
        }
    }
    res
}

/// An instant in a query string (RFC 3339).
fn instant(field: &str, raw: Option<&str>) -> Result<Option<Ts>, Problem> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    raw.parse::<jiff::Timestamp>().map(|t| Some(Ts(t))).map_err(|_| {
        Problem::new(StatusCode::BAD_REQUEST, "invalid_query", format!("{field} is an RFC 3339 instant"))
            .with_errors(vec![FieldError::new(field, "invalid", "an instant such as 2026-12-01T09:00:00Z")])
    })
}

fn bad_query(field: &str, message: &str) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, "invalid_query", message.to_string()).with_errors(vec![FieldError::new(
        field,
        "invalid",
        message.to_string(),
    )])
}

/// `If-Match` on a CI write.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // documents the header; handlers read it with `if_match`
struct IfMatch {
    /// The ETag of the item as last read (`"7"`). If it changed since, nothing changes and the
    /// answer is 412 `stale_version`. Absent or `*`: apply whatever the version.
    #[param(rename = "If-Match")]
    if_match: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct CiListQuery {
    /// Part of the name, or an exact identifier (serial, asset tag, host name, MAC, UUID).
    #[param(max_length = 200)]
    q: Option<String>,
    /// A class key.
    class: Option<String>,
    /// Only items not reported by their source for 30 days.
    #[serde(default)]
    stale: bool,
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    after: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/cmdb/cis", tag = "cmdb", operation_id = "listCis", summary = "List configuration items",
    description = "By id. Agents and admins see every live item; requesters the business services offered to them.",
    params(CiListQuery),
    responses((status = 200, description = "A page of items.", body = Listing<CiView>), fails::BadRequest),
)]
async fn list_cis(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(q): ApiQuery<CiListQuery>,
) -> ApiResult<Json<Listing<CiView>>> {
    if q.q.as_deref().is_some_and(|t| t.chars().count() > 200) {
        return Err(bad_query("q", "q is at most 200 characters"));
    }
    let page = Page { limit: q.limit, after: q.after.clone() };
    let limit = page.limit();
    let list = ListCis { q: q.q, class: q.class, stale: q.stale, after: page.after_id()?, limit };
    let items = s.app.cis(&auth.actor, &list).await?;
    Ok(Json(Listing::by_id(items, limit, |c| c.id)))
}

#[utoipa::path(
    post, path = "/api/v1/cmdb/cis", tag = "cmdb", operation_id = "createCi", summary = "Add a configuration item",
    description = "Agents and admins. An unknown class, an attribute of the wrong type, a missing required attribute \
or an identifier another item carries answers 422 naming the field (`class`, `attributes.<key>`, \
`identifiers.<kind>`).",
    request_body = CiInput,
    responses((status = 201, description = "The new item, with its ETag and `Location`.", body = CiView)),
)]
async fn create_ci(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<CiInput>,
) -> ApiResult<Response> {
    Ok(with_etag(StatusCode::CREATED, s.app.create_ci(&auth.actor, body, "api").await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AtQuery {
    /// Read the item as it was at this instant (RFC 3339); 404 if it did not exist yet.
    at: Option<String>,
}

/// An item now, or as it was at an instant.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum CiAnswer {
    #[allow(dead_code)] // documents the answer; `with_etag` sends the view itself, with its ETag
    Now(CiView),
    At(CiVersionView),
}

#[utoipa::path(
    get, path = "/api/v1/cmdb/cis/{id}", tag = "cmdb", operation_id = "getCi", summary = "Get a configuration item",
    description = "With `at`, the version in force at that instant (agents and admins).",
    params(("id" = i64, Path, description = "The item's id."), AtQuery),
    responses((status = 200, description = "The item, with its ETag.", body = CiAnswer), fails::BadRequest, fails::NotFound),
)]
async fn show_ci(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<AtQuery>,
) -> ApiResult<Response> {
    match instant("at", q.at.as_deref())? {
        None => Ok(with_etag(StatusCode::OK, s.app.ci(&auth.actor, id).await?)),
        Some(at) => Ok(Json(CiAnswer::At(s.app.ci_at(&auth.actor, id, at).await?)).into_response()),
    }
}

#[utoipa::path(
    patch, path = "/api/v1/cmdb/cis/{id}", tag = "cmdb", operation_id = "updateCi", summary = "Change a configuration item",
    description = "Agents and admins. Fields present change; in `attributes` and `identifiers`, null removes a key.",
    params(("id" = i64, Path, description = "The item's id."), IfMatch),
    request_body = CiPatch,
    responses((status = 200, description = "The item, with its new ETag.", body = CiView), fails::NotFound, fails::Conflict, fails::Stale),
)]
async fn update_ci(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CiPatch>,
) -> ApiResult<Response> {
    let expected = if_match(&headers, "the item")?;
    Ok(with_etag(StatusCode::OK, s.app.update_ci(&auth.actor, id, expected, body, "api").await?))
}

#[utoipa::path(
    delete, path = "/api/v1/cmdb/cis/{id}", tag = "cmdb", operation_id = "deleteCi", summary = "Delete a configuration item",
    description = "Agents and admins. The item and its relationships end now; they stay readable at past instants.",
    params(("id" = i64, Path, description = "The item's id.")),
    responses((status = 204, description = "Deleted."), fails::NotFound),
)]
async fn delete_ci(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.app.delete_ci(&auth.actor, id, "api").await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ImpactParams {
    /// `downstream` (what depends on the item: affected if it fails; the default) or
    /// `upstream` (what it depends on).
    #[param(value_type = Option<Direction>)]
    direction: Option<String>,
    /// Levels to follow, 0 to 10 (5 by default).
    #[param(minimum = 0, maximum = 10)]
    depth: Option<i64>,
    /// Walk the graph as it was at this instant (RFC 3339).
    at: Option<String>,
    /// Only these relationship types, comma-separated (`runs_on,hosted_on`).
    types: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/cmdb/cis/{id}/impact", tag = "cmdb", operation_id = "getCiImpact", summary = "Impact analysis",
    description = "Agents and admins. Every relationship means its source depends on its target. Each item is listed \
once, at the depth it was first reached; cycles and diamonds are followed once.",
    params(("id" = i64, Path, description = "The item's id."), ImpactParams),
    responses((status = 200, description = "The items and relationships reached, the business services among them and \
how many people those serve.", body = ImpactView), fails::BadRequest, fails::Forbidden, fails::NotFound),
)]
async fn impact(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<ImpactParams>,
) -> ApiResult<Json<ImpactView>> {
    let direction = match p.direction.as_deref() {
        None => Direction::Downstream,
        Some(d) => Direction::parse(d).ok_or_else(|| bad_query("direction", "direction is downstream or upstream"))?,
    };
    let depth = match p.depth {
        None => 5,
        Some(d) if (0..=10).contains(&d) => d as u32,
        Some(_) => return Err(bad_query("depth", "depth is 0 to 10")),
    };
    let mut types = vec![];
    for t in p.types.as_deref().unwrap_or("").split(',').map(str::trim).filter(|t| !t.is_empty()) {
        types.push(
            RelType::parse(t).map_err(|_| {
                bad_query("types", "types are runs_on, depends_on, hosted_on, connects_to, part_of, uses")
            })?,
        );
    }
    let q = ImpactQuery { direction, depth, at: instant("at", p.at.as_deref())?, types };
    Ok(Json(s.app.ci_impact(&auth.actor, id, &q).await?))
}

#[utoipa::path(
    get, path = "/api/v1/cmdb/cis/{id}/history", tag = "cmdb", operation_id = "getCiHistory", summary = "An item's history",
    description = "Agents and admins. Oldest first: every version with what changed, who and through what, and every \
relationship made or removed.",
    params(("id" = i64, Path, description = "The item's id.")),
    responses((status = 200, description = "The history.", body = CiHistory), fails::Forbidden, fails::NotFound),
)]
async fn history(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CiHistory>> {
    let items: Vec<HistoryEntryView> = s.app.ci_history(&auth.actor, id).await?;
    Ok(Json(CiHistory { items }))
}

#[utoipa::path(
    get, path = "/api/v1/cmdb/cis/{id}/relationships", tag = "cmdb", operation_id = "listCiRelationships",
    summary = "An item's relationships", description = "Agents and admins. Live relationships, both ways.",
    params(("id" = i64, Path, description = "The item's id.")),
    responses((status = 200, description = "The relationships.", body = Listing<RelationshipView>), fails::Forbidden, fails::NotFound),
)]
async fn ci_relationships(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Listing<RelationshipView>>> {
    Ok(Json(Listing::all(s.app.ci_relationships(&auth.actor, id).await?)))
}

#[utoipa::path(
    get, path = "/api/v1/cmdb/cis/{id}/tickets", tag = "cmdb", operation_id = "listCiTickets", summary = "The tickets naming an item",
    description = "Agents and admins; only tickets the caller may see. Newest first, at most 200.",
    params(("id" = i64, Path, description = "The item's id.")),
    responses((status = 200, description = "The tickets.", body = Listing<CiTicketView>), fails::Forbidden, fails::NotFound),
)]
async fn ci_tickets(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Listing<CiTicketView>>> {
    Ok(Json(Listing::all(s.app.ci_tickets(&auth.actor, id).await?)))
}

#[utoipa::path(
    post, path = "/api/v1/cmdb/relationships", tag = "cmdb", operation_id = "createCiRelationship", summary = "Relate two items",
    description = "Agents and admins. A relationship to itself, or of a type no rule allows between the two classes, \
answers 422 naming `target` or `type`; the same relationship twice answers 409 `relationship_exists`.",
    request_body = RelationshipInput,
    responses((status = 201, description = "The relationship.", body = RelationshipView), fails::Conflict),
)]
async fn create_relationship(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<RelationshipInput>,
) -> ApiResult<(StatusCode, Json<RelationshipView>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_relationship(&auth.actor, body).await?)))
}

#[utoipa::path(
    delete, path = "/api/v1/cmdb/relationships/{id}", tag = "cmdb", operation_id = "deleteCiRelationship",
    summary = "Remove a relationship", description = "Agents and admins. It stays readable at past instants.",
    params(("id" = i64, Path, description = "The relationship's id.")),
    responses((status = 204, description = "Removed."), fails::NotFound),
)]
async fn delete_relationship(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.app.delete_relationship(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post, path = "/api/v1/cmdb/inventory", tag = "cmdb", operation_id = "pushInventory", summary = "Push an inventory",
    description = "Admins (discovery agents and scripts use an admin's API token). Each item is matched by its \
identifiers in priority order (serial, asset tag, host name with domain, MAC, UUID; class and name when it has none), \
then created, updated or left unchanged; items whose identifiers point at different items are reported in \
`conflicts` and never merged; items with bad input are reported in `rejected`, the others still count. With \
`dry_run`, nothing is written and the answer says what would happen. `decisions` explains every item with \
`explain: all` (a dry run's default); otherwise only conflicts and rejections, with counts for the rest, so that a \
push of 100,000 items is not answered with 100,000 explanations. A real push is written a chunk of items at a time, \
each chunk in its own transaction.",
    request_body = InventoryInput,
    responses((status = 200, description = "What became of each item.", body = InventoryView)),
)]
async fn push_inventory(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<InventoryInput>,
) -> ApiResult<Json<InventoryView>> {
    Ok(Json(s.app.push_inventory(&auth.actor, body).await?))
}

#[utoipa::path(
    get, path = "/api/v1/tickets/{id}/cis", tag = "cmdb", operation_id = "listTicketCis", summary = "A ticket's configuration items",
    params(("id" = String, Path, description = "The ticket's id or number.")),
    responses((status = 200, description = "The items the ticket names.", body = Listing<TicketCiView>), fails::NotFound),
)]
async fn ticket_cis(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Listing<TicketCiView>>> {
    Ok(Json(Listing::all(s.app.ticket_cis(&auth.actor, &id).await?)))
}

#[utoipa::path(
    post, path = "/api/v1/tickets/{id}/cis", tag = "cmdb", operation_id = "addTicketCi", summary = "Name an item on a ticket",
    description = "Agents who work the ticket; a requester may name a service offered to them as affected on their own \
ticket. Naming an item again changes its role.",
    params(("id" = String, Path, description = "The ticket's id or number.")),
    request_body = TicketCiInput,
    responses((status = 201, description = "The ticket's items.", body = Listing<TicketCiView>), fails::NotFound),
)]
async fn add_ticket_ci(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<TicketCiInput>,
) -> ApiResult<(StatusCode, Json<Listing<TicketCiView>>)> {
    Ok((StatusCode::CREATED, Json(Listing::all(s.app.add_ticket_ci(&auth.actor, &id, body).await?))))
}

#[utoipa::path(
    delete, path = "/api/v1/tickets/{id}/cis/{ci}", tag = "cmdb", operation_id = "removeTicketCi",
    summary = "Stop naming an item on a ticket",
    params(("id" = String, Path, description = "The ticket's id or number."), ("ci" = i64, Path, description = "The item's id.")),
    responses((status = 204, description = "Removed."), fails::NotFound),
)]
async fn remove_ticket_ci(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath((id, ci)): ApiPath<(String, i64)>,
) -> ApiResult<StatusCode> {
    s.app.remove_ticket_ci(&auth.actor, &id, ci).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get, path = "/api/v1/tickets/{id}/impact", tag = "cmdb", operation_id = "getTicketImpact",
    summary = "What a ticket's items affect",
    description = "Agents and admins. The business services the ticket's configuration items reach downstream (5 levels; \
a named service counts itself) and how many people those services serve.",
    params(("id" = String, Path, description = "The ticket's id or number.")),
    responses((status = 200, description = "The services affected.", body = TicketImpactView), fails::Forbidden, fails::NotFound),
)]
async fn ticket_impact(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TicketImpactView>> {
    Ok(Json(s.app.ticket_impact(&auth.actor, &id).await?))
}
