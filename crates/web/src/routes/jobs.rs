//! The job queue for operators: list jobs by state (`dead` is the dead-letter list) and retry
//! dead ones.

use crate::extract::{ApiPath, ApiQuery, Caller, Listing};
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use opsdesk_store::jobs::Job;

pub fn router() -> Router<WebState> {
    Router::new().route("/api/v1/jobs", get(list)).route("/api/v1/jobs/{id}/retry", post(retry))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Query {
    state: Option<String>,
    after: Option<i64>,
    limit: Option<i64>,
}

async fn list(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(q): ApiQuery<Query>,
) -> ApiResult<Json<Listing<Job>>> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let jobs = s.app.jobs(&auth.actor, q.state.as_deref(), q.after, limit).await?;
    Ok(Json(Listing::by_id(jobs, limit, |j| j.id)))
}

async fn retry(State(s): State<WebState>, Caller(auth): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Job>> {
    Ok(Json(s.app.retry_job(&auth.actor, id).await?))
}
