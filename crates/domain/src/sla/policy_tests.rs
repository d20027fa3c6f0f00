//! SLA policy parsing, validation and matching.

use super::*;
use crate::ticket::{HoldReason, Kind, Priority, Status};
use serde_json::{json, Map, Value};

fn spec(v: Value) -> PolicySpec {
    serde_json::from_value(v).unwrap()
}

fn policy(name: &str, conditions: Value) -> Policy {
    Policy::parse(&spec(json!({
        "name": name,
        "conditions": conditions,
        "targets": {"first_response": "1h", "resolution": "8h"},
    })))
    .unwrap()
}

fn facts(custom: &Map<String, Value>) -> TicketFacts<'_> {
    TicketFacts {
        desk_id: 1,
        kind: Kind::Incident,
        priority: Priority::new(3).unwrap(),
        category_id: Some(10),
        organization_id: None,
        custom_fields: custom,
    }
}

fn errors(v: Value) -> Vec<(String, &'static str)> {
    Policy::parse(&spec(v)).unwrap_err().0.into_iter().map(|e| (e.field, e.code)).collect()
}

#[test]
fn a_full_policy_parses_with_defaults() {
    let p = Policy::parse(&spec(json!({
        "name": "P1 incidents",
        "conditions": {"kinds": ["incident"], "priorities": ["P1", "p2"]},
        "targets": {"first_response": "30m", "resolution": "4h", "next_response": "2h"},
        "calendar_id": 3,
        "escalations": [
            {"when": "90%", "action": "notify_group_lead"},
            {"when": "breach", "target": "resolution", "action": "reassign_to_group", "group_id": 7},
            {"when": "breach", "action": "raise_priority"},
            {"when": "75%", "target": "first_response", "action": "notify_user", "user_id": 5}
        ]
    })))
    .unwrap();
    assert_eq!(p.warnings, vec![75, 90]);
    assert_eq!(p.target(TargetKind::FirstResponse), Some(BusinessDuration::minutes(30)));
    assert_eq!(p.target(TargetKind::NextResponse), Some(BusinessDuration::hours(2)));
    assert_eq!(p.calendar_id, Some(3));
    // Default pause: on hold waiting for the requester, and only that reason.
    assert!(p.pauses(Status::OnHold, Some(HoldReason::AwaitingRequester)));
    assert!(!p.pauses(Status::OnHold, Some(HoldReason::AwaitingVendor)));
    assert!(!p.pauses(Status::InProgress, None));
    let at_breach: Vec<_> = p.escalations_for(TargetKind::Resolution, EscalationTrigger::Breach).collect();
    assert_eq!(at_breach, [&EscalationAction::ReassignToGroup { group_id: 7 }, &EscalationAction::RaisePriority]);
    let fr_breach: Vec<_> = p.escalations_for(TargetKind::FirstResponse, EscalationTrigger::Breach).collect();
    assert_eq!(fr_breach, [&EscalationAction::RaisePriority]);
    let fr_75: Vec<_> = p.escalations_for(TargetKind::FirstResponse, EscalationTrigger::Warning(75)).collect();
    assert_eq!(fr_75, [&EscalationAction::NotifyUser { user_id: 5 }]);
    let at_90: Vec<_> = p.escalations_for(TargetKind::Resolution, EscalationTrigger::Warning(90)).collect();
    assert_eq!(at_90, [&EscalationAction::NotifyGroupLead { group_id: None }]);
}

#[test]
fn pause_rules_take_any_open_status() {
    let p = Policy::parse(&spec(json!({
        "name": "requests",
        "targets": {"first_response": "1h", "resolution": "40h"},
        "pause_when": ["on_hold", "awaiting_approval"],
    })))
    .unwrap();
    assert!(p.pauses(Status::OnHold, Some(HoldReason::AwaitingVendor)));
    assert!(p.pauses(Status::AwaitingApproval, None));
    assert!(!p.pauses(Status::Fulfilling, None));
    assert_eq!(p.calendar_id, None, "no calendar: the built-in 24x7 one");
}

#[test]
fn first_match_wins() {
    let custom = Map::new();
    let policies = [
        policy("P1 only", json!({"priorities": ["P1"]})),
        policy("incidents", json!({"kinds": ["incident"]})),
        policy("everything", json!({})),
    ];
    assert_eq!(match_policy(&policies, &facts(&custom)).unwrap().name, "incidents");
    let request = TicketFacts { kind: Kind::ServiceRequest, ..facts(&custom) };
    assert_eq!(match_policy(&policies, &request).unwrap().name, "everything");
    let p1 = TicketFacts { priority: Priority::new(1).unwrap(), ..facts(&custom) };
    assert_eq!(match_policy(&policies, &p1).unwrap().name, "P1 only");
    assert!(match_policy(&policies[..1], &facts(&custom)).is_none());
}

