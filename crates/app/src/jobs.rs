//! Operating the job queue: listing jobs (the dead-letter list among them) and retrying dead
//! ones.

use crate::{App, AppError, Result};
use opsdesk_domain::{Actor, FieldError, Permission};
use opsdesk_store::jobs::{state, Job};
use opsdesk_store::{StoreError, Ts};

impl App {
    pub async fn jobs(&self, actor: &Actor, state: Option<&str>, before: Option<i64>, limit: i64) -> Result<Vec<Job>> {
        if !actor.can(Permission::OperateJobs) {
            return Err(AppError::Forbidden);
        }
        if let Some(s) = state {
            if !state::ALL.contains(&s) {
                return Err(FieldError::new("state", "invalid", "state is one of queued, running, done, dead").into());
            }
        }
        Ok(self.db.jobs(state, before, limit).await?)
    }

    pub async fn retry_job(&self, actor: &Actor, id: i64) -> Result<Job> {
        if !actor.can(Permission::OperateJobs) {
            return Err(AppError::Forbidden);
        }
        match self.db.retry_dead_job(id, Ts::now()).await {
            Err(StoreError::Conflict { .. }) => {
                Err(AppError::Conflict { code: "job_not_dead", message: "only dead jobs can be retried".into() })
            }
            other => Ok(other?),
        }
    }
}
