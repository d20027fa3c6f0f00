//! Kinds as definitions through the REST contract: tasks under a parent with their order and
//! guards, a problem's detail record and its known error, guard refusals naming each guard.

use crate::both_backends;
use crate::helpers::*;
use serde_json::{json, Value};

/// An admin, an agent in group "Fulfilment", a requester, and clients for each.
struct Desk {
    server: TestServer,
    admin: Client,
    agent: Client,
    agent_id: i64,
    requester: Client,
    requester_id: i64,
}

async fn desk(db: &TestDb) -> Desk {
    let server = db.start().await;
    let (_, admin) = server.user("admin").await;
    let (agent_user, agent) = server.user("agent").await;
    let (requester_user, requester) = server.user("requester").await;
    let g = admin.post("/api/v1/groups", json!({"name": "Fulfilment"})).await;
    let group_id = g.body["id"].as_i64().expect("group");
    let r =
        admin.send(reqwest::Method::PUT, &format!("/api/v1/groups/{group_id}/members/{}", agent_user.id), None).await;
    assert_eq!(r.status, 204);
    Desk { server, admin, agent, agent_id: agent_user.id, requester, requester_id: requester_user.id }
}

async fn created(r: Reply) -> Value {
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body
}

async fn move_to(c: &Client, ticket: &str, to: &str) -> Reply {
    c.post(&format!("/api/v1/tickets/{ticket}/transitions"), json!({ "to": to })).await
}

