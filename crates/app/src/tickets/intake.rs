//! New tickets go through the group commit (see [`crate::group_commit`]): tickets logged at the
//! same moment are written in one transaction of a few multi-row statements. If such a batch
//! fails (a duplicate external id, a reference deleted meanwhile), it is rolled back and each
//! of its tickets is written alone, so one bad ticket gets its own error and takes no other
//! down.

use super::create::{insert_prepared, insert_prepared_batch, PreparedTicket};
use crate::group_commit::GroupCommit;
use crate::{App, AppError, Result};
use opsdesk_domain::Actor;
use opsdesk_store::tickets::Ticket;
use opsdesk_store::Ts;
use std::sync::Arc;

/// Most tickets written in one transaction (more wait for the next turn).
const MAX_BATCH: usize = 200;

/// A validated ticket waiting for its turn, with who logged it and when.
pub(crate) type Waiting = (Actor, PreparedTicket, Ts);

pub(crate) fn intake() -> Arc<GroupCommit<Waiting, Result<Ticket>>> {
    GroupCommit::new(MAX_BATCH)
}

impl App {
    /// Writes a prepared ticket together with the others logged at the same moment; returns
    /// once it is committed.
    pub(crate) async fn insert_grouped(&self, actor: &Actor, ticket: PreparedTicket, now: Ts) -> Result<Ticket> {
        let app = self.clone();
        let written = self.intake.submit((actor.clone(), ticket, now), move |batch| {
            let app = app.clone();
            async move { app.write(batch).await }
        });
        written.await.unwrap_or_else(|| Err(AppError::Internal("the batch of this ticket was abandoned".into())))
    }

    async fn write(&self, batch: Vec<Waiting>) -> Vec<Result<Ticket>> {
        match self.write_together(&batch).await {
            Ok(tickets) => tickets.into_iter().map(Ok).collect(),
            Err(e) if batch.len() == 1 => vec![Err(e)],
            Err(e) => {
                tracing::debug!(error = %e, size = batch.len(), "a batch of new tickets failed; writing them one by one");
                let mut out = Vec::with_capacity(batch.len());
                for (actor, ticket, now) in batch {
                    out.push(self.write_alone(&actor, ticket, now).await);
                }
                out
            }
        }
    }

    async fn write_together(&self, batch: &[Waiting]) -> Result<Vec<Ticket>> {
        let items: Vec<(&Actor, &PreparedTicket, Ts)> = batch.iter().map(|(a, p, now)| (a, p, *now)).collect();
        let mut tx = self.db.begin().await?;
        let tickets = insert_prepared_batch(&mut tx, &items).await?;
        tx.commit().await?;
        Ok(tickets)
    }

    async fn write_alone(&self, actor: &Actor, ticket: PreparedTicket, now: Ts) -> Result<Ticket> {
        let mut tx = self.db.begin().await?;
        let t = insert_prepared(&mut tx, actor, ticket, now).await?;
        tx.commit().await?;
        Ok(t)
    }
}
