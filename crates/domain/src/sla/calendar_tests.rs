//! Calendar examples with hand-checked values. Instants are written in UTC (`Z`) next to
//! the local reading they stand for, so each expectation can be checked with a pencil.
//! Transitions used: Europe/Berlin 2026-03-29 01:00Z (02:00 CET -> 03:00 CEST) and
//! 2026-10-25 01:00Z (03:00 CEST -> 02:00 CET); America/New_York 2026-03-08 07:00Z
//! (02:00 EST -> 03:00 EDT) and 2026-11-01 06:00Z (02:00 EDT -> 01:00 EST);
//! Australia/Lord_Howe 2026-04-05 (02:00 +11 -> 01:30 +10:30) and 2026-10-04
//! (02:00 +10:30 -> 02:30 +11).

use super::*;
use jiff::Timestamp;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn h(hours: f64) -> BusinessDuration {
    BusinessDuration::from_secs((hours * 3600.0) as i64).unwrap()
}

fn cal(tz: &str, hours: &[(&str, &[&str])], holidays: &[&str]) -> BusinessCalendar {
    let spec = CalendarSpec {
        time_zone: tz.into(),
        hours: hours.iter().map(|(d, ivs)| (d.to_string(), ivs.iter().map(|s| s.to_string()).collect())).collect(),
        holidays: holidays.iter().map(|s| s.to_string()).collect(),
        twenty_four_seven: false,
    };
    BusinessCalendar::parse(&spec).unwrap()
}

const WORKWEEK: [&str; 5] = ["mon", "tue", "wed", "thu", "fri"];

fn office(tz: &str, holidays: &[&str]) -> BusinessCalendar {
    let hours: Vec<(&str, &[&str])> = WORKWEEK.iter().map(|d| (*d, &["09:00-17:00"][..])).collect();
    cal(tz, &hours, holidays)
}

#[test]
fn berlin_weekend_with_spring_forward() {
    let c = office("Europe/Berlin", &[]);
    // Fri 2026-03-27 15:00 CET = 14:00Z; 2h left on Friday, the clocks change on Sunday,
    // the remaining 2h run Mon 09:00-11:00 CEST = 07:00Z-09:00Z.
    assert_eq!(c.add(ts("2026-03-27T14:00:00Z"), h(4.0)).unwrap(), ts("2026-03-30T09:00:00Z"));
    // Fri 12:00 CET to Mon 12:00 CEST: 5h on Friday, 3h on Monday, although 71h pass.
    assert_eq!(c.between(ts("2026-03-27T11:00:00Z"), ts("2026-03-30T10:00:00Z")), h(8.0));
    // A 09-17 day on the transition date itself is untouched (the change is at 02:00).
    let sunday = cal("Europe/Berlin", &[("sun", &["09:00-17:00"])], &[]);
    assert_eq!(sunday.between(ts("2026-03-29T00:00:00Z"), ts("2026-03-30T00:00:00Z")), h(8.0));
}

