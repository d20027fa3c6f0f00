//! The change management benchmark: the CMDB benchmark's layered graph of N items, the
//! synthetic desk's people, and M scheduled changes on one to three of its applications,
//! databases, virtual machines and servers, each assigned to an agent, spread so that one
//! calendar month holds `per_month` of them; all loaded straight through the store. Then the
//! conflict check ([`App::change_conflicts`], what the API and the change page run) of random
//! changes, and the calendar's month ([`App::change_calendar`]), timed in this process. The
//! rendered calendar page is timed over HTTP by `run --scenarios page_change_calendar`.

use crate::cmdb::load_graph;
use crate::desk;
use crate::generate::weighted;
use crate::report::percentile;
use anyhow::Context;
use opsdesk_app::changes::CalendarQuery;
use opsdesk_app::{App, AppConfig};
use opsdesk_domain::ticket::{Kind, Status, TicketNumber};
use opsdesk_store::changes::ChangeRow;
use opsdesk_store::tickets::{BulkSearchEntry, Ticket};
use opsdesk_store::{Db, DbOptions, Ts};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct ChangesConfig {
    pub database_url: String,
    pub cis: u64,
    pub relationships: u64,
    pub changes: u64,
    /// How many changes one calendar month holds (sets how far the changes are spread).
    pub per_month: u64,
    pub checks: u64,
    pub seed: u64,
    /// Where to save what `run` needs (JSON with the API token), readable by its owner only.
    pub out: Option<std::path::PathBuf>,
}

const MINUTE: i64 = 60 * 1_000_000;
const DAY: i64 = 24 * 60 * MINUTE;
/// Changes written per transaction.
const BATCH: usize = 5_000;

/// A window's length in minutes, weighted: mostly an hour or two, some half a day.
const LENGTHS: &[(i64, u32)] = &[(30, 10), (60, 30), (120, 30), (240, 20), (480, 10)];

