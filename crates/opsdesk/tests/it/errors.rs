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

    async fn uploads_methods_and_limits_answer_problems_too(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let r = admin.post("/api/v1/tickets", json!({"kind": "incident", "title": "Upload target"})).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let limits = json!({"auto_close_after_secs": 86400, "attachment_max_bytes": 4096});
        let r = admin.send(reqwest::Method::PUT, "/api/v1/settings/tickets", Some(limits)).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let r = admin.post("/api/v1/kb/articles", json!({"title": "Uploads", "summary": "s", "body": "b"})).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(r.body["id"], 1);
        let token = admin.token.clone().expect("token");
        let http = reqwest::Client::new();
        let upload = |path: &'static str, ct: &'static str, body: Vec<u8>| {
            http.post(server.url(path)).bearer_auth(&token).header("content-type", ct).body(body).send()
        };
        for path in ["/api/v1/tickets/INC-1/attachments", "/api/v1/kb/articles/1/attachments"] {
            // No boundary at all, then a boundary the body never uses.
            let r = read(upload(path, "multipart/form-data", b"--x\r\n".to_vec()).await.expect("sent")).await;
            r.assert_problem(400, "invalid_multipart");
            let r = read(upload(path, "multipart/form-data; boundary=\"", b"junk".to_vec()).await.expect("sent")).await;
            r.assert_problem(400, "invalid_multipart");
            let r = read(upload(path, "multipart/form-data; boundary=abc", b"not multipart at all".to_vec()).await.expect("sent")).await;
            r.assert_problem(400, "invalid_multipart");
            let r = read(upload(path, "text/plain", b"hello".to_vec()).await.expect("sent")).await;
            r.assert_problem(415, "unsupported_media_type");
            // Over the attachment limit set below.
            let mut big = b"--abc\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\n".to_vec();
            big.extend(std::iter::repeat_n(b'x', 5_000));
            big.extend(b"\r\n--abc--\r\n");
            let r = read(upload(path, "multipart/form-data; boundary=abc", big).await.expect("sent")).await;
            r.assert_problem(413, "file_too_large");
        }
        // A method the route does not have: problem+json, and the methods it has.
        let r = admin.send(reqwest::Method::PUT, "/api/v1/tickets", Some(json!({}))).await;
        r.assert_problem(405, "method_not_allowed");
        let allow = r.headers.get("allow").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
        // A path parameter, a query string and a body that do not parse.
        admin.get("/api/v1/kb/articles/not-a-number").await.assert_problem(404, "not_found");
        admin.get("/api/v1/tickets?limit=many").await.assert_problem(400, "invalid_query");
        let r = http.post(server.url("/api/v1/tickets")).bearer_auth(&token).header("content-type", "application/json").body("[").send().await.expect("sent");
        read(r).await.assert_problem(400, "malformed_json");
        assert!(server.app().db.ticket_by_number("INC-2").await.is_err(), "nothing was written");
        server.stop().await;
    }

    async fn stored_json_that_does_not_parse_is_an_error_not_a_default(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let limits = json!({"auto_close_after_secs": 60, "attachment_max_bytes": 4096});
        assert_eq!(admin.send(reqwest::Method::PUT, "/api/v1/settings/tickets", Some(limits)).await.status, 200);
        let r = admin.post("/api/v1/kb/articles", json!({"title": "VPN", "body": "Reconnect.", "tags": ["vpn"]})).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(admin.get("/api/v1/kb/articles/1").await.body["tags"], json!(["vpn"]));

        // Damaged by hand: the answers say something is wrong instead of showing defaults.
        crate::mailbox::sql(&db, "UPDATE settings SET value = '{\"auto_close' WHERE key = 'ticket_settings'").await;
        crate::mailbox::sql(&db, "UPDATE kb_versions SET tags = '[\"vpn' WHERE article_id = 1").await;
        for path in ["/api/v1/settings/tickets", "/api/v1/kb/articles/1"] {
            let r = admin.get(path).await;
            r.assert_problem(500, "internal");
            assert_no_internals(&r);
        }
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

/// Words of storage internals that no problem body may carry.
const INTERNALS: [&str; 8] =
    ["sqlx", "sql", "constraint", "pool", "relation", "no such table", "database error", "opsdesk_test_"];

fn assert_no_internals(r: &Reply) {
    let text = r.body.to_string().to_lowercase();
    for word in INTERNALS {
        assert!(!text.contains(word), "{word:?} leaked in {text}");
    }
}

/// Takes the server's database away under it: SQLite's pools are closed (an open file cannot
/// be taken away from a process otherwise); the PostgreSQL test database is dropped, which ends
/// the server's connections and makes every new one fail.
async fn take_database_away(db: &TestDb, server: &TestServer) {
    match db.backend {
        opsdesk_store::Backend::Sqlite => server.app().db.close().await,
        opsdesk_store::Backend::Postgres => {
            let admin = std::env::var("OPSDESK_TEST_POSTGRES_URL").expect("admin url");
            let name = db.url.rsplit('/').next().expect("database name");
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.expect("admin connection");
            sqlx::Executor::execute(&mut conn, format!("DROP DATABASE {name} WITH (FORCE)").as_str())
                .await
                .expect("drop the test database");
        }
    }
}

/// Runs one statement on the test database over a connection of its own.
async fn raw_sql(db: &TestDb, statement: &str) {
    use sqlx::{Connection, Executor};
    match db.backend {
        opsdesk_store::Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&db.url).await.expect("connect");
            c.execute(statement).await.expect(statement);
        }
        opsdesk_store::Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&db.url).await.expect("connect");
            c.execute(statement).await.expect(statement);
        }
    }
}

