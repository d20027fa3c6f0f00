//! The CMDB's pages over HTTP (no browser): the CI list with its search and class filter, the
//! CI page with names shown as text, relationships added and removed through the forms, the
//! class editor's line errors, the ticket's "Configuration items" card and the affected service
//! of the new-ticket forms; requesters are kept out.

use crate::both_backends;
use crate::helpers::*;
use opsdesk_app::cmdb::CiInput;
use opsdesk_domain::Actor;
use serde_json::{json, Value};

const PASSWORD: &str = "a long enough password";

async fn ci(server: &TestServer, class: &str, name: &str, attributes: Value) -> i64 {
    let Value::Object(attributes) = attributes else { panic!("attributes are an object") };
    let input = CiInput {
        class: class.into(),
        name: name.into(),
        status: None,
        attributes,
        identifiers: json!({}),
        offered_to: None,
    };
    server.app().create_ci(&Actor::system(), input, "test").await.expect("ci").id
}

both_backends! {
    async fn the_list_searches_filters_and_shows_names_as_text(db: TestDb) {
        let server = db.start().await;
        let (agent, _) = server.user("agent").await;
        let (requester, _) = server.user("requester").await;
        let web = ci(&server, "server", "web01", json!({"cpu_count": 4})).await;
        let db01 = ci(&server, "database", "db01", json!({"engine": "postgresql"})).await;
        let evil = ci(&server, "application", "<script>x</script>", json!({"vendor": "<b>Acme</b>"})).await;
        let agent = session_with(&server, &agent.email, PASSWORD).await;

        let (status, html) = page(&agent, "/agent/cmdb").await;
        assert_eq!(status, 200, "{html}");
        for id in [web, db01, evil] {
            assert!(html.contains(&format!("href=\"/agent/cmdb/{id}\"")), "{id} listed: {html}");
        }
        assert!(html.contains(&esc("<script>x</script>")) && !html.contains("<script>x</script>"), "{html}");
        assert!(html.contains("href=\"/agent/cmdb\" id=\"nav-cmdb\""), "the nav links the CMDB");

        let (_, html) = page(&agent, "/agent/cmdb?q=WEB").await;
        assert!(html.contains("web01") && !html.contains("db01"), "{html}");
        let (_, html) = page(&agent, "/agent/cmdb?q=&class=database").await;
        assert!(html.contains("db01") && !html.contains("web01"), "{html}");
        let (_, html) = page(&agent, "/agent/cmdb?q=nothing-like-this").await;
        assert!(html.contains("id=\"no-cis\""), "{html}");
        let (_, html) = page(&agent, "/agent/cmdb?stale=on").await;
        assert!(html.contains("id=\"no-cis\""), "nothing was reported by a source: {html}");

        // The CI page shows its name, attributes and impact graph as text.
        let (status, html) = page(&agent, &format!("/agent/cmdb/{evil}")).await;
        assert_eq!(status, 200, "{html}");
        assert!(!html.contains("<script>x</script>") && !html.contains("<b>Acme</b>"), "{html}");
        assert!(html.contains(&format!("<span id=\"ci-name\">{}</span>", esc("<script>x</script>"))), "{html}");
        assert!(html.contains(&esc("<b>Acme</b>")), "{html}");
        assert!(html.contains("<svg") && html.contains(&format!("id=\"node-{evil}\"")), "{html}");
        let (status, _) = page(&agent, "/agent/cmdb/999999").await;
        assert_eq!(status, 404);

        // Requesters are refused, pages and forms alike.
        let requester = session_with(&server, &requester.email, PASSWORD).await;
        for path in ["/agent/cmdb".to_string(), format!("/agent/cmdb/{web}")] {
            let (status, html) = page(&requester, &path).await;
            assert_eq!(status, 403, "{path}: {html}");
            assert!(!html.contains("web01"), "{html}");
        }
        let (status, _, _) = post_form(&requester, "/agent/cmdb", &[("class", "server"), ("name", "mine")], true).await;
        assert_eq!(status, 403);
        server.stop().await;
    }

    async fn items_are_created_edited_and_refused_in_words(db: TestDb) {
        let server = db.start().await;
        let (agent, _) = server.user("agent").await;
        let agent = session_with(&server, &agent.email, PASSWORD).await;

        // A refused item comes back with what was typed and the reason next to the field.
        let fields = [("class", "server"), ("name", "app02"), ("status", "live"), ("attributes", "cpu_count=eight\nos=Debian\ncolour=red")];
        let (status, _, html) = post_form(&agent, "/agent/cmdb", &fields, true).await;
        assert_eq!(status, 422, "{html}");
        assert!(field_error(&html, "err-attributes").contains("cpu_count: write a number"), "{html}");
        assert!(html.contains("cpu_count=eight"), "typed values stay: {html}");
        // Past the form's own checks, the application's reasons, each next to its field.
        let fields = [("class", "server"), ("name", " "), ("attributes", "ip_address=300.1.1.1\ncolour=red")];
        let (status, _, html) = post_form(&agent, "/agent/cmdb", &fields, true).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("ip_address: an IP address such as"), "{html}");
        assert!(html.contains("colour: this class has no attribute"), "{html}");
        assert!(!field_error(&html, "err-name").is_empty(), "{html}");
        let (status, _, html) = post_form(&agent, "/agent/cmdb", &[("class", "server"), ("name", "x"), ("attributes", "no equals sign")], true).await;
        assert_eq!(status, 422);
        assert!(field_error(&html, "err-attributes").contains("line 1: write key=value"), "{html}");

        // Without the CSRF token nothing is created; with it the item's page opens.
        let fields = [("class", "server"), ("name", "app02"), ("status", "maintenance"), ("attributes", "cpu_count=8\nvirtual=yes")];
        let (status, _, _) = post_form(&agent, "/agent/cmdb", &fields, false).await;
        assert_eq!(status, 403);
        let (status, url, html) = post_form(&agent, "/agent/cmdb", &fields, true).await;
        assert_eq!(status, 200, "{html}");
        let id: i64 = url.rsplit('/').next().and_then(|x| x.parse().ok()).expect("the new item's page");
        let made = server.app().ci(&Actor::system(), id).await.expect("ci");
        assert_eq!((made.status.as_str(), made.version), ("maintenance", 1));
        assert_eq!(made.attributes.get("cpu_count"), Some(&json!(8)));
        assert_eq!(made.attributes.get("virtual"), Some(&json!(true)));
        assert!(html.contains("Configuration item created."), "{html}");

        // An edit against the version it was rendered with; a line left out removes it.
        let path = format!("/agent/cmdb/{id}");
        let edit = [("version", "1"), ("name", "app02"), ("status", "live"), ("attributes", "cpu_count=16")];
        let (status, _, html) = post_form(&agent, &path, &edit, true).await;
        assert_eq!(status, 200, "{html}");
        let now = server.app().ci(&Actor::system(), id).await.expect("ci");
        assert_eq!(now.version, 2);
        assert_eq!(Value::Object(now.attributes), json!({"cpu_count": 16}));
        assert!(html.contains("cpu_count: 8 → 16"), "the history says what changed: {html}");
        // The page reads the item as it was at an instant.
        let then = made.created_at.0.to_string();
        let (status, html) = page(&agent, &format!("{path}?at={then}")).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("id=\"as-it-was\"") && html.contains("cpu_count: 8") && html.contains("version 1"), "{html}");
        let (_, html) = page(&agent, &format!("{path}?at=2001-01-01T00:00")).await;
        assert!(html.contains("did not exist yet"), "{html}");
        let (_, html) = page(&agent, &format!("{path}?at=last%20week")).await;
        assert!(html.contains("id=\"at-error\""), "{html}");
        // The same form again is stale: nothing is saved and the typed values are shown.
        let stale = [("version", "1"), ("name", "renamed"), ("status", "live"), ("attributes", "")];
        let (status, _, html) = post_form(&agent, &path, &stale, true).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("id=\"stale\"") && html.contains("renamed"), "{html}");
        assert_eq!(server.app().ci(&Actor::system(), id).await.expect("ci").name, "app02");

        // Identifiers are edited as lines, normalised, and refused in words.
        let ids = [("version", "2"), ("name", "app02"), ("status", "live"), ("attributes", "cpu_count=16"),
                   ("identifiers", "serial=sn-77\nmac=aa-bb-cc-dd-ee-ff")];
        let (status, _, html) = post_form(&agent, &path, &ids, true).await;
        assert_eq!(status, 200, "{html}");
        let now = server.app().ci(&Actor::system(), id).await.expect("ci");
        assert_eq!(Value::Object(now.identifiers), json!({"serial": "SN-77", "mac": "AA:BB:CC:DD:EE:FF"}));
        let bad = [("version", "3"), ("name", "app02"), ("status", "live"), ("attributes", "cpu_count=16"),
                   ("identifiers", "colour=blue")];
        let (status, _, html) = post_form(&agent, &path, &bad, true).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("id=\"err-identifiers\"") && html.contains("line 1: write kind=value"), "{html}");

        // Deleting leads back to the list, where it is gone.
        let (status, url, html) = post_form(&agent, &format!("{path}/delete"), &[], true).await;
        assert_eq!((status, url.as_str()), (200, "/agent/cmdb"), "{html}");
        assert!(html.contains("Configuration item deleted.") && !html.contains("app02"), "{html}");
        let (_, html) = page(&agent, &path).await;
        assert!(html.contains("id=\"ci-deleted\"") && !html.contains("id=\"edit-ci\""), "{html}");
        server.stop().await;
    }

    async fn relationships_are_added_and_removed_through_the_forms(db: TestDb) {
        let server = db.start().await;
        let (agent, _) = server.user("agent").await;
        let app = ci(&server, "application", "payroll-app", json!({})).await;
        let srv = ci(&server, "server", "srv-payroll", json!({})).await;
        let svc = ci(&server, "business_service", "Payroll", json!({})).await;
        let agent = session_with(&server, &agent.email, PASSWORD).await;
        let add = format!("/agent/cmdb/{app}/relationships");

        // By id, from this item's side; then by a name search, from the other's side.
        let srv_id = srv.to_string();
        let (status, url, html) = post_form(&agent, &add, &[("direction", "out"), ("type", "runs_on"), ("other", &srv_id)], true).await;
        assert_eq!((status, url.as_str()), (200, format!("/agent/cmdb/{app}").as_str()), "{html}");
        assert!(html.contains("Relationship added."), "{html}");
        let (status, _, html) = post_form(&agent, &add, &[("direction", "in"), ("type", "depends_on"), ("other", "payroll")], true).await;
        assert_eq!(status, 422, "two items match the search: {html}");
        assert!(html.contains("Several configuration items match"), "{html}");
        let svc_id = format!("#{svc}");
        let (status, _, html) = post_form(&agent, &add, &[("direction", "in"), ("type", "depends_on"), ("other", &svc_id)], true).await;
        assert_eq!(status, 200, "{html}");
        let rels = server.app().ci_relationships(&Actor::system(), app).await.expect("relationships");
        assert_eq!(rels.len(), 2);
        assert!(rels.iter().any(|r| (r.source, r.rel.as_str(), r.target) == (app, "runs_on", srv)));
        assert!(rels.iter().any(|r| (r.source, r.rel.as_str(), r.target) == (svc, "depends_on", app)));

        // Each side reads it its own way.
        let (_, html) = page(&agent, &format!("/agent/cmdb/{app}")).await;
        assert!(html.contains(&format!("runs on <a href=\"/agent/cmdb/{srv}\">srv-payroll</a>")), "{html}");
        assert!(html.contains(&format!("is needed by <a href=\"/agent/cmdb/{svc}\">Payroll</a>")), "{html}");
        let (_, html) = page(&agent, &format!("/agent/cmdb/{srv}")).await;
        assert!(html.contains(&format!("runs <a href=\"/agent/cmdb/{app}\">payroll-app</a>")), "{html}");
        // Downstream of the server: the application and the service, and the service is reached.
        assert!(html.contains(&format!("id=\"node-{app}\"")) && html.contains(&format!("id=\"node-{svc}\"")), "{html}");
        assert!(html.contains("class=\"impact-service\""), "{html}");
        // Upstream of the server: nothing but itself.
        let (_, html) = page(&agent, &format!("/agent/cmdb/{srv}?direction=upstream&depth=2")).await;
        assert!(html.contains(&format!("id=\"node-{srv}\"")) && !html.contains(&format!("id=\"node-{app}\"")), "{html}");

        // Refused: a type the rules do not allow between the classes, a relationship to itself.
        let app_id = app.to_string();
        let (status, _, html) = post_form(&agent, &format!("/agent/cmdb/{srv}/relationships"), &[("direction", "out"), ("type", "runs_on"), ("other", &app_id)], true).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("The relationship was not added"), "{html}");
        let (status, _, html) = post_form(&agent, &add, &[("direction", "out"), ("type", "uses"), ("other", &app_id)], true).await;
        assert_eq!(status, 422);
        assert!(html.contains("cannot relate to itself"), "{html}");

        // Removing one: without the token nothing happens; with it, it is gone (and in the history).
        let rel = rels.iter().find(|r| r.target == srv).expect("runs on").id;
        let remove = format!("/agent/cmdb/{app}/relationships/{rel}/delete");
        let (status, _, _) = post_form(&agent, &remove, &[], false).await;
        assert_eq!(status, 403);
        let (status, _, html) = post_form(&agent, &remove, &[], true).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Relationship removed.") && html.contains("relationship removed"), "{html}");
        let rels = server.app().ci_relationships(&Actor::system(), app).await.expect("relationships");
        assert_eq!(rels.len(), 1);
        // The history says both changes came through the web UI.
        let history = server.app().ci_history(&Actor::system(), app).await.expect("history");
        let sources: Vec<(&str, &str)> = history
            .iter()
            .filter(|e| e.event.starts_with("relationship"))
            .map(|e| (e.event.as_str(), e.source.as_str()))
            .collect();
        assert_eq!(sources, [("relationship_added", "web"), ("relationship_added", "web"), ("relationship_removed", "web")]);
        let (_, _, html) = post_form(&agent, &remove, &[], true).await;
        assert!(html.contains("already removed"), "{html}");
        server.stop().await;
    }

    async fn the_class_editor_takes_attribute_lines_and_names_bad_ones(db: TestDb) {
        let server = db.start().await;
        let (admin, _) = server.user("admin").await;
        let (agent, _) = server.user("agent").await;
        let admin = session_with(&server, &admin.email, PASSWORD).await;

        let (status, html) = page(&admin, "/admin/cmdb/classes").await;
        assert_eq!(status, 200);
        assert!(html.contains("id=\"class-business_service\"") && html.contains("cpu_count:number"), "{html}");
        assert!(html.contains("href=\"/admin/cmdb/classes\" id=\"nav-ci-classes\""), "{html}");

        // A line with an unknown type and one without a type: each named by its line.
        let bad = [("name", "Printer"), ("attributes", "ports:number\n\ncolour:paint")];
        let (status, _, html) = post_form(&admin, "/admin/cmdb/classes", &bad, true).await;
        assert_eq!(status, 422, "{html}");
        assert!(field_error(&html, "err-attributes").contains("line 3: type is one of"), "{html}");
        assert!(html.contains("colour:paint"), "typed lines stay: {html}");
        let (status, _, html) = post_form(&admin, "/admin/cmdb/classes", &[("name", "Printer"), ("attributes", "ports")], true).await;
        assert_eq!(status, 422);
        assert!(field_error(&html, "err-attributes").contains("line 1: write key:type"), "{html}");
        let (status, _, html) = post_form(&admin, "/admin/cmdb/classes", &[("name", "Printer"), ("attributes", "tier:select")], true).await;
        assert_eq!(status, 422);
        assert!(field_error(&html, "err-attributes").contains("line 1: a select attribute needs its options"), "{html}");

        let good = [("name", "Printer"), ("key", ""), ("attributes", "ports:number:required\ntier:select:gold|silver")];
        let (status, url, html) = post_form(&admin, "/admin/cmdb/classes", &good, true).await;
        assert_eq!((status, url.as_str()), (200, "/admin/cmdb/classes"), "{html}");
        assert!(html.contains("Created.") && html.contains("id=\"class-printer\""), "{html}");
        assert!(html.contains("ports:number:required\ntier:select:gold|silver"), "{html}");

        // Editing replaces the attributes; a bad line leaves the class as it was.
        let (status, _, html) = post_form(&admin, "/admin/cmdb/classes/printer", &[("name", "Printer"), ("attributes", "Ports:number")], true).await;
        assert_eq!(status, 422);
        assert!(field_error(&html, "err-attributes-printer").contains("line 1:"), "{html}");
        let (status, _, html) = post_form(&admin, "/admin/cmdb/classes/printer", &[("name", "Printers"), ("attributes", "ports:number")], true).await;
        assert_eq!(status, 200, "{html}");
        let classes = server.app().ci_classes(&Actor::system()).await.expect("classes");
        let printer = classes.iter().find(|c| c.key == "printer").expect("printer");
        assert_eq!((printer.name.as_str(), printer.attributes.len()), ("Printers", 1));

        // Only admins edit classes.
        let agent = session_with(&server, &agent.email, PASSWORD).await;
        let (status, _) = page(&agent, "/admin/cmdb/classes").await;
        assert_eq!(status, 403);
        let (status, _, _) = post_form(&agent, "/admin/cmdb/classes", &good, true).await;
        assert_eq!(status, 422, "the application refuses an agent");
        server.stop().await;
    }

    async fn tickets_name_configuration_items_from_their_forms(db: TestDb) {
        let server = db.start().await;
        let (agent_user, _) = server.user("agent").await;
        let (requester_user, _) = server.user("requester").await;
        let svc = ci(&server, "business_service", "Mail <service>", json!({})).await;
        let srv = ci(&server, "server", "mx01", json!({})).await;
        let agent = session_with(&server, &agent_user.email, PASSWORD).await;

        // The agent's new-ticket form offers the service and names it as affected.
        let (_, html) = page(&agent, "/agent/new").await;
        assert!(html.contains(&format!("<option value=\"{svc}\">{}</option>", esc("Mail <service>"))), "{html}");
        let svc_id = svc.to_string();
        let fields = [("kind", "incident"), ("title", "No mail"), ("impact", "2"), ("urgency", "2"), ("service", svc_id.as_str())];
        let (status, url, html) = post_form(&agent, "/agent/new", &fields, true).await;
        assert_eq!(status, 200, "{html}");
        let number = url.rsplit('/').next().expect("number").to_string();
        assert!(html.contains("id=\"ticket-cis\"") && html.contains(&esc("Mail <service>")), "{html}");
        let named = server.app().ticket_cis(&Actor::system(), &number).await.expect("cis");
        assert_eq!(named.iter().map(|c| (c.ci, c.role.as_str())).collect::<Vec<_>>(), vec![(svc, "affected")]);

        // The card names another by search, as the cause, and removes one.
        let path = format!("/agent/tickets/{number}/cis");
        let (status, _, html) = post_form(&agent, &path, &[("ci", "mx01"), ("role", "cause")], true).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains(&format!("href=\"/agent/cmdb/{srv}\">mx01</a>")), "{html}");
        let (_, _, html) = post_form(&agent, &path, &[("ci", "no such thing")], true).await;
        assert!(html.contains("No configuration item matches"), "{html}");
        let (status, _, _) = post_form(&agent, &format!("{path}/{svc}/remove"), &[], true).await;
        assert_eq!(status, 200);
        let named = server.app().ticket_cis(&Actor::system(), &number).await.expect("cis");
        assert_eq!(named.iter().map(|c| (c.ci, c.role.as_str())).collect::<Vec<_>>(), vec![(srv, "cause")]);
        // The server's page lists the ticket.
        let (_, html) = page(&agent, &format!("/agent/cmdb/{srv}")).await;
        assert!(html.contains(&format!("href=\"/agent/tickets/{number}\"")), "{html}");

        // The portal offers the services offered to the requester, and names the one picked.
        let requester = session_with(&server, &requester_user.email, PASSWORD).await;
        let (_, html) = page(&requester, "/portal/new").await;
        assert!(html.contains(&format!("<option value=\"{svc}\">")) && !html.contains("mx01"), "{html}");
        let form = reqwest::multipart::Form::new()
            .text("csrf", requester.csrf.clone().unwrap_or_default())
            .text("kind", "incident")
            .text("title", "Mail is down")
            .text("description", "")
            .text("service", svc_id.clone());
        let res = requester.http.post(format!("{}/portal/new", requester.base)).multipart(form).send().await.expect("post");
        assert_eq!(res.status().as_u16(), 200);
        let number = res.url().path().rsplit('/').next().expect("number").to_string();
        assert!(number.starts_with("INC-"), "{number}");
        let named = server.app().ticket_cis(&Actor::system(), &number).await.expect("cis");
        assert_eq!(named.iter().map(|c| (c.ci, c.role.as_str())).collect::<Vec<_>>(), vec![(svc, "affected")]);
        // A CI that is not an offered service is refused, and the ticket page says so.
        let form = reqwest::multipart::Form::new()
            .text("csrf", requester.csrf.clone().unwrap_or_default())
            .text("kind", "incident")
            .text("title", "Server?")
            .text("service", srv.to_string());
        let res = requester.http.post(format!("{}/portal/new", requester.base)).multipart(form).send().await.expect("post");
        let html = res.text().await.expect("body");
        assert!(html.contains("the affected service could not be named"), "{html}");
        server.stop().await;
    }

    async fn admins_edit_relationship_rules_and_the_stale_threshold_on_the_cmdb_page(db: TestDb) {
        let server = db.start().await;
        let (admin, _) = server.user("admin").await;
        let (agent, _) = server.user("agent").await;
        let admin = session_with(&server, &admin.email, PASSWORD).await;
        let rules = || async { server.app().relationship_rules(&Actor::system()).await.expect("rules") };
        let before = rules().await;

        let (status, html) = page(&admin, "/admin/cmdb/classes").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("id=\"relationship-rules\"") && html.contains(&format!("id=\"rule-{}\"", before[0].id)), "{html}");
        assert!(html.contains("value=\"30\""), "the default threshold: {html}");

        let fields = [("source_class", "storage"), ("type", "runs_on"), ("target_class", "")];
        let (status, url, html) = post_form(&admin, "/admin/cmdb/rules", &fields, true).await;
        assert_eq!((status, url.as_str()), (200, "/admin/cmdb/classes"), "{html}");
        assert!(html.contains("Added."), "{html}");
        let added = rules().await.into_iter().find(|r| r.source_class.as_deref() == Some("storage") && r.rel == "runs_on")
            .expect("the rule is stored");
        assert_eq!(added.target_class, None, "an empty select is any class");
        assert!(html.contains(&format!("id=\"rule-{}\"", added.id)), "{html}");
        // The same rule twice is refused in words.
        let (status, _, _) = post_form(&admin, "/admin/cmdb/rules", &fields, true).await;
        assert_eq!(status, 422);

        let (status, _, html) = post_form(&admin, &format!("/admin/cmdb/rules/{}/remove", added.id), &[], true).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Removed.") && !html.contains(&format!("id=\"rule-{}\"", added.id)), "{html}");
        assert_eq!(rules().await.len(), before.len());

        let (status, _, html) = post_form(&admin, "/admin/cmdb/settings", &[("stale_after_days", "0")], true).await;
        assert_eq!(status, 422, "{html}");
        let (status, _, html) = post_form(&admin, "/admin/cmdb/settings", &[("stale_after_days", "14")], true).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Saved.") && html.contains("value=\"14\""), "{html}");
        assert_eq!(server.app().cmdb_settings(&Actor::system()).await.expect("settings").stale_after_days, 14);

        // Agents change neither.
        let agent = session_with(&server, &agent.email, PASSWORD).await;
        let (status, _, _) = post_form(&agent, "/admin/cmdb/rules", &fields, true).await;
        assert_eq!(status, 422, "the application refuses an agent");
        let (status, _, _) = post_form(&agent, "/admin/cmdb/settings", &[("stale_after_days", "3")], true).await;
        assert_eq!(status, 422);
        assert_eq!(server.app().cmdb_settings(&Actor::system()).await.expect("settings").stale_after_days, 14);
        server.stop().await;
    }
}
