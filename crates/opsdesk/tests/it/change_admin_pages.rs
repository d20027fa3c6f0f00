//! The change management admin pages over HTTP (no browser): templates, blackout windows, a
//! desk's risk questionnaire, CAB approval policies and a CI's maintenance window, each
//! created and listed through its page with a refused form showing its error; non-admins
//! refused; the CAB's view of a change on the Approvals page; the demo desk's changes.

use crate::both_backends;
use crate::helpers::*;
use opsdesk_app::approvals::MailPurpose;
use opsdesk_app::changes::{ChangeInput, OverrideInput};
use opsdesk_app::tickets::{CreateTicket, TransitionInput};
use opsdesk_domain::Actor;
use serde_json::{json, Map, Value};

const PASSWORD: &str = "a long enough password";

async fn ci(server: &TestServer, class: &str, name: &str) -> i64 {
    system_ci(server.app(), class, name).await
}

fn safe() -> Map<String, Value> {
    json!({"tested": "yes", "outage": "none", "backout": "easy", "experience": "often"})
        .as_object()
        .cloned()
        .expect("map")
}

async fn change(server: &TestServer, requester: i64, title: &str, start: &str, end: &str, cis: Vec<i64>) -> String {
    let input = CreateTicket {
        kind: "change".into(),
        title: title.into(),
        requester: Some(opsdesk_app::tickets::Ref::Id(requester)),
        change: Some(ChangeInput {
            change_type: Some("normal".into()),
            planned_start: Some(start.into()),
            planned_end: Some(end.into()),
            risk_answers: safe(),
            cis,
            ..Default::default()
        }),
        ..Default::default()
    };
    server.app().create_ticket(&Actor::system(), input).await.expect("change").number
}

async fn move_to(server: &TestServer, number: &str, to: &str) {
    let input = TransitionInput { to: to.into(), ..Default::default() };
    server.app().transition_ticket(&Actor::system(), number, None, input).await.expect(to);
}

