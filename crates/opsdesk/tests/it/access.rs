//! Who may do what: tokens, sessions, roles, CSRF, and losing access at once.

use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

both_backends! {
    async fn me_answers_the_token_holder(db: TestDb) {
        let server = db.start().await;
        let (user, client) = server.user("agent").await;
        let r = client.get("/api/v1/me").await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["user"]["id"], user.id);
        assert_eq!(r.body["user"]["email"], user.email.as_str());
        assert_eq!(r.body["user"]["role"], "agent");
        server.stop().await;
    }

    async fn no_or_bad_credentials_get_401_problem(db: TestDb) {
        let server = db.start().await;
        server.anonymous().get("/api/v1/me").await.assert_problem(401, "unauthenticated");
        let mut forged = server.anonymous();
        forged.token = Some("odk_0000000000000000000000000000000000000000000000000000000000000000".into());
        forged.get("/api/v1/me").await.assert_problem(401, "unauthenticated");
        server.stop().await;
    }

    async fn agents_get_403_from_admin_endpoints(db: TestDb) {
        let server = db.start().await;
        let (_, agent) = server.user("agent").await;
        agent.get("/api/v1/audit-log").await.assert_problem(403, "forbidden");
        agent.get("/api/v1/jobs").await.assert_problem(403, "forbidden");
        agent
            .post("/api/v1/users", json!({"email": "x@example.test", "name": "X", "role": "admin"}))
            .await
            .assert_problem(403, "forbidden");
        agent.post("/api/v1/groups", json!({"name": "Rogue"})).await.assert_problem(403, "forbidden");
        let (_, admin) = server.user("admin").await;
        assert_eq!(admin.get("/api/v1/audit-log").await.status, 200);
        server.stop().await;
    }

    async fn requesters_see_only_themselves(db: TestDb) {
        let server = db.start().await;
        let (me, requester) = server.user("requester").await;
        let (other, _) = server.user("requester").await;
        requester.get("/api/v1/users").await.assert_problem(403, "forbidden");
        requester.get(&format!("/api/v1/users/{}", other.id)).await.assert_problem(404, "not_found");
        assert_eq!(requester.get(&format!("/api/v1/users/{}", me.id)).await.status, 200);
        requester.get(&format!("/api/v1/users/{}/tokens", other.id)).await.assert_problem(404, "not_found");
        // Trying to promote oneself is refused, and changes nothing.
        let r = requester.patch(&format!("/api/v1/users/{}", me.id), json!({"role": "admin"})).await;
        r.assert_problem(403, "forbidden");
        assert_eq!(requester.get("/api/v1/me").await.body["user"]["role"], "requester");
        server.stop().await;
    }

    async fn revoked_tokens_stop_working(db: TestDb) {
        let server = db.start().await;
        let (_, client) = server.user("agent").await;
        let issued = client.post("/api/v1/me/tokens", json!({"name": "laptop"})).await;
        assert_eq!(issued.status, 201, "{:?}", issued.body);
        let secret = issued.body["secret"].as_str().expect("secret shown once").to_string();
        let id = issued.body["token"]["id"].as_i64().expect("id");
        let mut second = server.anonymous();
        second.token = Some(secret);
        assert_eq!(second.get("/api/v1/me").await.status, 200);
        let listed = client.get("/api/v1/me/tokens").await;
        assert!(listed.body.to_string().contains("laptop"));
        assert!(!listed.body.to_string().contains(second.token.as_deref().unwrap_or("?")), "secrets are never listed");
        let r = client.send(reqwest::Method::DELETE, &format!("/api/v1/tokens/{id}"), None).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        second.get("/api/v1/me").await.assert_problem(401, "unauthenticated");
        let (_, admin) = server.user("admin").await;
        let audit = admin.get("/api/v1/audit-log?action=token.revoked").await;
        assert_eq!(audit.body["items"][0]["detail"]["token_id"], id);
        server.stop().await;
    }

    async fn deactivated_users_lose_sessions_and_tokens_at_once(db: TestDb) {
        let server = db.start().await;
        let (user, token_client) = server.user("agent").await;
        let (browser, login) = Client::browser(&server.base, &user.email, "a long enough password").await;
        assert_eq!(login.status, 200, "{:?}", login.body);
        assert_eq!(browser.get("/api/v1/me").await.status, 200);
        let (_, admin) = server.user("admin").await;
        let r = admin.patch(&format!("/api/v1/users/{}", user.id), json!({"active": false})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        browser.get("/api/v1/me").await.assert_problem(401, "unauthenticated");
        token_client.get("/api/v1/me").await.assert_problem(401, "unauthenticated");
        let audit = admin.get(&format!("/api/v1/audit-log?user_id={}&action=user.deactivated", user.id)).await;
        assert_eq!(audit.body["items"].as_array().map(Vec::len), Some(1));
        server.stop().await;
    }

    async fn cookie_writes_need_the_csrf_token_and_same_origin(db: TestDb) {
        let server = db.start().await;
        let (admin, _) = server.user("admin").await;
        let (mut browser, _) = Client::browser(&server.base, &admin.email, "a long enough password").await;
        let csrf = browser.csrf.take().expect("login returns the CSRF token");
        let body = json!({"name": "Finance"});
        browser.post("/api/v1/organizations", body.clone()).await.assert_problem(403, "csrf_failed");
        browser.csrf = Some("not-the-token".into());
        browser.post("/api/v1/organizations", body.clone()).await.assert_problem(403, "csrf_failed");
        browser.csrf = Some(csrf.clone());
        let foreign = browser
            .http
            .post(server.url("/api/v1/organizations"))
            .header("x-csrf-token", &csrf)
            .header("origin", "https://evil.example")
            .json(&body)
            .send()
            .await
            .expect("sent");
        read(foreign).await.assert_problem(403, "foreign_origin");
        let orgs = server.app().db.organizations(0, 100).await.expect("list");
        assert!(orgs.is_empty(), "nothing was written by refused requests");
        assert_eq!(browser.post("/api/v1/organizations", body).await.status, 201);
        server.stop().await;
    }

    async fn removed_members_lose_the_group_at_once(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (agent, agent_client) = server.user("agent").await;
        let g = admin.post("/api/v1/groups", json!({"name": "Network"})).await;
        let gid = g.body["id"].as_i64().expect("group id");
        let path = format!("/api/v1/groups/{gid}/members/{}", agent.id);
        assert_eq!(admin.send(reqwest::Method::PUT, &path, None).await.status, 204);
        assert_eq!(agent_client.get("/api/v1/me").await.body["group_ids"], json!([gid]));
        // A second group: the token's memberships are read afresh, in ascending order.
        let g2 = admin.post("/api/v1/groups", json!({"name": "Storage"})).await.body["id"].as_i64().expect("group id");
        let path2 = format!("/api/v1/groups/{g2}/members/{}", agent.id);
        assert_eq!(admin.send(reqwest::Method::PUT, &path2, None).await.status, 204);
        assert_eq!(agent_client.get("/api/v1/me").await.body["group_ids"], json!([gid, g2]));
        assert_eq!(admin.send(reqwest::Method::DELETE, &path, None).await.status, 204);
        assert_eq!(agent_client.get("/api/v1/me").await.body["group_ids"], json!([g2]));
        assert_eq!(admin.send(reqwest::Method::DELETE, &path2, None).await.status, 204);
        assert_eq!(agent_client.get("/api/v1/me").await.body["group_ids"], json!([]));
        server.stop().await;
    }
}
