//! Importing tickets from another system: rows arrive one by one (the file is streamed), are
//! validated like any new ticket, and are written in batches. Idempotent by `external_id`: a
//! row whose external id exists is skipped, so an interrupted import can simply be run again.

use super::create::{insert_prepared, Lookups, PreparedTicket};
use super::CreateTicket;
use crate::{App, AppError, Result};
use opsdesk_domain::Actor;
use opsdesk_store::Ts;
use serde::Serialize;
use std::collections::HashSet;

/// Rows written per transaction.
const BATCH: usize = 500;

#[derive(Debug, Default, Clone, Serialize)]
pub struct ImportReport {
    pub created: u64,
    pub skipped_existing: u64,
    pub rejected: Vec<RejectedRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RejectedRow {
    pub line: u64,
    pub reason: String,
}

/// A row as read from the file: its line number and the parsed input, or why it could not be
/// read.
pub type ImportRow = (u64, std::result::Result<CreateTicket, String>);

fn reason(e: &AppError) -> String {
    match e {
        AppError::Invalid(inv) => {
            inv.0.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}

impl App {
    /// Imports `rows` as `actor` (the console operator for `opsdesk import`).
    pub async fn import_tickets(
        &self,
        actor: &Actor,
        rows: impl IntoIterator<Item = ImportRow>,
    ) -> Result<ImportReport> {
        let mut report = ImportReport::default();
        let mut lookups = Lookups::default();
        let mut batch: Vec<(u64, PreparedTicket)> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for (line, row) in rows {
            let input = match row {
                Ok(i) => i,
                Err(e) => {
                    report.rejected.push(RejectedRow { line, reason: e });
                    continue;
                }
            };
            let Some(ext) = input.external_id.clone().filter(|e| !e.trim().is_empty()) else {
                report.rejected.push(RejectedRow { line, reason: "external_id: required for import".into() });
                continue;
            };
            if !seen.insert(ext.clone()) || self.db.ticket_exists_with_external_id(&ext).await? {
                report.skipped_existing += 1;
                continue;
            }
            match self.prepare_ticket(actor, input, Ts::now(), &mut lookups).await {
                Ok(p) => batch.push((line, p)),
                Err(e) => report.rejected.push(RejectedRow { line, reason: reason(&e) }),
            }
            if batch.len() >= BATCH {
                self.write_batch(actor, std::mem::take(&mut batch), &mut report).await?;
            }
        }
        self.write_batch(actor, batch, &mut report).await?;
        Ok(report)
    }

    async fn write_batch(
        &self,
        actor: &Actor,
        batch: Vec<(u64, PreparedTicket)>,
        report: &mut ImportReport,
    ) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let mut created = 0;
        for (line, p) in batch {
            match insert_prepared(&mut tx, actor, p, now).await {
                Ok(_) => created += 1,
                // Another import wrote the same external id meanwhile: it is there, skip it.
                Err(AppError::Conflict { .. }) => report.skipped_existing += 1,
                Err(e) => {
                    report.rejected.push(RejectedRow { line, reason: reason(&e) });
                    return Err(e);
                }
            }
        }
        tx.commit().await?;
        report.created += created;
        Ok(())
    }
}
