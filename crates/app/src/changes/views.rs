//! Changes as the API shows them.

use opsdesk_domain::change::{Conflict, RiskFactor, Window};
use opsdesk_store::changes::LinkedTicket;
use opsdesk_store::Ts;
use serde::Serialize;
use serde_json::{Map, Value};

/// A change's own record, on the ticket (`change`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Change)]
pub struct ChangeView {
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "normal")]
    pub change_type: &'static str,
    pub template_id: Option<i64>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub planned_start: Option<Ts>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub planned_end: Option<Ts>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub actual_start: Option<Ts>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub actual_end: Option<Ts>,
    pub risk: RiskView,
    /// The risk questionnaire's answers, by question key.
    #[schema(value_type = Object)]
    pub risk_answers: Map<String, Value>,
    /// The affected CIs.
    pub cis: Vec<ChangeCiView>,
    /// The window's conflicts now, each saying whether the override covers it.
    pub conflicts: Vec<ConflictView>,
    /// The override of the conflicts, when one was given.
    pub conflicts_override: Option<OverrideView>,
    /// The earliest window of the same length without conflicts, when the window has some.
    pub next_free_window: Option<WindowView>,
    /// The problems this change fixes (`fixes` links) that the caller may see.
    pub fixes: Vec<LinkedTicketView>,
    /// The incidents linked as caused by this change (`caused_by` links to it) that the
    /// caller may see.
    pub caused_incidents: Vec<LinkedTicketView>,
    /// All the incidents caused, including those of groups the caller does not see.
    pub caused_incident_count: usize,
    /// The change caused incidents: its review must account for them (a successful outcome
    /// says why under `detail.incident_review`, or the outcome is partial or failed).
    pub flagged_for_review: bool,
}

/// A ticket a change is linked with.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ChangeLinkedTicket)]
pub struct LinkedTicketView {
    pub id: i64,
    pub number: String,
    pub title: String,
    #[schema(example = "problem")]
    pub kind: String,
    pub status: String,
}

impl From<&LinkedTicket> for LinkedTicketView {
    fn from(t: &LinkedTicket) -> Self {
        LinkedTicketView {
            id: t.id,
            number: t.number.clone(),
            title: t.title.clone(),
            kind: t.kind.as_str().into(),
            status: t.status.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChangeCiView {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ChangeRisk)]
pub struct RiskView {
    /// 0 to 100.
    pub score: i64,
    /// `low`, `medium`, `high` or `very_high`.
    pub class: String,
    /// How each factor contributed.
    pub factors: Vec<RiskFactor>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ChangeConflict)]
pub struct ConflictView {
    /// `ci_overlap`, `dependency_overlap`, `assignee_booked`, `blackout` or `outside_maintenance`.
    pub kind: &'static str,
    /// What it conflicts with: a change's number, a blackout's name, a CI's name.
    pub with: String,
    pub detail: String,
    /// The other change, for overlaps.
    pub change_id: Option<i64>,
    /// The CI the conflict is on.
    pub ci_id: Option<i64>,
    /// For a dependency overlap: the CI names from this change's CI to the other's.
    pub path: Vec<String>,
    /// Whether the override's reason covers this conflict.
    pub overridden: bool,
}

impl ConflictView {
    pub(crate) fn of(c: &Conflict, covered: &[String]) -> Self {
        ConflictView {
            kind: c.kind.as_str(),
            with: c.with.clone(),
            detail: c.detail.clone(),
            change_id: c.change_id,
            ci_id: c.ci_id,
            path: c.path.clone(),
            overridden: covered.contains(&c.key()),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OverrideView {
    pub reason: String,
    pub by: Option<i64>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<Ts>,
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct WindowView {
    #[schema(value_type = String, format = DateTime)]
    pub start: Ts,
    #[schema(value_type = String, format = DateTime)]
    pub end: Ts,
}

impl From<Window> for WindowView {
    fn from(w: Window) -> Self {
        WindowView { start: Ts(w.start), end: Ts(w.end) }
    }
}

/// `GET /api/v1/changes/{id}/conflicts`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConflictsView {
    pub conflicts: Vec<ConflictView>,
    pub conflicts_override: Option<OverrideView>,
    pub next_free_window: Option<WindowView>,
}
