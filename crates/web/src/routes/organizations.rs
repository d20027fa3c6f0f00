//! Organisations of requesters.

use crate::extract::{ApiJson, ApiQuery, Caller, Listing, Page};
use crate::openapi::fails;
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use opsdesk_app::groups::CreateOrganization;
use opsdesk_app::views::OrganizationView;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new().routes(routes!(list, create))
}

#[utoipa::path(
    get, path = "/api/v1/organizations", tag = "organizations", operation_id = "listOrganizations",
    summary = "List organizations", description = "By id. Agents and admins.",
    params(Page),
    responses((status = 200, description = "A page of organizations.", body = Listing<OrganizationView>), fails::BadRequest, fails::Forbidden),
)]
async fn list(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Listing<OrganizationView>>> {
    let limit = page.limit();
    let orgs = s.app.organizations(&auth.actor, page.after_id()?, limit).await?;
    Ok(Json(Listing::by_id(orgs.iter().map(OrganizationView::from).collect(), limit, |o| o.id)))
}

#[utoipa::path(
    post, path = "/api/v1/organizations", tag = "organizations", operation_id = "createOrganization",
    summary = "Create an organization", description = "Admins. A taken name answers 422 with `taken`.",
    request_body = CreateOrganization,
    responses((status = 201, description = "The new organization.", body = OrganizationView)),
)]
async fn create(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<CreateOrganization>,
) -> ApiResult<(StatusCode, Json<OrganizationView>)> {
    Ok((StatusCode::CREATED, Json(OrganizationView::from(&s.app.create_organization(&auth.actor, body).await?))))
}
