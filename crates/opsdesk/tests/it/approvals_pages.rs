//! The Approvals page: what waits on the signed-in user (also as a delegate), deciding with a
//! comment through a CSRF-checked form, and titles shown as text.

use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

const PASSWORD: &str = "a long enough password";

both_backends! {
    async fn the_approvals_page_lists_and_decides_with_csrf(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (agent_user, agent) = server.user("agent").await;
        let (approver, _) = server.user("agent").await;
        let (deputy, _) = server.user("requester").await;
        let g = admin.post("/api/v1/groups", json!({"name": "Network"})).await.body["id"].as_i64().expect("group");
        let path = format!("/api/v1/groups/{g}/members/{}", agent_user.id);
        assert_eq!(admin.send(reqwest::Method::PUT, &path, None).await.status, 204);
        let t = agent.post("/api/v1/tickets", json!({"kind": "service_request", "title": "<script>x</script> chair", "group": "Network"})).await;
        let number = t.body["number"].as_str().expect("number").to_string();
        let stages = json!({"stages": [{"approvers": {"users": [approver.id]}, "rule": "any"}]});
        let a = agent.post(&format!("/api/v1/tickets/{number}/approvals"), stages).await;
        assert_eq!(a.status, 201, "{:?}", a.body);
        let id = a.body["id"].as_i64().expect("id");

        // The approver names a requester as delegate; the delegate's page shows it, escaped.
        let mine = session_with(&server, &approver.email, PASSWORD).await;
        let r = mine.send(reqwest::Method::PUT, "/api/v1/me/delegate", Some(json!({"user": deputy.email}))).await;
        assert_eq!(r.body["active"], true, "{:?}", r.body);
        let theirs = session_with(&server, &deputy.email, PASSWORD).await;
        let (status, html) = page(&theirs, "/approvals").await;
        assert_eq!(status, 200);
        assert!(html.contains(&format!("id=\"approval-{id}\"")), "{html}");
        assert!(html.contains(&esc("<script>x</script> chair")) && !html.contains("<script>x</script>"), "{html}");
        assert!(html.contains("on behalf of") && html.contains(&approver.name), "{html}");

        // Without the CSRF token nothing is decided; with it the decision is the deputy's.
        let decide = format!("/approvals/{id}/decide");
        let (status, _, _) = post_form(&theirs, &decide, &[("decision", "approve"), ("comment", "Fine")], false).await;
        assert_eq!(status, 403);
        assert_eq!(agent.get(&format!("/api/v1/approvals/{id}")).await.body["state"], "pending");
        let (status, url, html) = post_form(&theirs, &decide, &[("decision", "approve"), ("comment", "Fine")], true).await;
        assert_eq!((status, url.as_str()), (200, "/approvals"), "{html}");
        assert!(html.contains("id=\"approval-notice\"") && html.contains("id=\"nothing-waiting\""), "{html}");
        let now = agent.get(&format!("/api/v1/approvals/{id}")).await.body;
        assert_eq!(now["state"], "approved");
        assert_eq!(now["stages"][0]["decisions"][0]["via"], "web");
        assert_eq!(now["stages"][0]["decisions"][0]["on_behalf_of"], approver.id);
        // A second decision is refused in words.
        let (status, _, html) = post_form(&mine, &decide, &[("decision", "reject")], true).await;
        assert_eq!(status, 409, "{html}");
        assert!(html.contains("already decided"), "{html}");
        server.stop().await;
    }
}