#[test]
fn berlin_overnight_shift_across_both_transitions() {
    let c = cal("Europe/Berlin", &[("sat", &["22:00-06:00"])], &[]);
    // Sat 2026-03-28 22:00 CET = 21:00Z to Sun 06:00 CEST = 04:00Z: 7h real for 8h on the wall.
    let start = ts("2026-03-28T21:00:00Z");
    assert_eq!(c.between(ts("2026-03-28T12:00:00Z"), ts("2026-03-29T12:00:00Z")), h(7.0));
    // 4h after 22:00 CET is 01:00Z, which the wall shows as 03:00 CEST.
    assert_eq!(c.add(start, h(4.0)).unwrap(), ts("2026-03-29T01:00:00Z"));
    // The whole shift ends exactly at 06:00 CEST; one second more waits for next Saturday
    // 22:00 CEST = 20:00Z.
    assert_eq!(c.add(start, h(7.0)).unwrap(), ts("2026-03-29T04:00:00Z"));
    let more = BusinessDuration::from_secs(7 * 3600 + 1).unwrap();
    assert_eq!(c.add(start, more).unwrap(), ts("2026-04-04T20:00:01Z"));
    assert!(c.is_working(ts("2026-03-29T03:59:59Z")));
    assert!(!c.is_working(ts("2026-03-29T04:00:00Z")));
    // Sat 2026-10-24 22:00 CEST = 20:00Z to Sun 06:00 CET = 05:00Z: 9h real.
    assert_eq!(c.between(ts("2026-10-24T12:00:00Z"), ts("2026-10-25T12:00:00Z")), h(9.0));
    assert_eq!(c.add(ts("2026-10-24T20:00:00Z"), h(9.0)).unwrap(), ts("2026-10-25T05:00:00Z"));
    // An ordinary Saturday night is 8h.
    assert_eq!(c.between(ts("2026-06-06T12:00:00Z"), ts("2026-06-07T12:00:00Z")), h(8.0));
}

#[test]
fn berlin_bounds_inside_gap_and_fold_use_compatible() {
    // 02:30 does not exist on 2026-03-29: compatible reads it with the old offset,
    // 02:30+01:00 = 01:30Z (shown as 03:30 CEST); 05:00 CEST = 03:00Z. So 1.5h.
    // On 2026-10-25 02:30 happens twice: compatible takes the first, 02:30 CEST = 00:30Z;
    // 05:00 CET = 04:00Z. So 3.5h. Other Sundays: 2.5h.
    let c = cal("Europe/Berlin", &[("sun", &["02:30-05:00"])], &[]);
    assert_eq!(c.between(ts("2026-03-28T12:00:00Z"), ts("2026-03-29T12:00:00Z")), h(1.5));
    assert_eq!(c.next_working_instant(ts("2026-03-28T12:00:00Z")).unwrap(), ts("2026-03-29T01:30:00Z"));
    assert_eq!(c.between(ts("2026-10-24T12:00:00Z"), ts("2026-10-25T12:00:00Z")), h(3.5));
    assert_eq!(c.next_working_instant(ts("2026-10-24T12:00:00Z")).unwrap(), ts("2026-10-25T00:30:00Z"));
    assert_eq!(c.between(ts("2026-06-06T12:00:00Z"), ts("2026-06-07T12:00:00Z")), h(2.5));
}

#[test]
fn berlin_interval_ending_in_the_gap_does_not_double_count() {
    // 2026-03-29: 00:00 CET = 23:00Z (Sat); 02:30 resolves to 01:30Z; 03:00 CEST = 01:00Z.
    // The second interval would start before the first ends, so it starts at 01:30Z and
    // runs to 05:00 CEST = 03:00Z. Together 23:00Z-03:00Z: 4h, each second once.
    let c = cal("Europe/Berlin", &[("sun", &["00:00-02:30", "03:00-05:00"])], &[]);
    assert_eq!(c.between(ts("2026-03-28T12:00:00Z"), ts("2026-03-29T12:00:00Z")), h(4.0));
    assert!(c.is_working(ts("2026-03-29T01:15:00Z")));
    assert_eq!(c.add(ts("2026-03-28T23:00:00Z"), h(4.0)).unwrap(), ts("2026-03-29T03:00:00Z"));
    // Ordinary Sunday: 2.5h + 2h.
    assert_eq!(c.between(ts("2026-06-06T12:00:00Z"), ts("2026-06-07T12:00:00Z")), h(4.5));
}

