use super::*;
use jiff::Timestamp;
use serde_json::json;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn one_stage(rule: Rule, approvers: &[i64]) -> Approval {
    Approval::start(vec![(rule, approvers.to_vec())])
}

#[test]
fn any_is_met_by_one_approval() {
    let mut a = one_stage(Rule::Any, &[1, 2, 3]);
    assert_eq!(a.decide(2, Decision::Approve), Ok(Progress::Approved));
    assert_eq!(a.state, ApprovalState::Approved);
    assert_eq!(a.decide(3, Decision::Approve), Err(Refusal::Finished));
}

#[test]
fn all_needs_every_approver() {
    let mut a = one_stage(Rule::All, &[1, 2, 3]);
    assert_eq!(a.decide(1, Decision::Approve), Ok(Progress::Recorded));
    assert_eq!(a.decide(2, Decision::Approve), Ok(Progress::Recorded));
    assert_eq!(a.state, ApprovalState::Pending);
    assert_eq!(a.decide(3, Decision::Approve), Ok(Progress::Approved));
}

#[test]
fn n_of_m_needs_n() {
    let mut a = one_stage(Rule::NOf(2), &[1, 2, 3]);
    assert_eq!(a.decide(3, Decision::Approve), Ok(Progress::Recorded));
    assert_eq!(a.decide(1, Decision::Approve), Ok(Progress::Approved));
    assert!(Rule::NOf(4).check_against(3, "stages[0].rule").is_err_and(|e| e.field == "stages[0].rule"));
    assert!(Rule::NOf(3).check_against(3, "r").is_ok());
}

#[test]
fn percent_rounds_up() {
    assert_eq!(Rule::Percent(50).required(3), 2, "50% of 3 is 1.5, rounded up");
    assert_eq!(Rule::Percent(50).required(4), 2);
    assert_eq!(Rule::Percent(34).required(3), 2, "34% of 3 is 1.02, rounded up");
    assert_eq!(Rule::Percent(33).required(3), 1);
    assert_eq!(Rule::Percent(100).required(3), 3);
    assert_eq!(Rule::Percent(1).required(3), 1, "never fewer than one");
    let mut a = one_stage(Rule::Percent(50), &[1, 2, 3]);
    assert_eq!(a.decide(1, Decision::Approve), Ok(Progress::Recorded));
    assert_eq!(a.decide(2, Decision::Approve), Ok(Progress::Approved));
}

#[test]
fn a_rejection_ends_the_approval_and_skips_later_stages() {
    let mut a = Approval::start(vec![(Rule::All, vec![1, 2]), (Rule::Any, vec![3])]);
    assert_eq!(a.decide(1, Decision::Approve), Ok(Progress::Recorded));
    assert_eq!(a.decide(2, Decision::Reject), Ok(Progress::Rejected));
    assert_eq!(a.state, ApprovalState::Rejected);
    assert_eq!(a.stages[0].state, StageState::Rejected);
    assert_eq!(a.stages[1].state, StageState::Skipped);
    assert_eq!(a.decide(3, Decision::Approve), Err(Refusal::Finished));
}

#[test]
fn stages_run_in_order() {
    let mut a = Approval::start(vec![(Rule::Any, vec![1]), (Rule::All, vec![2, 3])]);
    assert_eq!(a.current(), Some(0));
    assert_eq!(a.stages[1].state, StageState::Waiting);
    // A later stage's approver may not decide yet.
    assert_eq!(a.authority(2, None, &[], ts("2026-01-01T00:00:00Z")), Err(Refusal::NotAnApprover));
    assert_eq!(a.decide(2, Decision::Approve), Err(Refusal::NotAnApprover));
    assert_eq!(a.decide(1, Decision::Approve), Ok(Progress::NextStage(1)));
    assert_eq!(a.current(), Some(1));
    // The first stage's approver has no say in the second.
    assert_eq!(a.authority(1, None, &[], ts("2026-01-01T00:00:00Z")), Err(Refusal::NotAnApprover));
    assert_eq!(a.decide(2, Decision::Approve), Ok(Progress::Recorded));
    assert_eq!(a.decide(3, Decision::Approve), Ok(Progress::Approved));
    assert_eq!(a.stages.iter().map(|s| s.state).collect::<Vec<_>>(), vec![StageState::Approved; 2]);
}

#[test]
fn deciding_twice_is_refused() {
    let mut a = one_stage(Rule::All, &[1, 2]);
    a.decide(1, Decision::Approve).unwrap();
    let now = ts("2026-01-01T00:00:00Z");
    assert_eq!(a.authority(1, None, &[], now), Err(Refusal::AlreadyDecided));
    assert_eq!(a.decide(1, Decision::Reject), Err(Refusal::AlreadyDecided));
    assert!(a.waits_on(2) && !a.waits_on(1));
}

