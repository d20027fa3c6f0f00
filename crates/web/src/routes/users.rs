//! People: listed by agents and admins, managed by admins.

use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, Listing, Page};
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use opsdesk_app::users::{CreateUser, UpdateUser};
use opsdesk_store::users::User;

pub fn router() -> Router<WebState> {
    Router::new().route("/api/v1/users", get(list).post(create)).route("/api/v1/users/{id}", get(show).patch(update))
}

async fn list(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Listing<User>>> {
    let limit = page.limit();
    let users = s.app.users(&auth.actor, page.after_id()?, limit).await?;
    Ok(Json(Listing::by_id(users, limit, |u| u.id)))
}

async fn create(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let user = s.app.create_user(&auth.actor, body).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

async fn show(State(s): State<WebState>, Caller(auth): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<User>> {
    Ok(Json(s.app.user(&auth.actor, id).await?))
}

async fn update(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> ApiResult<Json<User>> {
    Ok(Json(s.app.update_user(&auth.actor, id, body).await?))
}
