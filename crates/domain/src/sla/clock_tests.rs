//! SLA clock examples on a Europe/Berlin Mon-Fri 09:00-17:00 calendar in June 2026 (CEST,
//! UTC+2: 09:00 local is 07:00Z). Mon 2026-06-01 is a Monday.

use super::*;
use jiff::Timestamp;
use ClockEvent::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Berlin local time on a June 2026 day: `at(1, "09:00")` is Mon 2026-06-01 09:00 CEST.
fn at(day: u8, hhmm: &str) -> Timestamp {
    ts(&format!("2026-06-{day:02}T{hhmm}:00+02:00"))
}

fn office() -> BusinessCalendar {
    let hours = ["mon", "tue", "wed", "thu", "fri"].map(|d| (d.to_string(), vec!["09:00-17:00".to_string()]));
    BusinessCalendar::parse(&CalendarSpec {
        time_zone: "Europe/Berlin".into(),
        hours: hours.into(),
        ..Default::default()
    })
    .unwrap()
}

fn h(n: i64) -> BusinessDuration {
    BusinessDuration::hours(n)
}

fn replay(kind: TargetKind, target: BusinessDuration, events: &[ClockEvent]) -> SlaClock {
    SlaClock::replay(kind, target, &office(), events).unwrap()
}

#[test]
fn running_clock_has_a_due_instant_and_breaches_after_it() {
    let cal = office();
    let c = replay(TargetKind::Resolution, h(4), &[Started(at(1, "09:00"))]);
    let s = c.status(&cal, at(1, "11:00")).unwrap();
    assert_eq!((s.state, s.elapsed, s.remaining), (ClockState::Running, h(2), h(2)));
    assert_eq!(s.due, Some(at(1, "13:00")));
    assert!(!s.breached);
    // Exactly at the due instant the target is used up but not missed.
    assert!(!c.status(&cal, at(1, "13:00")).unwrap().breached);
    let late = c.status(&cal, at(1, "13:30")).unwrap();
    assert_eq!((late.breached, late.breached_at, late.remaining), (true, Some(at(1, "13:00")), BusinessDuration::ZERO));
}

#[test]
fn pause_and_resume_exclude_paused_time() {
    // 8h target from Mon 09:00; paused at 11:00 (2h used) until Tue 10:00. At Tue 12:00
    // 4h are used; the remaining 4h from Tue 12:00 end Tue 16:00. Unpaused it was Mon 17:00.
    let cal = office();
    let c = replay(
        TargetKind::Resolution,
        h(8),
        &[Started(at(1, "09:00")), Paused(at(1, "11:00")), Resumed(at(2, "10:00"))],
    );
    let s = c.status(&cal, at(2, "12:00")).unwrap();
    assert_eq!((s.elapsed, s.remaining, s.due), (h(4), h(4), Some(at(2, "16:00"))));
    // While paused there is no due instant and no breach, however long the pause.
    let paused = replay(TargetKind::Resolution, h(8), &[Started(at(1, "09:00")), Paused(at(1, "16:00"))]);
    let s = paused.status(&cal, at(30, "12:00")).unwrap();
    assert_eq!((s.state, s.elapsed, s.due, s.breached), (ClockState::Paused, h(7), None, false));
}

#[test]
fn reopening_resumes_resolution_with_its_elapsed_time() {
    // Resolved Mon 13:00 after 4h of an 8h target; reopened Tue 09:00: 4h left, due Tue 13:00.
    let cal = office();
    let events = [Started(at(1, "09:00")), Met(at(1, "13:00")), Reopened(at(2, "09:00"))];
    let c = replay(TargetKind::Resolution, h(8), &events);
    let s = c.status(&cal, at(2, "10:00")).unwrap();
    assert_eq!((s.state, s.elapsed, s.due), (ClockState::Running, h(5), Some(at(2, "13:00"))));
    // A first response cannot be taken back.
    let e = SlaClock::replay(TargetKind::FirstResponse, h(8), &cal, &events).unwrap_err();
    assert_eq!(e, ClockError::NotReopenable { index: 2, target: TargetKind::FirstResponse });
}