#[test]
fn each_condition_kind_filters() {
    let mut custom = Map::new();
    custom.insert("vip".into(), json!(true));
    custom.insert("cost".into(), json!(5));
    let f = facts(&custom);
    let fits = |c: Value| policy("p", c).conditions.matches(&f);
    assert!(fits(json!({"desk_ids": [1, 2]})));
    assert!(!fits(json!({"desk_ids": [2]})));
    assert!(fits(json!({"kinds": ["incident"]})));
    assert!(!fits(json!({"kinds": ["problem"]})));
    assert!(fits(json!({"priorities": ["P3"]})));
    assert!(!fits(json!({"priorities": ["P1", "P2"]})));
    assert!(fits(json!({"category_ids": [10]})));
    assert!(!fits(json!({"category_ids": [11]})));
    // The ticket has no organisation: a list of organisations never matches it.
    assert!(!fits(json!({"organization_ids": [4]})));
    let with_org = TicketFacts { organization_id: Some(4), ..f };
    assert!(policy("p", json!({"organization_ids": [4]})).conditions.matches(&with_org));
    assert!(fits(json!({"custom_fields": {"vip": true}})));
    assert!(fits(json!({"custom_fields": {"cost": 5.0}})), "numbers compare by value");
    assert!(!fits(json!({"custom_fields": {"vip": false}})));
    assert!(!fits(json!({"custom_fields": {"vip": "true"}})));
    assert!(fits(json!({"custom_fields": {"region": null}})), "an absent field is null");
    // All conditions must hold together.
    assert!(!fits(json!({"desk_ids": [1], "kinds": ["problem"]})));
}

#[test]
fn validation_names_every_field() {
    let got = errors(json!({
        "name": " ",
        "conditions": {
            "kinds": ["incident", "release"], "priorities": ["P9"], "desk_ids": [0],
            "custom_fields": {"Bad Key": 1}
        },
        "targets": {"first_response": "2d", "resolution": "0s", "next_response": "x"},
        "calendar_id": -1,
        "warnings": [90, 75, 100],
        "pause_when": ["on_hold:sleeping", "resolved", "in_progress:awaiting_requester"],
        "escalations": [
            {"when": "80%", "action": "notify_group"},
            {"when": "breach", "action": "reassign_to_group"},
            {"when": "breach", "action": "notify_user", "user_id": -3},
            {"when": "breach", "action": "page_everyone", "target": "lunch"}
        ]
    }));
    let want = [
        ("name", "invalid_name"),
        ("conditions.desk_ids[0]", "invalid_id"),
        ("conditions.kinds[1]", "invalid_kind"),
        ("conditions.priorities[0]", "invalid_priority"),
        ("conditions.custom_fields.Bad Key", "invalid_key"),
        ("targets.first_response", "invalid_duration"),
        ("targets.resolution", "zero_target"),
        ("targets.next_response", "invalid_duration"),
        ("calendar_id", "invalid_id"),
        ("warnings[1]", "not_ascending"),
        ("warnings[2]", "out_of_range"),
        ("pause_when[0]", "invalid_hold_reason"),
        ("pause_when[1]", "closed_status"),
        ("pause_when[2]", "reason_without_hold"),
        ("escalations[0].when", "invalid_trigger"),
        ("escalations[1].group_id", "required"),
        ("escalations[2].user_id", "invalid_id"),
        ("escalations[3].target", "invalid_target"),
        ("escalations[3].action", "invalid_action"),
    ];
    for (field, code) in want {
        assert!(got.contains(&(field.to_string(), code)), "{field} {code} missing from {got:?}");
    }
    assert_eq!(got.len(), want.len(), "{got:?}");
}

#[test]
fn target_consistency_and_list_paths() {
    let got = errors(json!({
        "name": "x",
        "targets": {"first_response": "8h", "resolution": "4h"},
        "escalations": [{"when": "breach", "target": "next_response", "action": "raise_priority"}]
    }));
    assert_eq!(
        got,
        [
            ("targets.resolution".to_string(), "resolution_before_response"),
            ("escalations[0].target".to_string(), "no_such_target"),
        ]
    );
    let ok = json!({"name": "ok", "targets": {"first_response": "1h", "resolution": "8h"}});
    let bad = json!({"name": "bad", "targets": {"first_response": "1h", "resolution": "soon"}});
    let e = Policy::parse_all(&[spec(ok.clone()), spec(bad)]).unwrap_err();
    assert_eq!(e.0[0].field, "policies[1].targets.resolution");
    assert_eq!(Policy::parse_all(&[spec(ok)]).unwrap().len(), 1);
    // Unknown keys are refused at the JSON edge instead of being silently ignored.
    assert!(serde_json::from_value::<PolicySpec>(json!({
        "name": "x", "targets": {"first_response": "1h", "resolution": "8h"}, "calender_id": 3
    }))
    .is_err());
}

#[test]
fn raising_priority_stops_at_p1() {
    let p = |n| Priority::new(n).unwrap();
    assert_eq!(raise_priority(p(3)), p(2));
    assert_eq!(raise_priority(p(1)), p(1));
}

#[test]
fn targets_take_duration_strings_or_integer_seconds() {
    let t: TargetsSpec =
        serde_json::from_value(serde_json::json!({"first_response": 1800, "resolution": "4h", "next_response": 60}))
            .expect("integer seconds");
    assert_eq!((t.first_response.as_str(), t.resolution.as_str()), ("1800", "4h"));
    assert_eq!(t.next_response.as_deref(), Some("60"));
    let t: TargetsSpec =
        serde_json::from_value(serde_json::json!({"first_response": "30m", "resolution": 7200, "next_response": null}))
            .expect("mixed");
    assert_eq!((t.resolution.as_str(), t.next_response), ("7200", None));
    assert!(
        serde_json::from_value::<TargetsSpec>(serde_json::json!({"first_response": true, "resolution": "4h"})).is_err()
    );
}
