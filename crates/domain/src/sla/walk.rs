//! Business-time arithmetic: walking a calendar's working intervals forward in real time.
//!
//! Speed comes from two shortcuts, both exact:
//! - Local-to-UTC conversion is a subtraction while the instant lies well inside a stretch
//!   with one UTC offset (checked against the zone's real transitions); only the few days
//!   around a clock change go through jiff's full disambiguation.
//! - When far more business time is left than a week holds, a whole week without holidays
//!   or clock changes is skipped in one step.

use super::calendar::{BusinessCalendar, CalendarError};
use super::{BusinessDuration, HORIZON_DAYS};
use jiff::tz::TimeZone;
use jiff::Timestamp;

const NANOS: i128 = 1_000_000_000;
const DAY: i64 = 86_400;
/// Distance from a transition beyond which a local time cannot be ambiguous: UTC offsets
/// stay within +-26 h, so two readings of one local time are less than 52 h apart. The
/// margin makes each conversion correct on its own, whatever order it is asked in.
const SAFE: i64 = 3 * DAY;
const FAR: i64 = i64::MAX / 4;

impl BusinessCalendar {
    /// The instant at which `d` of business time has elapsed after `start`. If `start` is
    /// outside working time the clock starts at the next working instant. For `d > 0` the
    /// answer lies inside a working interval or exactly at its end (a target that uses up
    /// Friday is due Friday 17:00, not Monday 09:00); for `d = 0` it is
    /// [`next_working_instant`](Self::next_working_instant).
    ///
    /// Errors when the answer is more than ten years after `start`: no real target is that
    /// long, and it stops a calendar whose working days are all holidays from looping.
    pub fn add(&self, start: Timestamp, d: BusinessDuration) -> Result<Timestamp, CalendarError> {
        self.add_nanos(start, d.as_nanos())
    }

    /// Business time elapsed from `a` to `b`, rounded down to the second; zero if `b <= a`.
    pub fn between(&self, a: Timestamp, b: Timestamp) -> BusinessDuration {
        BusinessDuration::from_nanos_floor(self.between_nanos(a, b))
    }

    /// Whether `t` lies in a working interval (start included, end excluded).
    pub fn is_working(&self, t: Timestamp) -> bool {
        if self.always {
            return true;
        }
        let t_ns = t.as_nanosecond();
        let mut w = Walker::new(self, secs_floor(t_ns), 2);
        while let Some((s, e)) = w.next() {
            if nanos(e) > t_ns {
                return nanos(s) <= t_ns;
            }
        }
        false
    }

    /// `t` itself when it is working time, else the start of the next working interval.
    pub fn next_working_instant(&self, t: Timestamp) -> Result<Timestamp, CalendarError> {
        self.add_nanos(t, 0)
    }

    /// Whether every instant of `[start, end)` is working time (a change window that lies
    /// inside a CI's maintenance window).
    pub fn covers(&self, start: Timestamp, end: Timestamp) -> bool {
        end <= start || self.between_nanos(start, end) == end.as_nanosecond() - start.as_nanosecond()
    }

    /// The end of the stretch of working time that contains `t` (touching intervals joined,
    /// looking at most 400 days ahead), or `None` when `t` is not working time.
    pub fn working_until(&self, t: Timestamp) -> Option<Timestamp> {
        if self.always {
            return Some(Timestamp::MAX);
        }
        let t_sec = secs_floor(t.as_nanosecond());
        let mut w = Walker::new(self, t_sec, 400);
        let mut end: Option<i64> = None;
        while let Some((s, e)) = w.next() {
            match end {
                None if e <= t_sec => {}
                None if s <= t_sec => end = Some(e),
                None => return None,
                Some(cur) if s <= cur => end = Some(cur.max(e)),
                Some(_) => break,
            }
        }
        end.and_then(|e| Timestamp::from_second(e).ok())
    }

