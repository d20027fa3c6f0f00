//! Conflicts of a change's window: another change on the same CI, another change on a CI
//! linked to ours through the dependency graph (with the path that links them), the same
//! assignee booked on another change, a blackout window (global, or naming our CIs or the
//! services they reach), or a window outside the maintenance window of an affected CI.
//! Windows that only touch do not conflict.

use super::schedule::Window;
use crate::sla::BusinessCalendar;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    CiOverlap,
    DependencyOverlap,
    AssigneeBooked,
    Blackout,
    OutsideMaintenance,
}

impl ConflictKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::CiOverlap => "ci_overlap",
            ConflictKind::DependencyOverlap => "dependency_overlap",
            ConflictKind::AssigneeBooked => "assignee_booked",
            ConflictKind::Blackout => "blackout",
            ConflictKind::OutsideMaintenance => "outside_maintenance",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ConflictKind::CiOverlap => "Same CI",
            ConflictKind::DependencyOverlap => "Dependent CI",
            ConflictKind::AssigneeBooked => "Assignee booked",
            ConflictKind::Blackout => "Blackout",
            ConflictKind::OutsideMaintenance => "Outside maintenance",
        }
    }
}

/// One conflict of a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub kind: ConflictKind,
    /// What it conflicts with: a change's number, a blackout's name, a CI's name.
    pub with: String,
    pub detail: String,
    /// The other change, for overlaps.
    pub change_id: Option<i64>,
    /// The CI the conflict is on (the other change's CI, the CI without maintenance time).
    pub ci_id: Option<i64>,
    /// For a dependency overlap: the CI names from ours to theirs.
    pub path: Vec<String>,
}

impl Conflict {
    /// A stable key for overrides: a reason given for a set of conflicts covers exactly those.
    pub fn key(&self) -> String {
        format!("{}:{}:{}", self.kind.as_str(), self.change_id.unwrap_or(0), self.ci_id.unwrap_or(0))
    }
}

/// A CI linked to one of ours through the dependency graph, within the configured depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbour {
    pub name: String,
    /// The CI names from one of ours to this one, both ends included.
    pub path: Vec<String>,
}

/// Another scheduled change whose window overlaps ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherChange {
    pub ticket_id: i64,
    pub number: String,
    pub window: Window,
    pub ci_ids: Vec<i64>,
    pub assignee_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlackoutScope {
    All,
    Cis(Vec<i64>),
}

/// A change freeze.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blackout {
    pub id: i64,
    pub name: String,
    pub window: Window,
    pub scope: BlackoutScope,
}

/// Everything a change's conflicts are judged on; the application reads it, this decides.
#[derive(Debug, Clone, Copy)]
pub struct ConflictScan<'a> {
    pub window: Window,
    /// Our affected CIs: id and name.
    pub cis: &'a [(i64, String)],
    /// CIs linked to ours within the configured depth, either direction, ours excluded.
    pub neighbours: &'a HashMap<i64, Neighbour>,
    /// The business services our CIs reach (for blackouts scoped to services).
    pub services: &'a [i64],
    pub assignee: Option<(i64, &'a str)>,
    /// Changes whose windows may overlap ours (others are ignored).
    pub others: &'a [OtherChange],
    pub blackouts: &'a [Blackout],
    /// Maintenance windows of our affected CIs: id, name and calendar.
    pub maintenance: &'a [(i64, String, BusinessCalendar)],
}

