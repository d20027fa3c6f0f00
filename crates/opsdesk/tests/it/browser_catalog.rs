//! Ordering from the catalog in a real browser (SQLite only, as the other browser tests): the
//! memory field appears only for the developer model and goes again, the order lands on the
//! request's page, its two tasks are done in order, and the requester sees it fulfilled.

use crate::browser::{click_then, css, sign_in, text_of, Driver};
use crate::helpers::*;
use opsdesk_store::Backend;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requester_orders_a_laptop_whose_memory_field_follows_the_model() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = db.start().await;
    let (_, admin) = server.user("admin").await;
    let (requester, _) = server.user("requester").await;
    let form = json!([
        {"key": "model", "label": "Model", "type": "select", "required": true, "options": ["standard", "developer"]},
        {"key": "ram", "label": "Memory (GB)", "type": "number", "required": true, "min": 16,
         "show_if": {"field": "model", "equals": "developer"}},
        {"key": "accept", "label": "I accept the policy", "type": "checkbox", "required": true},
    ]);
    let fulfilment = json!([{"title": "Take one from stock"}, {"title": "Hand it over", "after": [0]}]);
    let body = json!({"title": "Laptop", "form": form, "fulfilment": fulfilment, "published": true});
    let id = created(admin.post("/api/v1/catalog/items", body).await)["id"].as_i64().expect("item");

    let base = server.base.clone();
    let mut driver = Driver::start().await;
    let b = driver.browser().await;
    sign_in(&b, &base, &requester.email).await;
    b.goto(&format!("{base}/portal/catalog")).await.expect("catalog");
    click_then(&b, &format!("#item-{id} a"), "#catalog-form").await;
    let ram = css(&b, "#field-ram").await;
    assert!(!ram.is_displayed().await.expect("displayed"), "hidden until the developer model is chosen");
    let model = css(&b, "#a_model").await;
    model.select_by_value("developer").await.expect("developer");
    assert!(ram.is_displayed().await.expect("displayed"), "shown for the developer model");
    model.select_by_value("standard").await.expect("standard");
    assert!(!ram.is_displayed().await.expect("displayed"), "hidden again");
    model.select_by_value("developer").await.expect("developer");
    css(&b, "#a_ram").await.send_keys("32").await.expect("memory");
    css(&b, "#a_accept").await.click().await.expect("accept");
    click_then(&b, "#order", "#ticket-status").await;
    let url = b.current_url().await.expect("url");
    let number = url.path().rsplit('/').next().expect("number").to_string();
    assert!(number.starts_with("REQ-"), "{url}");
    assert_eq!(text_of(&b, "#ticket-status").await, "fulfilling");
    let req = ok(admin.get(&format!("/api/v1/catalog/requests/{number}")).await);
    assert_eq!(req["answers"], json!({"model": "developer", "ram": 32, "accept": true}));

    // The tasks, in order: the second waits for the first.
    let tasks = ok(admin.get(&format!("/api/v1/tickets/{number}/tasks")).await)["items"].clone();
    let (first, second) = (tasks[0]["number"].as_str().expect("t1"), tasks[1]["number"].as_str().expect("t2"));
    let done = |t: &str| format!("/api/v1/tickets/{t}/transitions");
    admin.post(&done(second), json!({"to": "done"})).await.assert_problem(422, "guard_failed");
    assert_eq!(admin.post(&done(first), json!({"to": "done"})).await.status, 200);
    assert_eq!(admin.post(&done(second), json!({"to": "done"})).await.status, 200);
    b.goto(&format!("{base}/portal/tickets/{number}")).await.expect("request page");
    assert_eq!(text_of(&b, "#ticket-status").await, "fulfilled");
    b.close().await.expect("close");
    server.stop().await;
}
