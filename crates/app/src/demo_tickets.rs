//! The demo desk's tickets: about a thousand incidents, requests and problems over the last
//! three months, in every state, with replies and notes. Generated from a fixed seed, so the
//! demo is the same every time.

use crate::tickets::{create::insert_prepared, create::Lookups, transition::move_ticket, CreateTicket, Ref};
use crate::{App, Result};
use opsdesk_domain::ticket::{HoldReason, Kind, Status};
use opsdesk_domain::Actor;
use opsdesk_store::Ts;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub const DEMO_TICKETS: usize = 1000;

/// (group, kind, title, description)
const TEMPLATES: [(&str, Kind, &str, &str); 24] = [
    (
        "Network",
        Kind::Incident,
        "VPN disconnects every few minutes",
        "Since this morning the VPN client drops the tunnel and reconnects.",
    ),
    (
        "Network",
        Kind::Incident,
        "Wi-Fi very slow in meeting room",
        "Video calls freeze; the access point light is amber.",
    ),
    (
        "Network",
        Kind::Incident,
        "Cannot reach the intranet",
        "The intranet times out from the office network but works from home.",
    ),
    (
        "Network",
        Kind::ServiceRequest,
        "Firewall rule for supplier portal",
        "Please open HTTPS to the supplier's new portal for the purchasing team.",
    ),
    (
        "Network",
        Kind::Problem,
        "Recurring VPN tunnel drops",
        "Several VPN incidents a week point to the concentrator firmware.",
    ),
    ("Network", Kind::Incident, "Network printer unreachable", "The second-floor printer is not found by any laptop."),
    (
        "Applications",
        Kind::Incident,
        "Outlook keeps asking for the password",
        "After the update Outlook prompts for credentials every hour.",
    ),
    (
        "Applications",
        Kind::Incident,
        "Expense app shows error 500",
        "Submitting an expense report fails with an internal error.",
    ),
    (
        "Applications",
        Kind::Incident,
        "CRM search returns nothing",
        "Searching customers by name returns an empty list.",
    ),
    (
        "Applications",
        Kind::ServiceRequest,
        "Access to the finance reporting tool",
        "New controller needs read access to the quarterly reports.",
    ),
    (
        "Applications",
        Kind::Problem,
        "CRM search index corrupts after nightly job",
        "Search breaks every few days after the nightly import.",
    ),
    (
        "Applications",
        Kind::Incident,
        "Teams calls drop after ten minutes",
        "Calls end abruptly for the whole sales team.",
    ),
    (
        "Workplace",
        Kind::ServiceRequest,
        "New laptop for new starter",
        "A new colleague starts on Monday and needs a laptop and a headset.",
    ),
    ("Workplace", Kind::Incident, "Laptop battery drains quickly", "The battery lasts under an hour since last week."),
    ("Workplace", Kind::ServiceRequest, "Second monitor", "Please provide a second 27-inch monitor for my desk."),
    ("Workplace", Kind::Incident, "Docking station not detecting screens", "External screens stay black when docked."),
    ("Workplace", Kind::ServiceRequest, "Replace broken mobile phone", "The screen of my company phone is cracked."),
    (
        "Workplace",
        Kind::Problem,
        "Docking stations lose displays after firmware update",
        "Many dock incidents since the last firmware rollout.",
    ),
    ("Service Desk", Kind::Incident, "Password reset needed", "I am locked out after too many attempts."),
    (
        "Service Desk",
        Kind::Incident,
        "MFA app lost with old phone",
        "I changed phones and cannot approve sign-ins any more.",
    ),
    (
        "Service Desk",
        Kind::ServiceRequest,
        "Shared mailbox for the events team",
        "We need events@ as a shared mailbox for four people.",
    ),
    ("Service Desk", Kind::Incident, "Account locked out", "My account is locked and I cannot sign in to anything."),
    (
        "Service Desk",
        Kind::ServiceRequest,
        "Software install: diagram editor",
        "Please install the diagram editor on my laptop.",
    ),
    ("Service Desk", Kind::Incident, "Cannot print PDF files", "Printing PDFs shows a spooler error."),
];

const REPLIES: [&str; 6] = [
    "Thanks for reporting this. We are looking into it.",
    "Could you tell us when it happened last, and on which device?",
    "We applied a fix; please check whether it works for you now.",
    "A technician will come by your desk this afternoon.",
    "This is done. Let us know if anything is still missing.",
    "We are waiting for the vendor and will update you tomorrow.",
];