both_backends! {
    async fn templates_and_blackouts_are_created_listed_and_refused_through_their_pages(db: TestDb) {
        let server = db.start().await;
        let (admin, _) = server.user("admin").await;
        ci(&server, "server", "db-prod-01").await;
        let web = session_with(&server, &admin.email, PASSWORD).await;

        let (status, html) = page(&web, "/admin/changes/templates").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("id=\"nav-change-templates\"") && html.contains("id=\"tpl-risk-tested\""), "{html}");
        // An empty name: refused on the form, with what was typed kept.
        let (status, _, html) = post_form(&web, "/admin/changes/templates", &[
            ("name", " "), ("type", "standard"), ("tasks", "Drain <traffic>"),
        ], true).await;
        assert_eq!(status, 422, "{html}");
        assert!(!field_error(&html, "err-name").is_empty(), "{html}");
        assert!(html.contains(&esc("Drain <traffic>")), "the tasks are kept: {html}");
        let (status, path, html) = post_form(&web, "/admin/changes/templates", &[
            ("name", "Restart <app>"), ("type", "standard"), ("backout_plan", "start the old build"),
            ("risk.tested", "yes"), ("tasks", "Drain traffic\n+Notify\nRestart"),
        ], true).await;
        assert_eq!((status, path.as_str()), (200, "/admin/changes/templates"), "{html}");
        assert!(html.contains(&esc("Restart <app>")) && html.contains("Drain traffic → Notify (beside the one before) → Restart"), "{html}");
        let list = server.app().change_templates(&Actor::system()).await.expect("templates");
        let t = &list[0];
        assert_eq!((t.change_type.as_str(), t.tasks.len(), t.risk_answers["tested"].as_str()), ("standard", 3, Some("yes")));
        let (_, _, html) = post_form(&web, &format!("/admin/changes/templates/{}/active", t.id), &[("active", "false")], true).await;
        assert!(html.contains(&format!("id=\"activate-{}\"", t.id)), "retired: {html}");

        let (status, html) = page(&web, "/admin/changes/blackouts").await;
        assert_eq!(status, 200, "{html}");
        let (status, _, html) = post_form(&web, "/admin/changes/blackouts", &[
            ("name", "Freeze"), ("from", "2030-12-20T00:00"), ("until", "2030-12-19T00:00"), ("scope", "all"),
        ], true).await;
        assert_eq!(status, 422, "{html}");
        assert!(!field_error(&html, "err-until").is_empty(), "{html}");
        let (status, _, html) = post_form(&web, "/admin/changes/blackouts", &[
            ("name", "Freeze"), ("from", "2030-12-20T00:00"), ("until", "2030-12-24T00:00"), ("scope", "cis"), ("cis", "no such item"),
        ], true).await;
        assert_eq!(status, 422, "{html}");
        assert!(field_error(&html, "err-scope-cis").starts_with("line 1: "), "{html}");
        let (status, _, html) = post_form(&web, "/admin/changes/blackouts", &[
            ("name", "Database freeze"), ("from", "2030-12-20T00:00"), ("until", "2030-12-24T00:00"), ("scope", "cis"), ("cis", "db-prod-01"),
        ], true).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Database freeze") && html.contains("<td>db-prod-01</td>"), "{html}");
        let (_, _, html) = post_form(&web, "/admin/changes/blackouts", &[
            ("name", "Year end"), ("from", "2030-12-27T00:00"), ("until", "2031-01-02T00:00"), ("scope", "all"),
        ], true).await;
        assert!(html.contains("<td>everything</td>"), "{html}");
        let blackouts = server.app().blackouts(&Actor::system()).await.expect("blackouts");
        assert_eq!(blackouts.len(), 2);
        let (_, _, html) = post_form(&web, &format!("/admin/changes/blackouts/{}/delete", blackouts[0].id), &[], true).await;
        assert!(!html.contains(&format!("id=\"blackout-{}\"", blackouts[0].id)), "{html}");
    }

    async fn questionnaires_and_cab_policies_are_edited_through_their_pages(db: TestDb) {
        let server = db.start().await;
        let (admin, _) = server.user("admin").await;
        let (member, _) = server.user("agent").await;
        let web = session_with(&server, &admin.email, PASSWORD).await;

        let (status, html) = page(&web, "/admin/changes/questionnaire").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("uses the standard questionnaire") && html.contains("- yes: Yes, fully = 0"), "{html}");
        let desk = server.app().desks().await.expect("desks")[0].id.to_string();
        let (status, _, html) = post_form(&web, "/admin/changes/questionnaire", &[
            ("desk", &desk), ("questions", "tested: Tested?\n- yes: Yes = 0\n- no: No = 500"),
        ], true).await;
        assert_eq!(status, 422, "{html}");
        assert!(field_error(&html, "err-questions").starts_with("line 3: "), "{html}");
        assert!(html.contains("- no: No = 500"), "the lines are kept: {html}");
        let (status, _, html) = post_form(&web, "/admin/changes/questionnaire", &[
            ("desk", &desk), ("questions", "db: Does it touch a database?\n- no: No = 0\n- yes: Yes = 20"),
        ], true).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("has its own questionnaire") && html.contains("id=\"use-standard\""), "{html}");
        let desk_id = opsdesk_app::tickets::Ref::Id(desk.parse().expect("id"));
        let q = server.app().change_questionnaire(&Actor::system(), &desk_id).await.expect("questionnaire");
        assert!(q.own && q.questions[0].key == "db", "{q:?}");
        let (_, _, html) = post_form(&web, "/admin/changes/questionnaire/standard", &[("desk", &desk)], true).await;
        assert!(html.contains("uses the standard questionnaire"), "{html}");

        let (status, html) = page(&web, "/admin/changes/policies").await;
        assert_eq!(status, 200, "{html}");
        let (status, _, html) = post_form(&web, "/admin/changes/policies", &[
            ("name", "CAB"), ("type", "normal"), ("risk_class", ""), ("stages", "group CAB"),
        ], true).await;
        assert_eq!(status, 422, "{html}");
        assert!(field_error(&html, "err-stages").starts_with("line 1: "), "{html}");
        let (status, _, html) = post_form(&web, "/admin/changes/policies", &[
            ("name", "CAB"), ("type", "normal"), ("risk_class", ""), ("stages", "\n0: nobody@example.test"),
        ], true).await;
        assert_eq!(status, 422, "none of them: {html}");
        assert!(field_error(&html, "err-stages").starts_with("line 2: "), "{html}");
        let stages = format!("all: {}", member.email);
        let (status, _, html) = post_form(&web, "/admin/changes/policies", &[
            ("name", "High risk CAB"), ("type", "normal"), ("risk_class", "high"), ("stages", &stages),
        ], true).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("High risk CAB") && html.contains(&format!("<code>all: {}</code>", member.email)), "{html}");
        // The same type and class again replaces the policy.
        let stages = format!("1: {}, manager", member.id);
        post_form(&web, "/admin/changes/policies", &[
            ("name", "CAB for high risk"), ("type", "normal"), ("risk_class", "high"), ("stages", &stages),
        ], true).await;
        let policies = server.app().change_approval_policies(&Actor::system()).await.expect("policies");
        assert_eq!(policies.len(), 1, "{policies:?}");
        assert_eq!(policies[0].name, "CAB for high risk");
        let (_, _, html) = post_form(&web, &format!("/admin/changes/policies/{}/delete", policies[0].id), &[], true).await;
        assert!(html.contains("No policies yet"), "{html}");
    }

    async fn a_cis_maintenance_window_is_set_and_cleared_on_its_page(db: TestDb) {
        let server = db.start().await;
        let (admin, _) = server.user("admin").await;
        let id = ci(&server, "server", "db-prod-01").await;
        let web = session_with(&server, &admin.email, PASSWORD).await;
        let path = format!("/agent/cmdb/{id}");
        let (status, html) = page(&web, &path).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("id=\"maintenance-form\"") && html.contains("None: changes may run at any time."), "{html}");
        let (status, _, html) = post_form(&web, &format!("{path}/maintenance"), &[
            ("time_zone", "Europe/Berlin"), ("hours.sat", "22:00-25:00"),
        ], true).await;
        assert_eq!(status, 422, "{html}");
        assert!(!field_error(&html, "err-sat").is_empty() && html.contains("22:00-25:00"), "{html}");
        let (status, _, html) = post_form(&web, &format!("{path}/maintenance"), &[
            ("time_zone", "Europe/Berlin"), ("hours.sat", "22:00-24:00"), ("hours.sun", "00:00-04:00"),
        ], true).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Sat 22:00-24:00 · Sun 00:00-04:00 (Europe/Berlin)"), "{html}");
        let w = server.app().maintenance_window(&Actor::system(), id).await.expect("window");
        assert_eq!(w.window.expect("set").hours["sat"], ["22:00-24:00"]);
        let (_, _, html) = post_form(&web, &format!("{path}/maintenance/clear"), &[], true).await;
        assert!(html.contains("None: changes may run at any time."), "{html}");
    }

    async fn agents_may_not_change_the_settings(db: TestDb) {
        let server = db.start().await;
        let (agent, _) = server.user("agent").await;
        let id = ci(&server, "server", "db-prod-01").await;
        let web = session_with(&server, &agent.email, PASSWORD).await;
        for path in ["/admin/changes/templates", "/admin/changes/blackouts", "/admin/changes/questionnaire", "/admin/changes/policies"] {
            assert_eq!(page(&web, path).await.0, 403, "{path}");
        }
        let (status, _, _) = post_form(&web, "/admin/changes/templates", &[("name", "Mine"), ("type", "standard")], true).await;
        assert_ne!(status, 200);
        assert!(server.app().change_templates(&Actor::system()).await.expect("templates").is_empty());
        let (status, html) = page(&web, &format!("/agent/cmdb/{id}")).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("id=\"maintenance-summary\"") && !html.contains("id=\"maintenance-form\""), "{html}");
        let (status, _, _) = post_form(&web, &format!("/agent/cmdb/{id}/maintenance"), &[("time_zone", "UTC"), ("hours.sat", "22:00-24:00")], true).await;
        assert_eq!(status, 403);
        assert!(server.app().maintenance_window(&Actor::system(), id).await.expect("window").window.is_none());
    }

    async fn the_cab_sees_the_risk_and_the_conflicts_beside_the_approval(db: TestDb) {
        let server = db.start().await;
        let (member, _) = server.user("agent").await;
        let db01 = ci(&server, "server", "db-prod-01").await;
        let input = opsdesk_app::changes::ApprovalPolicyInput {
            name: "CAB".into(), change_type: "normal".into(), risk_class: None,
            stages: json!([{"approvers": {"users": [member.id]}, "rule": "any"}]),
        };
        server.app().put_change_approval_policy(&Actor::system(), input).await.expect("policy");
        let first = change(&server, member.id, "Patch the db", "2030-03-06T22:00:00Z", "2030-03-07T00:00:00Z", vec![db01]).await;
        move_to(&server, &first, "assessment").await;
        let second = change(&server, member.id, "Reboot <the> db", "2030-03-06T23:00:00Z", "2030-03-07T01:00:00Z", vec![db01]).await;
        move_to(&server, &second, "assessment").await;
        let reason = OverrideInput { reason: "vendor <slot>".into() };
        server.app().override_change_conflicts(&Actor::system(), &second, reason).await.expect("override");
        move_to(&server, &second, "awaiting_approval").await;

        let web = session_with(&server, &member.email, PASSWORD).await;
        let (status, html) = page(&web, "/approvals").await;
        assert_eq!(status, 200, "{html}");
        let approval = server.app().ticket_approvals(&Actor::system(), &second).await.expect("approvals")[0].id;
        assert!(html.contains(&format!("id=\"cab-type-{approval}\">normal")), "{html}");
        assert!(html.contains(&format!("id=\"cab-risk-{approval}\">low (")), "{html}");
        assert!(html.contains(&format!("id=\"cab-factors-{approval}\"")), "{html}");
        assert!(html.contains(&format!("<a href=\"/agent/cmdb/{db01}\">db-prod-01</a>")), "{html}");
        assert!(html.contains(&format!("id=\"cab-conflicts-{approval}\"")) && html.contains(&first) && html.contains("overridden"), "{html}");
        assert!(html.contains(&format!("id=\"cab-override-{approval}\">Conflicts overridden: {}", esc("vendor <slot>"))), "{html}");
        assert!(html.contains(&esc("Reboot <the> db")), "{html}");

        // The signed link of the approval mail shows the same, to a reader not signed in.
        crate::mail::set_desk_address(server.app(), "hold").await;
        let stage = server.app().db.approval_record(approval).await.expect("record").stages[0].id;
        let mail = server.app().compose_approval_mail(stage, member.id, MailPurpose::Request, "test").await;
        let text = opsdesk_mail::InboundMail::parse(&mail.expect("composed").expect("a mail").raw).text;
        let at = text.find("/approvals/link/").expect("a link in the mail");
        let link: String = text[at..].chars().take_while(|c| !c.is_whitespace()).collect();
        let (status, html) = page(&server.anonymous(), &link).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("id=\"cab-risk-link\">low (") && html.contains("id=\"cab-conflicts-link\""), "{html}");
        assert!(html.contains("<dd id=\"cab-cis-link\">db-prod-01</dd>"), "no CI links for a reader not signed in: {html}");
    }

    async fn the_demo_desk_has_changes_for_the_calendar_and_the_cab(db: TestDb) {
        let server = db.start_with(opsdesk::server::Role::Web, true).await;
        let app = server.app();
        let (admin, _) = app.actor_for(1).await.expect("admin");
        for q in ["kind:change status:scheduled", "kind:change status:awaiting_approval", "kind:change status:closed", "kind:change status:draft"] {
            assert_eq!(app.count_tickets(&admin, q).await.expect("count"), 1, "the demo has {q}");
        }
        assert_eq!(app.change_templates(&admin).await.expect("templates").len(), 1);
        assert_eq!(app.blackouts(&admin).await.expect("blackouts").len(), 1);
        assert!(!app.change_approval_policies(&admin).await.expect("policies").is_empty());
        let web = session_with(&server, "admin@opsdesk.test", "opsdesk-admin").await;
        let (status, html) = page(&web, "/approvals").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Upgrade PostgreSQL on db-prod-01") && html.contains("Conflicts overridden:"), "{html}");
        let (status, html) = page(&web, "/agent/changes?view=list").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Weekly restart of the CRM"), "{html}");
        let report = app.change_report(&admin, "2000-01-01", "2100-01-01").await.expect("report");
        assert_eq!((report.rows[0].change_type.as_str(), report.rows[0].successful), ("all", 1), "{report:?}");
    }
}
