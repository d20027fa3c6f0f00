//! The HTTP edge of Opsdesk: the JSON API under `/api/v1`, the server-rendered pages, health
//! and metrics. Handlers parse input into domain types, call one application command, and
//! render the outcome; they hold no rules of their own.
#![forbid(unsafe_code)]

mod extract;
mod layers;
mod openapi;
mod pages;
mod problem;
mod reset_pages;
mod routes;
mod ui;

pub use openapi::document as openapi_document;
pub use problem::Problem;

use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use opsdesk_app::App;
use std::net::SocketAddr;
use std::sync::OnceLock;
use tokio::net::TcpListener;

/// Settings of the HTTP edge.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (set when the server is reached over HTTPS).
    pub cookie_secure: bool,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct WebState {
    pub app: App,
    pub config: WebConfig,
    pub metrics: PrometheusHandle,
}

impl WebState {
    pub fn new(app: App, config: WebConfig) -> Self {
        WebState { app, config, metrics: metrics_handle() }
    }
}

/// The process-wide Prometheus recorder: installed once, shared by every router built in the
/// process (tests build many).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
                .set_buckets(&[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0])
                .map(|b| b.build_recorder())
                .unwrap_or_else(|_| metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// The whole HTTP application: every resource's router merged, wrapped in the common layers.
pub fn router(state: WebState) -> Router {
    let (api, _) = openapi::api_router().split_for_parts();
    let api = api.layer(axum::middleware::map_response(problem::as_problem));
    // Pages are private to who is signed in: never stored, so Back after sign-out shows
    // nothing (assets set their own caching first).
    let no_store = || {
        tower_http::set_header::SetResponseHeaderLayer::if_not_present(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        )
    };
    let app = Router::new()
        .merge(api)
        .merge(pages::router().layer(no_store()))
        .merge(reset_pages::router().layer(no_store()))
        .merge(ui::router().layer(no_store()))
        .fallback(pages::not_found);
    layers::wrap(app, state.clone()).with_state(state)
}

/// Serves `router` on `listener` until `shutdown` resolves, then drains open requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
