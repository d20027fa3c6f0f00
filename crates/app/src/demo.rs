//! A realistic demo desk, the same every time: organisations, resolver groups, and people in
//! each role with known passwords; tickets, articles and change management. Seeding is
//! idempotent: running it again changes nothing.

use crate::groups::{CreateGroup, CreateOrganization};
use crate::users::CreateUser;
use crate::{App, Result};
use opsdesk_domain::Actor;

/// A login printed for people trying the demo.
#[derive(Debug, Clone, Copy)]
pub struct DemoLogin {
    pub role: &'static str,
    pub email: &'static str,
    pub password: &'static str,
}

/// How many tickets the demo desk has.
pub const DEMO_TICKET_COUNT: usize = crate::demo_tickets::DEMO_TICKETS + crate::demo_changes::DEMO_CHANGE_TICKETS;

pub const DEMO_LOGINS: [DemoLogin; 3] = [
    DemoLogin { role: "admin", email: "admin@opsdesk.test", password: "opsdesk-admin" },
    DemoLogin { role: "agent", email: "agent@opsdesk.test", password: "opsdesk-agent" },
    DemoLogin { role: "requester", email: "requester@acme.test", password: "opsdesk-requester" },
];

const ORGANIZATIONS: [&str; 3] = ["Acme Corporation", "Globex", "Initech"];
const GROUPS: [(&str, &str); 4] = [
    ("Service Desk", "First line: triage, password resets, how-to questions"),
    ("Network", "LAN, Wi-Fi, VPN, firewalls"),
    ("Applications", "Business applications and their integrations"),
    ("Workplace", "Laptops, phones, printers, onboarding kits"),
];
/// A demo person: organisation and groups are indexes into the lists above.
struct Person {
    email: &'static str,
    name: &'static str,
    role: &'static str,
    org: Option<usize>,
    groups: &'static [usize],
    tz: &'static str,
}

const fn p(
    email: &'static str,
    name: &'static str,
    role: &'static str,
    org: Option<usize>,
    groups: &'static [usize],
    tz: &'static str,
) -> Person {
    Person { email, name, role, org, groups, tz }
}

const PEOPLE: [Person; 9] = [
    p("admin@opsdesk.test", "Ada Admin", "admin", None, &[0], "Europe/Berlin"),
    p("agent@opsdesk.test", "Sam Agent", "agent", None, &[0, 1], "Europe/London"),
    p("noor.network@opsdesk.test", "Noor Haddad", "agent", None, &[1], "Asia/Dubai"),
    p("li.apps@opsdesk.test", "Li Wei", "agent", None, &[2], "Asia/Singapore"),
    p("maria.workplace@opsdesk.test", "María García", "agent", None, &[3, 0], "Europe/Madrid"),
    p("requester@acme.test", "Rita Requester", "requester", Some(0), &[], "America/New_York"),
    p("tom@acme.test", "Tom Becker", "requester", Some(0), &[], "America/Chicago"),
    p("joanna@globex.test", "Joanna Kowalska", "requester", Some(1), &[], "Europe/Warsaw"),
    p("peter@initech.test", "Peter Gibbons", "requester", Some(2), &[], "America/Los_Angeles"),
];

impl App {
    /// Seeds the demo desk unless it is already there. Returns whether anything was created.
    pub async fn seed_demo(&self) -> Result<bool> {
        if self.db.user_by_email(DEMO_LOGINS[0].email).await?.is_some() && self.db.ticket_exists_any().await? {
            return Ok(false);
        }
        let system = Actor::system();
        let mut org_ids = Vec::new();
        for name in ORGANIZATIONS {
            let org = match self.db.organization_by_name(name).await? {
                Some(o) => o,
                None => self.create_organization(&system, CreateOrganization { name: name.into() }).await?,
            };
            org_ids.push(org.id);
        }
        let mut group_ids = Vec::new();
        for (name, description) in GROUPS {
            let g = match self.db.group_by_name(name).await? {
                Some(g) => g,
                None => {
                    let input = CreateGroup { name: name.into(), description: description.into(), lead_user_id: None };
                    self.create_group(&system, input).await?
                }
            };
            group_ids.push(g.id);
        }
        // Everyone without a printed login gets the password of their role's demo login.
        // Tickets logged without a group land with the first line.
        if let Some(desk) = self.db.desks().await?.into_iter().find(|d| d.default_group_id.is_none()) {
            let mut tx = self.db.begin().await?;
            tx.update_desk(desk.id, &desk.name, Some(group_ids[0])).await?;
            tx.commit().await?;
        }
        let mut requesters = Vec::new();
        let mut agents_by_group: Vec<(String, Vec<i64>)> =
            GROUPS.iter().map(|(g, _)| (g.to_string(), Vec::new())).collect();
        for Person { email, name, role, org, groups, tz } in PEOPLE {
            if let Some(u) = self.db.user_by_email(email).await? {
                if role == "requester" {
                    requesters.push(u.id);
                }
                for g in groups {
                    agents_by_group[*g].1.push(u.id);
                }
                continue;
            }
            let password = DEMO_LOGINS.iter().find(|l| l.role == role).map(|l| l.password.to_string());
            let input = CreateUser {
                email: email.into(),
                name: name.into(),
                role: role.into(),
                password,
                time_zone: Some(tz.into()),
                locale: Some("en".into()),
                organization_id: org.map(|i| org_ids[i]),
            };
            let user = self.create_user(&system, input).await?;
            if role == "requester" {
                requesters.push(user.id);
            }
            for g in groups {
                self.add_group_member(&system, group_ids[*g], user.id).await?;
                agents_by_group[*g].1.push(user.id);
            }
        }
        self.seed_demo_tickets(&requesters, &agents_by_group).await?;
        let owner = self.db.user_by_email(DEMO_LOGINS[1].email).await?.map(|u| u.id);
        self.seed_demo_articles(owner).await?;
        self.seed_demo_catalog().await?;
        if let (Some(admin), Some(agent)) = (self.db.user_by_email(DEMO_LOGINS[0].email).await?, owner) {
            self.seed_demo_changes(admin.id, agent).await?;
        }
        Ok(true)
    }
}
