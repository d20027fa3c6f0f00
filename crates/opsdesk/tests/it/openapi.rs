//! The OpenAPI document: served to anyone, as JSON, describing the API.

use crate::both_backends;

both_backends! {
    async fn openapi_document_is_public_json(db: TestDb) {
        let server = db.start().await;
        let r = server.anonymous().get("/api/v1/openapi.json").await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.content_type(), "application/json");
        assert_eq!(r.body["openapi"], "3.1.0", "{:?}", r.body);
        assert_eq!(r.body["info"]["title"], "Opsdesk API");
        let tickets = &r.body["paths"]["/api/v1/tickets"];
        assert!(tickets["get"].is_object() && tickets["post"].is_object(), "tickets are described: {tickets:?}");
        let mailbox = &r.body["paths"]["/api/v1/desks/{id}/mailbox"];
        for m in ["get", "put", "delete"] {
            assert!(mailbox[m].is_object(), "mailbox {m} is described: {mailbox:?}");
        }
        let view = &r.body["components"]["schemas"]["DeskMailbox"]["properties"];
        assert!(view["password_set"].is_object() && view.get("password").is_none(), "{view:?}");
        server.stop().await;
    }
}

both_backends! {
    async fn every_documented_operation_is_routed(db: TestDb) {
        let server = db.start().await;
        let doc = opsdesk_web::openapi_document();
        let http = reqwest::Client::new();
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().expect("paths") {
            // Path parameters get a value of the right shape; what it names need not exist.
            let concrete: String = path
                .split('/')
                .map(|seg| if seg.starts_with('{') { "1" } else { seg })
                .collect::<Vec<_>>()
                .join("/");
            for method in item.as_object().expect("item").keys() {
                let Ok(m) = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()) else { continue };
                if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&m.as_str()) {
                    continue;
                }
                let r = crate::helpers::read(http.request(m.clone(), server.url(&concrete)).send().await.expect("sent")).await;
                assert_ne!(r.status, 405, "{m} {path} is documented but the route has no such method");
                assert!(
                    !(r.status == 404 && r.body["code"] == "no_route"),
                    "{m} {path} is documented but not routed: {:?}",
                    r.body
                );
                checked += 1;
            }
        }
        assert!(checked > 70, "only {checked} operations checked");
        server.stop().await;
    }
}
