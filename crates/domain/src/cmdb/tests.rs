use super::identifiers::normalise;
use super::reconcile::{match_item, merge};
use super::relationship::{check, DEFAULT_RULES};
use super::*;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

fn e(id: i64, source: i64, rel: RelType, target: i64) -> Edge {
    Edge { id, source, rel, target }
}

/// Walks `graph` fully, feeding each level the edges that touch the frontier.
fn walk(graph: &[Edge], start: i64, direction: Direction, depth: u32, types: Vec<RelType>) -> Walk {
    let mut w = Walk::new(start, direction, depth, types);
    while !w.frontier().is_empty() {
        let f: BTreeSet<i64> = w.frontier().iter().copied().collect();
        let level: Vec<Edge> = graph
            .iter()
            .filter(|x| match direction {
                Direction::Downstream => f.contains(&x.target),
                Direction::Upstream => f.contains(&x.source),
            })
            .copied()
            .collect();
        w.advance(level);
    }
    w
}

// service 1 depends_on app 2; app 2 runs_on vm 3 and vm 4; vms hosted_on server 5 (diamond).
fn stack() -> Vec<Edge> {
    vec![
        e(10, 1, RelType::DependsOn, 2),
        e(11, 2, RelType::RunsOn, 3),
        e(12, 2, RelType::RunsOn, 4),
        e(13, 3, RelType::HostedOn, 5),
        e(14, 4, RelType::HostedOn, 5),
    ]
}

#[test]
fn downstream_of_a_server_reaches_the_service_once_through_a_diamond() {
    let w = walk(&stack(), 5, Direction::Downstream, 5, vec![]);
    assert_eq!(w.nodes(), vec![(5, 0), (3, 1), (4, 1), (2, 2), (1, 3)]);
    assert_eq!(w.edges().len(), 5, "both diamond edges kept, each once");
}

#[test]
fn upstream_of_the_service_reaches_the_server() {
    let w = walk(&stack(), 1, Direction::Upstream, 5, vec![]);
    assert_eq!(w.nodes(), vec![(1, 0), (2, 1), (3, 2), (4, 2), (5, 3)]);
}

#[test]
fn depth_limits_the_walk() {
    let w = walk(&stack(), 5, Direction::Downstream, 2, vec![]);
    assert_eq!(w.nodes(), vec![(5, 0), (3, 1), (4, 1), (2, 2)]);
    let w = walk(&stack(), 5, Direction::Downstream, 0, vec![]);
    assert_eq!(w.nodes(), vec![(5, 0)]);
}

#[test]
fn cycles_end() {
    let g = vec![e(1, 1, RelType::DependsOn, 2), e(2, 2, RelType::DependsOn, 3), e(3, 3, RelType::DependsOn, 1)];
    let w = walk(&g, 1, Direction::Upstream, 10, vec![]);
    assert_eq!(w.nodes(), vec![(1, 0), (2, 1), (3, 2)]);
    assert_eq!(w.edges().len(), 3, "the edge closing the cycle is shown, the start not revisited");
}

#[test]
fn a_type_filter_follows_only_those_relationships() {
    let w = walk(&stack(), 5, Direction::Downstream, 5, vec![RelType::HostedOn, RelType::RunsOn]);
    assert_eq!(w.nodes(), vec![(5, 0), (3, 1), (4, 1), (2, 2)], "depends_on is not followed");
}

#[test]
fn relationship_rules_refuse_self_and_disallowed_pairs() {
    let rules: Vec<RelRule> = DEFAULT_RULES
        .iter()
        .map(|(s, t, d)| RelRule {
            source_class: (*s != "*").then(|| s.to_string()),
            rel: RelType::parse(t).expect("type"),
            target_class: (*d != "*").then(|| d.to_string()),
        })
        .collect();
    assert!(check(&rules, (1, "application"), RelType::RunsOn, (2, "server")).is_ok());
    assert_eq!(check(&rules, (1, "server"), RelType::RunsOn, (2, "application")).unwrap_err().field, "type");
    assert_eq!(check(&rules, (1, "server"), RelType::DependsOn, (1, "server")).unwrap_err().code, "self_relationship");
    assert!(check(&rules, (1, "custom_thing"), RelType::DependsOn, (2, "server")).is_ok());
}

