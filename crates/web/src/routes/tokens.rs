//! API tokens: the caller's own, and (for admins) anyone's.

use crate::extract::{ApiJson, ApiPath, Caller, Listing};
use crate::openapi::fails;
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use opsdesk_app::views::{ApiTokenView, IssueToken, IssuedTokenView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(mine, issue_mine))
        .routes(routes!(of_user, issue_for_user))
        .routes(routes!(revoke))
}

#[utoipa::path(
    get, path = "/api/v1/me/tokens", tag = "tokens", operation_id = "listMyTokens", summary = "The caller's tokens",
    responses((status = 200, description = "The caller's tokens, revoked ones included.", body = Listing<ApiTokenView>)),
)]
async fn mine(State(s): State<WebState>, Caller(auth): Caller) -> ApiResult<Json<Listing<ApiTokenView>>> {
    let tokens = s.app.api_tokens(&auth.actor, auth.user.id).await?;
    Ok(Json(Listing::all(tokens.iter().map(ApiTokenView::from).collect())))
}

#[utoipa::path(
    get, path = "/api/v1/users/{id}/tokens", tag = "tokens", operation_id = "listUserTokens", summary = "A user's tokens",
    description = "Admins, or the user.",
    params(("id" = i64, Path, description = "The user's id.")),
    responses((status = 200, description = "The user's tokens.", body = Listing<ApiTokenView>), fails::Forbidden, fails::NotFound),
)]
async fn of_user(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Listing<ApiTokenView>>> {
    let tokens = s.app.api_tokens(&auth.actor, id).await?;
    Ok(Json(Listing::all(tokens.iter().map(ApiTokenView::from).collect())))
}

async fn issue(
    s: &WebState,
    auth: &opsdesk_app::auth::Authenticated,
    user_id: i64,
    name: &str,
) -> ApiResult<(StatusCode, Json<IssuedTokenView>)> {
    let issued = s.app.issue_api_token(&auth.actor, user_id, name).await?;
    // The secret is shown in this response and never again.
    let view = IssuedTokenView { token: ApiTokenView::from(&issued.token), secret: issued.secret };
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(
    post, path = "/api/v1/me/tokens", tag = "tokens", operation_id = "issueMyToken", summary = "Issue a token for oneself",
    description = "The secret is in this answer only.",
    request_body = IssueToken,
    responses((status = 201, description = "The token and its secret.", body = IssuedTokenView)),
)]
async fn issue_mine(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<IssueToken>,
) -> ApiResult<(StatusCode, Json<IssuedTokenView>)> {
    issue(&s, &auth, auth.user.id, &body.name).await
}

#[utoipa::path(
    post, path = "/api/v1/users/{id}/tokens", tag = "tokens", operation_id = "issueUserToken", summary = "Issue a token for a user",
    description = "Admins. The secret is in this answer only.",
    params(("id" = i64, Path, description = "The user's id.")),
    request_body = IssueToken,
    responses((status = 201, description = "The token and its secret.", body = IssuedTokenView), fails::NotFound),
)]
async fn issue_for_user(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<IssueToken>,
) -> ApiResult<(StatusCode, Json<IssuedTokenView>)> {
    issue(&s, &auth, id, &body.name).await
}

#[utoipa::path(
    delete, path = "/api/v1/tokens/{id}", tag = "tokens", operation_id = "revokeToken", summary = "Revoke a token",
    description = "The token stops working at once. Admins revoke anyone's.",
    params(("id" = i64, Path, description = "The token's id.")),
    responses((status = 200, description = "The revoked token.", body = ApiTokenView), fails::NotFound),
)]
async fn revoke(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ApiTokenView>> {
    Ok(Json(ApiTokenView::from(&s.app.revoke_api_token(&auth.actor, id).await?)))
}
