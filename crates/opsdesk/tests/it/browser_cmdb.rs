//! The CMDB in a real browser (SQLite only, as the other browser tests): an agent finds a
//! business service in the CI list, reads its impact graph upstream (the application it depends
//! on and the server that runs it), follows the graph's link to the server and reads the
//! service downstream from there, then opens the open incident naming the service.

use crate::browser::{click_then, css, fill, page_text, sign_in, text_of, Driver};
use crate::helpers::*;
use opsdesk_app::cmdb::{RelationshipInput, TicketCiInput};
use opsdesk_domain::Actor;
use opsdesk_store::Backend;
use serde_json::json;

async fn relate(app: &opsdesk_app::App, source: i64, rel: &str, target: i64) {
    let input = RelationshipInput { source, rel: rel.into(), target };
    app.create_relationship(&Actor::system(), input).await.expect("relationship");
}

/// The page's markup as the browser serialises it (the SVG's text is read from it).
async fn source(c: &fantoccini::Client) -> String {
    c.source().await.expect("page source")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_reads_a_services_impact_and_opens_its_incident() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = db.start().await;
    let app = server.app();
    let (agent, agent_api) = server.user("agent").await;
    let service = system_ci(app, "business_service", "Payroll").await;
    let application = system_ci(app, "application", "payroll-app").await;
    let machine = system_ci(app, "server", "srv-07 <rack 4>").await;
    let unrelated = system_ci(app, "server", "srv-99").await;
    relate(app, service, "depends_on", application).await;
    relate(app, application, "runs_on", machine).await;
    let r = agent_api.post("/api/v1/tickets", json!({"kind": "incident", "title": "Payslips are not generated"})).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let number = r.body["number"].as_str().expect("number").to_string();
    let input = TicketCiInput { ci: service, role: Some("affected".into()) };
    app.add_ticket_ci(&Actor::system(), &number, input).await.expect("affected service");

    let base = server.base.clone();
    let mut driver = Driver::start().await;
    let b = driver.browser().await;
    sign_in(&b, &base, &agent.email).await;

    // The CMDB from the nav, the service found by a search.
    click_then(&b, "#nav-cmdb", "#ci-search").await;
    fill(&b, "#ci-q", "payroll").await;
    css(&b, "#ci-class").await.select_by_value("business_service").await.expect("class filter");
    click_then(&b, "#ci-search-button", "#ci-list").await;
    let listed = text_of(&b, "#ci-list").await;
    assert!(listed.contains("Payroll") && !listed.contains("payroll-app"), "{listed}");
    click_then(&b, &format!("#ci-list a[href='/agent/cmdb/{service}']"), "#impact-svg").await;
    assert_eq!(text_of(&b, "#ci-name").await, "Payroll");

    // Downstream nothing depends on the service; upstream it reaches the application and the
    // server that runs it, each a node of the graph.
    let html = source(&b).await;
    assert!(!html.contains(&format!("id=\"node-{application}\"")), "downstream is the service alone");
    click_then(&b, "#show-upstream", "#impact-svg").await;
    let html = source(&b).await;
    for (id, name) in [(service, "Payroll"), (application, "payroll-app"), (machine, "srv-07 &lt;rack 4&gt;")] {
        let node = format!("<a href=\"/agent/cmdb/{id}\" class=\"node");
        assert!(html.contains(&node), "node {id} in the graph: {html}");
        assert!(html.contains(&format!("class=\"node-name\">{name}</text>")), "{name} in the graph: {html}");
    }
    assert!(!html.contains(&format!("id=\"node-{unrelated}\"")), "{html}");
    assert!(text_of(&b, "#impact-svg").await.contains("runs on"), "edges are labelled");

    // The server's node is a link; from the server, downstream reaches the service.
    click_then(&b, &format!("#node-{machine}"), "#ci-name").await;
    assert_eq!(text_of(&b, "#ci-name").await, "srv-07 <rack 4>");
    let html = source(&b).await;
    assert!(
        html.contains(&format!("id=\"node-{service}\"")) && html.contains(&format!("id=\"node-{application}\"")),
        "{html}"
    );
    assert!(
        text_of(&b, "#impact-summary").await.contains("Business services reached: Payroll"),
        "{}",
        page_text(&b).await
    );

    // Back to the service through the graph, and on to its open incident.
    click_then(&b, &format!("#node-{service}"), "#tickets").await;
    assert_eq!(text_of(&b, "#ci-name").await, "Payroll");
    let row = text_of(&b, "#tickets tr.open").await;
    assert!(row.contains(&number) && row.contains("affected"), "{row}");
    click_then(&b, &format!("#ticket-{number}"), "#ticket-status").await;
    assert_eq!(text_of(&b, "#ticket-title").await, "Payslips are not generated");
    assert_eq!(text_of(&b, "#ticket-status").await, "new");
    assert!(text_of(&b, "#ticket-cis").await.contains("Payroll"), "{}", page_text(&b).await);
    b.close().await.expect("close");
    server.stop().await;
}
