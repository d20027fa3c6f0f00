//! A change's links to other tickets through the REST contract: the problem it fixes (a
//! `fixes` link, refused between other kinds), and the incidents it caused, which its record
//! lists and flags, and which its review must account for before the change closes.

use crate::both_backends;
use crate::helpers::*;
use serde_json::{json, Value};

fn number(v: &Value) -> String {
    v["number"].as_str().expect("number").to_string()
}

async fn ticket(c: &Client, kind: &str, title: &str) -> String {
    let mut body = json!({"kind": kind, "title": title});
    if kind == "change" {
        body["change"] = json!({"type": "normal", "planned_start": "2027-05-01T22:00:00Z", "planned_end": "2027-05-01T23:00:00Z",
            "risk_answers": {"tested": "yes", "outage": "none", "backout": "easy", "experience": "often"}});
    }
    number(&created(c.post("/api/v1/tickets", body).await))
}

async fn link(c: &Client, from: &str, link_type: &str, to: &str) -> Reply {
    c.post(&format!("/api/v1/tickets/{from}/links"), json!({"type": link_type, "target": to})).await
}

async fn move_to(c: &Client, number: &str, to: &str) -> Reply {
    c.post(&format!("/api/v1/tickets/{number}/transitions"), json!({"to": to})).await
}

fn numbers(list: &Value) -> Vec<String> {
    list.as_array().expect("a list").iter().map(number).collect()
}

