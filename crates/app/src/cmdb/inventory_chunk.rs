//! One chunk of an inventory push. The chunk reads what it needs in a few statements (the
//! owners of every identifier its items report, one query per kind; the items named by
//! items without identifiers; the candidate items), decides each item in order against that
//! view, keeps the view current as it decides (an item created or re-identified early in the
//! chunk is found by a later one, so nothing is duplicated), and writes its changes at the
//! end in multi-row statements. Creating an item is the one write per item: it needs its id.

use super::inventory::InventoryItem;
use super::views::object;
use super::{ConflictView, DecisionView};
use crate::Result;
use opsdesk_domain::cmdb::reconcile::{match_item, merge};
use opsdesk_domain::cmdb::{CiName, ClassSchema, IdKind, Identifiers, MatchOutcome};
use opsdesk_domain::{Actor, FieldError, Invalid};
use opsdesk_store::cmdb::{CiRow, CiStateUpdate, CiVersionRecord, ClassRow};
use opsdesk_store::{StoreError, Ts, Tx};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Classes by key, with their schemas read once per push.
pub(super) struct Classes(pub(super) HashMap<String, (ClassRow, ClassSchema)>);

/// What does not change during a push.
pub(super) struct Push<'a> {
    pub(super) actor: &'a Actor,
    pub(super) classes: &'a Classes,
    /// The source's name, remembered on each item it reports.
    pub(super) source: &'a str,
    /// The source of the versions it writes (`inventory:<source>`).
    pub(super) history: &'a str,
    pub(super) now: Ts,
}

/// What became of one item.
pub(super) enum Outcome {
    Decided(DecisionView),
    Conflict(ConflictView),
    Rejected(usize, Vec<FieldError>),
}

/// An item whose class, name and identifiers are valid.
struct Parsed<'c> {
    i: usize,
    class: &'c ClassRow,
    schema: &'c ClassSchema,
    name: CiName,
    reported: Identifiers,
    attributes: Map<String, Value>,
}

/// The chunk's view of the database, kept current as its items are decided, and the writes
/// it owes.
#[derive(Default)]
struct Chunk {
    /// (kind, value) → the items carrying it, for every value the chunk's items report.
    owners: HashMap<(IdKind, String), Vec<i64>>,
    /// (class, name) → live items, for the names of the chunk's items without identifiers.
    named: HashMap<(i64, String), Vec<i64>>,
    /// The candidates, and the items the chunk created, as they are now.
    rows: HashMap<i64, CiRow>,
    versions: Vec<CiVersionRecord>,
    /// Items updated, with the version they had before the chunk.
    updated: BTreeMap<i64, i64>,
    /// Items whose identifier rows are written: (identifiers, whether rows exist to replace).
    identifiers: BTreeMap<i64, (Identifiers, bool)>,
    /// Items matched (their `last_source` and `last_seen_at` are set).
    seen: BTreeSet<i64>,
}

/// Reconciles `items` (with their indexes in the push) in `tx`, in order.
pub(super) async fn reconcile_chunk(
    tx: &mut Tx,
    push: &Push<'_>,
    items: Vec<(usize, InventoryItem)>,
) -> Result<Vec<Outcome>> {
    let mut outcomes = Vec::with_capacity(items.len());
    let mut parsed = Vec::with_capacity(items.len());
    for (i, item) in items {
        match parse(push.classes, i, item) {
            Ok(p) => parsed.push(p),
            Err(errors) => outcomes.push(Outcome::Rejected(i, errors)),
        }
    }
    let mut chunk = Chunk::default();
    chunk.prefetch(tx, &parsed).await?;
    for p in parsed {
        outcomes.push(chunk.decide(tx, push, p).await?);
    }
    chunk.write(tx, push).await?;
    // Rejections were found first; the answer lists items in push order.
    outcomes.sort_by_key(|o| match o {
        Outcome::Decided(d) => d.item,
        Outcome::Conflict(c) => c.item,
        Outcome::Rejected(i, _) => *i,
    });
    Ok(outcomes)
}

fn at(i: usize) -> impl Fn(FieldError) -> FieldError {
    move |e: FieldError| {
        let field = e.field.clone();
        e.at(format!("items[{i}].{field}"))
    }
}

