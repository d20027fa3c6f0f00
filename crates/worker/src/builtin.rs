//! The platform's own jobs: housekeeping on a schedule, and the queue probe.

use crate::{JobContext, JobError, Registry, Schedule};
use opsdesk_store::Ts;
use std::time::Duration;

pub const PURGE_SESSIONS: &str = "maintenance.purge_sessions";
pub const PURGE_HISTORY: &str = "maintenance.purge_history";
pub const PROBE: &str = "diagnostics.probe";
pub const AUTO_CLOSE: &str = "tickets.auto_close";
pub const SLA_SCAN: &str = "sla.scan";
pub const KB_REVIEWS: &str = "kb.review_reminders";

/// Registers every built-in handler and schedule.
pub fn register(r: &mut Registry) {
    r.handle(PURGE_SESSIONS, purge_sessions);
    r.handle(PURGE_HISTORY, purge_history);
    r.handle(PROBE, probe);
    r.handle(AUTO_CLOSE, auto_close);
    r.handle(SLA_SCAN, sla_scan);
    // SLA warnings and breaches fire within this interval of their instant.
    r.schedule(Schedule {
        name: "sla-scan".into(),
        every: Duration::from_secs(15),
        job_kind: SLA_SCAN.into(),
        payload: serde_json::json!({}),
    });
    r.handle(KB_REVIEWS, kb_reviews);
    r.schedule(Schedule {
        name: "kb-review-reminders".into(),
        every: Duration::from_secs(3600),
        job_kind: KB_REVIEWS.into(),
        payload: serde_json::json!({}),
    });
    crate::mail::register(r);
    crate::approvals::register(r);
    crate::password_reset::register(r);
    r.schedule(Schedule {
        name: "auto-close-resolved".into(),
        every: Duration::from_secs(300),
        job_kind: AUTO_CLOSE.into(),
        payload: serde_json::json!({}),
    });
    r.schedule(Schedule {
        name: "purge-sessions".into(),
        every: Duration::from_secs(3600),
        job_kind: PURGE_SESSIONS.into(),
        payload: serde_json::json!({}),
    });
    r.schedule(Schedule {
        name: "purge-history".into(),
        every: Duration::from_secs(6 * 3600),
        job_kind: PURGE_HISTORY.into(),
        payload: serde_json::json!({}),
    });
}

/// Expired sessions and login-throttle counters whose window and lock are over.
async fn purge_sessions(ctx: JobContext, _: serde_json::Value) -> Result<(), JobError> {
    let now = Ts::now();
    let mut tx = ctx.app.db.begin().await?;
    let sessions = tx.purge_expired_sessions(now).await?;
    let throttles = tx.purge_stale_throttles(Ts::from_micros(now.micros() - 3_600_000_000), now).await?;
    tx.commit().await?;
    tracing::info!(sessions, throttles, "purged expired sessions");
    Ok(())
}

/// Finished jobs after a week, dispatched events after a month. Dead jobs stay.
async fn purge_history(ctx: JobContext, _: serde_json::Value) -> Result<(), JobError> {
    let now = Ts::now().micros();
    let day = 86_400_000_000i64;
    let jobs = ctx.app.db.purge_done_jobs(Ts::from_micros(now - 7 * day)).await?;
    let mut tx = ctx.app.db.begin().await?;
    let events = tx.purge_dispatched_events(Ts::from_micros(now - 30 * day)).await?;
    tx.commit().await?;
    tracing::info!(jobs, events, "purged old jobs and events");
    Ok(())
}

/// Closes resolved tickets whose quiet period has passed without a requester reply.
async fn auto_close(ctx: JobContext, _: serde_json::Value) -> Result<(), JobError> {
    let closed = ctx.app.auto_close_resolved(Ts::now()).await?;
    if closed > 0 {
        tracing::info!(closed, "closed resolved tickets after their quiet period");
    }
    Ok(())
}

/// Fires the SLA warnings and breaches that have come due.
async fn sla_scan(ctx: JobContext, _: serde_json::Value) -> Result<(), JobError> {
    let r = ctx.app.sla_scan(Ts::now()).await?;
    if r.warnings + r.breaches > 0 {
        tracing::info!(warnings = r.warnings, breaches = r.breaches, "SLA warnings and breaches fired");
    }
    Ok(())
}

/// Reminds owners of knowledge articles whose review date has passed (a `kb.review_due` event
/// and a history row each, once per date).
async fn kb_reviews(ctx: JobContext, _: serde_json::Value) -> Result<(), JobError> {
    let reminded = ctx.app.remind_article_reviews(Ts::now()).await?;
    if reminded > 0 {
        tracing::info!(reminded, "reminded article owners of passed review dates");
    }
    Ok(())
}

/// Records that it ran (and where), optionally takes its time, and records that it finished.
/// `opsdesk queue probe` uses it to check that a deployment's workers run each job once.
async fn probe(ctx: JobContext, payload: serde_json::Value) -> Result<(), JobError> {
    let run = ctx.app.db.start_probe_run(ctx.job_id, &ctx.worker_id, Ts::now()).await?;
    let sleep_ms = payload.get("sleep_ms").and_then(|v| v.as_u64()).unwrap_or(0).min(600_000);
    if sleep_ms > 0 {
        tokio::time::sleep(Duration::from_millis(sleep_ms)).await;
    }
    if payload.get("fail").and_then(|v| v.as_bool()) == Some(true) {
        return Err(JobError::Retry("the probe was asked to fail".into()));
    }
    ctx.app.db.finish_probe_run(run, Ts::now()).await?;
    Ok(())
}

/// The registry a production worker runs with.
pub fn registry() -> Registry {
    let mut r = Registry::new();
    register(&mut r);
    r
}
