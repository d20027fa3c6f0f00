//! Business calendars: a time zone, working hours per weekday and holidays, as an admin
//! writes them ([`CalendarSpec`]) and as the SLA arithmetic uses them ([`BusinessCalendar`]).
//!
//! The rules, in one place:
//! - Working hours are local wall-clock times in the calendar's IANA time zone. An interval
//!   whose end is earlier than its start is an overnight shift: `mon: 22:00-06:00` runs from
//!   Monday 22:00 to Tuesday 06:00. `24:00` as an end means midnight at the end of the day.
//! - A holiday removes every interval that *starts* on that local date, including the part of
//!   an overnight shift after midnight; a shift that started the evening before a holiday is
//!   worked to its end. A shift belongs to the day it starts on, as the duty roster says.
//! - Local bounds become instants with jiff's `compatible` disambiguation: a bound in a
//!   spring-forward gap moves forward by the gap (02:30 becomes 03:30), a bound in a
//!   fall-back fold takes the earlier instant. So a 09:00-17:00 day is an hour shorter in
//!   real time when it contains a spring-forward, and an hour longer when it contains a
//!   fall-back. Where that resolution makes an interval overlap the one before it (only an
//!   interval that ends inside a gap can), the later one starts where the earlier ends, so
//!   no second is counted twice.
//! - Business time is real elapsed time inside working intervals, never a difference of
//!   wall-clock readings.

use super::walk;
use crate::identity::TimeZoneName;
use crate::validation::{Checks, FieldError, Invalid};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The weekday keys of [`CalendarSpec::hours`], Monday first.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MAX_INTERVALS_PER_DAY: usize = 12;
const MAX_HOLIDAYS: usize = 2_000;
const DAY: i32 = 86_400;

/// A calendar as stored and edited: plain strings, checked by [`BusinessCalendar::parse`].
///
/// ```json
/// { "time_zone": "Europe/Berlin",
///   "hours": { "mon": ["09:00-12:30", "13:30-17:00"], "sat": ["22:00-06:00"] },
///   "holidays": ["2026-12-24", "12-25"] }
/// ```
/// A holiday is a date (`2026-12-24`) or a month and day that recurs every year (`12-25`).
/// `"twenty_four_seven": true` (alias `"24x7"`) means every instant is working time; such a
/// calendar has no hours and no holidays (list `00:00-24:00` for every day to get 24x7 with
/// holidays).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// An IANA time zone name, such as `Europe/Berlin`.
    #[schema(min_length = 1)]
    pub time_zone: String,
    /// Working hours per weekday (`mon` ... `sun`), at most 12 intervals a day, like
    /// `["09:00-12:30", "13:30-17:00"]`; an end before the start is an overnight shift, `24:00`
    /// is the end of the day. Errors name the interval: `hours.mon[1]`.
    #[serde(default)]
    pub hours: BTreeMap<String, Vec<String>>,
    /// At most 2000 dates (`2026-12-24`) or yearly month-days (`12-25`).
    #[serde(default)]
    #[schema(max_items = 2000)]
    pub holidays: Vec<String>,
    /// Every instant is working time; then there are no hours or holidays. `24x7` is accepted
    /// as the name too.
    #[serde(default, alias = "24x7")]
    pub twenty_four_seven: bool,
}

/// A validated calendar, ready for [`add`](BusinessCalendar::add) and
/// [`between`](BusinessCalendar::between). Cheap to clone (the time zone is shared).
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    pub(super) tz: TimeZone,
    pub(super) time_zone: TimeZoneName,
    pub(super) always: bool,
    /// Per weekday (Monday first): `(start, end)` in seconds after local midnight of that
    /// day, sorted; `end` may exceed 86,400 for an overnight shift.
    pub(super) week: [Vec<(i32, i32)>; 7],
    /// Latest `end` of each weekday, for moving over a whole week at once.
    pub(super) max_end: [Option<i32>; 7],
    /// Working seconds in one week without holidays or clock changes.
    pub(super) week_secs: i64,
    /// Fixed holidays as days since 1970-01-01, sorted and without duplicates.
    pub(super) fixed_holidays: Vec<i64>,
    /// Yearly holidays, indexed by `(month - 1) * 31 + (day - 1)`.
    pub(super) yearly_holidays: [bool; 12 * 31],
}

/// Why calendar arithmetic gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The calendar has not enough working time in the ten years after `from` (a calendar
    /// whose working days are all holidays, or a duration longer than any real target).
    #[error("the calendar has no working time to reach that within 10 years of {from}")]
    BeyondHorizon { from: jiff::Timestamp },
    /// The answer would lie outside the instants jiff can represent (years -9999..=9999).
    #[error("the instant is outside the supported range")]
    OutOfRange,
}

