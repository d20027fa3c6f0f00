//! The security audit log, for admins.

use crate::extract::{ApiQuery, Caller, Listing};
use crate::openapi::fails;
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::Json;
use opsdesk_app::views::AuditEntryView;
use opsdesk_store::audit::AuditFilter;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<WebState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct Query {
    /// Only entries of this action (`login.failed`, ...).
    action: Option<String>,
    /// Only entries about this user.
    user_id: Option<i64>,
    /// Cursor: entries older than this id (the `next` of the previous page).
    after: Option<i64>,
    /// Page size, 1 to 500 (50 by default); out-of-range values are clamped.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// Newest first; `next` continues with older entries.
#[utoipa::path(
    get, path = "/api/v1/audit-log", tag = "audit", operation_id = "listAuditLog", summary = "The audit log",
    description = "Newest first. Admins.",
    params(Query),
    responses((status = 200, description = "A page of entries.", body = Listing<AuditEntryView>), fails::BadRequest, fails::Forbidden),
)]
async fn list(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(q): ApiQuery<Query>,
) -> ApiResult<Json<Listing<AuditEntryView>>> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let filter = AuditFilter { action: q.action, subject_user_id: q.user_id, before: q.after, limit };
    let entries = s.app.audit_log(&auth.actor, filter).await?;
    Ok(Json(Listing::by_id(entries.iter().map(AuditEntryView::from).collect(), limit, |e| e.id)))
}
