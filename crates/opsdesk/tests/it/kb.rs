//! The knowledge base through the REST contract, on both databases: the lifecycle with
//! revisions, versions and their comparison, who finds what (a requester never reaches an
//! internal or unpublished article by search, suggestion or direct link), ranking on a
//! curated set, typo tolerance, feedback, deflections, ticket links and the review reminder.

use crate::both_backends;
use crate::helpers::*;
use serde_json::{json, Value};

struct Kb {
    server: TestServer,
    agent: Client,
    requester: Client,
}

async fn kb(db: &TestDb) -> Kb {
    let server = db.start().await;
    let (_, agent) = server.user("agent").await;
    let (_, requester) = server.user("requester").await;
    Kb { server, agent, requester }
}

async fn write(c: &Client, body: Value) -> Value {
    let r = c.post("/api/v1/kb/articles", body).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body
}

async fn to(c: &Client, id: i64, state: &str) -> Reply {
    c.post(&format!("/api/v1/kb/articles/{id}/transitions"), json!({ "to": state })).await
}

/// Writes and publishes an article; returns its id.
async fn published(c: &Client, title: &str, summary: &str, body: &str, visibility: &str, tags: &[&str]) -> i64 {
    let a = write(c, json!({"title": title, "summary": summary, "body": body, "visibility": visibility, "tags": tags}))
        .await;
    let id = a["id"].as_i64().expect("id");
    assert_eq!(to(c, id, "in_review").await.status, 200);
    let r = to(c, id, "published").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    id
}

fn ids(r: &Reply) -> Vec<i64> {
    r.body["items"].as_array().map(|a| a.iter().filter_map(|h| h["id"].as_i64()).collect()).unwrap_or_default()
}

