//! The change calendar's marks and maintenance windows, and the depth of the conflict check:
//! each item carries the kinds of conflict it has, a `ci:` filter shows that CI's maintenance
//! windows (on the API and the month page), and admins choose how many levels of the
//! dependency graph a change's conflicts reach.

use crate::both_backends;
use crate::changes::{change, ci, kinds_of, move_to, relate, safe};
use crate::helpers::*;
use serde_json::{json, Value};

fn window(start: &str, end: &str, cis: Vec<i64>) -> Value {
    json!({"type": "normal", "planned_start": start, "planned_end": end, "risk_answers": safe(), "cis": cis})
}

fn item<'a>(cal: &'a Value, number: &str) -> &'a Value {
    cal["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["number"] == number)
        .unwrap_or_else(|| panic!("{number} on the calendar: {cal:?}"))
}

fn marks(cal: &Value, number: &str) -> Vec<String> {
    item(cal, number)["conflicts"]
        .as_array()
        .expect("conflicts")
        .iter()
        .map(|k| k.as_str().expect("a kind").to_string())
        .collect()
}

async fn put_settings(c: &Client, body: Value) -> Reply {
    c.send(reqwest::Method::PUT, "/api/v1/changes/settings", Some(body)).await
}

fn number(v: &Value) -> String {
    v["number"].as_str().expect("number").to_string()
}

