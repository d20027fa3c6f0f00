use super::*;
use crate::approval::GroupRef;
use serde_json::{json, Map, Value};

fn laptop() -> Form {
    Form::parse(&json!([
        {"key": "model", "label": "Model", "type": "select", "required": true, "options": ["standard", "developer"]},
        {"key": "ram", "label": "Memory (GB)", "type": "number", "required": true, "min": 16, "max": 64,
         "show_if": {"field": "model", "equals": "developer"}},
        {"key": "reason", "label": "Why", "type": "textarea", "max_length": 20},
        {"key": "accept", "label": "I accept the policy", "type": "checkbox", "required": true},
        {"key": "extras", "label": "Extras", "type": "multiselect", "options": ["dock", "mouse"]},
        {"key": "dock_kind", "label": "Dock", "type": "text", "required": true,
         "show_if": {"field": "extras", "equals": "dock"}},
    ]))
    .expect("a valid form")
}

fn answers(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("an object")
}

fn fields(e: crate::Invalid) -> Vec<String> {
    e.0.into_iter().map(|e| e.field).collect()
}

#[test]
fn a_hidden_field_is_neither_required_nor_kept() {
    let f = laptop();
    let got = f.check_answers(&answers(json!({"model": "standard", "ram": 32, "accept": true}))).expect("valid");
    assert_eq!(Value::Object(got), json!({"model": "standard", "accept": true}), "the hidden ram answer is dropped");
}

#[test]
fn a_shown_conditional_field_is_required_and_checked() {
    let f = laptop();
    let e = f.check_answers(&answers(json!({"model": "developer", "accept": true}))).expect_err("ram is required");
    assert_eq!(fields(e), ["answers.ram"]);
    let e = f.check_answers(&answers(json!({"model": "developer", "ram": 8, "accept": true}))).expect_err("too small");
    assert_eq!(e.0[0].code, "invalid_answer");
    let ok = f.check_answers(&answers(json!({"model": "developer", "ram": 32, "accept": true}))).expect("valid");
    assert_eq!(ok["ram"], json!(32));
}

#[test]
fn a_multiselect_shows_fields_for_what_it_contains() {
    let f = laptop();
    let a = answers(json!({"model": "standard", "accept": true, "extras": ["mouse", "dock"]}));
    assert_eq!(fields(f.check_answers(&a).expect_err("dock_kind")), ["answers.dock_kind"]);
    let a = answers(json!({"model": "standard", "accept": true, "extras": ["mouse"], "dock_kind": "usb-c"}));
    assert!(!f.check_answers(&a).expect("valid").contains_key("dock_kind"));
}

#[test]
fn every_wrong_answer_is_named_at_once() {
    let f = laptop();
    let a = answers(json!({"model": "tablet", "reason": "x".repeat(21), "accept": false, "bogus": 1}));
    let mut got = fields(f.check_answers(&a).expect_err("invalid"));
    got.sort();
    assert_eq!(got, ["answers.accept", "answers.bogus", "answers.model", "answers.reason"]);
}

#[test]
fn blank_text_is_no_answer_and_one_line_text_refuses_line_breaks() {
    let f = Form::parse(&json!([{"key": "name", "label": "Name", "type": "text", "required": true}])).expect("form");
    assert_eq!(fields(f.check_answers(&answers(json!({"name": "  "}))).expect_err("blank")), ["answers.name"]);
    assert!(f.check_answers(&answers(json!({"name": "a\nb"}))).is_err());
    assert!(f.check_answers(&answers(json!({"name": "<script>"}))).is_ok(), "text is kept as text");
}

#[test]
fn types_check_their_values() {
    let f = Form::parse(&json!([
        {"key": "d", "label": "D", "type": "date"},
        {"key": "u", "label": "U", "type": "user"},
        {"key": "a", "label": "A", "type": "attachment"},
    ]))
    .expect("form");
    assert!(f.check_answers(&answers(json!({"d": "2026-02-30"}))).is_err());
    assert!(f.check_answers(&answers(json!({"u": "bob"}))).is_err());
    assert!(f.check_answers(&answers(json!({"a": -1}))).is_err());
    let ok = f.check_answers(&answers(json!({"d": "2026-02-28", "u": 3, "a": 9}))).expect("valid");
    assert_eq!(Value::Object(ok), json!({"d": "2026-02-28", "u": 3, "a": 9}));
}

