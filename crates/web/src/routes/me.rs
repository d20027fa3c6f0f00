//! The caller's own profile.

use crate::extract::{ApiJson, Caller};
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use opsdesk_app::users::UpdateUser;
use serde_json::{json, Value};

pub fn router() -> Router<WebState> {
    Router::new().route("/api/v1/me", get(me).patch(update_me))
}

async fn me(Caller(auth): Caller) -> Json<Value> {
    Json(json!({
        "user": auth.user,
        "group_ids": auth.actor.group_ids,
        "csrf_token": auth.csrf_token,
    }))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateMe {
    name: Option<String>,
    time_zone: Option<String>,
    locale: Option<String>,
    password: Option<String>,
}

async fn update_me(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<UpdateMe>,
) -> ApiResult<Json<Value>> {
    let id = auth.user.id;
    let input = UpdateUser {
        name: body.name,
        time_zone: body.time_zone,
        locale: body.locale,
        password: body.password,
        ..Default::default()
    };
    let user = s.app.update_user(&auth.actor, id, input).await?;
    Ok(Json(json!({ "user": user })))
}