impl BusinessCalendar {
    /// Checks every field of `spec` and reports all problems at once, each with its path:
    /// `time_zone`, `hours.mon[1]`, `holidays[2]`.
    pub fn parse(spec: &CalendarSpec) -> Result<BusinessCalendar, Invalid> {
        let mut c = Checks::new();
        let time_zone = c.take(TimeZoneName::parse(&spec.time_zone));
        let tz = time_zone.as_ref().and_then(|n| TimeZone::get(n.as_str()).ok());

        let mut week: [Vec<(i32, i32)>; 7] = Default::default();
        // Every interval on the week's clock (seconds after Monday 00:00), with its path.
        let mut all: Vec<(i32, i32, String)> = Vec::new();
        for (key, intervals) in &spec.hours {
            let Some(wd) = WEEKDAYS.iter().position(|d| d.eq_ignore_ascii_case(key.trim())) else {
                c.push(FieldError::new(
                    format!("hours.{key}"),
                    "unknown_weekday",
                    "working hours are keyed by mon, tue, wed, thu, fri, sat, sun",
                ));
                continue;
            };
            if intervals.len() > MAX_INTERVALS_PER_DAY {
                c.push(FieldError::new(format!("hours.{key}"), "too_many_intervals", "at most 12 intervals a day"));
                continue;
            }
            for (i, raw) in intervals.iter().enumerate() {
                let path = format!("hours.{key}[{i}]");
                if let Some((s, e)) = c.take(parse_interval(raw).map_err(|e| e.at(path.clone()))) {
                    week[wd].push((s, e));
                    let base = wd as i32 * DAY;
                    all.push((base + s, base + e, path));
                }
            }
        }
        check_overlaps(&mut all, &mut c);

        let mut fixed_holidays = Vec::new();
        let mut yearly_holidays = [false; 12 * 31];
        if spec.holidays.len() > MAX_HOLIDAYS {
            c.push(FieldError::new("holidays", "too_many_holidays", "at most 2000 holidays"));
        }
        for (i, raw) in spec.holidays.iter().enumerate().take(MAX_HOLIDAYS) {
            match parse_holiday(raw) {
                Ok(Holiday::Fixed(day)) => fixed_holidays.push(day),
                Ok(Holiday::Yearly(m, d)) => yearly_holidays[(m as usize - 1) * 31 + (d as usize - 1)] = true,
                Err(e) => c.push(e.at(format!("holidays[{i}]"))),
            }
        }
        fixed_holidays.sort_unstable();
        fixed_holidays.dedup();

        if spec.twenty_four_seven {
            if !spec.hours.is_empty() {
                c.push(FieldError::new("hours", "hours_with_24x7", "a 24x7 calendar has no working hours to list"));
            }
            if !spec.holidays.is_empty() {
                c.push(FieldError::new(
                    "holidays",
                    "holidays_with_24x7",
                    "a 24x7 calendar has no holidays; list 00:00-24:00 for every day instead",
                ));
            }
        } else if spec.hours.values().all(|v| v.is_empty()) {
            c.push(FieldError::new(
                "hours",
                "no_working_time",
                "a calendar needs working hours on at least one day, or twenty_four_seven",
            ));
        }
        c.finish()?;
        let (Some(time_zone), Some(tz)) = (time_zone, tz) else {
            // Unreachable: a parsed TimeZoneName always resolves; kept as an error, not a panic.
            return Err(FieldError::new("time_zone", "invalid_time_zone", "unknown time zone").into());
        };
        for day in &mut week {
            day.sort_unstable();
        }
        let max_end = std::array::from_fn(|wd| week[wd].iter().map(|&(_, e)| e).max());
        let week_secs = week.iter().flatten().map(|&(s, e)| i64::from(e - s)).sum();
        Ok(BusinessCalendar {
            tz,
            time_zone,
            always: spec.twenty_four_seven,
            week,
            max_end,
            week_secs,
            fixed_holidays,
            yearly_holidays,
        })
    }

    /// The built-in 24x7 calendar: every instant is working time, so business time is
    /// exactly wall-clock elapsed time, in any time zone and across clock changes.
    pub fn twenty_four_seven() -> BusinessCalendar {
        BusinessCalendar {
            tz: TimeZone::UTC,
            time_zone: TimeZoneName::utc(),
            always: true,
            week: Default::default(),
            max_end: [None; 7],
            week_secs: 7 * 86_400,
            fixed_holidays: Vec::new(),
            yearly_holidays: [false; 12 * 31],
        }
    }

    pub fn time_zone(&self) -> &TimeZoneName {
        &self.time_zone
    }