    /// The stretches of working time within `[from, to)`, touching intervals joined and each
    /// clipped to the range, at most `limit` of them (a calendar page shows maintenance
    /// windows this way). A calendar open around the clock gives the whole range.
    pub fn working_intervals(&self, from: Timestamp, to: Timestamp, limit: usize) -> Vec<(Timestamp, Timestamp)> {
        if to <= from || limit == 0 {
            return Vec::new();
        }
        if self.always {
            return vec![(from, to)];
        }
        let (from_s, to_s) = (secs_floor(from.as_nanosecond()), secs_floor(to.as_nanosecond()));
        let days = (to_s - from_s).div_euclid(DAY) + 2;
        let mut w = Walker::new(self, from_s, days);
        let mut joined: Vec<(i64, i64)> = Vec::new();
        while let Some((s, e)) = w.next() {
            if s >= to_s {
                break;
            }
            if e <= from_s {
                continue;
            }
            let full = joined.len() == limit;
            match joined.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ if full => break,
                _ => joined.push((s, e)),
            }
        }
        joined
            .into_iter()
            .filter_map(|(s, e)| {
                let s = Timestamp::from_second(s.max(from_s)).ok()?;
                let e = Timestamp::from_second(e.min(to_s)).ok()?;
                (e > s).then_some((s, e))
            })
            .collect()
    }

    pub(crate) fn add_nanos(&self, start: Timestamp, d_ns: i128) -> Result<Timestamp, CalendarError> {
        let t = start.as_nanosecond();
        let d_ns = d_ns.max(0);
        if d_ns > BusinessDuration::MAX.as_nanos() {
            return Err(CalendarError::BeyondHorizon { from: start });
        }
        if self.always {
            return to_timestamp(t + d_ns);
        }
        let t_sec = secs_floor(t);
        let mut w = Walker::new(self, t_sec, HORIZON_DAYS);
        let week_ns = i128::from(self.week_secs) * NANOS;
        let mut left = d_ns;
        loop {
            if left > week_ns {
                if let Some(secs) = w.skip_week(t_sec + 1, FAR) {
                    left -= i128::from(secs) * NANOS;
                    continue;
                }
            }
            let Some((s, e)) = w.next() else {
                return Err(CalendarError::BeyondHorizon { from: start });
            };
            let end = nanos(e);
            if end <= t {
                continue;
            }
            let begin = nanos(s).max(t);
            if left <= end - begin {
                return to_timestamp(begin + left);
            }
            left -= end - begin;
        }
    }

    pub(crate) fn between_nanos(&self, a: Timestamp, b: Timestamp) -> i128 {
        let (a, b) = (a.as_nanosecond(), b.as_nanosecond());
        if b <= a {
            return 0;
        }
        if self.always {
            return b - a;
        }
        let (a_sec, b_sec) = (secs_floor(a), secs_floor(b));
        let mut w = Walker::new(self, a_sec, 0);
        // Walk up to two local days past `b`, whatever the offsets at either end.
        w.last_day = (b_sec + 2 * DAY).div_euclid(DAY) + 2;
        let mut sum = 0;
        loop {
            if let Some(secs) = w.skip_week(a_sec + 1, b_sec) {
                sum += i128::from(secs) * NANOS;
                continue;
            }
            let Some((s, e)) = w.next() else { break };
            if nanos(s) >= b {
                break;
            }
            let overlap = nanos(e).min(b) - nanos(s).max(a);
            if overlap > 0 {
                sum += overlap;
            }
        }
        sum
    }
}

fn nanos(sec: i64) -> i128 {
    i128::from(sec) * NANOS
}

fn secs_floor(ns: i128) -> i64 {
    // Timestamps span about +-3.2e11 s, far inside i64.
    ns.div_euclid(NANOS) as i64
}

fn to_timestamp(ns: i128) -> Result<Timestamp, CalendarError> {
    Timestamp::from_nanosecond(ns).map_err(|_| CalendarError::OutOfRange)
}

/// The working intervals of a calendar, in order, as `(start, end)` UTC seconds, sorted and
/// disjoint, starting two local days before the instant it was made for (so that an
/// overnight shift running into that day is included, and the gap-overlap rule of the
/// module docs sees the interval before).
pub(super) struct Walker<'c> {
    cal: &'c BusinessCalendar,
    zone: Zone<'c>,
    /// The local day (days since 1970-01-01) being walked, and the next interval in it.
    day: i64,
    idx: usize,
    /// The last local day to walk (inclusive).
    last_day: i64,
    last_end: i64,
}

impl<'c> Walker<'c> {
    pub(super) fn new(cal: &'c BusinessCalendar, at_sec: i64, horizon_days: i64) -> Walker<'c> {
        let zone = Zone::new(&cal.tz, at_sec);
        let today = (at_sec + zone.off).div_euclid(DAY);
        Walker { cal, zone, day: today - 2, idx: 0, last_day: today + horizon_days, last_end: i64::MIN }
    }

    pub(super) fn next(&mut self) -> Option<(i64, i64)> {
        loop {
            if self.idx == 0 && (self.day > self.last_day || self.cal.is_holiday(self.day)) {
                if self.day > self.last_day {
                    return None;
                }
                self.day += 1;
                continue;
            }
            let intervals = &self.cal.week[weekday(self.day)];
            let Some(&(s, e)) = intervals.get(self.idx) else {
                self.day += 1;
                self.idx = 0;
                continue;
            };
            let base = self.day * DAY;
            // Move to the next day right after its last interval, so that `skip_week` sees
            // a day boundary between calls.
            self.idx += 1;
            if self.idx == intervals.len() {
                self.day += 1;
                self.idx = 0;
            }
            let start = self.zone.utc_of(base + i64::from(s))?.max(self.last_end);
            let end = self.zone.utc_of(base + i64::from(e))?;
            if end > start {
                self.last_end = end;
                return Some((start, end));
            }
        }
    }

    /// Steps over the next seven local days at once and returns their working seconds, if
    /// that is exact and allowed: the walker is at the start of a day, the week starts after
    /// `not_before` and ends by `not_after` (UTC seconds), has no holiday, lies within one
    /// UTC offset and within the horizon.
    pub(super) fn skip_week(&mut self, not_before: i64, not_after: i64) -> Option<i64> {
        if self.idx != 0 || self.day + 6 > self.last_day {
            return None;
        }
        let base = self.day * DAY;
        let first = self.zone.fast(base)?;
        // Overnight shifts of the seventh day end at most two days after it starts.
        let tail = base + 8 * DAY - self.zone.off;
        if first < not_before || tail >= self.zone.hi - SAFE {
            return None;
        }
        let mut end = i64::MIN;
        for k in 0..7 {
            let day = self.day + k;
            if let Some(e) = self.cal.max_end[weekday(day)] {
                end = end.max(day * DAY + i64::from(e) - self.zone.off);
            }
        }
        if end > not_after || (0..7).any(|k| self.cal.is_holiday(self.day + k)) {
            return None;
        }
        self.last_end = self.last_end.max(end);
        self.day += 7;
        Some(self.cal.week_secs)
    }
}

/// A cached stretch `[lo, hi)` of UTC seconds during which the zone's offset is `off`.
struct Zone<'c> {
    tz: &'c TimeZone,
    lo: i64,
    hi: i64,
    off: i64,
}

