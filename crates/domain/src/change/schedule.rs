//! Change windows and the search for the next free one.

use crate::sla::BusinessCalendar;
use crate::validation::FieldError;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

/// A planned or actual window: from `start` (included) to `end` (excluded), so two windows
/// that only touch do not overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// How far ahead the next free window is looked for.
const SEARCH_DAYS: i64 = 366;
/// A bound on the steps of the search, whatever the data.
const MAX_STEPS: usize = 100_000;

impl Window {
    /// A window that ends after it starts; errors name `end_field`.
    pub fn new(start: Timestamp, end: Timestamp, end_field: &str) -> Result<Window, FieldError> {
        if end <= start {
            return Err(FieldError::new(end_field, "before_start", "the window must end after it starts"));
        }
        Ok(Window { start, end })
    }

    pub fn overlaps(&self, other: &Window) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn duration(&self) -> SignedDuration {
        self.end.duration_since(self.start)
    }

    fn at(&self, start: Timestamp) -> Window {
        Window { start, end: start + self.duration() }
    }
}

/// The earliest window as long as `wanted`, starting at or after its start, that overlaps no
/// `busy` window and lies inside every calendar of `within` (the maintenance windows of the
/// affected CIs), and ends by `known_until`: `busy` holds every window that starts before it,
/// so only a window ending by then is known to be free. `None` when there is none before
/// `known_until` or in the next year.
pub fn next_free_window(
    wanted: Window,
    busy: &[Window],
    within: &[&BusinessCalendar],
    known_until: Timestamp,
) -> Option<Window> {
    let horizon = wanted.start + SignedDuration::from_hours(24 * SEARCH_DAYS);
    let mut candidate = wanted;
    for _ in 0..MAX_STEPS {
        if candidate.start > horizon || candidate.end > known_until {
            return None;
        }
        // The latest instant a blocker says the window may start at; none when it is free.
        let mut later: Option<Timestamp> = None;
        for b in busy.iter().filter(|b| b.overlaps(&candidate)) {
            later = Some(later.map_or(b.end, |l: Timestamp| l.max(b.end)));
        }
        for cal in within {
            if cal.covers(candidate.start, candidate.end) {
                continue;
            }
            // Start at the next working stretch that begins after this one fails to hold
            // the window.
            let next = match cal.working_until(candidate.start) {
                Some(until) => cal.next_working_instant(until).ok()?,
                None => cal.next_working_instant(candidate.start).ok()?,
            };
            let next = if next <= candidate.start { candidate.start + SignedDuration::from_secs(60) } else { next };
            later = Some(later.map_or(next, |l| l.max(next)));
        }
        match later {
            None => return Some(candidate),
            Some(t) => candidate = candidate.at(t),
        }
    }
    None
}
