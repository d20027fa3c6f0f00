//! No ticket lost from sight: a ticket without a group (a desk with no default group, as on a
//! fresh install) is every agent's to see and work, and the console's "Unassigned" queue
//! lists it.

use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

const PASSWORD: &str = "a long enough password";

both_backends! {
    async fn every_agent_sees_tickets_without_a_group_in_the_unassigned_queue(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (_, requester) = server.user("requester").await;
        let (member_user, member) = server.user("agent").await;
        let (loner_user, loner) = server.user("agent").await;
        let g = admin.post("/api/v1/groups", json!({"name": "Network"})).await.body["id"].as_i64().expect("group");
        let r = admin.send(reqwest::Method::PUT, &format!("/api/v1/groups/{g}/members/{}", member_user.id), None).await;
        assert_eq!(r.status, 204);
        let other = admin.post("/api/v1/groups", json!({"name": "Facilities"})).await.body["id"].as_i64().expect("group");

        // A requester's ticket on a desk with no default group, and one owned by another group.
        let t = requester.post("/api/v1/tickets", json!({"kind": "incident", "title": "Nobody owns me"})).await;
        assert_eq!(t.status, 201, "{:?}", t.body);
        assert!(t.body["group_id"].is_null(), "{:?}", t.body);
        let owned = admin.post("/api/v1/tickets", json!({"kind": "incident", "title": "Facilities only", "group": other})).await;
        assert_eq!(owned.status, 201, "{:?}", owned.body);

        for agent in [&member, &loner] {
            assert_eq!(agent.get("/api/v1/tickets/INC-1").await.status, 200);
            let list = agent.get("/api/v1/tickets?q=-has:group").await;
            let numbers: Vec<&str> = list.body["items"].as_array().expect("items").iter().filter_map(|t| t["number"].as_str()).collect();
            assert_eq!(numbers, ["INC-1"]);
            agent.get("/api/v1/tickets/INC-2").await.assert_problem(404, "not_found");
            // Working it too: take it into a group of one's own, or take it on.
            let r = agent.patch("/api/v1/tickets/INC-1", json!({"title": "Nobody owns me (triaged)"})).await;
            assert_eq!(r.status, 200, "{:?}", r.body);
        }
        assert_eq!(requester.get("/api/v1/tickets/INC-2").await.status, 404, "requesters see their own only");

        // The console's triage queue counts and links it.
        let (_, html) = page(&session_with(&server, &loner_user.email, PASSWORD).await, "/agent").await;
        let queues = &html[html.find("aria-label=\"Queues\"").expect("queues")..];
        let queues = &queues[..queues.find("</aside>").expect("end")];
        let item = queues
            .split("<li")
            .find(|li| li.contains(">Unassigned</a>"))
            .unwrap_or_else(|| panic!("an Unassigned queue: {queues}"));
        assert!(item.contains("href=\"/agent?q=-has%3Agroup+status%3Aopen\""), "{item}");
        assert!(item.contains("<span class=\"count\">1</span>"), "one ticket in it: {item}");
        server.stop().await;
    }
}