#[test]
fn replanning_moves_the_due_instant() {
    let cal = office();
    let start = [Started(at(1, "09:00"))];
    // Priority raised at 10:00: the 4h target from 09:00 is due 13:00 instead of Mon 17:00.
    let mut c = replay(TargetKind::Resolution, h(8), &start);
    assert_eq!(c.status(&cal, at(1, "10:00")).unwrap().due, Some(at(1, "17:00")));
    c.apply(&cal, Replanned { at: at(1, "10:00"), target: h(4) }).unwrap();
    let s = c.status(&cal, at(1, "10:00")).unwrap();
    assert_eq!((s.target, s.due), (h(4), Some(at(1, "13:00"))));
    // Lowered to 16h: due Tue 17:00.
    c.apply(&cal, Replanned { at: at(1, "11:00"), target: h(16) }).unwrap();
    assert_eq!(c.status(&cal, at(1, "11:00")).unwrap().due, Some(at(2, "17:00")));
    // Replanned below the time already used: breached as soon as it runs on.
    let mut c = replay(TargetKind::Resolution, h(8), &start);
    c.apply(&cal, Replanned { at: at(1, "12:00"), target: h(2) }).unwrap();
    let s = c.status(&cal, at(1, "12:30")).unwrap();
    assert_eq!((s.breached, s.breached_at), (true, Some(at(1, "12:00"))));
    // A breach that happened stays when the target is later relaxed.
    let mut c = replay(TargetKind::Resolution, h(2), &start);
    c.apply(&cal, Replanned { at: at(1, "12:00"), target: h(8) }).unwrap();
    let s = c.status(&cal, at(1, "12:00")).unwrap();
    assert_eq!((s.breached_at, s.due), (Some(at(1, "11:00")), Some(at(1, "17:00"))));
}

#[test]
fn met_late_is_met_and_breached() {
    let cal = office();
    let late = replay(TargetKind::FirstResponse, h(4), &[Started(at(1, "09:00")), Met(at(1, "14:00"))]);
    let s = late.status(&cal, at(3, "09:00")).unwrap();
    assert_eq!((s.state, s.breached, s.breached_at), (ClockState::Met, true, Some(at(1, "13:00"))));
    assert_eq!((s.elapsed, s.due), (h(5), None));
    let on_time = replay(TargetKind::FirstResponse, h(4), &[Started(at(1, "09:00")), Met(at(1, "13:00"))]);
    assert!(!on_time.status(&cal, at(3, "09:00")).unwrap().breached);
    // Due Friday 17:00 (the end of a working interval): answering on Saturday is late.
    let friday = replay(TargetKind::FirstResponse, h(4), &[Started(at(5, "13:00")), Met(at(6, "10:00"))]);
    assert_eq!(friday.status(&cal, at(6, "10:00")).unwrap().breached_at, Some(at(5, "17:00")));
}

#[test]
fn warnings_land_at_75_and_90_percent() {
    let cal = office();
    // 4h target from Mon 09:00: 75% = 3h -> 12:00; 90% = 3h36m -> 12:36.
    let c = replay(TargetKind::Resolution, h(4), &[Started(at(1, "09:00"))]);
    let w = c.warning_instants(&cal, &[75, 90]).unwrap();
    assert_eq!(
        w,
        vec![
            WarningInstant { percent: 75, at: Some(at(1, "12:00")) },
            WarningInstant { percent: 90, at: Some(at(1, "12:36")) },
        ]
    );
    // Paused 11:00-14:00 after 2h: 75% is 1h after resuming (15:00), 90% at 15:36.
    let events = [Started(at(1, "09:00")), Paused(at(1, "11:00")), Resumed(at(1, "14:00"))];
    let c = replay(TargetKind::Resolution, h(4), &events);
    let w = c.warning_instants(&cal, &[75, 90]).unwrap();
    assert_eq!((w[0].at, w[1].at), (Some(at(1, "15:00")), Some(at(1, "15:36"))));
    // 8h from Mon 16:00 runs overnight: 75% = 6h is 1h Monday + 5h Tuesday = Tue 14:00;
    // 90% = 7h12m is Tue 15:12.
    let c = replay(TargetKind::Resolution, h(8), &[Started(at(1, "16:00"))]);
    let w = c.warning_instants(&cal, &[75, 90]).unwrap();
    assert_eq!((w[0].at, w[1].at), (Some(at(2, "14:00")), Some(at(2, "15:12"))));
    // Paused after 3h15m of 4h: 75% happened at 12:00, 90% is unknown until it resumes.
    let c = replay(TargetKind::Resolution, h(4), &[Started(at(1, "09:00")), Paused(at(1, "12:15"))]);
    let w = c.warning_instants(&cal, &[75, 90]).unwrap();
    assert_eq!((w[0].at, w[1].at), (Some(at(1, "12:00")), None));
}