#[test]
fn new_york_transitions() {
    // Sun 2026-03-08 00:00 EST = 05:00Z to Mon 00:00 EDT = 04:00Z: a 23h day.
    // Sun 2026-11-01 00:00 EDT = 04:00Z to Mon 00:00 EST = 05:00Z: a 25h day.
    let sundays = cal("America/New_York", &[("sun", &["00:00-24:00"])], &[]);
    assert_eq!(sundays.between(ts("2026-03-07T00:00:00Z"), ts("2026-03-10T00:00:00Z")), h(23.0));
    assert_eq!(sundays.between(ts("2026-10-31T00:00:00Z"), ts("2026-11-03T00:00:00Z")), h(25.0));
    assert_eq!(sundays.add(ts("2026-11-01T04:00:00Z"), h(25.0)).unwrap(), ts("2026-11-02T05:00:00Z"));
    // Overnight Sat 20:00-08:00: 2026-03-07 20:00 EST = 03-08 01:00Z to 08:00 EDT = 12:00Z
    // (11h); 2026-10-31 20:00 EDT = 11-01 00:00Z to 08:00 EST = 13:00Z (13h).
    let nights = cal("America/New_York", &[("sat", &["20:00-08:00"])], &[]);
    assert_eq!(nights.between(ts("2026-03-07T12:00:00Z"), ts("2026-03-08T18:00:00Z")), h(11.0));
    assert_eq!(nights.between(ts("2026-10-31T12:00:00Z"), ts("2026-11-01T18:00:00Z")), h(13.0));
    assert_eq!(nights.add(ts("2026-03-07T12:00:00Z"), h(10.0)).unwrap(), ts("2026-03-08T11:00:00Z"));
    // Office hours: Fri 2026-03-06 15:00 EST = 20:00Z, 2h Friday, then Mon 09:00-11:00 EDT
    // = 13:00Z-15:00Z.
    let office = office("America/New_York", &[]);
    assert_eq!(office.add(ts("2026-03-06T20:00:00Z"), h(4.0)).unwrap(), ts("2026-03-09T15:00:00Z"));
}

#[test]
fn lord_howe_half_hour_transitions() {
    // 2026-04-05: 01:00 +11 = 04-04 14:00Z, 03:00 +10:30 = 16:30Z: 2.5h.
    // 2026-10-04: 01:00 +10:30 = 10-03 14:30Z, 03:00 +11 = 16:00Z: 1.5h.
    let c = cal("Australia/Lord_Howe", &[("sun", &["01:00-03:00"])], &[]);
    assert_eq!(c.between(ts("2026-04-04T00:00:00Z"), ts("2026-04-05T00:00:00Z")), h(2.5));
    assert_eq!(c.between(ts("2026-10-03T00:00:00Z"), ts("2026-10-04T00:00:00Z")), h(1.5));
    assert_eq!(c.add(ts("2026-10-03T00:00:00Z"), h(1.5)).unwrap(), ts("2026-10-03T16:00:00Z"));
}

#[test]
fn holiday_friday_next_to_the_weekend() {
    // Good Friday 2026-04-03 and Easter Monday 2026-04-06 are holidays. Thu 04-02 15:00
    // CEST = 13:00Z: 2h on Thursday, then nothing until Tue 09:00 CEST; due 11:00 CEST = 09:00Z.
    let c = office("Europe/Berlin", &["2026-04-03", "2026-04-06"]);
    assert_eq!(c.add(ts("2026-04-02T13:00:00Z"), h(4.0)).unwrap(), ts("2026-04-07T09:00:00Z"));
    // Opened on the holiday itself: the clock starts Tue 09:00 CEST; due 13:00 CEST = 11:00Z.
    assert_eq!(c.add(ts("2026-04-03T13:00:00Z"), h(4.0)).unwrap(), ts("2026-04-07T11:00:00Z"));
    assert!(!c.is_working(ts("2026-04-03T10:00:00Z")));
    assert_eq!(c.next_working_instant(ts("2026-04-03T10:00:00Z")).unwrap(), ts("2026-04-07T07:00:00Z"));
    // Thu 00:00 to Wed 00:00: Thursday 8h + Tuesday 8h.
    assert_eq!(c.between(ts("2026-04-01T22:00:00Z"), ts("2026-04-07T22:00:00Z")), h(16.0));
}

