//! The service catalog through its REST contract, on both databases: item forms and their
//! conditional fields, each approval path (manager, group, named users with N of M, the skip
//! under the price threshold, rejection), fulfilment tasks in order, the audience, drafts,
//! and cancellation.

use crate::both_backends;
use crate::helpers::*;
use opsdesk_store::users::User;
use serde_json::{json, Value};

/// An admin, an agent in "Desktop" (the fulfilment group), and a requester.
struct Setup {
    server: TestServer,
    admin: Client,
    agent: Client,
    requester: User,
    requester_c: Client,
}

async fn setup(db: &TestDb) -> Setup {
    let server = db.start().await;
    let (_, admin) = server.user("admin").await;
    let (agent_user, agent) = server.user("agent").await;
    let (requester, requester_c) = server.user("requester").await;
    let group = created(admin.post("/api/v1/groups", json!({"name": "Desktop"})).await);
    let path = format!("/api/v1/groups/{}/members/{}", group["id"], agent_user.id);
    assert_eq!(admin.send(reqwest::Method::PUT, &path, None).await.status, 204);
    Setup { server, admin, agent, requester, requester_c }
}

/// The laptop form: a model, memory only for the developer model (required then), a reason
/// with a length limit and a policy checkbox that must be ticked.
fn laptop_form() -> Value {
    json!([
        {"key": "model", "label": "Model", "type": "select", "required": true, "options": ["standard", "developer"]},
        {"key": "ram", "label": "Memory (GB)", "type": "number", "required": true, "min": 16, "max": 64,
         "show_if": {"field": "model", "equals": "developer"}},
        {"key": "reason", "label": "Why", "type": "textarea", "max_length": 200},
        {"key": "accept", "label": "I accept the equipment policy", "type": "checkbox", "required": true},
    ])
}

async fn item(admin: &Client, extra: Value) -> i64 {
    let mut body = json!({
        "desk": "IT", "title": "Laptop", "description": "A company laptop.", "form": laptop_form(),
        "fulfilment": [], "published": true,
    });
    for (k, v) in extra.as_object().expect("object") {
        body[k] = v.clone();
    }
    created(admin.post("/api/v1/catalog/items", body).await)["id"].as_i64().expect("item id")
}

async fn order(c: &Client, item: i64, body: Value) -> Reply {
    c.post(&format!("/api/v1/catalog/items/{item}/requests"), body).await
}

