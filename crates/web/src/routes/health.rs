//! Liveness, readiness and metrics for load balancers and Prometheus.

use crate::WebState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

pub fn router() -> Router<WebState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/metrics", get(metrics))
}

/// The process is up and serving.
async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// The process can do its job: the database answers.
async fn readyz(State(s): State<WebState>) -> impl IntoResponse {
    match s.app.db.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ready", "database": s.app.db.backend().name() }))),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "database": "unreachable" })))
        }
    }
}

async fn metrics(State(s): State<WebState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], s.metrics.render())
}
