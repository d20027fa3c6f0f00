//! Service level management through the REST contract, on both databases: calendars and
//! policies, clocks following the ticket, the worker's warnings and breaches (driven with a
//! chosen `now`), escalations, `sort:due` and the report.
//!
//! Targets are an hour or more so that the server's own scheduled scan, which runs on the
//! real clock, never fires anything while a test runs; the tests scan with instants ahead.

use crate::both_backends;
use crate::helpers::*;
use opsdesk_store::Ts;
use serde_json::{json, Value};

/// An admin, a group "Network" with an agent, a second group "Tier2", a requester.
struct Desk {
    server: TestServer,
    admin: Client,
    admin_id: i64,
    agent: Client,
    agent_id: i64,
    tier2_id: i64,
    requester: Client,
}

async fn desk(db: &TestDb) -> Desk {
    let server = db.start().await;
    let (admin_user, admin) = server.user("admin").await;
    let (agent_user, agent) = server.user("agent").await;
    let (_, requester) = server.user("requester").await;
    let group_id = admin.post("/api/v1/groups", json!({"name": "Network"})).await.body["id"].as_i64().expect("group");
    let tier2_id = admin.post("/api/v1/groups", json!({"name": "Tier2"})).await.body["id"].as_i64().expect("group");
    let r =
        admin.send(reqwest::Method::PUT, &format!("/api/v1/groups/{group_id}/members/{}", agent_user.id), None).await;
    assert_eq!(r.status, 204);
    Desk { server, admin, admin_id: admin_user.id, agent, agent_id: agent_user.id, tier2_id, requester }
}

async fn policy(admin: &Client, body: Value) -> Value {
    let r = admin.post("/api/v1/sla/policies", body).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body
}

async fn ticket(c: &Client, body: Value) -> Value {
    let r = c.post("/api/v1/tickets", body).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body
}

/// The ticket's SLA targets by target name.
async fn targets(c: &Client, id: i64) -> Vec<Value> {
    let r = c.get(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["sla"].as_array().cloned().expect("sla")
}

fn target<'a>(ts: &'a [Value], name: &str) -> &'a Value {
    ts.iter().rev().find(|t| t["target"] == name).unwrap_or_else(|| panic!("no {name} target in {ts:?}"))
}

fn created(t: &Value) -> Ts {
    serde_json::from_value(t["created_at"].clone()).expect("created_at")
}