#[test]
fn yearly_holiday_recurs_on_any_weekday() {
    // 12-25 falls on Fri 2026, Mon 2028, Tue 2029. Each time 1h before it plus 7h after.
    let c = office("Europe/Berlin", &["12-25"]);
    // Thu 2026-12-24 16:00 CET = 15:00Z: 1h, skip Fri-Sun, Mon 28 09:00 + 7h = 16:00 CET.
    assert_eq!(c.add(ts("2026-12-24T15:00:00Z"), h(8.0)).unwrap(), ts("2026-12-28T15:00:00Z"));
    // Fri 2028-12-22 16:00 CET: 1h, skip Sat-Mon, Tue 26 09:00 + 7h.
    assert_eq!(c.add(ts("2028-12-22T15:00:00Z"), h(8.0)).unwrap(), ts("2028-12-26T15:00:00Z"));
    // Mon 2029-12-24 16:00 CET: 1h, skip Tue, Wed 26 09:00 + 7h.
    assert_eq!(c.add(ts("2029-12-24T15:00:00Z"), h(8.0)).unwrap(), ts("2029-12-26T15:00:00Z"));
}

#[test]
fn overnight_shift_belongs_to_the_day_it_starts() {
    // Weeknights 22:00-06:00 CET, holiday Thu 2026-12-24. Wed 23 22:00 -> Thu 06:00 is
    // worked (it started Wednesday); Thu 24 22:00 -> Fri 06:00 is not (it starts on the
    // holiday); Fri 25 22:00 -> Sat 06:00 is. Wed noon to Sat noon: 8h + 8h.
    let nights: Vec<(&str, &[&str])> = WORKWEEK.iter().map(|d| (*d, &["22:00-06:00"][..])).collect();
    let c = cal("Europe/Berlin", &nights, &["2026-12-24"]);
    assert_eq!(c.between(ts("2026-12-23T11:00:00Z"), ts("2026-12-26T11:00:00Z")), h(16.0));
    assert!(c.is_working(ts("2026-12-24T04:00:00Z")), "Thu 05:00 CET, Wednesday's shift");
    assert!(!c.is_working(ts("2026-12-24T23:00:00Z")), "Fri 00:00 CET, the holiday's shift");
    // Sunday night into Monday wraps the week and touches Monday's early interval.
    let wrap = cal("Europe/Berlin", &[("sun", &["22:00-06:00"]), ("mon", &["06:00-10:00"])], &[]);
    // Sun 2026-06-07 21:00 CEST to Mon 11:00 CEST: 8h + 4h.
    assert_eq!(wrap.between(ts("2026-06-07T19:00:00Z"), ts("2026-06-08T09:00:00Z")), h(12.0));
}

#[test]
fn twenty_four_seven_is_wall_clock() {
    let c = BusinessCalendar::twenty_four_seven();
    let start = ts("2026-03-28T12:34:56.789Z");
    assert_eq!(c.add(start, h(48.0)).unwrap(), ts("2026-03-30T12:34:56.789Z"));
    assert_eq!(c.between(ts("2026-10-24T00:00:00Z"), ts("2026-10-26T00:00:00Z")), h(48.0));
    assert!(c.is_working(start));
    // Every local day 00:00-24:00 in Berlin is also wall-clock time: the spring-forward day
    // 00:00 CET (03-28 23:00Z) to 00:00 CEST (03-29 22:00Z) lasts 23h.
    let all_days: Vec<(&str, &[&str])> = WEEKDAYS.iter().map(|d| (*d, &["00:00-24:00"][..])).collect();
    let berlin = cal("Europe/Berlin", &all_days, &[]);
    assert_eq!(berlin.add(ts("2026-03-28T23:00:00Z"), h(23.0)).unwrap(), ts("2026-03-29T22:00:00Z"));
    assert_eq!(
        berlin.between(ts("2026-03-20T00:00:00Z"), ts("2026-11-20T00:00:00Z")),
        c.between(ts("2026-03-20T00:00:00Z"), ts("2026-11-20T00:00:00Z"))
    );
}

