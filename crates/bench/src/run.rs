//! The load runner: four scenarios against a running server, one after the other, each for a
//! fixed time with a fixed number of clients that send their next request as soon as the
//! previous one is answered (closed loop). Bounded in time, clients and target: it only talks
//! to loopback addresses and stops by itself.

use crate::report::{self, Memory, ScenarioReport};
use crate::words;
use anyhow::Context;
use opsdesk_domain::ticket::{Kind, TicketNumber};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::{Client, StatusCode, Url};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const MAX_DURATION_SECS: u64 = 300;
pub const MAX_CONCURRENCY: usize = 1024;
/// No single request may take longer than this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// A pause between scenarios, so that background work the previous one caused (the outbox
/// dispatching `ticket.created` events) has a moment to drain.
const SETTLE: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct RunConfig {
    pub base_url: Url,
    pub token: String,
    pub group: String,
    pub duration: Duration,
    pub concurrency: usize,
    pub server_pid: Option<u32>,
    pub seed: u64,
    /// Which scenarios to run, in this order (all four by default).
    pub scenarios: Vec<Scenario>,
    /// Sign-in of an agent for the page scenarios, which use a session cookie as a browser does.
    pub sign_in: Option<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Create,
    Get,
    List,
    Search,
    /// The agent console's queue page: the list scenario's query, 50 tickets, as HTML.
    PageQueue,
    /// The agent console's ticket page of a random incident, as HTML.
    PageTicket,
    /// The conflicts of a random change (`GET /api/v1/changes/{id}/conflicts`), as JSON.
    ChangeConflicts,
    /// The change calendar's month page of the next month, as HTML.
    PageChangeCalendar,
}

impl Scenario {
    pub const ALL: [Scenario; 8] = [
        Scenario::Create,
        Scenario::Get,
        Scenario::List,
        Scenario::Search,
        Scenario::PageQueue,
        Scenario::PageTicket,
        Scenario::ChangeConflicts,
        Scenario::PageChangeCalendar,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Create => "create",
            Scenario::Get => "get",
            Scenario::List => "list",
            Scenario::Search => "search",
            Scenario::PageQueue => "page_queue",
            Scenario::PageTicket => "page_ticket",
            Scenario::ChangeConflicts => "change_conflicts",
            Scenario::PageChangeCalendar => "page_change_calendar",
        }
    }

    /// A comma-separated list of scenario names.
    pub fn parse_list(raw: &str) -> anyhow::Result<Vec<Scenario>> {
        raw.split(',')
            .map(|name| {
                Scenario::ALL.into_iter().find(|s| s.name() == name.trim()).with_context(|| {
                    let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
                    format!("unknown scenario {name:?}: use {}", names.join(", "))
                })
            })
            .collect()
    }

    fn is_page(self) -> bool {
        matches!(self, Scenario::PageQueue | Scenario::PageTicket | Scenario::PageChangeCalendar)
    }

    fn expected(self) -> StatusCode {
        match self {
            Scenario::Create => StatusCode::CREATED,
            _ => StatusCode::OK,
        }
    }
}

/// Whether a URL names this machine: `localhost` or a loopback address.
pub fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(h) => {
            h.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

impl RunConfig {
    pub fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            matches!(self.base_url.scheme(), "http") && is_loopback(&self.base_url),
            "--base-url must be http:// on a loopback address (127.0.0.1, [::1], localhost)"
        );
        let secs = self.duration.as_secs();
        anyhow::ensure!(
            (1..=MAX_DURATION_SECS).contains(&secs),
            "--duration-secs is between 1 and {MAX_DURATION_SECS}"
        );
        anyhow::ensure!(
            (1..=MAX_CONCURRENCY).contains(&self.concurrency),
            "--concurrency is between 1 and {MAX_CONCURRENCY}"
        );
        anyhow::ensure!(!self.token.trim().is_empty(), "--token is required");
        anyhow::ensure!(!self.scenarios.is_empty(), "--scenarios names at least one scenario");
        anyhow::ensure!(
            self.sign_in.is_some() || !self.scenarios.iter().any(|s| s.is_page()),
            "the page scenarios need --email and --password of an agent"
        );
        Ok(())
    }
}

