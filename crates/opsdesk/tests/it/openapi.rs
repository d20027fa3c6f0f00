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
