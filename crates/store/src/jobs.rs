//! The job queue: durable background work with leases, retries and a dead-letter state.
//!
//! A worker claims due jobs by setting a lease (`run_at` moves to the lease's expiry and
//! `leased_by` names the claim). A worker that dies simply stops renewing; once `run_at`
//! passes, any worker may claim the job again. Completion and failure are fenced by the claim
//! (`leased_by` and `attempts`), so a worker that lost its lease cannot overwrite the outcome
//! of the one that took over.

use crate::multirow::{cached, chunk_rows, numbered, values};
use crate::{Db, Result, StoreError, Ts, Tx};

/// The state of a job.
pub mod state {
    pub const QUEUED: &str = "queued";
    pub const RUNNING: &str = "running";
    pub const DONE: &str = "done";
    pub const DEAD: &str = "dead";
    pub const ALL: [&str; 4] = [QUEUED, RUNNING, DONE, DEAD];
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    /// Not shown by the API.
    pub payload: String,
    pub state: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: Ts,
    pub leased_by: Option<String>,
    pub last_error: Option<String>,
    pub unique_key: Option<String>,
    pub created_at: Ts,
    pub updated_at: Ts,
    pub finished_at: Option<Ts>,
}

/// A job this worker holds a lease on.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    /// Including this run.
    pub attempts: i64,
    pub max_attempts: i64,
}

#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub payload: serde_json::Value,
    pub run_at: Ts,
    pub max_attempts: i64,
    /// At most one job ever exists per key (scheduled occurrences, per-event deliveries).
    pub unique_key: Option<&'a str>,
}

const JOB_COLS: &str = "id, kind, payload, state, attempts, max_attempts, run_at, leased_by, last_error, unique_key, \
                        created_at, updated_at, finished_at";

impl Tx {
    /// Enqueues jobs with one statement per few thousand; a job whose unique key exists is
    /// skipped. Returns the ids of the jobs enqueued (in no particular order).
    pub async fn enqueue_jobs(&mut self, jobs: &[NewJob<'_>], now: Ts) -> Result<Vec<i64>> {
        let mut ids = Vec::with_capacity(jobs.len());
        for chunk in jobs.chunks(chunk_rows(6)) {
            let sql = format!(
                "INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_at, unique_key, created_at, \
                 updated_at) VALUES {} ON CONFLICT (unique_key) DO NOTHING RETURNING id",
                values(self.backend(), "(?, ?, 'queued', 0, ?, ?, ?, ?, ?)", chunk.len())
            );
            let rows: Vec<(i64,)> = on_tx!(self, |c| {
                let mut q = sqlx::query_as(&sql).persistent(cached(chunk.len()));
                for j in chunk {
                    q = q
                        .bind(j.kind)
                        .bind(j.payload.to_string())
                        .bind(j.max_attempts)
                        .bind(j.run_at)
                        .bind(j.unique_key)
                        .bind(now)
                        .bind(now);
                }
                q.fetch_all(c).await?
            });
            ids.extend(rows.into_iter().map(|r| r.0));
        }
        Ok(ids)
    }

    /// Enqueues a job; returns `None` when a job with the same unique key already exists.
    pub async fn enqueue_job(&mut self, j: &NewJob<'_>, now: Ts) -> Result<Option<i64>> {
        Ok(self.enqueue_jobs(std::slice::from_ref(j), now).await?.pop())
    }
}

impl Db {
    pub async fn enqueue_job(&self, j: &NewJob<'_>) -> Result<Option<i64>> {
        let mut tx = self.begin().await?;
        let id = tx.enqueue_job(j, Ts::now()).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Leases up to `limit` due jobs (queued and due, or running with an expired lease).
    pub async fn claim_jobs(&self, leased_by: &str, now: Ts, lease_until: Ts, limit: i64) -> Result<Vec<ClaimedJob>> {
        // SQLite's planner, without statistics, prefers `jobs_state` and then sorts every
        // queued job on each claim, so a backlog of 100,000 jobs made each claim scan them all;
        // the partial index yields the due jobs already in order.
        let hint = match self.backend() {
            crate::Backend::Sqlite => " INDEXED BY jobs_due",
            crate::Backend::Postgres => "",
        };
        let sql = format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, run_at = $1, leased_by = $2, updated_at = $3 \
             WHERE id IN (SELECT id FROM jobs{hint} WHERE state IN ('queued', 'running') AND run_at <= $3 \
             ORDER BY run_at, id LIMIT $4{}) RETURNING id, kind, payload, attempts, max_attempts",
            self.skip_locked()
        );
        let mut tx = self.begin().await?;
        let jobs = on_tx!(&mut tx, |c| sqlx::query_as(&sql)
            .bind(lease_until)
            .bind(leased_by)
            .bind(now)
            .bind(limit)
            .fetch_all(c)
            .await?);
        tx.commit().await?;
        Ok(jobs)
    }