#[test]
fn identifiers_are_normalised_for_known_quirks() {
    assert_eq!(normalise(IdKind::Mac, "aa-bb-cc-dd-ee-0f").unwrap().as_deref(), Some("AA:BB:CC:DD:EE:0F"));
    assert_eq!(normalise(IdKind::Mac, "aabb.ccdd.ee0f").unwrap().as_deref(), Some("AA:BB:CC:DD:EE:0F"));
    assert_eq!(normalise(IdKind::Mac, "00:00:00:00:00:00").unwrap(), None);
    assert!(normalise(IdKind::Mac, "not a mac").is_err());
    assert_eq!(normalise(IdKind::Serial, " To be filled by O.E.M. ").unwrap(), None);
    assert_eq!(normalise(IdKind::Serial, "abc123").unwrap().as_deref(), Some("ABC123"));
    assert_eq!(normalise(IdKind::Hostname, "Web01.Example.COM.").unwrap().as_deref(), Some("web01.example.com"));
    assert_eq!(
        normalise(IdKind::Uuid, "{4C4C4544-0042-3510-8051-B4C04F4E3432}").unwrap().as_deref(),
        Some("4c4c4544-0042-3510-8051-b4c04f4e3432")
    );
    assert_eq!(
        Identifiers::lookup_values(IdKind::Uuid, "4c4c4544-0042-3510-8051-b4c04f4e3432"),
        vec!["4c4c4544-0042-3510-8051-b4c04f4e3432".to_string(), "44454c4c-4200-1035-8051-b4c04f4e3432".to_string()]
    );
}

#[test]
fn identifiers_reject_unknown_keys_and_bad_values_by_field() {
    let errs = Identifiers::parse(&json!({"serial": 5, "colour": "x", "mac": "zz"}), "identifiers").unwrap_err();
    let fields: BTreeSet<String> = errs.iter().map(|e| e.field.clone()).collect();
    assert_eq!(
        fields,
        ["identifiers.colour", "identifiers.mac", "identifiers.serial"].into_iter().map(String::from).collect()
    );
}

fn schema() -> ClassSchema {
    ClassSchema::parse(&json!([
        {"key": "ip_address", "type": "ip", "required": true},
        {"key": "cpu_count", "type": "number"},
        {"key": "env", "type": "select", "options": ["prod", "test"]},
        {"key": "bought", "type": "date"},
        {"key": "virtual", "type": "bool"},
        {"key": "owner_app", "type": "reference"},
        {"key": "os", "type": "text", "authoritative_source": "sccm"}
    ]))
    .expect("schema")
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("object")
}

#[test]
fn attributes_are_checked_against_the_class() {
    let s = schema();
    let ok = s
        .apply(&Map::new(), &obj(json!({"ip_address": " 10.0.0.1 ", "cpu_count": 4, "env": "prod", "bought": "2026-01-31", "virtual": false, "owner_app": 9})))
        .expect("valid");
    assert_eq!(ok.values["ip_address"], json!("10.0.0.1"));
    assert_eq!(ok.references, vec![("owner_app".to_string(), 9)]);
    let bad = s
        .apply(&Map::new(), &obj(json!({"cpu_count": "four", "env": "staging", "bought": "31/01/2026", "virtual": "no", "colour": "red"})))
        .unwrap_err();
    let fields: BTreeSet<String> = bad.0.iter().map(|e| e.field.clone()).collect();
    let want = [
        "attributes.ip_address",
        "attributes.cpu_count",
        "attributes.env",
        "attributes.bought",
        "attributes.virtual",
        "attributes.colour",
    ];
    assert_eq!(fields, want.into_iter().map(String::from).collect());
    let removed = s.apply(&ok.values, &obj(json!({"ip_address": null}))).unwrap_err();
    assert_eq!(removed.0[0].code, "required");
}

