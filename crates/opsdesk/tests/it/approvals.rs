//! Approvals through the REST contract, the signed email links and the worker, on both
//! databases: rules and stages in order, delegation inside and outside its window, links used
//! twice, expired, forged or foreign, the request moving on its outcome, templates, and
//! reminders and escalations sent once.

use crate::both_backends;
use crate::helpers::*;
use crate::mail::set_desk_address;
use crate::smtp_sink::SmtpSink;
use opsdesk::server::Role;
use opsdesk_app::mail::MailConfig;
use opsdesk_store::users::User;
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);
const PASSWORD: &str = "a long enough password";

/// An admin, an agent in group "Network" who logs the requests, and approvers.
struct Setup {
    server: TestServer,
    admin: Client,
    agent: Client,
    agent_user: User,
    people: Vec<(User, Client)>,
}

async fn setup(db: &TestDb, approvers: usize, sink: Option<&SmtpSink>) -> Setup {
    let server = match sink {
        Some(sink) => {
            let mail = MailConfig {
                smtp_url: Some(sink.url.clone()),
                base_url: Some("https://desk.example.test".into()),
                ..MailConfig::default()
            };
            let s = db.start_with_mail(Role::All, false, mail).await;
            set_desk_address(s.app(), "hold").await;
            s
        }
        None => db.start().await,
    };
    let (_, admin) = server.user("admin").await;
    let (agent_user, agent) = server.user("agent").await;
    let g = admin.post("/api/v1/groups", json!({"name": "Network"})).await;
    let group_id = g.body["id"].as_i64().expect("group");
    let path = format!("/api/v1/groups/{group_id}/members/{}", agent_user.id);
    assert_eq!(admin.send(reqwest::Method::PUT, &path, None).await.status, 204);
    let mut people = Vec::new();
    for _ in 0..approvers {
        people.push(server.user("agent").await);
    }
    Setup { server, admin, agent, agent_user, people }
}

async fn request(c: &Client, title: &str) -> String {
    let r = c.post("/api/v1/tickets", json!({"kind": "service_request", "title": title, "group": "Network"})).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["number"].as_str().expect("number").to_string()
}

async fn status(c: &Client, number: &str) -> String {
    c.get(&format!("/api/v1/tickets/{number}")).await.body["status"].as_str().unwrap_or("").to_string()
}

async fn ask(c: &Client, number: &str, stages: Value) -> Value {
    let r = c.post(&format!("/api/v1/tickets/{number}/approvals"), json!({ "stages": stages })).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body
}

async fn decide(c: &Client, id: i64, decision: &str) -> Reply {
    c.post(&format!("/api/v1/approvals/{id}/decisions"), json!({"decision": decision, "comment": "ok by me"})).await
}

/// The path of the signed link in the newest message to `to` (waits for `n` messages).
async fn link_to(sink: &SmtpSink, to: &str, n: usize) -> String {
    let got = eventually(WAIT, &format!("{n} approval mails to {to}"), || {
        let got = sink.to(to);
        async move { (got.len() >= n).then_some(got) }
    })
    .await;
    let text = got[n - 1].parsed().text;
    let at = text.find("/approvals/link/").expect("a link in the mail");
    let path: String = text[at..].chars().take_while(|c| !c.is_whitespace()).collect();
    path
}

/// A form post from a client (no session unless the client has one).
async fn post_form(c: &Client, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let res = c.http.post(format!("{}{path}", c.base)).form(fields).send().await.expect("post");
    let status = res.status().as_u16();
    (status, res.text().await.expect("body"))
}