both_backends! {
    async fn a_database_that_is_down_answers_503_with_retry_after(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let group = admin.post("/api/v1/groups", json!({ "name": "Network" })).await;
        assert_eq!(group.status, 201, "{:?}", group.body);
        let ticket = admin.post("/api/v1/tickets", json!({ "kind": "incident", "title": "VPN drops" })).await;
        assert_eq!(ticket.status, 201, "{:?}", ticket.body);
        let (gid, tid) = (group.body["id"].clone(), ticket.body["id"].clone());

        take_database_away(&db, &server).await;
        let answers = [
            admin.post("/api/v1/tickets", json!({ "kind": "incident", "title": "Printer jam" })).await,
            admin.get(&format!("/api/v1/tickets/{tid}")).await,
            admin.post("/api/v1/tickets", json!({ "kind": "incident", "title": "Switch down", "group": gid })).await,
            admin.post("/api/v1/tickets", json!({ "kind": "incident", "title": "Switch down", "group": "Network" })).await,
        ];
        for r in &answers {
            r.assert_problem(503, "database_unavailable");
            let retry = r.headers.get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
            assert!(retry.is_some_and(|s| s > 0), "Retry-After in {:?}", r.headers);
            assert_no_internals(r);
        }
        assert_eq!(server.anonymous().get("/healthz").await.status, 200, "the process itself stays up");
        server.stop().await;
    }

    async fn a_failing_lookup_is_not_reported_as_bad_input(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let group = admin.post("/api/v1/groups", json!({ "name": "Network" })).await;
        let gid = group.body["id"].clone();
        // The groups table goes missing: reading a group fails for a reason that is not the
        // caller's input, which must not come back as "no such group".
        raw_sql(&db, "ALTER TABLE groups RENAME TO groups_gone").await;
        let r = admin.post("/api/v1/tickets", json!({ "kind": "incident", "title": "Switch down", "group": gid })).await;
        r.assert_problem(500, "internal");
        assert!(r.body.get("errors").is_none(), "{:?}", r.body);
        assert_no_internals(&r);
        server.stop().await;
    }
}