fn guard_names(r: &Reply) -> Vec<String> {
    r.assert_problem(422, "guard_failed");
    r.body["guards"]
        .as_array()
        .map(|g| g.iter().filter_map(|x| x["name"].as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

both_backends! {
    async fn tasks_run_in_order_and_hold_their_parent(db: TestDb) {
        let d = desk(&db).await;
        let req = created(d.agent.post("/api/v1/tickets", json!({
            "kind": "service_request", "title": "New starter laptop", "group": "Fulfilment",
            "requester": d.requester_id,
        })).await).await;
        let req_id = req["id"].as_i64().expect("id");
        let first = created(d.agent.post(&format!("/api/v1/tickets/{req_id}/tasks"), json!({
            "title": "Image the laptop", "assignee": d.agent_id,
        })).await).await;
        assert!(first["number"].as_str().is_some_and(|n| n.starts_with("TSK-")), "{first:?}");
        assert_eq!(first["status"], "open");
        assert_eq!(first["parent"], req_id);
        assert_eq!(first["kind"], "task");
        let first_id = first["id"].as_i64().expect("id");
        let second = created(d.agent.post("/api/v1/tickets/REQ-1/tasks", json!({
            "title": "Hand the laptop over", "after": [first_id],
        })).await).await;
        let second_num = second["number"].as_str().expect("number").to_string();
        assert_eq!(second["after"], json!([first_id]));

        // The request cannot be fulfilled while its tasks are open.
        assert_eq!(move_to(&d.agent, "REQ-1", "fulfilling").await.status, 200);
        let refused = move_to(&d.agent, "REQ-1", "fulfilled").await;
        assert_eq!(guard_names(&refused), ["tasks_done"]);
        assert!(refused.body["guards"][0]["detail"].as_str().is_some_and(|x| x.contains(&second_num)), "{:?}", refused.body);

        // The second task waits for the first.
        let waiting = move_to(&d.agent, &second_num, "done").await;
        assert_eq!(guard_names(&waiting), ["predecessors_done"]);
        let done = move_to(&d.agent, first["number"].as_str().expect("n"), "done").await;
        assert_eq!(done.status, 200, "{:?}", done.body);
        assert_eq!(done.body["status"], "done");
        assert_eq!(done.body["status_category"], "closed");
        assert_eq!(move_to(&d.agent, &second_num, "done").await.status, 200);
        let fulfilled = move_to(&d.agent, "REQ-1", "fulfilled").await;
        assert_eq!(fulfilled.status, 200, "{:?}", fulfilled.body);

        // A task is a ticket for reads and updates, listed under its parent and by the query language.
        let t = d.agent.get(&format!("/api/v1/tickets/{second_num}")).await;
        assert_eq!(t.status, 200);
        assert_eq!(t.body["parent"], req_id);
        let listed = d.agent.get(&format!("/api/v1/tickets/{req_id}/tasks")).await;
        assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(2), "{:?}", listed.body);
        let found = d.agent.get("/api/v1/tickets?q=kind:task%20parent:REQ-1").await;
        assert_eq!(found.status, 200, "{:?}", found.body);
        assert_eq!(found.body["items"].as_array().map(Vec::len), Some(2), "{:?}", found.body);
        let none = d.agent.get("/api/v1/tickets?q=parent:REQ-999").await;
        none.assert_problem(400, "invalid_query");

        // Tasks are internal work: the requester sees the request, not its tasks.
        assert_eq!(d.requester.get("/api/v1/tickets/REQ-1").await.status, 200);
        assert_eq!(d.requester.get(&format!("/api/v1/tickets/{second_num}")).await.status, 404);
        let mine = d.requester.get("/api/v1/tickets").await;
        let kinds: Vec<&str> = mine.body["items"].as_array().expect("items").iter().filter_map(|t| t["kind"].as_str()).collect();
        assert_eq!(kinds, ["service_request"], "{:?}", mine.body);
        d.server.stop().await;
    }

    async fn tasks_are_checked_on_the_way_in(db: TestDb) {
        let d = desk(&db).await;
        // Tasks get SLA clocks from the policies that name their kind.
        let p = d.admin.post("/api/v1/sla/policies", json!({"name": "Tasks", "conditions": {"kinds": ["task"]}, "targets": {"first_response": "1h", "resolution": "4h"}})).await;
        assert_eq!(p.status, 201, "{:?}", p.body);
        let inc = created(d.agent.post("/api/v1/tickets", json!({"kind": "incident", "title": "Printer jam", "group": "Fulfilment"})).await).await;
        let other = created(d.agent.post("/api/v1/tickets", json!({"kind": "incident", "title": "Other", "group": "Fulfilment"})).await).await;
        let foreign = created(d.agent.post(&format!("/api/v1/tickets/{}/tasks", other["id"]), json!({"title": "Elsewhere"})).await).await;
        // A task waits only for tasks of the same parent.
        let r = d.agent.post(&format!("/api/v1/tickets/{}/tasks", inc["id"]), json!({"title": "X", "after": [foreign["id"]]})).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], "after[0]");
        // Tasks are made under their parent, not on their own; nor under a task.
        let r = d.agent.post("/api/v1/tickets", json!({"kind": "task", "title": "Orphan"})).await;
        r.assert_problem(422, "validation_failed");
        let r = d.agent.post(&format!("/api/v1/tickets/{}/tasks", foreign["id"]), json!({"title": "Nested"})).await;
        r.assert_problem(422, "validation_failed");
        let r = d.agent.post(&format!("/api/v1/tickets/{}/tasks", inc["id"]), json!({"title": ""})).await;
        r.assert_problem(422, "validation_failed");
        // Requesters do not add tasks.
        let (_, stranger) = d.server.user("requester").await;
        let r = stranger.post(&format!("/api/v1/tickets/{}/tasks", inc["id"]), json!({"title": "Mine"})).await;
        assert_eq!(r.status, 404, "{:?}", r.body);
        // An incident with an open task cannot be resolved; a cancelled task no longer holds it.
        let task = created(d.agent.post(&format!("/api/v1/tickets/{}/tasks", inc["id"]), json!({"title": "Order toner"})).await).await;
        let read = d.agent.get(&format!("/api/v1/tickets/{}", task["id"])).await;
        let targets: Vec<&str> = read.body["sla"].as_array().expect("sla").iter().filter_map(|x| x["target"].as_str()).collect();
        assert!(targets.contains(&"resolution"), "the task policy applies: {:?}", read.body["sla"]);
        let parent = d.agent.get(&format!("/api/v1/tickets/{}", inc["id"])).await;
        assert_eq!(parent.body["sla"], json!([]), "the incident matches no policy");
        let inc_num = inc["number"].as_str().expect("n");
        assert_eq!(guard_names(&move_to(&d.agent, inc_num, "resolved").await), ["tasks_done"]);
        assert_eq!(move_to(&d.agent, task["number"].as_str().expect("n"), "cancelled").await.status, 200);
        assert_eq!(move_to(&d.agent, inc_num, "resolved").await.status, 200);
        // A closed parent takes no new task.
        let r = d.agent.post(&format!("/api/v1/tickets/{}/tasks", inc["id"]), json!({"title": "Late"})).await;
        r.assert_problem(409, "parent_closed");
        d.server.stop().await;
    }

    async fn a_problem_records_its_cause_and_its_known_error(db: TestDb) {
        let d = desk(&db).await;
        let prb = created(d.agent.post("/api/v1/tickets", json!({
            "kind": "problem", "title": "Mail relay drops messages", "group": "Fulfilment",
            "detail": {"root_cause": "Queue disk fills up"},
        })).await).await;
        assert_eq!(prb["detail"], json!({"root_cause": "Queue disk fills up", "workaround": null, "known_error": false}));
        let inc = created(d.agent.post("/api/v1/tickets", json!({"kind": "incident", "title": "My mail bounced", "group": "Fulfilment", "requester": d.requester_id})).await).await;
        let r = d.agent.post(&format!("/api/v1/tickets/{}/links", inc["id"]), json!({"type": "caused_by", "target": prb["number"]})).await;
        assert_eq!(r.status, 201, "{:?}", r.body);

        // Known error only with a workaround: the status's guard and the flag's rule.
        let p = prb["number"].as_str().expect("n");
        assert_eq!(move_to(&d.agent, p, "assessed").await.status, 200);
        assert_eq!(guard_names(&move_to(&d.agent, p, "known_error").await), ["workaround_recorded"]);
        let r = d.agent.patch(&format!("/api/v1/tickets/{p}"), json!({"detail": {"known_error": true}})).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["code"], "workaround_required", "{:?}", r.body);
        let r = d.agent.patch(&format!("/api/v1/tickets/{p}"), json!({"detail": {"nonsense": 1}})).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], "detail.nonsense");
        let r = d.agent.patch(&format!("/api/v1/tickets/{p}"), json!({"detail": {"workaround": "Purge the relay queue"}})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["detail"]["workaround"], "Purge the relay queue");
        assert_eq!(r.body["detail"]["root_cause"], "Queue disk fills up", "untouched fields stay");
        let r = move_to(&d.agent, p, "known_error").await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let read = d.agent.get(&format!("/api/v1/tickets/{p}")).await;
        assert_eq!(read.body["detail"]["known_error"], true, "entering known_error marks it");
        let history = d.agent.get(&format!("/api/v1/tickets/{p}/timeline")).await;
        assert!(history.body.to_string().contains("detail.workaround"), "detail changes are history: {:?}", history.body);

        // The workaround shows on the incident it causes, for agents.
        let incident = d.agent.get(&format!("/api/v1/tickets/{}", inc["id"])).await;
        assert_eq!(incident.body["workarounds"][0]["workaround"], "Purge the relay queue", "{:?}", incident.body);
        assert_eq!(incident.body["workarounds"][0]["problem_number"], prb["number"]);
        assert_eq!(incident.body["workarounds"][0]["known_error"], true);
        let as_requester = d.requester.get(&format!("/api/v1/tickets/{}", inc["id"])).await;
        assert!(as_requester.body.get("workarounds").is_none(), "{:?}", as_requester.body);
        // Requesters cannot write detail.
        let r = d.requester.patch(&format!("/api/v1/tickets/{}", inc["id"]), json!({"detail": {"workaround": "x"}})).await;
        assert_eq!(r.status, 403, "{:?}", r.body);
        let _ = &d.admin;
        d.server.stop().await;
    }
}