/// What every request of a run shares.
struct Target {
    /// Sends the API token: the API scenarios.
    client: Client,
    /// Carries the signed-in agent's session cookie and no token: the page scenarios, which
    /// render what that agent may see.
    pages: Client,
    tickets: Url,
    group: String,
    incidents: i64,
    /// The newest change's sequence number (changes 1 to it exist).
    changes: i64,
    /// The first day of next month: the month the calendar scenario shows.
    next_month: String,
    /// Numbers of incidents the signed-in agent can open; `page_ticket` picks among them so that
    /// it measures rendered pages, not "not found" answers for other groups' tickets.
    visible_incidents: Vec<String>,
}

/// Runs the scenarios; returns the memory before any and the report of each.
pub async fn run(cfg: &RunConfig) -> anyhow::Result<(Option<Memory>, Vec<ScenarioReport>)> {
    cfg.check()?;
    let mut headers = HeaderMap::new();
    let mut auth =
        HeaderValue::from_str(&format!("Bearer {}", cfg.token.trim())).context("the token is not a header value")?;
    auth.set_sensitive(true);
    headers.insert(AUTHORIZATION, auth);
    let builder = || {
        Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(2))
            .pool_max_idle_per_host(cfg.concurrency)
            .http1_only()
            .tcp_nodelay(true)
            .no_proxy()
    };
    let client = builder().default_headers(headers).build()?;
    let pages = builder().cookie_store(true).build()?;
    let tickets = cfg.base_url.join("/api/v1/tickets")?;
    let today = jiff::Zoned::now().date();
    let next_month = today.first_of_month().checked_add(jiff::Span::new().months(1))?.to_string();
    let mut target = Target {
        client,
        pages,
        tickets,
        group: cfg.group.clone(),
        incidents: 0,
        changes: 0,
        next_month,
        visible_incidents: Vec::new(),
    };
    // Fails early, before any load, on a wrong token or a desk without what a scenario needs.
    target.incidents = newest(&target, Kind::Incident).await?;
    target.changes = newest(&target, Kind::Change).await?;
    for (needs, kind, n) in [
        (Scenario::Get, Kind::Incident, target.incidents),
        (Scenario::PageTicket, Kind::Incident, target.incidents),
        (Scenario::ChangeConflicts, Kind::Change, target.changes),
    ] {
        anyhow::ensure!(
            n > 0 || !cfg.scenarios.contains(&needs),
            "the {} scenario needs a {kind}, and there are none: generate a data set first",
            needs.name()
        );
    }
    if let Some((email, password)) = &cfg.sign_in {
        sign_in(&target.pages, &cfg.base_url, email, password).await?;
        if cfg.scenarios.contains(&Scenario::PageTicket) {
            target.visible_incidents = visible_incidents(&target).await?;
        }
    }
    let mut target = Arc::new(target);
    let baseline = cfg.server_pid.and_then(Memory::of);

    let mut reports = Vec::new();
    for (n, scenario) in cfg.scenarios.iter().copied().enumerate() {
        if matches!(scenario, Scenario::Get | Scenario::PageTicket) && n > 0 {
            // Creates of an earlier scenario added incidents.
            let incidents = newest(&target, Kind::Incident).await?;
            Arc::get_mut(&mut target).context("a finished scenario still holds the target")?.incidents = incidents;
        }
        if n > 0 {
            tokio::time::sleep(SETTLE).await;
        }
        let seed = cfg.seed.wrapping_add(n as u64 * 1_000_003);
        let server_cpu = cfg.server_pid.and_then(report::cpu_seconds);
        let bench_cpu = report::cpu_seconds(std::process::id());
        let mut r = run_scenario(&target, scenario, cfg.duration, cfg.concurrency, seed).await?;
        r.memory = cfg.server_pid.and_then(Memory::of);
        r.server_cpu_s = server_cpu.zip(cfg.server_pid.and_then(report::cpu_seconds)).map(|(a, b)| b - a);
        r.bench_cpu_s = bench_cpu.zip(report::cpu_seconds(std::process::id())).map(|(a, b)| b - a);
        eprintln!("{:<8} {:>8} requests, {:>6} errors, {:>9.1} req/s", r.name, r.requests, r.errors, r.throughput());
        reports.push(r);
    }
    Ok((baseline, reports))
}

