//! API tokens: the caller's own, and (for admins) anyone's.

use crate::extract::{ApiJson, ApiPath, Caller};
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use opsdesk_store::tokens::ApiToken;
use serde_json::{json, Value};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/api/v1/me/tokens", get(mine).post(issue_mine))
        .route("/api/v1/users/{id}/tokens", get(of_user).post(issue_for_user))
        .route("/api/v1/tokens/{id}", delete(revoke))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueToken {
    name: String,
}

async fn mine(State(s): State<WebState>, Caller(auth): Caller) -> ApiResult<Json<Value>> {
    let tokens = s.app.api_tokens(&auth.actor, auth.user.id).await?;
    Ok(Json(json!({ "items": tokens, "next": null })))
}

async fn of_user(State(s): State<WebState>, Caller(auth): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Value>> {
    let tokens = s.app.api_tokens(&auth.actor, id).await?;
    Ok(Json(json!({ "items": tokens, "next": null })))
}

async fn issue(
    s: &WebState,
    auth: &opsdesk_app::auth::Authenticated,
    user_id: i64,
    name: &str,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let issued = s.app.issue_api_token(&auth.actor, user_id, name).await?;
    // The secret is shown in this response and never again.
    Ok((StatusCode::CREATED, Json(json!({ "token": issued.token, "secret": issued.secret }))))
}

async fn issue_mine(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<IssueToken>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    issue(&s, &auth, auth.user.id, &body.name).await
}

async fn issue_for_user(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<IssueToken>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    issue(&s, &auth, id, &body.name).await
}

async fn revoke(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ApiToken>> {
    Ok(Json(s.app.revoke_api_token(&auth.actor, id).await?))
}
