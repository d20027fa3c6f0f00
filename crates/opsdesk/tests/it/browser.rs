//! End-to-end tests in a real browser: Debian's Chromium, headless, driven through chromedriver
//! by fantoccini, against the server started in-process. SQLite only: the pages are the
//! subject here, the databases are covered by the API tests.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver`; run `scripts/browser` to install them.

use crate::helpers::*;
use fantoccini::{Client, ClientBuilder, Locator};
use opsdesk_app::tickets::{DeskInput, NewCategory, Ref};
use opsdesk_domain::ticket::{CustomFieldDef, CustomFieldType, Kind};
use opsdesk_domain::Actor;
use opsdesk_store::Backend;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub(crate) const PASSWORD: &str = "a long enough password";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A chromedriver process on a free port, ended when dropped.
pub(crate) struct Driver {
    child: Child,
    url: String,
    profiles: Vec<tempfile::TempDir>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    pub(crate) async fn start() -> Driver {
        for bin in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                std::path::Path::new(bin).exists(),
                "{bin} is missing: the browser tests need Debian's chromium and chromium-driver; run scripts/browser"
            );
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let driver = Driver { child, url, profiles: Vec::new() };
        let http = reqwest::Client::new();
        let status = format!("{}/status", driver.url);
        eventually(Duration::from_secs(30), "chromedriver to be ready", || {
            let req = http.get(&status).send();
            async move {
                let res = req.await.ok()?;
                let body: serde_json::Value = res.json().await.ok()?;
                body["value"]["ready"].as_bool().filter(|r| *r)
            }
        })
        .await;
        driver
    }

    /// A fresh browser session with its own profile.
    pub(crate) async fn browser(&mut self) -> Client {
        let profile = tempfile::tempdir().expect("profile dir");
        let args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--window-size=1280,900".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        self.profiles.push(profile);
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert("goog:chromeOptions".into(), serde_json::json!({"binary": CHROMIUM, "args": args}));
        ClientBuilder::rustls().expect("tls").capabilities(caps).connect(&self.url).await.expect("browser session")
    }
}

/// A fresh desk: an agent group that is the default desk's default group, a category, and a
/// text custom field on incidents.
struct World {
    server: TestServer,
    requester: opsdesk_store::users::User,
    agent: opsdesk_store::users::User,
    agent2: opsdesk_store::users::User,
}

async fn world(db: &TestDb) -> World {
    let server = db.start().await;
    let (requester, _) = server.user("requester").await;
    let (agent, _) = server.user("agent").await;
    let (agent2, _) = server.user("agent").await;
    let app = server.app();
    let sys = Actor::system();
    let g = app
        .create_group(
            &sys,
            opsdesk_app::groups::CreateGroup {
                name: "Service Desk".into(),
                description: String::new(),
                lead_user_id: None,
            },
        )
        .await
        .expect("group");
    for u in [&agent, &agent2] {
        app.add_group_member(&sys, g.id, u.id).await.expect("member");
    }
    let desk = app.desks().await.expect("desks").into_iter().next().expect("a default desk");
    app.update_desk(&sys, desk.id, DeskInput { name: desk.name.clone(), default_group: Some(Ref::Id(g.id)) })
        .await
        .expect("desk default group");
    app.create_category(&sys, desk.id, NewCategory { name: "Network".into(), parent_id: None })
        .await
        .expect("category");
    let def = CustomFieldDef {
        key: "asset_tag".into(),
        label: "Asset tag".into(),
        field_type: CustomFieldType::Text,
        required: false,
        options: Vec::new(),
    };
    app.put_custom_field(&sys, desk.id, Kind::Incident, def, 0).await.expect("custom field");
    World { server, requester, agent, agent2 }
}

pub(crate) async fn css(c: &Client, selector: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("no {selector} on the page: {e}"))
}

pub(crate) async fn text_of(c: &Client, selector: &str) -> String {
    css(c, selector).await.text().await.expect("text")
}

pub(crate) async fn page_text(c: &Client) -> String {
    text_of(c, "body").await
}

