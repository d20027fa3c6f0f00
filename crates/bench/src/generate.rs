//! The data set generator: a synthetic desk (see `desk`) and N tickets spread over three years,
//! drawn in batches and written through the store's bulk methods (multi-row inserts, one
//! transaction per batch, the ticket indexes built after the load) so that a million tickets
//! take about a minute, not ten of one-statement-per-row.

use crate::desk::{self, Desk};
use crate::words::{self, Topic};
use anyhow::Context;
use opsdesk_app::{App, AppConfig};
use opsdesk_domain::ticket::{HoldReason, Kind, Level, PriorityMatrix, Status, TicketNumber};
use opsdesk_store::tickets::{BulkChange, BulkComment, BulkSearchEntry, Ticket};
use opsdesk_store::{Db, DbOptions, Ts, Tx};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The most tickets one run generates (a bound, not a target).
pub const MAX_TICKETS: u64 = 20_000_000;

#[derive(Debug, Clone)]
pub struct GenerateConfig {
    pub database_url: String,
    pub tickets: u64,
    pub seed: u64,
    /// Tickets per transaction.
    pub batch: u64,
    /// Where to save what the runner needs (JSON); it holds the API token, so it is written
    /// readable by its owner only.
    pub out: Option<PathBuf>,
}

/// What a generation made, and what the runner needs to act on it.
#[derive(Debug, Clone)]
pub struct Generated {
    pub tickets: u64,
    pub comments: u64,
    pub incidents: i64,
    pub people_seconds: f64,
    pub seconds: f64,
    pub token: String,
    pub group: String,
}

impl Generated {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "tickets": self.tickets,
            "comments": self.comments,
            "incidents": self.incidents,
            "people_seconds": self.people_seconds,
            "seconds": self.seconds,
            "token": self.token,
            "group": self.group,
            "agent_email": desk::BENCH_AGENT_EMAIL,
            "agent_password": desk::BENCH_AGENT_PASSWORD,
        })
    }
}

const THREE_YEARS_MICROS: i64 = 3 * 365 * 86_400 * 1_000_000;
const HOUR_MICROS: i64 = 3_600 * 1_000_000;

/// Migrates the database, creates the desk's people, then writes the tickets.
pub async fn generate(cfg: &GenerateConfig) -> anyhow::Result<Generated> {
    anyhow::ensure!((1..=MAX_TICKETS).contains(&cfg.tickets), "--tickets is between 1 and {MAX_TICKETS}");
    anyhow::ensure!((1..=100_000).contains(&cfg.batch), "--batch is between 1 and 100000");
    let started = Instant::now();
    let mut opts = DbOptions::new(cfg.database_url.clone());
    // A generated data set can be generated again: durability against power loss buys nothing.
    opts.sqlite_synchronous_full = false;
    let db = Db::connect(&opts).await.context("cannot open the database")?;
    db.migrate().await.context("cannot migrate the database")?;
    let app = App::new(db.clone(), AppConfig::default());
    let mut rng = StdRng::seed_from_u64(cfg.seed);

    let desk = desk::create(&app, &mut rng).await?;
    let matrix = app.priority_matrix().await?;
    let quiet = app.ticket_settings().await?.auto_close_after_secs.saturating_mul(1_000_000);
    let people_seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "created {} organisations, {} groups, {} requesters, {} agents in {people_seconds:.1} s",
        words::ORGANIZATIONS.len(),
        desk.groups.len(),
        desk.requesters.len(),
        desk.agent_ids.len() + 1
    );

    let now = Ts::now().micros();
    let start = now - THREE_YEARS_MICROS;
    let mut gen =
        TicketGen { desk: &desk, matrix, quiet, rng, start, now, total: cfg.tickets, comments: 0, incidents: 0 };
    // The secondary indexes of `tickets` are built once after the load (same definitions).
    let mut tx = db.begin().await?;
    let indexes = tx.drop_ticket_indexes().await?;
    tx.commit().await?;
    let mut written = 0u64;
    let mut last_report = Instant::now();
    while written < cfg.tickets {
        let n = cfg.batch.min(cfg.tickets - written);
        let (tickets, drawn): (Vec<Ticket>, Vec<Drawn>) = (written..written + n).map(|i| gen.draw(i)).unzip();
        let mut tx = db.begin().await?;
        gen.write_batch(&mut tx, tickets, drawn)
            .await
            .with_context(|| format!("writing tickets {} to {}", written + 1, written + n))?;
        tx.commit().await?;
        written += n;
        if last_report.elapsed() >= Duration::from_secs(5) || written == cfg.tickets {
            last_report = Instant::now();
            let s = started.elapsed().as_secs_f64() - people_seconds;
            eprintln!("{written:>10} / {} tickets, {s:6.1} s, {:.0} tickets/s", cfg.tickets, written as f64 / s);
        }
    }
    let index_started = Instant::now();
    let mut tx = db.begin().await?;
    tx.restore_indexes(&indexes).await?;
    tx.commit().await?;
    eprintln!("built {} ticket indexes in {:.1} s", indexes.len(), index_started.elapsed().as_secs_f64());
    db.close().await;

    let generated = Generated {
        tickets: written,
        comments: gen.comments,
        incidents: gen.incidents,
        people_seconds,
        seconds: started.elapsed().as_secs_f64(),
        token: desk.token.clone(),
        group: desk::BENCH_GROUP.to_string(),
    };
    if let Some(path) = &cfg.out {
        save(path, &generated.to_json()).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(generated)
}