#[test]
fn a_delegate_decides_only_inside_the_window() {
    let a = one_stage(Rule::Any, &[1]);
    let d = Delegation::new(1, 9, ts("2026-12-24T00:00:00Z"), Some(ts("2026-12-27T00:00:00Z"))).unwrap();
    assert_eq!(a.authority(9, None, &[d], ts("2026-12-25T12:00:00Z")), Ok(1));
    assert_eq!(a.authority(9, Some(1), &[d], ts("2026-12-24T00:00:00Z")), Ok(1), "from is inclusive");
    assert_eq!(a.authority(9, None, &[d], ts("2026-12-23T23:59:59Z")), Err(Refusal::NotAnApprover));
    assert_eq!(
        a.authority(9, None, &[d], ts("2026-12-27T00:00:00Z")),
        Err(Refusal::NotAnApprover),
        "until is exclusive"
    );
    // A delegation of someone who is not an approver gives nothing.
    let other = Delegation::new(5, 9, ts("2026-01-01T00:00:00Z"), None).unwrap();
    assert_eq!(a.authority(9, Some(5), &[other], ts("2026-12-25T00:00:00Z")), Err(Refusal::NotAnApprover));
    // The approver keeps deciding for themselves during the window.
    assert_eq!(a.authority(1, None, &[d], ts("2026-12-25T00:00:00Z")), Ok(1));
}

#[test]
fn a_delegate_cannot_decide_twice_for_the_same_approver() {
    let mut a = one_stage(Rule::All, &[1, 2]);
    let d = Delegation::new(1, 9, ts("2026-01-01T00:00:00Z"), None).unwrap();
    let now = ts("2026-06-01T00:00:00Z");
    assert_eq!(a.authority(9, None, &[d], now), Ok(1));
    a.decide(1, Decision::Approve).unwrap();
    assert_eq!(a.authority(9, None, &[d], now), Err(Refusal::AlreadyDecided));
}

#[test]
fn delegations_are_checked() {
    assert!(Delegation::new(1, 1, ts("2026-01-01T00:00:00Z"), None).is_err());
    let e = Delegation::new(1, 2, ts("2026-01-02T00:00:00Z"), Some(ts("2026-01-01T00:00:00Z"))).unwrap_err();
    assert_eq!(e.field, "until");
}

#[test]
fn window_bounds_read_dates_in_the_persons_zone() {
    let tz = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
    assert_eq!(parse_bound("2026-12-24", &tz, false, "from").unwrap(), ts("2026-12-23T23:00:00Z"));
    assert_eq!(parse_bound("2026-12-26", &tz, true, "until").unwrap(), ts("2026-12-26T23:00:00Z"), "the whole day");
    assert_eq!(parse_bound("2026-12-24T08:00:00Z", &tz, true, "until").unwrap(), ts("2026-12-24T08:00:00Z"));
    assert_eq!(parse_bound("soon", &tz, false, "from").unwrap_err().field, "from");
}

#[test]
fn specs_parse_with_field_paths() {
    let v = json!({"stages": [
        {"approvers": {"users": [3, "Boss@Example.test"], "groups": ["CAB"], "manager": true}, "rule": "all"},
        {"approvers": {"users": [4]}, "rule": {"percent": 50}},
    ]});
    let s = ApprovalSpec::parse(&v).unwrap();
    assert_eq!(s.stages.len(), 2);
    assert_eq!(s.stages[0].approvers.users[1], UserRef::Email(crate::Email::parse("boss@example.test").unwrap()));
    assert!(s.stages[0].approvers.manager);
    assert_eq!(s.stages[1].rule, Rule::Percent(50));
    assert_eq!(ApprovalSpec::parse(&s.to_json()).unwrap(), s, "the wire form reads back");

    let bad = json!({"stages": [
        {"approvers": {"users": [1]}, "rule": "most"},
        {"approvers": {}, "rule": {"n": 0}},
        {"approvers": {"users": ["not an email"]}, "rule": {"percent": 101}},
    ]});
    let fields: Vec<String> = ApprovalSpec::parse(&bad).unwrap_err().0.into_iter().map(|e| e.field).collect();
    assert!(fields.contains(&"stages[0].rule".to_string()), "{fields:?}");
    assert!(fields.contains(&"stages[1].rule".to_string()), "{fields:?}");
    assert!(fields.contains(&"stages[1].approvers".to_string()), "{fields:?}");
    assert!(fields.contains(&"stages[2].approvers.users[0]".to_string()), "{fields:?}");
    assert!(fields.contains(&"stages[2].rule".to_string()), "{fields:?}");
    assert_eq!(ApprovalSpec::parse(&json!({"stages": []})).unwrap_err().0[0].field, "stages");
}

#[test]
fn states_read_back() {
    for s in [ApprovalState::Pending, ApprovalState::Approved, ApprovalState::Rejected, ApprovalState::Cancelled] {
        assert_eq!(ApprovalState::parse(s.as_str()), Ok(s));
    }
    assert!(ApprovalState::Approved.is_finished() && !ApprovalState::Pending.is_finished());
    assert_eq!(Decision::parse("Approve"), Ok(Decision::Approve));
    assert!(Decision::parse("maybe").is_err());
}

#[test]
fn cancelling_skips_open_stages() {
    let mut a = Approval::start(vec![(Rule::Any, vec![1]), (Rule::Any, vec![2])]);
    a.cancel().unwrap();
    assert_eq!(a.state, ApprovalState::Cancelled);
    assert_eq!(a.cancel(), Err(Refusal::Finished));
    assert_eq!(a.current(), None);
}
