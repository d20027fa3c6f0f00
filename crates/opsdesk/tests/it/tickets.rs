//! The ticket core through the REST contract, on both databases.

use crate::both_backends;
use crate::helpers::*;
use serde_json::{json, Value};

/// An admin, a group "Network" with one agent in it, and clients for each.
struct Desk {
    server: TestServer,
    admin: Client,
    agent: Client,
    agent_id: i64,
    group_id: i64,
}

async fn desk(db: &TestDb) -> Desk {
    let server = db.start().await;
    let (_, admin) = server.user("admin").await;
    let (agent_user, agent) = server.user("agent").await;
    let g = admin.post("/api/v1/groups", json!({"name": "Network"})).await;
    let group_id = g.body["id"].as_i64().expect("group");
    let r =
        admin.send(reqwest::Method::PUT, &format!("/api/v1/groups/{group_id}/members/{}", agent_user.id), None).await;
    assert_eq!(r.status, 204);
    Desk { server, admin, agent, agent_id: agent_user.id, group_id }
}

async fn create(c: &Client, body: Value) -> Value {
    let r = c.post("/api/v1/tickets", body).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body
}

fn etag(r: &Reply) -> String {
    r.headers.get("etag").and_then(|v| v.to_str().ok()).expect("ETag").to_string()
}

async fn patch_if(c: &Client, path: &str, tag: &str, body: Value) -> Reply {
    let mut req = c.http.patch(format!("{}{path}", c.base)).json(&body).header("if-match", tag);
    if let Some(t) = &c.token {
        req = req.bearer_auth(t);
    }
    read(req.send().await.expect("sent")).await
}

