use super::*;
use crate::sla::{BusinessCalendar, CalendarSpec};
use crate::ticket::{ApprovalFact, GuardFacts, Kind, Status};
use jiff::Timestamp;
use std::collections::{BTreeMap, HashMap};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn win(a: &str, b: &str) -> Window {
    Window::new(ts(a), ts(b), "end").unwrap()
}

fn saturday_nights() -> BusinessCalendar {
    let spec = CalendarSpec {
        time_zone: "UTC".into(),
        hours: [("sat".to_string(), vec!["22:00-06:00".to_string()])].into_iter().collect(),
        ..Default::default()
    };
    BusinessCalendar::parse(&spec).unwrap()
}

struct Fixture {
    cis: Vec<(i64, String)>,
    neighbours: HashMap<i64, Neighbour>,
    others: Vec<OtherChange>,
    blackouts: Vec<Blackout>,
    maintenance: Vec<(i64, String, BusinessCalendar)>,
    services: Vec<i64>,
}

impl Fixture {
    /// Our change touches the database (1); the app (2) runs on it; the payroll service (3)
    /// uses the app.
    fn new() -> Fixture {
        let mut neighbours = HashMap::new();
        neighbours.insert(2, Neighbour { name: "app".into(), path: vec!["db".into(), "app".into()] });
        Fixture {
            cis: vec![(1, "db".into())],
            neighbours,
            others: Vec::new(),
            blackouts: Vec::new(),
            maintenance: Vec::new(),
            services: vec![3],
        }
    }

    fn scan(&self, w: Window) -> Vec<Conflict> {
        self.scan_of(w).conflicts()
    }

    fn scan_of(&self, w: Window) -> ConflictScan<'_> {
        ConflictScan {
            window: w,
            cis: &self.cis,
            neighbours: &self.neighbours,
            services: &self.services,
            assignee: Some((7, "Ann")),
            others: &self.others,
            blackouts: &self.blackouts,
            maintenance: &self.maintenance,
        }
    }
}

fn other(id: i64, w: Window, cis: Vec<i64>, assignee: Option<i64>) -> OtherChange {
    OtherChange { ticket_id: id, number: format!("CHG-{id}"), window: w, ci_ids: cis, assignee_id: assignee }
}

fn kinds(c: &[Conflict]) -> Vec<&'static str> {
    c.iter().map(|c| c.kind.as_str()).collect()
}

#[test]
fn an_overlap_on_the_same_ci_conflicts_and_touching_windows_do_not() {
    let mut f = Fixture::new();
    f.others.push(other(10, win("2026-12-12T10:00Z", "2026-12-12T12:00Z"), vec![1], None));
    let c = f.scan(win("2026-12-12T11:00Z", "2026-12-12T13:00Z"));
    assert_eq!(kinds(&c), ["ci_overlap"]);
    assert_eq!(c[0].with, "CHG-10");
    assert!(f.scan(win("2026-12-12T12:00Z", "2026-12-12T13:00Z")).is_empty(), "windows that touch");
    assert!(f.scan(win("2026-12-12T08:00Z", "2026-12-12T10:00Z")).is_empty(), "windows that touch");
}

#[test]
fn an_overlap_through_a_dependency_names_the_path() {
    let mut f = Fixture::new();
    f.others.push(other(11, win("2026-12-12T10:00Z", "2026-12-12T12:00Z"), vec![2], None));
    f.others.push(other(12, win("2026-12-12T10:00Z", "2026-12-12T12:00Z"), vec![99], None));
    let c = f.scan(win("2026-12-12T11:00Z", "2026-12-12T13:00Z"));
    assert_eq!(kinds(&c), ["dependency_overlap"], "a change on an unrelated CI does not conflict");
    assert_eq!(c[0].path, ["db", "app"]);
    assert!(c[0].detail.contains("db → app"), "{}", c[0].detail);
}

#[test]
fn the_assignee_booked_on_an_unrelated_change_conflicts() {
    let mut f = Fixture::new();
    f.others.push(other(13, win("2026-12-12T10:00Z", "2026-12-12T12:00Z"), vec![99], Some(7)));
    let c = f.scan(win("2026-12-12T11:00Z", "2026-12-12T13:00Z"));
    assert_eq!(kinds(&c), ["assignee_booked"]);
    assert!(c[0].detail.contains("Ann"));
}

