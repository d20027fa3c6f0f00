//! How long approvers get: when a reminder goes out, when the approver's manager hears of it,
//! and how long an email link works. Installation-wide, changed by admins.

use crate::{emit, App, AppError, Result};
use opsdesk_domain::validation::Checks;
use opsdesk_domain::{Actor, FieldError, Permission};
use opsdesk_store::Ts;
use serde::{Deserialize, Serialize};

const KEY: &str = "approval_settings";

/// How long approvers get: seconds, 1 to a year (31622400) each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalSettings {
    /// An approver who has not decided this long after their stage started is reminded once.
    #[schema(minimum = 1, maximum = 31_622_400)]
    pub remind_after_secs: i64,
    /// After this long, the approver's manager is told once (escalation); not before the
    /// reminder.
    #[schema(minimum = 1, maximum = 31_622_400)]
    pub escalate_after_secs: i64,
    /// How long a signed email link works (7 days by default).
    #[schema(minimum = 1, maximum = 31_622_400)]
    pub link_ttl_secs: i64,
}

impl Default for ApprovalSettings {
    fn default() -> Self {
        ApprovalSettings {
            remind_after_secs: 24 * 3600,
            escalate_after_secs: 3 * 24 * 3600,
            link_ttl_secs: 7 * 24 * 3600,
        }
    }
}

impl App {
    pub async fn approval_settings(&self) -> Result<ApprovalSettings> {
        Ok(match self.db.setting(KEY).await? {
            Some(s) => opsdesk_store::stored_json("approval settings", &s)?,
            None => ApprovalSettings::default(),
        })
    }

    pub async fn set_approval_settings(&self, actor: &Actor, s: ApprovalSettings) -> Result<ApprovalSettings> {
        if !actor.can(Permission::ManageIdentities) {
            return Err(AppError::Forbidden);
        }
        let year = 366 * 24 * 3600;
        let mut checks = Checks::new();
        for (field, v) in [
            ("remind_after_secs", s.remind_after_secs),
            ("escalate_after_secs", s.escalate_after_secs),
            ("link_ttl_secs", s.link_ttl_secs),
        ] {
            if !(1..=year).contains(&v) {
                checks.push(FieldError::new(field, "out_of_range", "between 1 second and a year"));
            }
        }
        if s.escalate_after_secs < s.remind_after_secs {
            checks.push(FieldError::new(
                "escalate_after_secs",
                "before_reminder",
                "escalation comes after the reminder",
            ));
        }
        checks.finish()?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let value = serde_json::to_string(&s).map_err(|e| AppError::Internal(e.to_string()))?;
        tx.put_setting(KEY, &value).await?;
        emit(&mut tx, "settings.updated", "settings:approvals".into(), actor, serde_json::json!({}), now).await?;
        tx.commit().await?;
        Ok(s)
    }
}