both_backends! {
    async fn article_lifecycle_with_a_revision_kept_off_air(db: TestDb) {
        let k = kb(&db).await;
        let a = write(&k.agent, json!({"title": "Reset your VPN client", "summary": "When the tunnel drops", "body": "1. Open the client\n2. Click **Reset**\n", "visibility": "public", "tags": ["vpn"], "review_by": "2030-01-31"})).await;
        let id = a["id"].as_i64().expect("id");
        assert_eq!((a["state"].as_str(), a["version"].as_i64(), a["live_version"].is_null()), (Some("draft"), Some(1), true));
        assert!(a["body_html"].as_str().unwrap_or("").contains("<strong>Reset</strong>"), "{a:?}");
        assert_eq!(a["review_by"], "2030-01-31");

        let illegal = to(&k.agent, id, "published").await;
        illegal.assert_problem(422, "illegal_transition");
        assert_eq!(illegal.body["allowed"], json!(["in_review", "retired"]));
        k.requester.get(&format!("/api/v1/kb/articles/{id}")).await.assert_problem(404, "not_found");

        assert_eq!(to(&k.agent, id, "in_review").await.body["state"], "in_review");
        let p = to(&k.agent, id, "published").await;
        assert_eq!((p.body["state"].as_str(), p.body["live_version"].as_i64()), (Some("published"), Some(1)));
        let seen = k.requester.get(&format!("/api/v1/kb/articles/{id}")).await;
        assert_eq!(seen.status, 200, "{:?}", seen.body);
        assert_eq!(seen.body["title"], "Reset your VPN client");

        // A revision: a new draft version while version 1 stays live.
        let tag = p.headers.get("etag").and_then(|v| v.to_str().ok()).expect("etag").to_string();
        let mut req = k.agent.http.patch(k.server.url(&format!("/api/v1/kb/articles/{id}")))
            .json(&json!({"title": "Reset or reinstall your VPN client", "body": "1. Open the client\n2. Click **Reconnect**\n3. Reinstall if it fails\n", "note": "reinstall step"}))
            .header("if-match", &tag);
        req = req.bearer_auth(k.agent.token.as_deref().expect("token"));
        let rev = read(req.send().await.expect("sent")).await;
        assert_eq!(rev.status, 200, "{:?}", rev.body);
        assert_eq!((rev.body["state"].as_str(), rev.body["version"].as_i64(), rev.body["live_version"].as_i64()), (Some("draft"), Some(2), Some(1)));
        assert_eq!(rev.body["revision_pending"], true);
        let stale = k.agent.http.patch(k.server.url(&format!("/api/v1/kb/articles/{id}")))
            .json(&json!({"title": "lost"})).header("if-match", &tag).bearer_auth(k.agent.token.as_deref().expect("token"));
        read(stale.send().await.expect("sent")).await.assert_problem(409, "stale_version");

        let live = k.requester.get(&format!("/api/v1/kb/articles/{id}")).await;
        assert_eq!((live.body["title"].as_str(), live.body["version"].as_i64()), (Some("Reset your VPN client"), Some(1)), "the old version stays live");
        let found = k.requester.get("/api/v1/kb/search?q=reinstall").await;
        assert!(ids(&found).is_empty(), "the revision's words are not public yet: {:?}", found.body);
        assert_eq!(ids(&k.agent.get("/api/v1/kb/search?q=reinstall").await), vec![id], "agents find the revision");

        assert_eq!(to(&k.agent, id, "in_review").await.status, 200);
        assert_eq!(to(&k.agent, id, "published").await.body["live_version"], 2);
        let live = k.requester.get(&format!("/api/v1/kb/articles/{id}")).await;
        assert_eq!(live.body["title"], "Reset or reinstall your VPN client");
        assert_eq!(ids(&k.requester.get("/api/v1/kb/search?q=reinstall").await), vec![id]);
        assert!(ids(&k.requester.get("/api/v1/kb/search?q=reset%20your%20vpn%20client&limit=5").await).contains(&id));

        // Retired: gone for requesters; a retired article is restored before it is edited.
        assert_eq!(to(&k.agent, id, "retired").await.body["live_version"], Value::Null);
        k.requester.get(&format!("/api/v1/kb/articles/{id}")).await.assert_problem(404, "not_found");
        k.agent.patch(&format!("/api/v1/kb/articles/{id}"), json!({"title": "x"})).await.assert_problem(422, "illegal_transition");
        assert_eq!(to(&k.agent, id, "draft").await.body["state"], "draft");
        k.agent.send(reqwest::Method::DELETE, &format!("/api/v1/kb/articles/{id}"), None).await.assert_problem(409, "article_was_published");

        let history = k.agent.get(&format!("/api/v1/kb/articles/{id}/history")).await;
        let fields: Vec<&str> = history.body["items"].as_array().expect("items").iter().filter_map(|h| h["field"].as_str()).collect();
        assert!(fields.contains(&"version") && fields.iter().filter(|f| **f == "state").count() >= 6, "{fields:?}");
        let db_handle = db.connect().await;
        let kinds: Vec<String> = db_handle.events_of(&format!("kb_article:{id}")).await.expect("events").into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds.first().map(String::as_str), Some("kb.article_created"));
        assert!(kinds.contains(&"kb.article_saved".to_string()) && kinds.contains(&"kb.article_state_changed".to_string()));
        k.server.stop().await;
    }

    async fn any_two_versions_compare_side_by_side(db: TestDb) {
        let k = kb(&db).await;
        let a = write(&k.agent, json!({"title": "Map a network drive", "body": "Open Explorer.\nClick Map drive.\nDone.\n", "tags": ["windows"]})).await;
        let id = a["id"].as_i64().expect("id");
        k.agent.patch(&format!("/api/v1/kb/articles/{id}"), json!({"body": "Open Explorer.\nClick Map network drive.\nPick a letter.\nDone.\n"})).await;
        k.agent.patch(&format!("/api/v1/kb/articles/{id}"), json!({"title": "Map a network drive on Windows", "tags": ["windows", "files"]})).await;
        let versions = k.agent.get(&format!("/api/v1/kb/articles/{id}/versions")).await;
        let numbers: Vec<i64> = versions.body["items"].as_array().expect("items").iter().filter_map(|v| v["number"].as_i64()).collect();
        assert_eq!(numbers, vec![3, 2, 1]);
        let v1 = k.agent.get(&format!("/api/v1/kb/articles/{id}/versions/1")).await;
        assert_eq!(v1.body["body"], "Open Explorer.\nClick Map drive.\nDone.\n");

        let d = k.agent.get(&format!("/api/v1/kb/articles/{id}/compare?from=1&to=3")).await;
        assert_eq!(d.status, 200, "{:?}", d.body);
        let fields: Vec<&str> = d.body["diff"]["fields"].as_array().expect("fields").iter().filter_map(|f| f["field"].as_str()).collect();
        assert_eq!(fields, ["title", "tags"]);
        let changes: Vec<&str> = d.body["diff"]["body"].as_array().expect("rows").iter().filter_map(|r| r["change"].as_str()).collect();
        assert_eq!(changes, ["same", "changed", "added", "same"]);
        assert_eq!(d.body["diff"]["body"][1]["old"]["text"], "Click Map drive.");
        assert_eq!(d.body["diff"]["body"][1]["new"]["text"], "Click Map network drive.");
        let same = k.agent.get(&format!("/api/v1/kb/articles/{id}/compare?from=2&to=3")).await;
        assert_eq!((same.body["diff"]["lines_added"].as_i64(), same.body["diff"]["lines_removed"].as_i64()), (Some(0), Some(0)));
        k.agent.get(&format!("/api/v1/kb/articles/{id}/compare?from=1&to=9")).await.assert_problem(404, "not_found");
        k.agent.get(&format!("/api/v1/kb/articles/{id}/compare?from=one&to=2")).await.assert_problem(400, "invalid_query");
        k.requester.get(&format!("/api/v1/kb/articles/{id}/versions")).await.assert_problem(404, "not_found");
        k.server.stop().await;
    }

    async fn requesters_never_reach_internal_or_unpublished_articles(db: TestDb) {
        let k = kb(&db).await;
        let public = published(&k.agent, "Printer jams on floor two", "", "Open tray B and remove the paper.", "public", &["printer"]).await;
        let internal = published(&k.agent, "Printer admin password rotation", "", "The printer admin password is in the vault.", "internal", &["printer"]).await;
        let draft = write(&k.agent, json!({"title": "Printer driver rollout draft", "body": "printer driver notes", "visibility": "public"})).await["id"].as_i64().expect("id");
        let in_review = write(&k.agent, json!({"title": "Printer toner order", "body": "printer toner", "visibility": "public"})).await["id"].as_i64().expect("id");
        to(&k.agent, in_review, "in_review").await;
        let retired = published(&k.agent, "Old printer fleet", "", "printer fleet of 2019", "public", &[]).await;
        to(&k.agent, retired, "retired").await;

        assert_eq!(ids(&k.requester.get("/api/v1/kb/search?q=printer").await), vec![public]);
        assert_eq!(ids(&k.requester.get("/api/v1/kb/suggestions?q=printer%20not%20work").await), vec![public]);
        let list = k.requester.get("/api/v1/kb/articles").await;
        assert_eq!(ids(&list), vec![public]);
        assert!(ids(&k.requester.get("/api/v1/kb/articles?state=draft").await).is_empty());
        assert!(ids(&k.requester.get("/api/v1/kb/search?q=printer&state=draft").await).is_empty());
        for hidden in [internal, draft, in_review, retired] {
            for path in [format!("/api/v1/kb/articles/{hidden}"), format!("/api/v1/kb/articles/{hidden}/attachments")] {
                k.requester.get(&path).await.assert_problem(404, "not_found");
            }
            k.requester.post(&format!("/api/v1/kb/articles/{hidden}/feedback"), json!({"helpful": true})).await.assert_problem(404, "not_found");
            k.requester.post(&format!("/api/v1/kb/articles/{hidden}/deflections"), json!({})).await.assert_problem(404, "not_found");
        }
        // A typo correction never reveals a word only an internal article has.
        let r = k.requester.get("/api/v1/kb/search?q=vualt").await;
        assert!(ids(&r).is_empty() && r.body["corrected_query"].is_null(), "{:?}", r.body);
        assert_eq!(k.agent.get("/api/v1/kb/search?q=vualt").await.body["corrected_query"], "vault");

        let mut agent_sees = ids(&k.agent.get("/api/v1/kb/search?q=printer&limit=10").await);
        agent_sees.sort();
        assert_eq!(agent_sees, vec![public, internal, draft, in_review, retired]);
        assert_eq!(ids(&k.agent.get("/api/v1/kb/search?q=printer&state=in_review").await), vec![in_review]);
        k.requester.post("/api/v1/kb/articles", json!({"title": "mine", "body": "x"})).await.assert_problem(403, "forbidden");
        k.requester.patch(&format!("/api/v1/kb/articles/{public}"), json!({"title": "mine"})).await.assert_problem(403, "forbidden");
        k.requester.post(&format!("/api/v1/kb/articles/{public}/transitions"), json!({"to": "retired"})).await.assert_problem(403, "forbidden");
        k.requester.get("/api/v1/kb/report").await.assert_problem(403, "forbidden");
        k.server.stop().await;
    }

    async fn ranking_puts_the_expected_article_first(db: TestDb) {
        let k = kb(&db).await;
        let set = [
            ("Reset a forgotten password", "Self-service password reset for your account", "Go to the sign-in page and choose Forgot password. A reset link arrives by email within five minutes.", vec!["password", "account"]),
            ("Connect to the VPN from home", "Remote access with the VPN client", "Install the VPN client, sign in with your account and choose the nearest gateway. If the tunnel drops, reconnect.", vec!["vpn", "remote"]),
            ("Printer shows paper jam", "Clearing jams on the floor printers", "Open tray B, remove the jammed paper and close the tray. The printer restarts by itself.", vec!["printer"]),
            ("Set up email on a phone", "Mail on iOS and Android", "Add an Exchange account with your email address. Your password is the same as for the laptop.", vec!["email", "mobile"]),
            ("Request a new laptop", "Hardware requests", "Laptops are replaced every four years. Request one from the catalog; your manager approves it.", vec!["hardware", "laptop"]),
            ("Wi-Fi keeps disconnecting", "Wireless troubleshooting", "Forget the network and join again. Old drivers make the wireless adapter drop the connection.", vec!["wifi", "network"]),
            ("Share a calendar", "Calendars in Outlook", "Right-click the calendar, choose Share and pick who may see it. Email invitations follow.", vec!["calendar", "email"]),
            ("Unlock a locked account", "After too many wrong passwords", "Accounts lock for fifteen minutes after ten wrong passwords. The service desk can unlock an account sooner.", vec!["account", "password"]),
        ];
        let mut id_of = std::collections::HashMap::new();
        for (title, summary, body, tags) in &set {
            id_of.insert(*title, published(&k.agent, title, summary, body, "public", tags).await);
        }
        let expected = [
            ("forgot password", "Reset a forgotten password"),
            ("reset password", "Reset a forgotten password"),
            ("vpn tunnel drops", "Connect to the VPN from home"),
            ("working from home", "Connect to the VPN from home"),
            ("paper jam", "Printer shows paper jam"),
            ("printers", "Printer shows paper jam"),
            ("email on my phone", "Set up email on a phone"),
            ("new laptop", "Request a new laptop"),
            ("wifi disconnects", "Wi-Fi keeps disconnecting"),
            ("account locked", "Unlock a locked account"),
            ("share calendar", "Share a calendar"),
            ("How do I reset my password?", "Reset a forgotten password"),
        ];
        for (q, top) in expected {
            for who in [&k.agent, &k.requester] {
                let r = who.get(&format!("/api/v1/kb/search?q={}", q.replace(' ', "%20").replace('?', "%3F"))).await;
                assert_eq!(r.status, 200, "{:?}", r.body);
                assert_eq!(ids(&r).first(), Some(&id_of[top]), "top hit of {q:?}: {:?}", r.body["items"]);
            }
        }
        // Snippets highlight the matched (stemmed) terms.
        let r = k.requester.get("/api/v1/kb/search?q=jammed").await;
        let parts = r.body["items"][0]["snippet"].as_array().expect("snippet").clone();
        assert!(parts.iter().any(|p| p["hit"] == true && p["text"].as_str().is_some_and(|t| t.to_lowercase().starts_with("jam"))), "{parts:?}");
        // A typo in one word still finds the article, and says so.
        let r = k.requester.get("/api/v1/kb/search?q=pasword%20reset").await;
        assert_eq!(r.body["corrected_query"], "password reset", "{:?}", r.body);
        assert_eq!(ids(&r).first(), Some(&id_of["Reset a forgotten password"]));
        let r = k.requester.get("/api/v1/kb/search?q=calender").await;
        assert_eq!(ids(&r).first(), Some(&id_of["Share a calendar"]), "{:?}", r.body);
        // Filters.
        assert_eq!(ids(&k.agent.get("/api/v1/kb/search?q=password&tag=email").await), vec![id_of["Set up email on a phone"]]);
        // Searches that find nothing are kept for the report; SQL and FTS syntax are only words.
        for q in ["quantum%20flux%20capacitor", "x'%20OR%201=1--", "%22NEAR(%22", "*"] {
            let r = k.requester.get(&format!("/api/v1/kb/search?q={q}")).await;
            assert_eq!(r.status, 200, "{q}: {:?}", r.body);
        }
        k.requester.get("/api/v1/kb/search?q=quantum%20flux%20capacitor").await;
        let report = k.agent.get("/api/v1/kb/report").await;
        let missed = report.body["missed_searches"].as_array().expect("missed").clone();
        assert_eq!(missed[0]["words"], "quantum flux capacitor", "{missed:?}");
        assert_eq!(missed[0]["times"], 2);
        k.server.stop().await;
    }

    async fn every_node_finds_what_any_node_wrote(db: TestDb) {
        // Each server keeps its own search index in memory, caught up from the database.
        let a = kb(&db).await;
        let b = db.start().await;
        let (_, b_agent) = b.user("agent").await;
        let (_, b_requester) = b.user("requester").await;
        assert!(ids(&b_requester.get("/api/v1/kb/search?q=toner").await).is_empty(), "b's index is built before the write");
        let id = published(&a.agent, "Order printer toner", "", "Toner cartridges come from the catalog.", "public", &["printer"]).await;
        assert_eq!(ids(&b_requester.get("/api/v1/kb/search?q=toner").await), vec![id]);
        assert_eq!(ids(&b_requester.get("/api/v1/kb/suggestions?q=printer%20ton").await), vec![id]);

        // A revision written on a is found by b's agents at once, by b's requesters once published.
        let rev = a.agent.patch(&format!("/api/v1/kb/articles/{id}"), json!({"body": "Toner and drums come from the catalog."})).await;
        assert_eq!(rev.status, 200, "{:?}", rev.body);
        assert_eq!(ids(&b_agent.get("/api/v1/kb/search?q=drums").await), vec![id]);
        assert!(ids(&b_requester.get("/api/v1/kb/search?q=drums").await).is_empty(), "the revision is not live yet");
        assert_eq!(ids(&b_requester.get("/api/v1/kb/search?q=toner").await), vec![id], "the live version still is");
        to(&a.agent, id, "in_review").await;
        to(&a.agent, id, "published").await;
        assert_eq!(ids(&b_requester.get("/api/v1/kb/search?q=drums").await), vec![id]);

        // Retired on a: gone from b's requesters; agents still find it, in its new state.
        to(&a.agent, id, "retired").await;
        assert!(ids(&b_requester.get("/api/v1/kb/search?q=toner").await).is_empty());
        assert_eq!(ids(&b_agent.get("/api/v1/kb/search?q=toner&state=retired").await), vec![id]);
        assert!(ids(&b_agent.get("/api/v1/kb/search?q=toner&state=published").await).is_empty());
        b.stop().await;

        // A restarted node builds its index from the database.
        a.server.stop().await;
        let c = db.start().await;
        let (_, c_agent) = c.user("agent").await;
        assert_eq!(ids(&c_agent.get("/api/v1/kb/search?q=drums").await), vec![id]);
        c.stop().await;
    }

    async fn feedback_views_deflections_and_ticket_solutions(db: TestDb) {
        let k = kb(&db).await;
        let id = published(&k.agent, "Outlook will not start", "Safe mode and profile repair", "Start Outlook in safe mode, then repair the profile.", "public", &["outlook"]).await;
        for _ in 0..3 {
            assert_eq!(k.requester.get(&format!("/api/v1/kb/articles/{id}")).await.status, 200);
        }
        let f = k.requester.post(&format!("/api/v1/kb/articles/{id}/feedback"), json!({"helpful": false, "comment": "safe mode did not help"})).await;
        assert_eq!(f.status, 201, "{:?}", f.body);
        k.requester.post(&format!("/api/v1/kb/articles/{id}/feedback"), json!({"helpful": true})).await;
        k.requester.post(&format!("/api/v1/kb/articles/{id}/feedback"), json!({"helpful": "yes"})).await.assert_problem(422, "invalid_body");
        let r = k.requester.post(&format!("/api/v1/kb/articles/{id}/deflections"), json!({"query": "outlook does not start"})).await;
        assert_eq!(r.status, 204, "{:?}", r.body);
        let a = k.agent.get(&format!("/api/v1/kb/articles/{id}")).await;
        assert_eq!((a.body["views"].as_i64(), a.body["helpful"].as_i64(), a.body["not_helpful"].as_i64(), a.body["deflections"].as_i64()), (Some(4), Some(1), Some(0), Some(1)), "feedback is replaced, not added");
        let report = k.agent.get("/api/v1/kb/report?days=7").await;
        assert_eq!(report.body["deflections_total"], 1);
        assert_eq!(report.body["deflections_since"], 1);
        assert_eq!(report.body["most_viewed"][0]["id"], id);

        // On a ticket: suggested articles, linking one as the solution, and an article drafted from it.
        let t = k.agent.post("/api/v1/tickets", json!({"kind": "incident", "title": "Outlook does not start after update", "description": "Crashes at the splash screen"})).await;
        assert_eq!(t.status, 201, "{:?}", t.body);
        let number = t.body["number"].as_str().expect("number").to_string();
        let arts = k.agent.get(&format!("/api/v1/tickets/{number}/articles")).await;
        assert_eq!(arts.body["suggested"][0]["id"], id, "{:?}", arts.body);
        let l = k.agent.post(&format!("/api/v1/tickets/{number}/articles"), json!({"article": id})).await;
        assert_eq!(l.status, 201, "{:?}", l.body);
        k.agent.post(&format!("/api/v1/tickets/{number}/articles"), json!({"article": id})).await.assert_problem(409, "link_exists");
        k.agent.post(&format!("/api/v1/tickets/{number}/articles"), json!({"article": 99999})).await.assert_problem(422, "validation_failed");
        let arts = k.agent.get(&format!("/api/v1/tickets/{number}/articles")).await;
        assert_eq!(arts.body["linked"][0]["id"], id);
        assert!(arts.body["suggested"].as_array().expect("suggested").iter().all(|s| s["id"] != id), "a linked article is not suggested again");
        k.requester.get(&format!("/api/v1/tickets/{number}/articles")).await.assert_problem(404, "not_found");
        k.agent.post(&format!("/api/v1/tickets/{number}/comments"), json!({"body": "Deleted the corrupt OST file; Outlook starts."})).await;
        let input = k.server.app().article_input_from_ticket(&opsdesk_domain::Actor::system(), &number).await.expect("prefill");
        assert_eq!(input.title, "Outlook does not start after update");
        assert!(input.body.contains("## Problem\n\nCrashes at the splash screen") && input.body.contains("Deleted the corrupt OST file"), "{}", input.body);
        let from = write(&k.agent, json!({"title": input.title, "body": input.body, "source_ticket": number})).await;
        let arts = k.agent.get(&format!("/api/v1/tickets/{number}/articles")).await;
        assert_eq!(arts.body["linked"].as_array().map(Vec::len), Some(2), "the new article is linked: {from:?}");
        k.server.stop().await;
    }

    async fn owners_are_reminded_once_when_the_review_date_passes(db: TestDb) {
        let k = kb(&db).await;
        let due = write(&k.agent, json!({"title": "Quarterly patching", "body": "Patch all servers.", "review_by": "2020-01-01"})).await["id"].as_i64().expect("id");
        let later = write(&k.agent, json!({"title": "Yearly audit", "body": "Audit.", "review_by": "2999-01-01"})).await["id"].as_i64().expect("id");
        let app = k.server.app();
        assert_eq!(app.remind_article_reviews(opsdesk_store::Ts::now()).await.expect("remind"), 1);
        assert_eq!(app.remind_article_reviews(opsdesk_store::Ts::now()).await.expect("remind"), 0, "once per review date");
        let db_handle = db.connect().await;
        let events = db_handle.events_of(&format!("kb_article:{due}")).await.expect("events");
        let reminder = events.iter().find(|e| e.kind == "kb.review_due").expect("a kb.review_due event");
        assert!(reminder.payload.contains("2020-01-01"), "{}", reminder.payload);
        assert!(db_handle.events_of(&format!("kb_article:{later}")).await.expect("events").iter().all(|e| e.kind != "kb.review_due"));
        let history = k.agent.get(&format!("/api/v1/kb/articles/{due}/history")).await;
        assert!(history.body["items"].as_array().expect("items").iter().any(|h| h["field"] == "review_reminder"));
        // A new review date reminds again when it passes.
        k.agent.patch(&format!("/api/v1/kb/articles/{due}"), json!({"review_by": "2021-06-30"})).await;
        assert_eq!(app.remind_article_reviews(opsdesk_store::Ts::now()).await.expect("remind"), 1);
        k.server.stop().await;
    }

    async fn article_input_is_validated(db: TestDb) {
        let k = kb(&db).await;
        let r = k.agent.post("/api/v1/kb/articles", json!({"title": "", "body": " ", "visibility": "secret", "tags": ["ok", "<b>"], "review_by": "soon"})).await;
        r.assert_problem(422, "validation_failed");
        let fields: Vec<&str> = r.body["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
        assert_eq!(fields, ["title", "body", "visibility", "tags.1", "review_by"]);
        k.agent.post("/api/v1/kb/articles", json!({"title": "t", "body": "b", "is_admin": true})).await.assert_problem(422, "invalid_body");
        k.agent.post("/api/v1/kb/articles", json!({"title": "t", "body": "b", "categories": ["Nope"]})).await.assert_problem(422, "validation_failed");
        let a = write(&k.agent, json!({"title": "<script>alert(1)</script>", "body": "<img src=x onerror=alert(1)> [x](javascript:alert(1))"})).await;
        let html = a["body_html"].as_str().expect("html");
        assert!(!html.contains("onerror") && !html.contains("javascript:"), "{html}");
        assert_eq!(a["title"], "<script>alert(1)</script>", "kept as text; escaped where shown");
        let id = a["id"].as_i64().expect("id");
        assert_eq!(k.agent.send(reqwest::Method::DELETE, &format!("/api/v1/kb/articles/{id}"), None).await.status, 204);
        k.agent.get(&format!("/api/v1/kb/articles/{id}")).await.assert_problem(404, "not_found");
        k.server.stop().await;
    }
}

