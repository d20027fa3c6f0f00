//! Organisations of requesters.

use crate::extract::{ApiJson, ApiQuery, Caller, Listing, Page};
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use opsdesk_app::groups::CreateOrganization;
use opsdesk_store::organizations::Organization;

pub fn router() -> Router<WebState> {
    Router::new().route("/api/v1/organizations", get(list).post(create))
}

async fn list(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Listing<Organization>>> {
    let limit = page.limit();
    let orgs = s.app.organizations(&auth.actor, page.after_id()?, limit).await?;
    Ok(Json(Listing::by_id(orgs, limit, |o| o.id)))
}

async fn create(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<CreateOrganization>,
) -> ApiResult<(StatusCode, Json<Organization>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_organization(&auth.actor, body).await?)))
}
