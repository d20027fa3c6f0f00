//! A service request from approval to fulfilment in a real browser (SQLite only, as the other
//! browser tests): an agent sends it for approval on the ticket page, the approver decides
//! through the link taken from the SMTP sink, the request moves to fulfilling, two ordered tasks
//! are done, and the agent fulfils the request.

use crate::browser::{click_then, css, fill, page_text, sign_in, text_of, Driver};
use crate::helpers::*;
use crate::mail::set_desk_address;
use crate::smtp_sink::SmtpSink;
use opsdesk::server::Role;
use opsdesk_app::approvals::TemplateInput;
use opsdesk_app::mail::MailConfig;
use opsdesk_app::tickets::{DeskInput, Ref};
use opsdesk_domain::Actor;
use opsdesk_store::Backend;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_approved_by_link_and_fulfilled_after_its_tasks() {
    let db = TestDb::new(Backend::Sqlite).await;
    let sink = SmtpSink::start().await;
    let mail = MailConfig {
        smtp_url: Some(sink.url.clone()),
        base_url: Some("https://desk.example.test".into()),
        ..MailConfig::default()
    };
    let server = db.start_with_mail(Role::All, false, mail).await;
    let app = server.app();
    set_desk_address(app, "hold").await;
    let sys = Actor::system();
    let (agent, _) = server.user("agent").await;
    let (approver, _) = server.user("agent").await;
    let (_, requester) = server.user("requester").await;
    let group = opsdesk_app::groups::CreateGroup {
        name: "Service Desk".into(),
        description: String::new(),
        lead_user_id: None,
    };
    let g = app.create_group(&sys, group).await.expect("group");
    app.add_group_member(&sys, g.id, agent.id).await.expect("member");
    let desk = app.desks().await.expect("desks").into_iter().next().expect("a default desk");
    let input = DeskInput { name: desk.name.clone(), default_group: Some(Ref::Id(g.id)) };
    app.update_desk(&sys, desk.id, input).await.expect("default group");
    let template = TemplateInput {
        name: "Manager sign-off".into(),
        desk: Ref::Id(desk.id),
        category: None,
        stages: json!([{"approvers": {"users": [approver.email]}, "rule": "any"}]),
    };
    app.put_approval_template(&sys, None, template).await.expect("template");
    let r = requester
        .post("/api/v1/tickets", json!({"kind": "service_request", "title": "A second screen <b>please</b>"}))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let number = r.body["number"].as_str().expect("number").to_string();

    let base = server.base.clone();
    let mut driver = Driver::start().await;
    let agent_b = driver.browser().await;
    let approver_b = driver.browser().await;

    // The agent sends the request for approval on the ticket page.
    sign_in(&agent_b, &base, &agent.email).await;
    agent_b.goto(&format!("{base}/agent/tickets/{number}")).await.expect("ticket page");
    click_then(&agent_b, "button[name=to][value=awaiting_approval]", ".notice").await;
    assert_eq!(text_of(&agent_b, "#ticket-status").await, "awaiting approval");

    // The approver opens the link from the mail (no sign-in) and approves.
    let mail = eventually(Duration::from_secs(30), "the approval mail", || {
        let got = sink.to(&approver.email);
        async move { got.first().cloned() }
    })
    .await
    .parsed();
    let at = mail.text.find("/approvals/link/").expect("a link");
    let path: String = mail.text[at..].chars().take_while(|c| !c.is_whitespace()).collect();
    approver_b.goto(&format!("{base}{path}")).await.expect("link page");
    let shown = text_of(&approver_b, "#link-subject").await;
    assert!(shown.contains(&number) && shown.contains("A second screen <b>please</b>"), "escaped title: {shown}");
    fill(&approver_b, "#comment", "Budget is fine.").await;
    click_then(&approver_b, "#link-approve", "main").await;
    let after = page_text(&approver_b).await;
    assert!(after.contains("You approved"), "{after}");
    assert!(text_of(&approver_b, "#link-done").await.contains("approved"));
    // The link works once.
    approver_b.goto(&format!("{base}{path}")).await.expect("link page again");
    assert!(
        text_of(&approver_b, "#link-refused").await.contains("already been used"),
        "{}",
        page_text(&approver_b).await
    );

    agent_b.goto(&format!("{base}/agent/tickets/{number}")).await.expect("ticket page");
    assert_eq!(text_of(&agent_b, "#ticket-status").await, "fulfilling");

    // Two ordered tasks from the request's Tasks panel: the second waits for the first.
    fill(&agent_b, "#task-title", "Order the screen").await;
    click_then(&agent_b, "#add-task-button", ".notice").await;
    assert!(text_of(&agent_b, ".notice").await.contains("Task TSK-1 added."), "{}", page_text(&agent_b).await);
    fill(&agent_b, "#task-title", "Install it").await;
    css(&agent_b, "input[name=after]").await.click().await.expect("after TSK-1");
    click_then(&agent_b, "#add-task-button", ".notice").await;
    assert!(text_of(&agent_b, ".notice").await.contains("Task TSK-2 added."), "{}", page_text(&agent_b).await);
    agent_b.goto(&format!("{base}/agent/tickets/TSK-2")).await.expect("second task");
    click_then(&agent_b, "button[name=to][value=done]", "main").await;
    assert!(page_text(&agent_b).await.contains("waits for TSK-1"), "{}", page_text(&agent_b).await);
    for t in ["TSK-1", "TSK-2"] {
        agent_b.goto(&format!("{base}/agent/tickets/{t}")).await.expect("task page");
        click_then(&agent_b, "button[name=to][value=done]", ".notice").await;
        assert_eq!(text_of(&agent_b, "#ticket-status").await, "done", "{}", page_text(&agent_b).await);
    }

    // With its tasks done, the agent fulfils the request.
    agent_b.goto(&format!("{base}/agent/tickets/{number}")).await.expect("ticket page");
    click_then(&agent_b, "button[name=to][value=fulfilled]", ".notice").await;
    assert_eq!(text_of(&agent_b, "#ticket-status").await, "fulfilled");

    // Nothing waits on the agent; the page says so.
    agent_b.goto(&format!("{base}/approvals")).await.expect("approvals page");
    css(&agent_b, "#nothing-waiting").await;
    agent_b.close().await.expect("close");
    approver_b.close().await.expect("close");
    server.stop().await;
}