#[test]
fn blackouts_apply_globally_or_to_our_cis_and_services() {
    let mut f = Fixture::new();
    let w = win("2026-12-24T10:00Z", "2026-12-24T11:00Z");
    f.blackouts.push(Blackout {
        id: 1,
        name: "Other team".into(),
        window: win("2026-12-20T00:00Z", "2026-12-27T00:00Z"),
        scope: BlackoutScope::Cis(vec![50]),
    });
    assert!(f.scan(w).is_empty(), "a blackout of other CIs does not apply");
    f.blackouts.push(Blackout {
        id: 2,
        name: "Payroll run".into(),
        window: win("2026-12-24T00:00Z", "2026-12-25T00:00Z"),
        scope: BlackoutScope::Cis(vec![3]),
    });
    assert_eq!(kinds(&f.scan(w)), ["blackout"], "a blackout of a service our CIs support applies");
    f.blackouts.push(Blackout {
        id: 3,
        name: "Year end".into(),
        window: win("2026-12-31T00:00Z", "2027-01-02T00:00Z"),
        scope: BlackoutScope::All,
    });
    assert_eq!(kinds(&f.scan(win("2027-01-01T10:00Z", "2027-01-01T11:00Z"))), ["blackout"]);
}

#[test]
fn a_window_outside_a_cis_maintenance_window_conflicts() {
    let mut f = Fixture::new();
    f.maintenance.push((1, "db".into(), saturday_nights()));
    // 2026-12-12 is a Saturday.
    assert!(f.scan(win("2026-12-12T23:00Z", "2026-12-13T02:00Z")).is_empty());
    assert!(f.scan(win("2026-12-12T22:00Z", "2026-12-13T06:00Z")).is_empty(), "exactly the window");
    let c = f.scan(win("2026-12-12T21:00Z", "2026-12-12T23:00Z"));
    assert_eq!(kinds(&c), ["outside_maintenance"]);
    assert_eq!(c[0].ci_id, Some(1));
}

#[test]
fn the_next_free_window_avoids_blockers_and_fits_maintenance() {
    let mut f = Fixture::new();
    f.maintenance.push((1, "db".into(), saturday_nights()));
    f.others.push(other(10, win("2026-12-12T22:00Z", "2026-12-13T01:00Z"), vec![1], None));
    let wanted = win("2026-12-12T22:00Z", "2026-12-13T00:00Z");
    let free = f.scan_of(wanted).next_free_window(jiff::Timestamp::MAX).unwrap();
    assert_eq!(free, win("2026-12-13T01:00Z", "2026-12-13T03:00Z"));
    assert!(f.scan(free).is_empty());
    // A window longer than the rest of the night moves to the next Saturday.
    let long = win("2026-12-13T01:00Z", "2026-12-13T07:00Z");
    let free = f.scan_of(long).next_free_window(jiff::Timestamp::MAX).unwrap();
    assert_eq!(free, win("2026-12-19T22:00Z", "2026-12-20T04:00Z"));
}

#[test]
fn a_window_must_end_after_it_starts() {
    let e = Window::new(ts("2026-12-12T10:00Z"), ts("2026-12-12T10:00Z"), "planned_end").unwrap_err();
    assert_eq!(e.field, "planned_end");
}