#[test]
fn illegal_sequences_are_errors_and_change_nothing() {
    let cal = office();
    let t = at(1, "09:00");
    let not_allowed = |events: &[ClockEvent], index, event, state| {
        let e = SlaClock::replay(TargetKind::Resolution, h(4), &cal, events).unwrap_err();
        assert_eq!(e, ClockError::NotAllowed { index, event, state }, "{events:?}");
    };
    not_allowed(&[Paused(t)], 0, "paused", ClockState::NotStarted);
    not_allowed(&[Met(t)], 0, "met", ClockState::NotStarted);
    not_allowed(&[Started(t), Started(t)], 1, "started", ClockState::Running);
    not_allowed(&[Started(t), Resumed(t)], 1, "resumed", ClockState::Running);
    not_allowed(&[Started(t), Paused(t), Paused(t)], 2, "paused", ClockState::Paused);
    not_allowed(&[Started(t), Met(t), Met(t)], 2, "met", ClockState::Met);
    not_allowed(&[Started(t), Met(t), Paused(t)], 2, "paused", ClockState::Met);
    not_allowed(&[Started(t), Met(t), Replanned { at: t, target: h(1) }], 2, "replanned", ClockState::Met);
    not_allowed(&[Started(t), Reopened(t)], 1, "reopened", ClockState::Running);
    not_allowed(&[Started(t), Cancelled(t), Resumed(t)], 2, "resumed", ClockState::Cancelled);
    not_allowed(&[Started(t), Cancelled(t), Reopened(t)], 2, "reopened", ClockState::Cancelled);
    let e = SlaClock::replay(TargetKind::Resolution, h(4), &cal, &[Started(t), Paused(at(1, "08:00"))]);
    assert_eq!(e.unwrap_err(), ClockError::OutOfOrder { index: 1, event: "paused" });
    // A refused event leaves the clock as it was.
    let mut c = replay(TargetKind::Resolution, h(4), &[Started(t)]);
    let before = c.clone();
    assert!(c.apply(&cal, Resumed(at(1, "10:00"))).is_err());
    assert_eq!(c, before);
}

#[test]
fn cancelled_and_not_started_clocks() {
    let cal = office();
    let c = replay(TargetKind::Resolution, h(4), &[Started(at(1, "09:00")), Cancelled(at(1, "10:00"))]);
    let s = c.status(&cal, at(5, "09:00")).unwrap();
    assert_eq!((s.state, s.elapsed, s.due, s.breached), (ClockState::Cancelled, h(1), None, false));
    let fresh = SlaClock::new(TargetKind::NextResponse, h(2));
    let s = fresh.status(&cal, at(1, "09:00")).unwrap();
    assert_eq!((s.state, s.elapsed, s.remaining), (ClockState::NotStarted, BusinessDuration::ZERO, h(2)));
}

#[test]
fn on_a_24x7_calendar_business_time_is_wall_time() {
    let cal = BusinessCalendar::twenty_four_seven();
    let events = [Started(ts("2026-03-28T12:00:00Z")), Paused(ts("2026-03-29T12:00:00Z"))];
    let c = SlaClock::replay(TargetKind::Resolution, h(48), &cal, &events).unwrap();
    assert_eq!(c.status(&cal, ts("2026-04-01T00:00:00Z")).unwrap().elapsed, h(24));
    let json = serde_json::to_string(&events[0]).unwrap();
    assert_eq!(json, r#"{"started":"2026-03-28T12:00:00Z"}"#);
    let back: ClockEvent =
        serde_json::from_str(r#"{"replanned":{"at":"2026-03-28T12:00:00Z","target":"4h"}}"#).unwrap();
    assert_eq!(back, Replanned { at: ts("2026-03-28T12:00:00Z"), target: h(4) });
}
