//! Forgotten passwords through HTTP on both databases: the same answer for any address, the
//! emailed link (read from the SMTP sink) used once, refused when used again, expired or
//! replaced, throttling, an admin's link, and the pages with their forms.

use crate::both_backends;
use crate::helpers::*;
use crate::mail_out::{delivered, server_with_sink};
use crate::smtp_sink::SmtpSink;
use opsdesk_store::users::User;
use serde_json::json;

const PASSWORD: &str = "a long enough password";
const NEW_PASSWORD: &str = "another long password";

/// The token of the link in the `n`th message to `user` (waits for it).
async fn emailed_token(sink: &SmtpSink, user: &User, n: usize) -> String {
    let got = delivered(sink, &user.email, n).await;
    let text = got[n - 1].parsed().text;
    let at = text.find("/password-reset/").expect("a link in the mail") + "/password-reset/".len();
    text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

async fn ask(c: &Client, email: &str) -> Reply {
    c.post("/api/v1/auth/password-reset", json!({ "email": email })).await
}

async fn confirm(c: &Client, token: &str, password: &str) -> Reply {
    c.post("/api/v1/auth/password-reset/confirm", json!({ "token": token, "password": password })).await
}

/// The value of the hidden `csrf` field of a page.
fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf field").to_string()
}

fn cookie_client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).build().expect("client")
}

