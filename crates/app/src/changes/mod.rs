//! Change management: changes logged with their type, template, schedule, plans, risk
//! answers and CIs; their conflicts and the next free window; the CAB's approval by type and
//! risk class; the change calendar and its iCalendar feed; templates, blackouts, maintenance
//! windows and questionnaires; the change reports.

mod cab;
mod calendar;
mod conflicts;
mod create;
mod options;
pub use conflicts::OverrideInput;
pub use options::{ChangeSettingsInput, ChangeSettingsView};
mod record;
mod reports;
pub(crate) mod review;
pub(crate) mod scan;
mod settings;
mod views;

pub use calendar::{CalendarItemView, CalendarQuery, CalendarView, FeedTokenView, MaintenanceSlotView, MarkChoice};
pub use record::{ChangeInput, ChangePatch};
pub use reports::{ChangeReport, ReportRow};
pub use settings::{
    ApprovalPolicyInput, ApprovalPolicyView, BlackoutInput, BlackoutScopeInput, BlackoutView, MaintenanceWindowView,
    QuestionnaireView, TemplateInput, TemplateView,
};
pub use views::{
    ChangeCiView, ChangeView, ConflictView, ConflictsView, LinkedTicketView, OverrideView, RiskView, WindowView,
};

pub(crate) use record::on_moved;

use serde::{Deserialize, Serialize};

/// A task a template creates on each change made from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateTask {
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    /// Runs beside the task before it; by default a task waits for the one before.
    #[serde(default)]
    pub parallel: bool,
}

/// A template's stored tasks.
pub(crate) fn template_tasks(json: &str) -> Vec<TemplateTask> {
    match serde_json::from_str(json) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "stored template tasks are not a list of tasks");
            Vec::new()
        }
    }
}
