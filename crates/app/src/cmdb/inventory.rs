//! Inventory reconciliation: discovery agents and scripts push what they found; each item is
//! matched to one CI by its identifiers in priority order, created or updated, never
//! duplicated. Conflicting identifiers are reported and nothing is merged; attributes another
//! source is authoritative for are left alone; every decision says why. A dry run does all of
//! it in a transaction that is rolled back, and answers the same report. The work is done a
//! chunk of items at a time (see `inventory_chunk`).

use super::inventory_chunk::{reconcile_chunk, Classes, Outcome, Push};
use super::{require_admin, DecisionView, InventoryView, ItemError, RejectionView};
use crate::{emit, App, Result};
use opsdesk_domain::cmdb::ClassSchema;
use opsdesk_domain::{Actor, FieldError};
use opsdesk_store::Ts;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// One thing a source found.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryItem {
    /// A class key.
    pub class: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `serial`, `asset_tag`, `hostname`, `mac`, `uuid`: as many as the source knows.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub identifiers: Value,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
}

/// A push from one source.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryInput {
    /// The source's name (`sccm`, `jamf`, `nmap-dc1`); remembered on each item it reports.
    #[schema(min_length = 1, max_length = 100)]
    pub source: String,
    #[schema(max_items = 100000)]
    pub items: Vec<InventoryItem>,
    /// Decide and report, change nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// `all` answers every item's decision; `problems` only conflicts and rejections (counts
    /// for the rest). A dry run explains all by default, a real push only problems.
    #[serde(default)]
    pub explain: Option<Explain>,
}

/// Which decisions a push answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = InventoryExplain)]
pub enum Explain {
    /// Every item's decision, with its changes.
    All,
    /// Only conflicts and rejections: a push of 100,000 items answers a few instead of
    /// 100,000 explanations nobody reads.
    Problems,
}

/// Items per chunk: each chunk is read in a few statements and written in a few more.
const CHUNK: usize = 2000;

impl App {
    pub async fn push_inventory(&self, actor: &Actor, input: InventoryInput) -> Result<InventoryView> {
        require_admin(actor)?;
        let source = input.source.trim().to_string();
        if source.is_empty() || source.chars().count() > 100 || source.chars().any(char::is_control) {
            return Err(FieldError::new("source", "invalid", "source is 1 to 100 characters").into());
        }
        let classes = Classes(
            self.db
                .ci_classes()
                .await?
                .into_iter()
                .map(|c| {
                    let schema = ClassSchema::from_stored(&c.schema);
                    (c.key.clone(), (c, schema))
                })
                .collect(),
        );
        let dry_run = input.dry_run;
        // A dry run is asked for its diff.
        let explain_all =
            input.explain.unwrap_or(if dry_run { Explain::All } else { Explain::Problems }) == Explain::All;
        let history = format!("inventory:{source}");
        let push = Push { actor, classes: &classes, source: &source, history: &history, now: Ts::now() };
        let mut out = InventoryView {
            dry_run,
            created: 0,
            updated: 0,
            unchanged: 0,
            conflicts: vec![],
            rejected: vec![],
            decisions: vec![],
        };
        // Items are consumed a chunk at a time, so those done are freed while the rest wait.
        let mut items = input.items.into_iter().enumerate().peekable();
        let mut tx = self.db.begin().await?;
        while items.peek().is_some() {
            let chunk: Vec<(usize, InventoryItem)> = items.by_ref().take(CHUNK).collect();
            for outcome in reconcile_chunk(&mut tx, &push, chunk).await? {
                record(&mut out, outcome, explain_all);
            }
            // A real push commits each chunk, so that other writers (SQLite has one at a time)
            // are not kept waiting for the whole push; a chunk is whole or absent, and pushing
            // again after a failure reconciles to the same items. A dry run stays in one
            // transaction, rolled back, so that later chunks see what earlier ones would do.
            if !dry_run && items.peek().is_some() {
                tx.commit().await?;
                tx = self.db.begin().await?;
            }
        }
        if dry_run {
            // Dropping the transaction rolls every change back.
            drop(tx);
            return Ok(out);
        }
        let summary = json!({"source": source, "created": out.created, "updated": out.updated,
                             "unchanged": out.unchanged, "conflicts": out.conflicts.len(), "rejected": out.rejected.len()});
        emit(&mut tx, "cmdb.inventory.reconciled", format!("inventory:{source}"), actor, summary, push.now).await?;
        tx.commit().await?;
        Ok(out)
    }
}

/// Counts an outcome, and keeps its decision when the caller wants it: always for conflicts
/// and rejections.
fn record(out: &mut InventoryView, outcome: Outcome, explain_all: bool) {
    match outcome {
        Outcome::Decided(d) => {
            match d.action.as_str() {
                "created" => out.created += 1,
                "updated" => out.updated += 1,
                _ => out.unchanged += 1,
            }
            if explain_all {
                out.decisions.push(d);
            }
        }
        Outcome::Conflict(c) => {
            out.decisions.push(DecisionView {
                item: c.item,
                action: "conflict".into(),
                ci: None,
                matched_by: None,
                explanation: c.detail.clone(),
                changes: Map::new(),
                protected: vec![],
            });
            out.conflicts.push(c);
        }
        Outcome::Rejected(i, errors) => {
            out.decisions.push(DecisionView {
                item: i,
                action: "rejected".into(),
                ci: None,
                matched_by: None,
                explanation: errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
                changes: Map::new(),
                protected: vec![],
            });
            out.rejected.push(RejectionView { item: i, errors: errors.iter().map(ItemError::from).collect() });
        }
    }
}
