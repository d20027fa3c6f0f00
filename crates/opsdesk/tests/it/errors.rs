//! Bad input answers a clear problem+json and writes nothing.

use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

both_backends! {
    async fn malformed_bodies_and_paths_get_problems(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let token = admin.token.clone().expect("token");
        let http = reqwest::Client::new();
        let raw = |body: &'static str, ct: &'static str| {
            http.post(server.url("/api/v1/organizations")).bearer_auth(&token).header("content-type", ct).body(body).send()
        };
        read(raw("{\"name\": ", "application/json").await.expect("sent")).await.assert_problem(400, "malformed_json");
        read(raw("name=x", "application/x-www-form-urlencoded").await.expect("sent")).await.assert_problem(415, "unsupported_media_type");
        let unknown = read(raw("{\"name\": \"A\", \"is_admin\": true}", "application/json").await.expect("sent")).await;
        unknown.assert_problem(422, "invalid_body");
        assert_eq!(unknown.body["errors"][0]["field"], "is_admin");
        let wrong_type = read(raw("{\"name\": 5}", "application/json").await.expect("sent")).await;
        wrong_type.assert_problem(422, "invalid_body");
        assert_eq!(wrong_type.body["errors"][0]["field"], "name");
        let big = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
        let r = http.post(server.url("/api/v1/organizations")).bearer_auth(&token).header("content-type", "application/json").body(big).send().await.expect("sent");
        read(r).await.assert_problem(413, "body_too_large");
        let nul = read(raw("{\"name\": \"a\\u0000b\"}", "application/json").await.expect("sent")).await;
        nul.assert_problem(422, "validation_failed");
        assert!(server.app().db.organizations(0, 10).await.expect("orgs").is_empty(), "nothing was written");

        admin.get("/api/v1/users/not-a-number").await.assert_problem(404, "not_found");
        admin.get("/api/v1/users/99999999").await.assert_problem(404, "not_found");
        admin.get("/api/v1/nothing-here").await.assert_problem(404, "no_route");
        admin.get("/api/v1/users?limit=abc").await.assert_problem(400, "invalid_query");
        admin.get("/api/v1/users?after=zzz").await.assert_problem(400, "invalid_cursor");
        admin.get("/api/v1/jobs?state=lost").await.assert_problem(422, "validation_failed");
        let sql = admin.get("/api/v1/audit-log?action=%27%3B%20DROP%20TABLE%20users%3B--").await;
        assert_eq!(sql.status, 200);
        assert_eq!(sql.body["items"], json!([]));
        server.stop().await;
    }

    async fn every_response_carries_a_request_id(db: TestDb) {
        let server = db.start().await;
        let r = server.anonymous().get("/api/v1/me").await;
        let id = r.headers.get("x-request-id").and_then(|v| v.to_str().ok()).expect("request id");
        assert_eq!(id.len(), 36);
        let echoed = reqwest::Client::new().get(server.url("/healthz")).header("x-request-id", "abc-123").send().await.expect("sent");
        assert_eq!(echoed.headers()["x-request-id"], "abc-123", "a caller's request id is kept");
        server.stop().await;
    }

    async fn health_readiness_and_metrics(db: TestDb) {
        let server = db.start().await;
        let anon = server.anonymous();
        assert_eq!(anon.get("/healthz").await.status, 200);
        let ready = anon.get("/readyz").await;
        assert_eq!(ready.status, 200);
        assert_eq!(ready.body["database"], db.backend.name());
        let text = reqwest::get(server.url("/metrics")).await.expect("metrics").text().await.expect("text");
        assert!(text.contains("opsdesk_http_requests_total"), "{text}");
        assert!(text.contains("route=\"/readyz\""), "{text}");
        // Closing the database makes the server unready, not dead.
        server.app().db.close().await;
        assert_eq!(anon.get("/readyz").await.status, 503);
        assert_eq!(anon.get("/healthz").await.status, 200);
        server.stop().await;
    }
}
