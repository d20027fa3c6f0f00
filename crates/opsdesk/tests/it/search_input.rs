//! What `q` accepts besides the query language proper: a ticket number on its own finds that
//! ticket, and characters no query can mean (NUL and other controls) are refused with the
//! column, on both databases, never a server error.

use crate::both_backends;
use serde_json::json;

both_backends! {
    async fn a_lone_ticket_number_in_q_finds_that_ticket(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        for title in ["VPN drops", "Printer jams", "Mail 2 is slow"] {
            let r = admin.post("/api/v1/tickets", json!({"kind": "incident", "title": title})).await;
            assert_eq!(r.status, 201, "{:?}", r.body);
        }
        for q in ["2", "INC-2", "inc-2", "%20INC-2%20"] {
            let r = admin.get(&format!("/api/v1/tickets?q={q}")).await;
            assert_eq!(r.status, 200, "{q}: {:?}", r.body);
            let numbers: Vec<&str> = r.body["items"].as_array().expect("items").iter().filter_map(|t| t["number"].as_str()).collect();
            assert_eq!(numbers, ["INC-2"], "{q}");
        }
        // Next to other words it is text again: "mail 2" finds the ticket that says so.
        let r = admin.get("/api/v1/tickets?q=mail%202").await;
        let numbers: Vec<&str> = r.body["items"].as_array().expect("items").iter().filter_map(|t| t["number"].as_str()).collect();
        assert_eq!(numbers, ["INC-3"]);
        assert_eq!(admin.get("/api/v1/tickets?q=REQ-2").await.body["items"], json!([]), "another kind's prefix");
        server.stop().await;
    }

    async fn control_characters_in_q_are_refused_with_their_column(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let r = admin.post("/api/v1/tickets", json!({"kind": "incident", "title": "VPN drops"})).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        for q in ["vpn%00", "%00", "vpn%20%22dr%00ops%22", "status:open%20vpn%01"] {
            let r = admin.get(&format!("/api/v1/tickets?q={q}")).await;
            r.assert_problem(400, "invalid_query");
            assert!(r.body["detail"].as_str().is_some_and(|d| d.contains("control characters")), "{q}: {:?}", r.body);
            assert_eq!(r.body["errors"][0]["field"], "q", "{q}");
            assert!(r.body["errors"][0]["message"].as_str().is_some_and(|m| m.contains("at column")), "{:?}", r.body);
        }
        // The knowledge search refuses them the same way.
        let r = admin.get("/api/v1/kb/search?q=vpn%00").await;
        r.assert_problem(400, "invalid_query");
        // Tabs and newlines are only spaces.
        let r = admin.get("/api/v1/tickets?q=vpn%09drops%0A").await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["items"][0]["number"], "INC-1");
        server.stop().await;
    }
}
