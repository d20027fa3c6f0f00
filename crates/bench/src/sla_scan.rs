//! The SLA breach-scan benchmark: a database with N open tickets, each with a running
//! resolution clock, of which `due` reach their first warning within one minute; then the
//! worker's query for due clocks is timed (and its plan shown), and the whole
//! [`App::sla_scan`] firing those warnings.
//!
//! The desk's people and the policy are made through the application's commands; tickets,
//! clocks and their `started` events are written straight through the store in large
//! transactions (as the generator does), in the state the SLA engine would have left them:
//! `running`, due 8 hours after the start, next check at the 75% warning.

use crate::desk;
use anyhow::Context;
use opsdesk_app::sla::PolicyInput;
use opsdesk_app::{App, AppConfig};
use opsdesk_domain::sla::{EscalationSpec, TargetsSpec};
use opsdesk_domain::ticket::{Kind, Level, Status, TicketNumber};
use opsdesk_domain::Actor;
use opsdesk_store::sla::NewClock;
use opsdesk_store::tickets::Ticket;
use opsdesk_store::{Db, DbOptions, Ts};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

pub const MAX_TICKETS: u64 = 5_000_000;

/// The resolution target of every clock, and the instant of its first (75%) warning.
const TARGET_SECS: i64 = 8 * 3600;
const WARNING_MICROS: i64 = TARGET_SECS * 1_000_000 * 75 / 100;
const MINUTE_MICROS: i64 = 60 * 1_000_000;
const HOUR_MICROS: i64 = 3600 * 1_000_000;
/// What the worker's scan asks for in one query (`BATCH` in app/src/sla/scan.rs).
const SCAN_BATCH: i64 = 200;
/// Timed runs of the due-clock query.
const QUERY_RUNS: usize = 21;

#[derive(Debug, Clone)]
pub struct SlaScanConfig {
    pub database_url: String,
    pub tickets: u64,
    /// Clocks whose first warning falls within the minute before the scan.
    pub due: u64,
    /// Tickets per transaction while building.
    pub batch: u64,
    /// `synchronous=FULL` for the timed part, as the server runs by default.
    pub sqlite_synchronous_full: bool,
    pub seed: u64,
}

/// What was built and measured.
#[derive(Debug, Clone)]
pub struct SlaScanReport {
    pub tickets: u64,
    pub due: u64,
    pub build_seconds: f64,
    pub plan: Vec<String>,
    /// The first query (cold reader connection and page cache of this process).
    pub query_first: Duration,
    /// The other runs of the query, sorted.
    pub query_runs: Vec<Duration>,
    pub query_rows: usize,
    pub scan: Duration,
    pub warnings: usize,
    pub breaches: usize,
    /// A second scan at the same instant: nothing left to fire.
    pub idle_scan: Duration,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl SlaScanReport {
    pub fn query_median(&self) -> Duration {
        self.query_runs.get(self.query_runs.len() / 2).copied().unwrap_or_default()
    }

    pub fn query_max(&self) -> Duration {
        self.query_runs.last().copied().unwrap_or_default()
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "tickets": self.tickets,
            "due": self.due,
            "build_seconds": self.build_seconds,
            "plan": self.plan,
            "query_limit": SCAN_BATCH,
            "query_rows": self.query_rows,
            "query_first_ms": ms(self.query_first),
            "query_median_ms": ms(self.query_median()),
            "query_max_ms": ms(self.query_max()),
            "scan_ms": ms(self.scan),
            "warnings": self.warnings,
            "breaches": self.breaches,
            "idle_scan_ms": ms(self.idle_scan),
        })
    }

    pub fn text(&self) -> String {
        let mut s = format!(
            "{} open tickets with a running clock, {} due within the minute (built in {:.1} s)\n",
            self.tickets, self.due, self.build_seconds
        );
        s.push_str("plan of the due-clock query:\n");
        for line in &self.plan {
            s.push_str(&format!("  {line}\n"));
        }
        s.push_str(&format!(
            "due-clock query (LIMIT {SCAN_BATCH}, {} rows): first {:.3} ms, median {:.3} ms, max {:.3} ms of {} runs\n",
            self.query_rows,
            ms(self.query_first),
            ms(self.query_median()),
            ms(self.query_max()),
            self.query_runs.len()
        ));
        s.push_str(&format!(
            "sla_scan: {} warnings, {} breaches in {:.1} ms ({:.0} µs per warning); idle scan {:.3} ms\n",
            self.warnings,
            self.breaches,
            ms(self.scan),
            self.scan.as_secs_f64() * 1e6 / self.warnings.max(1) as f64,
            ms(self.idle_scan)
        ));
        s
    }
}

