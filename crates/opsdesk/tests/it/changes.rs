//! Change management through its REST contract: logging changes, risk, each kind of conflict on
//! a CI-graph fixture, overriding with a reason, the guards (plans for high risk, conflicts,
//! tasks before review), the CAB and emergency paths, standard changes from templates, the
//! calendar and its iCalendar feed (parsed by a real parser), and the report.

use crate::both_backends;
use crate::helpers::*;
use serde_json::{json, Value};

fn field_names(r: &Reply) -> Vec<String> {
    r.body["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|x| x["field"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

fn guard_names(r: &Reply) -> Vec<String> {
    r.body["guards"]
        .as_array()
        .map(|g| g.iter().filter_map(|x| x["name"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

pub(crate) async fn ci(c: &Client, class: &str, name: &str) -> i64 {
    let r = created(c.post("/api/v1/cmdb/cis", json!({"class": class, "name": name, "status": "live"})).await);
    r["id"].as_i64().expect("id")
}

pub(crate) async fn relate(c: &Client, source: i64, rel: &str, target: i64) {
    created(c.post("/api/v1/cmdb/relationships", json!({"source": source, "type": rel, "target": target})).await);
}

/// Answers that make a change low risk on the standard questionnaire.
pub(crate) fn safe() -> Value {
    json!({"tested": "yes", "outage": "none", "backout": "easy", "experience": "often"})
}

pub(crate) async fn change(c: &Client, title: &str, change: Value) -> Value {
    created(c.post("/api/v1/tickets", json!({"kind": "change", "title": title, "change": change})).await)
}

pub(crate) async fn move_to(c: &Client, number: &str, to: &str) -> Reply {
    c.post(&format!("/api/v1/tickets/{number}/transitions"), json!({"to": to})).await
}

pub(crate) fn kinds_of(conflicts: &Value) -> Vec<String> {
    conflicts["conflicts"]
        .as_array()
        .unwrap_or_else(|| panic!("conflicts in {conflicts:?}"))
        .iter()
        .map(|c| c["kind"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The fixture: an app that runs on a database server; the payroll service uses the app.
struct Graph {
    db: i64,
    app: i64,
    payroll: i64,
    other: i64,
}

async fn graph(c: &Client) -> Graph {
    let db = ci(c, "server", "db-01").await;
    let app = ci(c, "application", "payroll-app").await;
    let payroll = ci(c, "business_service", "Payroll").await;
    let other = ci(c, "server", "web-09").await;
    relate(c, app, "runs_on", db).await;
    relate(c, payroll, "depends_on", app).await;
    Graph { db, app, payroll, other }
}

both_backends! {
    async fn a_change_is_logged_with_its_record_and_bad_input_names_the_field(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (_, requester) = server.user("requester").await;
        let g = graph(&admin).await;
        let c = change(&admin, "Patch the database", json!({
            "type": "normal", "planned_start": "2027-03-06T22:00:00Z", "planned_end": "2027-03-07T01:00:00Z",
            "backout_plan": "restore the snapshot", "test_plan": "run the payroll smoke test",
            "risk_answers": safe(), "cis": [g.db]
        })).await;
        let number = c["number"].as_str().expect("number");
        assert!(number.starts_with("CHG-"), "{number}");
        assert_eq!(c["status"], "draft");
        let got = ok(admin.get(&format!("/api/v1/tickets/{number}")).await);
        let ch = &got["change"];
        assert_eq!(ch["type"], "normal");
        assert_eq!(ch["planned_start"], "2027-03-06T22:00:00Z");
        assert_eq!(ch["planned_end"], "2027-03-07T01:00:00Z");
        assert_eq!(ch["conflicts"], json!([]));
        assert_eq!(ch["cis"][0]["id"], g.db);
        assert_eq!(got["detail"]["backout_plan"], "restore the snapshot");
        // The database reaches one service through the app: the risk says so.
        let factors = ch["risk"]["factors"].as_array().expect("factors");
        let services = factors.iter().find(|f| f["factor"] == "services").expect("services factor");
        assert_eq!(services["points"], 5, "{factors:?}");
        assert_eq!(ch["risk"]["class"], "low");

        let bad = admin.post("/api/v1/tickets", json!({"kind": "change", "title": "Bad", "change": {
            "type": "sometimes", "planned_start": "2027-03-07T01:00:00Z", "planned_end": "2027-03-06T22:00:00Z",
            "cis": [999999], "risk_answers": {"tested": "perhaps"}
        }})).await;
        bad.assert_problem(422, "validation_failed");
        let fields = field_names(&bad);
        for f in ["change.type", "change.planned_end", "change.cis[0]", "change.risk_answers.tested"] {
            assert!(fields.contains(&f.to_string()), "{f} in {fields:?}");
        }
        let standard = admin.post("/api/v1/tickets", json!({"kind": "change", "title": "Std", "change": {"type": "standard"}})).await;
        assert_eq!(field_names(&standard), vec!["change.template"]);
        let missing = admin.post("/api/v1/tickets", json!({"kind": "change", "title": "No record"})).await;
        assert_eq!(field_names(&missing), vec!["change"]);
        let wrong_kind = admin.post("/api/v1/tickets", json!({"kind": "incident", "title": "x", "change": {"type": "normal"}})).await;
        assert_eq!(field_names(&wrong_kind), vec!["change"]);
        let r = requester.post("/api/v1/tickets", json!({"kind": "change", "title": "Mine", "change": {"type": "normal"}})).await;
        r.assert_problem(403, "forbidden");
        requester.get(&format!("/api/v1/tickets/{number}")).await.assert_problem(404, "not_found");
    }

    async fn each_kind_of_conflict_is_found_and_touching_windows_do_not_conflict(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let g = graph(&admin).await;
        let window = |s: &str, e: &str, cis: Vec<i64>| json!({
            "type": "normal", "planned_start": s, "planned_end": e, "risk_answers": safe(), "cis": cis
        });
        let first = change(&admin, "Upgrade the app", window("2027-03-06T22:00:00Z", "2027-03-07T00:00:00Z", vec![g.app])).await;
        let first_number = first["number"].as_str().expect("number").to_string();
        move_to(&admin, &first_number, "assessment").await;
        // The same CI, overlapping.
        let same = change(&admin, "Restart the app", window("2027-03-06T23:00:00Z", "2027-03-07T01:00:00Z", vec![g.app])).await;
        let r = ok(admin.get(&format!("/api/v1/changes/{}/conflicts", same["number"].as_str().expect("number"))).await);
        assert_eq!(kinds_of(&r), ["ci_overlap"]);
        assert_eq!(r["conflicts"][0]["with"], first_number.as_str());
        assert_eq!(r["next_free_window"]["start"], "2027-03-07T00:00:00Z", "{r:?}");
        // Through the dependency graph: the database the app runs on, with the path.
        let dep = change(&admin, "Patch the db", window("2027-03-06T23:30:00Z", "2027-03-07T00:30:00Z", vec![g.db])).await;
        let r = ok(admin.get(&format!("/api/v1/changes/{}/conflicts", dep["number"].as_str().expect("number"))).await);
        assert_eq!(kinds_of(&r), ["dependency_overlap"]);
        assert_eq!(r["conflicts"][0]["path"], json!(["db-01", "payroll-app"]));
        // Touching windows do not conflict; an unrelated CI does not either.
        let touching = change(&admin, "After", window("2027-03-07T00:00:00Z", "2027-03-07T02:00:00Z", vec![g.app])).await;
        let r = ok(admin.get(&format!("/api/v1/changes/{}/conflicts", touching["number"].as_str().expect("number"))).await);
        assert_eq!(kinds_of(&r), Vec::<String>::new(), "{r:?}");
        let unrelated = change(&admin, "Other", window("2027-03-06T22:00:00Z", "2027-03-07T00:00:00Z", vec![g.other])).await;
        let r = ok(admin.get(&format!("/api/v1/changes/{}/conflicts", unrelated["number"].as_str().expect("number"))).await);
        assert!(kinds_of(&r).is_empty(), "{r:?}");
        // A blackout of the payroll service freezes changes on what it depends on.
        created(admin.post("/api/v1/changes/blackouts", json!({
            "name": "Payroll run", "from": "2027-03-25T00:00:00Z", "until": "2027-03-27T00:00:00Z",
            "scope": {"cis": [g.payroll]}
        })).await);
        let frozen = change(&admin, "During payroll", window("2027-03-26T10:00:00Z", "2027-03-26T11:00:00Z", vec![g.db])).await;
        let r = ok(admin.get(&format!("/api/v1/changes/{}/conflicts", frozen["number"].as_str().expect("number"))).await);
        assert_eq!(kinds_of(&r), ["blackout"]);
        assert_eq!(r["conflicts"][0]["with"], "Payroll run");
        let free = change(&admin, "Elsewhere", window("2027-03-26T10:00:00Z", "2027-03-26T11:00:00Z", vec![g.other])).await;
        assert!(kinds_of(&ok(admin.get(&format!("/api/v1/changes/{}/conflicts", free["number"].as_str().expect("number"))).await)).is_empty());
        // Outside the maintenance window of a CI: Saturday nights only.
        let mw = admin.send(reqwest::Method::PUT, &format!("/api/v1/cmdb/cis/{}/maintenance-windows", g.other),
            Some(json!({"time_zone": "UTC", "hours": {"sat": ["22:00-06:00"]}}))).await;
        assert_eq!(mw.status, 200, "{:?}", mw.body);
        let outside = change(&admin, "Daytime", window("2027-03-10T10:00:00Z", "2027-03-10T11:00:00Z", vec![g.other])).await;
        let r = ok(admin.get(&format!("/api/v1/changes/{}/conflicts", outside["number"].as_str().expect("number"))).await);
        assert_eq!(kinds_of(&r), ["outside_maintenance"]);
        assert_eq!(r["next_free_window"]["start"], "2027-03-13T22:00:00Z", "{r:?}");
        let inside = change(&admin, "Night", window("2027-03-13T23:00:00Z", "2027-03-14T01:00:00Z", vec![g.other])).await;
        assert!(kinds_of(&ok(admin.get(&format!("/api/v1/changes/{}/conflicts", inside["number"].as_str().expect("number"))).await)).is_empty());
        // Bad input on the settings.
        let bad = admin.post("/api/v1/changes/blackouts", json!({"name": "", "from": "2027-01-02T00:00:00Z", "until": "2027-01-01T00:00:00Z"})).await;
        bad.assert_problem(422, "validation_failed");
        let fields = field_names(&bad);
        assert!(fields.contains(&"name".to_string()) && fields.contains(&"until".to_string()), "{fields:?}");
        let bad = admin.send(reqwest::Method::PUT, &format!("/api/v1/cmdb/cis/{}/maintenance-windows", g.db),
            Some(json!({"time_zone": "Mars/Olympus", "hours": {"sat": ["22:00-06:00"]}}))).await;
        bad.assert_problem(422, "validation_failed");
    }

    async fn guards_hold_a_change_until_plans_conflicts_and_tasks_are_settled(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let g = graph(&admin).await;
        // No answers: every question counts at its highest weight, so the risk is high.
        let risky = change(&admin, "Risky", json!({
            "type": "normal", "planned_start": "2027-04-03T22:00:00Z", "planned_end": "2027-04-04T00:00:00Z", "cis": [g.db]
        })).await;
        let n = risky["number"].as_str().expect("number").to_string();
        let got = ok(admin.get(&format!("/api/v1/tickets/{n}")).await);
        assert_eq!(got["change"]["risk"]["class"], "high", "{:?}", got["change"]["risk"]);
        let r = move_to(&admin, &n, "assessment").await;
        r.assert_problem(422, "guard_failed");
        assert_eq!(guard_names(&r), ["plans_for_high_risk"]);
        ok(admin.patch(&format!("/api/v1/tickets/{n}"), json!({"detail": {"backout_plan": "roll back", "test_plan": "smoke"}})).await);
        ok(move_to(&admin, &n, "assessment").await);

        // A conflict blocks submission for approval until it is overridden with a reason.
        let clash = change(&admin, "Clash", json!({
            "type": "normal", "planned_start": "2027-04-03T23:00:00Z", "planned_end": "2027-04-04T01:00:00Z",
            "risk_answers": safe(), "cis": [g.db]
        })).await;
        let cn = clash["number"].as_str().expect("number").to_string();
        ok(move_to(&admin, &cn, "assessment").await);
        let r = move_to(&admin, &cn, "awaiting_approval").await;
        assert_eq!(guard_names(&r), ["conflicts_cleared"], "{:?}", r.body);
        admin.post(&format!("/api/v1/changes/{cn}/conflicts/override"), json!({"reason": " "})).await.assert_problem(422, "validation_failed");
        let o = ok(admin.post(&format!("/api/v1/changes/{cn}/conflicts/override"), json!({"reason": "vendor window is fixed"})).await);
        assert_eq!(o["conflicts"][0]["overridden"], true);
        assert_eq!(o["conflicts_override"]["reason"], "vendor window is fixed");
        ok(move_to(&admin, &cn, "awaiting_approval").await);
        let history = ok(admin.get(&format!("/api/v1/tickets/{cn}/timeline")).await);
        assert!(history.to_string().contains("vendor window is fixed"), "the override is in the history");
        // Re-planning is refused once submitted.
        admin.patch(&format!("/api/v1/changes/{cn}"), json!({"planned_start": null, "planned_end": null})).await.assert_problem(409, "not_planning");
        // An unscheduled normal change cannot be implemented; schedule needs approval.
        let r = move_to(&admin, &n, "implementing").await;
        assert_eq!(guard_names(&r), ["scheduled_or_emergency"]);
        // Still overlapping the overridden change: its own conflict is not overridden.
        let r = move_to(&admin, &n, "scheduled").await;
        assert_eq!(guard_names(&r), ["conflicts_cleared", "approved_or_standard"]);
    }

    async fn the_cab_approves_then_tasks_then_review_then_close(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (cab_user, cab) = server.user("agent").await;
        let g = graph(&admin).await;
        // A misspelt approver is refused rather than leaving changes waiting on nobody.
        let policy = admin.send(reqwest::Method::PUT, "/api/v1/changes/approval-policies", Some(json!({
            "name": "CAB", "type": "normal", "stages": [{"approvers": {"users": ["nobody@example.test"], "groups": ["No such CAB"]}, "rule": "all"}]
        }))).await;
        assert_eq!(policy.status, 422, "{:?}", policy.body);
        let fields: Vec<&str> = policy.body["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
        assert_eq!(fields, ["stages[0].approvers.users[0]", "stages[0].approvers.groups[0]"], "{:?}", policy.body);
        let policy = admin.send(reqwest::Method::PUT, "/api/v1/changes/approval-policies", Some(json!({
            "name": "CAB", "type": "normal", "stages": [{"approvers": {"users": [cab_user.id]}, "rule": "all"}]
        }))).await;
        assert_eq!(policy.status, 200, "{:?}", policy.body);
        let c = change(&admin, "Planned", json!({
            "type": "normal", "planned_start": "2027-05-01T22:00:00Z", "planned_end": "2027-05-01T23:00:00Z",
            "risk_answers": safe(), "cis": [g.other]
        })).await;
        let n = c["number"].as_str().expect("number").to_string();
        ok(move_to(&admin, &n, "assessment").await);
        ok(move_to(&admin, &n, "awaiting_approval").await);
        let approvals = ok(admin.get(&format!("/api/v1/tickets/{n}/approvals")).await);
        let approval = approvals["items"][0]["id"].as_i64().expect("the CAB's approval started");
        let d = cab.post(&format!("/api/v1/approvals/{approval}/decisions"), json!({"decision": "approve", "comment": "go"})).await;
        assert_eq!(d.status, 200, "{:?}", d.body);
        let t = ok(admin.get(&format!("/api/v1/tickets/{n}")).await);
        assert_eq!(t["status"], "scheduled");
        let task = created(admin.post(&format!("/api/v1/tickets/{n}/tasks"), json!({"title": "Run the script"})).await);
        ok(move_to(&admin, &n, "implementing").await);
        let t = ok(admin.get(&format!("/api/v1/tickets/{n}")).await);
        assert!(t["change"]["actual_start"].is_string(), "implementation stamps the actual start");
        let r = move_to(&admin, &n, "review").await;
        assert_eq!(guard_names(&r), ["tasks_done"]);
        ok(move_to(&admin, task["number"].as_str().expect("number"), "done").await);
        ok(move_to(&admin, &n, "review").await);
        let r = move_to(&admin, &n, "closed").await;
        assert_eq!(guard_names(&r), ["review_recorded"]);
        let bad = admin.patch(&format!("/api/v1/tickets/{n}"), json!({"detail": {"review_outcome": "meh"}})).await;
        bad.assert_problem(422, "validation_failed");
        ok(admin.patch(&format!("/api/v1/tickets/{n}"), json!({"detail": {"review_outcome": "successful", "lessons": "none"}})).await);
        ok(move_to(&admin, &n, "closed").await);
        // An incident it caused.
        let inc = created(admin.post("/api/v1/tickets", json!({"kind": "incident", "title": "Payroll slow"})).await);
        let inc_number = inc["number"].as_str().expect("number");
        let link = admin.post(&format!("/api/v1/tickets/{inc_number}/links"), json!({"type": "caused_by", "target": n})).await;
        assert_eq!(link.status, 201, "{:?}", link.body);
        // The report counts it.
        let rep = ok(admin.get("/api/v1/reports/changes?from=2020-01-01&to=2100-01-01").await);
        let all = &rep["rows"][0];
        assert_eq!(all["type"], "all");
        assert_eq!(all["successful"], 1);
        assert_eq!(all["success_rate"], 1.0);
        assert_eq!(all["caused_incidents"], 1);
        let csv = admin.get("/api/v1/reports/changes?from=2020-01-01&to=2100-01-01&format=csv").await;
        assert!(csv.content_type().starts_with("text/csv"));
        assert!(csv.body.as_str().is_some_and(|b| b.starts_with("type,logged,reviewed") && b.contains("\nnormal,1,1,1,0,0,1.000,1,")), "{:?}", csv.body);
        admin.get("/api/v1/reports/changes?from=2020-01-01&to=2100-01-01&format=xml").await.assert_problem(422, "validation_failed");
    }

    async fn an_emergency_change_is_implemented_first_and_approved_afterwards(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (ecab_user, ecab) = server.user("agent").await;
        let g = graph(&admin).await;
        let policy = admin.send(reqwest::Method::PUT, "/api/v1/changes/approval-policies", Some(json!({
            "name": "ECAB", "type": "emergency", "stages": [{"approvers": {"users": [ecab_user.id]}, "rule": "all"}]
        }))).await;
        assert_eq!(policy.status, 200, "{:?}", policy.body);
        let c = change(&admin, "Hotfix", json!({
            "type": "emergency", "planned_start": "2027-01-10T10:00:00Z", "planned_end": "2027-01-10T11:00:00Z",
            "risk_answers": safe(), "cis": [g.db]
        })).await;
        let n = c["number"].as_str().expect("number").to_string();
        ok(move_to(&admin, &n, "implementing").await);
        let r = move_to(&admin, &n, "review").await;
        assert_eq!(guard_names(&r), ["emergency_approved"], "{:?}", r.body);
        let approvals = ok(admin.get(&format!("/api/v1/tickets/{n}/approvals")).await);
        let approval = approvals["items"][0]["id"].as_i64().expect("the ECAB was asked on implementation");
        let d = ecab.post(&format!("/api/v1/approvals/{approval}/decisions"), json!({"decision": "approve", "comment": "ok"})).await;
        assert_eq!(d.status, 200, "{:?}", d.body);
        assert_eq!(ok(admin.get(&format!("/api/v1/tickets/{n}")).await)["status"], "implementing");
        ok(move_to(&admin, &n, "review").await);
        // A normal change cannot take that path.
        let normal = change(&admin, "Not urgent", json!({"type": "normal", "risk_answers": safe()})).await;
        let r = move_to(&admin, normal["number"].as_str().expect("number"), "implementing").await;
        assert_eq!(guard_names(&r), ["scheduled_or_emergency"]);
    }

    async fn a_standard_change_from_a_template_skips_the_cab_and_gets_its_tasks(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (_, agent) = server.user("agent").await;
        let g = graph(&admin).await;
        let body = json!({
            "name": "Restart app server", "type": "standard", "backout_plan": "start the old build",
            "test_plan": "health check", "risk_answers": safe(),
            "tasks": [{"title": "Drain traffic"}, {"title": "Restart"}, {"title": "Notify", "parallel": true}]
        });
        agent.post("/api/v1/changes/templates", body.clone()).await.assert_problem(403, "forbidden");
        let t = created(admin.post("/api/v1/changes/templates", body.clone()).await);
        admin.post("/api/v1/changes/templates", body).await.assert_problem(422, "validation_failed");
        let list = ok(agent.get("/api/v1/changes/templates").await);
        assert_eq!(list["items"][0]["name"], "Restart app server");
        let c = change(&admin, "Weekly restart", json!({
            "template": t["id"], "planned_start": "2027-02-06T22:00:00Z", "planned_end": "2027-02-06T23:00:00Z",
            "cis": [g.app]
        })).await;
        let n = c["number"].as_str().expect("number").to_string();
        let got = ok(admin.get(&format!("/api/v1/tickets/{n}")).await);
        assert_eq!(got["change"]["type"], "standard");
        assert_eq!(got["change"]["template_id"], t["id"]);
        assert_eq!(got["detail"]["backout_plan"], "start the old build");
        let tasks = ok(admin.get(&format!("/api/v1/tickets/{n}/tasks")).await);
        let items = tasks["items"].as_array().expect("tasks");
        let titles: Vec<&str> = items.iter().filter_map(|x| x["title"].as_str()).collect();
        assert_eq!(titles, ["Drain traffic", "Restart", "Notify"]);
        assert_eq!(items[1]["after"], json!([items[0]["id"]]), "in order");
        assert_eq!(items[2]["after"], json!([]), "parallel");
        ok(move_to(&admin, &n, "scheduled").await);
        ok(move_to(&admin, &n, "implementing").await);
        let r = move_to(&admin, &n, "review").await;
        assert_eq!(guard_names(&r), ["tasks_done"]);
        // Retired templates make no new changes.
        ok(admin.send(reqwest::Method::PUT, &format!("/api/v1/changes/templates/{}/active", t["id"]), Some(json!({"active": false}))).await);
        let r = admin.post("/api/v1/tickets", json!({"kind": "change", "title": "x", "change": {"template": t["id"]}})).await;
        assert_eq!(field_names(&r), vec!["change.template"]);
    }

    async fn the_calendar_lists_changes_and_blackouts_and_the_feed_is_icalendar(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (_, requester) = server.user("requester").await;
        let g = graph(&admin).await;
        // The feed covers the coming months: the fixture lies a few weeks ahead of today.
        let day = |d: i64, h: i64| {
            let t = jiff::Timestamp::now().round(jiff::Unit::Hour).expect("rounds") + jiff::SignedDuration::from_hours(24 * d + h);
            t.to_string()
        };
        let (from, to) = (day(20, 0), day(40, 0));
        for (title, ty, s, e) in [
            ("Night patch", "normal", day(25, 0), day(25, 1)),
            ("Hotfix", "emergency", day(30, 0), day(30, 1)),
            ("Later", "normal", day(45, 0), day(45, 1)),
        ] {
            let c = change(&admin, title, json!({"type": ty, "planned_start": s, "planned_end": e, "risk_answers": safe(), "cis": [g.app]})).await;
            ok(move_to(&admin, c["number"].as_str().expect("number"), "assessment").await);
        }
        created(admin.post("/api/v1/changes/blackouts", json!({"name": "Freeze", "from": day(35, 0), "until": day(36, 0)})).await);
        let range = format!("from={from}&to={to}");
        let cal = ok(admin.get(&format!("/api/v1/changes/calendar?{range}")).await);
        let titles: Vec<&str> = cal["items"].as_array().expect("items").iter().filter_map(|x| x["title"].as_str()).collect();
        assert_eq!(titles, ["Night patch", "Hotfix"]);
        assert_eq!(cal["blackouts"][0]["name"], "Freeze");
        let only = ok(admin.get(&format!("/api/v1/changes/calendar?{range}&q=type:emergency")).await);
        assert_eq!(only["items"].as_array().map(Vec::len), Some(1));
        let by_service = ok(admin.get(&format!("/api/v1/changes/calendar?{range}&q=service:Payroll")).await);
        assert_eq!(by_service["items"].as_array().map(Vec::len), Some(2), "the app supports Payroll");
        admin.get("/api/v1/changes/calendar?from=2027-06-01&to=2027-05-01").await.assert_problem(422, "validation_failed");
        admin.get("/api/v1/changes/calendar?q=colour:red").await.assert_problem(422, "validation_failed");
        requester.get("/api/v1/changes/calendar").await.assert_problem(403, "forbidden");

        let issued = created(admin.post("/api/v1/me/calendar-feed", json!({})).await);
        let url = issued["url"].as_str().expect("url").to_string();
        let res = reqwest::get(format!("{}{url}", server.base)).await.expect("feed");
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap_or("").starts_with("text/calendar"));
        let text = res.text().await.expect("text");
        let parsed: icalendar::Calendar = text.parse().expect("the feed parses as iCalendar");
        let summaries: Vec<String> = parsed
            .components
            .iter()
            .filter_map(|c| c.as_event())
            .filter_map(|e| icalendar::Component::get_summary(e).map(str::to_string))
            .collect();
        assert!(summaries.iter().any(|s| s.ends_with("Night patch")), "{summaries:?} in {text}");
        assert!(summaries.iter().any(|s| s == "Blackout: Freeze"), "{summaries:?}");
        // Revoked: the address answers 404.
        assert_eq!(admin.send(reqwest::Method::DELETE, "/api/v1/me/calendar-feed", None).await.status, 204);
        let res = reqwest::get(format!("{}{url}", server.base)).await.expect("feed");
        assert_eq!(res.status(), 404);
    }
}
