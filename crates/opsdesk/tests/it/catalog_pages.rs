//! The portal's catalog pages on both databases: browsing what the requester is offered, an
//! item's form drawn from its definition with its conditions as data for the page's script,
//! wrong answers shown next to their field, and an order landing on the request's page.

use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

const PASSWORD: &str = "a long enough password";

both_backends! {
    async fn a_requester_browses_and_orders_from_the_portal(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (requester, _) = server.user("requester").await;
        created(admin.post("/api/v1/catalog/categories", json!({"name": "Hardware"})).await);
        created(admin.post("/api/v1/groups", json!({"name": "Board"})).await);
        let form = json!([
            {"key": "model", "label": "Model", "type": "select", "required": true, "options": ["standard", "developer"]},
            {"key": "ram", "label": "Memory <GB>", "type": "number", "required": true, "min": 16,
             "show_if": {"field": "model", "equals": "developer"}},
            {"key": "extras", "label": "Extras", "type": "multiselect", "options": ["dock", "mouse"]},
            {"key": "accept", "label": "I accept", "type": "checkbox", "required": true},
        ]);
        let body = json!({"title": "Laptop <script>x</script>", "category": "Hardware", "form": form, "published": true});
        let id = created(admin.post("/api/v1/catalog/items", body).await)["id"].as_i64().expect("id");
        let draft = json!({"title": "Hidden draft", "form": []});
        created(admin.post("/api/v1/catalog/items", draft).await);

        let web = session_with(&server, &requester.email, PASSWORD).await;
        let (status, html) = page(&web, "/portal/catalog").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains(&esc("Laptop <script>x</script>")) && !html.contains("<script>x</script>"), "{html}");
        assert!(!html.contains("Hidden draft"), "drafts are not offered: {html}");
        assert!(html.contains(">Hardware</a>"), "{html}");
        let (_, html) = page(&web, "/portal/catalog?q=nothing-like-this").await;
        assert!(html.contains("Nothing in the catalog matches."), "{html}");
        let (status, html) = page(&web, "/portal/catalog?category=%27%3B--").await;
        assert_eq!(status, 200, "a hand-edited category shows them all: {html}");
        assert!(html.contains("/portal/catalog/"), "{html}");
        let hidden = created(admin.post("/api/v1/catalog/items",
            json!({"title": "Board only", "published": true, "audience": {"groups": ["Board"]}})).await);
        let (status, _) = page(&web, &format!("/portal/catalog/{}", hidden["id"])).await;
        assert_eq!(status, 404, "outside the audience");

        let path = format!("/portal/catalog/{id}");
        let (status, html) = page(&web, &path).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("data-show-field=\"model\" data-show-equals=\"&#34;developer&#34;\""), "{html}");
        assert!(html.contains(&esc("Memory <GB>")), "{html}");

        // The developer model without memory: the error is next to the memory field.
        let fields = [("a_model", "developer"), ("a_accept", "true"), ("a_extras", "dock"), ("a_extras", "mouse")];
        let (status, _, html) = post_form(&web, &path, &fields, true).await;
        assert_eq!(status, 422, "{html}");
        assert!(!field_error(&html, "error-ram").is_empty(), "{html}");
        assert!(html.contains("value=\"mouse\" checked"), "answers are kept: {html}");

        let fields = [("a_model", "developer"), ("a_ram", "32"), ("a_accept", "true"), ("a_extras", "dock")];
        let (status, url, html) = post_form(&web, &path, &fields, true).await;
        assert_eq!(status, 200, "{html}");
        assert!(url.starts_with("/portal/tickets/REQ-"), "{url}");
        let number = url.rsplit('/').next().expect("number");
        let req = ok(admin.get(&format!("/api/v1/catalog/requests/{number}")).await);
        assert_eq!(req["answers"], json!({"model": "developer", "ram": 32, "extras": ["dock"], "accept": true}));

        // Without the CSRF token nothing is ordered.
        let (status, _, _) = post_form(&web, &path, &fields, false).await;
        assert_eq!(status, 403);
    }
}
