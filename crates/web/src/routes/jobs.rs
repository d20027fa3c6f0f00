//! The job queue for operators: list jobs by state (`dead` is the dead-letter list) and retry
//! dead ones.

use crate::extract::{ApiPath, ApiQuery, Caller, Listing};
use crate::openapi::fails;
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::Json;
use opsdesk_app::views::{JobState, JobView};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(retry))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct Query {
    /// Only jobs in this state.
    #[param(value_type = Option<JobState>)]
    state: Option<String>,
    /// Cursor: jobs older than this id.
    after: Option<i64>,
    /// Page size, 1 to 500 (50 by default); out-of-range values are clamped.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

#[utoipa::path(
    get, path = "/api/v1/jobs", tag = "jobs", operation_id = "listJobs", summary = "List jobs",
    description = "Newest first. Admins. `state=dead` is the dead-letter list.",
    params(Query),
    responses((status = 200, description = "A page of jobs.", body = Listing<JobView>), fails::BadRequest, fails::Forbidden, fails::Invalid),
)]
async fn list(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(q): ApiQuery<Query>,
) -> ApiResult<Json<Listing<JobView>>> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let jobs = s.app.jobs(&auth.actor, q.state.as_deref(), q.after, limit).await?;
    Ok(Json(Listing::by_id(jobs.iter().map(JobView::from).collect(), limit, |j| j.id)))
}

#[utoipa::path(
    post, path = "/api/v1/jobs/{id}/retry", tag = "jobs", operation_id = "retryJob", summary = "Retry a dead job",
    description = "Admins. Only dead jobs (409 `job_not_dead` otherwise).",
    params(("id" = i64, Path, description = "The job's id.")),
    responses((status = 200, description = "The job, queued again.", body = JobView), fails::NotFound, fails::Conflict),
)]
async fn retry(State(s): State<WebState>, Caller(auth): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<JobView>> {
    Ok(Json(JobView::from(&s.app.retry_job(&auth.actor, id).await?)))
}
