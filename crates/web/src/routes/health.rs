//! Liveness, readiness and metrics for load balancers and Prometheus.

use crate::openapi::OPERATIONS;
use crate::WebState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz)).routes(routes!(metrics))
}

/// The answer of `/healthz`.
#[derive(Serialize, ToSchema)]
struct Liveness {
    #[schema(value_type = String, pattern = "^ok$")]
    status: &'static str,
}

/// The answer of `/readyz`.
#[derive(Serialize, ToSchema)]
struct Readiness {
    /// `ready`, or `unavailable` with 503.
    #[schema(value_type = String)]
    status: &'static str,
    /// The backend's name (`sqlite`, `postgres`), or `unreachable`.
    #[schema(value_type = String)]
    database: &'static str,
}

/// The process is up and serving.
#[utoipa::path(
    get, path = "/healthz", tag = OPERATIONS, operation_id = "healthz", summary = "Liveness",
    description = "The process is up and serving; it does not touch the database.",
    security(()),
    responses((status = 200, description = "Serving.", body = Liveness)),
)]
async fn healthz() -> impl IntoResponse {
    Json(Liveness { status: "ok" })
}

/// The process can do its job: the database answers.
#[utoipa::path(
    get, path = "/readyz", tag = OPERATIONS, operation_id = "readyz", summary = "Readiness",
    description = "The database answers.",
    security(()),
    responses(
        (status = 200, description = "Ready.", body = Readiness),
        (status = 503, description = "The database does not answer.", body = Readiness),
    ),
)]
async fn readyz(State(s): State<WebState>) -> impl IntoResponse {
    match s.app.db.ping().await {
        Ok(()) => (StatusCode::OK, Json(Readiness { status: "ready", database: s.app.db.backend().name() })),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(Readiness { status: "unavailable", database: "unreachable" }))
        }
    }
}

#[utoipa::path(
    get, path = "/metrics", tag = OPERATIONS, operation_id = "metrics", summary = "Prometheus metrics",
    security(()),
    responses((status = 200, description = "The Prometheus text format.", content_type = "text/plain", body = String)),
)]
async fn metrics(State(s): State<WebState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], s.metrics.render())
}
