//! How SLA targets read on a page: remaining business time in human units (`2h 15m left`,
//! `45m overdue`), due instants in the viewer's time zone, a state badge, and the clock
//! history. Shared by the agent's and the requester's ticket pages and the queue.

use opsdesk_app::sla::{SlaHistoryEntry, SlaTargetView};
use opsdesk_store::Ts;

/// A duration in seconds as days, hours and minutes of the largest two units: `1d 4h`,
/// `2h 15m`, `45m`; under a minute is `under 1m`.
pub fn human(secs: i64) -> String {
    let s = secs.unsigned_abs();
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => "under 1m".into(),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// A target's kind as words.
pub fn target_label(target: &str) -> &'static str {
    match target {
        "first_response" => "First response",
        "next_response" => "Next response",
        "resolution" => "Resolution",
        _ => "Target",
    }
}

/// An instant in the viewer's time zone, e.g. `2026-05-04 14:00 Europe/Berlin`.
pub fn in_zone(ts: jiff::Timestamp, zone_name: &str) -> String {
    let (zone, name) = match jiff::tz::TimeZone::get(zone_name) {
        Ok(z) => (z, zone_name),
        Err(_) => (jiff::tz::TimeZone::UTC, "UTC"),
    };
    let name = if name.is_empty() { "UTC" } else { name };
    format!("{} {name}", ts.to_zoned(zone).strftime("%Y-%m-%d %H:%M"))
}

/// One target as a row of the SLA panel.
pub struct TargetRow {
    pub label: &'static str,
    /// `running`, `paused`, `met`, `breached` or `cancelled`: the badge's text and class.
    pub state: String,
    /// Remaining business time: `2h 15m left`, `45m overdue`, `met on time`, `met late`.
    pub remaining: String,
    /// The due instant in the viewer's time zone, while the clock runs.
    pub due: String,
    /// The target in business time (`4h`).
    pub target: String,
    /// The policy (empty for requesters).
    pub policy: String,
}

impl TargetRow {
    pub fn of(t: &SlaTargetView, zone: &str) -> TargetRow {
        let remaining = match t.state.as_str() {
            "met" if t.breached => "met late".to_string(),
            "met" => "met on time".to_string(),
            "cancelled" => "no longer counted".to_string(),
            _ if t.remaining_secs < 0 => format!("{} overdue", human(t.remaining_secs)),
            "paused" => format!("{} left (paused)", human(t.remaining_secs)),
            _ => format!("{} left", human(t.remaining_secs)),
        };
        let due = t
            .due_at
            .as_deref()
            .and_then(|d| d.parse::<jiff::Timestamp>().ok())
            .map(|d| in_zone(d, zone))
            .unwrap_or_default();
        TargetRow {
            label: target_label(&t.target),
            state: t.state.clone(),
            remaining,
            due,
            target: human(t.target_secs),
            policy: t.policy.clone().unwrap_or_default(),
        }
    }
}

/// One clock event of the agent's SLA history.
pub struct EventRow {
    pub at: String,
    pub target: &'static str,
    pub event: String,
    pub note: String,
}

impl EventRow {
    pub fn of(e: &SlaHistoryEntry, zone: &str) -> EventRow {
        let event = match (e.event.as_str(), e.target_secs) {
            ("replanned", Some(secs)) => format!("replanned to {}", human(secs)),
            (other, _) => other.replace('_', " "),
        };
        EventRow {
            at: in_zone(e.at.0, zone),
            target: target_label(&e.target),
            event,
            note: e.note.clone().unwrap_or_default(),
        }
    }
}

/// The queue's due column: wall-clock time to the nearest due instant of a running clock.
pub fn due_cell(due: Option<Ts>, now: Ts) -> (String, &'static str) {
    match due {
        None => (String::new(), ""),
        Some(d) if d.micros() < now.micros() => {
            (format!("{} overdue", human((now.micros() - d.micros()) / 1_000_000)), "breached")
        }
        Some(d) => (format!("in {}", human((d.micros() - now.micros()) / 1_000_000)), "running"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_two_largest_units() {
        assert_eq!(human(0), "under 1m");
        assert_eq!(human(59), "under 1m");
        assert_eq!(human(45 * 60), "45m");
        assert_eq!(human(-45 * 60), "45m");
        assert_eq!(human(2 * 3600 + 15 * 60 + 30), "2h 15m");
        assert_eq!(human(4 * 3600), "4h");
        assert_eq!(human(86_400 + 4 * 3600 + 59 * 60), "1d 4h");
        assert_eq!(human(3 * 86_400 + 60), "3d");
    }

    #[test]
    fn instants_show_in_the_viewers_zone_or_utc() {
        let t: jiff::Timestamp = "2026-07-01T12:00:00Z".parse().unwrap_or_default();
        assert_eq!(in_zone(t, "Europe/Berlin"), "2026-07-01 14:00 Europe/Berlin");
        assert_eq!(in_zone(t, "Not/AZone"), "2026-07-01 12:00 UTC");
        assert_eq!(in_zone(t, ""), "2026-07-01 12:00 UTC");
    }

    fn view(state: &str, remaining: i64, breached: bool) -> SlaTargetView {
        SlaTargetView {
            clock_id: 1,
            target: "first_response".into(),
            state: state.into(),
            due_at: Some("2026-07-01T14:00:00+02:00".into()),
            target_secs: 4 * 3600,
            elapsed_secs: 4 * 3600 - remaining,
            remaining_secs: remaining,
            breached,
            policy: None,
        }
    }

    #[test]
    fn remaining_time_says_left_overdue_or_met() {
        assert_eq!(TargetRow::of(&view("running", 8100, false), "UTC").remaining, "2h 15m left");
        assert_eq!(TargetRow::of(&view("breached", -2700, true), "UTC").remaining, "45m overdue");
        assert_eq!(TargetRow::of(&view("paused", 600, false), "UTC").remaining, "10m left (paused)");
        assert_eq!(TargetRow::of(&view("met", 600, false), "UTC").remaining, "met on time");
        assert_eq!(TargetRow::of(&view("met", -60, true), "UTC").remaining, "met late");
        let row = TargetRow::of(&view("running", 8100, false), "Asia/Tokyo");
        assert_eq!(row.due, "2026-07-01 21:00 Asia/Tokyo");
        assert_eq!(row.target, "4h");
    }

    #[test]
    fn the_due_column_counts_wall_clock_time() {
        let now = Ts::from_micros(10_000_000_000);
        assert_eq!(due_cell(None, now), (String::new(), ""));
        assert_eq!(due_cell(Some(Ts::from_micros(now.micros() + 5_400_000_000)), now).0, "in 1h 30m");
        let late = due_cell(Some(Ts::from_micros(now.micros() - 120_000_000)), now);
        assert_eq!(late, ("2m overdue".to_string(), "breached"));
    }
}