const NOTES: [&str; 5] = [
    "Checked the logs: same pattern as last week.",
    "Escalated to the vendor, case number in the shared drive.",
    "Probably related to the firmware rollout; linking the problem once confirmed.",
    "User confirmed by phone; closing after the quiet period.",
    "Needs a change for the weekend window.",
];

impl App {
    /// Creates the demo tickets unless tickets already exist.
    pub(crate) async fn seed_demo_tickets(
        &self,
        requesters: &[i64],
        agents_by_group: &[(String, Vec<i64>)],
    ) -> Result<()> {
        if self.db.ticket_exists_any().await? {
            return Ok(());
        }
        let mut rng = StdRng::seed_from_u64(20261122);
        let system = Actor::system();
        let mut lookups = Lookups::default();
        let now = Ts::now().micros();
        let day = 86_400_000_000i64;
        for chunk in 0..(DEMO_TICKETS / 100) {
            let mut tx = self.db.begin().await?;
            for i in 0..100 {
                let n = chunk * 100 + i;
                let (group, kind, title, description) = TEMPLATES[rng.gen_range(0..TEMPLATES.len())];
                // Older tickets first, so numbers grow with time.
                let created = Ts::from_micros(now - (DEMO_TICKETS - n) as i64 * 90 * day / DEMO_TICKETS as i64);
                let agents =
                    agents_by_group.iter().find(|(g, _)| g == group).map(|(_, a)| a.clone()).unwrap_or_default();
                let assignee =
                    (!agents.is_empty() && rng.gen_bool(0.7)).then(|| agents[rng.gen_range(0..agents.len())]);
                let requester = requesters[rng.gen_range(0..requesters.len())];
                let input = CreateTicket {
                    kind: kind.as_str().into(),
                    title: title.into(),
                    description: description.into(),
                    impact: Some(rng.gen_range(1..=3)),
                    urgency: Some(rng.gen_range(1..=3)),
                    group: Some(Ref::Name(group.into())),
                    assignee: assignee.map(Ref::Id),
                    requester: Some(Ref::Id(requester)),
                    ..Default::default()
                };
                let prepared = self.prepare_ticket(&system, input, created, &mut lookups).await?;
                let mut t = insert_prepared(&mut tx, &system, prepared, created).await?;
                let at = |hours: i64| Ts::from_micros(created.micros() + hours * 3_600_000_000);
                if rng.gen_bool(0.8) {
                    let reply = REPLIES[rng.gen_range(0..REPLIES.len())];
                    tx.insert_comment(t.id, assignee, reply, true, "web", at(1)).await?;
                    tx.index_comment(t.id, reply, true).await?;
                }
                if rng.gen_bool(0.4) {
                    let note = NOTES[rng.gen_range(0..NOTES.len())];
                    tx.insert_comment(t.id, assignee, note, false, "web", at(2)).await?;
                    tx.index_comment(t.id, note, false).await?;
                }
                // Walk the ticket along its lifecycle; the older, the further along.
                let age = (DEMO_TICKETS - n) as f64 / DEMO_TICKETS as f64;
                let path: &[Status] = match kind {
                    Kind::Incident => &[Status::InProgress, Status::OnHold, Status::Resolved, Status::Closed],
                    Kind::ServiceRequest => &[Status::Fulfilling, Status::Fulfilled, Status::Closed],
                    Kind::Problem => {
                        &[Status::Assessed, Status::RootCauseAnalysis, Status::KnownError, Status::Resolved]
                    }
                    Kind::Task | Kind::Change => &[],
                };
                let steps = ((age * 4.5) as usize + rng.gen_range(0..2)).min(path.len());
                for (k, to) in path.iter().take(steps).enumerate() {
                    if *to == Status::OnHold && rng.gen_bool(0.6) {
                        continue;
                    }
                    let hold = (*to == Status::OnHold).then_some(HoldReason::AwaitingRequester);
                    if *to == Status::KnownError {
                        // A known error is a problem with a workaround (the kind's guard).
                        let detail = serde_json::json!({
                            "root_cause": "A configuration change rolled out without a capacity check.",
                            "workaround": "Restart the affected service; the fault does not come back for a day.",
                        });
                        if let Some(d) = detail.as_object() {
                            tx.put_ticket_detail(t.id, d).await?;
                        }
                    }
                    if t.kind.can_move(t.status, *to) {
                        t = move_ticket(&mut tx, &system, &t, *to, hold, None, true, at(4 + 8 * k as i64)).await?;
                    }
                }
            }
            tx.commit().await?;
        }
        Ok(())
    }
}
