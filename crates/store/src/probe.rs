//! Bookkeeping of the queue probe: each run of a probe job leaves a row, so that an operator (and
//! the test suite) can check that every job ran exactly once across all workers.

use crate::{Db, Result, Ts};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProbeSummary {
    /// Executions started.
    pub runs: i64,
    /// Distinct jobs that started at least once.
    pub jobs: i64,
    /// Executions that finished.
    pub finished: i64,
    /// Distinct jobs that finished at least once.
    pub finished_jobs: i64,
}

impl Db {
    pub async fn start_probe_run(&self, job_id: i64, worker: &str, now: Ts) -> Result<i64> {
        let mut tx = self.begin().await?;
        let row: (i64,) = on_tx!(&mut tx, |c| sqlx::query_as(
            "INSERT INTO probe_runs (job_id, worker, started_at) VALUES ($1, $2, $3) RETURNING id"
        )
        .bind(job_id)
        .bind(worker)
        .bind(now)
        .fetch_one(c)
        .await?);
        tx.commit().await?;
        Ok(row.0)
    }

    pub async fn finish_probe_run(&self, run_id: i64, now: Ts) -> Result<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, |c| sqlx::query("UPDATE probe_runs SET finished_at = $2 WHERE id = $1")
            .bind(run_id)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected());
        tx.commit().await
    }

    /// Counts over the probe runs of jobs with ids in `[first_job, last_job]`.
    pub async fn probe_summary(&self, first_job: i64, last_job: i64) -> Result<ProbeSummary> {
        let (runs, jobs, finished, finished_jobs): (i64, i64, i64, i64) = on_read!(self, |p| sqlx::query_as(
            "SELECT COUNT(*), COUNT(DISTINCT job_id), COUNT(finished_at), \
             COUNT(DISTINCT CASE WHEN finished_at IS NOT NULL THEN job_id END) \
             FROM probe_runs WHERE job_id BETWEEN $1 AND $2"
        )
        .bind(first_job)
        .bind(last_job)
        .fetch_one(p)
        .await?);
        Ok(ProbeSummary { runs, jobs, finished, finished_jobs })
    }

    /// Workers that ran probe jobs in the range, with how many each ran.
    pub async fn probe_workers(&self, first_job: i64, last_job: i64) -> Result<Vec<(String, i64)>> {
        Ok(on_read!(self, |p| sqlx::query_as(
            "SELECT worker, COUNT(*) FROM probe_runs WHERE job_id BETWEEN $1 AND $2 GROUP BY worker ORDER BY worker"
        )
        .bind(first_job)
        .bind(last_job)
        .fetch_all(p)
        .await?))
    }
}
