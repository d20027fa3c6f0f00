//! The service level pages over HTTP with a cookie session, on both databases: the admin
//! forms for calendars and policies (saved, refused with field errors, CSRF-checked), the SLA
//! panel of the agent's and the requester's ticket pages, the queue's due column, the report
//! with its CSV download, and notifications.

use crate::both_backends;
use crate::helpers::*;
use opsdesk_store::Ts;
use serde_json::{json, Value};

const PASSWORD: &str = "a long enough password";

both_backends! {
    async fn admins_keep_calendars_and_policies_through_the_forms(db: TestDb) {
        let server = db.start().await;
        let (admin_user, admin_api) = server.user("admin").await;
        let (agent_user, _) = server.user("agent").await;
        let network = admin_api.post("/api/v1/groups", json!({"name": "Network"})).await.body["id"].as_i64().expect("g");
        let tier2 = admin_api.post("/api/v1/groups", json!({"name": "Tier 2"})).await.body["id"].as_i64().expect("g");
        let admin = session_with(&server, &admin_user.email, PASSWORD).await;

        // A calendar with two intervals a day, an overnight shift, a yearly and a fixed holiday.
        let name = "<script>alert(1)</script> Berlin office";
        let (status, url, html) = post_form(&admin, "/admin/sla/calendars", &[
            ("name", name), ("time_zone", "Europe/Berlin"),
            ("hours.mon", "09:00-12:30, 13:30-17:00"), ("hours.fri", "22:00-06:00"),
            ("holidays", "12-25\n2026-12-24\n"),
        ], true).await;
        assert_eq!(status, 200, "{html}");
        assert!(url.starts_with("/admin/sla/calendars/"), "{url}");
        assert!(html.contains("Created."), "{html}");
        let cals = admin_api.get("/api/v1/sla/calendars").await.body["items"].as_array().cloned().expect("items");
        let cal = cals.iter().find(|c| c["name"] == name).expect("the calendar was saved");
        assert_eq!(cal["time_zone"], "Europe/Berlin");
        assert_eq!(cal["hours"]["mon"], json!(["09:00-12:30", "13:30-17:00"]));
        assert_eq!(cal["hours"]["fri"], json!(["22:00-06:00"]));
        assert_eq!(cal["holidays"], json!(["12-25", "2026-12-24"]));
        let cal_id = cal["id"].as_i64().expect("id");
        let (_, list) = page(&admin, "/admin/sla/calendars").await;
        assert!(list.contains(&esc(name)), "the name is escaped: {list}");
        assert!(!list.contains("<script>alert(1)"), "no live script");

        // A bad interval and an unknown zone come back next to their fields, as typed.
        let (status, _, html) = post_form(&admin, "/admin/sla/calendars", &[
            ("name", "Broken"), ("time_zone", "Mars/Olympus"), ("hours.mon", "09:00-12:00, 25:00-26:00"),
        ], true).await;
        assert_eq!(status, 422, "{html}");
        assert!(field_error(&html, "err-mon").starts_with("item 2:"), "{html}");
        assert!(!field_error(&html, "err-time_zone").is_empty(), "{html}");
        assert!(html.contains("value=\"Mars/Olympus\""), "the typed zone is kept");
        assert!(html.contains("value=\"09:00-12:00, 25:00-26:00\""), "the typed hours are kept");

        // No CSRF token: refused, nothing saved.
        let (status, _, _) = post_form(&admin, "/admin/sla/calendars", &[("name", "Sneaky"), ("time_zone", "UTC"), ("hours.mon", "09:00-17:00")], false).await;
        assert_eq!(status, 403);
        let cals = admin_api.get("/api/v1/sla/calendars").await.body["items"].as_array().cloned().expect("items");
        assert!(!cals.iter().any(|c| c["name"] == "Sneaky" || c["name"] == "Broken"));

        // A policy from checkboxes, selects, durations and escalation lines.
        let cal_s = cal_id.to_string();
        let escalations = format!("90% notify_group_lead Network\n75% resolution notify_user {}\nbreach reassign_to_group tier 2\nbreach raise_priority", agent_user.email);
        let policy_fields = |first: &'static str, esc: String| {
            vec![
                ("name".to_string(), "Urgent <b>incidents</b>".to_string()),
                ("kind".into(), "incident".into()), ("priority".into(), "P1".into()), ("priority".into(), "P2".into()),
                ("custom_fields".into(), "vip = true".into()),
                ("first_response".into(), first.into()), ("resolution".into(), "4h".into()),
                ("next_response".into(), "2h".into()), ("calendar".into(), cal_s.clone()),
                ("warnings".into(), "75, 90".into()), ("pause".into(), "on_hold:awaiting_requester".into()),
                ("escalations".into(), esc),
            ]
        };
        let owned = policy_fields("1h30m", escalations.clone());
        let fields: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (status, url, html) = post_form(&admin, "/admin/sla/policies", &fields, true).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Created."), "{html}");
        let pid: i64 = url.rsplit('/').next().and_then(|n| n.parse().ok()).expect("policy id in the url");
        let p = admin_api.get(&format!("/api/v1/sla/policies/{pid}")).await.body;
        assert_eq!(p["conditions"]["kinds"], json!(["incident"]));
        assert_eq!(p["conditions"]["priorities"], json!(["P1", "P2"]));
        assert_eq!(p["conditions"]["custom_fields"], json!({"vip": true}));
        assert_eq!(p["targets"], json!({"first_response": "1h30m", "resolution": "4h", "next_response": "2h"}));
        assert_eq!(p["calendar_id"], cal_id);
        assert_eq!(p["warnings"], json!([75, 90]));
        assert_eq!(p["pause_when"], json!(["on_hold:awaiting_requester"]));
        assert_eq!(p["escalations"], json!([
            {"when": "90%", "target": null, "action": "notify_group_lead", "group_id": network, "user_id": null},
            {"when": "75%", "target": "resolution", "action": "notify_user", "group_id": null, "user_id": agent_user.id},
            {"when": "breach", "target": null, "action": "reassign_to_group", "group_id": tier2, "user_id": null},
            {"when": "breach", "target": null, "action": "raise_priority", "group_id": null, "user_id": null},
        ]));
        // The edit form shows it back in the same words.
        assert!(html.contains("90% notify_group_lead Network"), "{html}");
        assert!(html.contains(&format!("75% resolution notify_user {}", agent_user.email)), "{html}");
        assert!(html.contains(&esc("Urgent <b>incidents</b>")), "names are text");

        // A bad duration and an unknown group are refused next to their fields; nothing changes.
        let owned = policy_fields("4 hours", "90% notify_group_lead Network\nbreach reassign_to_group Nowhere".into());
        let fields: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (status, _, html) = post_form(&admin, &format!("/admin/sla/policies/{pid}"), &fields, true).await;
        assert_eq!(status, 422, "{html}");
        assert!(!field_error(&html, "err-first").is_empty(), "a field error at the first response target: {html}");
        assert!(field_error(&html, "err-escalations").starts_with("line 2:"), "{html}");
        assert!(html.contains("value=\"4 hours\""), "the typed duration is kept");
        let p = admin_api.get(&format!("/api/v1/sla/policies/{pid}")).await.body;
        assert_eq!(p["targets"]["first_response"], "1h30m", "not saved");

        // The application's own path `escalations[1].group_id` is shown at the line it came from.
        let owned = policy_fields("1h", "# comment\n90% notify_group_lead Network\nbreach reassign_to_group #999999".into());
        let fields: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (status, _, html) = post_form(&admin, &format!("/admin/sla/policies/{pid}"), &fields, true).await;
        assert_eq!(status, 422, "{html}");
        assert!(field_error(&html, "err-escalations").starts_with("line 3: no such group"), "{html}");

        // The calendar is in use; deleting the policy frees it.
        let (status, _, html) = post_form(&admin, &format!("/admin/sla/calendars/{cal_id}/delete"), &[], true).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("a policy uses this calendar"), "{html}");
        let (status, url, _) = post_form(&admin, &format!("/admin/sla/policies/{pid}/delete"), &[], true).await;
        assert_eq!((status, url.as_str()), (200, "/admin/sla/policies"));
        let (status, url, _) = post_form(&admin, &format!("/admin/sla/calendars/{cal_id}/delete"), &[], true).await;
        assert_eq!((status, url.as_str()), (200, "/admin/sla/calendars"));
        assert_eq!(admin_api.get(&format!("/api/v1/sla/calendars/{cal_id}")).await.status, 404);

        // Agents may not use the admin forms.
        let agent = session_with(&server, &agent_user.email, PASSWORD).await;
        let (status, body) = page(&agent, "/admin/sla/policies").await;
        assert_eq!(status, 403, "{body}");
        let (status, _, _) = post_form(&agent, "/admin/sla/calendars", &[("name", "Mine"), ("time_zone", "UTC"), ("hours.mon", "09:00-17:00")], true).await;
        assert_eq!(status, 422, "the application refuses a non-admin");
        assert_eq!(admin_api.get("/api/v1/sla/calendars").await.body["items"].as_array().map(Vec::len), Some(1));
        server.stop().await;
    }

    async fn agents_see_targets_due_times_the_report_and_notifications(db: TestDb) {
        let server = db.start().await;
        let (_, admin_api) = server.user("admin").await;
        let (agent_user, agent_api) = server.user("agent").await;
        let (requester_user, _) = server.user("requester").await;
        let group = admin_api.post("/api/v1/groups", json!({"name": "Network"})).await.body["id"].as_i64().expect("g");
        admin_api.send(reqwest::Method::PUT, &format!("/api/v1/groups/{group}/members/{}", agent_user.id), None).await;
        let r = admin_api.post("/api/v1/sla/policies", json!({
            "name": "Gold <i>care</i>",
            "targets": {"first_response": "2h", "resolution": "8h"},
            "warnings": [50],
            "escalations": [{"when": "50%", "action": "notify_user", "user_id": agent_user.id}],
        })).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let t = agent_api.post("/api/v1/tickets", json!({"kind": "incident", "title": "VPN drops", "group": group, "requester": requester_user.id})).await;
        assert_eq!(t.status, 201, "{:?}", t.body);
        let number = t.body["number"].as_str().expect("number").to_string();
        let created: Ts = serde_json::from_value(t.body["created_at"].clone()).expect("created");
        let _ = agent_api.patch("/api/v1/me", json!({"time_zone": "Asia/Tokyo"})).await;

        // The agent's ticket page: running targets with time left, due in Tokyo time, the policy.
        let agent = session_with(&server, &agent_user.email, PASSWORD).await;
        let (status, html) = page(&agent, &format!("/agent/tickets/{number}")).await;
        assert_eq!(status, 200, "{html}");
        let panel = &html[html.find("id=\"sla\"").expect("an SLA panel")..];
        let panel = &panel[..panel.find("</section>").expect("end")];
        assert!(panel.contains("First response"), "{panel}");
        assert!(panel.contains("Resolution"), "{panel}");
        assert!(panel.contains("<span class=\"badge sla-running\">running</span>"), "{panel}");
        assert!(panel.contains("1h 59m left") || panel.contains("2h left"), "{panel}");
        assert!(panel.contains("Asia/Tokyo"), "due in the viewer's zone: {panel}");
        assert!(panel.contains(&format!("policy {}", esc("Gold <i>care</i>"))), "{panel}");
        assert!(panel.contains("<details class=\"sla-history\">") && panel.contains("started"), "{panel}");

        // The requester sees the targets, not the policy nor the history.
        let requester = session_with(&server, &requester_user.email, PASSWORD).await;
        let (status, html) = page(&requester, &format!("/portal/tickets/{number}")).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("First response") && html.contains("left"), "{html}");
        assert!(!html.contains("Gold"), "no policy name for requesters");
        assert!(!html.contains("sla-history"), "no clock history for requesters");

        // The queue sorts by due and shows the time to it.
        let (status, html) = page(&agent, "/agent?q=status%3Aopen+sort%3Adue").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("id=\"sort-due\""), "{html}");
        assert!(html.contains("<td class=\"due due-running\">in 1h 59m</td>") || html.contains("<td class=\"due due-running\">in 2h</td>"), "{html}");

        // The report page and its CSV.
        let (status, html) = page(&agent, "/agent/reports/sla?group_by=policy").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains(&format!("<td>{}</td><td>First response</td><td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">1</td>", esc("Gold <i>care</i>"))), "{html}");
        let href = html.split("id=\"report-csv\"").next().and_then(|h| h.rsplit("href=\"").next()).expect("csv link");
        let href = href.split('"').next().expect("href").replace("&#38;", "&").replace("&amp;", "&");
        assert!(href.starts_with("/agent/reports/sla.csv?from="), "{href}");
        let res = agent.http.get(format!("{}{href}", agent.base)).send().await.expect("csv");
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
        assert!(res.headers()["content-disposition"].to_str().unwrap_or("").starts_with("attachment"));
        let csv = res.text().await.expect("csv body");
        assert!(csv.starts_with("key,target,total,met,breached,open,cancelled,compliance_percent\r\n"), "{csv}");
        assert!(csv.contains("Gold <i>care</i>,first_response,1,0,0,1,0,\r\n"), "{csv}");
        let (status, html) = page(&agent, "/agent/reports/sla?from=2026-13-01").await;
        assert_eq!(status, 422);
        assert!(html.contains("id=\"err-from\""), "{html}");

        // A warning notifies the agent: counted in the nav, listed, marked read.
        let report = server.app().sla_scan(Ts::from_micros(created.micros() + 3601 * 1_000_000)).await.expect("scan");
        assert!(report != opsdesk_app::sla::ScanReport::default(), "the warning fired");
        let (_, html) = page(&agent, "/agent").await;
        assert!(html.contains("<span class=\"badge\" id=\"unread-count\">1<"), "{html}");
        let (_, html) = page(&agent, "/agent/notifications").await;
        assert!(html.contains(&number), "the notification names the ticket: {html}");
        assert!(html.contains("id=\"mark-read\""), "{html}");
        let upto = html.split("name=\"upto\" value=\"").nth(1).and_then(|r| r.split('"').next()).expect("upto").to_string();
        let (status, url, html) = post_form(&agent, "/agent/notifications/read", &[("upto", &upto)], true).await;
        assert_eq!((status, url.as_str()), (200, "/agent/notifications"), "{html}");
        assert!(html.contains("Nothing unread."), "{html}");
        let items: Value = agent_api.get("/api/v1/me/notifications").await.body;
        assert!(items["items"][0]["read_at"].is_number() || items["items"][0]["read_at"].is_string(), "{items:?}");
        server.stop().await;
    }
}
