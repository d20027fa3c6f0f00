//! Password sign-in through the API and the HTML form: throttling, audit, sessions.

use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

both_backends! {
    async fn ten_wrong_passwords_then_429_and_audited(db: TestDb) {
        let server = db.start().await;
        let (user, _) = server.user("agent").await;
        let anon = server.anonymous();
        for i in 0..10 {
            let r = anon.post("/api/v1/auth/login", json!({"email": user.email, "password": format!("wrong password {i}")})).await;
            r.assert_problem(401, "bad_credentials");
        }
        // The eleventh attempt is refused, even with the right password.
        let r = anon.post("/api/v1/auth/login", json!({"email": user.email, "password": "a long enough password"})).await;
        r.assert_problem(429, "too_many_attempts");
        let retry: u64 = r.headers.get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).expect("Retry-After");
        assert!(retry > 0 && retry <= 15 * 60, "retry after {retry}");

        let (_, admin) = server.user("admin").await;
        let failed = admin.get(&format!("/api/v1/audit-log?action=login.failed&user_id={}", user.id)).await;
        let items = failed.body["items"].as_array().expect("items");
        assert_eq!(items.len(), 10, "{:?}", failed.body);
        assert!(items.iter().all(|e| e["detail"]["reason"] == "wrong_password" && e["ip"] == "127.0.0.1"));
        let throttled = admin.get("/api/v1/audit-log?action=login.throttled").await;
        assert_eq!(throttled.body["items"].as_array().map(Vec::len), Some(1));
        server.stop().await;
    }

    async fn unknown_account_answers_like_a_wrong_password(db: TestDb) {
        let server = db.start().await;
        let (user, _) = server.user("agent").await;
        let anon = server.anonymous();
        let missing = anon.post("/api/v1/auth/login", json!({"email": "nobody@example.test", "password": "whatever it is"})).await;
        let wrong = anon.post("/api/v1/auth/login", json!({"email": user.email, "password": "whatever it is"})).await;
        missing.assert_problem(401, "bad_credentials");
        wrong.assert_problem(401, "bad_credentials");
        assert_eq!(missing.body["detail"], wrong.body["detail"]);
        server.stop().await;
    }

    async fn session_login_and_logout(db: TestDb) {
        let server = db.start().await;
        let (user, _) = server.user("requester").await;
        let (browser, r) = Client::browser(&server.base, &user.email.to_uppercase(), "a long enough password").await;
        assert_eq!(r.status, 200, "emails are case-insensitive: {:?}", r.body);
        let cookie = r.headers.get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("").to_lowercase();
        assert!(cookie.contains("httponly") && cookie.contains("samesite=lax"), "{cookie}");
        assert_eq!(browser.get("/api/v1/me").await.body["user"]["id"], user.id);
        assert_eq!(browser.send(reqwest::Method::POST, "/api/v1/auth/logout", None).await.status, 204);
        browser.get("/api/v1/me").await.assert_problem(401, "unauthenticated");
        server.stop().await;
    }

    async fn html_sign_in_form_uses_csrf_and_safe_redirects(db: TestDb) {
        let server = db.start().await;
        let (user, _) = server.user("agent").await;
        let http = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client");
        let page = http.get(server.url("/login?next=//evil.example/x")).send().await.expect("get");
        assert_eq!(page.status(), 200);
        assert!(page.headers()["content-security-policy"].to_str().unwrap_or("").contains("script-src 'self'"));
        let html = page.text().await.expect("html");
        let csrf = html.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf field").to_string();
        assert!(html.contains("name=\"next\" value=\"/\""), "an unsafe next is dropped");

        // Without the token (or with another) the form is refused.
        let bad = http.post(server.url("/login")).form(&[("email", user.email.as_str()), ("password", "a long enough password"), ("csrf", "x"), ("next", "/")]).send().await.expect("post");
        assert_eq!(bad.status(), 403);

        let page = http.get(server.url("/login")).send().await.expect("get").text().await.expect("html");
        let csrf2 = page.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf").to_string();
        assert_ne!(csrf, csrf2);
        let wrong = http.post(server.url("/login")).form(&[("email", user.email.as_str()), ("password", "nope nope nope"), ("csrf", &csrf2), ("next", "/")]).send().await.expect("post");
        assert_eq!(wrong.status(), 401);
        assert!(wrong.text().await.expect("html").contains("The email or the password is wrong."));

        let page = http.get(server.url("/login")).send().await.expect("get").text().await.expect("html");
        let csrf3 = page.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("csrf").to_string();
        let ok = http.post(server.url("/login")).form(&[("email", user.email.as_str()), ("password", "a long enough password"), ("csrf", &csrf3), ("next", "/\\evil.example")]).send().await.expect("post");
        assert_eq!(ok.status(), 303);
        assert_eq!(ok.headers()["location"], "/");
        let home = http.get(server.url("/")).send().await.expect("home").text().await.expect("html");
        assert!(home.contains(&user.email), "signed in");
        server.stop().await;
    }
}