/// Signs in through the JSON API; the client's cookie store keeps the session cookie, which the
/// pages read as a browser's would.
async fn sign_in(client: &Client, base: &Url, email: &str, password: &str) -> anyhow::Result<()> {
    let res = client
        .post(base.join("/api/v1/auth/login")?)
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .context("the server does not answer")?;
    let status = res.status();
    anyhow::ensure!(status.is_success(), "signing in as {email} answered {status}: {}", res.text().await?);
    Ok(())
}

/// Up to 1,000 numbers of the newest incidents the signed-in agent can see, read through the API
/// with the agent's session (not the token, whose user may see more).
async fn visible_incidents(target: &Target) -> anyhow::Result<Vec<String>> {
    let mut numbers = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..10 {
        let mut query = vec![("q", "kind:incident sort:-number".to_string()), ("limit", "100".to_string())];
        if let Some(a) = &after {
            query.push(("after", a.clone()));
        }
        let res = target.pages.get(target.tickets.clone()).query(&query).send().await?;
        let status = res.status();
        let body: serde_json::Value = res.json().await.context("the ticket list is not JSON")?;
        anyhow::ensure!(status == StatusCode::OK, "listing the agent's incidents answered {status}: {body}");
        let items = body["items"].as_array().map(Vec::as_slice).unwrap_or_default();
        numbers.extend(items.iter().filter_map(|t| t["number"].as_str().map(str::to_owned)));
        match body["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }
    anyhow::ensure!(!numbers.is_empty(), "the signed-in agent sees no incidents");
    Ok(numbers)
}

/// The sequence number of the newest ticket of a kind (numbers 1 to it exist; 0 when there is
/// none), which also checks that the token works before any load is sent.
async fn newest(target: &Target, kind: Kind) -> anyhow::Result<i64> {
    let q = format!("kind:{kind} sort:-number");
    let res = target
        .client
        .get(target.tickets.clone())
        .query(&[("q", q.as_str()), ("limit", "1")])
        .send()
        .await
        .context("the server does not answer")?;
    let status = res.status();
    let body: serde_json::Value = res.json().await.context("the ticket list is not JSON")?;
    anyhow::ensure!(status == StatusCode::OK, "listing {kind}s answered {status}: {body}");
    let Some(number) = body["items"][0]["number"].as_str() else { return Ok(0) };
    Ok(TicketNumber::parse(number).with_context(|| format!("unexpected ticket number {number:?}"))?.seq)
}

fn request(target: &Target, scenario: Scenario, rng: &mut StdRng, n: u64) -> reqwest::RequestBuilder {
    let c = &target.client;
    match scenario {
        Scenario::Create => {
            let topic = words::topic(rng);
            let body = serde_json::json!({
                "kind": "incident",
                "title": format!("{} (load {n})", words::title(rng, "incident", topic)),
                "description": words::description(rng, topic),
                "impact": 2,
                "urgency": 2,
            });
            c.post(target.tickets.clone()).json(&body)
        }
        Scenario::Get => {
            let seq = rng.gen_range(1..=target.incidents.max(1));
            let mut url = target.tickets.clone();
            url.set_path(&format!("/api/v1/tickets/INC-{seq}"));
            c.get(url)
        }
        Scenario::List => {
            let q = format!("status:open group:\"{}\" sort:priority", target.group);
            c.get(target.tickets.clone()).query(&[("q", q.as_str()), ("limit", "50")])
        }
        Scenario::Search => {
            let list: Vec<&str> = words::search_words().collect();
            let word = list[rng.gen_range(0..list.len())];
            c.get(target.tickets.clone()).query(&[("q", word), ("limit", "50")])
        }
        Scenario::PageQueue => {
            let mut url = target.tickets.clone();
            url.set_path("/agent");
            let q = format!("status:open group:\"{}\" sort:priority", target.group);
            target.pages.get(url).query(&[("q", q.as_str())])
        }
        Scenario::PageTicket => {
            let number = &target.visible_incidents[rng.gen_range(0..target.visible_incidents.len())];
            let mut url = target.tickets.clone();
            url.set_path(&format!("/agent/tickets/{number}"));
            target.pages.get(url)
        }
        Scenario::ChangeConflicts => {
            let seq = rng.gen_range(1..=target.changes.max(1));
            let mut url = target.tickets.clone();
            url.set_path(&format!("/api/v1/changes/CHG-{seq}/conflicts"));
            c.get(url)
        }
        Scenario::PageChangeCalendar => {
            let mut url = target.tickets.clone();
            url.set_path("/agent/changes");
            target.pages.get(url).query(&[("view", "month"), ("at", target.next_month.as_str())])
        }
    }
}

/// One client's tally.
#[derive(Default)]
struct Tally {
    requests: u64,
    errors: u64,
    latencies_us: Vec<u32>,
    error_samples: Vec<String>,
    body_bytes: u64,
    max_body_bytes: u64,
}

async fn client_loop(target: &Target, scenario: Scenario, deadline: Instant, mut rng: StdRng) -> Tally {
    let mut t = Tally::default();
    while Instant::now() < deadline {
        let req = request(target, scenario, &mut rng, t.requests);
        let started = Instant::now();
        let outcome = match req.send().await {
            Ok(res) => {
                let status = res.status();
                match res.bytes().await {
                    Ok(body) if status == scenario.expected() => {
                        t.body_bytes += body.len() as u64;
                        t.max_body_bytes = t.max_body_bytes.max(body.len() as u64);
                        Ok(())
                    }
                    Ok(body) => Err(format!("{status}: {}", String::from_utf8_lossy(&body[..body.len().min(200)]))),
                    Err(e) => Err(format!("{status}, body unreadable: {e}")),
                }
            }
            Err(e) => Err(format!("transport: {e}")),
        };
        t.latencies_us.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
        t.requests += 1;
        if let Err(e) = outcome {
            t.errors += 1;
            if t.error_samples.len() < 3 && !t.error_samples.contains(&e) {
                t.error_samples.push(e);
            }
        }
    }
    t
}

async fn run_scenario(
    target: &Arc<Target>,
    scenario: Scenario,
    duration: Duration,
    concurrency: usize,
    seed: u64,
) -> anyhow::Result<ScenarioReport> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut clients = tokio::task::JoinSet::new();
    for i in 0..concurrency {
        let rng = StdRng::seed_from_u64(seed.wrapping_add(i as u64));
        let target = Arc::clone(target);
        clients.spawn(async move { client_loop(&target, scenario, deadline, rng).await });
    }
    let mut tallies = Vec::with_capacity(concurrency);
    while let Some(t) = clients.join_next().await {
        tallies.push(t.context("a client task failed")?);
    }
    let elapsed = started.elapsed();
    let mut r = ScenarioReport {
        name: scenario.name(),
        requests: 0,
        errors: 0,
        elapsed,
        latencies_us: Vec::new(),
        memory: None,
        server_cpu_s: None,
        bench_cpu_s: None,
        error_samples: Vec::new(),
        body_bytes: 0,
        max_body_bytes: 0,
    };
    for t in tallies {
        r.requests += t.requests;
        r.errors += t.errors;
        r.body_bytes += t.body_bytes;
        r.max_body_bytes = r.max_body_bytes.max(t.max_body_bytes);
        r.latencies_us.extend(t.latencies_us);
        for e in t.error_samples {
            if r.error_samples.len() < 5 && !r.error_samples.contains(&e) {
                r.error_samples.push(e);
            }
        }
    }
    r.latencies_us.sort_unstable();
    Ok(r)
}