impl<'c> Zone<'c> {
    fn new(tz: &'c TimeZone, at: i64) -> Zone<'c> {
        let mut z = Zone { tz, lo: 0, hi: 0, off: 0 };
        z.refresh(at);
        z
    }

    fn refresh(&mut self, at: i64) {
        let at = at.clamp(Timestamp::MIN.as_second() + 1, Timestamp::MAX.as_second() - 1);
        let (Ok(ts), Ok(next)) = (Timestamp::from_second(at), Timestamp::from_second(at + 1)) else {
            // Unreachable after the clamp; an empty stretch sends every conversion to jiff.
            (self.lo, self.hi) = (at, at);
            return;
        };
        self.off = i64::from(self.tz.to_offset(ts).seconds());
        // `preceding` is strictly before its argument: asking at `at + 1` includes a
        // transition exactly at `at`.
        self.lo = self.tz.preceding(next).next().map_or(-FAR, |t| t.timestamp().as_second());
        self.hi = self.tz.following(ts).next().map_or(FAR, |t| t.timestamp().as_second());
    }

    /// The UTC second of local second `local` (seconds since 1970-01-01T00:00 local), if the
    /// cached offset certainly applies to it.
    fn fast(&mut self, local: i64) -> Option<i64> {
        let u = local - self.off;
        if u < self.lo || u >= self.hi {
            self.refresh(u);
        }
        let u = local - self.off;
        (u >= self.lo.saturating_add(SAFE) && u < self.hi.saturating_sub(SAFE)).then_some(u)
    }

    /// The UTC second of a local second with jiff's `compatible` disambiguation.
    fn utc_of(&mut self, local: i64) -> Option<i64> {
        if let Some(u) = self.fast(local) {
            return Some(u);
        }
        let dt = TimeZone::UTC.to_datetime(Timestamp::from_second(local).ok()?);
        self.tz.to_ambiguous_timestamp(dt).compatible().ok().map(Timestamp::as_second)
    }
}

/// Monday = 0 for days since 1970-01-01 (a Thursday).
fn weekday(days: i64) -> usize {
    (days + 3).rem_euclid(7) as usize
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(super) fn days_from_civil(y: i64, m: i8, d: i8) -> i64 {
    let (m, d) = (i64::from(m), i64::from(d));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]: `(year, month, day)`.
pub(super) fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_round_trip_against_jiff() {
        let epoch = jiff::civil::date(1970, 1, 1);
        for days in (-800_000..800_000).step_by(997).chain([0, -1, 59, 60, 11_016, 20_000]) {
            let date = epoch.checked_add(jiff::Span::new().days(days)).unwrap();
            let (y, m, d) = civil_from_days(days);
            assert_eq!((y, m as i8, d as i8), (i64::from(date.year()), date.month(), date.day()), "{days}");
            assert_eq!(days_from_civil(y, m as i8, d as i8), days);
        }
        assert_eq!(weekday(0), 3, "1970-01-01 was a Thursday");
        assert_eq!(weekday(days_from_civil(2026, 3, 30)), 0, "2026-03-30 is a Monday");
    }

    #[test]
    fn zone_fast_path_agrees_with_jiff() {
        // Every hour of 2026 in a zone with DST: the cached conversion equals jiff's.
        let tz = TimeZone::get("Europe/Berlin").unwrap();
        let start = days_from_civil(2026, 1, 1) * DAY;
        let mut zone = Zone::new(&tz, start);
        for h in 0..(366 * 24) {
            let local = start + h * 3600 + 1800;
            let dt = TimeZone::UTC.to_datetime(Timestamp::from_second(local).unwrap());
            let want = tz.to_ambiguous_timestamp(dt).compatible().unwrap().as_second();
            assert_eq!(zone.utc_of(local), Some(want), "local hour {h}");
        }
    }
}