    pub fn is_twenty_four_seven(&self) -> bool {
        self.always
    }

    /// Whether the local date `days` (since 1970-01-01) is a holiday.
    pub(super) fn is_holiday(&self, days: i64) -> bool {
        if self.fixed_holidays.binary_search(&days).is_ok() {
            return true;
        }
        let (_, m, d) = walk::civil_from_days(days);
        self.yearly_holidays[(m as usize - 1) * 31 + (d as usize - 1)]
    }
}

impl TryFrom<CalendarSpec> for BusinessCalendar {
    type Error = Invalid;
    fn try_from(spec: CalendarSpec) -> Result<Self, Invalid> {
        BusinessCalendar::parse(&spec)
    }
}

/// `HH:MM-HH:MM` as seconds after local midnight; an end before the start is the next day.
fn parse_interval(raw: &str) -> Result<(i32, i32), FieldError> {
    let bad = |m: &str| FieldError::new("interval", "invalid_interval", m);
    let Some((a, b)) = raw.trim().split_once('-') else {
        return Err(bad("working hours are written like 09:00-17:00"));
    };
    let (Some(start), Some(end)) = (parse_clock(a.trim()), parse_clock(b.trim())) else {
        return Err(bad("working hours are written like 09:00-17:00, with times from 00:00 to 24:00"));
    };
    if start == DAY {
        return Err(bad("an interval starts at 23:59 at the latest"));
    }
    if start == end {
        return Err(FieldError::new("interval", "zero_length_interval", "an interval must not be empty"));
    }
    // An end at or before the start is an overnight shift into the next day; `24:00` ends today.
    let end = if end < start { end + DAY } else { end };
    Ok((start, end))
}

/// `H:MM` or `HH:MM`, `00:00` to `24:00`, as seconds.
fn parse_clock(s: &str) -> Option<i32> {
    let (h, m) = s.split_once(':')?;
    let digits = |x: &str, max_len| !x.is_empty() && x.len() <= max_len && x.bytes().all(|b| b.is_ascii_digit());
    if !digits(h, 2) || !digits(m, 2) || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (0..=23, 0..=59) | (24, 0) => Some(h * 3600 + m * 60),
        _ => None,
    }
}

/// Rejects intervals that overlap on the weekly clock, including an overnight Sunday shift
/// running into Monday. Touching intervals (`09:00-12:00`, `12:00-17:00`) are fine.
fn check_overlaps(all: &mut [(i32, i32, String)], c: &mut Checks) {
    all.sort_by_key(|x| (x.0, x.1));
    let mut latest: Option<(i32, &str)> = None;
    for (s, e, path) in all.iter() {
        if let Some((end, other)) = latest {
            if *s < end {
                c.push(FieldError::new(path.clone(), "overlapping_interval", format!("overlaps {other}")));
            }
        }
        if latest.is_none_or(|(end, _)| *e > end) {
            latest = Some((*e, path));
        }
    }
    // The week is a cycle: whatever runs past Sunday midnight must end before Monday's first start.
    let week = 7 * DAY;
    if let (Some((end, other)), Some((first, _, path))) = (latest, all.first()) {
        if end - week > *first {
            c.push(FieldError::new(path.clone(), "overlapping_interval", format!("overlaps {other}")));
        }
    }
}

enum Holiday {
    Fixed(i64),
    Yearly(i8, i8),
}

/// `YYYY-MM-DD` (one date) or `MM-DD` (every year; `02-29` only counts in leap years).
fn parse_holiday(raw: &str) -> Result<Holiday, FieldError> {
    let bad = || {
        FieldError::new(
            "holiday",
            "invalid_holiday",
            "a holiday is a date like 2026-12-24 or a yearly month-day like 12-25",
        )
    };
    let parts: Vec<&str> = raw.trim().split('-').collect();
    let num = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<i16>().ok()).flatten()
    };
    match parts.as_slice() {
        [y, m, d] => {
            let (y, m, d) = (num(y, 4).ok_or_else(bad)?, num(m, 2).ok_or_else(bad)?, num(d, 2).ok_or_else(bad)?);
            let date = jiff::civil::Date::new(y, m as i8, d as i8).map_err(|_| bad())?;
            Ok(Holiday::Fixed(walk::days_from_civil(date.year().into(), date.month(), date.day())))
        }
        [m, d] => {
            let (m, d) = (num(m, 2).ok_or_else(bad)?, num(d, 2).ok_or_else(bad)?);
            // 2000 is a leap year, so 02-29 is accepted.
            jiff::civil::Date::new(2000, m as i8, d as i8).map_err(|_| bad())?;
            Ok(Holiday::Yearly(m as i8, d as i8))
        }
        _ => Err(bad()),
    }
}