#[test]
fn a_class_schema_is_validated() {
    let bad = ClassSchema::parse(
        &json!([{"key": "Bad Key", "type": "text"}, {"key": "s", "type": "select"}, {"key": "x", "type": "blob"}]),
    )
    .unwrap_err();
    let fields: Vec<&str> = bad.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["attributes[0].key", "attributes[1].options", "attributes[2].type"]);
    assert_eq!(ClassKey::from_name("Load balancer (L7)").unwrap().as_str(), "load_balancer_l7");
    let stored = schema().to_stored();
    assert_eq!(ClassSchema::from_stored(&stored), schema());
}

fn ids(v: Value) -> Identifiers {
    Identifiers::parse(&v, "identifiers").expect("identifiers")
}

#[test]
fn one_machine_reported_with_partial_identifiers_matches_one_ci() {
    let reported = ids(json!({"hostname": "web01.example.com", "mac": "aa:bb:cc:dd:ee:ff"}));
    let known = ids(json!({"serial": "SN1", "hostname": "web01.example.com"}));
    let out = match_item(&reported, &[(IdKind::Hostname, vec![7]), (IdKind::Mac, vec![])], |_| Some(known.clone()));
    assert_eq!(out, MatchOutcome::Existing { ci: 7, matched_by: IdKind::Hostname });
    assert_eq!(
        match_item(&reported, &[(IdKind::Hostname, vec![]), (IdKind::Mac, vec![])], |_| None),
        MatchOutcome::New
    );
}

#[test]
fn conflicting_identifiers_are_reported_not_merged() {
    let reported = ids(json!({"serial": "SN1", "mac": "aa:bb:cc:dd:ee:ff"}));
    let out = match_item(&reported, &[(IdKind::Serial, vec![7]), (IdKind::Mac, vec![9])], |_| None);
    assert!(matches!(out, MatchOutcome::Conflict { ref candidates, .. } if candidates == &vec![7, 9]), "{out:?}");
    // The hostname matches, but the machine behind it has another serial number.
    let reported = ids(json!({"serial": "SN2", "hostname": "web01.example.com"}));
    let known = ids(json!({"serial": "SN1", "hostname": "web01.example.com"}));
    let out = match_item(&reported, &[(IdKind::Serial, vec![]), (IdKind::Hostname, vec![7])], |_| Some(known.clone()));
    assert!(matches!(out, MatchOutcome::Conflict { ref detail, .. } if detail.contains("serial")), "{out:?}");
}

#[test]
fn an_authoritative_source_is_not_overwritten_by_others() {
    let current = obj(json!({"os": "Windows 11", "cpu_count": 4}));
    let m = merge(&schema(), &current, &obj(json!({"os": "Win10", "cpu_count": 8})), "discovery");
    assert_eq!(m.patch, obj(json!({"cpu_count": 8})));
    assert_eq!(m.protected, vec![("os".to_string(), "sccm".to_string())]);
    let m = merge(&schema(), &current, &obj(json!({"os": "Windows 11 24H2"})), "sccm");
    assert_eq!(m.patch, obj(json!({"os": "Windows 11 24H2"})));
}

#[test]
fn the_stale_threshold_is_whole_days_within_ten_years() {
    assert_eq!(StaleAfter::days(7).map(StaleAfter::as_days), Ok(7));
    assert!(StaleAfter::days(0).is_err());
    assert!(StaleAfter::days(3651).is_err());
    assert!(StaleAfter::days(-1).is_err());
    assert_eq!(StaleAfter::from_stored(Some(" 14 ")).as_days(), 14);
    assert_eq!(StaleAfter::from_stored(Some("forever")), StaleAfter::DEFAULT);
    assert_eq!(StaleAfter::from_stored(None).duration(), std::time::Duration::from_secs(30 * 86_400));
}
