//! Property tests over random calendars: random weekly intervals (overnight ones and the
//! Sunday-to-Monday wrap included), random fixed and yearly holidays, in zones with and
//! without DST (Lord Howe moves by 30 minutes). An oracle that rebuilds each day's working
//! intervals with plain jiff civil arithmetic, day by day, checks the fast arithmetic.

use super::*;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use proptest::prelude::*;

const ZONES: [&str; 5] = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"];
/// Intervals are placed on a weekly grid of 5-minute steps.
const STEP: u32 = 300;
const WEEK_STEPS: u32 = 7 * 86_400 / STEP;
const DAY_STEPS: u32 = 86_400 / STEP;

fn hhmm(step: u32) -> String {
    let secs = step * STEP;
    format!("{:02}:{:02}", secs / 3600, secs / 60 % 60)
}

/// A valid spec: disjoint intervals built from sorted cut points on the week, rotated.
fn spec_strategy() -> impl Strategy<Value = CalendarSpec> {
    let cuts = prop::collection::btree_set(0..WEEK_STEPS, 2..16);
    let fixed = prop::collection::vec((2025i16..=2027, 1i8..=12, 1i8..=28), 0..6);
    let yearly = prop::collection::vec((1i8..=12, 1i8..=28), 0..3);
    (0..ZONES.len(), cuts, 0..WEEK_STEPS, fixed, yearly).prop_map(|(zone, cuts, rotate, fixed, yearly)| {
        let cuts: Vec<u32> = cuts.into_iter().collect();
        let mut hours: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for pair in cuts.chunks_exact(2) {
            let start = (pair[0] + rotate) % WEEK_STEPS;
            let (day, s) = (start / DAY_STEPS, start % DAY_STEPS);
            // At most a day long; exactly a day only from midnight (`00:00-24:00`).
            let cap = if s == 0 { DAY_STEPS } else { DAY_STEPS - 1 };
            let end = s + (pair[1] - pair[0]).min(cap);
            let end_text = if end == DAY_STEPS { "24:00".to_string() } else { hhmm(end % DAY_STEPS) };
            hours.entry(WEEKDAYS[day as usize].to_string()).or_default().push(format!("{}-{end_text}", hhmm(s)));
        }
        let holidays = (fixed.iter().map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")))
            .chain(yearly.iter().map(|(m, d)| format!("{m:02}-{d:02}")))
            .collect();
        CalendarSpec { time_zone: ZONES[zone].into(), hours, holidays, twenty_four_seven: false }
    })
}

/// Instants from 2025 to 2027, sometimes with a fraction of a second.
fn instant() -> impl Strategy<Value = Timestamp> {
    (1_735_689_600i64..1_830_297_600, prop_oneof![Just(0i32), 0..1_000_000_000])
        .prop_map(|(s, ns)| Timestamp::new(s, ns).unwrap())
}

fn weekday_key(d: Date) -> &'static str {
    WEEKDAYS[d.weekday().to_monday_zero_offset() as usize]
}

/// The working intervals (nanoseconds) of the local days `from..=to`, derived from the
/// spec text with jiff alone, following the rules in the calendar module docs.
fn oracle(spec: &CalendarSpec, from: Date, to: Date) -> Vec<(i128, i128)> {
    let tz = TimeZone::get(&spec.time_zone).unwrap();
    let at = |d: Date, t: &str| {
        let (h, m) = t.split_once(':').unwrap();
        let (h, m): (i8, i8) = (h.parse().unwrap(), m.parse().unwrap());
        let dt = if h == 24 { d.tomorrow().unwrap().at(0, 0, 0, 0) } else { d.at(h, m, 0, 0) };
        tz.to_ambiguous_timestamp(dt).compatible().unwrap().as_nanosecond()
    };
    let mut out = Vec::new();
    let mut last_end = i128::MIN;
    let mut d = from;
    while d <= to {
        let holiday = spec
            .holidays
            .iter()
            .any(|h| *h == d.strftime("%Y-%m-%d").to_string() || *h == d.strftime("%m-%d").to_string());
        let mut day: Vec<(&str, &str)> = Vec::new();
        if !holiday {
            for iv in spec.hours.get(weekday_key(d)).into_iter().flatten() {
                day.push(iv.split_once('-').unwrap());
            }
        }
        day.sort();
        for (s, e) in day {
            let overnight = e != "24:00" && e <= s;
            let start = at(d, s).max(last_end);
            let end = if overnight { at(d.tomorrow().unwrap(), e) } else { at(d, e) };
            if end > start {
                out.push((start, end));
                last_end = end;
            }
        }
        d = d.tomorrow().unwrap();
    }
    out
}

fn local_date(spec: &CalendarSpec, t: Timestamp) -> Date {
    t.to_zoned(TimeZone::get(&spec.time_zone).unwrap()).date()
}

fn oracle_between(ivs: &[(i128, i128)], a: i128, b: i128) -> i128 {
    ivs.iter().map(|&(s, e)| (e.min(b) - s.max(a)).max(0)).sum()
}

