//! The process parts of the agent console over HTTP with a cookie session, on both databases:
//! logging a problem, linking incidents to it, recording its workaround (shown on the
//! incidents), tasks added and ordered on the ticket page, guard refusals shown in words.

use crate::both_backends;
use crate::helpers::*;
use serde_json::json;

const PASSWORD: &str = "a long enough password";

both_backends! {
    async fn agents_log_problems_and_work_tasks_from_the_console(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (agent_user, agent_api) = server.user("agent").await;
        let group = admin.post("/api/v1/groups", json!({"name": "Messaging"})).await.body["id"].as_i64().expect("g");
        let r = admin.send(reqwest::Method::PUT, &format!("/api/v1/groups/{group}/members/{}", agent_user.id), None).await;
        assert_eq!(r.status, 204);
        let agent = session_with(&server, &agent_user.email, PASSWORD).await;
        let inc = agent_api.post("/api/v1/tickets", json!({"kind": "incident", "title": "Mail bounced", "group": group})).await.body;
        let inc_num = inc["number"].as_str().expect("n").to_string();

        // Log a problem from the console's form.
        let (status, _, html) = post_form(&agent, "/agent/new", &[("kind", "problem"), ("title", "<b>Relay</b> drops mail"), ("impact", "2"), ("urgency", "2"), ("group", &group.to_string())], true).await;
        assert_eq!(status, 200, "{html}");
        let prb = agent_api.get("/api/v1/tickets?q=kind:problem").await.body["items"][0].clone();
        let prb_num = prb["number"].as_str().expect("problem").to_string();
        assert!(html.contains(&esc("<b>Relay</b> drops mail")), "the new problem's page, escaped");
        assert!(html.contains("Problem record") && html.contains("name=\"detail.workaround\""), "{html}");
        let (_, _, refused) = post_form(&agent, "/agent/new", &[("kind", "problem"), ("title", "")], true).await;
        assert!(refused.contains("id=\"page-error\""), "an empty title is refused on the form");
        let (status, _, _) = post_form(&agent, "/agent/new", &[("kind", "incident"), ("title", "x")], false).await;
        assert_eq!(status, 403, "CSRF-checked");

        // Link the incident to it from the problem's page, then record the workaround.
        let (_, _, html) = post_form(&agent, &format!("/agent/tickets/{prb_num}/links"), &[("type", "cause_of"), ("target", &inc_num)], true).await;
        assert!(html.contains("Linked."), "{html}");
        let version = agent_api.get(&format!("/api/v1/tickets/{prb_num}")).await.body["version"].to_string();
        let (_, _, html) = post_form(&agent, &format!("/agent/tickets/{prb_num}/detail"), &[("version", &version), ("detail.workaround", "Purge the <queue>"), ("detail.known_error", "on")], true).await;
        assert!(html.contains("Saved."), "{html}");
        let (status, inc_page) = page(&agent, &format!("/agent/tickets/{inc_num}")).await;
        assert_eq!(status, 200);
        assert!(inc_page.contains("Known errors") && inc_page.contains(&esc("Purge the <queue>")), "the workaround shows on the incident");

        // Tasks from the incident's page: two, the second waiting for the first.
        let (_, _, html) = post_form(&agent, &format!("/agent/tickets/{inc_num}/tasks"), &[("title", "Check the relay")], true).await;
        assert!(html.contains("Task TSK-1 added."), "{html}");
        let first_id = agent_api.get("/api/v1/tickets/TSK-1").await.body["id"].to_string();
        let (_, _, html) = post_form(&agent, &format!("/agent/tickets/{inc_num}/tasks"), &[("title", "Tell the users"), ("after", &first_id)], true).await;
        assert!(html.contains("Task TSK-2 added.") && html.contains("<td>TSK-1</td>"), "the order shows: {html}");
        let (_, task_page) = page(&agent, "/agent/tickets/TSK-2").await;
        assert!(task_page.contains("id=\"task-parent\"") && task_page.contains(&inc_num) && task_page.contains("waits for TSK-1"), "{task_page}");
        assert!(!task_page.contains("id=\"add-task\""), "tasks have no tasks");
        let (_, _, html) = post_form(&agent, "/agent/tickets/TSK-2/transitions", &[("to", "done")], true).await;
        assert!(html.contains("waits for TSK-1"), "a guard refusal is shown in words: {html}");
        let (_, _, html) = post_form(&agent, &format!("/agent/tickets/{inc_num}/transitions"), &[("to", "resolved")], true).await;
        assert!(html.contains("finish or cancel the open tasks first"), "{html}");
        server.stop().await;
    }
}
