//! The people of the synthetic desk: organisations of requesters, resolver groups of agents,
//! and the agent the load runner signs in as. Created through the application's commands, so
//! they carry the same audit rows and events as people created by an admin. Only the bench
//! agent has a password: hashing is deliberately slow, and nobody signs in as the others.

use crate::words::{self, GROUPS, ORGANIZATIONS};
use anyhow::Context;
use opsdesk_app::groups::{CreateGroup, CreateOrganization};
use opsdesk_app::users::{CreateUser, UpdateUser};
use opsdesk_app::App;
use opsdesk_domain::Actor;
use rand::Rng;

/// The agent the runner acts as: sees every group, has a known password and an API token.
pub const BENCH_AGENT_EMAIL: &str = "bench.agent@opsdesk.test";
pub const BENCH_AGENT_PASSWORD: &str = "opsdesk-bench-agent";

/// The group the runner's list scenario shows (the first and largest queue).
pub const BENCH_GROUP: &str = GROUPS[0].0;

/// How many people of each kind.
pub const REQUESTERS: usize = 400;
pub const AGENTS: usize = 40;

#[derive(Debug, Clone)]
pub struct Requester {
    pub id: i64,
    pub organization_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub agent_ids: Vec<i64>,
}

/// Everything tickets are drawn from.
#[derive(Debug, Clone)]
pub struct Desk {
    pub desk_id: i64,
    pub requesters: Vec<Requester>,
    pub agent_ids: Vec<i64>,
    pub groups: Vec<Group>,
    pub bench_agent_id: i64,
    pub token: String,
}

impl Desk {
    pub fn requester(&self, rng: &mut impl Rng) -> &Requester {
        &self.requesters[rng.gen_range(0..self.requesters.len())]
    }

    /// An agent of the group, or any agent for a ticket without one.
    pub fn agent_of(&self, rng: &mut impl Rng, group: Option<usize>) -> i64 {
        let pool = match group {
            Some(g) if !self.groups[g].agent_ids.is_empty() => &self.groups[g].agent_ids,
            _ => &self.agent_ids,
        };
        pool[rng.gen_range(0..pool.len())]
    }
}

/// Creates organisations, groups, requesters and agents, and the bench agent with its token.
pub async fn create(app: &App, rng: &mut impl Rng) -> anyhow::Result<Desk> {
    let system = Actor::system();
    if app.db.user_by_email(BENCH_AGENT_EMAIL).await?.is_some() {
        anyhow::bail!("this database already holds a generated desk ({BENCH_AGENT_EMAIL} exists): use a fresh one");
    }
    let desk_id = app.db.desks().await?.first().map(|d| d.id).context("the database has no service desk")?;

    let mut organizations = Vec::new();
    for name in ORGANIZATIONS {
        let org = app.create_organization(&system, CreateOrganization { name: name.into() }).await?;
        organizations.push((org.id, words::domain_of(name)));
    }
    let mut groups = Vec::new();
    for (name, description) in GROUPS {
        let input = CreateGroup { name: name.into(), description: description.into(), lead_user_id: None };
        let g = app.create_group(&system, input).await?;
        groups.push(Group { id: g.id, name: g.name, agent_ids: Vec::new() });
    }

    let mut requesters = Vec::with_capacity(REQUESTERS);
    for n in 0..REQUESTERS {
        let (name, local) = words::person(n);
        // A few requesters belong to no organisation (contractors, guests).
        let org = (n % 25 != 0).then(|| &organizations[rng.gen_range(0..organizations.len())]);
        let domain = org.map_or("guests.test", |(_, d)| d.as_str());
        let input = CreateUser {
            email: format!("{local}@{domain}"),
            name,
            role: "requester".into(),
            organization_id: org.map(|(id, _)| *id),
            ..Default::default()
        };
        let u = app.create_user(&system, input).await?;
        requesters.push(Requester { id: u.id, organization_id: u.organization_id });
    }

    let mut agent_ids = Vec::with_capacity(AGENTS);
    for n in 0..AGENTS {
        let (name, local) = words::person(REQUESTERS + n);
        let input =
            CreateUser { email: format!("{local}@opsdesk.test"), name, role: "agent".into(), ..Default::default() };
        let u = app.create_user(&system, input).await?;
        // Every group gets agents; some agents work in a second group too.
        let first = n % groups.len();
        app.add_group_member(&system, groups[first].id, u.id).await?;
        groups[first].agent_ids.push(u.id);
        if rng.gen_bool(0.3) {
            let second = (first + rng.gen_range(1..groups.len())) % groups.len();
            app.add_group_member(&system, groups[second].id, u.id).await?;
            groups[second].agent_ids.push(u.id);
        }
        agent_ids.push(u.id);
    }

    let input = CreateUser {
        email: BENCH_AGENT_EMAIL.into(),
        name: "Bench Agent".into(),
        role: "agent".into(),
        password: Some(BENCH_AGENT_PASSWORD.into()),
        ..Default::default()
    };
    let bench = app.create_user(&system, input).await?;
    app.add_group_member(&system, groups[0].id, bench.id).await?;
    app.update_user(&system, bench.id, UpdateUser { sees_all_groups: Some(true), ..Default::default() }).await?;
    let token = app.issue_api_token(&system, bench.id, "opsdesk-bench").await?;

    Ok(Desk { desk_id, requesters, agent_ids, groups, bench_agent_id: bench.id, token: token.secret })
}
