//! A normal change from plan to close in a real browser (SQLite only, as the other browser
//! tests): an agent plans it on a CI through the new-change form, links the problem it fixes,
//! sees the conflict with a change already scheduled on the CI and overrides it with a reason,
//! adds the implementation tasks and submits it; the CAB approver approves it on the
//! approvals page; the tasks are done, the change is implemented and reviewed (the incident it
//! caused is shown and must be accounted for), and closed.

use crate::browser::{click_then, css, fill, page_text, sign_in, text_of, Driver};
use crate::helpers::*;
use fantoccini::{Client, Locator};
use opsdesk_app::cmdb::CiInput;
use opsdesk_app::tickets::{DeskInput, Ref};
use opsdesk_domain::Actor;
use opsdesk_store::Backend;
use serde_json::{json, Value};
use std::time::Duration;

fn body(r: Reply, status: u16) -> Value {
    assert_eq!(r.status, status, "{:?}", r.body);
    r.body
}

fn number(v: &Value) -> String {
    v["number"].as_str().expect("number").to_string()
}

/// Waits until `selector`'s text contains `want` (the page after a form post has loaded).
async fn shows(c: &Client, selector: &str, want: &str) -> String {
    let what = format!("{selector} to show {want:?}");
    eventually(Duration::from_secs(15), &what, || async {
        let text = c.find(Locator::Css(selector)).await.ok()?.text().await.ok()?;
        text.contains(want).then_some(text)
    })
    .await
}

/// Moves the ticket on the page with its status button and waits for the new status.
async fn move_to(c: &Client, to: &str, label: &str) {
    css(c, &format!("button[name=to][value={to}]")).await.click().await.expect("status button");
    let status = shows(c, "#ticket-status", label).await;
    assert_eq!(status, label, "{}", page_text(c).await);
}