both_backends! {
    async fn knowledge_pages_show_requesters_only_what_they_may_read(db: TestDb) {
        let server = db.start().await;
        let (_, agent) = server.user("agent").await;
        let (user, _) = server.user("requester").await;
        let public = published(&agent, "Printer <b>jam</b> fix", "", "Open **tray B** of the printer.\n\n<script>alert(1)</script>", "public", &[]).await;
        let internal = published(&agent, "Printer admin secrets", "", "printer vault", "internal", &[]).await;
        let (browser, login) = Client::browser(&server.base, &user.email, "a long enough password").await;
        assert_eq!(login.status, 200, "{:?}", login.body);
        let page = browser.get("/kb?q=printer").await;
        let html = page.body.as_str().expect("html").to_string();
        assert_eq!(page.status, 200);
        assert!(html.contains("Printer &#60;b&#62;jam&#60;/b&#62; fix") && !html.contains("<b>jam"), "titles are escaped: {html}");
        assert!(html.contains("<mark>"), "snippets highlight: {html}");
        assert!(!html.contains("secrets"), "no internal article: {html}");
        let art = browser.get(&format!("/kb/articles/{public}")).await;
        let html = art.body.as_str().expect("html").to_string();
        assert!(html.contains("<strong>tray B</strong>") && !html.contains("<script>alert"), "{html}");
        assert!(html.contains("This solved it"), "{html}");
        assert_eq!(browser.get(&format!("/kb/articles/{internal}")).await.status, 404);
        let js = browser.get("/assets/app.js").await;
        assert!(js.body.as_str().is_some_and(|s| s.contains("/api/v1/kb/suggestions")));
        let new = browser.get("/portal/new").await;
        assert!(new.body.as_str().is_some_and(|s| s.contains("data-kb-suggest") && s.contains("/kb/search-first")));
        server.stop().await;
    }
}

