//! The agent's ticket page tells its history in people's words: field labels, names instead
//! of ids, status labels, and always who did it.

use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

const PASSWORD: &str = "a long enough password";

both_backends! {
    async fn history_rows_name_people_groups_and_statuses(db: TestDb) {
        let server = db.start().await;
        let (admin_user, admin) = server.user("admin").await;
        let (agent_user, _) = server.user("agent").await;
        let g = admin.post("/api/v1/groups", json!({"name": "Network"})).await.body["id"].as_i64().expect("group");
        let r = admin.send(reqwest::Method::PUT, &format!("/api/v1/groups/{g}/members/{}", agent_user.id), None).await;
        assert_eq!(r.status, 204);
        let r = admin.post("/api/v1/tickets", json!({"kind": "incident", "title": "VPN drops"})).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let r = admin.patch("/api/v1/tickets/INC-1", json!({"group": g, "assignee": agent_user.id})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let r = admin.post("/api/v1/tickets/INC-1/transitions", json!({"to": "in_progress"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);

        let browser = session_with(&server, &admin_user.email, PASSWORD).await;
        let (status, html) = page(&browser, "/agent/tickets/INC-1").await;
        assert_eq!(status, 200);
        let start = html.find("<ul class=\"history\">").expect("history");
        let history = &html[start..start + html[start..].find("</ul>").expect("end")];
        let rows: Vec<&str> = history.split("<li>").skip(1).collect();
        let row = |label: &str| rows.iter().find(|r| r.contains(&format!("<strong>{label}</strong>"))).copied().unwrap_or_else(|| panic!("no {label} row: {history}"));
        assert!(row("Assignee").contains(&format!(": {}", agent_user.name)), "{}", row("Assignee"));
        assert!(row("Group").contains(": Network"), "{}", row("Group"));
        assert!(row("Status").contains("Assigned → In progress"), "{history}");
        for r in &rows {
            assert!(r.contains(&format!(" · {} · ", admin_user.name)), "the actor is shown: {r}");
        }
        for raw in ["assignee_id", "group_id", "in_progress", " ·  · "] {
            assert!(!history.contains(raw), "{raw} in {history}");
        }
        server.stop().await;
    }
}
