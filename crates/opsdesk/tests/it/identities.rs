//! Users, organisations, groups and the audit log through the API.

use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

both_backends! {
    async fn admins_create_users_with_validation(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let r = admin.post("/api/v1/users", json!({"email": "not-an-email", "name": "", "role": "root", "time_zone": "Mars/Base"})).await;
        r.assert_problem(422, "validation_failed");
        let fields: Vec<&str> = r.body["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
        assert_eq!(fields, ["email", "name", "role", "time_zone"]);
        let before = server.app().db.users(0, 1000).await.expect("users").len();

        let created = admin.post("/api/v1/users", json!({"email": "Grace@Example.test", "name": "Grace Hopper", "role": "agent", "time_zone": "America/New_York", "locale": "en-US"})).await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        assert_eq!(created.body["email"], "grace@example.test");
        assert_eq!(created.body["time_zone"], "America/New_York");
        assert!(created.body.get("password_hash").is_none());
        let dup = admin.post("/api/v1/users", json!({"email": "grace@example.test", "name": "Again", "role": "agent"})).await;
        dup.assert_problem(422, "validation_failed");
        assert_eq!(dup.body["errors"][0]["code"], "taken");
        assert_eq!(server.app().db.users(0, 1000).await.expect("users").len(), before + 1, "only the valid user was written");
        server.stop().await;
    }

    async fn role_changes_are_audited_and_end_sessions(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (agent, _) = server.user("agent").await;
        let (browser, _) = Client::browser(&server.base, &agent.email, "a long enough password").await;
        assert_eq!(browser.get("/api/v1/me").await.status, 200);
        let r = admin.patch(&format!("/api/v1/users/{}", agent.id), json!({"role": "admin"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["role"], "admin");
        browser.get("/api/v1/me").await.assert_problem(401, "unauthenticated");
        let audit = admin.get("/api/v1/audit-log?action=user.role_changed").await;
        let e = &audit.body["items"][0];
        assert_eq!(e["subject_user_id"], agent.id);
        assert_eq!(e["detail"], json!({"from": "agent", "to": "admin"}));
        server.stop().await;
    }

    async fn organizations_and_groups_with_members(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (agent, _) = server.user("agent").await;
        let (requester, _) = server.user("requester").await;
        let org = admin.post("/api/v1/organizations", json!({"name": "Acme"})).await;
        assert_eq!(org.status, 201);
        admin.post("/api/v1/organizations", json!({"name": "Acme"})).await.assert_problem(422, "validation_failed");
        let org_id = org.body["id"].as_i64().expect("id");
        let moved = admin.patch(&format!("/api/v1/users/{}", requester.id), json!({"organization_id": org_id})).await;
        assert_eq!(moved.body["organization_id"], org_id);

        let g = admin.post("/api/v1/groups", json!({"name": "Service Desk", "description": "First line", "lead_user_id": agent.id})).await;
        assert_eq!(g.status, 201, "{:?}", g.body);
        let gid = g.body["id"].as_i64().expect("id");
        let put = |uid: i64| format!("/api/v1/groups/{gid}/members/{uid}");
        assert_eq!(admin.send(reqwest::Method::PUT, &put(agent.id), None).await.status, 204);
        assert_eq!(admin.send(reqwest::Method::PUT, &put(agent.id), None).await.status, 204, "adding twice is harmless");
        let r = admin.send(reqwest::Method::PUT, &put(requester.id), None).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["code"], "not_an_agent");
        admin.send(reqwest::Method::PUT, &format!("/api/v1/groups/999999/members/{}", agent.id), None).await.assert_problem(404, "not_found");
        let shown = admin.get(&format!("/api/v1/groups/{gid}")).await;
        assert_eq!(shown.body["members"].as_array().map(Vec::len), Some(1));
        assert_eq!(shown.body["members"][0]["user_id"], agent.id);
        let listed = admin.get("/api/v1/groups?limit=1").await;
        assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(listed.body["next"], gid.to_string());
        let audit = admin.get("/api/v1/audit-log?action=group.member_added").await;
        assert_eq!(audit.body["items"].as_array().map(Vec::len), Some(1), "the second add changed nothing");
        server.stop().await;
    }

    async fn commands_write_an_outbox_event_in_their_transaction(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let r = admin.post("/api/v1/users", json!({"email": "evt@example.test", "name": "Ev", "role": "requester"})).await;
        let id = r.body["id"].as_i64().expect("id");
        let events = server.app().db.events_of(&format!("user:{id}")).await.expect("events");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, "user.created");
        // A rejected command leaves no event behind.
        admin.post("/api/v1/users", json!({"email": "evt@example.test", "name": "Ev", "role": "requester"})).await.assert_problem(422, "validation_failed");
        assert_eq!(server.app().db.events_of(&format!("user:{id}")).await.expect("events").len(), 1);
        server.stop().await;
    }

    async fn the_audit_log_is_append_only(db: TestDb) {
        let server = db.start().await;
        server.user("admin").await;
        let handle = db.connect().await;
        let entries = handle.audit_entries(&opsdesk_store::audit::AuditFilter { limit: 10, ..Default::default() }).await.expect("entries");
        assert!(!entries.is_empty());
        let url = db.url.clone();
        // Even a direct SQL statement cannot change or remove an entry.
        let (update, delete) = match db.backend {
            opsdesk_store::Backend::Sqlite => {
                let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.expect("connect");
                let u = sqlx::query("UPDATE audit_log SET action = 'x'").execute(&mut c).await;
                let d = sqlx::query("DELETE FROM audit_log").execute(&mut c).await;
                (u.is_err(), d.is_err())
            }
            opsdesk_store::Backend::Postgres => {
                let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&url).await.expect("connect");
                let u = sqlx::query("UPDATE audit_log SET action = 'x'").execute(&mut c).await;
                let d = sqlx::query("DELETE FROM audit_log").execute(&mut c).await;
                (u.is_err(), d.is_err())
            }
        };
        assert!(update && delete, "audit rows refused change (update refused: {update}, delete refused: {delete})");
        server.stop().await;
    }
}