/// Builds the database (which must hold no tickets yet), then measures.
pub async fn sla_scan(cfg: &SlaScanConfig) -> anyhow::Result<SlaScanReport> {
    anyhow::ensure!((1..=MAX_TICKETS).contains(&cfg.tickets), "--tickets is between 1 and {MAX_TICKETS}");
    anyhow::ensure!(cfg.due <= cfg.tickets, "--due is at most --tickets");
    anyhow::ensure!((1..=100_000).contains(&cfg.batch), "--batch is between 1 and 100000");
    let started = Instant::now();
    // The reference instant: due clocks warn in (t0, t0 + 1 min], the scan runs at t0 + 1 min.
    let t0 = Ts::now().micros();
    let scan_at = Ts::from_micros(t0 + MINUTE_MICROS);

    let mut opts = DbOptions::new(cfg.database_url.clone());
    opts.sqlite_synchronous_full = false;
    let db = Db::connect(&opts).await.context("cannot open the database")?;
    db.migrate().await.context("cannot migrate the database")?;
    anyhow::ensure!(!db.ticket_exists_any().await?, "the database already holds tickets: use a fresh one");
    build(&db, cfg, t0).await?;
    db.close().await;
    let build_seconds = started.elapsed().as_secs_f64();

    let mut opts = DbOptions::new(cfg.database_url.clone());
    opts.sqlite_synchronous_full = cfg.sqlite_synchronous_full;
    let db = Db::connect(&opts).await.context("cannot reopen the database")?;
    let app = App::new(db.clone(), AppConfig::default());
    let plan = db.clocks_due_plan(scan_at, SCAN_BATCH).await?;

    let t = Instant::now();
    let rows = db.clocks_due(scan_at, SCAN_BATCH).await?;
    let query_first = t.elapsed();
    let mut query_runs = Vec::with_capacity(QUERY_RUNS - 1);
    for _ in 1..QUERY_RUNS {
        let t = Instant::now();
        let again = db.clocks_due(scan_at, SCAN_BATCH).await?;
        query_runs.push(t.elapsed());
        anyhow::ensure!(again == rows, "the due-clock query answered differently on a read-only database");
    }
    query_runs.sort_unstable();
    let expected = usize::try_from(cfg.due.min(SCAN_BATCH as u64))?;
    anyhow::ensure!(rows.len() == expected, "the due-clock query found {} clocks, not {expected}", rows.len());

    let t = Instant::now();
    let report = app.sla_scan(scan_at).await?;
    let scan = t.elapsed();
    anyhow::ensure!(
        report.warnings as u64 == cfg.due && report.breaches == 0,
        "the scan fired {} warnings and {} breaches, not {} warnings",
        report.warnings,
        report.breaches,
        cfg.due
    );
    let t = Instant::now();
    let idle = app.sla_scan(scan_at).await?;
    let idle_scan = t.elapsed();
    anyhow::ensure!(idle.warnings == 0 && idle.breaches == 0, "a second scan fired again: {idle:?}");
    db.close().await;

    Ok(SlaScanReport {
        tickets: cfg.tickets,
        due: cfg.due,
        build_seconds,
        plan,
        query_first,
        query_runs,
        query_rows: rows.len(),
        scan,
        warnings: report.warnings,
        breaches: report.breaches,
        idle_scan,
    })
}

