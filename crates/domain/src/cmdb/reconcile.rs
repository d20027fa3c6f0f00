//! Reconciliation: which CI an inventory report is about, and what it may change. Every
//! decision is explained (which identifier matched, which rule refused), so that a duplicate
//! or a wrong merge can be traced to its cause instead of guessed at.

use super::class::ClassSchema;
use super::identifiers::{IdKind, Identifiers};
use serde_json::{Map, Value};

/// What one reported item is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchOutcome {
    /// No CI has any of its identifiers: a new CI.
    New,
    /// One CI, found by `matched_by` (the highest-priority identifier that matched).
    Existing { ci: i64, matched_by: IdKind },
    /// Its identifiers point at different CIs, or at a CI whose stronger identifier differs:
    /// reported, never merged.
    Conflict { candidates: Vec<i64>, detail: String },
}

/// Decides from the lookups: for each identifier the item reports (in priority order), the
/// CIs that carry it; and for a candidate, its stored identifiers.
pub fn match_item(
    reported: &Identifiers,
    hits: &[(IdKind, Vec<i64>)],
    stored: impl Fn(i64) -> Option<Identifiers>,
) -> MatchOutcome {
    let mut candidates: Vec<i64> = Vec::new();
    let mut first: Option<(i64, IdKind)> = None;
    for (kind, cis) in hits {
        if cis.len() > 1 {
            return MatchOutcome::Conflict {
                candidates: cis.clone(),
                detail: format!(
                    "{} {} is carried by {} configuration items",
                    kind.as_str(),
                    reported.get(*kind).unwrap_or("?"),
                    cis.len()
                ),
            };
        }
        for ci in cis {
            if !candidates.contains(ci) {
                candidates.push(*ci);
            }
            if first.is_none() {
                first = Some((*ci, *kind));
            }
        }
    }
    if candidates.len() > 1 {
        let said: Vec<String> = hits
            .iter()
            .filter_map(|(k, cis)| cis.first().map(|ci| format!("{} matches CI {ci}", k.as_str())))
            .collect();
        return MatchOutcome::Conflict { candidates, detail: said.join(", ") };
    }
    let Some((ci, matched_by)) = first else { return MatchOutcome::New };
    if let Some(known) = stored(ci) {
        for kind in IdKind::PRIORITY.into_iter().take_while(|k| *k != matched_by) {
            if let (Some(ours), Some(theirs)) = (known.get(kind), reported.get(kind)) {
                if ours != theirs && !Identifiers::lookup_values(kind, theirs).iter().any(|v| v == ours) {
                    return MatchOutcome::Conflict {
                        candidates: vec![ci],
                        detail: format!(
                            "{} matches CI {ci}, but its {} {ours} differs from the reported {theirs}",
                            matched_by.as_str(),
                            kind.as_str()
                        ),
                    };
                }
            }
        }
    }
    MatchOutcome::Existing { ci, matched_by }
}

/// What a report may change in a CI's attributes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Merge {
    /// The attributes that change (to be applied through the class schema, which checks them).
    pub patch: Map<String, Value>,
    /// Attributes the report would have changed but another source is authoritative for:
    /// (attribute, that source).
    pub protected: Vec<(String, String)>,
}

/// The part of `reported` that `source` may write over `current`: attributes whose value
/// differs, except those another source is authoritative for. A report never removes an
/// attribute it does not mention.
pub fn merge(schema: &ClassSchema, current: &Map<String, Value>, reported: &Map<String, Value>, source: &str) -> Merge {
    let mut out = Merge::default();
    for (key, value) in reported {
        if current.get(key) == Some(value) {
            continue;
        }
        if let Some(owner) = schema.get(key).and_then(|a| a.authoritative_source.as_deref()) {
            if owner != source {
                out.protected.push((key.clone(), owner.to_string()));
                continue;
            }
        }
        out.patch.insert(key.clone(), value.clone());
    }
    out
}
