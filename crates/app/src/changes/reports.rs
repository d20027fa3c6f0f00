//! Change reports for continual improvement: how many changes succeeded, how many caused
//! incidents, how many were emergencies, and how long they waited between being logged and
//! being implemented, over the changes logged in a range.

use crate::cmdb::require_agent;
use crate::{App, AppError, Result};
use opsdesk_domain::change::ChangeType;
use opsdesk_domain::{Actor, FieldError};
use opsdesk_store::Ts;
use serde::Serialize;
use serde_json::Value;

/// One line of the report: every change, or those of one type.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ChangeReportRow)]
pub struct ReportRow {
    /// `all`, `standard`, `normal` or `emergency`.
    #[serde(rename = "type")]
    pub change_type: String,
    pub logged: i64,
    /// Reviewed with an outcome, or failed.
    pub reviewed: i64,
    pub successful: i64,
    pub partial: i64,
    pub failed: i64,
    /// successful / reviewed, 0 to 1; null when none was reviewed.
    pub success_rate: Option<f64>,
    /// Changes named as the cause of at least one incident.
    pub caused_incidents: i64,
    /// Mean hours from logging to the start of implementation; null when none started.
    pub mean_lead_time_hours: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChangeReport {
    #[schema(value_type = String, format = DateTime)]
    pub from: Ts,
    #[schema(value_type = String, format = DateTime)]
    pub to: Ts,
    /// Emergency changes among all logged, 0 to 1; null when none was logged.
    pub emergency_share: Option<f64>,
    pub rows: Vec<ReportRow>,
}

impl ChangeReport {
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "type,logged,reviewed,successful,partial,failed,success_rate,caused_incidents,mean_lead_time_hours\n",
        );
        let opt = |v: Option<f64>| v.map(|x| format!("{x:.3}")).unwrap_or_default();
        for r in &self.rows {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{}\n",
                r.change_type,
                r.logged,
                r.reviewed,
                r.successful,
                r.partial,
                r.failed,
                opt(r.success_rate),
                r.caused_incidents,
                opt(r.mean_lead_time_hours)
            ));
        }
        out
    }
}

impl App {
    /// The change report over changes logged in `[from, to)` (agents and admins; counts
    /// cover every change, as the CAB sees them).
    pub async fn change_report(&self, actor: &Actor, from: &str, to: &str) -> Result<ChangeReport> {
        require_agent(actor)?;
        let mut c = opsdesk_domain::validation::Checks::new();
        let f = c.take(crate::instant_or_date(from, "from"));
        let t = c.take(crate::instant_or_date(to, "to"));
        if let (Some(f), Some(t)) = (f, t) {
            if t <= f {
                c.push(FieldError::new("to", "before_start", "to is after from"));
            }
        }
        c.finish()?;
        let (Some(from), Some(to)) = (f, t) else {
            return Err(AppError::Internal("validated range is incomplete".into()));
        };
        let changes = self.db.changes_logged(from, to).await?;
        let mut rows = Vec::new();
        for ty in [None, Some(ChangeType::Standard), Some(ChangeType::Normal), Some(ChangeType::Emergency)] {
            let of: Vec<_> = changes.iter().filter(|c| ty.is_none_or(|t| c.change_type == t.as_str())).collect();
            let outcome = |c: &&opsdesk_store::changes::FinishedChange| -> Option<String> {
                if c.status == "failed" {
                    return Some("failed".into());
                }
                let d: Value = serde_json::from_str(c.detail.as_deref()?).ok()?;
                d.get("review_outcome").and_then(Value::as_str).map(str::to_string)
            };
            let outcomes: Vec<String> = of.iter().filter_map(outcome).collect();
            let count = |o: &str| outcomes.iter().filter(|x| x.as_str() == o).count() as i64;
            let reviewed = outcomes.len() as i64;
            let successful = count("successful");
            let leads: Vec<f64> = of
                .iter()
                .filter_map(|c| c.actual_start.map(|s| (s.micros() - c.created_at.micros()) as f64 / 3.6e9))
                .collect();
            rows.push(ReportRow {
                change_type: ty.map_or("all", ChangeType::as_str).to_string(),
                logged: of.len() as i64,
                reviewed,
                successful,
                partial: count("partial"),
                failed: count("failed"),
                success_rate: (reviewed > 0).then(|| successful as f64 / reviewed as f64),
                caused_incidents: of.iter().filter(|c| c.incidents > 0).count() as i64,
                mean_lead_time_hours: (!leads.is_empty()).then(|| leads.iter().sum::<f64>() / leads.len() as f64),
            });
        }
        let all = changes.len();
        let emergencies = changes.iter().filter(|c| c.change_type == "emergency").count();
        Ok(ChangeReport { from, to, emergency_share: (all > 0).then(|| emergencies as f64 / all as f64), rows })
    }
}