fn plus(t: Ts, secs: i64) -> Ts {
    Ts::from_micros(t.micros() + secs * 1_000_000)
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

fn field_names(r: &Reply) -> Vec<String> {
    r.body["errors"]
        .as_array()
        .map(|es| es.iter().filter_map(|e| e["field"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

/// A policy for every ticket: first response 1h, resolution 2h, a warning at 50 %.
fn everything(extra: Value) -> Value {
    let mut p = json!({
        "name": "Everything",
        "targets": {"first_response": "1h", "resolution": "2h"},
        "warnings": [50],
    });
    if let (Some(p), Some(e)) = (p.as_object_mut(), extra.as_object()) {
        p.extend(e.clone());
    }
    p
}

async fn sla_events(db: &opsdesk_store::Db, ticket_id: i64, kind: &str) -> usize {
    db.events_of(&format!("ticket:{ticket_id}")).await.expect("events").iter().filter(|e| e.kind == kind).count()
}

both_backends! {
    async fn calendars_and_policies_crud_with_field_errors(db: TestDb) {
        let d = desk(&db).await;
        let list = d.agent.get("/api/v1/sla/calendars").await;
        assert_eq!(list.status, 200, "{:?}", list.body);
        assert_eq!(list.body["items"][0]["id"], 0);
        assert_eq!(list.body["items"][0]["builtin"], true);
        assert_eq!(list.body["items"][0]["twenty_four_seven"], true);

        let bad = d.admin.post("/api/v1/sla/calendars", json!({"name": "", "time_zone": "Mars/Olympus", "hours": {"mon": ["9-5"], "funday": ["09:00-17:00"]}})).await;
        bad.assert_problem(422, "validation_failed");
        let fields = field_names(&bad);
        for f in ["name", "time_zone", "hours.mon[0]", "hours.funday"] {
            assert!(fields.contains(&f.to_string()), "{f} in {fields:?}");
        }
        let cal = d.admin.post("/api/v1/sla/calendars", json!({"name": "Berlin office", "time_zone": "Europe/Berlin", "hours": {"mon": ["09:00-17:00"], "tue": ["09:00-17:00"]}, "holidays": ["12-25"]})).await;
        assert_eq!(cal.status, 201, "{:?}", cal.body);
        let cal_id = id(&cal.body);
        assert_eq!(cal.body["hours"]["mon"], json!(["09:00-17:00"]));
        let dup = d.admin.post("/api/v1/sla/calendars", json!({"name": "Berlin office", "time_zone": "UTC", "twenty_four_seven": true})).await;
        dup.assert_problem(422, "validation_failed");
        assert_eq!(field_names(&dup), vec!["name"]);
        let put = d.admin.send(reqwest::Method::PUT, &format!("/api/v1/sla/calendars/{cal_id}"), Some(json!({"name": "Berlin", "time_zone": "Europe/Berlin", "hours": {"wed": ["22:00-06:00"]}}))).await;
        assert_eq!(put.status, 200, "{:?}", put.body);
        assert_eq!(put.body["name"], "Berlin");
        d.admin.send(reqwest::Method::PUT, "/api/v1/sla/calendars/0", Some(json!({"name": "x", "time_zone": "UTC", "twenty_four_seven": true}))).await.assert_problem(409, "builtin_calendar");
        d.agent.post("/api/v1/sla/calendars", json!({"name": "Agent's", "time_zone": "UTC", "twenty_four_seven": true})).await.assert_problem(403, "forbidden");
        d.requester.get("/api/v1/sla/calendars").await.assert_problem(403, "forbidden");

        let bad = d.admin.post("/api/v1/sla/policies", json!({
            "name": "Broken",
            "conditions": {"kinds": ["incident", "bogus"]},
            "targets": {"first_response": "abc", "resolution": "4h"},
            "calendar_id": 9999,
            "escalations": [{"when": "breach", "action": "reassign_to_group", "group_id": 9999}, {"when": "33%", "action": "raise_priority"}],
        })).await;
        bad.assert_problem(422, "validation_failed");
        let fields = field_names(&bad);
        for f in ["conditions.kinds[1]", "targets.first_response", "calendar_id", "escalations[0].group_id", "escalations[1].when"] {
            assert!(fields.contains(&f.to_string()), "{f} in {fields:?}");
        }
        d.admin.post("/api/v1/sla/policies", json!({"name": "x", "targets": {"first_response": "1h", "resolution": "2h"}, "is_admin": true})).await.assert_problem(422, "invalid_body");

        let a = policy(&d.admin, json!({"name": "Office hours", "calendar_id": cal_id, "targets": {"first_response": "4h", "resolution": "16h"}})).await;
        let b = policy(&d.admin, everything(json!({}))).await;
        assert!(a["position"].as_i64() < b["position"].as_i64(), "appended in order: {a:?} {b:?}");
        assert_eq!(a["warnings"], json!([75, 90]), "default warnings");
        assert_eq!(a["pause_when"], json!(["on_hold:awaiting_requester"]), "default pause");
        // Reorder: "Everything" first.
        let mut moved = b.clone();
        let moved_obj = moved.as_object_mut().expect("object");
        for k in ["id", "created_at", "updated_at"] {
            moved_obj.remove(k);
        }
        moved_obj.insert("position".into(), json!(0));
        let r = d.admin.send(reqwest::Method::PUT, &format!("/api/v1/sla/policies/{}", id(&b)), Some(moved)).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let names: Vec<Value> = d.agent.get("/api/v1/sla/policies").await.body["items"].as_array().expect("items").iter().map(|p| p["name"].clone()).collect();
        assert_eq!(names, vec![json!("Everything"), json!("Office hours")]);

        d.admin.send(reqwest::Method::DELETE, &format!("/api/v1/sla/calendars/{cal_id}"), None).await.assert_problem(409, "calendar_in_use");
        assert_eq!(d.admin.send(reqwest::Method::DELETE, &format!("/api/v1/sla/policies/{}", id(&a)), None).await.status, 204);
        assert_eq!(d.admin.send(reqwest::Method::DELETE, &format!("/api/v1/sla/calendars/{cal_id}"), None).await.status, 204);
        d.admin.get(&format!("/api/v1/sla/calendars/{cal_id}")).await.assert_problem(404, "not_found");
        d.admin.get("/api/v1/sla/policies/notanumber").await.assert_problem(404, "not_found");
        d.server.stop().await;
    }

    async fn ticket_gets_clocks_from_the_first_matching_policy(db: TestDb) {
        let d = desk(&db).await;
        policy(&d.admin, json!({"name": "P1 incidents", "conditions": {"kinds": ["incident"], "priorities": ["P1"]}, "targets": {"first_response": "30m", "resolution": "4h"}})).await;
        policy(&d.admin, everything(json!({}))).await;
        let p1 = ticket(&d.agent, json!({"kind": "incident", "title": "Core switch down", "impact": 1, "urgency": 1, "group": "Network"})).await;
        assert_eq!(p1["priority"], "P1");
        let ts = targets(&d.agent, id(&p1)).await;
        assert_eq!(ts.len(), 2, "{ts:?}");
        let fr = target(&ts, "first_response");
        assert_eq!(fr["policy"], "P1 incidents");
        assert_eq!(fr["state"], "running");
        assert_eq!(fr["target_secs"], 1800);
        assert_eq!(fr["breached"], false);
        let remaining = fr["remaining_secs"].as_i64().expect("remaining");
        assert!((1700..=1800).contains(&remaining), "{remaining}");
        assert!(fr["due_at"].as_str().is_some_and(|s| s.ends_with("+00:00") || s.ends_with('Z')), "UTC viewer: {fr:?}");
        assert_eq!(target(&ts, "resolution")["target_secs"], 14400);

        // Another viewer's time zone shows the same instant with its offset.
        let r = d.agent.patch("/api/v1/me", json!({"time_zone": "Asia/Kolkata"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let ts = targets(&d.agent, id(&p1)).await;
        assert!(target(&ts, "first_response")["due_at"].as_str().is_some_and(|s| s.ends_with("+05:30")), "{ts:?}");

        let p3 = ticket(&d.agent, json!({"kind": "incident", "title": "Printer jam", "group": "Network"})).await;
        let ts = targets(&d.agent, id(&p3)).await;
        assert_eq!(target(&ts, "first_response")["policy"], "Everything");
        assert_eq!(target(&ts, "first_response")["target_secs"], 3600);
        // Lists do not carry the SLA.
        let list = d.agent.get("/api/v1/tickets?q=").await;
        assert!(list.body["items"][0].get("sla").is_none(), "{:?}", list.body["items"][0]);
        d.server.stop().await;
    }

    async fn targets_may_be_given_as_integer_seconds(db: TestDb) {
        let d = desk(&db).await;
        let body = json!({"name": "Seconds", "targets": {"first_response": 1800, "resolution": "4h", "next_response": 900}});
        let p = policy(&d.admin, body).await;
        assert_eq!(p["targets"]["first_response"], "1800", "kept as written: {p}");
        let t = ticket(&d.agent, json!({"kind": "incident", "title": "Printer jam", "group": "Network"})).await;
        let ts = targets(&d.agent, id(&t)).await;
        assert_eq!(target(&ts, "first_response")["target_secs"], 1800);
        assert_eq!(target(&ts, "resolution")["target_secs"], 14400);
        // Negative, fractional and zero seconds are refused at the field.
        for bad in [json!(-5), json!(0), json!(1.5)] {
            let body = json!({"name": "Bad", "targets": {"first_response": bad, "resolution": "4h"}});
            let r = d.admin.post("/api/v1/sla/policies", body).await;
            assert_eq!(r.status, 422, "{bad}: {:?}", r.body);
            assert!(r.body["errors"].as_array().expect("errors").iter().any(|e| e["field"].as_str().is_some_and(|f| f.contains("first_response"))), "{bad}: {:?}", r.body);
        }
        d.server.stop().await;
    }

    async fn hold_awaiting_requester_pauses_and_resuming_runs_again(db: TestDb) {
        let d = desk(&db).await;
        policy(&d.admin, everything(json!({}))).await;
        let t = ticket(&d.agent, json!({"kind": "incident", "title": "VPN", "group": "Network", "assignee": d.agent_id})).await;
        let path = format!("/api/v1/tickets/{}/transitions", id(&t));
        let r = d.agent.post(&path, json!({"to": "on_hold", "hold_reason": "awaiting_requester", "public": false, "comment": "waiting"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let ts = targets(&d.agent, id(&t)).await;
        for x in &ts {
            assert_eq!(x["state"], "paused", "{ts:?}");
            assert!(x["due_at"].is_null());
        }
        let r = d.agent.post(&path, json!({"to": "in_progress"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let ts = targets(&d.agent, id(&t)).await;
        assert!(ts.iter().all(|x| x["state"] == "running"), "{ts:?}");
        // Another hold reason does not pause.
        let r = d.agent.post(&path, json!({"to": "on_hold", "hold_reason": "awaiting_vendor"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert!(targets(&d.agent, id(&t)).await.iter().all(|x| x["state"] == "running"));
        let sla = d.agent.get(&format!("/api/v1/tickets/{}/sla", id(&t))).await;
        assert_eq!(sla.status, 200, "{:?}", sla.body);
        let events: Vec<(String, String)> = sla.body["history"].as_array().expect("history").iter().map(|e| (e["target"].as_str().unwrap_or("").to_string(), e["event"].as_str().unwrap_or("").to_string())).collect();
        let fr: Vec<&str> = events.iter().filter(|(t, _)| t == "first_response").map(|(_, e)| e.as_str()).collect();
        assert_eq!(fr, vec!["started", "paused", "resumed"], "{events:?}");
        d.server.stop().await;
    }

    async fn first_public_agent_reply_meets_first_response(db: TestDb) {
        let d = desk(&db).await;
        policy(&d.admin, everything(json!({"targets": {"first_response": "1h", "resolution": "2h", "next_response": "1h"}}))).await;
        let t = ticket(&d.requester, json!({"kind": "incident", "title": "Mail is slow"})).await;
        let path = format!("/api/v1/tickets/{}/comments", id(&t));
        assert_eq!(d.admin.post(&path, json!({"body": "internal thought", "public": false})).await.status, 201);
        assert_eq!(target(&targets(&d.admin, id(&t)).await, "first_response")["state"], "running", "a note is no response");
        assert_eq!(d.requester.post(&path, json!({"body": "any news?"})).await.status, 201);
        assert_eq!(target(&targets(&d.admin, id(&t)).await, "first_response")["state"], "running", "the requester's reply is no response");
        assert_eq!(d.admin.post(&path, json!({"body": "Looking into it"})).await.status, 201);
        let ts = targets(&d.admin, id(&t)).await;
        assert_eq!(target(&ts, "first_response")["state"], "met", "{ts:?}");
        assert_eq!(target(&ts, "first_response")["breached"], false);
        assert_eq!(target(&ts, "resolution")["state"], "running");
        // The requester's next reply starts a next-response clock; the agent's answer meets it.
        assert_eq!(d.requester.post(&path, json!({"body": "still slow"})).await.status, 201);
        assert_eq!(target(&targets(&d.admin, id(&t)).await, "next_response")["state"], "running");
        assert_eq!(d.admin.post(&path, json!({"body": "Fixed the queue"})).await.status, 201);
        assert_eq!(target(&targets(&d.admin, id(&t)).await, "next_response")["state"], "met");
        d.server.stop().await;
    }

    async fn resolving_meets_resolution_and_reopening_resumes_it(db: TestDb) {
        let d = desk(&db).await;
        policy(&d.admin, everything(json!({}))).await;
        let t = ticket(&d.requester, json!({"kind": "incident", "title": "Laptop fan"})).await;
        let path = format!("/api/v1/tickets/{}/transitions", id(&t));
        let r = d.admin.post(&path, json!({"to": "resolved", "comment": "Cleaned the fan"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let ts = targets(&d.admin, id(&t)).await;
        assert_eq!(target(&ts, "resolution")["state"], "met", "{ts:?}");
        assert_eq!(target(&ts, "first_response")["state"], "met", "the public resolution note answered: {ts:?}");
        let r = d.requester.post(&path, json!({"to": "in_progress"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let ts = targets(&d.admin, id(&t)).await;
        assert_eq!(target(&ts, "resolution")["state"], "running", "{ts:?}");
        let sla = d.admin.get(&format!("/api/v1/tickets/{}/sla", id(&t))).await;
        assert!(sla.body["history"].as_array().expect("history").iter().any(|e| e["event"] == "reopened"), "{:?}", sla.body);
        // Cancelling without a resolution cancels the running clock.
        let r = d.admin.post(&path, json!({"to": "cancelled"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(target(&targets(&d.admin, id(&t)).await, "resolution")["state"], "cancelled");
        d.server.stop().await;
    }

    async fn a_priority_change_replans_targets(db: TestDb) {
        let d = desk(&db).await;
        policy(&d.admin, json!({"name": "P1", "conditions": {"priorities": ["P1"]}, "targets": {"first_response": "10m", "resolution": "1h"}})).await;
        policy(&d.admin, everything(json!({}))).await;
        let t = ticket(&d.agent, json!({"kind": "incident", "title": "Slow wiki", "group": "Network"})).await;
        assert_eq!(target(&targets(&d.agent, id(&t)).await, "first_response")["target_secs"], 3600);
        let r = d.agent.patch(&format!("/api/v1/tickets/{}", id(&t)), json!({"priority": "P1", "priority_reason": "CEO affected"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let ts = targets(&d.agent, id(&t)).await;
        assert_eq!(target(&ts, "first_response")["target_secs"], 600, "{ts:?}");
        assert_eq!(target(&ts, "first_response")["policy"], "P1");
        assert_eq!(target(&ts, "resolution")["target_secs"], 3600);
        // Back to the matrix (impact and urgency make it P1 too).
        let r = d.agent.patch(&format!("/api/v1/tickets/{}", id(&t)), json!({"priority": null, "impact": 1, "urgency": 1})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let r = d.agent.patch(&format!("/api/v1/tickets/{}", id(&t)), json!({"impact": 3})).await;
        assert_eq!(r.body["priority"], "P3");
        assert_eq!(target(&targets(&d.agent, id(&t)).await, "first_response")["target_secs"], 3600);
        let sla = d.agent.get(&format!("/api/v1/tickets/{}/sla", id(&t))).await;
        let replans = sla.body["history"].as_array().expect("history").iter().filter(|e| e["event"] == "replanned").count();
        assert_eq!(replans, 4, "two targets, two priority changes: {:?}", sla.body);
        d.server.stop().await;
    }

    async fn the_scan_fires_each_warning_and_breach_once(db: TestDb) {
        let d = desk(&db).await;
        policy(&d.admin, everything(json!({"escalations": [
            {"when": "50%", "target": "first_response", "action": "notify_group"},
            {"when": "breach", "target": "first_response", "action": "notify_user", "user_id": d.admin_id},
        ]}))).await;
        let t = ticket(&d.agent, json!({"kind": "incident", "title": "DNS", "group": "Network"})).await;
        let start = created(&t);
        let app = d.server.app();
        assert_eq!(app.sla_scan(plus(start, 1000)).await.expect("scan"), opsdesk_app::sla::ScanReport::default());
        let r = app.sla_scan(plus(start, 1801)).await.expect("scan");
        assert_eq!((r.warnings, r.breaches), (1, 0), "first response at 50 %");
        let r = app.sla_scan(plus(start, 1801)).await.expect("scan");
        assert_eq!((r.warnings, r.breaches), (0, 0), "nothing twice");
        let r = app.sla_scan(plus(start, 3601)).await.expect("scan");
        assert_eq!((r.warnings, r.breaches), (1, 1), "first response breached, resolution at 50 %");
        let r = app.sla_scan(plus(start, 7201)).await.expect("scan");
        assert_eq!((r.warnings, r.breaches), (0, 1), "resolution breached");
        assert_eq!(app.sla_scan(plus(start, 99_999)).await.expect("scan"), opsdesk_app::sla::ScanReport::default());

        let check = db.connect().await;
        assert_eq!(sla_events(&check, id(&t), "sla.warning").await, 2);
        assert_eq!(sla_events(&check, id(&t), "sla.breached").await, 2);
        let ts = targets(&d.agent, id(&t)).await;
        assert_eq!(target(&ts, "first_response")["state"], "breached", "{ts:?}");
        assert_eq!(target(&ts, "first_response")["breached"], true);

        let mine = d.agent.get("/api/v1/me/notifications").await;
        assert_eq!(mine.status, 200, "{:?}", mine.body);
        let kinds: Vec<&str> = mine.body["items"].as_array().expect("items").iter().filter_map(|n| n["kind"].as_str()).collect();
        assert_eq!(kinds, vec!["sla.warning"], "the group was told of the warning");
        let admins = d.admin.get("/api/v1/me/notifications").await;
        assert_eq!(admins.body["items"][0]["kind"], "sla.breached", "{:?}", admins.body);
        assert_eq!(admins.body["items"][0]["ticket_id"], id(&t));
        assert_eq!(d.requester.get("/api/v1/me/notifications").await.body["items"], json!([]));
        let tl = d.agent.get(&format!("/api/v1/tickets/{}/timeline", id(&t))).await;
        let fields: Vec<&str> = tl.body["timeline"]["history"].as_array().expect("history").iter().filter_map(|h| h["field"].as_str()).collect();
        assert_eq!(fields.iter().filter(|f| **f == "sla_warning").count(), 2, "{fields:?}");
        assert_eq!(fields.iter().filter(|f| **f == "sla_breach").count(), 2, "{fields:?}");
        d.server.stop().await;
    }

    async fn two_concurrent_workers_fire_once(db: TestDb) {
        let d = desk(&db).await;
        policy(&d.admin, everything(json!({"warnings": [25, 50, 75], "escalations": [{"when": "breach", "action": "notify_group"}]}))).await;
        let mut tickets = Vec::new();
        for i in 0..5 {
            tickets.push(ticket(&d.agent, json!({"kind": "incident", "title": format!("Outage {i}"), "group": "Network"})).await);
        }
        let latest = tickets.iter().map(created).max().expect("tickets");
        let other = opsdesk_app::App::new(db.connect().await, opsdesk_app::AppConfig::default());
        let now = plus(latest, 100_000);
        let (a, b) = tokio::join!(d.server.app().sla_scan(now), other.sla_scan(now));
        let (a, b) = (a.expect("scan a"), b.expect("scan b"));
        // Five tickets, two targets each: three warnings and one breach per clock.
        assert_eq!(a.warnings + b.warnings, 30, "{a:?} {b:?}");
        assert_eq!(a.breaches + b.breaches, 10, "{a:?} {b:?}");
        let check = db.connect().await;
        for t in &tickets {
            assert_eq!(sla_events(&check, id(t), "sla.breached").await, 2);
        }
        let n = d.agent.get("/api/v1/me/notifications?limit=500").await;
        assert_eq!(n.body["items"].as_array().expect("items").len(), 10, "one per breach");
        d.server.stop().await;
    }

    async fn breach_escalation_reassigns_and_raises_priority(db: TestDb) {
        let d = desk(&db).await;
        let leads = d.admin.post("/api/v1/groups", json!({"name": "Leads", "lead_user_id": d.admin_id})).await;
        assert_eq!(leads.status, 201, "{:?}", leads.body);
        policy(&d.admin, everything(json!({"escalations": [
            {"when": "breach", "target": "first_response", "action": "reassign_to_group", "group_id": d.tier2_id},
            {"when": "breach", "target": "first_response", "action": "raise_priority"},
            {"when": "breach", "target": "first_response", "action": "notify_group_lead", "group_id": d.tier2_id},
            {"when": "breach", "target": "first_response", "action": "notify_group_lead"},
            {"when": "breach", "target": "first_response", "action": "notify_group_lead", "group_id": id(&leads.body)},
        ]}))).await;
        let t = ticket(&d.agent, json!({"kind": "incident", "title": "Disk full", "group": "Network", "assignee": d.agent_id})).await;
        assert_eq!(t["priority"], "P3");
        let r = d.server.app().sla_scan(plus(created(&t), 3601)).await.expect("scan");
        assert_eq!(r.breaches, 1);
        let after = d.admin.get(&format!("/api/v1/tickets/{}", id(&t))).await.body;
        assert_eq!(after["group_id"], d.tier2_id);
        assert_eq!(after["assignee_id"], Value::Null, "the agent is not in Tier2");
        assert_eq!(after["status"], "new");
        assert_eq!(after["priority"], "P2");
        assert!(after["version"].as_i64() > t["version"].as_i64());
        let tl = d.admin.get(&format!("/api/v1/tickets/{}/timeline", id(&t))).await;
        let history = tl.body["timeline"]["history"].as_array().expect("history").clone();
        let field = |f: &str| history.iter().find(|h| h["field"] == f).cloned().unwrap_or_else(|| panic!("{f} in {history:?}"));
        assert!(field("sla_breach")["new_value"].as_str().is_some_and(|v| v.contains("reassign_to_group") && v.contains("raise_priority")));
        assert_eq!(field("group_id")["new_value"], d.tier2_id.to_string());
        assert_eq!(field("priority")["new_value"], "P2");
        // Tier2 has no lead and no members: nobody to tell. Network (the ticket's group when
        // it breached) has no lead: its members are told. Leads has one: only the lead is.
        let kinds = |r: Reply| -> Vec<String> { r.body["items"].as_array().expect("items").iter().filter_map(|n| n["kind"].as_str().map(String::from)).collect() };
        assert_eq!(kinds(d.agent.get("/api/v1/me/notifications").await), vec!["sla.breached"]);
        assert_eq!(kinds(d.admin.get("/api/v1/me/notifications").await), vec!["sla.breached"]);
        d.server.stop().await;
    }

    async fn requesters_see_their_own_targets_only(db: TestDb) {
        let d = desk(&db).await;
        policy(&d.admin, everything(json!({}))).await;
        let mine = ticket(&d.requester, json!({"kind": "incident", "title": "My screen"})).await;
        let (_, other) = d.server.user("requester").await;
        other.get(&format!("/api/v1/tickets/{}/sla", id(&mine))).await.assert_problem(404, "not_found");
        other.get(&format!("/api/v1/tickets/{}", id(&mine))).await.assert_problem(404, "not_found");
        let own = d.requester.get(&format!("/api/v1/tickets/{}/sla", id(&mine))).await;
        assert_eq!(own.status, 200, "{:?}", own.body);
        assert_eq!(own.body["targets"].as_array().expect("targets").len(), 2);
        assert_eq!(own.body["targets"][0]["policy"], Value::Null, "policy names are internal");
        assert_eq!(own.body["history"], json!([]));
        d.requester.get("/api/v1/reports/sla").await.assert_problem(403, "forbidden");
        d.requester.get("/api/v1/sla/policies").await.assert_problem(403, "forbidden");
        d.server.stop().await;
    }

    async fn sort_due_puts_the_nearest_due_first(db: TestDb) {
        let d = desk(&db).await;
        policy(&d.admin, json!({"name": "P1", "conditions": {"kinds": ["incident"], "priorities": ["P1"]}, "targets": {"first_response": "10m", "resolution": "1h"}})).await;
        policy(&d.admin, json!({"name": "Incidents", "conditions": {"kinds": ["incident"]}, "targets": {"first_response": "1h", "resolution": "8h"}})).await;
        let request = ticket(&d.agent, json!({"kind": "service_request", "title": "New laptop", "group": "Network"})).await;
        let slow = ticket(&d.agent, json!({"kind": "incident", "title": "Slow", "group": "Network"})).await;
        let urgent = ticket(&d.agent, json!({"kind": "incident", "title": "Urgent", "impact": 1, "urgency": 1, "group": "Network"})).await;
        let held = ticket(&d.agent, json!({"kind": "incident", "title": "Held", "group": "Network", "assignee": d.agent_id})).await;
        let r = d.agent.post(&format!("/api/v1/tickets/{}/transitions", id(&held)), json!({"to": "on_hold", "hold_reason": "awaiting_requester"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let list = d.agent.get("/api/v1/tickets?q=sort:due").await;
        assert_eq!(list.status, 200, "{:?}", list.body);
        let ids: Vec<i64> = list.body["items"].as_array().expect("items").iter().map(id).collect();
        assert_eq!(ids, vec![id(&urgent), id(&slow), id(&request), id(&held)], "running clocks by due, then the rest by id");
        // Paging through with a cursor gives the same order.
        let mut paged = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let path = match &after {
                Some(a) => format!("/api/v1/tickets?q=sort:due&limit=1&after={a}"),
                None => "/api/v1/tickets?q=sort:due&limit=1".into(),
            };
            let page = d.agent.get(&path).await;
            assert_eq!(page.status, 200, "{:?}", page.body);
            paged.extend(page.body["items"].as_array().expect("items").iter().map(id));
            match page.body["next"].as_str() {
                Some(n) => after = Some(n.to_string()),
                None => break,
            }
        }
        assert_eq!(paged, ids);
        // Meeting the first response moves the ticket's due to its resolution.
        assert_eq!(d.agent.post(&format!("/api/v1/tickets/{}/comments", id(&urgent)), json!({"body": "on it"})).await.status, 201);
        let list = d.agent.get("/api/v1/tickets?q=sort:due").await;
        let ids: Vec<i64> = list.body["items"].as_array().expect("items").iter().map(id).collect();
        assert_eq!(ids, vec![id(&slow), id(&urgent), id(&request), id(&held)], "urgent is now due at its 1h resolution, after slow's first response");
        d.server.stop().await;
    }

    async fn sla_report_as_json_and_csv(db: TestDb) {
        let d = desk(&db).await;
        policy(&d.admin, everything(json!({}))).await;
        let answered = ticket(&d.agent, json!({"kind": "incident", "title": "A", "group": "Network"})).await;
        let late = ticket(&d.agent, json!({"kind": "incident", "title": "B", "group": "Network"})).await;
        assert_eq!(d.agent.post(&format!("/api/v1/tickets/{}/comments", id(&answered)), json!({"body": "done"})).await.status, 201);
        let r = d.server.app().sla_scan(plus(created(&late), 3601)).await.expect("scan");
        assert_eq!(r.breaches, 1, "only the unanswered ticket's first response");
        let r = d.agent.get("/api/v1/reports/sla?from=2000-01-01&group_by=policy").await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let items = r.body["items"].as_array().expect("items");
        let fr = items.iter().find(|l| l["target"] == "first_response").expect("first response line");
        assert_eq!(fr["key"], "Everything");
        assert_eq!((fr["total"].as_i64(), fr["met"].as_i64(), fr["breached"].as_i64()), (Some(2), Some(1), Some(1)));
        assert_eq!(fr["compliance_percent"], 50.0);
        let by_group = d.admin.get("/api/v1/reports/sla?from=2000-01-01&group_by=group").await;
        assert_eq!(by_group.body["items"][0]["key"], "Network", "{:?}", by_group.body);
        let by_priority = d.admin.get("/api/v1/reports/sla?from=2000-01-01&group_by=priority").await;
        assert_eq!(by_priority.body["items"][0]["key"], "P3", "{:?}", by_priority.body);

        let csv = d.agent.get("/api/v1/reports/sla?from=2000-01-01&format=csv").await;
        assert_eq!(csv.status, 200);
        assert!(csv.content_type().starts_with("text/csv"), "{}", csv.content_type());
        let text = csv.body.as_str().expect("csv text");
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("key,target,total,met,breached,open,cancelled,compliance_percent"));
        assert!(text.contains("Everything,first_response,2,1,1,0,0,50.0"), "{text}");

        // An agent of another group sees nothing of these tickets.
        let (_, outsider) = d.server.user("agent").await;
        assert_eq!(outsider.get("/api/v1/reports/sla?from=2000-01-01").await.body["items"], json!([]));
        let bad = d.agent.get("/api/v1/reports/sla?group_by=desk&from=yesterday").await;
        bad.assert_problem(422, "validation_failed");
        assert!(field_names(&bad).contains(&"from".to_string()), "{:?}", bad.body);
        let bad = d.agent.get("/api/v1/reports/sla?group_by=desk").await;
        bad.assert_problem(422, "validation_failed");
        assert_eq!(field_names(&bad), vec!["group_by"]);
        d.agent.get("/api/v1/reports/sla?format=xml").await.assert_problem(422, "validation_failed");
        d.agent.get("/api/v1/reports/sla?order=1").await.assert_problem(400, "invalid_query");
        d.server.stop().await;
    }

    async fn the_scan_and_sort_due_use_their_indexes(db: TestDb) {
        // The worker's query and the `sort:due` order, as the store runs them.
        let queries = [
            ("SELECT id, ticket_id FROM sla_clocks WHERE next_check_at IS NOT NULL AND next_check_at <= 1 ORDER BY next_check_at LIMIT 200", "sla_clocks_next_check"),
            ("SELECT t.id FROM tickets t ORDER BY t.sla_due_at ASC, t.id ASC LIMIT 50", "tickets_sla_due"),
        ];
        let _ = db.connect().await;
        for (sql, index) in queries {
            let plan: Vec<String> = match db.backend {
                opsdesk_store::Backend::Sqlite => {
                    let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&db.url).await.expect("connect");
                    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}")).fetch_all(&mut c).await.expect("plan");
                    rows.into_iter().map(|r| r.3).collect()
                }
                opsdesk_store::Backend::Postgres => {
                    let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url).await.expect("connect");
                    // An empty table is cheapest to scan; ask whether the index can serve it.
                    sqlx::query("SET enable_seqscan = off").execute(&mut c).await.expect("set");
                    sqlx::query("SET enable_bitmapscan = off").execute(&mut c).await.expect("set");
                    let rows: Vec<(String,)> = sqlx::query_as(&format!("EXPLAIN {sql}")).fetch_all(&mut c).await.expect("plan");
                    rows.into_iter().map(|r| r.0).collect()
                }
            };
            assert!(plan.iter().any(|l| l.contains(index)), "{sql} uses {index}: {plan:?}");
            assert!(!plan.iter().any(|l| l.contains("TEMP B-TREE") || l.contains("Sort")), "no sort step: {plan:?}");
        }
    }
}
