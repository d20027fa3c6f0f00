//! The worker loop: claim due jobs up to the concurrency limit, run them, keep their leases
//! alive, record the outcome. Also drives the outbox dispatcher and the scheduler.

use crate::registry::{BoxedHandler, JobContext, JobError, Registry};
use crate::retry::backoff;
use crate::scheduler::Scheduler;
use opsdesk_app::group_commit::GroupCommit;
use opsdesk_app::App;
use opsdesk_store::jobs::ClaimedJob;
use opsdesk_store::Ts;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{watch, Semaphore};

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Names this worker in leases and logs; unique per process.
    pub id: String,
    /// Jobs run at once by this worker.
    pub concurrency: usize,
    /// How long a claim is valid without renewal. A worker that dies loses its jobs to
    /// another worker this long after its last renewal.
    pub lease: Duration,
    /// How long to wait before looking again when the queue is empty.
    pub idle_poll: Duration,
    /// Longest a single run may take before it counts as failed.
    pub job_timeout: Duration,
    /// Timings of the desks' IMAP mailbox sessions.
    pub mailbox: crate::mailbox::MailboxConfig,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            id: default_worker_id(),
            concurrency: 8,
            lease: Duration::from_secs(30),
            idle_poll: Duration::from_millis(250),
            job_timeout: Duration::from_secs(600),
            mailbox: crate::mailbox::MailboxConfig::default(),
        }
    }
}

/// `host-pid-random`: distinct for every process, even two on one host.
pub fn default_worker_id() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into());
    let rand = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &rand[..8])
}

pub struct Worker {
    app: App,
    config: WorkerConfig,
    registry: Arc<Registry>,
    completions: Arc<Completions>,
}

/// Jobs that finished at the same moment are recorded done in one transaction (one commit
/// instead of one each); each `(id, attempts)` is the claim, answered with whether it was
/// still held.
type Completions = GroupCommit<(i64, i64), Result<bool, String>>;

impl Worker {
    pub fn new(app: App, config: WorkerConfig, registry: Registry) -> Self {
        let completions = GroupCommit::new(config.concurrency.max(1));
        Worker { app, config, registry: Arc::new(registry), completions }
    }

    /// Runs until `shutdown` turns true, then waits for the jobs in flight to finish.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let cfg = &self.config;
        tracing::info!(worker = %cfg.id, concurrency = cfg.concurrency, kinds = ?self.registry.kinds(), "worker started");
        let slots = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
        let in_flight: Arc<Mutex<HashSet<i64>>> = Arc::default();
        let heartbeat = tokio::spawn(keep_leases(self.app.clone(), cfg.clone(), in_flight.clone(), shutdown.clone()));
        let mailboxes = tokio::spawn(crate::mailbox::supervise(
            self.app.clone(),
            cfg.id.clone(),
            cfg.mailbox.clone(),
            shutdown.clone(),
        ));
        let mut scheduler = Scheduler::default();
        let mut last_housekeeping = Instant::now() - Duration::from_secs(3600);