both_backends! {
    async fn known_and_unknown_addresses_get_the_same_answer(db: TestDb) {
        let (server, sink) = server_with_sink(&db).await;
        let (user, _) = server.user("requester").await;
        let anon = server.anonymous();
        let known = ask(&anon, &user.email).await;
        let unknown = ask(&anon, "nobody-here@example.test").await;
        assert_eq!(known.status, 202, "{:?}", known.body);
        assert_eq!(unknown.status, 202, "{:?}", unknown.body);
        assert_eq!(known.body, unknown.body, "the same body");
        assert_eq!(known.content_type(), unknown.content_type());
        // Only the account's owner gets a message; the unknown address queued nothing.
        let token = emailed_token(&sink, &user, 1).await;
        assert!(token.starts_with("opr_"), "{token}");
        let (_, admin) = server.user("admin").await;
        let audit = admin.get("/api/v1/audit-log?action=password_reset.requested").await;
        let outcomes: Vec<&str> = audit.body["items"].as_array().expect("items").iter().filter_map(|e| e["detail"]["outcome"].as_str()).collect();
        assert_eq!(outcomes.len(), 2, "{:?}", audit.body);
        assert!(outcomes.contains(&"sent") && outcomes.contains(&"unknown_account"), "{outcomes:?}");
        assert!(sink.to("nobody-here@example.test").is_empty());
        // The token travels only in the delivered message, never in the job queue.
        let stored = server.app().db.jobs(None, None, 500).await.expect("jobs");
        assert!(stored.iter().all(|j| !j.payload.contains(&token)), "the token is in no job");
        server.stop().await;
    }

    async fn the_emailed_link_works_once_and_ends_other_sessions(db: TestDb) {
        let (server, sink) = server_with_sink(&db).await;
        let (user, _) = server.user("agent").await;
        let signed_in = session_with(&server, &user.email, PASSWORD).await;
        let anon = server.anonymous();
        assert_eq!(ask(&anon, &user.email).await.status, 202);
        let token = emailed_token(&sink, &user, 1).await;

        // The password rules apply, and a refused password leaves the link usable.
        let short = confirm(&anon, &token, "short").await;
        short.assert_problem(422, "validation_failed");
        assert_eq!(short.body["errors"][0]["field"], "password", "{:?}", short.body);

        assert_eq!(confirm(&anon, &token, NEW_PASSWORD).await.status, 204);
        signed_in.get("/api/v1/me").await.assert_problem(401, "unauthenticated");
        let (_, old) = Client::browser(&server.base, &user.email, PASSWORD).await;
        assert_eq!(old.status, 401, "the old password no longer works");
        session_with(&server, &user.email, NEW_PASSWORD).await;

        confirm(&anon, &token, "yet another long password").await.assert_problem(410, "reset_link_used");
        confirm(&anon, "opr_forged", NEW_PASSWORD).await.assert_problem(404, "not_found");
        let (status, _) = page(&anon, &format!("/password-reset/{token}")).await;
        assert_eq!(status, 410, "the page of a used link says so");
        server.stop().await;
    }

    async fn an_expired_or_replaced_link_is_refused(db: TestDb) {
        let (server, sink) = server_with_sink(&db).await;
        let (user, _) = server.user("requester").await;
        let anon = server.anonymous();
        assert_eq!(ask(&anon, &user.email).await.status, 202);
        let first = emailed_token(&sink, &user, 1).await;
        assert_eq!(ask(&anon, &user.email).await.status, 202);
        let second = emailed_token(&sink, &user, 2).await;
        assert_ne!(first, second);
        confirm(&anon, &first, NEW_PASSWORD).await.assert_problem(410, "reset_link_replaced");

        // An hour later (written into the database rather than waited for) the newest one is
        // refused too.
        let store = db.connect().await;
        let mut tx = store.begin().await.expect("tx");
        let past = opsdesk_store::Ts::from_micros(opsdesk_store::Ts::now().micros() - 1_000_000);
        assert_eq!(tx.set_password_reset_expiry(user.id, past).await.expect("expire"), 2);
        tx.commit().await.expect("commit");
        let (status, html) = page(&anon, &format!("/password-reset/{second}")).await;
        assert_eq!(status, 410);
        assert!(html.contains("expired"), "{html}");
        confirm(&anon, &second, NEW_PASSWORD).await.assert_problem(410, "reset_link_expired");
        session_with(&server, &user.email, PASSWORD).await;
        server.stop().await;
    }

    async fn requests_are_throttled_per_address(db: TestDb) {
        let server = db.start().await;
        let anon = server.anonymous();
        for i in 0..5 {
            assert_eq!(ask(&anon, "someone@example.test").await.status, 202, "request {}", i + 1);
        }
        let r = ask(&anon, "someone@example.test").await;
        r.assert_problem(429, "too_many_attempts");
        assert!(r.headers.get("retry-after").is_some(), "Retry-After");
        // Another address from the same client is not locked by this one.
        assert_eq!(ask(&anon, "someone-else@example.test").await.status, 202);
        ask(&anon, "not an address").await.assert_problem(422, "validation_failed");
        server.stop().await;
    }

    async fn an_admin_sends_a_link_but_not_to_a_deactivated_user(db: TestDb) {
        let (server, sink) = server_with_sink(&db).await;
        let (user, _) = server.user("requester").await;
        let (_, admin) = server.user("admin").await;
        let (_, agent) = server.user("agent").await;
        let path = format!("/api/v1/users/{}/password-reset", user.id);
        agent.post(&path, json!({})).await.assert_problem(403, "forbidden");
        admin.post("/api/v1/users/999999/password-reset", json!({})).await.assert_problem(404, "not_found");
        assert_eq!(admin.post(&path, json!({})).await.status, 202);
        let token = emailed_token(&sink, &user, 1).await;
        assert_eq!(confirm(&server.anonymous(), &token, NEW_PASSWORD).await.status, 204);
        session_with(&server, &user.email, NEW_PASSWORD).await;

        assert_eq!(admin.patch(&format!("/api/v1/users/{}", user.id), json!({"active": false})).await.status, 200);
        admin.post(&path, json!({})).await.assert_problem(409, "user_inactive");
        // A deactivated user asking for themselves gets the usual answer and no message.
        assert_eq!(ask(&server.anonymous(), &user.email).await.status, 202);
        let audit = admin.get(&format!("/api/v1/audit-log?action=password_reset.requested&user_id={}", user.id)).await;
        assert_eq!(audit.body["items"][0]["detail"]["outcome"], "inactive_account", "{:?}", audit.body);
        server.stop().await;
    }

    async fn the_pages_ask_for_the_address_and_the_new_password(db: TestDb) {
        let (server, sink) = server_with_sink(&db).await;
        let (user, _) = server.user("requester").await;
        let http = cookie_client();
        let login = http.get(server.url("/login")).send().await.expect("get").text().await.expect("html");
        assert!(login.contains("href=\"/password-reset\""), "the sign-in page links to it");

        let form = http.get(server.url("/password-reset")).send().await.expect("get").text().await.expect("html");
        let bad = http.post(server.url("/password-reset")).form(&[("email", "not-an-address"), ("csrf", &csrf_of(&form))]).send().await.expect("post");
        assert_eq!(bad.status(), 422);
        let html = bad.text().await.expect("html");
        assert!(field_error(&html, "err-email").contains("email address"), "{html}");
        assert!(html.contains("value=\"not-an-address\""), "what was typed is kept");
        let no_csrf = http.post(server.url("/password-reset")).form(&[("email", user.email.as_str()), ("csrf", "forged")]).send().await.expect("post");
        assert_eq!(no_csrf.status(), 403);
        // Each rendering of the form sets a fresh token: the refused page's own one works.
        let html = no_csrf.text().await.expect("html");

        let sent = http.post(server.url("/password-reset")).form(&[("email", user.email.as_str()), ("csrf", &csrf_of(&html))]).send().await.expect("post");
        assert_eq!(sent.url().path(), "/password-reset", "post, redirect, get");
        assert_eq!(sent.url().query(), Some("sent=1"));
        assert!(sent.text().await.expect("html").contains("is on its way"));

        let token = emailed_token(&sink, &user, 1).await;
        let link = format!("/password-reset/{token}");
        let form = http.get(server.url(&link)).send().await.expect("get").text().await.expect("html");
        let differ = http.post(server.url(&link)).form(&[("password", NEW_PASSWORD), ("password_again", "something else entirely"), ("csrf", &csrf_of(&form))]).send().await.expect("post");
        assert_eq!(differ.status(), 422);
        let html = differ.text().await.expect("html");
        assert!(field_error(&html, "err-password_again").contains("differ"), "{html}");
        let short = http.post(server.url(&link)).form(&[("password", "short"), ("password_again", "short"), ("csrf", &csrf_of(&html))]).send().await.expect("post");
        assert_eq!(short.status(), 422);
        let html = short.text().await.expect("html");
        assert!(!field_error(&html, "err-password").is_empty(), "{html}");
        let done = http.post(server.url(&link)).form(&[("password", NEW_PASSWORD), ("password_again", NEW_PASSWORD), ("csrf", &csrf_of(&html))]).send().await.expect("post");
        assert_eq!(done.url().path(), "/login");
        assert!(done.text().await.expect("html").contains("Your new password is set"));
        session_with(&server, &user.email, NEW_PASSWORD).await;
        server.stop().await;
    }
}
