//! Conflict marks for a calendar: for every change of a range at once, which kinds of
//! conflict it has, judged on what one read of the range gives (the changes, their CIs, the
//! direct links between those CIs, the blackouts and the CIs' maintenance windows). The
//! change's own conflict check ([`super::ConflictScan`]) goes further: links several levels
//! deep, the services a blackout names, the path to each conflicting CI, the next free
//! window. A mark sends the reader there.

use super::conflict::{Blackout, BlackoutScope, ConflictKind};
use super::schedule::Window;
use crate::sla::BusinessCalendar;
use std::collections::{BTreeSet, HashMap, HashSet};

/// A change on the calendar.
#[derive(Debug, Clone)]
pub struct Booked {
    pub window: Window,
    pub ci_ids: Vec<i64>,
    pub assignee_id: Option<i64>,
    /// Whether the change holds its window against others (submitted, not a draft or closed).
    pub holds: bool,
}

/// The kinds of conflict each change of `booked` has, in the same order. `links` are the
/// relationships between CIs (either direction counts), `maintenance` the CIs' windows.
pub fn calendar_marks(
    booked: &[Booked],
    links: &[(i64, i64)],
    blackouts: &[Blackout],
    maintenance: &HashMap<i64, BusinessCalendar>,
) -> Vec<BTreeSet<ConflictKind>> {
    // The holding changes on each CI and of each assignee, so that each change looks only at
    // the changes that share something with it.
    let mut on_ci: HashMap<i64, Vec<usize>> = HashMap::new();
    let mut of_assignee: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, b) in booked.iter().enumerate().filter(|(_, b)| b.holds) {
        for ci in &b.ci_ids {
            on_ci.entry(*ci).or_default().push(i);
        }
        if let Some(a) = b.assignee_id {
            of_assignee.entry(a).or_default().push(i);
        }
    }
    let mut linked: HashMap<i64, Vec<i64>> = HashMap::new();
    for (a, b) in links.iter().filter(|(a, b)| a != b) {
        linked.entry(*a).or_default().push(*b);
        linked.entry(*b).or_default().push(*a);
    }
    let overlapping = |me: usize, others: Option<&Vec<usize>>| {
        others.is_some_and(|o| o.iter().any(|j| *j != me && booked[*j].window.overlaps(&booked[me].window)))
    };
    booked
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let mut kinds = BTreeSet::new();
            let ours: HashSet<i64> = b.ci_ids.iter().copied().collect();
            if b.ci_ids.iter().any(|ci| overlapping(i, on_ci.get(ci))) {
                kinds.insert(ConflictKind::CiOverlap);
            }
            let neighbours = b.ci_ids.iter().flat_map(|ci| linked.get(ci).into_iter().flatten());
            if neighbours.filter(|n| !ours.contains(n)).any(|n| overlapping(i, on_ci.get(n))) {
                kinds.insert(ConflictKind::DependencyOverlap);
            }
            // As in the full check, a shared assignee counts only where no CI links the two.
            let assignee_clash = b.assignee_id.and_then(|a| of_assignee.get(&a)).is_some_and(|others| {
                others.iter().any(|j| {
                    *j != i
                        && booked[*j].window.overlaps(&b.window)
                        && !booked[*j].ci_ids.iter().any(|c| ours.contains(c))
                })
            });
            if assignee_clash {
                kinds.insert(ConflictKind::AssigneeBooked);
            }
            let frozen = blackouts.iter().filter(|x| x.window.overlaps(&b.window)).any(|x| match &x.scope {
                BlackoutScope::All => true,
                BlackoutScope::Cis(ids) => ids.iter().any(|id| ours.contains(id)),
            });
            if frozen {
                kinds.insert(ConflictKind::Blackout);
            }
            let outside = b
                .ci_ids
                .iter()
                .filter_map(|ci| maintenance.get(ci))
                .any(|cal| !cal.covers(b.window.start, b.window.end));
            if outside {
                kinds.insert(ConflictKind::OutsideMaintenance);
            }
            kinds
        })
        .collect()
}