/// The desk, one policy (8 h resolution, warnings at 75% and 90%, the group told at 75%), and
/// the tickets with their clocks.
async fn build(db: &Db, cfg: &SlaScanConfig, t0: i64) -> anyhow::Result<()> {
    let app = App::new(db.clone(), AppConfig::default());
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let desk = desk::create(&app, &mut rng).await?;
    let input = PolicyInput {
        name: "Bench 8h resolution".into(),
        conditions: Default::default(),
        targets: TargetsSpec { first_response: "1h".into(), resolution: format!("{TARGET_SECS}"), next_response: None },
        calendar_id: None,
        warnings: Some(vec![75, 90]),
        pause_when: None,
        escalations: vec![EscalationSpec {
            when: "75%".into(),
            target: None,
            action: "notify_group".into(),
            group_id: None,
            user_id: None,
        }],
        position: None,
    };
    let policy = app.save_sla_policy(&Actor::system(), None, input).await?;
    let policy = db.policy(policy.id).await?;
    let matrix = app.priority_matrix().await?;

    // Due clocks are spread evenly over the tickets, not bunched at the start.
    let every = (cfg.tickets / cfg.due.max(1)).max(1);
    let mut due_made = 0u64;
    let mut written = 0u64;
    let mut last_report = Instant::now();
    while written < cfg.tickets {
        let n = cfg.batch.min(cfg.tickets - written);
        let mut tx = db.begin().await?;
        for i in written..written + n {
            let is_due = due_made < cfg.due && i % every == 0;
            // Due: the warning falls in (t0, t0 + 1 min]. Others: started up to 5 h ago, so
            // their warning is 1 to 6 hours away.
            let start = if is_due {
                due_made += 1;
                t0 + (due_made as i64 * MINUTE_MICROS / cfg.due as i64) - WARNING_MICROS
            } else {
                t0 - rng.gen_range(0..5 * HOUR_MICROS)
            };
            let group = rng.gen_range(0..desk.groups.len());
            let requester = desk.requester(&mut rng).clone();
            let urgency = Level::parse(rng.gen_range(1..=3), "urgency").unwrap_or(Level::MEDIUM);
            let impact = Level::MEDIUM;
            let seq = tx.next_ticket_seq(Kind::Incident).await?;
            let draft = Ticket {
                id: 0,
                number: TicketNumber { kind: Kind::Incident, seq }.to_string(),
                kind: Kind::Incident,
                desk_id: desk.desk_id,
                title: format!("Bench SLA ticket {seq}"),
                description: "Generated by opsdesk-bench sla-scan.".into(),
                status: Status::InProgress,
                is_open: true,
                hold_reason: None,
                impact: impact.get() as i64,
                urgency: urgency.get() as i64,
                priority: matrix.priority(impact, urgency).get() as i64,
                priority_override_reason: None,
                category_id: None,
                requester_id: requester.id,
                organization_id: requester.organization_id,
                shared_with_organization: false,
                group_id: Some(desk.groups[group].id),
                assignee_id: Some(desk.agent_of(&mut rng, Some(group))),
                custom_fields: "{}".into(),
                external_id: None,
                version: 1,
                created_at: Ts::from_micros(start),
                updated_at: Ts::from_micros(start),
                resolved_at: None,
                closed_at: None,
                sla_due_at: opsdesk_store::sla::NO_DUE,
                parent_id: None,
            };
            let t = tx.insert_ticket(&draft).await?;
            let at = Ts::from_micros(start);
            let new = NewClock {
                ticket_id: t.id,
                target: "resolution",
                policy_id: Some(policy.id),
                policy_name: &policy.name,
                policy_spec: &policy.spec,
                calendar_id: None,
                target_secs: TARGET_SECS,
                at,
            };
            let mut clock = tx.insert_clock(&new).await?;
            tx.insert_clock_event(clock.id, t.id, "started", at, None, None, Some(&policy.name)).await?;
            clock.state = "running".into();
            clock.due_at = Some(Ts::from_micros(start + TARGET_SECS * 1_000_000));
            clock.next_check_at = Some(Ts::from_micros(start + WARNING_MICROS));
            tx.update_clock(&clock).await?;
            tx.refresh_ticket_sla_due(t.id).await?;
        }
        tx.commit().await?;
        written += n;
        if last_report.elapsed() >= Duration::from_secs(5) || written == cfg.tickets {
            last_report = Instant::now();
            eprintln!("{written:>10} / {} tickets with clocks", cfg.tickets);
        }
    }
    anyhow::ensure!(due_made == cfg.due, "made {due_made} due clocks, not {}", cfg.due);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fires_exactly_the_due_warnings_through_the_index() {
        let file = std::env::temp_dir().join(format!("opsdesk-bench-sla-{}.db", std::process::id()));
        let url = format!("sqlite://{}", file.display());
        let cfg = SlaScanConfig {
            database_url: url.clone(),
            tickets: 900,
            due: 30,
            batch: 400,
            sqlite_synchronous_full: false,
            seed: 5,
        };
        let r = sla_scan(&cfg).await.unwrap();
        assert_eq!((r.warnings, r.breaches, r.query_rows), (30, 0, 30));
        assert!(r.plan.iter().any(|l| l.contains("sla_clocks_next_check")), "{:?}", r.plan);

        let db = Db::connect(&DbOptions::new(url)).await.unwrap();
        // INC-1 is the first due ticket: one warning event; INC-2 is not due.
        for (number, warnings) in [("INC-1", 1), ("INC-2", 0)] {
            let t = db.ticket_by_number(number).await.unwrap();
            let events = db.events_of(&format!("ticket:{}", t.id)).await.unwrap();
            assert_eq!(events.iter().filter(|e| e.kind == "sla.warning").count(), warnings, "{number}");
        }
        let app = App::new(db.clone(), AppConfig::default());
        let agent = app.user_by_email(desk::BENCH_AGENT_EMAIL).await.unwrap();
        let (actor, _) = app.actor_for(agent.id).await.unwrap();
        assert_eq!(app.count_tickets(&actor, "status:open").await.unwrap(), 900);
        assert!(db.clocks_due(Ts::from_micros(Ts::now().micros() + MINUTE_MICROS), 10).await.unwrap().is_empty());
        db.close().await;
        assert!(sla_scan(&cfg).await.is_err(), "a used database is refused");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    }
}
