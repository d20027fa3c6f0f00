//! Groups of agents and their memberships.

use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, Listing, Page};
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use opsdesk_app::groups::CreateGroup;
use opsdesk_store::groups::Group;
use serde_json::{json, Value};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/api/v1/groups", get(list).post(create))
        .route("/api/v1/groups/{id}", get(show))
        .route("/api/v1/groups/{id}/members/{user_id}", put(add_member).delete(remove_member))
}

async fn list(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Listing<Group>>> {
    let limit = page.limit();
    let groups = s.app.groups(&auth.actor, page.after_id()?, limit).await?;
    Ok(Json(Listing::by_id(groups, limit, |g| g.id)))
}

async fn create(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<CreateGroup>,
) -> ApiResult<(StatusCode, Json<Group>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_group(&auth.actor, body).await?)))
}

async fn show(State(s): State<WebState>, Caller(auth): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Value>> {
    let (group, members) = s.app.group(&auth.actor, id).await?;
    Ok(Json(json!({ "group": group, "members": members })))
}

async fn add_member(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath((id, user_id)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    s.app.add_group_member(&auth.actor, id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_member(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath((id, user_id)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    s.app.remove_group_member(&auth.actor, id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