fn error_fields(r: &Reply) -> Vec<String> {
    let mut f: Vec<String> = r.body["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["field"].as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    f.sort();
    f
}

async fn status(c: &Client, number: &str) -> String {
    ok(c.get(&format!("/api/v1/tickets/{number}")).await)["status"].as_str().unwrap_or("").to_string()
}

async fn tasks(c: &Client, number: &str) -> Vec<Value> {
    ok(c.get(&format!("/api/v1/tickets/{number}/tasks")).await)["items"].as_array().cloned().unwrap_or_default()
}

async fn approvals(c: &Client, number: &str) -> Vec<Value> {
    ok(c.get(&format!("/api/v1/tickets/{number}/approvals")).await)["items"].as_array().cloned().unwrap_or_default()
}

async fn decide(c: &Client, approval: i64, decision: &str) -> Value {
    ok(c.post(&format!("/api/v1/approvals/{approval}/decisions"), json!({"decision": decision})).await)
}

async fn move_to(c: &Client, number: &str, to: &str) -> Reply {
    c.post(&format!("/api/v1/tickets/{number}/transitions"), json!({"to": to})).await
}

both_backends! {
    async fn answers_are_checked_against_the_form_and_its_conditions(db: TestDb) {
        let s = setup(&db).await;
        let id = item(&s.admin, json!({})).await;

        // Every wrong answer at once, each named by its key.
        let r = order(&s.requester_c, id, json!({"answers": {"model": "tablet", "accept": false, "colour": "red"}})).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(error_fields(&r), ["answers.accept", "answers.colour", "answers.model"]);

        // A shown conditional field is required, and its rules hold.
        let r = order(&s.requester_c, id, json!({"answers": {"model": "developer", "accept": true}})).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(error_fields(&r), ["answers.ram"]);
        let r = order(&s.requester_c, id, json!({"answers": {"model": "developer", "ram": 8, "accept": true}})).await;
        assert_eq!(error_fields(&r), ["answers.ram"], "under its minimum");

        // A hidden field's answer is ignored.
        let body = json!({"answers": {"model": "standard", "ram": 8, "reason": "<b>new job</b>", "accept": true}});
        let req = created(order(&s.requester_c, id, body).await);
        assert!(req["number"].as_str().is_some_and(|n| n.starts_with("REQ-")), "{req:?}");
        assert_eq!(req["status"], "fulfilling", "no approval: fulfilment at once");
        assert_eq!(req["catalog_item"]["id"], id);
        assert_eq!(req["requested_for"]["id"], s.requester.id);
        assert_eq!(req["answers"], json!({"model": "standard", "reason": "<b>new job</b>", "accept": true}));

        // Agents read the answers as a form, in the form's order.
        let number = req["number"].as_str().expect("number");
        let seen = ok(s.agent.get(&format!("/api/v1/catalog/requests/{number}")).await);
        let rows: Vec<(String, String)> = seen["answers_readable"]
            .as_array()
            .expect("answers")
            .iter()
            .map(|a| (a["label"].as_str().unwrap_or("").into(), a["display"].as_str().unwrap_or("").into()))
            .collect();
        assert_eq!(
            rows,
            [
                ("Model".to_string(), "standard".to_string()),
                ("Why".into(), "<b>new job</b>".into()),
                ("I accept the equipment policy".into(), "Yes".into()),
            ]
        );
        let t = ok(s.agent.get(&format!("/api/v1/tickets/{number}")).await);
        assert_eq!(t["kind"], "service_request");
        assert!(t["description"].as_str().is_some_and(|d| d.contains("Model: standard")), "{t:?}");

        // A ticket not ordered from the catalog has no catalog answers.
        let other = created(s.agent.post("/api/v1/tickets", json!({"kind": "incident", "title": "Printer"})).await);
        s.agent.get(&format!("/api/v1/catalog/requests/{}", other["number"].as_str().expect("n"))).await
            .assert_problem(404, "not_found");
    }

    async fn form_definitions_are_checked_and_only_admins_write(db: TestDb) {
        let s = setup(&db).await;
        let form = json!([
            {"key": "a", "label": "A", "type": "select"},
            {"key": "b", "label": "B", "type": "text", "show_if": {"field": "zzz", "equals": "x"}},
            {"key": "b", "label": "B again", "type": "text"},
        ]);
        let body = json!({"title": "Broken", "form": form, "approval": {"stages": [{"approvers": {}, "rule": "any"}]},
                          "fulfilment": [{"title": "Step", "after": [3]}], "audience": {"groups": ["Nobody"]}});
        let r = s.admin.post("/api/v1/catalog/items", body.clone()).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(
            error_fields(&r),
            [
                "approval.stages[0].approvers",
                "audience.groups[0]",
                "form[0].options",
                "form[1].show_if.field",
                "form[2].key",
                "fulfilment[0].after[0]",
            ]
        );
        s.agent.post("/api/v1/catalog/items", json!({"title": "X"})).await.assert_problem(403, "forbidden");
        s.requester_c.post("/api/v1/catalog/items", json!({"title": "X"})).await.assert_problem(403, "forbidden");

        // Replacing checks the version it was read at.
        let id = item(&s.admin, json!({})).await;
        let path = format!("/api/v1/catalog/items/{id}");
        let body = json!({"title": "Laptop (2026)", "form": laptop_form(), "published": true});
        let mut req = s.admin.http.put(format!("{}{path}", s.admin.base)).json(&body).header("if-match", "\"7\"");
        req = req.bearer_auth(s.admin.token.as_deref().expect("token"));
        let stale = read(req.send().await.expect("put")).await;
        assert_eq!(stale.status, 412, "{:?}", stale.body);
        let r = ok(s.admin.send(reqwest::Method::PUT, &path, Some(body)).await);
        assert_eq!((r["title"].as_str(), r["version"].as_i64()), (Some("Laptop (2026)"), Some(2)));
        assert_eq!(s.admin.send(reqwest::Method::DELETE, &path, None).await.status, 204);
        s.admin.get(&path).await.assert_problem(404, "not_found");
    }

    async fn fulfilment_tasks_run_in_order_and_fulfil_the_request(db: TestDb) {
        let s = setup(&db).await;
        let fulfilment = json!([
            {"title": "Take a laptop from stock", "group": "Desktop"},
            {"title": "Install and hand over", "group": "Desktop", "after": [0]},
        ]);
        let id = item(&s.admin, json!({"fulfilment": fulfilment})).await;
        let req = created(order(&s.requester_c, id, json!({"answers": {"model": "standard", "accept": true}})).await);
        let number = req["number"].as_str().expect("number");
        let list = tasks(&s.agent, number).await;
        assert_eq!(list.len(), 2, "{list:?}");
        let (first, second) = (list[0]["number"].as_str().expect("t1"), list[1]["number"].as_str().expect("t2"));
        assert_eq!(list[0]["title"], "Take a laptop from stock");
        assert_eq!(list[1]["after"], json!([list[0]["id"]]));
        let group = ok(s.agent.get("/api/v1/groups").await)["items"][0]["id"].clone();
        assert_eq!(list[0]["group_id"], group);

        // The second waits for the first; the request waits for both.
        move_to(&s.agent, second, "done").await.assert_problem(422, "guard_failed");
        move_to(&s.agent, number, "fulfilled").await.assert_problem(422, "guard_failed");
        assert_eq!(move_to(&s.agent, first, "done").await.status, 200);
        assert_eq!(status(&s.agent, number).await, "fulfilling", "one task is still open");
        assert_eq!(move_to(&s.agent, second, "done").await.status, 200);
        assert_eq!(status(&s.requester_c, number).await, "fulfilled", "the last task done fulfils the request");

        // A fulfilled request is no longer the requester's to cancel.
        assert_ne!(move_to(&s.requester_c, number, "cancelled").await.status, 200);
        assert_eq!(status(&s.agent, number).await, "fulfilled");
    }

    async fn approval_by_manager_group_and_n_of_m_then_fulfilment(db: TestDb) {
        let s = setup(&db).await;
        let (manager, manager_c) = s.server.user("agent").await;
        let (finance_user, finance_c) = s.server.user("agent").await;
        let mut named = Vec::new();
        for _ in 0..3 {
            named.push(s.server.user("agent").await);
        }
        let finance = created(s.admin.post("/api/v1/groups", json!({"name": "Finance"})).await);
        let finance_id = finance["id"].as_i64().expect("finance");
        let path = format!("/api/v1/groups/{finance_id}/members/{}", finance_user.id);
        assert_eq!(s.admin.send(reqwest::Method::PUT, &path, None).await.status, 204);
        let r = s.admin.patch(&format!("/api/v1/users/{}", s.requester.id), json!({"manager": manager.email})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);

        let approval = json!({"stages": [
            {"approvers": {"manager": true}, "rule": "any"},
            {"approvers": {"groups": ["Finance"]}, "rule": "any"},
            {"approvers": {"users": [named[0].0.id, named[1].0.email, named[2].0.id]}, "rule": {"n": 2}},
        ]});
        let fulfilment = json!([{"title": "Ship it", "group": "Desktop"}]);
        let id = item(&s.admin, json!({"price": 1500, "approval_skip_below": 1000, "approval": approval,
                                         "fulfilment": fulfilment})).await;
        let seen = ok(s.admin.get(&format!("/api/v1/catalog/items/{id}")).await);
        assert_eq!(seen["needs_approval"], true);
        assert_eq!(seen["approval"]["stages"][1]["approvers"]["groups"], json!([finance_id]), "stored as ids");
        let mine = ok(s.requester_c.get(&format!("/api/v1/catalog/items/{id}")).await);
        assert!(mine.get("approval").is_none() && mine.get("audience").is_none(), "staff only: {mine:?}");

        let req = created(order(&s.requester_c, id, json!({"answers": {"model": "standard", "accept": true}})).await);
        assert_eq!(req["status"], "awaiting_approval");
        let number = req["number"].as_str().expect("number");
        assert!(tasks(&s.agent, number).await.is_empty(), "no work before the approval");
        let a = approvals(&s.agent, number).await;
        assert_eq!(a.len(), 1);
        let approval_id = a[0]["id"].as_i64().expect("approval");
        assert_eq!(a[0]["stages"][0]["approvers"][0]["id"], manager.id, "{:?}", a[0]);
        assert_eq!(a[0]["stages"][0]["approvers"][0]["source"], "manager");

        decide(&manager_c, approval_id, "approve").await;
        decide(&finance_c, approval_id, "approve").await;
        let after_one = decide(&named[1].1, approval_id, "approve").await;
        assert_eq!(after_one["state"], "pending", "two of three are needed");
        assert_eq!(status(&s.agent, number).await, "awaiting_approval");
        let done = decide(&named[2].1, approval_id, "approve").await;
        assert_eq!(done["state"], "approved");
        assert_eq!(status(&s.agent, number).await, "fulfilling");
        let list = tasks(&s.agent, number).await;
        assert_eq!(list.iter().map(|t| t["title"].clone()).collect::<Vec<_>>(), [json!("Ship it")]);

        // Under the threshold the same approval is skipped.
        let cheap = item(&s.admin, json!({"price": 999.99, "approval_skip_below": 1000,
                                          "approval": {"stages": [{"approvers": {"manager": true}, "rule": "any"}]}}))
            .await;
        assert_eq!(ok(s.requester_c.get(&format!("/api/v1/catalog/items/{cheap}")).await)["needs_approval"], false);
        let req = created(order(&s.requester_c, cheap, json!({"answers": {"model": "standard", "accept": true}})).await);
        assert_eq!(req["status"], "fulfilling");
        assert!(approvals(&s.agent, req["number"].as_str().expect("n")).await.is_empty());
    }

    async fn a_rejected_order_is_never_fulfilled(db: TestDb) {
        let s = setup(&db).await;
        let (approver, approver_c) = s.server.user("agent").await;
        let approval = json!({"stages": [{"approvers": {"users": [approver.id]}, "rule": "any"}]});
        let id = item(&s.admin, json!({"approval": approval, "fulfilment": [{"title": "Ship it"}]})).await;
        let req = created(order(&s.requester_c, id, json!({"answers": {"model": "standard", "accept": true}})).await);
        let number = req["number"].as_str().expect("number");
        let approval_id = approvals(&s.agent, number).await[0]["id"].as_i64().expect("approval");
        decide(&approver_c, approval_id, "reject").await;
        assert_eq!(status(&s.agent, number).await, "rejected");
        assert!(tasks(&s.agent, number).await.is_empty());

        // Nobody to ask (the requester has no manager): the approval is not skipped, the
        // request waits for an agent.
        let managed = json!({"stages": [{"approvers": {"manager": true}, "rule": "any"}]});
        let id = item(&s.admin, json!({"approval": managed, "fulfilment": [{"title": "Ship it"}]})).await;
        let req = created(order(&s.requester_c, id, json!({"answers": {"model": "standard", "accept": true}})).await);
        assert_eq!(req["status"], "submitted");
        let number = req["number"].as_str().expect("number");
        assert!(approvals(&s.agent, number).await.is_empty() && tasks(&s.agent, number).await.is_empty());
    }

    async fn the_audience_decides_who_sees_and_orders(db: TestDb) {
        let s = setup(&db).await;
        let acme = created(s.admin.post("/api/v1/organizations", json!({"name": "Acme"})).await)["id"].clone();
        let (insider, insider_c) = s.server.user("requester").await;
        let r = s.admin.patch(&format!("/api/v1/users/{}", insider.id), json!({"organization_id": acme})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let id = item(&s.admin, json!({"title": "Acme badge", "audience": {"organizations": ["Acme"]}})).await;
        let draft = item(&s.admin, json!({"title": "Secret draft", "published": false})).await;
        let open = item(&s.admin, json!({"title": "Mouse"})).await;

        let titles = |r: Value| -> Vec<String> {
            r["items"].as_array().map(|a| a.iter().map(|i| i["title"].as_str().unwrap_or("").into()).collect())
                .unwrap_or_default()
        };
        assert_eq!(titles(ok(s.requester_c.get("/api/v1/catalog/items").await)), ["Mouse"]);
        assert_eq!(titles(ok(insider_c.get("/api/v1/catalog/items").await)), ["Acme badge", "Mouse"]);
        assert_eq!(titles(ok(s.agent.get("/api/v1/catalog/items?q=secret").await)), ["Secret draft"]);
        assert_eq!(titles(ok(insider_c.get("/api/v1/catalog/items?q=BADGE").await)), ["Acme badge"]);

        // Outside the audience, or a draft: exactly like a missing item.
        for path in [format!("/api/v1/catalog/items/{id}"), format!("/api/v1/catalog/items/{draft}")] {
            s.requester_c.get(&path).await.assert_problem(404, "not_found");
        }
        let answers = json!({"answers": {"model": "standard", "accept": true}});
        order(&s.requester_c, id, answers.clone()).await.assert_problem(404, "not_found");
        order(&s.requester_c, draft, answers.clone()).await.assert_problem(404, "not_found");
        order(&s.agent, draft, answers.clone()).await.assert_problem(409, "not_published");
        created(order(&insider_c, id, answers.clone()).await);

        // Ordering for someone else: only for a person the item is offered to.
        let mut for_outsider = answers.clone();
        for_outsider["requested_for"] = json!(s.requester.email);
        let r = order(&insider_c, id, for_outsider).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(error_fields(&r), ["requested_for"]);
        let mut for_colleague = answers;
        for_colleague["requested_for"] = json!(s.requester.id);
        let req = created(order(&insider_c, open, for_colleague).await);
        assert_eq!(req["requested_for"]["id"], s.requester.id);
        let t = ok(insider_c.get(&format!("/api/v1/tickets/{}", req["number"].as_str().expect("n"))).await);
        assert_eq!(t["requester_id"], insider.id, "the one who orders is the requester");
    }

    async fn the_requester_cancels_an_order_and_its_work_stops(db: TestDb) {
        let s = setup(&db).await;
        let (approver, _) = s.server.user("agent").await;
        let approval = json!({"stages": [{"approvers": {"users": [approver.id]}, "rule": "any"}]});
        let waiting = item(&s.admin, json!({"approval": approval})).await;
        let answers = json!({"answers": {"model": "standard", "accept": true}});
        let req = created(order(&s.requester_c, waiting, answers.clone()).await);
        let number = req["number"].as_str().expect("number");
        assert_eq!(ok(move_to(&s.requester_c, number, "cancelled").await)["status"], "cancelled");
        assert_eq!(approvals(&s.agent, number).await[0]["state"], "cancelled", "nobody is asked any more");

        let fulfilment = json!([{"title": "One"}, {"title": "Two", "after": [0]}]);
        let working = item(&s.admin, json!({"fulfilment": fulfilment})).await;
        let req = created(order(&s.requester_c, working, answers).await);
        let number = req["number"].as_str().expect("number");
        assert_eq!(tasks(&s.agent, number).await.len(), 2);
        // Another requester may not cancel it.
        let (_, stranger) = s.server.user("requester").await;
        assert_eq!(move_to(&stranger, number, "cancelled").await.status, 404);
        assert_eq!(ok(move_to(&s.requester_c, number, "cancelled").await)["status"], "cancelled");
        let states: Vec<Value> = tasks(&s.agent, number).await.iter().map(|t| t["status"].clone()).collect();
        assert_eq!(states, [json!("cancelled"), json!("cancelled")]);
    }

    async fn the_demo_catalog_offers_items_by_organisation_and_orders_a_laptop(db: TestDb) {
        let server = db.start_with(opsdesk::server::Role::Web, true).await;
        let rita = session_with(&server, "requester@acme.test", "opsdesk-requester").await;
        let joanna = session_with(&server, "joanna@globex.test", "opsdesk-requester").await;
        let titles = |r: Value| -> Vec<String> {
            r["items"].as_array().map(|a| a.iter().map(|i| i["title"].as_str().unwrap_or("").into()).collect())
                .unwrap_or_default()
        };
        let acme = titles(ok(rita.get("/api/v1/catalog/items").await));
        assert_eq!(acme, ["Laptop", "Access to a business application", "New starter"]);
        let globex = titles(ok(joanna.get("/api/v1/catalog/items").await));
        assert_eq!(globex, ["Laptop", "Access to a business application"], "the new starter is Acme's");
        let categories = ok(rita.get("/api/v1/catalog/categories?desk=IT").await);
        assert_eq!(categories["items"].as_array().map(Vec::len), Some(3));

        // The laptop: the developer model asks for memory; its price needs an approval.
        let laptop = ok(rita.get("/api/v1/catalog/items?q=laptop").await)["items"][0]["id"].as_i64().expect("laptop");
        let r = order(&rita, laptop, json!({"answers": {"model": "Developer 16\"", "accept": true}})).await;
        assert_eq!(error_fields(&r), ["answers.ram"]);
        let body = json!({"answers": {"model": "Developer 16\"", "ram": "64", "accept": true}});
        let req = created(order(&rita, laptop, body).await);
        assert_eq!(req["answers"]["ram"], "64");
        assert_eq!(req["status"], "awaiting_approval");
    }
}