both_backends! {
    async fn incident_lifecycle_end_to_end(db: TestDb) {
        let d = desk(&db).await;
        let t = create(&d.agent, json!({"kind": "incident", "title": "VPN drops every hour", "description": "Users in Berlin lose the tunnel", "impact": 1, "urgency": 2, "group": "Network"})).await;
        assert_eq!(t["number"], "INC-1");
        assert_eq!(t["status"], "new");
        assert_eq!(t["priority"], "P2");
        assert_eq!(t["version"], 1);
        let id = t["id"].as_i64().expect("id");

        let by_number = d.agent.get("/api/v1/tickets/INC-1").await;
        assert_eq!(by_number.status, 200);
        assert_eq!(by_number.body["id"], id);
        assert_eq!(etag(&by_number), "\"1\"");
        assert_eq!(d.agent.get(&format!("/api/v1/tickets/{id}")).await.body["number"], "INC-1");

        // Assigning moves a new incident to assigned; the If-Match version must be current.
        let r = patch_if(&d.agent, &format!("/api/v1/tickets/{id}"), "\"1\"", json!({"assignee": d.agent_id})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["status"], "assigned");
        assert_eq!(etag(&r), "\"2\"");
        let stale = patch_if(&d.agent, &format!("/api/v1/tickets/{id}"), "\"1\"", json!({"title": "overwritten"})).await;
        stale.assert_problem(412, "stale_version");
        assert_eq!(stale.body["current"]["version"], 2);
        assert_eq!(d.agent.get("/api/v1/tickets/INC-1").await.body["title"], "VPN drops every hour", "no lost update");

        let illegal = d.agent.post("/api/v1/tickets/INC-1/transitions", json!({"to": "closed"})).await;
        illegal.assert_problem(422, "illegal_transition");
        assert_eq!(illegal.body["allowed"], json!(["new", "in_progress", "on_hold", "resolved", "cancelled"]));
        d.agent.post("/api/v1/tickets/INC-1/transitions", json!({"to": "on_hold"})).await.assert_problem(422, "illegal_transition");
        let held = d.agent.post("/api/v1/tickets/INC-1/transitions", json!({"to": "on_hold", "hold_reason": "awaiting_vendor"})).await;
        assert_eq!(held.body["hold_reason"], "awaiting_vendor");
        let r = d.agent.post("/api/v1/tickets/INC-1/transitions", json!({"to": "in_progress"})).await;
        assert_eq!(r.body["status"], "in_progress");

        let c = d.agent.post("/api/v1/tickets/INC-1/comments", json!({"body": "Rebooted the concentrator", "public": true})).await;
        assert_eq!(c.status, 201);
        let n = d.agent.post("/api/v1/tickets/INC-1/comments", json!({"body": "Vendor case 4711", "public": false})).await;
        assert_eq!(n.status, 201);
        let comments = d.agent.get("/api/v1/tickets/INC-1/comments").await;
        assert_eq!(comments.body["items"].as_array().map(Vec::len), Some(2));

        let resolved = d.agent.post("/api/v1/tickets/INC-1/transitions", json!({"to": "resolved", "comment": "Firmware updated"})).await;
        assert_eq!(resolved.body["status"], "resolved");
        assert!(resolved.body["resolved_at"].is_string());

        let timeline = d.agent.get("/api/v1/tickets/INC-1/timeline").await;
        let fields: Vec<&str> = timeline.body["timeline"]["history"].as_array().expect("history").iter().filter_map(|h| h["field"].as_str()).collect();
        for f in ["created", "assignee_id", "status", "hold_reason"] {
            assert!(fields.contains(&f), "history has {f}: {fields:?}");
        }
        let open = d.agent.get("/api/v1/tickets?q=status:open").await;
        assert_eq!(open.body["items"], json!([]));
        let found = d.agent.get("/api/v1/tickets?q=status:resolved%20vpn").await;
        assert_eq!(found.body["items"][0]["number"], "INC-1");
        d.server.stop().await;
    }

    async fn problems_resolve_their_incidents(db: TestDb) {
        let d = desk(&db).await;
        let inc1 = create(&d.agent, json!({"kind": "incident", "title": "Printer offline", "group": "Network"})).await;
        let inc2 = create(&d.agent, json!({"kind": "incident", "title": "Printer offline again", "group": "Network"})).await;
        let prb = create(&d.agent, json!({"kind": "problem", "title": "Print server memory leak", "group": "Network"})).await;
        assert_eq!(prb["number"], "PRB-1");
        assert_eq!(inc2["number"], "INC-2");
        for inc in [&inc1, &inc2] {
            let r = d.agent.post(&format!("/api/v1/tickets/{}/links", inc["id"]), json!({"type": "caused_by", "target": "PRB-1"})).await;
            assert_eq!(r.status, 201, "{:?}", r.body);
        }
        d.agent.post("/api/v1/tickets/PRB-1/links", json!({"type": "caused_by", "target": inc1["id"]})).await.assert_problem(422, "validation_failed");
        // A known error needs its workaround first (the problem's guard).
        let r = d.agent.patch("/api/v1/tickets/PRB-1", json!({"detail": {"workaround": "Restart the spooler"}})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        for to in ["assessed", "root_cause_analysis", "known_error"] {
            assert_eq!(d.agent.post("/api/v1/tickets/PRB-1/transitions", json!({"to": to})).await.status, 200);
        }
        let r = d.agent.post("/api/v1/tickets/PRB-1/transitions", json!({"to": "resolved", "comment": "Patched the spooler", "resolve_linked_incidents": true})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        for inc in [&inc1, &inc2] {
            let t = d.agent.get(&format!("/api/v1/tickets/{}", inc["id"])).await;
            assert_eq!(t.body["status"], "resolved");
            let comments = d.agent.get(&format!("/api/v1/tickets/{}/comments", inc["id"])).await;
            let note = &comments.body["items"][0];
            assert_eq!(note["public"], true);
            assert!(note["body"].as_str().unwrap_or("").contains("PRB-1"), "{note}");
        }
        d.server.stop().await;
    }

    async fn duplicates_merge_into_the_survivor(db: TestDb) {
        let d = desk(&db).await;
        let (req, requester) = d.server.user("requester").await;
        let survivor = create(&d.agent, json!({"kind": "incident", "title": "Wi-Fi down on floor 3", "group": "Network"})).await;
        let dup = create(&requester, json!({"kind": "incident", "title": "no wifi"})).await;
        // The requester's ticket goes to the desk's default group (none here): route it.
        let r = d.admin.patch(&format!("/api/v1/tickets/{}", dup["id"]), json!({"group": d.group_id})).await;
        assert_eq!(r.status, 200);
        let link = d.agent.post(&format!("/api/v1/tickets/{}/links", dup["id"]), json!({"type": "duplicate_of", "target": survivor["number"]})).await;
        assert_eq!(link.status, 201, "{:?}", link.body);
        let after = d.agent.get(&format!("/api/v1/tickets/{}", dup["id"])).await;
        assert_eq!(after.body["status"], "cancelled");
        let theirs = requester.get(&format!("/api/v1/tickets/{}/comments", dup["id"])).await;
        assert!(theirs.body["items"][0]["body"].as_str().unwrap_or("").contains(survivor["number"].as_str().unwrap_or("?")));
        let tl = d.agent.get(&format!("/api/v1/tickets/{}/timeline", survivor["id"])).await;
        assert!(tl.body["timeline"]["comments"][0]["body"].as_str().unwrap_or("").contains(dup["number"].as_str().unwrap_or("?")));
        assert_eq!(tl.body["timeline"]["watchers"][0]["user_id"], req.id, "the duplicate's requester follows the survivor");
        d.server.stop().await;
    }

    async fn requesters_never_see_notes_or_other_tickets(db: TestDb) {
        let d = desk(&db).await;
        let org = d.admin.post("/api/v1/organizations", json!({"name": "Acme"})).await.body["id"].as_i64().expect("org");
        let (alice, alice_c) = d.server.user("requester").await;
        let (bob, bob_c) = d.server.user("requester").await;
        for u in [alice.id, bob.id] {
            d.admin.patch(&format!("/api/v1/users/{u}"), json!({"organization_id": org})).await;
        }
        let t = create(&alice_c, json!({"kind": "service_request", "title": "New laptop", "description": "Mine is broken"})).await;
        assert_eq!(t["number"], "REQ-1");
        assert_eq!(t["requester_id"], alice.id);
        assert_eq!(t["organization_id"], org, "a ticket logged for oneself carries one's organisation");
        assert_eq!(t["status"], "submitted");
        let path = format!("/api/v1/tickets/{}", t["id"]);
        alice_c.post("/api/v1/tickets", json!({"kind": "incident", "title": "x", "group": "Network"})).await.assert_problem(422, "validation_failed");
        // Bob, same organisation, does not see it until Alice shares it.
        bob_c.get(&path).await.assert_problem(404, "not_found");
        assert_eq!(bob_c.get("/api/v1/tickets?q=laptop").await.body["items"], json!([]));
        let shared = alice_c.patch(&path, json!({"shared_with_organization": true})).await;
        assert_eq!(shared.status, 200, "{:?}", shared.body);
        assert_eq!(bob_c.get(&path).await.status, 200);
        bob_c.patch(&path, json!({"title": "mine now"})).await.assert_problem(403, "forbidden");

        // An agent works it with an internal note and an internal attachment.
        d.admin.patch(&path, json!({"group": d.group_id})).await;
        d.agent.post(&format!("{path}/comments"), json!({"body": "Budget code zebracorn approved", "public": false})).await;
        d.agent.post(&format!("{path}/comments"), json!({"body": "Your laptop ships tomorrow", "public": true})).await;
        let form = reqwest::multipart::Form::new().text("public", "false").part("file", reqwest::multipart::Part::bytes(b"secret".to_vec()).file_name("quote.txt"));
        let up = d.agent.http.post(format!("{}{path}/attachments", d.agent.base)).bearer_auth(d.agent.token.as_deref().unwrap_or("")).multipart(form).send().await.expect("upload");
        let up = read(up).await;
        assert_eq!(up.status, 201, "{:?}", up.body);
        let attachment = up.body["id"].as_i64().expect("attachment");

        for who in [&alice_c, &bob_c] {
            let comments = who.get(&format!("{path}/comments")).await;
            let bodies: Vec<&str> = comments.body["items"].as_array().expect("items").iter().filter_map(|c| c["body"].as_str()).collect();
            assert_eq!(bodies, ["Your laptop ships tomorrow"]);
            let tl = who.get(&format!("{path}/timeline")).await;
            assert!(!tl.body.to_string().contains("zebracorn"), "no note in the timeline");
            assert_eq!(tl.body["timeline"]["attachments"], json!([]));
            assert_eq!(who.get("/api/v1/tickets?q=zebracorn").await.body["items"], json!([]), "no hit through a note");
            who.get(&format!("{path}/attachments/{attachment}")).await.assert_problem(404, "not_found");
        }
        assert_eq!(d.agent.get("/api/v1/tickets?q=zebracorn").await.body["items"][0]["id"], t["id"], "agents find notes");
        alice_c.post(&format!("{path}/comments"), json!({"body": "psst", "public": false})).await.assert_problem(403, "forbidden");

        // An agent of another group sees none of it.
        let (_, outsider) = d.server.user("agent").await;
        outsider.get(&path).await.assert_problem(404, "not_found");
        assert_eq!(outsider.get("/api/v1/tickets?q=laptop").await.body["items"], json!([]));
        d.server.stop().await;
    }

    async fn bad_input_is_refused_and_writes_nothing(db: TestDb) {
        let d = desk(&db).await;
        let count = |s: &TestServer| {
            let db = s.app().db.clone();
            async move { db.count_tickets(&opsdesk_store::tickets::TicketFilter { visibility: opsdesk_domain::ticket::Visibility::All, conds: vec![], text: vec![], search_internal: true, sort: opsdesk_store::tickets::SortCol::Id, descending: false, after: None, limit: 1 }).await.expect("count") }
        };
        let r = d.agent.post("/api/v1/tickets", json!({"kind": "release", "title": "x"})).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], "kind");
        let r = d.agent.post("/api/v1/tickets", json!({"kind": "incident", "title": "x", "impact": 7})).await;
        assert_eq!(r.body["errors"][0]["field"], "impact");
        let r = d.agent.post("/api/v1/tickets", json!({"kind": "incident", "title": "x".repeat(10 * 1024 * 1024)})).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], "title");
        let raw = d.agent.http.post(format!("{}/api/v1/tickets", d.agent.base)).bearer_auth(d.agent.token.as_deref().unwrap_or("")).header("content-type", "application/json").body("{\"kind\": \"incident\", ").send().await.expect("sent");
        read(raw).await.assert_problem(400, "malformed_json");
        let r = d.agent.post("/api/v1/tickets", json!({"kind": "incident", "title": "x", "requester_id": 1})).await;
        assert_eq!(r.body["errors"][0]["field"], "requester_id");
        let r = d.agent.get("/api/v1/tickets?q=status:open%20colour:red").await;
        r.assert_problem(400, "invalid_query");
        assert_eq!(r.body["errors"][0]["field"], "q");
        assert!(r.body["detail"].as_str().unwrap_or("").contains("column 13"), "{:?}", r.body);
        let r = d.agent.post("/api/v1/tickets", json!({"kind": "incident", "title": "<script>alert(1)</script>", "group": "Nope"})).await;
        assert_eq!(r.body["errors"][0]["field"], "group");
        assert_eq!(count(&d.server).await, 0, "nothing was written");
        d.server.stop().await;
    }

    async fn priority_matrix_override_and_custom_fields(db: TestDb) {
        let d = desk(&db).await;
        let m = json!({"cells": [["P1","P1","P2"],["P2","P3","P4"],["P3","P4","P5"]]});
        assert_eq!(d.admin.send(reqwest::Method::PUT, "/api/v1/settings/priority-matrix", Some(m)).await.status, 200);
        d.agent.send(reqwest::Method::PUT, "/api/v1/settings/priority-matrix", Some(json!({"cells": [["P5","P1","P2"],["P2","P3","P4"],["P3","P4","P5"]]}))).await.assert_problem(403, "forbidden");
        let t = create(&d.agent, json!({"kind": "incident", "title": "Core switch down", "impact": 1, "urgency": 2, "group": "Network"})).await;
        assert_eq!(t["priority"], "P1", "the configured matrix decides");
        let r = d.agent.patch(&format!("/api/v1/tickets/{}", t["id"]), json!({"priority": "P3"})).await;
        assert_eq!(r.body["errors"][0]["field"], "priority_reason");
        let r = d.agent.patch(&format!("/api/v1/tickets/{}", t["id"]), json!({"priority": "P3", "priority_reason": "Redundant link is up"})).await;
        assert_eq!(r.body["priority"], "P3");
        assert_eq!(r.body["priority_override_reason"], "Redundant link is up");

        let f = d.admin.send(reqwest::Method::PUT, "/api/v1/desks/1/custom-fields/incident/site", Some(json!({"label": "Site", "field_type": "select", "options": ["Berlin", "Boston"], "required": true}))).await;
        assert_eq!(f.status, 200, "{:?}", f.body);
        let r = d.agent.post("/api/v1/tickets", json!({"kind": "incident", "title": "x", "group": "Network"})).await;
        assert_eq!(r.body["errors"][0]["field"], "custom_fields.site");
        let r = d.agent.post("/api/v1/tickets", json!({"kind": "incident", "title": "x", "group": "Network", "custom_fields": {"site": "Paris"}})).await;
        assert_eq!(r.body["errors"][0]["field"], "custom_fields.site");
        let ok = create(&d.agent, json!({"kind": "incident", "title": "Boston printer", "group": "Network", "custom_fields": {"site": "Boston"}})).await;
        assert_eq!(ok["custom_fields"], json!({"site": "Boston"}));
        let hits = d.agent.get("/api/v1/tickets?q=cf.site:Boston").await;
        assert_eq!(hits.body["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(hits.body["items"][0]["id"], ok["id"]);
        d.server.stop().await;
    }

    async fn lists_paginate_sort_and_views_count(db: TestDb) {
        let d = desk(&db).await;
        for (i, (imp, urg)) in [(3, 3), (1, 1), (2, 2), (1, 3), (3, 1)].iter().enumerate() {
            create(&d.agent, json!({"kind": "incident", "title": format!("ticket {i}"), "impact": imp, "urgency": urg, "group": "Network"})).await;
        }
        let mut seen = Vec::new();
        let mut priorities = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let path = match &after {
                Some(a) => format!("/api/v1/tickets?q=status:open%20group:Network%20sort:priority&limit=2&after={a}"),
                None => "/api/v1/tickets?q=status:open%20group:Network%20sort:priority&limit=2".to_string(),
            };
            let page = d.agent.get(&path).await;
            assert_eq!(page.status, 200, "{:?}", page.body);
            for t in page.body["items"].as_array().expect("items") {
                seen.push(t["id"].as_i64().expect("id"));
                priorities.push(t["priority"].as_str().unwrap_or("").to_string());
            }
            match page.body["next"].as_str() {
                Some(n) => after = Some(n.to_string()),
                None => break,
            }
        }
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 5, "every ticket once");
        let mut sorted = priorities.clone();
        sorted.sort();
        assert_eq!(priorities, sorted, "ordered by priority");
        d.agent.get("/api/v1/tickets?after=garbage").await.assert_problem(400, "invalid_query");

        // A full-text search pages newest first through every match, once each.
        let mut found = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let path = match &after {
                Some(a) => format!("/api/v1/tickets?q=ticket&limit=2&after={a}"),
                None => "/api/v1/tickets?q=ticket&limit=2".to_string(),
            };
            let page = d.agent.get(&path).await;
            assert_eq!(page.status, 200, "{:?}", page.body);
            found.extend(page.body["items"].as_array().expect("items").iter().map(|t| t["id"].as_i64().expect("id")));
            match page.body["next"].as_str() {
                Some(n) => after = Some(n.to_string()),
                None => break,
            }
        }
        let mut newest_first = found.clone();
        newest_first.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(found, newest_first);
        assert_eq!(found.len(), 5);

        let v = d.agent.post("/api/v1/views", json!({"name": "Network urgent", "query": "status:open group:Network priority:P1,P2", "group_id": d.group_id})).await;
        assert_eq!(v.status, 201, "{:?}", v.body);
        d.agent.post("/api/v1/views", json!({"name": "Broken", "query": "colour:red"})).await.assert_problem(422, "validation_failed");
        let views = d.agent.get("/api/v1/views").await;
        assert_eq!(views.body["items"][0]["name"], "Network urgent");
        assert_eq!(views.body["items"][0]["count"], 1, "only the P1 ticket (impact 1, urgency 1)");
        d.server.stop().await;
    }

    async fn numbers_stay_unique_under_concurrency(db: TestDb) {
        let d = desk(&db).await;
        let mut tasks = Vec::new();
        for i in 0..40 {
            let c = Client { base: d.agent.base.clone(), http: d.agent.http.clone(), token: d.agent.token.clone(), csrf: None };
            tasks.push(tokio::spawn(async move { c.post("/api/v1/tickets", json!({"kind": "incident", "title": format!("parallel {i}"), "group": "Network"})).await }));
        }
        let mut numbers = Vec::new();
        for t in tasks {
            let r = t.await.expect("task");
            assert_eq!(r.status, 201, "{:?}", r.body);
            numbers.push(r.body["number"].as_str().expect("number").to_string());
        }
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), 40);
        d.server.stop().await;
    }

    // Tickets logged at the same moment share a transaction (the group commit); each still
    // gets its own number, history, search entry, SLA clocks and watchers, and a bad one
    // (a repeated external id) is refused alone.
    async fn simultaneous_tickets_commit_together_and_fail_alone(db: TestDb) {
        let d = desk(&db).await;
        let r = d.admin.post("/api/v1/sla/policies", json!({"name": "All", "targets": {"first_response": "1h", "resolution": "8h"}})).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let mut tasks = Vec::new();
        for i in 0..30 {
            let c = Client { base: d.agent.base.clone(), http: d.agent.http.clone(), token: d.agent.token.clone(), csrf: None };
            let kind = if i % 3 == 0 { "service_request" } else { "incident" };
            // Tickets 10 and 20 carry the same external id: exactly one of them is written.
            let external = if i == 10 || i == 20 { json!("EXT-SAME") } else { json!(format!("EXT-{i}")) };
            let watchers = if i == 5 { json!([d.agent_id]) } else { json!([]) };
            let body = json!({"kind": kind, "title": format!("grouped{i} printer"), "group": "Network", "external_id": external, "watchers": watchers});
            tasks.push(tokio::spawn(async move { (i, c.post("/api/v1/tickets", body).await) }));
        }
        let mut created = Vec::new();
        let mut refused = Vec::new();
        for t in tasks {
            let (i, r) = t.await.expect("task");
            match r.status {
                201 => created.push((i, r.body)),
                409 => {
                    assert_eq!(r.body["code"], "duplicate_external_id", "{:?}", r.body);
                    refused.push(i);
                }
                s => panic!("ticket {i}: {s} {:?}", r.body),
            }
        }
        assert_eq!(refused.len(), 1, "one of the two with the same external id is refused: {refused:?}");
        assert!(refused[0] == 10 || refused[0] == 20);
        assert_eq!(created.len(), 29);
        let mut incidents: Vec<i64> = Vec::new();
        let mut requests: Vec<i64> = Vec::new();
        for (i, t) in &created {
            let number = t["number"].as_str().expect("number");
            let (prefix, seq) = number.split_once('-').expect("KIND-N");
            let seq: i64 = seq.parse().expect("seq");
            match prefix {
                "INC" => incidents.push(seq),
                "REQ" => requests.push(seq),
                other => panic!("unexpected number {other}"),
            }
            let got = d.agent.get(&format!("/api/v1/tickets/{number}")).await;
            assert_eq!(got.status, 200);
            assert_eq!(got.body["title"], format!("grouped{i} printer"));
            assert_eq!(got.body["id"], t["id"]);
            let sla: Vec<&str> = got.body["sla"].as_array().expect("sla").iter().filter_map(|c| c["target"].as_str()).collect();
            assert!(sla.contains(&"first_response") && sla.contains(&"resolution"), "{number}: {sla:?}");
            let tl = d.agent.get(&format!("/api/v1/tickets/{}/timeline", t["id"])).await;
            let history = tl.body["timeline"]["history"].as_array().expect("history");
            assert!(history.iter().any(|h| h["field"] == "created" && h["new_value"] == number), "{number}: {history:?}");
            let watching = tl.body["timeline"]["watchers"].as_array().expect("watchers").len();
            assert_eq!(watching, usize::from(*i == 5), "{number}");
            let found = d.agent.get(&format!("/api/v1/tickets?q=grouped{i}")).await;
            assert_eq!(found.body["items"].as_array().map(Vec::len), Some(1), "search finds {number}: {:?}", found.body);
        }
        // Numbers are unique per kind (a refused ticket may leave a gap).
        for seqs in [&mut incidents, &mut requests] {
            let n = seqs.len();
            seqs.sort_unstable();
            seqs.dedup();
            assert_eq!(seqs.len(), n);
        }
        assert_eq!(incidents.len() + requests.len(), 29);
        d.server.stop().await;
    }

    async fn attachments_are_downloads_with_limits(db: TestDb) {
        let d = desk(&db).await;
        let t = create(&d.agent, json!({"kind": "incident", "title": "Screenshot attached", "group": "Network"})).await;
        let path = format!("/api/v1/tickets/{}/attachments", t["id"]);
        let upload = |name: &'static str, data: Vec<u8>| {
            let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(data).file_name(name).mime_str("text/html").expect("mime"));
            d.agent.http.post(format!("{}{path}", d.agent.base)).bearer_auth(d.agent.token.as_deref().unwrap_or("")).multipart(form).send()
        };
        let r = read(upload("../../evil\u{202e}lmth.html", b"<script>alert(1)</script>".to_vec()).await.expect("sent")).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(r.body["filename"], "evillmth.html");
        let id = r.body["id"].as_i64().expect("id");
        let res = d.agent.http.get(format!("{}{path}/{id}", d.agent.base)).bearer_auth(d.agent.token.as_deref().unwrap_or("")).send().await.expect("get");
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-disposition"].to_str().unwrap_or("").starts_with("attachment"));
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        assert_eq!(res.headers()["content-type"], "application/octet-stream", "HTML is never served as HTML");
        assert_eq!(res.bytes().await.expect("body").as_ref(), b"<script>alert(1)</script>");
        d.admin.send(reqwest::Method::PUT, "/api/v1/settings/tickets", Some(json!({"auto_close_after_secs": 3600, "attachment_max_bytes": 100}))).await;
        let big = read(upload("big.bin", vec![7u8; 101]).await.expect("sent")).await;
        big.assert_problem(413, "file_too_large");
        d.server.stop().await;
    }

    async fn resolved_tickets_close_after_quiet_period_unless_reply(db: TestDb) {
        let d = desk(&db).await;
        let (_, requester) = d.server.user("requester").await;
        let a = create(&requester, json!({"kind": "incident", "title": "Mouse broken"})).await;
        let b = create(&requester, json!({"kind": "incident", "title": "Keyboard broken"})).await;
        for t in [&a, &b] {
            d.admin.patch(&format!("/api/v1/tickets/{}", t["id"]), json!({"group": d.group_id})).await;
            let r = d.agent.post(&format!("/api/v1/tickets/{}/transitions", t["id"]), json!({"to": "resolved", "comment": "Replaced"})).await;
            assert_eq!(r.status, 200, "{:?}", r.body);
        }
        // The requester answers on b: it reopens.
        requester.post(&format!("/api/v1/tickets/{}/comments", b["id"]), json!({"body": "Still broken"})).await;
        assert_eq!(requester.get(&format!("/api/v1/tickets/{}", b["id"])).await.body["status"], "in_progress");
        d.admin.send(reqwest::Method::PUT, "/api/v1/settings/tickets", Some(json!({"auto_close_after_secs": 1, "attachment_max_bytes": 1000000}))).await;
        // A scan "later" than the one-second window, given as its instant rather than slept for.
        let later = opsdesk_store::Ts::now().plus(std::time::Duration::from_secs(5));
        let closed = d.server.app().auto_close_resolved(later).await.expect("auto close");
        assert_eq!(closed, 1);
        assert_eq!(requester.get(&format!("/api/v1/tickets/{}", a["id"])).await.body["status"], "closed");
        assert_eq!(requester.get(&format!("/api/v1/tickets/{}", b["id"])).await.body["status"], "in_progress");
        // A requester may confirm or reopen their own resolved ticket, nothing else.
        d.agent.post(&format!("/api/v1/tickets/{}/transitions", b["id"]), json!({"to": "resolved"})).await;
        requester.post(&format!("/api/v1/tickets/{}/transitions", b["id"]), json!({"to": "on_hold", "hold_reason": "other"})).await.assert_problem(403, "forbidden");
        let r = requester.post(&format!("/api/v1/tickets/{}/transitions", b["id"]), json!({"to": "closed"})).await;
        assert_eq!(r.body["status"], "closed");
        d.server.stop().await;
    }
}