#[test]
fn risk_adds_answers_reach_and_history_and_explains_each() {
    let q = Questionnaire::standard();
    let none = BTreeMap::new();
    let r = risk::assess(&q, &none, ImpactFacts::default(), HistoryFacts::default());
    assert_eq!(r.score, 60, "unanswered questions count at their highest weight");
    assert_eq!(r.class, RiskClass::High);
    assert!(r.factors[0].detail.contains("unanswered"));

    let safe: BTreeMap<String, String> =
        [("tested", "yes"), ("outage", "none"), ("backout", "easy"), ("experience", "often")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let r = risk::assess(&q, &safe, ImpactFacts::default(), HistoryFacts::default());
    assert_eq!((r.score, r.class), (0, RiskClass::Low));

    let r = risk::assess(&q, &safe, ImpactFacts { services: 2, users: 1500 }, HistoryFacts { similar: 4, troubled: 2 });
    let points: Vec<(&str, u32)> = r.factors.iter().map(|f| (f.factor.as_str(), f.points)).collect();
    assert_eq!(points, [("answers", 0), ("services", 10), ("users", 15), ("history", 5)]);
    assert_eq!((r.score, r.class), (30, RiskClass::Medium));
}

#[test]
fn answers_are_checked_against_the_questions() {
    let q = Questionnaire::standard();
    let answers = serde_json::json!({"tested": "maybe", "colour": "red", "outage": "none"});
    let e = q.check_answers(answers.as_object().unwrap(), "change.risk_answers").unwrap_err();
    let fields: Vec<(&str, &str)> = e.0.iter().map(|x| (x.field.as_str(), x.code)).collect();
    assert!(fields.contains(&("change.risk_answers.tested", "invalid_answer")), "{fields:?}");
    assert!(fields.contains(&("change.risk_answers.colour", "unknown_question")), "{fields:?}");
    let mut bad = Questionnaire::standard();
    bad.questions[1].key = "tested".into();
    bad.questions[0].options[0].weight = 500;
    let e = bad.check().unwrap_err();
    assert!(e.0.iter().any(|x| x.field == "questions[1].key" && x.code == "duplicate"));
    assert!(e.0.iter().any(|x| x.field == "questions[0].options[0].weight"));
}

fn change_facts(t: ChangeType, class: RiskClass) -> ChangeFacts {
    ChangeFacts {
        change_type: t,
        risk_class: class,
        scheduled: true,
        open_conflicts: Vec::new(),
        caused_incidents: Vec::new(),
    }
}

fn guards(from: Status, to: Status, c: ChangeFacts, approval: Option<ApprovalFact>) -> Vec<&'static str> {
    let mut f = GuardFacts::new(from, to);
    f.change = Some(c);
    f.approval = approval;
    match Kind::Change.check_guards(&f) {
        Ok(()) => Vec::new(),
        Err(crate::ticket::TransitionError::GuardsFailed(g)) => g.iter().map(|g| g.name).collect(),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_high_risk_change_needs_plans_before_submission() {
    let c = change_facts(ChangeType::Normal, RiskClass::High);
    assert_eq!(guards(Status::Draft, Status::Assessment, c.clone(), None), ["plans_for_high_risk"]);
    let mut f = GuardFacts::new(Status::Draft, Status::Assessment);
    f.change = Some(c);
    f.detail.insert("backout_plan".into(), "restore the snapshot".into());
    f.detail.insert("test_plan".into(), "run the smoke tests".into());
    assert!(Kind::Change.check_guards(&f).is_ok());
    assert!(
        guards(Status::Draft, Status::Assessment, change_facts(ChangeType::Normal, RiskClass::Medium), None).is_empty()
    );
}

#[test]
fn conflicts_and_a_missing_schedule_block_approval() {
    let mut c = change_facts(ChangeType::Normal, RiskClass::Low);
    c.open_conflicts = vec!["ci_overlap with CHG-1".into()];
    c.scheduled = false;
    let g = guards(Status::Assessment, Status::AwaitingApproval, c, None);
    assert_eq!(g, ["schedule_planned", "conflicts_cleared"]);
}

#[test]
fn only_standard_changes_skip_the_cab_and_only_emergencies_skip_the_schedule() {
    let normal = change_facts(ChangeType::Normal, RiskClass::Low);
    let standard = change_facts(ChangeType::Standard, RiskClass::Low);
    let emergency = change_facts(ChangeType::Emergency, RiskClass::Low);
    assert_eq!(guards(Status::Assessment, Status::Scheduled, normal.clone(), None), ["approved_or_standard"]);
    assert!(guards(Status::Assessment, Status::Scheduled, standard, None).is_empty());
    assert!(
        guards(Status::AwaitingApproval, Status::Scheduled, normal.clone(), Some(ApprovalFact::Approved)).is_empty()
    );
    assert_eq!(guards(Status::Assessment, Status::Implementing, normal, None), ["scheduled_or_emergency"]);
    assert!(guards(Status::Assessment, Status::Implementing, emergency.clone(), None).is_empty());
    assert_eq!(guards(Status::Implementing, Status::Review, emergency.clone(), None), ["emergency_approved"]);
    assert_eq!(
        guards(Status::Implementing, Status::Review, emergency.clone(), Some(ApprovalFact::Pending)),
        ["emergency_approved"]
    );
    assert!(guards(Status::Implementing, Status::Review, emergency, Some(ApprovalFact::Approved)).is_empty());
}

#[test]
fn the_review_waits_for_tasks_and_closing_for_the_outcome() {
    let mut f = GuardFacts::new(Status::Implementing, Status::Review);
    f.change = Some(change_facts(ChangeType::Normal, RiskClass::Low));
    f.open_tasks = vec!["TSK-4".into()];
    assert!(Kind::Change.check_guards(&f).is_err());
    let e = guards(Status::Review, Status::Closed, change_facts(ChangeType::Normal, RiskClass::Low), None);
    assert_eq!(e, ["review_recorded"]);
    let outcome = Kind::Change
        .def()
        .detail
        .apply(&Default::default(), serde_json::json!({"review_outcome": "sort of"}).as_object().unwrap());
    assert!(outcome.is_err(), "the outcome is one of its choices");
}

#[test]
fn a_change_that_caused_incidents_closes_as_successful_only_with_the_reason() {
    let mut c = change_facts(ChangeType::Normal, RiskClass::Low);
    c.caused_incidents = vec!["INC-7".into()];
    let close = |detail: serde_json::Value| {
        let mut f = GuardFacts::new(Status::Review, Status::Closed);
        f.change = Some(c.clone());
        f.detail = detail.as_object().cloned().unwrap_or_default();
        match Kind::Change.check_guards(&f) {
            Ok(()) => Vec::new(),
            Err(crate::ticket::TransitionError::GuardsFailed(g)) => g.iter().map(|g| g.name).collect(),
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(close(serde_json::json!({"review_outcome": "successful"})), ["caused_incidents_reviewed"]);
    assert!(close(serde_json::json!({"review_outcome": "successful", "incident_review": "a known blip"})).is_empty());
    assert!(close(serde_json::json!({"review_outcome": "partial"})).is_empty());
    assert_eq!(close(serde_json::json!({})), ["review_recorded"], "no outcome is the review missing, not unexplained");
}

fn booked(w: Window, cis: Vec<i64>, assignee: Option<i64>, holds: bool) -> Booked {
    Booked { window: w, ci_ids: cis, assignee_id: assignee, holds }
}

fn marks_of(
    b: &[Booked],
    links: &[(i64, i64)],
    blackouts: &[Blackout],
    m: &HashMap<i64, BusinessCalendar>,
) -> Vec<Vec<&'static str>> {
    calendar_marks(b, links, blackouts, m).into_iter().map(|k| k.into_iter().map(|k| k.as_str()).collect()).collect()
}

#[test]
fn calendar_marks_each_change_with_the_kinds_of_its_conflicts() {
    let sat = win("2026-03-07T23:00:00Z", "2026-03-08T01:00:00Z");
    let later = win("2026-03-08T01:00:00Z", "2026-03-08T02:00:00Z");
    let changes = vec![
        // 0 and 1 share CI 1 in overlapping windows; 2 only touches them in time.
        booked(sat, vec![1], Some(7), true),
        booked(sat, vec![1], None, true),
        booked(later, vec![1], Some(7), true),
        // 3 is on CI 2, linked to CI 1; 4 is a draft on CI 1 (marked, but holds nothing).
        booked(sat, vec![2], None, true),
        booked(sat, vec![1], None, false),
        // 5 shares only the assignee with 0; 6 is alone on CI 9 outside its maintenance window.
        booked(sat, vec![5], Some(7), true),
        booked(win("2026-03-09T10:00:00Z", "2026-03-09T11:00:00Z"), vec![9], None, true),
    ];
    let maintenance: HashMap<i64, BusinessCalendar> = [(9, saturday_nights()), (5, saturday_nights())].into();
    let got = marks_of(&changes, &[(2, 1)], &[], &maintenance);
    assert_eq!(got[0], vec!["ci_overlap", "dependency_overlap", "assignee_booked"]);
    assert_eq!(got[1], vec!["ci_overlap", "dependency_overlap"]);
    assert!(got[2].is_empty(), "touching windows do not conflict: {:?}", got[2]);
    assert_eq!(got[3], vec!["dependency_overlap"]);
    assert_eq!(got[4], vec!["ci_overlap", "dependency_overlap"]);
    assert_eq!(got[5], vec!["assignee_booked"]);
    assert_eq!(got[6], vec!["outside_maintenance"]);
    // A blackout on CI 2 freezes change 3 only; one on everything freezes all that overlap it.
    let on_two = Blackout { id: 1, name: "freeze".into(), window: sat, scope: BlackoutScope::Cis(vec![2]) };
    let got = marks_of(&changes, &[], std::slice::from_ref(&on_two), &HashMap::new());
    assert_eq!(got[3], vec!["blackout"]);
    assert!(got[0].is_empty() || !got[0].contains(&"blackout"));
    let all = Blackout { scope: BlackoutScope::All, ..on_two };
    let got = marks_of(&changes, &[], &[all], &HashMap::new());
    assert!(got[5].contains(&"blackout") && !got[6].contains(&"blackout"));
}