/// Writes `value` to a file only its owner can read (it holds a token).
pub(crate) fn save(path: &std::path::Path, value: &serde_json::Value) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    writeln!(f, "{value:#}")
}

/// Draws tickets one after the other, oldest first.
struct TicketGen<'a> {
    desk: &'a Desk,
    matrix: PriorityMatrix,
    /// The auto-close quiet period (µs): a ticket resolved longer ago than this is closed.
    quiet: i64,
    rng: StdRng,
    start: i64,
    now: i64,
    total: u64,
    comments: u64,
    incidents: i64,
}

/// `(status, weight)`: about 30% of each kind is open, most of the rest closed.
fn statuses(kind: Kind) -> &'static [(Status, u32)] {
    use Status::*;
    match kind {
        Kind::Incident => {
            &[(New, 6), (Assigned, 7), (InProgress, 10), (OnHold, 7), (Resolved, 10), (Closed, 55), (Cancelled, 5)]
        }
        Kind::ServiceRequest => &[
            (Submitted, 6),
            (AwaitingApproval, 6),
            (Fulfilling, 18),
            (Fulfilled, 10),
            (Closed, 55),
            (Rejected, 3),
            (Cancelled, 2),
        ],
        Kind::Problem => {
            &[(New, 5), (Assessed, 8), (RootCauseAnalysis, 10), (KnownError, 7), (Resolved, 15), (Closed, 55)]
        }
        Kind::Task => &[(Open, 12), (InProgress, 18), (Done, 60), (Cancelled, 10)],
        Kind::Change => &[(Draft, 5), (Scheduled, 15), (Implementing, 5), (Review, 5), (Closed, 65), (Cancelled, 5)],
    }
}

/// One of `items`, drawn in proportion to its weight.
pub(crate) fn weighted<T: Copy>(rng: &mut impl Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut n = rng.gen_range(0..total);
    for (item, w) in items {
        if n < *w {
            return *item;
        }
        n -= w;
    }
    items[0].0
}

/// Impact or urgency: mostly medium or low.
fn level(rng: &mut impl Rng) -> Level {
    let v = weighted(rng, &[(1, 12), (2, 40), (3, 48)]);
    Level::parse(v, "level").unwrap_or(Level::MEDIUM)
}

