//! The change pages over HTTP (no browser): the new-change form (its errors keep what was
//! typed), the change card with risk factors, the conflicts panel and its override form, the
//! re-plan form, and the calendar's month, week and list views with the feed address.

use crate::both_backends;
use crate::helpers::*;
use opsdesk_domain::Actor;
use serde_json::json;

const PASSWORD: &str = "a long enough password";

async fn ci(server: &TestServer, class: &str, name: &str) -> i64 {
    system_ci(server.app(), class, name).await
}

fn number_in(path: &str) -> String {
    path.rsplit('/').next().unwrap_or_default().to_string()
}

both_backends! {
    async fn a_change_is_planned_checked_and_overridden_through_the_pages(db: TestDb) {
        let server = db.start().await;
        let (admin, _) = server.user("admin").await;
        let db01 = ci(&server, "server", "db-prod-01").await;
        let web = session_with(&server, &admin.email, PASSWORD).await;

        let (status, html) = page(&web, "/agent/changes/new").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("id=\"risk-questions\""), "{html}");
        // A window that ends before it starts: the error, and the typed title kept.
        let (status, _, html) = post_form(&web, "/agent/changes/new", &[
            ("type", "normal"), ("title", "Patch <db>"), ("planned_start", "2027-03-06T22:00"),
            ("planned_end", "2027-03-06T21:00"), ("cis", "db-prod-01"),
        ], true).await;
        assert_eq!(status, 200);
        assert!(html.contains("id=\"form-error\"") && html.contains("end after it starts"), "{html}");
        assert!(html.contains(&esc("Patch <db>")), "the title is kept: {html}");

        let answers = [("risk.tested", "yes"), ("risk.outage", "none"), ("risk.backout", "easy"), ("risk.experience", "often")];
        let mut fields = vec![("type", "normal"), ("title", "Patch the db"), ("planned_start", "2027-03-06T22:00"),
            ("planned_end", "2027-03-07T00:00"), ("cis", "db-prod-01")];
        fields.extend(answers);
        let (status, path, html) = post_form(&web, "/agent/changes/new", &fields, true).await;
        assert_eq!(status, 200, "{html}");
        let first = number_in(&path);
        assert!(first.starts_with("CHG-"), "{path}");
        assert!(html.contains("id=\"change-risk\">low"), "{html}");
        assert!(html.contains("id=\"no-conflicts\""), "{html}");
        assert!(html.contains("id=\"risk-factors\""), "{html}");

        // Drafts hold no window yet; submitted for assessment, the first one does.
        let to = opsdesk_app::tickets::TransitionInput { to: "assessment".into(), ..Default::default() };
        server.app().transition_ticket(&Actor::system(), &first, None, to).await.expect("assessment");
        let cis = format!("{db01}");
        let mut fields = vec![("type", "normal"), ("title", "Reboot the db"), ("planned_start", "2027-03-06T23:00"),
            ("planned_end", "2027-03-07T01:00"), ("cis", cis.as_str())];
        fields.extend(answers);
        let (_, path, html) = post_form(&web, "/agent/changes/new", &fields, true).await;
        let second = number_in(&path);
        assert!(html.contains("id=\"conflicts\"") && html.contains(&format!(">{first}</a>")), "{html}");
        assert!(html.contains("id=\"next-free\""), "{html}");
        let (_, _, html) = post_form(&web, &format!("/agent/tickets/{second}/change/override"), &[("reason", "vendor slot")], true).await;
        assert!(html.contains("id=\"override-reason\">Overridden: vendor slot"), "{html}");
        assert!(!html.contains("id=\"override-form\""), "nothing left to override: {html}");

        // Re-planning to a free window clears the conflict.
        let mut fields = vec![("version", ""), ("type", "normal"), ("planned_start", "2027-03-13T22:00"), ("planned_end", "2027-03-13T23:00")];
        fields.extend(answers);
        let t = server.app().ticket(&Actor::system(), &second).await.expect("ticket");
        let v = t.version.to_string();
        fields[0] = ("version", &v);
        let (_, _, html) = post_form(&web, &format!("/agent/tickets/{second}/change"), &fields, true).await;
        assert!(html.contains("id=\"no-conflicts\""), "{html}");

        let (status, html) = page(&web, "/agent/changes?view=month&at=2027-03-01").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("id=\"change-grid\"") && html.contains(&format!(">{first}</a>")) && html.contains(&format!(">{second}</a>")), "{html}");
        let (_, html) = page(&web, "/agent/changes?view=week&at=2027-03-13").await;
        assert!(html.contains(&format!(">{second}</a>")) && !html.contains(&format!(">{first}</a>")), "{html}");
        let (_, html) = page(&web, "/agent/changes?view=list&at=2027-03-01&q=Reboot").await;
        assert!(html.contains("id=\"change-list\"") && html.contains("Reboot the db") && !html.contains("Patch the db"), "{html}");
        let (_, _, html) = post_form(&web, "/agent/changes/feed", &[], true).await;
        assert!(html.contains("id=\"feed-url\"") && html.contains("calendar.ics?token=ocf_"), "{html}");
        assert!(html.contains("id=\"nav-changes\""), "the nav links the calendar");
    }
}

both_backends! {
    async fn a_busy_day_of_the_month_lists_six_changes_and_links_its_week_for_the_rest(db: TestDb) {
        let server = db.start().await;
        let (admin, api) = server.user("admin").await;
        for n in 0..8 {
            let r = api.post("/api/v1/tickets", json!({"kind": "change", "title": format!("Busy change {n}"),
                "change": {"type": "normal", "planned_start": "2027-04-14T08:00:00Z", "planned_end": "2027-04-14T09:00:00Z"}})).await;
            assert_eq!(r.status, 201, "{:?}", r.body);
        }
        let web = session_with(&server, &admin.email, PASSWORD).await;
        let (status, html) = page(&web, "/agent/changes?view=month&at=2027-04-01").await;
        assert_eq!(status, 200, "{html}");
        assert_eq!(html.matches("class=\"cal-entry\"").count(), 6, "{html}");
        assert!(html.contains("view=week&amp;at=2027-04-14&amp;q=\">2 more</a>"), "{html}");
        let (_, html) = page(&web, "/agent/changes?view=week&at=2027-04-14").await;
        assert_eq!(html.matches("class=\"cal-entry\"").count(), 8, "the week shows them all: {html}");
    }
}