pub async fn changes(cfg: &ChangesConfig) -> anyhow::Result<serde_json::Value> {
    anyhow::ensure!((100..=5_000_000).contains(&cfg.cis), "--cis is between 100 and 5000000");
    anyhow::ensure!((1..=5_000_000).contains(&cfg.changes), "--changes is between 1 and 5000000");
    anyhow::ensure!((1..=cfg.changes).contains(&cfg.per_month), "--per-month is between 1 and --changes");
    let mut opts = DbOptions::new(cfg.database_url.clone());
    opts.sqlite_synchronous_full = false;
    let db = Db::connect(&opts).await.context("cannot open the database")?;
    db.migrate().await?;
    let app = App::new(db.clone(), AppConfig::default());
    let mut rng = StdRng::seed_from_u64(cfg.seed);

    let started = Instant::now();
    let desk = desk::create(&app, &mut rng).await?;
    let ranges = load_graph(&db, &app, cfg.cis, cfg.relationships, &mut rng).await?;
    let graph_secs = started.elapsed().as_secs_f64();

    // The changes start with the next month (UTC) and run on, `per_month` to 31 days.
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let month = today.first_of_month().checked_add(jiff::Span::new().months(1))?;
    let base = month.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp().as_microsecond();
    let span_minutes = (cfg.changes as i64 * 31 * 24 * 60 / cfg.per_month as i64).max(1);
    // Applications, databases, virtual machines and servers: what changes are made to.
    let (first_ci, last_ci) = (ranges[1].0, ranges[4].1);
    let group = desk.groups.first().context("the desk has no groups")?.clone();
    let load = Instant::now();
    let mut written = 0u64;
    while written < cfg.changes {
        let n = (BATCH as u64).min(cfg.changes - written) as usize;
        let mut tickets = Vec::with_capacity(n);
        let mut drawn = Vec::with_capacity(n);
        for _ in 0..n {
            let start = base + rng.gen_range(0..span_minutes) / 15 * 15 * MINUTE;
            let end = start + weighted(&mut rng, LENGTHS) * MINUTE;
            let k = weighted(&mut rng, &[(1, 60), (2, 30), (3, 10)]) as usize;
            let cis: Vec<i64> = (0..k).map(|_| rng.gen_range(first_ci..=last_ci)).collect();
            let requester = desk.requester(&mut rng).clone();
            let created = Ts::from_micros(base - rng.gen_range(1..30) * DAY);
            tickets.push(Ticket {
                id: 0,
                number: String::new(),
                kind: Kind::Change,
                desk_id: desk.desk_id,
                title: format!("Patch and restart {} items ({})", cis.len(), written + tickets.len() as u64 + 1),
                description: "Apply the monthly patches, restart, check the service.".into(),
                status: Status::Scheduled,
                is_open: true,
                hold_reason: None,
                impact: 2,
                urgency: 2,
                priority: 3,
                priority_override_reason: None,
                category_id: None,
                requester_id: requester.id,
                organization_id: requester.organization_id,
                shared_with_organization: false,
                group_id: Some(group.id),
                assignee_id: Some(desk.agent_of(&mut rng, None)),
                custom_fields: "{}".into(),
                external_id: None,
                version: 1,
                created_at: created,
                updated_at: created,
                resolved_at: None,
                closed_at: None,
                sla_due_at: opsdesk_store::sla::NO_DUE,
                parent_id: None,
            });
            drawn.push((Ts::from_micros(start), Ts::from_micros(end), cis, created));
        }
        let mut tx = db.begin().await?;
        let mut seqs = tx.reserve_ticket_seqs(Kind::Change, n).await?.into_iter();
        for t in tickets.iter_mut() {
            let seq = seqs.next().context("fewer numbers reserved than asked for")?;
            t.number = TicketNumber { kind: Kind::Change, seq }.to_string();
        }
        let ids = tx.insert_tickets_bulk(&tickets).await?;
        let mut search = Vec::with_capacity(n);
        for ((t, (start, end, cis, created)), id) in tickets.iter().zip(drawn).zip(ids) {
            let row = ChangeRow {
                ticket_id: id,
                change_type: "normal".into(),
                template_id: None,
                planned_start: Some(start),
                planned_end: Some(end),
                actual_start: None,
                actual_end: None,
                risk_answers: "{}".into(),
                risk_score: 30,
                risk_class: "medium".into(),
                risk_factors: "[]".into(),
                override_reason: None,
                override_keys: None,
                override_by: None,
                override_at: None,
                updated_at: created,
            };
            tx.put_change(&row).await?;
            for ci in cis {
                tx.link_ticket_ci(id, ci, "affected", None, created).await?;
            }
            let text = format!("{}\n{}", t.title, t.description);
            search.push(BulkSearchEntry { ticket_id: id, public_text: text, internal_text: String::new() });
        }
        tx.index_tickets_bulk(&search).await?;
        tx.commit().await?;
        written += n as u64;
    }
    let load_secs = load.elapsed().as_secs_f64();
    eprintln!("loaded {} CIs and {written} changes in {:.1} s", cfg.cis, started.elapsed().as_secs_f64());

    let (actor, _) = app.actor_for(desk.bench_agent_id).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    // The conflict check of random changes, as the API's GET /changes/{id}/conflicts runs it.
    let mut micros = Vec::with_capacity(cfg.checks as usize);
    let (mut with_conflicts, mut conflicts, mut with_next_free) = (0u64, 0usize, 0u64);
    for _ in 0..cfg.checks {
        let number = format!("CHG-{}", rng.gen_range(1..=written));
        let t = Instant::now();
        let v = app.change_conflicts(&actor, &number).await.map_err(|e| anyhow::anyhow!("{number}: {e}"))?;
        micros.push(t.elapsed().as_micros() as u32);
        with_conflicts += u64::from(!v.conflicts.is_empty());
        conflicts += v.conflicts.len();
        with_next_free += u64::from(v.next_free_window.is_some());
    }
    micros.sort_unstable();

    // The calendar's first full month, as the month page asks for it (whole weeks around it).
    let query = CalendarQuery {
        from: Some(jiff::Timestamp::from_microsecond(base)?.to_string()),
        to: Some(jiff::Timestamp::from_microsecond(base + 31 * DAY)?.to_string()),
        q: None,
    };
    let mut month_micros = Vec::new();
    let mut items = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let v = app.change_calendar(&actor, &query).await.map_err(|e| anyhow::anyhow!("calendar: {e}"))?;
        month_micros.push(t.elapsed().as_micros() as u32);
        items = v.items.len();
    }
    month_micros.sort_unstable();
    // Of which the store's read of the month's changes.
    let mut read_micros = Vec::new();
    let (from, to) = (Ts::from_micros(base), Ts::from_micros(base + 31 * DAY));
    for _ in 0..20 {
        let t = Instant::now();
        let mut r = opsdesk_store::changes::Reader::Db(&db);
        r.changes_overlapping_many(from, to, opsdesk_store::changes::HOLDING_STATUSES, 10_000).await?;
        read_micros.push(t.elapsed().as_micros() as u32);
    }
    read_micros.sort_unstable();
    let ms = |v: &[u32], p: f64| percentile(v, p) as f64 / 1000.0;
    let mut out = json!({
        "backend": db.backend().name(),
        "cis": cfg.cis,
        "relationships": cfg.relationships,
        "changes": written,
        "graph_and_people_seconds": graph_secs,
        "changes_load_seconds": load_secs,
        "conflict_check": {
            "checks": micros.len(),
            "p50_ms": ms(&micros, 50.0),
            "p99_ms": ms(&micros, 99.0),
            "max_ms": micros.last().copied().unwrap_or(0) as f64 / 1000.0,
            "with_conflicts": with_conflicts,
            "conflicts_per_check": conflicts as f64 / micros.len().max(1) as f64,
            "with_next_free_window": with_next_free,
        },
        "calendar_month": {
            "month": month.to_string(),
            "items": items,
            "p50_ms": ms(&month_micros, 50.0),
            "p99_ms": ms(&month_micros, 99.0),
            "store_read_p50_ms": ms(&read_micros, 50.0),
        },
        "agent_email": desk::BENCH_AGENT_EMAIL,
    });
    db.close().await;
    if let Some(path) = &cfg.out {
        // The saved copy has what `run` signs in with; the printed one does not.
        let mut saved = out.clone();
        saved["token"] = json!(desk.token);
        saved["agent_password"] = json!(desk::BENCH_AGENT_PASSWORD);
        crate::generate::save(path, &saved).with_context(|| format!("cannot write {}", path.display()))?;
    }
    out["out"] = json!(cfg.out.as_ref().map(|p| p.display().to_string()));
    Ok(out)
}
