//! Dispatching outbox events: each pending event becomes one job per matching subscriber, and
//! is marked dispatched, in one transaction. A crash before commit leaves the event pending; a
//! unique key per (event, subscriber) keeps a repeated dispatch from doubling a job.

use opsdesk_store::jobs::NewJob;
use opsdesk_store::{Db, Ts};

/// Who wants to hear of which events: kinds matching `event_prefix` (`ticket.` or an exact
/// kind) become jobs of `job_kind` with the event in their payload.
#[derive(Debug, Clone)]
pub struct Subscriber {
    pub name: String,
    pub event_prefix: String,
    pub job_kind: String,
}

/// Dispatches up to `batch` events; returns how many.
pub(crate) async fn dispatch(db: &Db, subscribers: &[Subscriber], batch: i64) -> opsdesk_store::Result<usize> {
    // A cheap indexed read first, so an idle worker does not take the write lock (SQLite) or
    // open a transaction (PostgreSQL) on every turn of its loop.
    if !db.has_pending_events().await? {
        return Ok(0);
    }
    let now = Ts::now();
    let mut tx = db.begin().await?;
    let events = tx.pending_events(batch).await?;
    let mut keys = Vec::new();
    let mut payloads = Vec::new();
    for e in &events {
        for s in subscribers.iter().filter(|s| e.kind.starts_with(&s.event_prefix)) {
            keys.push(format!("event:{}:{}", e.id, s.name));
            let payload = serde_json::json!({
                "event_id": e.id,
                "kind": e.kind,
                "subject": e.subject,
                "actor_user_id": e.actor_user_id,
                // A payload that does not parse is logged and passed on as its text: the
                // subscriber's job fails visibly, and the events behind it still flow.
                "payload": opsdesk_store::stored_json::<serde_json::Value>(&format!("payload of event {}", e.id), &e.payload)
                    .unwrap_or_else(|_| serde_json::Value::String(e.payload.clone())),
            });
            payloads.push((&s.job_kind, payload));
        }
    }
    let jobs: Vec<NewJob<'_>> = payloads
        .into_iter()
        .zip(&keys)
        .map(|((kind, payload), key)| NewJob { kind, payload, run_at: now, max_attempts: 10, unique_key: Some(key) })
        .collect();
    tx.enqueue_jobs(&jobs, now).await?;
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    tx.mark_events_dispatched(&ids, now).await?;
    tx.commit().await?;
    Ok(events.len())
}