/// A `datetime-local` input's value, set as the picker would (typing into one depends on the
/// browser's locale).
async fn set_time(c: &Client, id: &str, value: &str) {
    c.execute("document.getElementById(arguments[0]).value = arguments[1];", vec![json!(id), json!(value)])
        .await
        .expect("set the time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_normal_change_is_planned_overridden_approved_implemented_reviewed_and_closed() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = db.start().await;
    let app = server.app();
    let sys = Actor::system();
    let (agent, _) = server.user("agent").await;
    let (cab_user, cab) = server.user("agent").await;
    let (_, admin) = server.user("admin").await;
    let group = opsdesk_app::groups::CreateGroup {
        name: "Change Management".into(),
        description: String::new(),
        lead_user_id: None,
    };
    let g = app.create_group(&sys, group).await.expect("group");
    app.add_group_member(&sys, g.id, agent.id).await.expect("member");
    let desk = app.desks().await.expect("desks").into_iter().next().expect("a default desk");
    let input = DeskInput { name: desk.name.clone(), default_group: Some(Ref::Id(g.id)) };
    app.update_desk(&sys, desk.id, input).await.expect("default group");
    let ci = CiInput {
        class: "server".into(),
        name: "db-prod-01".into(),
        status: None,
        attributes: Default::default(),
        identifiers: json!({}),
        offered_to: None,
    };
    let ci = app.create_ci(&sys, ci, "test").await.expect("ci").id;
    let policy =
        json!({"name": "CAB", "type": "normal", "stages": [{"approvers": {"users": [cab_user.id]}, "rule": "all"}]});
    body(admin.send(reqwest::Method::PUT, "/api/v1/changes/approval-policies", Some(policy)).await, 200);

    // Another change, already approved and scheduled on the same server that evening.
    let safe = json!({"tested": "yes", "outage": "none", "backout": "easy", "experience": "often"});
    let other = body(
        admin
            .post(
                "/api/v1/tickets",
                json!({"kind": "change", "title": "Firmware update", "change": {
                    "type": "normal", "planned_start": "2027-03-06T21:00:00Z", "planned_end": "2027-03-06T23:00:00Z",
                    "risk_answers": safe, "cis": [ci]
                }}),
            )
            .await,
        201,
    );
    let other = number(&other);
    for to in ["assessment", "awaiting_approval"] {
        body(admin.post(&format!("/api/v1/tickets/{other}/transitions"), json!({"to": to})).await, 200);
    }
    let approvals = body(admin.get(&format!("/api/v1/tickets/{other}/approvals")).await, 200);
    let approval = approvals["items"][0]["id"].as_i64().expect("the CAB's approval of the other change");
    body(cab.post(&format!("/api/v1/approvals/{approval}/decisions"), json!({"decision": "approve"})).await, 200);
    assert_eq!(body(admin.get(&format!("/api/v1/tickets/{other}")).await, 200)["status"], "scheduled");
    let problem =
        number(&body(admin.post("/api/v1/tickets", json!({"kind": "problem", "title": "Slow queries"})).await, 201));

    let base = server.base.clone();
    let mut driver = Driver::start().await;
    let b = driver.browser().await;
    let cab_b = driver.browser().await;
    sign_in(&b, &base, &agent.email).await;

    // The agent plans the change on the server, in a window overlapping the other change.
    b.goto(&format!("{base}/agent/changes/new")).await.expect("new change page");
    css(&b, "#c-type").await.select_by_value("normal").await.expect("type");
    fill(&b, "#c-title", "Upgrade the database engine").await;
    set_time(&b, "c-start", "2027-03-06T22:00").await;
    set_time(&b, "c-end", "2027-03-07T00:00").await;
    fill(&b, "#c-cis", "db-prod-01").await;
    fill(&b, "#c-impl", "Stop the app, upgrade, start the app.").await;
    for (q, v) in [("tested", "yes"), ("outage", "none"), ("backout", "easy"), ("experience", "often")] {
        css(&b, &format!("#risk-{q}")).await.select_by_value(v).await.expect("risk answer");
    }
    click_then(&b, "#create-change", "#change").await;
    let change = b.current_url().await.expect("url").path().rsplit('/').next().expect("number").to_string();
    assert!(change.starts_with("CHG-"), "{change}");
    assert_eq!(text_of(&b, "#ticket-status").await, "draft");
    assert!(text_of(&b, "#change-risk").await.starts_with("low"), "{}", page_text(&b).await);
    assert!(text_of(&b, "#change").await.contains("db-prod-01"), "the CI is named");

    // The conflicts panel names the scheduled change on the same CI.
    // (Badges are upper-cased by the style sheet; the text is compared without case.)
    let conflicts = text_of(&b, "#conflicts").await;
    assert!(conflicts.contains(&other) && !conflicts.to_lowercase().contains("overridden"), "{conflicts}");
    assert!(text_of(&b, "#next-free").await.starts_with("Next free window:"));

    // The problem it fixes, linked from the change card.
    fill(&b, "#fixes-target", &problem).await;
    css(&b, "#fixes-button").await.click().await.expect("link the problem");
    shows(&b, "#change-fixes", &problem).await;

    // The agent overrides the conflict with a reason.
    fill(&b, "#override-reason-input", "The vendor's engineer is only on site that evening").await;
    css(&b, "#override-button").await.click().await.expect("override");
    shows(&b, "#override-reason", "Overridden: The vendor's engineer is only on site that evening").await;
    assert!(text_of(&b, "#conflicts").await.to_lowercase().contains("overridden"));

    // The implementation tasks, the second after the first.
    fill(&b, "#task-title", "Back up the database").await;
    css(&b, "#add-task-button").await.click().await.expect("add a task");
    shows(&b, ".notice", "added.").await;
    let first_task = shows(&b, "#tasks tbody", "Back up the database").await;
    let first_task = first_task.split_whitespace().next().expect("a task number").to_string();
    fill(&b, "#task-title", "Run the upgrade").await;
    css(&b, "input[name=after]").await.click().await.expect("after the backup");
    css(&b, "#add-task-button").await.click().await.expect("add a task");
    let tasks = shows(&b, "#tasks tbody", "Run the upgrade").await;
    let second_task =
        tasks.lines().nth(1).and_then(|l| l.split_whitespace().next()).expect("a task number").to_string();

    // Submitted for approval: assessed, then sent to the CAB.
    move_to(&b, "assessment", "assessment").await;
    move_to(&b, "awaiting_approval", "awaiting approval").await;

    // The CAB approver approves it on the approvals page.
    sign_in(&cab_b, &base, &cab_user.email).await;
    cab_b.goto(&format!("{base}/approvals")).await.expect("approvals page");
    let approvals = body(admin.get(&format!("/api/v1/tickets/{change}/approvals")).await, 200);
    let approval = approvals["items"][0]["id"].as_i64().expect("the CAB's approval");
    let waiting = text_of(&cab_b, &format!("#approval-{approval}")).await;
    assert!(waiting.contains(&change) && waiting.contains("Upgrade the database engine"), "{waiting}");
    fill(&cab_b, &format!("#comment-{approval}"), "Go ahead; the override is sound.").await;
    click_then(&cab_b, &format!("#approve-{approval}"), "#approval-notice").await;
    assert_eq!(text_of(&cab_b, "#approval-notice").await, "Approved. Thank you.");
    assert!(text_of(&cab_b, "#nothing-waiting").await.contains("Nothing waits on you"), "{}", page_text(&cab_b).await);

    // Approved, the change is scheduled; the agent starts the implementation.
    b.goto(&format!("{base}/agent/tickets/{change}")).await.expect("change page");
    assert_eq!(text_of(&b, "#ticket-status").await, "scheduled");
    move_to(&b, "implementing", "implementing").await;
    assert!(text_of(&b, "#change-actual").await.starts_with("since"), "{}", page_text(&b).await);

    // Review waits for the tasks; they are done in order.
    css(&b, "button[name=to][value=review]").await.click().await.expect("review");
    shows(&b, "#page-error", "task").await;
    for task in [&first_task, &second_task] {
        b.goto(&format!("{base}/agent/tickets/{task}")).await.expect("task page");
        move_to(&b, "done", "done").await;
    }

    // Meanwhile an incident was caused by the change.
    let incident = number(&body(
        admin.post("/api/v1/tickets", json!({"kind": "incident", "title": "Reports time out"})).await,
        201,
    ));
    let link = json!({"type": "caused_by", "target": change});
    body(admin.post(&format!("/api/v1/tickets/{incident}/links"), link).await, 201);

    b.goto(&format!("{base}/agent/tickets/{change}")).await.expect("change page");
    move_to(&b, "review", "review").await;
    let warning = text_of(&b, "#caused-incidents-warning").await;
    assert!(warning.contains(&incident) && warning.contains("Reports time out"), "{warning}");
    assert!(text_of(&b, "#review-incidents-warning").await.contains(&incident));

    // "Successful" without a word on the incident is refused; with one, the review is kept.
    css(&b, "#detail-review_outcome").await.select_by_value("successful").await.expect("outcome");
    fill(&b, "#detail-lessons", "Warm the caches before opening.").await;
    css(&b, "#save-detail").await.click().await.expect("save the review");
    let refused = shows(&b, "#page-error", &incident).await;
    assert!(refused.contains("Caused incidents reviewed"), "{refused}");
    css(&b, "#detail-review_outcome").await.select_by_value("successful").await.expect("outcome");
    fill(&b, "#detail-incident_review", "Cold caches for ten minutes; the upgrade itself worked.").await;
    fill(&b, "#detail-lessons", "Warm the caches before opening.").await;
    css(&b, "#save-detail").await.click().await.expect("save the review");
    shows(&b, ".notice", "Saved.").await;
    assert!(page_text(&b).await.contains("Incidents caused, as of the review"), "the history names them");

    move_to(&b, "closed", "closed").await;

    // The problem's page names the change that fixes it.
    b.goto(&format!("{base}/agent/tickets/{problem}")).await.expect("problem page");
    assert!(page_text(&b).await.contains(&format!("fixed by change {change}")), "{}", page_text(&b).await);
    b.close().await.expect("close");
    cab_b.close().await.expect("close");
    server.stop().await;
}