#[test]
fn definitions_are_checked() {
    let bad = Form::parse(&json!([
        {"key": "Model", "label": "M", "type": "text"},
        {"key": "s", "label": "S", "type": "select"},
        {"key": "t", "label": "T", "type": "text", "options": ["x"], "min": 1},
        {"key": "s2", "label": "S2", "type": "select", "options": ["a", "a"]},
        {"key": "later", "label": "L", "type": "text", "show_if": {"field": "after", "equals": "x"}},
        {"key": "after", "label": "A", "type": "text"},
        {"key": "after", "label": "A", "type": "text"},
        {"key": "n", "label": "N", "type": "number", "min": 5, "max": 1},
        {"key": "c", "label": "C", "type": "text", "show_if": {"field": "s2", "equals": "b"}},
    ]))
    .expect_err("invalid");
    assert_eq!(
        fields(bad),
        [
            "form[0].key",
            "form[1].options",
            "form[2].options",
            "form[2].min",
            "form[3].options[1]",
            "form[4].show_if.field",
            "form[6].key",
            "form[7].max",
            "form[8].show_if.equals",
        ]
    );
    let e = Form::parse(&json!([{"key": "k", "label": "K", "type": "colour"}])).expect_err("unknown type");
    assert_eq!(fields(e), ["form[0]"]);
    assert!(Form::parse(&json!({"key": "k"})).is_err());
}

#[test]
fn forms_read_back_what_they_write() {
    let f = laptop();
    assert_eq!(Form::from_stored(&f.to_json()).expect("stored"), f);
}

#[test]
fn displays_read_like_a_form() {
    let f = laptop();
    assert_eq!(display(f.field("accept").expect("accept"), &json!(true)), "Yes");
    assert_eq!(display(f.field("extras").expect("extras"), &json!(["dock", "mouse"])), "dock, mouse");
    assert_eq!(display(f.field("ram").expect("ram"), &json!(32)), "32");
}

#[test]
fn approval_is_skipped_only_under_the_threshold() {
    assert!(!needs_approval(false, Some(100_000), None));
    assert!(needs_approval(true, None, None));
    assert!(needs_approval(true, Some(50_000), Some(50_000)), "at the threshold it is needed");
    assert!(!needs_approval(true, Some(49_999), Some(50_000)));
    assert!(!needs_approval(true, None, Some(1)), "no price costs nothing");
    assert_eq!(parse_money(12.345, "price"), Ok(1235));
    assert!(parse_money(-1.0, "price").is_err());
    assert!(parse_money(f64::NAN, "price").is_err());
    assert_eq!(money(1235), 12.35);
}

#[test]
fn audiences_offer_to_members() {
    assert!(Audience::default().offers_to(None, &[]));
    let a = Audience { organizations: vec![1], groups: vec![7] };
    assert!(a.offers_to(Some(1), &[]));
    assert!(a.offers_to(None, &[3, 7]));
    assert!(!a.offers_to(Some(2), &[3]));
}

#[test]
fn fulfilment_steps_wait_only_for_earlier_steps() {
    let steps = FulfilmentStep::parse_all(&json!([
        {"title": "Order", "group": "Purchasing"},
        {"title": "Image", "group": 4, "after": [0, 0]},
    ]))
    .expect("valid");
    assert_eq!(steps[0].group, Some(GroupRef::Name("Purchasing".into())));
    assert_eq!(steps[1].after, [0]);
    let e =
        FulfilmentStep::parse_all(&json!([{"title": "A", "after": [0]}, {"title": "", "x": 1}])).expect_err("invalid");
    assert_eq!(fields(e), ["fulfilment[0].after[0]", "fulfilment[1].x", "fulfilment[1].title"]);
    let back = FulfilmentStep::parse_all(&FulfilmentStep::to_json(&steps)).expect("round trip");
    assert_eq!(back, steps);
}
