//! Inventory reconciliation: discovery agents and scripts push what they found; each item is
//! matched to one CI by its identifiers in priority order, created or updated, never
//! duplicated. Conflicting identifiers are reported and nothing is merged; attributes another
//! source is authoritative for are left alone; every decision says why. A dry run does all of
//! it in a transaction that is rolled back, and answers the same report.

use super::items::write_identifiers;
use super::views::object;
use super::{require_admin, ConflictView, DecisionView, InventoryView, ItemError, RejectionView};
use crate::{emit, App, Result};
use opsdesk_domain::cmdb::reconcile::{match_item, merge};
use opsdesk_domain::cmdb::{CiName, ClassSchema, IdKind, Identifiers, MatchOutcome};
use opsdesk_domain::{Actor, FieldError, Invalid};
use opsdesk_store::cmdb::{ClassRow, NewCiVersion};
use opsdesk_store::{Ts, Tx};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

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
}

/// Classes by key, with their schemas read once per push.
struct Classes(HashMap<String, (ClassRow, ClassSchema)>);

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
        let now = Ts::now();
        let history = format!("inventory:{source}");
        let mut out = InventoryView {
            dry_run: input.dry_run,
            created: 0,
            updated: 0,
            unchanged: 0,
            conflicts: vec![],
            rejected: vec![],
            decisions: Vec::with_capacity(input.items.len()),
        };
        let mut tx = self.db.begin().await?;
        for (i, item) in input.items.iter().enumerate() {
            let d = reconcile_one(&mut tx, actor, &classes, &source, &history, i, item, now).await?;
            match d {
                Outcome::Decided(d) => {
                    match d.action.as_str() {
                        "created" => out.created += 1,
                        "updated" => out.updated += 1,
                        _ => out.unchanged += 1,
                    }
                    out.decisions.push(d);
                }
                Outcome::Conflict(c) => {
                    out.decisions.push(DecisionView {
                        item: i,
                        action: "conflict".into(),
                        ci: None,
                        matched_by: None,
                        explanation: c.detail.clone(),
                        changes: Map::new(),
                        protected: vec![],
                    });
                    out.conflicts.push(c);
                }
                Outcome::Rejected(errors) => {
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
        if input.dry_run {
            // Dropping the transaction rolls every change back.
            drop(tx);
            return Ok(out);
        }
        let summary = json!({"source": source, "created": out.created, "updated": out.updated,
                             "unchanged": out.unchanged, "conflicts": out.conflicts.len(), "rejected": out.rejected.len()});
        emit(&mut tx, "cmdb.inventory.reconciled", format!("inventory:{source}"), actor, summary, now).await?;
        tx.commit().await?;
        Ok(out)
    }
}

enum Outcome {
    Decided(DecisionView),
    Conflict(ConflictView),
    Rejected(Vec<FieldError>),
}

#[allow(clippy::too_many_arguments)]
async fn reconcile_one(
    tx: &mut Tx,
    actor: &Actor,
    classes: &Classes,
    source: &str,
    history: &str,
    i: usize,
    item: &InventoryItem,
    now: Ts,
) -> Result<Outcome> {
    let at = |e: FieldError| {
        let field = e.field.clone();
        e.at(format!("items[{i}].{field}"))
    };
    let mut errors = vec![];
    let class = classes.0.get(item.class.trim());
    if class.is_none() {
        errors.push(FieldError::new(format!("items[{i}].class"), "unknown_class", "no such class"));
    }
    let name = CiName::parse(&item.name).map_err(|e| errors.push(at(e))).ok();
    let reported =
        Identifiers::parse(&item.identifiers, "identifiers").map_err(|e| errors.extend(e.into_iter().map(at))).ok();
    let (Some((class, schema)), Some(name), Some(reported)) = (class, name, reported) else {
        return Ok(Outcome::Rejected(errors));
    };
    // Find the candidates: by each identifier in priority order, or by class and name when the
    // source knows no identifier.
    // The rows read while matching, so a match is not read twice.
    let mut fetched: HashMap<i64, opsdesk_store::cmdb::CiRow> = HashMap::new();
    let (outcome, by_name) = if reported.is_empty() {
        let named = tx.cis_named(class.id, name.as_str()).await?;
        let o = match named.as_slice() {
            [] => MatchOutcome::New,
            [one] => MatchOutcome::Existing { ci: *one, matched_by: IdKind::Serial },
            many => MatchOutcome::Conflict {
                candidates: many.to_vec(),
                detail: format!("no identifiers, and {} {} items are named {:?}", many.len(), class.key, name.as_str()),
            },
        };
        (o, true)
    } else {
        let mut hits = Vec::new();
        for (kind, value) in reported.present() {
            let found = tx.cis_with_identifier(kind.as_str(), &Identifiers::lookup_values(kind, value)).await?;
            hits.push((kind, found));
        }
        let mut stored: HashMap<i64, Identifiers> = HashMap::new();
        for (_, cis) in &hits {
            for ci in cis {
                if let std::collections::hash_map::Entry::Vacant(v) = stored.entry(*ci) {
                    let row = tx.ci_for_update(*ci).await?;
                    v.insert(
                        Identifiers::parse(&Value::Object(object(&row.identifiers)), "identifiers").unwrap_or_default(),
                    );
                    fetched.insert(*ci, row);
                }
            }
        }
        (match_item(&reported, &hits, |ci| stored.get(&ci).cloned()), false)
    };
    match outcome {
        MatchOutcome::Conflict { candidates, detail } => {
            Ok(Outcome::Conflict(ConflictView { item: i, candidates, detail }))
        }
        MatchOutcome::New => {
            let checked = match schema.apply(&Map::new(), &item.attributes) {
                Ok(c) => c,
                Err(Invalid(e)) => return Ok(Outcome::Rejected(e.into_iter().map(at).collect())),
            };
            let attrs = Value::Object(checked.values.clone()).to_string();
            let ids = serde_json::to_string(&reported).unwrap_or_else(|_| "{}".into());
            let id = tx.insert_ci(class.id, name.as_str(), "live", &attrs, &ids, Some((source, now)), now).await?;
            write_identifiers(tx, id, &reported).await?;
            tx.insert_ci_version(&NewCiVersion {
                ci_id: id,
                version: 1,
                at: now,
                actor_user_id: actor.user_id,
                source: history,
                class_id: class.id,
                name: name.as_str(),
                status: "live",
                attributes: &attrs,
                identifiers: &ids,
                deleted: false,
            })
            .await?;
            let explanation = if by_name {
                format!("no identifiers reported and no {} named {:?}: created", class.key, name.as_str())
            } else {
                let kinds: Vec<&str> = reported.present().iter().map(|(k, _)| k.as_str()).collect();
                format!("no item carries its {}: created", kinds.join(", "))
            };
            Ok(Outcome::Decided(DecisionView {
                item: i,
                action: "created".into(),
                ci: Some(id),
                matched_by: None,
                explanation,
                changes: checked
                    .values
                    .into_iter()
                    .map(|(k, v)| (format!("attributes.{k}"), json!({"from": null, "to": v})))
                    .collect(),
                protected: vec![],
            }))
        }
        MatchOutcome::Existing { ci, matched_by } => {
            let current = match fetched.remove(&ci) {
                Some(row) => row,
                None => tx.ci_for_update(ci).await?,
            };
            let matched = if by_name { "name".to_string() } else { matched_by.as_str().to_string() };
            if current.class_id != class.id {
                return Ok(Outcome::Conflict(ConflictView {
                    item: i,
                    candidates: vec![ci],
                    detail: format!("{matched} matches CI {ci}, which is a {}, not a {}", current.class_key, class.key),
                }));
            }
            let before_attrs = object(&current.attributes);
            let m = merge(schema, &before_attrs, &item.attributes, source);
            let checked = match schema.apply(&before_attrs, &m.patch) {
                Ok(c) => c,
                Err(Invalid(e)) => return Ok(Outcome::Rejected(e.into_iter().map(at).collect())),
            };
            let stored_ids =
                Identifiers::parse(&Value::Object(object(&current.identifiers)), "identifiers").unwrap_or_default();
            let identifiers = reported.filled_from(&stored_ids);
            // Every reported identifier was looked up above: one carried by another item made
            // this a conflict already, so the identifiers written here are this item's own.
            let mut changes = Map::new();
            for (k, v) in &checked.values {
                if before_attrs.get(k) != Some(v) {
                    changes.insert(format!("attributes.{k}"), json!({"from": before_attrs.get(k), "to": v}));
                }
            }
            let ids_now = serde_json::to_value(&identifiers).unwrap_or_default();
            let ids_before = serde_json::to_value(&stored_ids).unwrap_or_default();
            for k in IdKind::PRIORITY {
                let (a, b) = (ids_before.get(k.as_str()), ids_now.get(k.as_str()));
                if a != b {
                    changes.insert(format!("identifiers.{}", k.as_str()), json!({"from": a, "to": b}));
                }
            }
            let protected: Vec<String> = m.protected.iter().map(|(k, _)| k.clone()).collect();
            let mut explanation = format!("{matched} matches CI {ci}");
            for (k, owner) in &m.protected {
                explanation.push_str(&format!("; {k} left alone: {owner} is authoritative for it"));
            }
            tx.mark_ci_seen(ci, source, now).await?;
            if changes.is_empty() {
                explanation.push_str(": unchanged");
                return Ok(Outcome::Decided(DecisionView {
                    item: i,
                    action: "unchanged".into(),
                    ci: Some(ci),
                    matched_by: Some(matched),
                    explanation,
                    changes,
                    protected,
                }));
            }
            let attrs = Value::Object(checked.values).to_string();
            let ids = serde_json::to_string(&identifiers).unwrap_or_else(|_| "{}".into());
            let version = current.version + 1;
            tx.update_ci(ci, version, &current.name, &current.status, &attrs, &ids, now).await?;
            if identifiers != stored_ids {
                write_identifiers(tx, ci, &identifiers).await?;
            }
            tx.insert_ci_version(&NewCiVersion {
                ci_id: ci,
                version,
                at: now,
                actor_user_id: actor.user_id,
                source: history,
                class_id: class.id,
                name: &current.name,
                status: &current.status,
                attributes: &attrs,
                identifiers: &ids,
                deleted: false,
            })
            .await?;
            explanation.push_str(": updated");
            Ok(Outcome::Decided(DecisionView {
                item: i,
                action: "updated".into(),
                ci: Some(ci),
                matched_by: Some(matched),
                explanation,
                changes,
                protected,
            }))
        }
    }
}
