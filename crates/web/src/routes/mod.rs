//! The JSON API under `/api/v1`: each resource owns its router, merged here.

use crate::WebState;
use utoipa_axum::router::OpenApiRouter;

mod approvals;
mod audit;
mod auth;
mod catalog;
mod change_settings;
mod changes;
mod cmdb;
mod cmdb_model;
mod desk_config;
mod groups;
pub mod health;
mod jobs;
mod kb;
mod mail;
mod me;
mod organizations;
mod sla;
mod tickets;
mod tokens;
mod users;

pub use auth::{removal_cookie as auth_removal_cookie, session_cookie as auth_cookie};
pub(crate) use sla::to_csv as sla_report_csv;

/// Every resource's routes with their OpenAPI description: each handler is registered with
/// `routes!`, which needs its `#[utoipa::path]`.
pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(me::router())
        .merge(users::router())
        .merge(organizations::router())
        .merge(groups::router())
        .merge(tokens::router())
        .merge(audit::router())
        .merge(jobs::router())
        .merge(tickets::router())
        .merge(desk_config::router())
        .merge(cmdb::router())
        .merge(changes::router())
        .merge(sla::router())
        .merge(kb::router())
        .merge(mail::router())
        .merge(approvals::router())
        .merge(catalog::router())
}
