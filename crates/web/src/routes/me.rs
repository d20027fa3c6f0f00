//! The caller's own profile.

use crate::extract::{ApiJson, Caller};
use crate::openapi::fails;
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::Json;
use opsdesk_app::users::{UpdateUser, UserView};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new().routes(routes!(me, update_me))
}

/// The caller, their groups and the CSRF token to echo on writes.
#[derive(Serialize, ToSchema)]
struct Me {
    user: UserView,
    group_ids: Vec<i64>,
    /// Echo as `X-CSRF-Token` on writes made with the session cookie; null with an API token.
    csrf_token: Option<String>,
}

/// A user in an envelope.
#[derive(Serialize, ToSchema)]
struct UserEnvelope {
    user: UserView,
}

#[utoipa::path(
    get, path = "/api/v1/me", tag = "me", operation_id = "getMe", summary = "The caller",
    responses((status = 200, description = "The caller, their groups and CSRF token.", body = Me)),
)]
async fn me(Caller(auth): Caller) -> Json<Me> {
    Json(Me { user: UserView::from(&auth.user), group_ids: auth.actor.group_ids.clone(), csrf_token: auth.csrf_token })
}

/// What people may change of their own profile.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateMe {
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    name: Option<String>,
    /// IANA time zone name, such as `Europe/Paris`.
    #[schema(min_length = 1)]
    time_zone: Option<String>,
    /// Language tag, such as `en` or `en-GB`.
    #[schema(max_length = 35, pattern = "^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    locale: Option<String>,
    /// A new password ends the caller's sessions.
    #[schema(min_length = 10, max_length = 1024)]
    password: Option<String>,
}

#[utoipa::path(
    patch, path = "/api/v1/me", tag = "me", operation_id = "updateMe", summary = "Change one's own profile",
    description = "A new password ends the caller's sessions.",
    request_body = UpdateMe,
    responses((status = 200, description = "The changed profile.", body = UserEnvelope), fails::NotFound),
)]
async fn update_me(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<UpdateMe>,
) -> ApiResult<Json<UserEnvelope>> {
    let id = auth.user.id;
    let input = UpdateUser {
        name: body.name,
        time_zone: body.time_zone,
        locale: body.locale,
        password: body.password,
        ..Default::default()
    };
    let user = s.app.update_user(&auth.actor, id, input).await?;
    Ok(Json(UserEnvelope { user: UserView::from(&user) }))
}
