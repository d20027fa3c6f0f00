//! What a browser gets besides the pages themselves: an HTML 404 for an unknown address (an
//! API client gets problem+json), pages that are never stored, and an icon.

use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

const PASSWORD: &str = "a long enough password";

fn header<'a>(res: &'a reqwest::Response, name: &str) -> &'a str {
    res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

both_backends! {
    async fn unknown_addresses_answer_a_page_to_browsers_and_a_problem_to_clients(db: TestDb) {
        let server = db.start().await;
        let http = reqwest::Client::new();
        let html = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        let res = http.get(server.url("/agent/no-such-page")).header("accept", html).send().await.expect("get");
        assert_eq!(res.status(), 404);
        assert!(header(&res, "content-type").starts_with("text/html"), "{}", header(&res, "content-type"));
        assert_eq!(header(&res, "cache-control"), "no-store");
        assert!(header(&res, "content-security-policy").contains("default-src 'self'"), "the strict CSP stays");
        let body = res.text().await.expect("body");
        assert!(body.contains("<h1>Not Found</h1>") && body.contains("There is no page at this address."), "{body}");

        // An API client, or any client under /api/, gets the API's format.
        for (path, accept) in [("/agent/no-such-page", "application/json"), ("/no-such-page", "*/*"), ("/api/v1/nothing", html)] {
            let res = http.get(server.url(path)).header("accept", accept).send().await.expect("get");
            read(res).await.assert_problem(404, "no_route");
        }
        server.stop().await;
    }

    async fn pages_that_show_tickets_are_never_stored_and_the_icon_is_served(db: TestDb) {
        let server = db.start().await;
        let (admin_user, admin) = server.user("admin").await;
        let r = admin.post("/api/v1/tickets", json!({"kind": "incident", "title": "Private matter"})).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let browser = session_with(&server, &admin_user.email, PASSWORD).await;
        for path in ["/agent", "/agent/tickets/INC-1", "/portal", "/login"] {
            let res = browser.http.get(format!("{}{path}", browser.base)).send().await.expect("get");
            assert_eq!(res.status(), 200, "{path}");
            assert_eq!(header(&res, "cache-control"), "no-store", "{path}");
            let body = res.text().await.expect("body");
            assert!(body.contains("<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">"), "{path}");
        }
        for path in ["/favicon.ico", "/favicon.svg"] {
            let res = reqwest::get(server.url(path)).await.expect("icon");
            assert_eq!(res.status(), 200, "{path}");
            assert_eq!(header(&res, "content-type"), "image/svg+xml");
            assert!(header(&res, "cache-control").starts_with("public"), "assets keep their own caching");
            assert!(res.text().await.expect("svg").starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        }
        server.stop().await;
    }
}
