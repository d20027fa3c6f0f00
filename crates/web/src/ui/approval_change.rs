//! A change as the CAB sees it beside an approval (the Approvals page and the signed-link
//! page): type, planned window in the reader's time zone, risk score and class with how each
//! factor contributed, the affected CIs, and the conflicts with their override.

use super::agent_change::local;
use super::view::words;
use opsdesk_app::changes::ChangeView;

pub struct CabConflict {
    pub kind: String,
    pub with: String,
    pub detail: String,
    pub overridden: bool,
}

/// What the approval shows of its change.
pub struct CabChange {
    pub change_type: String,
    pub window: String,
    pub risk_score: i64,
    pub risk_class: String,
    pub factors: Vec<(String, u32, String)>,
    pub cis: Vec<(i64, String)>,
    pub conflicts: Vec<CabConflict>,
    pub override_reason: Option<String>,
}

impl CabChange {
    pub fn of(c: &ChangeView, zone: &str) -> CabChange {
        CabChange {
            change_type: c.change_type.to_string(),
            window: match (c.planned_start, c.planned_end) {
                (Some(s), Some(e)) => format!("{} to {}", local(s, zone), local(e, zone)),
                _ => "not planned yet".into(),
            },
            risk_score: c.risk.score,
            risk_class: words(&c.risk.class),
            factors: c.risk.factors.iter().map(|f| (f.factor.clone(), f.points, f.detail.clone())).collect(),
            cis: c.cis.iter().map(|x| (x.id, x.name.clone())).collect(),
            conflicts: c
                .conflicts
                .iter()
                .map(|x| CabConflict {
                    kind: words(x.kind),
                    with: x.with.clone(),
                    detail: x.detail.clone(),
                    overridden: x.overridden,
                })
                .collect(),
            override_reason: c.conflicts_override.as_ref().map(|o| o.reason.clone()),
        }
    }
}