    /// Extends the leases this worker still holds; returns how many it still held.
    pub async fn renew_leases(&self, leased_by: &str, ids: &[i64], lease_until: Ts) -> Result<u64> {
        let mut tx = self.begin().await?;
        let mut held = 0;
        for id in ids {
            held += on_tx!(&mut tx, |c| sqlx::query(
                "UPDATE jobs SET run_at = $3 WHERE id = $1 AND leased_by = $2 AND state = 'running'"
            )
            .bind(id)
            .bind(leased_by)
            .bind(lease_until)
            .execute(c)
            .await?
            .rows_affected());
        }
        tx.commit().await?;
        Ok(held)
    }

    /// Marks several jobs this worker claimed done, in one transaction; each `(id, attempts)`
    /// is the claim. Returns, in the order given, whether each claim was still held.
    pub async fn complete_jobs(&self, leased_by: &str, claims: &[(i64, i64)], now: Ts) -> Result<Vec<bool>> {
        let mut done = std::collections::HashSet::new();
        let mut tx = self.begin().await?;
        for chunk in claims.chunks(chunk_rows(2)) {
            let sql = numbered(
                tx.backend(),
                &format!(
                    "UPDATE jobs SET state = 'done', last_error = NULL, updated_at = ?, finished_at = ? \
                     WHERE leased_by = ? AND state = 'running' AND (id, attempts) IN (VALUES {}) RETURNING id",
                    vec!["(?, ?)"; chunk.len()].join(", ")
                ),
            );
            let ids: Vec<(i64,)> = on_tx!(&mut tx, |c| {
                let mut q = sqlx::query_as(&sql).persistent(cached(chunk.len())).bind(now).bind(now).bind(leased_by);
                for (id, attempts) in chunk {
                    q = q.bind(id).bind(attempts);
                }
                q.fetch_all(c).await?
            });
            done.extend(ids.into_iter().map(|r| r.0));
        }
        tx.commit().await?;
        Ok(claims.iter().map(|(id, _)| done.contains(id)).collect())
    }

    /// Records a failed run: back to the queue at `retry_at`, or dead when `retry_at` is None.
    /// False when the claim was lost meanwhile.
    pub async fn fail_job(
        &self,
        id: i64,
        leased_by: &str,
        attempts: i64,
        error: &str,
        retry_at: Option<Ts>,
        now: Ts,
    ) -> Result<bool> {
        let error: String = error.chars().take(4000).collect();
        let mut tx = self.begin().await?;
        let n = on_tx!(&mut tx, |c| sqlx::query(
            "UPDATE jobs SET state = CASE WHEN $5 IS NULL THEN 'dead' ELSE 'queued' END, \
             run_at = COALESCE($5, run_at), leased_by = NULL, last_error = $4, updated_at = $6, \
             finished_at = CASE WHEN $5 IS NULL THEN $6 ELSE NULL END \
             WHERE id = $1 AND leased_by = $2 AND attempts = $3 AND state = 'running'"
        )
        .bind(id)
        .bind(leased_by)
        .bind(attempts)
        .bind(&error)
        .bind(retry_at)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        tx.commit().await?;
        Ok(n == 1)
    }

    pub async fn job(&self, id: i64) -> Result<Job> {
        let sql = format!("SELECT {JOB_COLS} FROM jobs WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(id).fetch_one(p).await?))
    }

    /// Jobs in a state (or all), newest first, before the id `before`.
    pub async fn jobs(&self, state: Option<&str>, before: Option<i64>, limit: i64) -> Result<Vec<Job>> {
        let sql = format!(
            "SELECT {JOB_COLS} FROM jobs WHERE ($1 IS NULL OR state = $1) AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(state).bind(before).bind(limit).fetch_all(p).await?))
    }

    /// Number of jobs per state.
    pub async fn job_counts(&self) -> Result<Vec<(String, i64)>> {
        Ok(on_read!(self, |p| sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state")
            .fetch_all(p)
            .await?))
    }

    /// Puts a dead job back in the queue with a fresh set of attempts.
    pub async fn retry_dead_job(&self, id: i64, now: Ts) -> Result<Job> {
        let sql = format!(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $2, leased_by = NULL, updated_at = $2, \
             finished_at = NULL WHERE id = $1 AND state = 'dead' RETURNING {JOB_COLS}"
        );
        let mut tx = self.begin().await?;
        let job: Option<Job> = on_tx!(&mut tx, |c| sqlx::query_as(&sql).bind(id).bind(now).fetch_optional(c).await?);
        tx.commit().await?;
        match job {
            Some(j) => Ok(j),
            None => match self.job(id).await {
                Ok(_) => Err(StoreError::Conflict { constraint: "state".into() }),
                Err(e) => Err(e),
            },
        }
    }

    /// Deletes finished (done) jobs older than `before`. Dead jobs stay until retried or
    /// inspected: they are the record of what went wrong.
    pub async fn purge_done_jobs(&self, before: Ts) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = on_tx!(&mut tx, |c| sqlx::query("DELETE FROM jobs WHERE state = 'done' AND finished_at < $1")
            .bind(before)
            .execute(c)
            .await?
            .rows_affected());
        tx.commit().await?;
        Ok(n)
    }
}