pub(crate) async fn sign_in(c: &Client, base: &str, email: &str) {
    c.goto(&format!("{base}/login")).await.expect("login page");
    css(c, "#email").await.send_keys(email).await.expect("email");
    css(c, "#password").await.send_keys(PASSWORD).await.expect("password");
    css(c, "form[action='/login'] button[type=submit]").await.click().await.expect("sign in");
    css(c, "nav.sections").await;
}

pub(crate) async fn fill(c: &Client, selector: &str, value: &str) {
    let e = css(c, selector).await;
    e.clear().await.expect("clear");
    e.send_keys(value).await.expect("type");
}

/// Clicks and waits until the page shows `selector` (the next page's landmark).
pub(crate) async fn click_then(c: &Client, button: &str, landmark: &str) {
    css(c, button).await.click().await.expect("click");
    css(c, landmark).await;
}

/// The portal's new-ticket form; returns the new ticket's number.
async fn submit_ticket(c: &Client, base: &str, title: &str, description: &str) -> String {
    c.goto(&format!("{base}/portal/new")).await.expect("new ticket page");
    css(c, "#category").await.select_by_label("Network").await.expect("category");
    fill(c, "#title", title).await;
    fill(c, "#description", description).await;
    click_then(c, "#submit-ticket", "#ticket-status").await;
    let url = c.current_url().await.expect("url");
    url.path().rsplit('/').next().expect("number").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requester_and_agent_work_a_ticket_through_to_confirmation() {
    let db = TestDb::new(Backend::Sqlite).await;
    let w = world(&db).await;
    let base = w.server.base.clone();
    let mut driver = Driver::start().await;
    let req = driver.browser().await;
    let agent = driver.browser().await;

    // The requester logs a ticket in the portal.
    sign_in(&req, &base, &w.requester.email).await;
    assert!(req.current_url().await.expect("url").path().starts_with("/portal"), "requesters land in the portal");
    let number = submit_ticket(&req, &base, "Printer on floor 3 jams", "Every second page jams.").await;
    assert!(number.starts_with("INC-"), "{number}");
    req.goto(&format!("{base}/agent")).await.expect("agent console");
    assert!(req.current_url().await.expect("url").path().starts_with("/portal"), "requesters never see the console");

    // The agent finds it in the unassigned queue and assigns it to themselves in bulk.
    sign_in(&agent, &base, &w.agent.email).await;
    assert_eq!(agent.current_url().await.expect("url").path(), "/agent");
    agent.goto(&format!("{base}/agent?q=is%3Aunassigned+status%3Aopen")).await.expect("queue");
    css(&agent, &format!("input[name=ticket][value='{number}']")).await.click().await.expect("select row");
    css(&agent, "#action").await.select_by_value("assign_me").await.expect("action");
    click_then(&agent, "#bulk button[type=submit]", ".notice").await;
    assert!(text_of(&agent, ".notice").await.contains("Changed 1 of 1"), "{}", page_text(&agent).await);

    // An internal note and a public reply.
    agent.goto(&format!("{base}/agent/tickets/{number}")).await.expect("ticket page");
    assert!(text_of(&agent, ".meta").await.contains(&w.agent.name), "assigned to the agent");
    css(&agent, "#vis-internal").await.click().await.expect("note");
    fill(&agent, "#body", "Internal: the fuser is worn out").await;
    click_then(&agent, "#send", ".entry.internal").await;
    css(&agent, "#vis-public").await.click().await.expect("reply");
    fill(&agent, "#body", "We are replacing the fuser today.").await;
    click_then(&agent, "#send", ".entry.public").await;
    let internal = text_of(&agent, ".entry.internal").await;
    assert!(internal.contains("INTERNAL NOTE") || internal.contains("Internal note"), "{internal}");

    // The requester sees the reply, never the note.
    req.goto(&format!("{base}/portal/tickets/{number}")).await.expect("portal ticket");
    let seen = page_text(&req).await;
    assert!(seen.contains("We are replacing the fuser today."), "{seen}");
    assert!(!seen.contains("fuser is worn out"), "internal note leaked: {seen}");

    // The agent resolves; the requester confirms.
    agent.goto(&format!("{base}/agent/tickets/{number}")).await.expect("ticket page");
    click_then(&agent, "button[name=to][value=resolved]", ".notice").await;
    assert_eq!(text_of(&agent, "#ticket-status").await, "resolved");
    req.goto(&format!("{base}/portal/tickets/{number}")).await.expect("portal ticket");
    click_then(&req, "#confirm", ".notice").await;
    assert_eq!(text_of(&req, "#ticket-status").await, "closed");

    req.close().await.expect("close");
    agent.close().await.expect("close");
    w.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_agents_editing_one_ticket_the_second_is_told_not_overwritten() {
    let db = TestDb::new(Backend::Sqlite).await;
    let w = world(&db).await;
    let base = w.server.base.clone();
    let mut driver = Driver::start().await;
    let req = driver.browser().await;
    sign_in(&req, &base, &w.requester.email).await;
    let number = submit_ticket(&req, &base, "Laptop fan is loud", "Since the update.").await;

    let a = driver.browser().await;
    let b = driver.browser().await;
    sign_in(&a, &base, &w.agent.email).await;
    sign_in(&b, &base, &w.agent2.email).await;
    let page = format!("{base}/agent/tickets/{number}");
    a.goto(&page).await.expect("a opens");
    b.goto(&page).await.expect("b opens");

    fill(&a, "#f-title", "Laptop fan is loud (first agent)").await;
    click_then(&a, "#save-fields", ".notice").await;
    assert_eq!(text_of(&a, "#ticket-title").await, "Laptop fan is loud (first agent)");

    fill(&b, "#f-title", "Laptop fan noise (second agent)").await;
    css(&b, "#f-impact").await.select_by_value("1").await.expect("impact");
    click_then(&b, "#save-fields", "#page-error").await;
    let told = text_of(&b, "#page-error").await;
    assert!(told.contains("changed by someone else meanwhile"), "{told}");
    assert_eq!(text_of(&b, "#ticket-title").await, "Laptop fan is loud (first agent)", "not overwritten");
    let field = css(&b, "#f-title").await.prop("value").await.expect("value").unwrap_or_default();
    assert_eq!(field, "Laptop fan is loud (first agent)", "the form shows the current values");
    assert!(text_of(&b, ".stale").await.contains("Laptop fan noise (second agent)"), "their own input is shown");
    let stored = w.server.app().ticket(&Actor::system(), &number).await.expect("ticket");
    assert_eq!(stored.title, "Laptop fan is loud (first agent)");
    assert_eq!(stored.impact, 2, "nothing of the stale form was applied");

    for c in [req, a, b] {
        c.close().await.expect("close");
    }
    w.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_in_title_comment_and_custom_field_is_shown_as_text() {
    let db = TestDb::new(Backend::Sqlite).await;
    let w = world(&db).await;
    let base = w.server.base.clone();
    let mut driver = Driver::start().await;
    let img = r#"<img src=x onerror="document.title='pwned'">"#;
    let script = "<script>document.title='pwned'</script>";

    let req = driver.browser().await;
    sign_in(&req, &base, &w.requester.email).await;
    let number = submit_ticket(&req, &base, &format!("Title {img}"), script).await;
    css(&req, "#body").await.send_keys(&format!("Reply {script} {img}")).await.expect("reply");
    click_then(&req, "#send", ".entry.public").await;

    let agent = driver.browser().await;
    sign_in(&agent, &base, &w.agent.email).await;
    agent.goto(&format!("{base}/agent/tickets/{number}")).await.expect("ticket");
    fill(&agent, "#cf-asset_tag", img).await;
    click_then(&agent, "#save-fields", ".notice").await;
    fill(&agent, "#body", &format!("Note {img}")).await;
    css(&agent, "#vis-internal").await.click().await.expect("note");
    click_then(&agent, "#send", ".entry.internal").await;

    for (c, path) in [
        (&agent, format!("/agent/tickets/{number}")),
        (&agent, "/agent?q=status%3Aopen".to_string()),
        (&req, format!("/portal/tickets/{number}")),
        (&req, "/portal".to_string()),
    ] {
        c.goto(&format!("{base}{path}")).await.expect("page");
        css(c, "nav.sections").await;
        let title = c.title().await.expect("title");
        assert_ne!(title, "pwned", "script ran on {path}");
        let text = page_text(c).await;
        assert!(text.contains(&format!("Title {img}")), "the title is shown literally on {path}: {text}");
        assert_eq!(c.find_all(Locator::Css("main img")).await.expect("imgs").len(), 0, "no injected img on {path}");
        assert_eq!(c.find_all(Locator::Css("main script")).await.expect("scripts").len(), 0, "no injected script");
    }
    agent.goto(&format!("{base}/agent/tickets/{number}")).await.expect("ticket");
    let text = page_text(&agent).await;
    assert!(text.contains(&format!("Reply {script} {img}")), "the reply is literal: {text}");
    assert!(text.contains(&format!("Note {img}")), "the note is literal");
    let cf = css(&agent, "#cf-asset_tag").await.prop("value").await.expect("value").unwrap_or_default();
    assert_eq!(cf, img, "the custom field keeps its text");
    assert_ne!(agent.title().await.expect("title"), "pwned");

    req.close().await.expect("close");
    agent.close().await.expect("close");
    w.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_reach_their_pages_query_errors_are_marked_and_tokens_show_once() {
    let db = TestDb::new(Backend::Sqlite).await;
    let w = world(&db).await;
    let base = w.server.base.clone();
    let (admin_user, _) = w.server.user("admin").await;
    let mut driver = Driver::start().await;

    // Requesters are kept out of the console and the admin pages.
    let req = driver.browser().await;
    sign_in(&req, &base, &w.requester.email).await;
    req.goto(&format!("{base}/admin/users")).await.expect("admin page");
    assert!(page_text(&req).await.contains("The admin pages are for admins."));
    assert!(req.find_all(Locator::Css("table.grid")).await.expect("tables").is_empty());

    // An agent's bad query names the column and marks it.
    let agent = driver.browser().await;
    sign_in(&agent, &base, &w.agent.email).await;
    agent.goto(&format!("{base}/agent?q=status%3Aopen+prority%3AP1")).await.expect("queue");
    assert!(text_of(&agent, "#q-error").await.contains("at column 13"));
    assert_eq!(text_of(&agent, "#q-error mark").await, "p");
    agent.goto(&format!("{base}/admin")).await.expect("admin");
    assert!(page_text(&agent).await.contains("The admin pages are for admins."));

    // j moves through the list (the keyboard script is served and runs under the CSP).
    let (as_requester, _) = w.server.app().actor_for(w.requester.id).await.expect("actor");
    let input = opsdesk_app::tickets::CreateTicket {
        kind: "incident".into(),
        title: "Monitor flickers".into(),
        ..Default::default()
    };
    w.server.app().create_ticket(&as_requester, input).await.expect("ticket");
    agent.goto(&format!("{base}/agent?q=status%3Aopen")).await.expect("queue");
    css(&agent, "body").await.send_keys("j").await.expect("j");
    let focused = agent.execute("return document.activeElement.className", vec![]).await.expect("focus");
    assert_eq!(focused.as_str(), Some("row-link"), "j focuses the first ticket");

    let admin = driver.browser().await;
    sign_in(&admin, &base, &admin_user.email).await;
    assert_eq!(admin.current_url().await.expect("url").path(), "/agent", "admins land in the console");

    // An admin creates a user, changes their role and issues a token that is shown once.
    admin.goto(&format!("{base}/admin/users")).await.expect("users");
    fill(&admin, "#nu-name", "Nina <b>New</b>").await;
    fill(&admin, "#nu-email", "nina@example.test").await;
    css(&admin, "#nu-role").await.select_by_value("agent").await.expect("role");
    click_then(&admin, "form[action='/admin/users'] button[type=submit]", ".notice").await;
    assert!(page_text(&admin).await.contains("Nina <b>New</b>"), "names are text");
    let nina = w.server.app().user_by_email("nina@example.test").await.expect("created");
    assert_eq!(nina.role.as_str(), "agent");
    css(&admin, &format!("#role-{}", nina.id)).await.select_by_value("admin").await.expect("role");
    click_then(&admin, &format!("form[action='/admin/users/{}'] button.secondary", nina.id), ".notice").await;
    assert_eq!(w.server.app().user_by_email("nina@example.test").await.expect("user").role.as_str(), "admin");
    admin.goto(&format!("{base}/admin/users/{}/tokens", nina.id)).await.expect("tokens");
    fill(&admin, "#tk-name", "ci").await;
    click_then(&admin, "form[action$='/tokens'] button[type=submit]", "#token-secret").await;
    let secret = text_of(&admin, "#token-secret").await;
    assert!(secret.starts_with("odk_"), "{secret}");
    assert!(w.server.app().authenticate_token(&secret).await.is_ok(), "the shown token works");
    admin.goto(&format!("{base}/admin/users/{}/tokens", nina.id)).await.expect("tokens again");
    assert!(!page_text(&admin).await.contains(&secret), "the secret is shown only once");

    for c in [req, agent, admin] {
        c.close().await.expect("close");
    }
    w.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_sets_up_a_calendar_and_a_policy_through_the_forms() {
    let db = TestDb::new(Backend::Sqlite).await;
    let w = world(&db).await;
    let base = w.server.base.clone();
    let (admin_user, _) = w.server.user("admin").await;
    let mut driver = Driver::start().await;
    let admin = driver.browser().await;
    sign_in(&admin, &base, &admin_user.email).await;

    // A calendar: the name carries a script, shown as text.
    let script = "<script>document.title='pwned'</script>";
    admin.goto(&format!("{base}/admin")).await.expect("admin");
    click_then(&admin, "a[href='/admin/sla/calendars']", "#new-calendar").await;
    click_then(&admin, "#new-calendar", "#calendar-form").await;
    fill(&admin, "#cal-name", &format!("Office {script}")).await;
    fill(&admin, "#cal-tz", "Europe/Berlin").await;
    fill(&admin, "#cal-mon", "08:00-12:00, 13:00-17:00").await;
    fill(&admin, "#cal-sat", "22:00-06:00").await;
    fill(&admin, "#cal-holidays", "12-25\n2026-12-24").await;
    click_then(&admin, "#save-calendar", ".notice").await;
    assert_eq!(text_of(&admin, ".notice").await, "Created.");
    admin.goto(&format!("{base}/admin/sla/calendars")).await.expect("calendars");
    assert!(page_text(&admin).await.contains(&format!("Office {script}")), "the name is text");
    assert_ne!(admin.title().await.expect("title"), "pwned");
    assert_eq!(admin.find_all(Locator::Css("main script")).await.expect("scripts").len(), 0);

    // A policy with a bad duration is refused next to the field, then saved when corrected.
    admin.goto(&format!("{base}/admin/sla/policies")).await.expect("policies");
    click_then(&admin, "#new-policy", "#policy-form").await;
    fill(&admin, "#p-name", "P1 incidents").await;
    css(&admin, "#p-kind-incident").await.click().await.expect("kind");
    css(&admin, "#p-prio-P1").await.click().await.expect("priority");
    fill(&admin, "#p-first", "2 hrs").await;
    fill(&admin, "#p-resolution", "8h").await;
    let calendars = w.server.app().sla_calendars(&Actor::system()).await.expect("calendars");
    let office = calendars.iter().find(|c| c.name == format!("Office {script}")).expect("saved calendar");
    css(&admin, "#p-calendar").await.select_by_value(&office.id.to_string()).await.expect("calendar");
    fill(&admin, "#p-escalations", "90% notify_group_lead Service Desk\nbreach raise_priority").await;
    click_then(&admin, "#save-policy", "#err-first").await;
    assert!(!text_of(&admin, "#err-first").await.is_empty());
    assert_eq!(css(&admin, "#p-first").await.attr("aria-invalid").await.expect("attr").as_deref(), Some("true"));
    assert!(w.server.app().sla_policies(&Actor::system()).await.expect("policies").is_empty(), "nothing saved");
    fill(&admin, "#p-first", "1h30m").await;
    click_then(&admin, "#save-policy", ".notice").await;
    assert_eq!(text_of(&admin, ".notice").await, "Created.");
    let policies = w.server.app().sla_policies(&Actor::system()).await.expect("policies");
    assert_eq!(policies.len(), 1);
    let p = &policies[0].spec;
    assert_eq!((p.targets.first_response.as_str(), p.targets.resolution.as_str()), ("1h30m", "8h"));
    assert_eq!(p.conditions.kinds, vec!["incident".to_string()]);
    assert_eq!(p.conditions.priorities, vec!["P1".to_string()]);
    assert_eq!(p.calendar_id, Some(office.id));
    assert_eq!(p.escalations.len(), 2);
    assert_eq!(p.escalations[0].action, "notify_group_lead");
    assert!(p.escalations[0].group_id.is_some());
    let shown = css(&admin, "#p-escalations").await.prop("value").await.expect("value").unwrap_or_default();
    assert_eq!(shown, "90% notify_group_lead Service Desk\nbreach raise_priority");

    admin.close().await.expect("close");
    w.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_sees_the_sla_panel_and_downloads_the_report() {
    let db = TestDb::new(Backend::Sqlite).await;
    let w = world(&db).await;
    let base = w.server.base.clone();
    let input = opsdesk_app::sla::PolicyInput {
        name: "Standard".into(),
        conditions: Default::default(),
        targets: opsdesk_domain::sla::TargetsSpec {
            first_response: "4h".into(),
            resolution: "40h".into(),
            next_response: None,
        },
        calendar_id: None,
        warnings: None,
        pause_when: None,
        escalations: Vec::new(),
        position: None,
    };
    w.server.app().save_sla_policy(&Actor::system(), None, input).await.expect("policy");
    let mut driver = Driver::start().await;
    let req = driver.browser().await;
    sign_in(&req, &base, &w.requester.email).await;
    let number = submit_ticket(&req, &base, "Wi-Fi drops in room 4", "Every few minutes.").await;
    assert!(text_of(&req, "#sla").await.contains("First response"), "requesters see their targets");
    assert!(!text_of(&req, "#sla").await.contains("Standard"), "but not the policy");

    let agent = driver.browser().await;
    sign_in(&agent, &base, &w.agent.email).await;
    agent.goto(&format!("{base}/agent/tickets/{number}")).await.expect("ticket");
    let first = css(&agent, "#sla .sla-target[data-state=running]").await;
    let text = first.text().await.expect("text");
    assert!(text.to_lowercase().contains("running"), "{text}");
    assert!(text.contains("First response") && text.contains("left") && text.contains("due "), "{text}");
    assert!(text.contains("policy Standard"), "{text}");
    css(&agent, ".sla-history summary").await.click().await.expect("open the history");
    assert!(text_of(&agent, ".sla-history").await.contains("started"));

    // The queue sorts by due.
    agent.goto(&format!("{base}/agent?q=status%3Aopen")).await.expect("queue");
    click_then(&agent, "#sort-due", "td.due").await;
    assert!(css(&agent, "#q").await.prop("value").await.expect("q").unwrap_or_default().contains("sort:due"));
    assert!(text_of(&agent, "td.due").await.starts_with("in "));

    // The report, and its CSV link that downloads the same figures.
    click_then(&agent, "a[href='/agent/reports/sla']", "#report").await;
    css(&agent, "#r-group").await.select_by_value("priority").await.expect("group by");
    click_then(&agent, "#report-form button[type=submit]", "#report-csv").await;
    assert!(text_of(&agent, "#report tbody").await.contains("First response"));
    let csv = agent
        .execute("return fetch(document.getElementById('report-csv').href).then(r => r.text())", vec![])
        .await
        .expect("download");
    let csv = csv.as_str().unwrap_or_default();
    assert!(csv.starts_with("key,target,total,met,breached,open,cancelled,compliance_percent"), "{csv}");
    assert!(csv.lines().any(|l| l.ends_with(",first_response,1,0,0,1,0,")), "{csv}");

    req.close().await.expect("close");
    agent.close().await.expect("close");
    w.server.stop().await;
}
