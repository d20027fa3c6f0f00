//! The security audit log, for admins.

use crate::extract::{ApiQuery, Caller, Listing};
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use opsdesk_store::audit::{AuditEntry, AuditFilter};

pub fn router() -> Router<WebState> {
    Router::new().route("/api/v1/audit-log", get(list))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Query {
    action: Option<String>,
    user_id: Option<i64>,
    /// Cursor: entries older than this id.
    after: Option<i64>,
    limit: Option<i64>,
}

/// Newest first; `next` continues with older entries.
async fn list(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(q): ApiQuery<Query>,
) -> ApiResult<Json<Listing<AuditEntry>>> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let filter = AuditFilter { action: q.action, subject_user_id: q.user_id, before: q.after, limit };
    let entries = s.app.audit_log(&auth.actor, filter).await?;
    Ok(Json(Listing::by_id(entries, limit, |e| e.id)))
}