#[test]
fn long_durations_and_the_horizon() {
    let c = office("Europe/Berlin", &["12-25"]);
    // 400h = 50 working days = 10 weeks from Mon 2026-06-01 09:00 CEST, all in summer time
    // with no 12-25 in between: due Fri 2026-08-07 17:00 CEST = 15:00Z.
    assert_eq!(c.add(ts("2026-06-01T07:00:00Z"), h(400.0)).unwrap(), ts("2026-08-07T15:00:00Z"));
    assert_eq!(c.between(ts("2026-06-01T07:00:00Z"), ts("2026-08-07T15:00:00Z")), h(400.0));
    // Every day of the year a holiday: no working time ever, an error after ten years.
    let mut holidays: Vec<String> = Vec::new();
    for m in 1..=12 {
        for d in 1..=31 {
            if jiff::civil::Date::new(2000, m, d).is_ok() {
                holidays.push(format!("{m:02}-{d:02}"));
            }
        }
    }
    let spec = CalendarSpec {
        time_zone: "UTC".into(),
        hours: [("mon".to_string(), vec!["09:00-10:00".to_string()])].into(),
        holidays,
        twenty_four_seven: false,
    };
    let all_holidays = BusinessCalendar::parse(&spec).unwrap();
    let e = all_holidays.add(ts("2026-01-01T00:00:00Z"), h(1.0)).unwrap_err();
    assert!(matches!(e, CalendarError::BeyondHorizon { .. }));
    assert!(all_holidays.next_working_instant(ts("2026-01-01T00:00:00Z")).is_err());
}