impl ConflictScan<'_> {
    /// Every conflict of the window, in a stable order (by kind, then as found).
    pub fn conflicts(&self) -> Vec<Conflict> {
        let mut out = self.conflicts_at(self.window);
        out.sort_by_key(|c| c.kind);
        out
    }

    fn conflicts_at(&self, w: Window) -> Vec<Conflict> {
        let mut out = Vec::new();
        let ours: HashSet<i64> = self.cis.iter().map(|(id, _)| *id).collect();
        let name_of = |id: i64| self.cis.iter().find(|(c, _)| *c == id).map(|(_, n)| n.as_str()).unwrap_or("?");
        for o in self.others.iter().filter(|o| o.window.overlaps(&w)) {
            let mut related = false;
            for ci in &o.ci_ids {
                if ours.contains(ci) {
                    related = true;
                    out.push(Conflict {
                        kind: ConflictKind::CiOverlap,
                        with: o.number.clone(),
                        detail: format!("{} changes {} in an overlapping window", o.number, name_of(*ci)),
                        change_id: Some(o.ticket_id),
                        ci_id: Some(*ci),
                        path: Vec::new(),
                    });
                } else if let Some(n) = self.neighbours.get(ci) {
                    related = true;
                    out.push(Conflict {
                        kind: ConflictKind::DependencyOverlap,
                        with: o.number.clone(),
                        detail: format!(
                            "{} changes {}, linked to this change's CIs: {}",
                            o.number,
                            n.name,
                            n.path.join(" → ")
                        ),
                        change_id: Some(o.ticket_id),
                        ci_id: Some(*ci),
                        path: n.path.clone(),
                    });
                }
            }
            if let Some((me, name)) = self.assignee {
                if o.assignee_id == Some(me) && !related {
                    out.push(Conflict {
                        kind: ConflictKind::AssigneeBooked,
                        with: o.number.clone(),
                        detail: format!("{name} is assigned to {} in an overlapping window", o.number),
                        change_id: Some(o.ticket_id),
                        ci_id: None,
                        path: Vec::new(),
                    });
                }
            }
        }
        for b in self.blackouts.iter().filter(|b| b.window.overlaps(&w)) {
            let hit = match &b.scope {
                BlackoutScope::All => Some("every change".to_string()),
                BlackoutScope::Cis(ids) => {
                    ids.iter().find(|id| ours.contains(id) || self.services.contains(id)).map(|id| {
                        match self.cis.iter().find(|(c, _)| c == id) {
                            Some((_, n)) => n.clone(),
                            None => "a service these CIs support".to_string(),
                        }
                    })
                }
            };
            if let Some(what) = hit {
                out.push(Conflict {
                    kind: ConflictKind::Blackout,
                    with: b.name.clone(),
                    detail: format!("the window falls in the blackout {:?}, which freezes {what}", b.name),
                    change_id: None,
                    ci_id: None,
                    path: Vec::new(),
                });
            }
        }
        for (id, name, cal) in self.maintenance {
            if !cal.covers(w.start, w.end) {
                out.push(Conflict {
                    kind: ConflictKind::OutsideMaintenance,
                    with: name.clone(),
                    detail: format!("the window is not inside the maintenance window of {name}"),
                    change_id: None,
                    ci_id: Some(*id),
                    path: Vec::new(),
                });
            }
        }
        out
    }

    /// The windows that block this change whenever it is scheduled: the other changes that
    /// share a CI, a linked CI or the assignee, and the blackouts that apply to it.
    pub fn blockers(&self) -> Vec<Window> {
        let ours: HashSet<i64> = self.cis.iter().map(|(id, _)| *id).collect();
        let mut out: Vec<Window> = self
            .others
            .iter()
            .filter(|o| {
                o.ci_ids.iter().any(|c| ours.contains(c) || self.neighbours.contains_key(c))
                    || self.assignee.is_some_and(|(me, _)| o.assignee_id == Some(me))
            })
            .map(|o| o.window)
            .collect();
        out.extend(
            self.blackouts
                .iter()
                .filter(|b| match &b.scope {
                    BlackoutScope::All => true,
                    BlackoutScope::Cis(ids) => ids.iter().any(|id| ours.contains(id) || self.services.contains(id)),
                })
                .map(|b| b.window),
        );
        out
    }

    /// The next window of the same length, at or after ours, with no conflict, ending by
    /// `known_until`: the caller gives `others` and `blackouts` that start before it.
    pub fn next_free_window(&self, known_until: jiff::Timestamp) -> Option<Window> {
        let cals: Vec<&BusinessCalendar> = self.maintenance.iter().map(|(_, _, c)| c).collect();
        super::schedule::next_free_window(self.window, &self.blockers(), &cals, known_until)
    }
}

/// How many levels of the dependency graph, either way, a change's CIs reach for conflicts:
/// 1 is the CIs linked directly; deeper finds more and reads more of the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ConflictDepth(u32);

impl ConflictDepth {
    pub const DEFAULT: ConflictDepth = ConflictDepth(2);
    pub const MAX: u32 = 5;

    pub fn new(levels: i64, field: &str) -> Result<ConflictDepth, crate::FieldError> {
        match u32::try_from(levels) {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(ConflictDepth(n)),
            _ => Err(crate::FieldError::new(
                field,
                "out_of_range",
                format!("the conflict check reaches 1 to {} levels of the dependency graph", Self::MAX),
            )),
        }
    }

    /// The stored setting; the default when there is none or it cannot be read.
    pub fn from_stored(raw: Option<&str>) -> ConflictDepth {
        raw.and_then(|r| r.trim().parse::<i64>().ok())
            .and_then(|n| ConflictDepth::new(n, "conflict_depth").ok())
            .unwrap_or(ConflictDepth::DEFAULT)
    }

    pub fn levels(self) -> u32 {
        self.0
    }
}