/// What is written around one drawn ticket, before the ticket has a number or an id.
struct Drawn {
    logged_by: i64,
    /// `(actor, from, at)` of the change to the drawn status, for a ticket worked on.
    status_change: Option<(Option<i64>, &'static str, Ts)>,
    /// `(author, body, public, at)`.
    comments: Vec<(i64, String, bool, Ts)>,
    public_text: String,
    internal_text: String,
}

impl TicketGen<'_> {
    /// Draws ticket number `i` (0-based) with its history, search entry and comments.
    fn draw(&mut self, i: u64) -> (Ticket, Drawn) {
        let rng = &mut self.rng;
        let kind = weighted(rng, &[(Kind::Incident, 70), (Kind::ServiceRequest, 20), (Kind::Problem, 10)]);
        let mut status = weighted(rng, statuses(kind));
        let topic: Topic = words::topic(rng);
        let group = match rng.gen_range(0..100) {
            0..=2 => None,
            3..=9 => Some(rng.gen_range(0..self.desk.groups.len())),
            _ => Some(topic.group),
        };
        let requester = self.desk.requester(rng).clone();
        let worked = status != kind.initial_status();
        let assignee = worked.then(|| self.desk.agent_of(rng, group));
        let (impact, urgency) = (level(rng), level(rng));

        // Created in order over three years; worked on for hours to days.
        let step = THREE_YEARS_MICROS / self.total.max(1) as i64;
        let created = self.start + i as i64 * step + rng.gen_range(0..step.max(1));
        let updated = (created + rng.gen_range(0..72 * HOUR_MICROS)).min(self.now);
        let resolved = matches!(status, Status::Resolved | Status::Fulfilled | Status::Closed)
            .then(|| (created + rng.gen_range(HOUR_MICROS..240 * HOUR_MICROS)).min(self.now));
        // The scheduled auto-close has already closed what was resolved before its quiet period;
        // leaving such tickets resolved would have the server close them all as soon as it starts.
        if resolved.is_some_and(|r| r < self.now - self.quiet) && status != Status::Closed {
            status = Status::Closed;
        }
        let closed = match status {
            Status::Closed => Some(resolved.map_or(updated, |r| (r + self.quiet).min(self.now))),
            Status::Cancelled | Status::Rejected => Some(updated),
            _ => None,
        };
        let last_change = closed.or(resolved).unwrap_or(updated);

        let title = words::title(rng, kind.as_str(), topic);
        let description = words::description(rng, topic);
        let ticket = Ticket {
            id: 0,
            number: String::new(),
            kind,
            desk_id: self.desk.desk_id,
            title,
            description,
            status,
            is_open: status.is_open(),
            hold_reason: (status == Status::OnHold).then(|| {
                let r = weighted(rng, &[(HoldReason::AwaitingRequester, 6), (HoldReason::AwaitingVendor, 3)]);
                r.as_str().to_string()
            }),
            impact: impact.get() as i64,
            urgency: urgency.get() as i64,
            priority: self.matrix.priority(impact, urgency).get() as i64,
            priority_override_reason: None,
            category_id: None,
            requester_id: requester.id,
            organization_id: requester.organization_id,
            shared_with_organization: requester.organization_id.is_some() && rng.gen_bool(0.1),
            group_id: group.map(|g| self.desk.groups[g].id),
            assignee_id: assignee,
            custom_fields: "{}".into(),
            external_id: None,
            version: 1,
            created_at: Ts::from_micros(created),
            // Stored as created_at, as `insert_ticket` does; history keeps the real times.
            updated_at: Ts::from_micros(created),
            resolved_at: resolved.map(Ts::from_micros),
            closed_at: closed.map(Ts::from_micros),
            sla_due_at: opsdesk_store::sla::NO_DUE,
            parent_id: None,
        };
        let logged_by = if rng.gen_bool(0.6) { requester.id } else { self.desk.agent_of(rng, group) };
        let status_change = worked.then(|| (assignee, kind.initial_status().as_str(), Ts::from_micros(last_change)));

        // Public replies are part of the ticket's search entry from the start; internal notes
        // go to its internal part, each on a line of its own, as the application appends them.
        let mut public_text = format!("{}\n{}", ticket.title, ticket.description);
        let mut internal_text = String::new();
        let n_comments = weighted(rng, &[(0u8, 65), (1, 25), (2, 10)]);
        let mut comments = Vec::with_capacity(usize::from(n_comments));
        for k in 0..n_comments {
            let public = rng.gen_bool(0.7);
            let author = if public && k == 1 { requester.id } else { assignee.unwrap_or(logged_by) };
            let body = words::comment(rng, topic, public);
            let at = Ts::from_micros((created + (k as i64 + 1) * HOUR_MICROS).min(self.now));
            let text = if public { &mut public_text } else { &mut internal_text };
            text.push('\n');
            text.push_str(&body);
            comments.push((author, body, public, at));
        }
        self.comments += u64::from(n_comments);
        (ticket, Drawn { logged_by, status_change, comments, public_text, internal_text })
    }