fn parse(classes: &Classes, i: usize, item: InventoryItem) -> std::result::Result<Parsed<'_>, Vec<FieldError>> {
    let mut errors = vec![];
    let class = classes.0.get(item.class.trim());
    if class.is_none() {
        errors.push(FieldError::new(format!("items[{i}].class"), "unknown_class", "no such class"));
    }
    let name = CiName::parse(&item.name).map_err(|e| errors.push(at(i)(e))).ok();
    let reported =
        Identifiers::parse(&item.identifiers, "identifiers").map_err(|e| errors.extend(e.into_iter().map(at(i)))).ok();
    match (class, name, reported) {
        (Some((class, schema)), Some(name), Some(reported)) => {
            Ok(Parsed { i, class, schema, name, reported, attributes: item.attributes })
        }
        _ => Err(errors),
    }
}

fn stored_identifiers(row: &CiRow) -> Identifiers {
    Identifiers::parse(&Value::Object(object(&row.identifiers)), "identifiers").unwrap_or_default()
}

impl Chunk {
    async fn prefetch(&mut self, tx: &mut Tx, parsed: &[Parsed<'_>]) -> Result<()> {
        let mut by_kind: BTreeMap<IdKind, BTreeSet<String>> = BTreeMap::new();
        let mut names: BTreeSet<String> = BTreeSet::new();
        for p in parsed {
            if p.reported.is_empty() {
                names.insert(p.name.as_str().to_string());
                self.named.entry((p.class.id, p.name.as_str().to_string())).or_default();
            }
            for (kind, value) in p.reported.present() {
                for v in Identifiers::lookup_values(kind, value) {
                    self.owners.entry((kind, v.clone())).or_default();
                    by_kind.entry(kind).or_default().insert(v);
                }
            }
        }
        let mut candidates: BTreeSet<i64> = BTreeSet::new();
        for (kind, values) in by_kind {
            let values: Vec<String> = values.into_iter().collect();
            for (value, ci) in tx.identifier_owners(kind.as_str(), &values).await? {
                let owners = self.owners.entry((kind, value)).or_default();
                if !owners.contains(&ci) {
                    owners.push(ci);
                }
                candidates.insert(ci);
            }
        }
        if !names.is_empty() {
            let names: Vec<String> = names.into_iter().collect();
            for (id, class_id, name) in tx.cis_with_names(&names).await? {
                if let Some(named) = self.named.get_mut(&(class_id, name)) {
                    named.push(id);
                    candidates.insert(id);
                }
            }
        }
        let ids: Vec<i64> = candidates.into_iter().collect();
        for row in tx.cis_for_update(&ids).await? {
            self.rows.insert(row.id, row);
        }
        Ok(())
    }

    /// Finds the candidates, by each identifier in priority order, or by class and name when
    /// the source knows no identifier; `true` with the latter.
    fn find(&self, p: &Parsed<'_>) -> (MatchOutcome, bool) {
        if p.reported.is_empty() {
            let named = self.named.get(&(p.class.id, p.name.as_str().to_string())).cloned().unwrap_or_default();
            let outcome = match named.as_slice() {
                [] => MatchOutcome::New,
                [one] => MatchOutcome::Existing { ci: *one, matched_by: IdKind::Serial },
                many => MatchOutcome::Conflict {
                    candidates: many.to_vec(),
                    detail: format!(
                        "no identifiers, and {} {} items are named {:?}",
                        many.len(),
                        p.class.key,
                        p.name.as_str()
                    ),
                },
            };
            return (outcome, true);
        }
        let hits: Vec<(IdKind, Vec<i64>)> = p
            .reported
            .present()
            .into_iter()
            .map(|(kind, value)| {
                let mut found: Vec<i64> = Vec::new();
                for v in Identifiers::lookup_values(kind, value) {
                    for ci in self.owners.get(&(kind, v)).into_iter().flatten() {
                        if !found.contains(ci) {
                            found.push(*ci);
                        }
                    }
                }
                (kind, found)
            })
            .collect();
        (match_item(&p.reported, &hits, |ci| self.rows.get(&ci).map(stored_identifiers)), false)
    }

    async fn decide(&mut self, tx: &mut Tx, push: &Push<'_>, p: Parsed<'_>) -> Result<Outcome> {
        let (outcome, by_name) = self.find(&p);
        match outcome {
            MatchOutcome::Conflict { candidates, detail } => {
                Ok(Outcome::Conflict(ConflictView { item: p.i, candidates, detail }))
            }
            MatchOutcome::New => self.create(tx, push, p, by_name).await,
            MatchOutcome::Existing { ci, matched_by } => {
                let matched = if by_name { "name".to_string() } else { matched_by.as_str().to_string() };
                self.update(push, p, ci, matched)
            }
        }
    }

    async fn create(&mut self, tx: &mut Tx, push: &Push<'_>, p: Parsed<'_>, by_name: bool) -> Result<Outcome> {
        let (class, name) = (p.class, p.name.as_str());
        let checked = match p.schema.apply(&Map::new(), &p.attributes) {
            Ok(c) => c,
            Err(Invalid(e)) => return Ok(Outcome::Rejected(p.i, e.into_iter().map(at(p.i)).collect())),
        };
        let attrs = Value::Object(checked.values.clone()).to_string();
        let ids = serde_json::to_string(&p.reported).unwrap_or_else(|_| "{}".into());
        let now = push.now;
        let id = tx.insert_ci(class.id, name, "live", &attrs, &ids, Some((push.source, now)), now).await?;
        for (kind, value) in p.reported.present() {
            self.owners.entry((kind, value.to_string())).or_default().push(id);
        }
        if let Some(named) = self.named.get_mut(&(class.id, name.to_string())) {
            named.push(id);
        }
        self.versions.push(CiVersionRecord {
            ci_id: id,
            version: 1,
            at: now,
            actor_user_id: push.actor.user_id,
            source: push.history.to_string(),
            class_id: class.id,
            name: name.to_string(),
            status: "live".into(),
            attributes: attrs.clone(),
            identifiers: ids.clone(),
        });
        self.rows.insert(
            id,
            CiRow {
                id,
                class_id: class.id,
                class_key: class.key.clone(),
                class_name: class.name.clone(),
                name: name.to_string(),
                status: "live".into(),
                attributes: attrs,
                identifiers: ids,
                version: 1,
                last_source: Some(push.source.to_string()),
                last_seen_at: Some(now),
                created_at: now,
                updated_at: now,
                deleted_at: None,
            },
        );
        let explanation = if by_name {
            format!("no identifiers reported and no {} named {:?}: created", class.key, name)
        } else {
            let kinds: Vec<&str> = p.reported.present().iter().map(|(k, _)| k.as_str()).collect();
            format!("no item carries its {}: created", kinds.join(", "))
        };
        self.identifiers.insert(id, (p.reported, false));
        Ok(Outcome::Decided(DecisionView {
            item: p.i,
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

    fn update(&mut self, push: &Push<'_>, p: Parsed<'_>, ci: i64, matched: String) -> Result<Outcome> {
        let (class, schema) = (p.class, p.schema);
        let Some(current) = self.rows.get(&ci) else { return Err(StoreError::NotFound.into()) };
        if current.class_id != class.id {
            return Ok(Outcome::Conflict(ConflictView {
                item: p.i,
                candidates: vec![ci],
                detail: format!("{matched} matches CI {ci}, which is a {}, not a {}", current.class_key, class.key),
            }));
        }
        let before_attrs = object(&current.attributes);
        let m = merge(schema, &before_attrs, &p.attributes, push.source);
        let checked = match schema.apply(&before_attrs, &m.patch) {
            Ok(c) => c,
            Err(Invalid(e)) => return Ok(Outcome::Rejected(p.i, e.into_iter().map(at(p.i)).collect())),
        };
        let stored_ids = stored_identifiers(current);
        let identifiers = p.reported.filled_from(&stored_ids);
        // Every reported identifier was looked up: one carried by another item made this a
        // conflict already, so the identifiers written here are this item's own.
        let mut changes = Map::new();
        for (k, v) in &checked.values {
            if before_attrs.get(k) != Some(v) {
                changes.insert(format!("attributes.{k}"), json!({"from": before_attrs.get(k), "to": v}));
            }
        }
        for k in IdKind::PRIORITY {
            let (a, b) = (stored_ids.get(k), identifiers.get(k));
            if a != b {
                changes.insert(format!("identifiers.{}", k.as_str()), json!({"from": a, "to": b}));
            }
        }
        let protected: Vec<String> = m.protected.iter().map(|(k, _)| k.clone()).collect();
        let mut explanation = format!("{matched} matches CI {ci}");
        for (k, owner) in &m.protected {
            explanation.push_str(&format!("; {k} left alone: {owner} is authoritative for it"));
        }
        self.seen.insert(ci);
        let decision = |action: &str, explanation: String, changes: Map<String, Value>| {
            Outcome::Decided(DecisionView {
                item: p.i,
                action: action.into(),
                ci: Some(ci),
                matched_by: Some(matched.clone()),
                explanation,
                changes,
                protected: protected.clone(),
            })
        };
        if changes.is_empty() {
            explanation.push_str(": unchanged");
            return Ok(decision("unchanged", explanation, changes));
        }
        let attrs = Value::Object(checked.values).to_string();
        let ids = serde_json::to_string(&identifiers).unwrap_or_else(|_| "{}".into());
        let version = current.version + 1;
        self.versions.push(CiVersionRecord {
            ci_id: ci,
            version,
            at: push.now,
            actor_user_id: push.actor.user_id,
            source: push.history.to_string(),
            class_id: class.id,
            name: current.name.clone(),
            status: current.status.clone(),
            attributes: attrs.clone(),
            identifiers: ids.clone(),
        });
        self.updated.entry(ci).or_insert(current.version);
        if identifiers != stored_ids {
            for k in IdKind::PRIORITY {
                let (old, new) = (stored_ids.get(k), identifiers.get(k));
                if old == new {
                    continue;
                }
                if let Some(owners) = old.and_then(|o| self.owners.get_mut(&(k, o.to_string()))) {
                    owners.retain(|x| *x != ci);
                }
                if let Some(n) = new {
                    let owners = self.owners.entry((k, n.to_string())).or_default();
                    if !owners.contains(&ci) {
                        owners.push(ci);
                    }
                }
            }
            // An item created in this chunk has no identifier rows yet.
            let replace = self.identifiers.get(&ci).is_none_or(|(_, replace)| *replace);
            self.identifiers.insert(ci, (identifiers, replace));
        }
        if let Some(row) = self.rows.get_mut(&ci) {
            row.attributes = attrs;
            row.identifiers = ids;
            row.version = version;
            row.updated_at = push.now;
        }
        explanation.push_str(": updated");
        Ok(decision("updated", explanation, changes))
    }

    /// Writes what the chunk decided: item states, identifier rows, versions, `last_seen`.
    async fn write(self, tx: &mut Tx, push: &Push<'_>) -> Result<()> {
        let updates: Vec<CiStateUpdate> = self
            .updated
            .iter()
            .filter_map(|(id, expected)| {
                self.rows.get(id).map(|r| CiStateUpdate {
                    id: *id,
                    expected_version: *expected,
                    version: r.version,
                    attributes: r.attributes.clone(),
                    identifiers: r.identifiers.clone(),
                })
            })
            .collect();
        tx.update_ci_states(&updates, push.now).await?;
        let replaced: Vec<i64> =
            self.identifiers.iter().filter(|(_, (_, replace))| *replace).map(|(id, _)| *id).collect();
        let rows: Vec<(&str, &str, i64)> = self
            .identifiers
            .iter()
            .flat_map(|(id, (ids, _))| ids.present().into_iter().map(move |(k, v)| (k.as_str(), v, *id)))
            .collect();
        tx.replace_identifier_rows(&replaced, &rows).await?;
        tx.insert_ci_versions(&self.versions).await?;
        let seen: Vec<i64> = self.seen.into_iter().collect();
        tx.mark_cis_seen(&seen, push.source, push.now).await?;
        Ok(())
    }
}