async fn form(c: &Client, path: &str, fields: &[(&str, &str)]) -> Reply {
    let mut all: Vec<(&str, &str)> = fields.to_vec();
    let csrf = c.csrf.clone().expect("a session");
    all.push(("csrf", &csrf));
    let res = c.http.post(format!("{}{path}", c.base)).form(&all).send().await.expect("sent");
    read(res).await
}

both_backends! {
    async fn agents_write_link_and_compare_articles_in_the_console(db: TestDb) {
        let server = db.start().await;
        let (user, api) = server.user("agent").await;
        let (agent, _) = Client::browser(&server.base, &user.email, "a long enough password").await;
        let t = api.post("/api/v1/tickets", json!({"kind": "incident", "title": "Teams camera is black", "description": "The camera shows a black picture in Teams calls"})).await;
        let number = t.body["number"].as_str().expect("number").to_string();
        api.post(&format!("/api/v1/tickets/{number}/comments"), json!({"body": "Enable camera access in the privacy settings.", "public": true})).await;

        let new = agent.get(&format!("/kb/new?ticket={number}")).await;
        let html = new.body.as_str().expect("html").to_string();
        assert!(html.contains("value=\"Teams camera is black\"") && html.contains("Enable camera access"), "{html}");
        let body = "## Problem\n\nBlack camera picture\n\n## Resolution\n\nEnable camera access.\n";
        let created = form(&agent, "/kb/new", &[("title", "Teams camera is black"), ("body", body), ("visibility", "public"), ("tags", "teams, camera"), ("source_ticket", &number)]).await;
        assert_eq!(created.status, 200, "followed the redirect: {:?}", created.body);
        let list = api.get("/api/v1/kb/articles").await;
        let id = list.body["items"][0]["id"].as_i64().expect("created");
        assert_eq!(api.get(&format!("/api/v1/tickets/{number}/articles")).await.body["linked"][0]["id"], id);

        let saved = form(&agent, &format!("/kb/articles/{id}/edit"), &[("row_version", "1"), ("title", "Teams camera is black"), ("body", "## Problem\n\nBlack camera picture\n\n## Resolution\n\nEnable camera access in Windows privacy settings.\n"), ("visibility", "public"), ("tags", "teams")]).await;
        assert_eq!(saved.status, 200);
        assert_eq!(api.get(&format!("/api/v1/kb/articles/{id}")).await.body["version"], 2);
        let stale = form(&agent, &format!("/kb/articles/{id}/edit"), &[("row_version", "1"), ("title", "lost"), ("body", "lost")]).await;
        assert!(stale.body.as_str().is_some_and(|h| h.contains("changed meanwhile")), "{:?}", stale.body);
        let cmp = agent.get(&format!("/kb/articles/{id}/compare?from=1&to=2")).await;
        let html = cmp.body.as_str().expect("html").to_string();
        assert!(html.contains("class=\"changed\"") && html.contains("Enable camera access in Windows privacy settings."), "{html}");
        for to in ["in_review", "published"] {
            let r = form(&agent, &format!("/kb/articles/{id}/transitions"), &[("to", to)]).await;
            assert!(r.body.as_str().is_some_and(|h| h.contains("The article is now")), "{:?}", r.body);
        }
        let page = agent.get(&format!("/agent/tickets/{number}")).await;
        let html = page.body.as_str().expect("html").to_string();
        assert!(html.contains("id=\"knowledge\"") && html.contains(&format!("/kb/articles/{id}")), "{html}");
        assert!(html.contains(&format!("/kb/new?ticket={number}")));
        let report = agent.get("/kb/report").await;
        assert!(report.body.as_str().is_some_and(|h| h.contains("Searches that found nothing")));
        server.stop().await;
    }
}
