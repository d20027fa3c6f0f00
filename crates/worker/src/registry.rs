//! Which code runs a job of which kind.

use opsdesk_app::App;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What a running job knows about itself.
#[derive(Clone)]
pub struct JobContext {
    pub app: App,
    pub job_id: i64,
    /// 1 for the first run.
    pub attempt: i64,
    pub worker_id: String,
}

/// Why a job run failed. `Permanent` errors go straight to the dead-letter state; others are
/// retried with backoff until the job's attempts run out.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("{0}")]
    Retry(String),
    #[error("{0}")]
    Permanent(String),
}

impl From<opsdesk_store::StoreError> for JobError {
    fn from(e: opsdesk_store::StoreError) -> Self {
        JobError::Retry(e.to_string())
    }
}

impl From<opsdesk_app::AppError> for JobError {
    fn from(e: opsdesk_app::AppError) -> Self {
        JobError::Retry(e.to_string())
    }
}

pub(crate) type BoxedHandler = Arc<
    dyn Fn(JobContext, serde_json::Value) -> Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>> + Send + Sync,
>;

/// Handlers by job kind, subscribers of outbox events, and schedules.
#[derive(Clone, Default)]
pub struct Registry {
    pub(crate) handlers: HashMap<String, BoxedHandler>,
    pub(crate) subscribers: Vec<crate::Subscriber>,
    pub(crate) schedules: Vec<crate::Schedule>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs jobs of `kind` with `f`.
    pub fn handle<F, Fut>(&mut self, kind: &str, f: F) -> &mut Self
    where
        F: Fn(JobContext, serde_json::Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        self.handlers.insert(kind.to_string(), Arc::new(move |ctx, payload| Box::pin(f(ctx, payload))));
        self
    }

    /// Turns every outbox event matched by `subscriber` into a job of its kind.
    pub fn subscribe(&mut self, subscriber: crate::Subscriber) -> &mut Self {
        self.subscribers.push(subscriber);
        self
    }

    pub fn schedule(&mut self, schedule: crate::Schedule) -> &mut Self {
        self.schedules.push(schedule);
        self
    }

    pub fn kinds(&self) -> Vec<&str> {
        let mut k: Vec<&str> = self.handlers.keys().map(String::as_str).collect();
        k.sort_unstable();
        k
    }
}
