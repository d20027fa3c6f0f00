//! Admin completeness through HTTP on both databases: editing a user (and the email clash),
//! renaming groups, naming a lead among the members, deleting a group only when nothing uses
//! it (with the reasons in words), and the confirmation before deactivating or deleting.

use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

const PASSWORD: &str = "a long enough password";

/// A cookie-session client of a new admin, for the admin pages.
async fn admin_pages(server: &TestServer) -> Client {
    let (admin, _) = server.user("admin").await;
    session_with(server, &admin.email, PASSWORD).await
}

both_backends! {
    async fn an_admin_edits_a_user_and_a_taken_email_is_refused(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (user, own) = server.user("requester").await;
        let (other, _) = server.user("requester").await;
        let org = created(admin.post("/api/v1/organizations", json!({"name": "Acme"})).await)["id"].as_i64().expect("org");
        let path = format!("/api/v1/users/{}", user.id);
        let changed = ok(admin.patch(&path, json!({"name": "Renée Roe", "email": "Renee.Roe@Example.test", "organization_id": org, "role": "agent"})).await);
        assert_eq!(changed["name"], "Renée Roe");
        assert_eq!(changed["email"], "renee.roe@example.test", "addresses are stored lower-case");
        assert_eq!(changed["organization_id"], org);
        assert_eq!(changed["role"], "agent");
        session_with(&server, "renee.roe@example.test", PASSWORD).await;

        let clash = admin.patch(&path, json!({"email": other.email})).await;
        clash.assert_problem(422, "validation_failed");
        assert_eq!(clash.body["errors"][0]["field"], "email", "{:?}", clash.body);
        assert_eq!(clash.body["errors"][0]["code"], "taken", "{:?}", clash.body);
        own.patch(&path, json!({"email": "mine@example.test"})).await.assert_problem(403, "forbidden");
        assert_eq!(ok(admin.get(&path).await)["email"], "renee.roe@example.test", "nothing changed");

        // The page's form keeps what was typed and shows the error at the field.
        let browser = admin_pages(&server).await;
        let form = format!("/admin/users/{}/profile", user.id);
        let (status, _, html) = post_form(&browser, &form, &[("name", "Typed Name"), ("email", &other.email), ("role", "agent"), ("organization_id", "")], true).await;
        assert_eq!(status, 422);
        assert!(field_error(&html, "err-email").contains("already taken"), "{html}");
        assert!(html.contains("value=\"Typed Name\""), "{html}");
        let (status, url, html) = post_form(&browser, &form, &[("name", "Page Name"), ("email", "page@example.test"), ("role", "requester"), ("organization_id", &org.to_string())], true).await;
        assert_eq!((status, url.as_str()), (200, format!("/admin/users/{}", user.id).as_str()), "post, redirect, get");
        assert!(html.contains("Saved."), "{html}");
        let now = ok(admin.get(&path).await);
        assert_eq!((now["name"].as_str(), now["email"].as_str(), now["role"].as_str()), (Some("Page Name"), Some("page@example.test"), Some("requester")));
        let (status, _, _) = post_form(&browser, &form, &[("name", "No Token"), ("email", "x@example.test"), ("role", "agent")], false).await;
        assert_eq!(status, 403, "the form needs its CSRF token");
        server.stop().await;
    }

    async fn groups_are_renamed_led_by_a_member_and_deleted_only_when_unused(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (agent, _) = server.user("agent").await;
        let (outsider, _) = server.user("agent").await;
        let id = created(admin.post("/api/v1/groups", json!({"name": "Netwrk"})).await)["id"].as_i64().expect("group");
        created(admin.post("/api/v1/groups", json!({"name": "Storage"})).await);
        let path = format!("/api/v1/groups/{id}");
        assert_eq!(ok(admin.patch(&path, json!({"name": "Network", "description": "Routers and VPN"})).await)["name"], "Network");
        let taken = admin.patch(&path, json!({"name": "Storage"})).await;
        taken.assert_problem(422, "validation_failed");
        assert_eq!(taken.body["errors"][0]["code"], "taken");

        let member = format!("/api/v1/groups/{id}/members/{}", agent.id);
        assert_eq!(admin.send(reqwest::Method::PUT, &member, None).await.status, 204);
        let not_member = admin.patch(&path, json!({"lead_user_id": outsider.id})).await;
        not_member.assert_problem(422, "validation_failed");
        assert_eq!(not_member.body["errors"][0]["code"], "not_a_member", "{:?}", not_member.body);
        assert_eq!(ok(admin.patch(&path, json!({"lead_user_id": agent.id})).await)["lead_user_id"], agent.id);

        // In use: a member and a ticket; the reasons are words.
        created(admin.post("/api/v1/tickets", json!({"kind": "incident", "title": "VPN down", "group": "Network"})).await);
        let refused = admin.send(reqwest::Method::DELETE, &path, None).await;
        refused.assert_problem(409, "group_in_use");
        let detail = refused.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("1 member") && detail.contains("1 ticket is assigned to it"), "{detail}");

        // A member who leaves stops leading.
        assert_eq!(admin.send(reqwest::Method::DELETE, &member, None).await.status, 204);
        assert_eq!(ok(admin.get(&path).await)["group"]["lead_user_id"], serde_json::Value::Null);
        let still = admin.send(reqwest::Method::DELETE, &path, None).await;
        still.assert_problem(409, "group_in_use");
        assert!(!still.body["detail"].as_str().unwrap_or_default().contains("member"), "{:?}", still.body);

        // A group named by an SLA policy's escalation is in use too.
        let unused = created(admin.post("/api/v1/groups", json!({"name": "Spare"})).await)["id"].as_i64().expect("group");
        let policy = json!({"name": "Gold", "targets": {"first_response": "1h", "resolution": "8h"}, "escalations": [{"when": "breach", "target": "first_response", "action": "notify_group_lead", "group_id": unused}]});
        let p = created(admin.post("/api/v1/sla/policies", policy).await)["id"].as_i64().expect("policy");
        let named = admin.send(reqwest::Method::DELETE, &format!("/api/v1/groups/{unused}"), None).await;
        named.assert_problem(409, "group_in_use");
        assert!(named.body["detail"].as_str().unwrap_or_default().contains("SLA policy \u{201c}Gold\u{201d}"), "{:?}", named.body);
        assert_eq!(admin.send(reqwest::Method::DELETE, &format!("/api/v1/sla/policies/{p}"), None).await.status, 204);
        assert_eq!(admin.send(reqwest::Method::DELETE, &format!("/api/v1/groups/{unused}"), None).await.status, 204);
        admin.get(&format!("/api/v1/groups/{unused}")).await.assert_problem(404, "not_found");
        let (_, agent_client) = server.user("agent").await;
        agent_client.send(reqwest::Method::DELETE, &path, None).await.assert_problem(403, "forbidden");
        server.stop().await;
    }

    async fn deactivating_and_deleting_need_a_confirmation(db: TestDb) {
        let server = db.start().await;
        let browser = admin_pages(&server).await;
        let (user, _) = server.user("agent").await;
        let access = format!("/admin/users/{}", user.id);

        // Without the confirmation, the browser lands on the confirmation page; nothing changed.
        let (status, url, html) = post_form(&browser, &access, &[("active", "false")], true).await;
        assert_eq!((status, url.as_str()), (200, format!("/admin/users/{}/deactivate", user.id).as_str()));
        assert!(html.contains("name=\"confirm\" value=\"yes\""), "{html}");
        assert!(server.app().db.user(user.id).await.expect("user").active);
        let (status, _, _) = post_form(&browser, &access, &[("active", "false"), ("confirm", "yes"), ("back", "user")], true).await;
        assert_eq!(status, 200);
        assert!(!server.app().db.user(user.id).await.expect("user").active, "confirmed, deactivated");

        // A group: the confirmation page first; one in use shows why and offers no button.
        let (_, admin) = server.user("admin").await;
        let id = created(admin.post("/api/v1/groups", json!({"name": "Old team"})).await)["id"].as_i64().expect("group");
        let delete = format!("/admin/groups/{id}/delete");
        let (status, url, _) = post_form(&browser, &delete, &[], true).await;
        assert_eq!((status, url.as_str()), (200, delete.as_str()));
        assert!(server.app().db.group(id).await.is_ok(), "not deleted without confirmation");
        let (lead, _) = server.user("agent").await;
        let member = format!("/api/v1/groups/{id}/members/{}", lead.id);
        assert_eq!(admin.send(reqwest::Method::PUT, &member, None).await.status, 204);
        let (status, html) = page(&browser, &delete).await;
        assert_eq!(status, 200);
        assert!(html.contains("id=\"in-use\"") && html.contains("1 member"), "{html}");
        assert!(!html.contains("name=\"confirm\""), "no way to delete a group in use");
        let (status, _, html) = post_form(&browser, &delete, &[("confirm", "yes")], true).await;
        assert_eq!(status, 409);
        assert!(html.contains("1 member"), "{html}");
        assert_eq!(admin.send(reqwest::Method::DELETE, &member, None).await.status, 204);
        let (status, url, html) = post_form(&browser, &delete, &[("confirm", "yes")], true).await;
        assert_eq!((status, url.as_str()), (200, "/admin/groups"));
        assert!(html.contains("Deleted."), "{html}");
        assert!(server.app().db.group(id).await.is_err(), "deleted");
        server.stop().await;
    }
}
