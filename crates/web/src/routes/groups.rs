//! Groups of agents and their memberships.

use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, Listing, Page};
use crate::openapi::fails;
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use opsdesk_app::group_changes::UpdateGroup;
use opsdesk_app::groups::CreateGroup;
use opsdesk_app::views::{GroupMemberView, GroupView, GroupWithMembersView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, delete))
        .routes(routes!(add_member, remove_member))
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

#[utoipa::path(
    patch, path = "/api/v1/groups/{id}", tag = "groups", operation_id = "updateGroup", summary = "Change a group",
    description = "Admins. Rename (a taken name answers 422 with `taken`), describe, or name a lead: a member of the \
                   group (422 `not_a_member` otherwise), whom escalations with `notify_group_lead` tell. \
                   `lead_user_id: null` removes the lead; removing the lead from the group does too.",
    params(("id" = i64, Path, description = "The group's id.")),
    request_body = UpdateGroup,
    responses((status = 200, description = "The changed group.", body = GroupView), fails::NotFound),
)]
async fn update(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UpdateGroup>,
) -> ApiResult<Json<GroupView>> {
    Ok(Json(GroupView::from(&s.app.update_group(&auth.actor, id, body).await?)))
}

#[utoipa::path(
    delete, path = "/api/v1/groups/{id}", tag = "groups", operation_id = "deleteGroup", summary = "Delete a group",
    description = "Admins. Refused with 409 `group_in_use` while anything uses the group (members, tickets, group \
                   queues, a desk's default group, SLA policies, approval templates, change approval policies or \
                   change templates that name it); the detail lists each reason in words.",
    params(("id" = i64, Path, description = "The group's id.")),
    responses((status = 204, description = "Deleted."), fails::NotFound, fails::Conflict),
)]
async fn delete(State(s): State<WebState>, Caller(auth): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    s.app.delete_group(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