        while !*shutdown.borrow() {
            if last_housekeeping.elapsed() >= Duration::from_secs(1) {
                last_housekeeping = Instant::now();
                if let Err(e) = scheduler.tick(&self.app.db, &self.registry.schedules, Ts::now()).await {
                    tracing::warn!(error = %e, "scheduler tick failed");
                }
            }
            let dispatched = match crate::outbox::dispatch(&self.app.db, &self.registry.subscribers, 200).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox dispatch failed");
                    0
                }
            };

            let free = slots.available_permits();
            let claimed = if free == 0 {
                Vec::new()
            } else {
                let now = Ts::now();
                match self.app.db.claim_jobs(&cfg.id, now, now.plus(cfg.lease), free as i64).await {
                    Ok(jobs) => jobs,
                    Err(e) => {
                        tracing::warn!(error = %e, "claiming jobs failed");
                        Vec::new()
                    }
                }
            };
            let idle = claimed.is_empty() && dispatched == 0;
            for job in claimed {
                let Ok(permit) = slots.clone().acquire_owned().await else { break };
                if let Ok(mut set) = in_flight.lock() {
                    set.insert(job.id);
                }
                let (app, cfg, registry, in_flight, completions) =
                    (self.app.clone(), cfg.clone(), self.registry.clone(), in_flight.clone(), self.completions.clone());
                tokio::spawn(async move {
                    let id = job.id;
                    run_one(app, &cfg, &registry, &completions, job).await;
                    if let Ok(mut set) = in_flight.lock() {
                        set.remove(&id);
                    }
                    drop(permit);
                });
            }
            if slots.available_permits() == 0 {
                // Busy: claim again as soon as a running job frees its slot.
                tokio::select! {
                    permit = slots.acquire() => drop(permit),
                    _ = shutdown.changed() => {}
                }
            } else if idle {
                tokio::select! {
                    _ = tokio::time::sleep(cfg.idle_poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        // Let running jobs finish: their leases are still being renewed meanwhile.
        let _ = slots.acquire_many(cfg.concurrency.max(1) as u32).await;
        heartbeat.abort();
        let _ = mailboxes.await;
        tracing::info!(worker = %cfg.id, "worker stopped");
    }
}

/// Renews the leases of the jobs in flight well before they expire.
async fn keep_leases(
    app: App,
    cfg: WorkerConfig,
    in_flight: Arc<Mutex<HashSet<i64>>>,
    shutdown: watch::Receiver<bool>,
) {
    let every = cfg.lease / 3;
    loop {
        tokio::time::sleep(every).await;
        let ids: Vec<i64> = in_flight.lock().map(|s| s.iter().copied().collect()).unwrap_or_default();
        if !ids.is_empty() {
            if let Err(e) = app.db.renew_leases(&cfg.id, &ids, Ts::now().plus(cfg.lease)).await {
                tracing::warn!(error = %e, "renewing leases failed");
            }
        }
        if *shutdown.borrow() && ids.is_empty() {
            break;
        }
    }
}

async fn run_one(app: App, cfg: &WorkerConfig, registry: &Registry, completions: &Arc<Completions>, job: ClaimedJob) {
    let started = Instant::now();
    let kind = job.kind.clone();
    let outcome: Result<(), JobError> = if job.attempts > job.max_attempts {
        // Claimed again after its lease ran out on the last allowed attempt: a worker died
        // running it every time. Stop here rather than crash workers forever.
        Err(JobError::Permanent(format!("abandoned: no worker finished it in {} attempts", job.max_attempts)))
    } else {
        match registry.handlers.get(&job.kind) {
            None => Err(JobError::Permanent(format!("no handler for job kind {:?}", job.kind))),
            Some(handler) => execute(handler.clone(), &app, cfg, &job).await,
        }
    };
    let now = Ts::now();
    let db = &app.db;
    let recorded = match &outcome {
        Ok(()) => complete(&app, &cfg.id, completions, (job.id, job.attempts)).await,
        Err(e) => {
            let retry_at = match e {
                JobError::Retry(_) if job.attempts < job.max_attempts => {
                    Some(now.plus(backoff(job.attempts, rand_unit())))
                }
                _ => None,
            };
            db.fail_job(job.id, &cfg.id, job.attempts, &e.to_string(), retry_at, now).await.map_err(|e| e.to_string())
        }
    };
    let label = match (&outcome, job.attempts >= job.max_attempts) {
        (Ok(()), _) => "done",
        (Err(JobError::Retry(_)), false) => "retry",
        (Err(_), _) => "dead",
    };
    metrics::counter!("opsdesk_jobs_finished_total", "kind" => kind.clone(), "outcome" => label).increment(1);
    metrics::histogram!("opsdesk_job_duration_seconds", "kind" => kind.clone()).record(started.elapsed().as_secs_f64());
    match (recorded, outcome) {
        (Ok(true), Ok(())) => tracing::debug!(job = job.id, kind = %kind, "job done"),
        (Ok(true), Err(e)) => {
            tracing::warn!(job = job.id, kind = %kind, attempt = job.attempts, error = %e, outcome = label, "job failed")
        }
        (Ok(false), _) => tracing::warn!(job = job.id, kind = %kind, "lease lost before the outcome was recorded"),
        (Err(e), _) => {
            tracing::error!(job = job.id, kind = %kind, error = %e, "recording the job outcome failed; it will run again after its lease")
        }
    }
}

/// Records a job done together with the others finishing now.
async fn complete(app: &App, worker: &str, completions: &Arc<Completions>, claim: (i64, i64)) -> Result<bool, String> {
    let (db, worker) = (app.db.clone(), worker.to_string());
    let write = move |claims: Vec<(i64, i64)>| {
        let (db, worker) = (db.clone(), worker.clone());
        async move {
            match db.complete_jobs(&worker, &claims, Ts::now()).await {
                Ok(held) => held.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e.to_string()); claims.len()],
            }
        }
    };
    completions.submit(claim, write).await.unwrap_or_else(|| Err("recording the completion was abandoned".into()))
}

async fn execute(handler: BoxedHandler, app: &App, cfg: &WorkerConfig, job: &ClaimedJob) -> Result<(), JobError> {
    let payload: serde_json::Value =
        serde_json::from_str(&job.payload).map_err(|e| JobError::Permanent(format!("payload is not JSON: {e}")))?;
    let ctx = JobContext { app: app.clone(), job_id: job.id, attempt: job.attempts, worker_id: cfg.id.clone() };
    // Run in its own task so that a panicking handler fails its job instead of the worker.
    let task = tokio::spawn(handler(ctx, payload));
    match tokio::time::timeout(cfg.job_timeout, task).await {
        Ok(Ok(r)) => r,
        Ok(Err(join)) => Err(JobError::Retry(format!("job panicked: {join}"))),
        Err(_) => Err(JobError::Retry(format!("timed out after {:?}", cfg.job_timeout))),
    }
}

fn rand_unit() -> f64 {
    let n = uuid::Uuid::new_v4().as_u128() as u64;
    (n >> 11) as f64 / (1u64 << 53) as f64
}
