//! Groups of agents and their memberships.

use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, Listing, Page};
use crate::openapi::fails;
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use opsdesk_app::groups::CreateGroup;
use opsdesk_app::views::{GroupMemberView, GroupView, GroupWithMembersView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(show)).routes(routes!(add_member, remove_member))
}

#[utoipa::path(
    get, path = "/api/v1/groups", tag = "groups", operation_id = "listGroups", summary = "List groups",
    description = "By id. Agents and admins.",
    params(Page),
    responses((status = 200, description = "A page of groups.", body = Listing<GroupView>), fails::BadRequest, fails::Forbidden),
)]
async fn list(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Listing<GroupView>>> {
    let limit = page.limit();
    let groups = s.app.groups(&auth.actor, page.after_id()?, limit).await?;
    Ok(Json(Listing::by_id(groups.iter().map(GroupView::from).collect(), limit, |g| g.id)))
}

#[utoipa::path(
    post, path = "/api/v1/groups", tag = "groups", operation_id = "createGroup", summary = "Create a group",
    description = "Admins. A taken name answers 422 with `taken`.",
    request_body = CreateGroup,
    responses((status = 201, description = "The new group.", body = GroupView)),
)]
async fn create(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<CreateGroup>,
) -> ApiResult<(StatusCode, Json<GroupView>)> {
    Ok((StatusCode::CREATED, Json(GroupView::from(&s.app.create_group(&auth.actor, body).await?))))
}

#[utoipa::path(
    get, path = "/api/v1/groups/{id}", tag = "groups", operation_id = "getGroup", summary = "Get a group and its members",
    params(("id" = i64, Path, description = "The group's id.")),
    responses((status = 200, description = "The group and its members.", body = GroupWithMembersView), fails::Forbidden, fails::NotFound),
)]
async fn show(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<GroupWithMembersView>> {
    let (group, members) = s.app.group(&auth.actor, id).await?;
    Ok(Json(GroupWithMembersView {
        group: GroupView::from(&group),
        members: members.iter().map(GroupMemberView::from).collect(),
    }))
}

#[utoipa::path(
    put, path = "/api/v1/groups/{id}/members/{user_id}", tag = "groups", operation_id = "addGroupMember",
    summary = "Add a member", description = "Admins. Only agents and admins can be members.",
    params(("id" = i64, Path, description = "The group's id."), ("user_id" = i64, Path, description = "The agent's user id.")),
    responses((status = 204, description = "A member (also when already one)."), fails::NotFound, fails::Invalid),
)]
async fn add_member(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath((id, user_id)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    s.app.add_group_member(&auth.actor, id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    delete, path = "/api/v1/groups/{id}/members/{user_id}", tag = "groups", operation_id = "removeGroupMember",
    summary = "Remove a member", description = "Admins. The agent loses access to the group's tickets at once.",
    params(("id" = i64, Path, description = "The group's id."), ("user_id" = i64, Path, description = "The agent's user id.")),
    responses((status = 204, description = "Not a member any more."), fails::NotFound),
)]
async fn remove_member(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath((id, user_id)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    s.app.remove_group_member(&auth.actor, id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
