//! Delegation: a person names someone to decide approvals on their behalf for a while
//! (holidays). The window is `[from, until)`; without `until` it lasts until cleared.

use crate::validation::FieldError;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delegation {
    /// Who delegates (the approver).
    pub user_id: i64,
    /// Who may decide for them.
    pub delegate_id: i64,
    pub from: Timestamp,
    pub until: Option<Timestamp>,
}

impl Delegation {
    /// Checks a new delegation: not to oneself, and a window that ends after it starts.
    pub fn new(user_id: i64, delegate_id: i64, from: Timestamp, until: Option<Timestamp>) -> Result<Self, FieldError> {
        if user_id == delegate_id {
            return Err(FieldError::new("user", "self_delegation", "you cannot delegate to yourself"));
        }
        if until.is_some_and(|u| u <= from) {
            return Err(FieldError::new("until", "before_start", "until must be after from"));
        }
        Ok(Delegation { user_id, delegate_id, from, until })
    }

    /// Whether the delegate may act for the user at `now`.
    pub fn active_at(&self, now: Timestamp) -> bool {
        self.from <= now && self.until.is_none_or(|u| now < u)
    }
}

/// Reads a window bound: an instant (`2026-12-24T08:00:00Z`) or a date (`2026-12-24`) in the
/// person's time zone. A date as `until` includes that whole day (the bound is the next
/// midnight), so "from 24 to 26 December" covers the 26th.
pub fn parse_bound(raw: &str, tz: &TimeZone, until: bool, field: &str) -> Result<Timestamp, FieldError> {
    let raw = raw.trim();
    if let Ok(t) = raw.parse::<Timestamp>() {
        return Ok(t);
    }
    let bad = || FieldError::new(field, "invalid_date", "a date (2026-12-24) or an instant (2026-12-24T08:00:00Z)");
    let date: Date = raw.parse().map_err(|_| bad())?;
    let day = if until { date.tomorrow().map_err(|_| bad())? } else { date };
    day.to_zoned(tz.clone()).map(|z| z.timestamp()).map_err(|_| bad())
}