fn oracle_add(ivs: &[(i128, i128)], t: i128, d: i128) -> Option<i128> {
    let mut left = d;
    for &(s, e) in ivs.iter().filter(|iv| iv.1 > t) {
        let begin = s.max(t);
        if left <= e - begin {
            return Some(begin + left);
        }
        left -= e - begin;
    }
    None
}

fn ns(t: Timestamp) -> i128 {
    t.as_nanosecond()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// `add` and `between` are inverse, `add` ends inside or at the end of working time,
    /// and both agree with the oracle (which covers the week-skipping fast path).
    #[test]
    fn add_and_between_agree_with_each_other_and_the_oracle(
        spec in spec_strategy(), start in instant(), frac in 0u64..=8_000,
    ) {
        let cal = BusinessCalendar::parse(&spec).unwrap();
        // Up to eight weeks of this calendar's business time.
        let d = BusinessDuration::from_secs((cal.week_secs as u64 * frac / 1000) as i64).unwrap();
        let due = cal.add(start, d).unwrap();
        prop_assert_eq!(cal.between(start, due), d);
        let nwi = cal.next_working_instant(start).unwrap();
        prop_assert_eq!(cal.between(nwi, due), d);
        if d > BusinessDuration::ZERO {
            prop_assert!(cal.is_working(due - Span::new().nanoseconds(1)), "due {due} is not at working time");
        } else {
            prop_assert_eq!(due, nwi);
            prop_assert!(cal.is_working(nwi));
        }
        let day = local_date(&spec, start);
        let ivs = oracle(&spec, day.saturating_sub(Span::new().days(3)), day.saturating_add(Span::new().days(120)));
        prop_assert_eq!(oracle_add(&ivs, ns(start), d.as_nanos()), Some(ns(due)));
        prop_assert_eq!(oracle_add(&ivs, ns(start), 0), Some(ns(nwi)));
    }

    #[test]
    fn between_and_is_working_agree_with_the_oracle(
        spec in spec_strategy(), a in instant(), len in 0i64..(60 * 86_400), probe in 0i64..(60 * 86_400),
    ) {
        let cal = BusinessCalendar::parse(&spec).unwrap();
        let b = a + Span::new().seconds(len);
        let t = a + Span::new().seconds(probe);
        let ivs = oracle(
            &spec,
            local_date(&spec, a).saturating_sub(Span::new().days(3)),
            local_date(&spec, b.max(t)).saturating_add(Span::new().days(3)),
        );
        prop_assert_eq!(cal.between_nanos(a, b), oracle_between(&ivs, ns(a), ns(b)));
        prop_assert_eq!(cal.between_nanos(b, a), 0);
        let working = ivs.iter().any(|&(s, e)| s <= ns(t) && ns(t) < e);
        prop_assert_eq!(cal.is_working(t), working, "at {}", t);
        // Additivity over a split point.
        prop_assert_eq!(cal.between_nanos(a, t.min(b)) + cal.between_nanos(t.min(b), b), cal.between_nanos(a, b));
    }

    #[test]
    fn add_is_monotonic(spec in spec_strategy(), start in instant(), x in 0u64..=3_000, y in 0u64..=3_000) {
        let cal = BusinessCalendar::parse(&spec).unwrap();
        let secs = |f: u64| BusinessDuration::from_secs((cal.week_secs as u64 * f / 1000) as i64).unwrap();
        let (d1, d2) = (secs(x.min(y)), secs(x.max(y)));
        prop_assert!(cal.add(start, d1).unwrap() <= cal.add(start, d2).unwrap());
    }

    #[test]
    fn twenty_four_seven_is_exact_wall_clock(start in instant(), secs in 0i64..(400 * 86_400), len in 0i64..(400 * 86_400)) {
        let cal = BusinessCalendar::twenty_four_seven();
        let d = BusinessDuration::from_secs(secs).unwrap();
        prop_assert_eq!(cal.add(start, d).unwrap(), start + Span::new().seconds(secs));
        let end = start + Span::new().seconds(len);
        prop_assert_eq!(cal.between_nanos(start, end), ns(end) - ns(start));
        // The same with every local day 00:00-24:00 in a DST zone and no holidays.
        let hours = WEEKDAYS.iter().map(|d| (d.to_string(), vec!["00:00-24:00".to_string()])).collect();
        let berlin = BusinessCalendar::parse(&CalendarSpec {
            time_zone: "Europe/Berlin".into(), hours, holidays: vec![], twenty_four_seven: false,
        }).unwrap();
        prop_assert_eq!(berlin.add(start, d).unwrap(), start + Span::new().seconds(secs));
        prop_assert_eq!(berlin.between_nanos(start, end), ns(end) - ns(start));
    }
}

#[test]
fn weekday_helper_matches_jiff() {
    assert_eq!(weekday_key(jiff::civil::date(2026, 3, 30)), "mon");
    assert_eq!(jiff::civil::date(2026, 3, 29).weekday(), Weekday::Sunday);
}