both_backends! {
    async fn calendar_items_carry_their_conflicts_and_a_ci_filter_shows_its_maintenance(db: TestDb) {
        let server = db.start().await;
        let (admin_user, admin) = server.user("admin").await;
        let db01 = ci(&admin, "server", "db-01").await;
        let app = ci(&admin, "application", "payroll-app").await;
        let lone = ci(&admin, "server", "lone-07").await;
        relate(&admin, app, "runs_on", db01).await;
        let put = admin.send(reqwest::Method::PUT, &format!("/api/v1/cmdb/cis/{lone}/maintenance-windows"),
            Some(json!({"time_zone": "UTC", "hours": {"sat": ["22:00-06:00"]}}))).await;
        assert_eq!(put.status, 200, "{:?}", put.body);
        // A submitted change on the database, another on the same CI and one on the app that
        // runs on it, all overlapping; one on the lone server that only touches them, inside
        // its Saturday-night window; one on it in the daytime, outside the window.
        let held = number(&change(&admin, "Patch db", window("2027-05-08T22:00:00Z", "2027-05-09T00:00:00Z", vec![db01])).await);
        ok(move_to(&admin, &held, "assessment").await);
        let same = number(&change(&admin, "Restart db", window("2027-05-08T23:00:00Z", "2027-05-09T01:00:00Z", vec![db01])).await);
        let linked = number(&change(&admin, "Upgrade app", window("2027-05-08T23:00:00Z", "2027-05-09T00:30:00Z", vec![app])).await);
        let touching = number(&change(&admin, "After", window("2027-05-09T00:00:00Z", "2027-05-09T02:00:00Z", vec![lone])).await);
        let daytime = number(&change(&admin, "Daytime", window("2027-05-12T10:00:00Z", "2027-05-12T11:00:00Z", vec![lone])).await);

        let cal = ok(admin.get("/api/v1/changes/calendar?from=2027-05-01&to=2027-06-01").await);
        assert_eq!(marks(&cal, &same), ["ci_overlap"]);
        assert_eq!(marks(&cal, &linked), ["dependency_overlap"]);
        // The held change is alone in holding its window: drafts hold none, so it is clear.
        assert!(marks(&cal, &held).is_empty(), "{:?}", item(&cal, &held));
        assert!(marks(&cal, &touching).is_empty(), "touching, and inside the Saturday night window");
        assert_eq!(marks(&cal, &daytime), ["outside_maintenance"]);
        // Each mark agrees with the change's own check.
        let own = ok(admin.get(&format!("/api/v1/changes/{same}/conflicts")).await);
        assert_eq!(kinds_of(&own), ["ci_overlap"]);
        assert!(cal["maintenance"].as_array().expect("maintenance").is_empty(), "no ci filter, no windows");

        // Filtered to the lone server: its Saturday nights of May 2027, clipped to the range.
        let cal = ok(admin.get("/api/v1/changes/calendar?from=2027-05-01&to=2027-06-01&q=ci:lone-07").await);
        let slots = cal["maintenance"].as_array().expect("maintenance");
        let starts: Vec<&str> = slots.iter().map(|m| m["start"].as_str().expect("start")).collect();
        assert_eq!(starts, ["2027-05-01T22:00:00Z", "2027-05-08T22:00:00Z", "2027-05-15T22:00:00Z", "2027-05-22T22:00:00Z", "2027-05-29T22:00:00Z"]);
        assert_eq!(slots[0]["end"], "2027-05-02T06:00:00Z");
        assert_eq!(slots[4]["end"], "2027-05-30T06:00:00Z");
        assert_eq!(slots[0]["ci_name"], "lone-07");
        assert_eq!(slots[0]["ci_id"], lone);
        let numbers: Vec<&str> = cal["items"].as_array().expect("items").iter().map(|i| i["number"].as_str().expect("n")).collect();
        assert_eq!(numbers.len(), 2, "{numbers:?}");

        // Unrelated changes in the month, so that a page showing a few changes marks only
        // those (reading around them) rather than the whole range: the marks must not differ.
        let filler = ci(&admin, "server", "filler-01").await;
        for day in 14..22 {
            change(&admin, "Filler", window(&format!("2027-05-{day}T10:00:00Z"), &format!("2027-05-{day}T11:00:00Z"), vec![filler])).await;
        }

        // The month page marks the conflicting change and shows the window on its Saturdays.
        let web = session_with(&server, &admin_user.email, "a long enough password").await;
        let (status, html) = page(&web, "/agent/changes?view=month&at=2027-05-10&q=ci:lone-07").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("lone-07 22:00–06:00"), "the Saturday night maintenance shown: {html}");
        assert!(html.contains(&format!("href=\"/agent/tickets/{daytime}#conflicts\"")), "the daytime change is marked");
        let (_, list) = page(&web, "/agent/changes?view=list&at=2027-05-10&q=ci:db-01").await;
        assert!(list.contains(&format!("href=\"/agent/tickets/{same}#conflicts\"")), "the list marks it too");
        assert!(!list.contains(&format!("href=\"/agent/tickets/{held}#conflicts\"")), "the clear change is not marked");
    }

    async fn admins_set_how_deep_the_conflict_check_reaches(db: TestDb) {
        let server = db.start().await;
        let (admin_user, admin) = server.user("admin").await;
        let (_, agent) = server.user("agent").await;
        // web -> app -> db: the web server is two levels from the database.
        let db01 = ci(&admin, "server", "db-02").await;
        let app = ci(&admin, "application", "shop-app").await;
        let web = ci(&admin, "server", "web-02").await;
        relate(&admin, app, "runs_on", db01).await;
        relate(&admin, web, "depends_on", app).await;
        assert_eq!(ok(agent.get("/api/v1/changes/settings").await)["conflict_depth"], 2);
        let held = number(&change(&admin, "Patch db", window("2027-06-05T22:00:00Z", "2027-06-06T00:00:00Z", vec![db01])).await);
        ok(move_to(&admin, &held, "assessment").await);
        let far = number(&change(&admin, "Patch web", window("2027-06-05T23:00:00Z", "2027-06-06T01:00:00Z", vec![web])).await);
        let r = ok(admin.get(&format!("/api/v1/changes/{far}/conflicts")).await);
        assert_eq!(kinds_of(&r), ["dependency_overlap"]);
        assert_eq!(r["conflicts"][0]["path"], json!(["web-02", "shop-app", "db-02"]));

        put_settings(&agent, json!({"conflict_depth": 1})).await.assert_problem(403, "forbidden");
        for bad in [json!({"conflict_depth": 0}), json!({"conflict_depth": 6}), json!({"conflict_depth": "deep"}), json!({"depth": 1})] {
            let r = put_settings(&admin, bad.clone()).await;
            assert_eq!(r.status, 422, "{bad}: {:?}", r.body);
        }
        assert_eq!(ok(put_settings(&admin, json!({"conflict_depth": 1})).await)["conflict_depth"], 1);
        let r = ok(admin.get(&format!("/api/v1/changes/{far}/conflicts")).await);
        assert!(kinds_of(&r).is_empty(), "one level no longer reaches the database: {r:?}");

        // The admin page shows the depth and sets it back.
        let web = session_with(&server, &admin_user.email, "a long enough password").await;
        let (_, html) = page(&web, "/admin/changes/blackouts").await;
        assert!(html.contains("<option value=\"1\" selected>1</option>"), "the depth in force is chosen");
        let (status, path, _) = post_form(&web, "/admin/changes/conflict-depth", &[("conflict_depth", "3")], true).await;
        assert_eq!((status, path.as_str()), (200, "/admin/changes/blackouts"), "saved and sent back");
        assert_eq!(ok(agent.get("/api/v1/changes/settings").await)["conflict_depth"], 3);
        let (status, _, _) = post_form(&web, "/admin/changes/conflict-depth", &[("conflict_depth", "9")], true).await;
        assert_eq!(status, 422);
        let r = ok(admin.get(&format!("/api/v1/changes/{far}/conflicts")).await);
        assert_eq!(kinds_of(&r), ["dependency_overlap"]);
    }
}
