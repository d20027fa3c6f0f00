//! Impact analysis as a breadth-first walk over relationships, one level at a time: the caller
//! fetches the edges of the frontier (from storage, at an instant), the walk keeps each CI at
//! the depth it was first reached, keeps each edge once, and stops at the depth limit. Cycles
//! and diamonds therefore neither loop nor repeat.

use super::relationship::RelType;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Which way to walk. Every relationship means its source depends on its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// What depends on the CI: affected if it fails (follow relationships to their sources).
    Downstream,
    /// What the CI depends on (follow relationships to their targets).
    Upstream,
}

impl Direction {
    pub fn parse(raw: &str) -> Option<Direction> {
        match raw {
            "downstream" => Some(Direction::Downstream),
            "upstream" => Some(Direction::Upstream),
            _ => None,
        }
    }
}

/// The deepest walk the API allows.
pub const MAX_DEPTH: u32 = 10;

/// One relationship, source depends on target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Edge {
    pub id: i64,
    pub source: i64,
    pub rel: RelType,
    pub target: i64,
}

/// A walk in progress, then its result.
#[derive(Debug, Clone)]
pub struct Walk {
    pub start: i64,
    pub direction: Direction,
    pub max_depth: u32,
    /// Only these relationship types are followed; empty follows all.
    pub types: Vec<RelType>,
    depth_of: HashMap<i64, u32>,
    /// Reached CIs in the order they were reached (the start first, at depth 0).
    order: Vec<i64>,
    edges: Vec<Edge>,
    seen_edges: HashSet<i64>,
    frontier: Vec<i64>,
    level: u32,
    /// The CI each reached CI was first reached from.
    parent: HashMap<i64, i64>,
}

impl Walk {
    pub fn new(start: i64, direction: Direction, max_depth: u32, types: Vec<RelType>) -> Walk {
        Walk {
            start,
            direction,
            max_depth: max_depth.min(MAX_DEPTH),
            types,
            depth_of: HashMap::from([(start, 0)]),
            order: vec![start],
            edges: vec![],
            seen_edges: HashSet::new(),
            frontier: vec![start],
            level: 0,
            parent: HashMap::new(),
        }
    }

    /// The CIs whose edges the next level needs; empty when the walk is over.
    pub fn frontier(&self) -> &[i64] {
        if self.level >= self.max_depth {
            &[]
        } else {
            &self.frontier
        }
    }

    /// Takes the edges touching the frontier (in the walk's direction) and advances one level.
    /// Edges of types not followed, or not leaving the frontier the right way, are ignored.
    pub fn advance(&mut self, edges: impl IntoIterator<Item = Edge>) {
        let frontier: HashSet<i64> = self.frontier.iter().copied().collect();
        let next_depth = self.level + 1;
        let mut next = Vec::new();
        for e in edges {
            if !self.types.is_empty() && !self.types.contains(&e.rel) {
                continue;
            }
            let (from, to) = match self.direction {
                Direction::Downstream => (e.target, e.source),
                Direction::Upstream => (e.source, e.target),
            };
            if !frontier.contains(&from) || !self.seen_edges.insert(e.id) {
                continue;
            }
            self.edges.push(e);
            if let std::collections::hash_map::Entry::Vacant(v) = self.depth_of.entry(to) {
                v.insert(next_depth);
                self.parent.insert(to, from);
                self.order.push(to);
                next.push(to);
            }
        }
        self.frontier = next;
        self.level = next_depth;
    }

    /// The reached CIs with their depth, the start first.
    pub fn nodes(&self) -> Vec<(i64, u32)> {
        self.order.iter().map(|id| (*id, self.depth_of[id])).collect()
    }

    /// The CIs from the start to `id` along the edges that first reached it, both ends
    /// included; empty when `id` was not reached.
    pub fn path_to(&self, id: i64) -> Vec<i64> {
        if !self.depth_of.contains_key(&id) {
            return Vec::new();
        }
        let mut path = vec![id];
        let mut at = id;
        while let Some(p) = self.parent.get(&at) {
            path.push(*p);
            at = *p;
        }
        path.reverse();
        path
    }

    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    pub fn reached(&self) -> usize {
        self.order.len()
    }
}
