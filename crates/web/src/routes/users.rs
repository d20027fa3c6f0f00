//! People: listed by agents and admins, managed by admins.

use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, Listing, Page};
use crate::openapi::fails;
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use opsdesk_app::users::{CreateUser, UpdateUser, UserView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update))
        .routes(routes!(send_password_reset))
}

#[utoipa::path(
    get, path = "/api/v1/users", tag = "users", operation_id = "listUsers", summary = "List users",
    description = "By id. Agents and admins.",
    params(Page),
    responses((status = 200, description = "A page of users.", body = Listing<UserView>), fails::BadRequest, fails::Forbidden),
)]
async fn list(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Listing<UserView>>> {
    let limit = page.limit();
    let users = s.app.users(&auth.actor, page.after_id()?, limit).await?;
    Ok(Json(Listing::by_id(users.iter().map(UserView::from).collect(), limit, |u| u.id)))
}

#[utoipa::path(
    post, path = "/api/v1/users", tag = "users", operation_id = "createUser", summary = "Create a user",
    description = "Admins. A taken email answers 422 with `taken`.",
    request_body = CreateUser,
    responses((status = 201, description = "The new user.", body = UserView)),
)]
async fn create(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let user = s.app.create_user(&auth.actor, body).await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&user))))
}

#[utoipa::path(
    get, path = "/api/v1/users/{id}", tag = "users", operation_id = "getUser", summary = "Get a user",
    description = "Requesters see only themselves.",
    params(("id" = i64, Path, description = "The user's id.")),
    responses((status = 200, description = "The user.", body = UserView), fails::NotFound),
)]
async fn show(State(s): State<WebState>, Caller(auth): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<UserView>> {
    Ok(Json(UserView::from(&s.app.user(&auth.actor, id).await?)))
}

#[utoipa::path(
    patch, path = "/api/v1/users/{id}", tag = "users", operation_id = "updateUser", summary = "Change a user",
    description = "Admins change anything (a taken email answers 422 with `taken`); people change their own name, \
                   time zone, locale and password.",
    params(("id" = i64, Path, description = "The user's id.")),
    request_body = UpdateUser,
    responses((status = 200, description = "The changed user.", body = UserView), fails::NotFound),
)]
async fn update(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(UserView::from(&s.app.update_user(&auth.actor, id, body).await?)))
}

#[utoipa::path(
    post, path = "/api/v1/users/{id}/password-reset", tag = "users", operation_id = "sendPasswordReset",
    summary = "Send a password-reset link",
    description = "Admins. Emails the user a single-use link that works for one hour (replacing any earlier link), \
                   instead of typing a password for them. A deactivated user answers 409 `user_inactive`.",
    params(("id" = i64, Path, description = "The user's id.")),
    responses((status = 202, description = "The link is on its way."), fails::NotFound, fails::Conflict),
)]
async fn send_password_reset(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.app.send_password_reset(&auth.actor, id).await?;
    Ok(StatusCode::ACCEPTED)
}