    /// Numbers and writes a batch of drawn tickets with multi-row inserts, in drawing order.
    async fn write_batch(&mut self, tx: &mut Tx, mut tickets: Vec<Ticket>, drawn: Vec<Drawn>) -> anyhow::Result<()> {
        for kind in Kind::ALL {
            let n = tickets.iter().filter(|t| t.kind == kind).count();
            let mut seqs = tx.reserve_ticket_seqs(kind, n).await?.into_iter();
            for t in tickets.iter_mut().filter(|t| t.kind == kind) {
                let seq = seqs.next().context("fewer numbers reserved than asked for")?;
                if kind == Kind::Incident {
                    self.incidents = self.incidents.max(seq);
                }
                t.number = TicketNumber { kind, seq }.to_string();
            }
        }
        let ids = tx.insert_tickets_bulk(&tickets).await?;

        let mut changes = Vec::with_capacity(drawn.len() * 2);
        let mut comments = Vec::new();
        let mut search = Vec::with_capacity(drawn.len());
        for ((d, t), id) in drawn.into_iter().zip(&tickets).zip(ids) {
            changes.push(BulkChange {
                ticket_id: id,
                actor_id: Some(d.logged_by),
                field: "created",
                old_value: None,
                new_value: Some(t.number.clone()),
                created_at: t.created_at,
            });
            if let Some((actor, from, at)) = d.status_change {
                changes.push(BulkChange {
                    ticket_id: id,
                    actor_id: actor,
                    field: "status",
                    old_value: Some(from.to_string()),
                    new_value: Some(t.status.as_str().to_string()),
                    created_at: at,
                });
            }
            for (author, body, public, at) in d.comments {
                comments.push(BulkComment {
                    ticket_id: id,
                    author_id: Some(author),
                    body,
                    public,
                    source: "web",
                    created_at: at,
                });
            }
            search.push(BulkSearchEntry { ticket_id: id, public_text: d.public_text, internal_text: d.internal_text });
        }
        tx.record_changes_bulk(&changes).await?;
        tx.insert_comments_bulk(&comments).await?;
        tx.index_tickets_bulk(&search).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_thirty_percent_of_each_kind_is_open() {
        for kind in Kind::ALL {
            let all: u32 = statuses(kind).iter().map(|(_, w)| w).sum();
            let open: u32 = statuses(kind).iter().filter(|(s, _)| s.is_open()).map(|(_, w)| w).sum();
            assert_eq!(all, 100);
            assert_eq!(open, 30, "{kind}");
            assert!(statuses(kind).iter().all(|(s, _)| kind.has_status(*s)));
        }
    }

    #[tokio::test]
    async fn generates_a_searchable_desk() {
        let file = std::env::temp_dir().join(format!("opsdesk-bench-{}.db", std::process::id()));
        let url = format!("sqlite://{}", file.display());
        let cfg = GenerateConfig { database_url: url.clone(), tickets: 600, seed: 3, batch: 250, out: None };
        let g = generate(&cfg).await.unwrap();
        assert_eq!(g.tickets, 600);
        assert!(g.incidents > 300 && g.incidents < 540, "{}", g.incidents);

        let db = Db::connect(&DbOptions::new(url)).await.unwrap();
        let app = App::new(db.clone(), AppConfig::default());
        let agent = app.user_by_email(desk::BENCH_AGENT_EMAIL).await.unwrap();
        let (actor, _) = app.actor_for(agent.id).await.unwrap();
        assert_eq!(app.count_tickets(&actor, "").await.unwrap(), 600);
        let open = app.count_tickets(&actor, "status:open").await.unwrap();
        assert!((120..=240).contains(&open), "{open}");
        // Nothing is left for the auto-close job to do.
        let cutoff = Ts::from_micros(Ts::now().micros() - 3 * 24 * 3600 * 1_000_000);
        assert!(db.tickets_due_for_close(cutoff, 10).await.unwrap().is_empty());
        assert!(app.count_tickets(&actor, "password").await.unwrap() > 10);
        let q = format!("status:open group:\"{}\" sort:priority", g.group);
        assert!(app.count_tickets(&actor, &q).await.unwrap() > 0);
        assert!(app.find_ticket(&actor, &format!("INC-{}", g.incidents)).await.is_ok());
        assert!(app.authenticate_token(&g.token).await.is_ok());
        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    }
}
