//! A configuration item's own fields: its name and its status.

use crate::validation::FieldError;
use serde::{Deserialize, Serialize};

/// Where a CI is in its life. Retired items stay for history and impact at past instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CiStatus {
    Planned,
    Live,
    Maintenance,
    Retired,
}

impl CiStatus {
    pub const ALL: [CiStatus; 4] = [CiStatus::Planned, CiStatus::Live, CiStatus::Maintenance, CiStatus::Retired];

    pub fn as_str(self) -> &'static str {
        match self {
            CiStatus::Planned => "planned",
            CiStatus::Live => "live",
            CiStatus::Maintenance => "maintenance",
            CiStatus::Retired => "retired",
        }
    }

    pub fn parse(raw: &str) -> Result<CiStatus, FieldError> {
        CiStatus::ALL.into_iter().find(|s| s.as_str() == raw.trim()).ok_or_else(|| {
            FieldError::new("status", "invalid_status", "status is one of planned, live, maintenance, retired")
        })
    }
}

/// A CI's name: 1 to 200 characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiName(String);

impl CiName {
    pub fn parse(raw: &str) -> Result<CiName, FieldError> {
        let s = raw.trim();
        if s.is_empty() || s.chars().count() > 200 || s.chars().any(char::is_control) {
            return Err(FieldError::new(
                "name",
                "invalid_name",
                "a name is 1 to 200 characters, without control characters",
            ));
        }
        Ok(CiName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// How long an item no source reports stays fresh: an admin setting, in whole days, because
/// discovery runs daily or weekly and a finer unit would only invite flapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaleAfter(u32);

impl StaleAfter {
    /// The threshold before an admin names one.
    pub const DEFAULT: StaleAfter = StaleAfter(30);
    /// Ten years: beyond it nothing would ever be flagged.
    pub const MAX_DAYS: u32 = 3650;

    pub fn days(n: i64) -> Result<StaleAfter, FieldError> {
        match u32::try_from(n) {
            Ok(d) if (1..=Self::MAX_DAYS).contains(&d) => Ok(StaleAfter(d)),
            _ => Err(FieldError::new("stale_after_days", "out_of_range", "a whole number of days from 1 to 3650")),
        }
    }

    /// Reads the stored form; a missing or damaged value is the default.
    pub fn from_stored(raw: Option<&str>) -> StaleAfter {
        raw.and_then(|s| s.trim().parse::<i64>().ok()).and_then(|n| StaleAfter::days(n).ok()).unwrap_or(Self::DEFAULT)
    }

    pub fn as_days(self) -> u32 {
        self.0
    }

    pub fn duration(self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.0) * 24 * 3600)
    }
}

impl Default for StaleAfter {
    fn default() -> Self {
        Self::DEFAULT
    }
}