both_backends! {
    async fn n_of_m_stages_run_in_order_and_approval_moves_the_request(db: TestDb) {
        let s = setup(&db, 5, None).await;
        let p = &s.people;
        let number = request(&s.agent, "New laptop").await;
        let stages = json!([
            {"approvers": {"users": [p[0].0.id, p[1].0.email, p[2].0.id]}, "rule": {"n": 2}},
            {"approvers": {"users": [p[3].0.id]}, "rule": "any"},
        ]);
        let a = ask(&s.agent, &number, stages).await;
        let id = a["id"].as_i64().expect("id");
        assert_eq!(a["state"], "pending");
        assert_eq!(a["stages"][0]["state"], "pending");
        assert_eq!(a["stages"][1]["state"], "waiting");
        assert_eq!(a["stages"][0]["approvers"].as_array().map(Vec::len), Some(3));
        assert_eq!(status(&s.agent, &number).await, "awaiting_approval", "a submitted request waits for approval");

        // Only the current stage's approvers decide.
        decide(&p[3].1, id, "approve").await.assert_problem(403, "not_an_approver");
        decide(&s.agent, id, "approve").await.assert_problem(403, "not_an_approver");
        decide(&p[4].1, id, "approve").await.assert_problem(404, "not_found");

        let r = decide(&p[0].1, id, "approve").await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["state"], "pending", "one of two");
        decide(&p[0].1, id, "reject").await.assert_problem(409, "already_decided");
        let r = decide(&p[1].1, id, "approve").await;
        assert_eq!(r.body["stages"][0]["state"], "approved");
        assert_eq!(r.body["stages"][1]["state"], "pending");
        assert_eq!(r.body["current_stage"], 1);
        decide(&p[2].1, id, "approve").await.assert_problem(403, "not_an_approver");
        let r = decide(&p[3].1, id, "approve").await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["state"], "approved");
        assert_eq!(r.body["stages"][1]["decisions"][0]["comment"], "ok by me");
        decide(&p[3].1, id, "approve").await.assert_problem(409, "already_decided");
        assert_eq!(status(&s.agent, &number).await, "fulfilling");

        // Approvers see it; the list shows it; the lead's guard reads its state.
        assert_eq!(p[0].1.get(&format!("/api/v1/approvals/{id}")).await.status, 200);
        let list = s.agent.get(&format!("/api/v1/tickets/{number}/approvals")).await;
        assert_eq!(list.body["items"][0]["id"], id, "{:?}", list.body);
        let t = s.server.app().db.ticket_by_number(&number).await.expect("ticket");
        let mut tx = s.server.app().db.begin().await.expect("tx");
        let latest = tx.latest_approval_state(t.id).await.expect("state");
        assert_eq!(latest, Some(opsdesk_domain::approval::ApprovalState::Approved));
        drop(tx);

        // Bad input names its field.
        let path = format!("/api/v1/tickets/{number}/approvals");
        let r = s.agent.post(&path, json!({"stages": [{"approvers": {"users": [p[0].0.id]}, "rule": "most"}]})).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], "stages[0].rule");
        let r = s.agent.post(&path, json!({"stages": [{"approvers": {"users": [p[0].0.id]}, "rule": {"n": 3}}]})).await;
        assert_eq!(r.body["errors"][0]["field"], "stages[0].rule", "{:?}", r.body);
        let r = s.agent.post(&path, json!({"stages": [{"approvers": {"manager": true}, "rule": "any"}]})).await;
        r.assert_problem(422, "validation_failed");
        let r = s.agent.post(&path, json!({"stages": [{"approvers": {"users": ["nobody@example.test"]}, "rule": "any"}]})).await;
        assert_eq!(r.body["errors"][0]["field"], "stages[0].approvers.users[0]", "{:?}", r.body);
        p[0].1.post(&path, json!({"stages": [{"approvers": {"users": [p[0].0.id]}, "rule": "any"}]})).await.assert_problem(404, "not_found");
        s.server.stop().await;
    }

    async fn any_all_percent_and_a_rejection(db: TestDb) {
        let s = setup(&db, 3, None).await;
        let p = &s.people;
        let group = s.admin.post("/api/v1/groups", json!({"name": "Approvers"})).await.body["id"].as_i64().expect("group");
        for (u, _) in p.iter().take(2) {
            let path = format!("/api/v1/groups/{group}/members/{}", u.id);
            assert_eq!(s.admin.send(reqwest::Method::PUT, &path, None).await.status, 204);
        }
        // Any member of a group.
        let n1 = request(&s.agent, "Monitor").await;
        let a = ask(&s.agent, &n1, json!([{"approvers": {"groups": ["Approvers"]}, "rule": "any"}])).await;
        assert_eq!(a["stages"][0]["approvers"][0]["source"], format!("group:{group}"));
        let r = decide(&p[1].1, a["id"].as_i64().expect("id"), "approve").await;
        assert_eq!(r.body["state"], "approved", "{:?}", r.body);

        // All.
        let n2 = request(&s.agent, "Keyboard").await;
        let a = ask(&s.agent, &n2, json!([{"approvers": {"users": [p[0].0.id, p[1].0.id]}, "rule": "all"}])).await;
        let id = a["id"].as_i64().expect("id");
        assert_eq!(decide(&p[0].1, id, "approve").await.body["state"], "pending");
        assert_eq!(decide(&p[1].1, id, "approve").await.body["state"], "approved");

        // 50 % of three is two (rounded up); a rejection ends it.
        let n3 = request(&s.agent, "Phone").await;
        let users = json!([p[0].0.id, p[1].0.id, p[2].0.id]);
        let a = ask(&s.agent, &n3, json!([{"approvers": {"users": users}, "rule": {"percent": 50}}])).await;
        assert_eq!(a["stages"][0]["required"], 2);
        let id = a["id"].as_i64().expect("id");
        assert_eq!(decide(&p[0].1, id, "approve").await.body["state"], "pending");
        let r = decide(&p[1].1, id, "reject").await;
        assert_eq!(r.body["state"], "rejected", "{:?}", r.body);
        decide(&p[2].1, id, "approve").await.assert_problem(409, "already_decided");
        assert_eq!(status(&s.agent, &n3).await, "rejected");
        s.server.stop().await;
    }

    async fn the_manager_and_a_delegate_inside_and_outside_the_window(db: TestDb) {
        let s = setup(&db, 2, None).await;
        let (manager, manager_c) = (&s.people[0].0, &s.people[0].1);
        let (deputy, deputy_c) = (&s.people[1].0, &s.people[1].1);
        let r = s.admin.patch(&format!("/api/v1/users/{}", s.agent_user.id), json!({"manager": manager.email})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["manager"], manager.id);
        s.agent.patch(&format!("/api/v1/users/{}", s.agent_user.id), json!({"manager": null})).await.assert_problem(403, "forbidden");

        let number = request(&s.agent, "Software licence").await;
        let a = ask(&s.agent, &number, json!([{"approvers": {"manager": true}, "rule": "any"}])).await;
        let id = a["id"].as_i64().expect("id");
        assert_eq!(a["stages"][0]["approvers"][0]["id"], manager.id);
        assert_eq!(a["stages"][0]["approvers"][0]["source"], "manager");

        // A window that has not started, then one that is over: the deputy may not decide.
        let today = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::UTC).date();
        let (yesterday, tomorrow) = (today.yesterday().expect("date"), today.tomorrow().expect("date"));
        let r = manager_c.send(reqwest::Method::PUT, "/api/v1/me/delegate", Some(json!({"user": deputy.email, "from": tomorrow.to_string()}))).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["active"], false);
        decide(deputy_c, id, "approve").await.assert_problem(403, "not_an_approver");
        assert_eq!(deputy_c.get("/api/v1/me/approvals").await.body["items"].as_array().map(Vec::len), Some(0));
        let past = json!({"user": deputy.id, "from": "2020-01-01", "until": "2020-01-31"});
        assert_eq!(manager_c.send(reqwest::Method::PUT, "/api/v1/me/delegate", Some(past)).await.status, 200);
        decide(deputy_c, id, "approve").await.assert_problem(403, "not_an_approver");

        // Inside the window the deputy decides on the manager's behalf.
        let now = json!({"user": deputy.id, "from": yesterday.to_string(), "until": tomorrow.to_string()});
        let r = manager_c.send(reqwest::Method::PUT, "/api/v1/me/delegate", Some(now)).await;
        assert_eq!(r.body["active"], true, "{:?}", r.body);
        let mine = deputy_c.get("/api/v1/me/approvals").await;
        assert_eq!(mine.body["items"][0]["id"], id, "{:?}", mine.body);
        assert_eq!(manager_c.get("/api/v1/me/approvals").await.body["items"][0]["id"], id);
        let r = decide(deputy_c, id, "approve").await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let d = &r.body["stages"][0]["decisions"][0];
        assert_eq!(d["decided_by"], deputy.id);
        assert_eq!(d["on_behalf_of"], manager.id);
        assert_eq!(r.body["state"], "approved");
        decide(manager_c, id, "approve").await.assert_problem(409, "already_decided");
        let audit = s.admin.get("/api/v1/audit-log?action=approval.decided").await;
        let entry = &audit.body["items"][0];
        assert_eq!(entry["actor_user_id"], deputy.id, "{:?}", audit.body);
        assert_eq!(entry["detail"]["on_behalf_of"], manager.id, "{:?}", audit.body);

        // Clearing it.
        let r = manager_c.send(reqwest::Method::DELETE, "/api/v1/me/delegate", None).await;
        assert_eq!(r.status, 200);
        assert!(r.body["user"].is_null(), "{:?}", r.body);
        s.server.stop().await;
    }

    async fn signed_links_once_expired_forged_foreign_and_finished(db: TestDb) {
        let sink = SmtpSink::start().await;
        let s = setup(&db, 3, Some(&sink)).await;
        let p = &s.people;
        let number = request(&s.agent, "Projector for room 4").await;
        let stages = json!([
            {"approvers": {"users": [p[0].0.id, p[1].0.id]}, "rule": "any"},
            {"approvers": {"users": [p[2].0.id]}, "rule": "any"},
        ]);
        let a = ask(&s.agent, &number, stages).await;
        let id = a["id"].as_i64().expect("id");
        let first = link_to(&sink, &p[0].0.email, 1).await;
        let second = link_to(&sink, &p[1].0.email, 1).await;
        let anon = s.server.anonymous();
        let unchanged = |body: Value| body["stages"][0]["decisions"].as_array().map(Vec::len) == Some(0);

        // Forged.
        let (st, html) = page(&anon, "/approvals/link/opa_0123456789abcdef").await;
        assert_eq!(st, 404);
        assert!(html.contains("not valid"), "{html}");
        let (st, _) = post_form(&anon, "/approvals/link/opa_0123456789abcdef", &[("decision", "approve")]).await;
        assert_eq!(st, 404);

        // GET only shows; it decides nothing.
        let (st, html) = page(&anon, &first).await;
        assert_eq!(st, 200, "{html}");
        assert!(html.contains("Projector for room 4") && html.contains("link-approve"), "{html}");
        assert!(unchanged(s.agent.get(&format!("/api/v1/approvals/{id}")).await.body));

        // Another approver's browser: foreign, nothing changes.
        let other = session_with(&s.server, &p[0].0.email, PASSWORD).await;
        let (st, html) = page(&other, &second).await;
        assert_eq!(st, 403, "{html}");
        assert!(html.contains("another approver"), "{html}");
        let (st, _) = post_form(&other, &second, &[("decision", "reject")]).await;
        assert_eq!(st, 403);
        assert!(unchanged(s.agent.get(&format!("/api/v1/approvals/{id}")).await.body));

        // Links composed from now on live one second (the next stage's is checked below).
        let r = s.admin.send(reqwest::Method::PUT, "/api/v1/settings/approvals", Some(json!({"remind_after_secs": 86400, "escalate_after_secs": 259200, "link_ttl_secs": 1}))).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        // The link decides once.
        let (st, html) = post_form(&anon, &first, &[("decision", "approve"), ("comment", "<b>fine</b>")]).await;
        assert_eq!(st, 200, "{html}");
        assert!(html.contains("You approved"), "{html}");
        let now = s.agent.get(&format!("/api/v1/approvals/{id}")).await.body;
        assert_eq!(now["stages"][0]["state"], "approved");
        assert_eq!(now["stages"][0]["decisions"][0]["via"], "link");
        assert_eq!(now["stages"][0]["decisions"][0]["comment"], "<b>fine</b>");
        let (st, html) = post_form(&anon, &first, &[("decision", "reject")]).await;
        assert_eq!(st, 410, "{html}");
        assert!(html.contains("already been used"), "{html}");
        // The other approver's link: the stage is over.
        let (st, html) = post_form(&anon, &second, &[("decision", "reject")]).await;
        assert_eq!(st, 409, "{html}");
        assert!(html.contains("already over"), "{html}");
        let now = s.agent.get(&format!("/api/v1/approvals/{id}")).await.body;
        assert_eq!(now["stages"][0]["decisions"].as_array().map(Vec::len), Some(1));
        assert_eq!(now["state"], "pending");

        // An expired link: the next stage's, composed after the lifetime was shortened.
        let third = link_to(&sink, &p[2].0.email, 1).await;
        let server_anon = s.server.anonymous();
        eventually(WAIT, "the link to expire", || {
            let c = &server_anon;
            let third = third.clone();
            async move { (page(c, &third).await.0 == 410).then_some(()) }
        })
        .await;
        let (st, html) = post_form(&anon, &third, &[("decision", "approve")]).await;
        assert_eq!(st, 410, "{html}");
        assert!(html.contains("expired"), "{html}");
        let now = s.agent.get(&format!("/api/v1/approvals/{id}")).await.body;
        assert_eq!(now["stages"][1]["decisions"].as_array().map(Vec::len), Some(0));
        assert_eq!(status(&s.agent, &number).await, "awaiting_approval");

        // The stored copy of the mail does not hold the token.
        let t = s.server.app().db.ticket_by_number(&number).await.expect("ticket");
        for m in s.server.app().db.mail_of_ticket(t.id).await.expect("mail") {
            let raw = String::from_utf8_lossy(&s.server.app().db.blob(&m.raw_sha256).await.expect("blob")).into_owned();
            assert!(!raw.contains(first.trim_start_matches("/approvals/link/")), "token stored in {}", m.message_id);
        }
        let r = decide(&p[2].1, id, "approve").await;
        assert_eq!(r.body["state"], "approved", "{:?}", r.body);
        assert_eq!(status(&s.agent, &number).await, "fulfilling");
        s.server.stop().await;
    }

    async fn templates_start_on_awaiting_approval_category_first(db: TestDb) {
        let s = setup(&db, 2, None).await;
        let p = &s.people;
        let cat = s.admin.post("/api/v1/desks/1/categories", json!({"name": "Hardware"})).await;
        assert_eq!(cat.status, 201, "{:?}", cat.body);
        let desk_tpl = json!({"name": "IT default", "desk": "IT", "stages": [{"approvers": {"users": [p[0].0.email]}, "rule": "any"}]});
        let r = s.admin.post("/api/v1/approval-templates", desk_tpl.clone()).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(r.body["stages"][0]["approvers"]["users"][0], p[0].0.id, "stored as an id");
        s.agent.post("/api/v1/approval-templates", desk_tpl).await.assert_problem(403, "forbidden");
        let cat_tpl = json!({"name": "Hardware", "desk": 1, "category": "Hardware", "stages": [{"approvers": {"users": [p[1].0.id]}, "rule": "all"}]});
        assert_eq!(s.admin.post("/api/v1/approval-templates", cat_tpl).await.status, 201);
        let bad = json!({"name": "x", "desk": 1, "stages": [{"approvers": {"users": [1]}, "rule": "sometimes"}]});
        let r = s.admin.post("/api/v1/approval-templates", bad).await;
        assert_eq!(r.body["errors"][0]["field"], "stages[0].rule", "{:?}", r.body);

        let hw = s.agent.post("/api/v1/tickets", json!({"kind": "service_request", "title": "Dock", "group": "Network", "category": "Hardware"})).await;
        let hw = hw.body["number"].as_str().expect("number").to_string();
        let plain = request(&s.agent, "Access to the wiki").await;
        for n in [&hw, &plain] {
            let r = s.agent.post(&format!("/api/v1/tickets/{n}/transitions"), json!({"to": "awaiting_approval"})).await;
            assert_eq!(r.status, 200, "{:?}", r.body);
        }
        let a = s.agent.get(&format!("/api/v1/tickets/{hw}/approvals")).await.body["items"][0].clone();
        assert_eq!(a["stages"][0]["approvers"][0]["id"], p[1].0.id, "the category's template wins: {a:?}");
        let b = s.agent.get(&format!("/api/v1/tickets/{plain}/approvals")).await.body["items"][0].clone();
        assert_eq!(b["stages"][0]["approvers"][0]["id"], p[0].0.id, "the desk's template: {b:?}");
        let r = decide(&p[1].1, a["id"].as_i64().expect("id"), "reject").await;
        assert_eq!(r.body["state"], "rejected");
        assert_eq!(status(&s.agent, &hw).await, "rejected");
        // A second approval is refused while one is pending.
        let again = s.agent.post(&format!("/api/v1/tickets/{plain}/approvals"), json!({"stages": [{"approvers": {"users": [p[1].0.id]}, "rule": "any"}]})).await;
        again.assert_problem(409, "approval_pending");
        // Cancelling the request withdraws its pending approval: nothing waits on the approver.
        assert_eq!(p[0].1.get("/api/v1/me/approvals").await.body["items"].as_array().map(Vec::len), Some(1));
        let r = s.agent.post(&format!("/api/v1/tickets/{plain}/transitions"), json!({"to": "cancelled"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let b = s.agent.get(&format!("/api/v1/approvals/{}", b["id"])).await.body;
        assert_eq!(b["state"], "cancelled", "{b:?}");
        assert_eq!(b["stages"][0]["state"], "skipped");
        assert_eq!(p[0].1.get("/api/v1/me/approvals").await.body["items"].as_array().map(Vec::len), Some(0));
        decide(&p[0].1, b["id"].as_i64().expect("id"), "approve").await.assert_problem(409, "already_decided");
        s.server.stop().await;
    }

    async fn reminders_and_escalations_are_sent_once(db: TestDb) {
        let sink = SmtpSink::start().await;
        let s = setup(&db, 2, Some(&sink)).await;
        let (approver, boss) = (&s.people[0].0, &s.people[1].0);
        let r = s.admin.patch(&format!("/api/v1/users/{}", approver.id), json!({"manager": boss.id})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let number = request(&s.agent, "Travel to the conference").await;
        ask(&s.agent, &number, json!([{"approvers": {"users": [approver.id]}, "rule": "any"}])).await;
        link_to(&sink, &approver.email, 1).await;
        let app = s.server.app();
        let later = opsdesk_store::Ts::now().plus(Duration::from_secs(4 * 24 * 3600));
        // Several workers scanning at once queue each reminder and escalation once.
        let (a, b, c) = tokio::join!(app.nudge_approvers(later), app.nudge_approvers(later), app.nudge_approvers(later));
        let all = [a.expect("scan"), b.expect("scan"), c.expect("scan")];
        assert_eq!(all.iter().map(|n| n.reminders).sum::<usize>(), 1, "{all:?}");
        assert_eq!(all.iter().map(|n| n.escalations).sum::<usize>(), 1, "{all:?}");
        let again = app.nudge_approvers(later).await.expect("scan");
        assert_eq!((again.reminders, again.escalations), (0, 0));
        let reminder = link_to(&sink, &approver.email, 2).await;
        assert!(reminder.starts_with("/approvals/link/opa_"));
        let escalation = eventually(WAIT, "the escalation", || {
            let got = sink.to(&boss.email);
            async move { got.first().cloned() }
        })
        .await
        .parsed();
        assert!(escalation.subject.contains("Approval waiting on") && escalation.text.contains(&number), "{}", escalation.text);
        assert!(!escalation.text.contains("/approvals/link/"), "the manager gets no link");
        assert_eq!(sink.to(&approver.email).len(), 2);
        assert_eq!(sink.to(&boss.email).len(), 1);
        s.server.stop().await;
    }
}