#[test]
fn spec_errors_name_every_field() {
    let spec: CalendarSpec = serde_json::from_value(serde_json::json!({
        "time_zone": "Mars/Olympus",
        "hours": {
            "mon": ["09:00-17:00", "16:00-18:00", "10:00-10:00"],
            "tue": ["9-17"],
            "sun": ["22:00-08:00"],
            "funday": ["09:00-10:00"],
            "wed": ["24:00-01:00", "08:00-24:30"]
        },
        "holidays": ["2026-12-24", "2026-02-30", "12-25", "13-01", "tomorrow"]
    }))
    .unwrap();
    let errors = BusinessCalendar::parse(&spec).unwrap_err().0;
    let fields: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
    for want in [
        ("time_zone", "invalid_time_zone"),
        ("hours.mon[1]", "overlapping_interval"),
        ("hours.mon[2]", "zero_length_interval"),
        ("hours.tue[0]", "invalid_interval"),
        ("hours.funday", "unknown_weekday"),
        ("hours.wed[0]", "invalid_interval"),
        ("hours.wed[1]", "invalid_interval"),
        ("holidays[1]", "invalid_holiday"),
        ("holidays[3]", "invalid_holiday"),
        ("holidays[4]", "invalid_holiday"),
    ] {
        assert!(fields.contains(&want), "{want:?} missing from {fields:?}");
    }
    assert_eq!(errors.len(), 10, "{fields:?}");
    // The Sunday night shift overlapping Monday's first interval is caught across the week end.
    let spec = CalendarSpec {
        time_zone: "UTC".into(),
        hours: [("sun".into(), vec!["22:00-10:00".into()]), ("mon".into(), vec!["09:00-17:00".into()])].into(),
        ..Default::default()
    };
    let e = BusinessCalendar::parse(&spec).unwrap_err().0;
    assert_eq!((e[0].field.as_str(), e[0].code), ("hours.mon[0]", "overlapping_interval"));
    // A week without working time, unless 24x7; a 24x7 calendar lists no hours.
    let empty = CalendarSpec { time_zone: "UTC".into(), ..Default::default() };
    assert_eq!(BusinessCalendar::parse(&empty).unwrap_err().0[0].code, "no_working_time");
    let always: CalendarSpec = serde_json::from_str(r#"{"time_zone": "Europe/Berlin", "24x7": true}"#).unwrap();
    assert!(BusinessCalendar::parse(&always).unwrap().is_twenty_four_seven());
    let hours = [("mon".to_string(), vec!["09:00-17:00".to_string()])].into();
    let both = CalendarSpec { twenty_four_seven: true, hours, ..always };
    assert_eq!(BusinessCalendar::parse(&both).unwrap_err().0[0].field, "hours");
    assert!(serde_json::from_str::<CalendarSpec>(r#"{"time_zone": "UTC", "holiday": []}"#).is_err());
}

#[test]
fn touching_and_full_day_intervals_are_fine() {
    let c = cal("UTC", &[("mon", &["09:00-12:00", "12:00-17:00"]), ("tue", &["00:00-24:00"])], &[]);
    // Mon 2026-06-01 11:00 + 2h crosses the touching boundary: 13:00.
    assert_eq!(c.add(ts("2026-06-01T11:00:00Z"), h(2.0)).unwrap(), ts("2026-06-01T13:00:00Z"));
    // Mon 16:00 + 25h: 1h Monday, 24h Tuesday, due at Tuesday's end (Wed 00:00).
    assert_eq!(c.add(ts("2026-06-01T16:00:00Z"), h(25.0)).unwrap(), ts("2026-06-03T00:00:00Z"));
    assert_eq!(c.add(ts("2026-06-01T16:00:00Z"), BusinessDuration::ZERO).unwrap(), ts("2026-06-01T16:00:00Z"));
    assert_eq!(c.add(ts("2026-06-01T18:00:00Z"), BusinessDuration::ZERO).unwrap(), ts("2026-06-02T00:00:00Z"));
}

#[test]
fn working_intervals_join_overnight_windows_and_clip_to_the_range() {
    // Saturday 22:00-24:00 and Sunday 00:00-06:00 in Berlin are one night's window;
    // 2026-03-28 is the night the clocks spring forward (22:00 CET = 21:00Z, 06:00 CEST = 04:00Z).
    let c = cal("Europe/Berlin", &[("sat", &["22:00-24:00"]), ("sun", &["00:00-06:00"])], &[]);
    let got = c.working_intervals(ts("2026-03-23T00:00:00Z"), ts("2026-04-06T00:00:00Z"), 10);
    assert_eq!(
        got,
        vec![
            (ts("2026-03-28T21:00:00Z"), ts("2026-03-29T04:00:00Z")),
            (ts("2026-04-04T20:00:00Z"), ts("2026-04-05T04:00:00Z")),
        ]
    );
    // Clipped at both ends, and cut off at the limit.
    let clipped = c.working_intervals(ts("2026-03-29T00:00:00Z"), ts("2026-04-05T00:00:00Z"), 10);
    assert_eq!(
        clipped,
        vec![
            (ts("2026-03-29T00:00:00Z"), ts("2026-03-29T04:00:00Z")),
            (ts("2026-04-04T20:00:00Z"), ts("2026-04-05T00:00:00Z")),
        ]
    );
    assert_eq!(c.working_intervals(ts("2026-03-23T00:00:00Z"), ts("2026-04-06T00:00:00Z"), 1).len(), 1);
    assert!(c.working_intervals(ts("2026-03-30T00:00:00Z"), ts("2026-04-03T00:00:00Z"), 10).is_empty());
    let always = BusinessCalendar::twenty_four_seven();
    let (a, b) = (ts("2026-03-30T00:00:00Z"), ts("2026-04-03T00:00:00Z"));
    assert_eq!(always.working_intervals(a, b, 10), vec![(a, b)]);
}
