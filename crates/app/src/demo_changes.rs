//! The demo desk's change management: a few CIs that depend on each other (one with a
//! maintenance window), a change advisory board and its approval policy, a standard change
//! template, a year-end blackout, and changes in different states: one scheduled next week,
//! one waiting for the CAB with an overridden conflict, one with an open blackout conflict,
//! one closed with its review, and a draft. Times are relative to now, so the calendar always
//! has something ahead.

use crate::changes::{ApprovalPolicyInput, BlackoutInput, ChangeInput, OverrideInput, TemplateInput, TemplateTask};
use crate::cmdb::{CiInput, RelationshipInput};
use crate::groups::CreateGroup;
use crate::tickets::{CreateTicket, Ref, TransitionInput, UpdateTicket};
use crate::{App, Result};
use opsdesk_domain::sla::CalendarSpec;
use opsdesk_domain::Actor;
use opsdesk_store::Ts;
use serde_json::{json, Map, Value};

/// Tickets the demo's changes add: five changes and the two tasks of the one from a template.
pub const DEMO_CHANGE_TICKETS: usize = 7;

const TEMPLATE: &str = "Restart the CRM application";
const CAB: &str = "Change Advisory Board";
const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;

fn answers(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn at(micros: i64) -> String {
    Ts::from_micros(micros).0.to_string()
}

impl App {
    /// Seeds the change management demo unless its template is already there.
    pub(crate) async fn seed_demo_changes(&self, admin: i64, agent: i64) -> Result<()> {
        if self.db.change_template_named(TEMPLATE).await?.is_some() {
            return Ok(());
        }
        let system = Actor::system();
        let ci = |class: &str, name: &str| CiInput {
            class: class.into(),
            name: name.into(),
            status: None,
            attributes: Map::new(),
            identifiers: json!({}),
            offered_to: None,
        };
        let db = self.create_ci(&system, ci("server", "db-prod-01"), "demo").await?.id;
        let crm = self.create_ci(&system, ci("application", "crm-app"), "demo").await?.id;
        let service = self.create_ci(&system, ci("business_service", "CRM"), "demo").await?.id;
        let switch = self.create_ci(&system, ci("network_device", "core-switch-01"), "demo").await?.id;
        for (source, rel, target) in [(crm, "runs_on", db), (service, "depends_on", crm), (crm, "connects_to", switch)]
        {
            self.create_relationship_from(&system, RelationshipInput { source, rel: rel.into(), target }, "demo")
                .await?;
        }
        // The database may only change on weekend nights.
        let hours = [("sat", vec!["20:00-24:00".to_string()]), ("sun", vec!["00:00-04:00".to_string()])];
        let window = CalendarSpec {
            time_zone: "Europe/Berlin".into(),
            hours: hours.into_iter().map(|(d, h)| (d.to_string(), h)).collect(),
            holidays: vec![],
            twenty_four_seven: false,
        };
        self.set_maintenance_window(&system, db, Some(window)).await?;

        let cab = match self.db.group_by_name(CAB).await? {
            Some(g) => g,
            None => {
                let description = "Approves normal and emergency changes".to_string();
                self.create_group(&system, CreateGroup { name: CAB.into(), description, lead_user_id: None }).await?
            }
        };
        for member in [admin, agent] {
            self.add_group_member(&system, cab.id, member).await?;
        }
        for (name, change_type) in [("CAB", "normal"), ("Emergency CAB", "emergency")] {
            let stages = json!([{ "approvers": { "groups": [CAB] }, "rule": "any" }]);
            let input =
                ApprovalPolicyInput { name: name.into(), change_type: change_type.into(), risk_class: None, stages };
            self.put_change_approval_policy(&system, input).await?;
        }
        let safe = json!({"tested": "yes", "outage": "none", "backout": "easy", "experience": "often"});
        let template = TemplateInput {
            name: TEMPLATE.into(),
            change_type: "standard".into(),
            description: "The weekly restart that clears the CRM's caches.".into(),
            implementation_plan: Some("Drain the load balancer, restart the service, re-enable.".into()),
            backout_plan: Some("Start the previous build from the release folder.".into()),
            test_plan: Some("Open a customer record; search by name.".into()),
            risk_answers: answers(safe.clone()),
            tasks: vec![
                TemplateTask { title: "Drain and restart the CRM service".into(), parallel: false },
                TemplateTask { title: "Check the CRM search afterwards".into(), parallel: false },
            ],
        };
        let template = self.create_change_template(&system, template).await?.id;

        let now = Ts::now().micros();
        // A week from today, at 22:00 UTC.
        let next_week = (now / DAY + 7) * DAY + 22 * HOUR;
        let year = Ts::now().0.to_zoned(jiff::tz::TimeZone::UTC).year();
        let freeze: jiff::Timestamp = format!("{year}-12-20T00:00:00Z")
            .parse()
            .map_err(|e| crate::AppError::Internal(format!("demo freeze date: {e}")))?;
        // This year's freeze, or next year's once this one has begun.
        let freeze =
            if freeze.as_microsecond() > now { freeze.as_microsecond() } else { freeze.as_microsecond() + 365 * DAY };
        let blackout = BlackoutInput {
            name: "Year-end freeze".into(),
            from: at(freeze),
            until: at(freeze + 14 * DAY),
            scope: None,
        };
        self.create_blackout(&system, blackout).await?;

        // Assignees are members of the group: Sam Agent works in Network.
        let change = |title: &str, group: &str, assignee: Option<i64>, c: ChangeInput| CreateTicket {
            kind: "change".into(),
            title: title.into(),
            description: String::new(),
            group: Some(Ref::Name(group.into())),
            assignee: assignee.map(Ref::Id),
            requester: Some(Ref::Id(agent)),
            change: Some(c),
            ..Default::default()
        };
        let plans = |c: ChangeInput| ChangeInput {
            implementation_plan: Some("Follow the vendor's runbook.".into()),
            backout_plan: Some("Restore the snapshot taken before the start.".into()),
            test_plan: Some("Smoke tests of the CRM; monitoring stays green for an hour.".into()),
            ..c
        };
        let to = |s: &str| TransitionInput { to: s.into(), ..Default::default() };

        // Scheduled next week, from the standard template.
        let restart = ChangeInput {
            template: Some(Ref::Id(template)),
            planned_start: Some(at(next_week)),
            planned_end: Some(at(next_week + HOUR)),
            cis: vec![crm],
            ..Default::default()
        };
        let t = self.create_ticket(&system, change("Weekly restart of the CRM", "Applications", None, restart)).await?;
        self.transition_ticket(&system, &t.number, None, to("scheduled")).await?;

        // Waiting for the CAB: its window overlaps the restart through the CRM's database.
        let upgrade = plans(ChangeInput {
            change_type: Some("normal".into()),
            planned_start: Some(at(next_week + HOUR / 2)),
            planned_end: Some(at(next_week + 3 * HOUR)),
            risk_answers: answers(
                json!({"tested": "partly", "outage": "short", "backout": "hard", "experience": "once"}),
            ),
            cis: vec![db],
            ..Default::default()
        });
        let t = self
            .create_ticket(&system, change("Upgrade PostgreSQL on db-prod-01", "Applications", None, upgrade))
            .await?;
        self.transition_ticket(&system, &t.number, None, to("assessment")).await?;
        let reason = "The vendor's engineer is only available that night; the restart runs first.".to_string();
        self.override_change_conflicts(&system, &t.number, OverrideInput { reason }).await?;
        self.transition_ticket(&system, &t.number, None, to("awaiting_approval")).await?;

        // Planned into the year-end freeze: an open conflict.
        let firmware = plans(ChangeInput {
            change_type: Some("normal".into()),
            planned_start: Some(at(freeze + 2 * DAY + 22 * HOUR)),
            planned_end: Some(at(freeze + 2 * DAY + 23 * HOUR)),
            risk_answers: answers(safe.clone()),
            cis: vec![switch],
            ..Default::default()
        });
        let t =
            self.create_ticket(&system, change("Core switch firmware 17.3", "Network", Some(agent), firmware)).await?;
        self.transition_ticket(&system, &t.number, None, to("assessment")).await?;

        // Done three weeks ago, approved by the CAB, closed with its review.
        let patch = plans(ChangeInput {
            change_type: Some("normal".into()),
            planned_start: Some(at(now - 21 * DAY)),
            planned_end: Some(at(now - 21 * DAY + 2 * HOUR)),
            risk_answers: answers(safe),
            cis: vec![crm],
            ..Default::default()
        });
        let t = self.create_ticket(&system, change("Patch the CRM to 5.2", "Applications", None, patch)).await?;
        self.transition_ticket(&system, &t.number, None, to("assessment")).await?;
        self.transition_ticket(&system, &t.number, None, to("awaiting_approval")).await?;
        let (cab_member, _) = self.actor_for(admin).await?;
        for id in self.db.approvals_of(opsdesk_store::approvals::TICKET, t.id).await? {
            let decision = crate::approvals::DecisionInput {
                decision: "approve".into(),
                comment: Some("Low risk, tested in staging.".into()),
                on_behalf_of: None,
            };
            self.decide_approval(&cab_member, id, decision, "web").await?;
        }
        for status in ["implementing", "review"] {
            self.transition_ticket(&system, &t.number, None, to(status)).await?;
        }
        let review = answers(
            json!({"review_outcome": "successful", "lessons": "The search index rebuild took longer than planned."}),
        );
        let update = UpdateTicket { detail: Some(review), ..Default::default() };
        self.update_ticket(&system, &t.number, None, update).await?;
        self.transition_ticket(&system, &t.number, None, to("closed")).await?;

        // Still a draft: no window yet.
        let draft = ChangeInput { change_type: Some("normal".into()), cis: vec![service], ..Default::default() };
        self.create_ticket(&system, change("Retire the CRM's old export job", "Applications", None, draft)).await?;
        Ok(())
    }
}