fn guard_names(r: &Reply) -> Vec<String> {
    r.body["guards"]
        .as_array()
        .map(|g| g.iter().filter_map(|x| x["name"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

both_backends! {
    async fn a_change_fixes_a_problem_and_other_kinds_are_refused(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let change = ticket(&admin, "change", "Replace the flaky switch").await;
        let problem = ticket(&admin, "problem", "Switch drops packets").await;
        let incident = ticket(&admin, "incident", "Network slow").await;
        let other = ticket(&admin, "change", "Another change").await;

        let l = created(link(&admin, &change, "fixes", &problem).await);
        assert_eq!(l["link_type"], "fixes");
        let ch = ok(admin.get(&format!("/api/v1/tickets/{change}")).await);
        assert_eq!(numbers(&ch["change"]["fixes"]), vec![problem.clone()]);
        assert_eq!(ch["change"]["fixes"][0]["kind"], "problem");
        assert_eq!(ch["change"]["flagged_for_review"], false);
        // The problem's timeline names the change as its fix.
        let tl = ok(admin.get(&format!("/api/v1/tickets/{problem}/timeline")).await);
        let links = tl["timeline"]["links"].as_array().expect("links");
        assert!(links.iter().any(|x| x["link_type"] == "fixes" && x["source_id"] == ch["id"]), "{links:?}");
        link(&admin, &change, "fixes", &problem).await.assert_problem(409, "link_exists");

        // Only a change fixes, and only a problem is fixed.
        for (from, to) in [(&incident, &problem), (&problem, &change), (&change, &incident), (&change, &other)] {
            let r = link(&admin, from, "fixes", to).await;
            r.assert_problem(422, "validation_failed");
            assert_eq!(r.body["errors"][0]["field"], "type", "{from} fixes {to}: {:?}", r.body);
            assert_eq!(r.body["errors"][0]["code"], "wrong_kinds", "{:?}", r.body);
        }
    }

    async fn incidents_caused_by_a_change_flag_it_and_its_review_accounts_for_them(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (cab_user, cab) = server.user("agent").await;
        let policy = admin.send(reqwest::Method::PUT, "/api/v1/changes/approval-policies", Some(json!({
            "name": "CAB", "type": "normal", "stages": [{"approvers": {"users": [cab_user.id]}, "rule": "all"}]
        }))).await;
        assert_eq!(policy.status, 200, "{:?}", policy.body);
        let n = ticket(&admin, "change", "Upgrade the load balancer").await;
        ok(move_to(&admin, &n, "assessment").await);
        ok(move_to(&admin, &n, "awaiting_approval").await);
        let approvals = ok(admin.get(&format!("/api/v1/tickets/{n}/approvals")).await);
        let approval = approvals["items"][0]["id"].as_i64().expect("the CAB's approval");
        ok(cab.post(&format!("/api/v1/approvals/{approval}/decisions"), json!({"decision": "approve"})).await);
        ok(move_to(&admin, &n, "implementing").await);
        ok(move_to(&admin, &n, "review").await);

        let first = ticket(&admin, "incident", "Checkout times out").await;
        let second = ticket(&admin, "incident", "Login page 502").await;
        created(link(&admin, &first, "caused_by", &n).await);
        created(link(&admin, &second, "caused_by", &n).await);
        let ch = &ok(admin.get(&format!("/api/v1/tickets/{n}")).await)["change"];
        assert_eq!(numbers(&ch["caused_incidents"]), [first.clone(), second.clone()]);
        assert_eq!(ch["caused_incident_count"], 2);
        assert_eq!(ch["flagged_for_review"], true);

        // "Successful" is refused unless the review says why despite the incidents.
        let r = admin.patch(&format!("/api/v1/tickets/{n}"), json!({"detail": {"review_outcome": "successful"}})).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], "detail.incident_review", "{:?}", r.body);
        assert_eq!(r.body["errors"][0]["code"], "incidents_unacknowledged", "{:?}", r.body);
        let said = r.body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(said.contains(&first) && said.contains(&second), "{said}");
        ok(admin.patch(&format!("/api/v1/tickets/{n}"), json!({"detail": {
            "review_outcome": "successful", "incident_review": "both were the expected failover blip, under a minute"
        }})).await);
        // The incidents known at the review stay in the history beside the outcome.
        let tl = ok(admin.get(&format!("/api/v1/tickets/{n}/timeline")).await);
        let history = tl["timeline"]["history"].as_array().expect("history");
        let recorded = history.iter().find(|h| h["field"] == "change.review_incidents").expect("the incidents recorded");
        assert_eq!(recorded["new_value"], format!("{first}, {second}"));

        // Partial needs no explanation (the outcome already counts the incidents against the
        // change), and an incident linked after it does not hold the close.
        ok(admin.patch(&format!("/api/v1/tickets/{n}"), json!({"detail": {"incident_review": null, "review_outcome": "partial"}})).await);
        ok(admin.patch(&format!("/api/v1/tickets/{n}"), json!({"detail": {"lessons": "fail over earlier"}})).await);
        let third = ticket(&admin, "incident", "Cart empties").await;
        created(link(&admin, &third, "caused_by", &n).await);
        ok(move_to(&admin, &n, "closed").await);
        let closed = ok(admin.get(&format!("/api/v1/tickets/{n}")).await);
        assert_eq!(closed["status"], "closed");
        assert_eq!(closed["change"]["caused_incident_count"], 3);
    }

    async fn a_successful_review_recorded_before_the_incident_blocks_the_close(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (cab_user, cab) = server.user("agent").await;
        let policy = admin.send(reqwest::Method::PUT, "/api/v1/changes/approval-policies", Some(json!({
            "name": "CAB", "type": "normal", "stages": [{"approvers": {"users": [cab_user.id]}, "rule": "all"}]
        }))).await;
        assert_eq!(policy.status, 200, "{:?}", policy.body);
        let n = ticket(&admin, "change", "Rotate the certificates").await;
        ok(move_to(&admin, &n, "assessment").await);
        ok(move_to(&admin, &n, "awaiting_approval").await);
        let approvals = ok(admin.get(&format!("/api/v1/tickets/{n}/approvals")).await);
        let approval = approvals["items"][0]["id"].as_i64().expect("the CAB's approval");
        ok(cab.post(&format!("/api/v1/approvals/{approval}/decisions"), json!({"decision": "approve"})).await);
        ok(move_to(&admin, &n, "implementing").await);
        ok(move_to(&admin, &n, "review").await);
        ok(admin.patch(&format!("/api/v1/tickets/{n}"), json!({"detail": {"review_outcome": "successful"}})).await);
        let late = ticket(&admin, "incident", "Mobile app cannot connect").await;
        created(link(&admin, &late, "caused_by", &n).await);
        let r = move_to(&admin, &n, "closed").await;
        assert_eq!(guard_names(&r), ["caused_incidents_reviewed"], "{:?}", r.body);
        ok(admin.patch(&format!("/api/v1/tickets/{n}"), json!({"detail": {"incident_review": "an old app build pinned the old certificate"}})).await);
        ok(move_to(&admin, &n, "closed").await);
    }
    async fn an_agent_sees_the_count_of_caused_incidents_but_only_the_titles_of_their_groups(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (agent_user, agent) = server.user("agent").await;
        let mut groups = Vec::new();
        for name in ["Change Management", "Payroll Support"] {
            groups.push(created(admin.post("/api/v1/groups", json!({"name": name})).await)["id"].as_i64().expect("group"));
        }
        let member = format!("/api/v1/groups/{}/members/{}", groups[0], agent_user.id);
        assert_eq!(admin.send(reqwest::Method::PUT, &member, None).await.status, 204);
        let n = ticket(&admin, "change", "Patch the payroll server").await;
        ok(admin.patch(&format!("/api/v1/tickets/{n}"), json!({"group": groups[0]})).await);
        let ours = ticket(&admin, "incident", "Change calendar slow").await;
        let theirs = created(admin.post("/api/v1/tickets", json!({"kind": "incident", "title": "Salary of J. Doe wrong", "group": groups[1]})).await);
        let theirs = number(&theirs);
        ok(admin.patch(&format!("/api/v1/tickets/{ours}"), json!({"group": groups[0]})).await);
        for inc in [&ours, &theirs] {
            created(link(&admin, inc, "caused_by", &n).await);
        }
        let ch = &ok(agent.get(&format!("/api/v1/tickets/{n}")).await)["change"];
        assert_eq!(numbers(&ch["caused_incidents"]), vec![ours.clone()]);
        assert_eq!(ch["caused_incident_count"], 2);
        assert_eq!(ch["flagged_for_review"], true);
        assert!(!ch.to_string().contains("Salary"), "{ch}");
        let all = &ok(admin.get(&format!("/api/v1/tickets/{n}")).await)["change"];
        assert_eq!(numbers(&all["caused_incidents"]), vec![ours, theirs]);
    }
}
