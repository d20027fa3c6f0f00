//! Gathering what a change's conflicts and guards are judged on, from storage: the change's
//! CIs, their neighbours in the dependency graph (with the path to each), the services they
//! reach, the other changes, blackouts and maintenance windows around its window. The same
//! code runs on the read pool (API, calendar) and inside the transaction that moves a change
//! (its guards).

use crate::tickets::transition::CAUSED_BY;
use crate::{AppError, Result};
use opsdesk_domain::change::{
    Blackout, BlackoutScope, ChangeFacts, ChangeType, Conflict, ConflictDepth, ConflictScan, Neighbour, OtherChange,
    RiskClass, Window,
};
use opsdesk_domain::cmdb::{Direction, Edge, RelType, Walk, BUSINESS_SERVICE};
use opsdesk_domain::sla::{BusinessCalendar, CalendarSpec};
use opsdesk_store::changes::{BlackoutRow, ChangeRow, Reader, ScheduledChange, HOLDING_STATUSES};
use opsdesk_store::tickets::Ticket;
use opsdesk_store::Ts;
use std::collections::HashMap;

/// Where the conflict check's depth is kept (see [`ConflictDepth`]).
pub(crate) const CONFLICT_DEPTH_KEY: &str = "change.conflict_depth";
/// How far downstream the business services a change touches are looked for.
pub const SERVICE_DEPTH: u32 = 5;
/// The ranges (days from the change's start) the next free window is looked for in, in turn.
const NEXT_FREE_RANGES_DAYS: [i64; 2] = [14, 400];
/// At most this many overlapping changes are read for one check.
const OVERLAP_LIMIT: i64 = 2_000;

/// A change's window, its conflicts, and the next window that would be free of them.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub window: Option<Window>,
    pub conflicts: Vec<Conflict>,
    pub next_free: Option<Window>,
}

/// The CIs of a change and what they reach.
pub(crate) struct Reach {
    pub cis: Vec<(i64, String)>,
    pub neighbours: HashMap<i64, Neighbour>,
    pub services: Vec<i64>,
}

pub(crate) fn window_of(c: &ChangeRow) -> Option<Window> {
    match (c.planned_start, c.planned_end) {
        (Some(s), Some(e)) if e > s => Some(Window { start: s.0, end: e.0 }),
        _ => None,
    }
}

fn edges(rows: Vec<opsdesk_store::cmdb::EdgeRow>) -> Vec<Edge> {
    rows.into_iter()
        .filter_map(|r| {
            Some(Edge { id: r.id, source: r.source_id, rel: RelType::parse(&r.rel).ok()?, target: r.target_id })
        })
        .collect()
}

/// Walks from one CI in one direction to `depth` levels.
async fn walk(r: &mut Reader<'_>, start: i64, direction: Direction, depth: u32) -> Result<Walk> {
    let mut w = Walk::new(start, direction, depth, Vec::new());
    while !w.frontier().is_empty() {
        let rows = r.edges_touching(w.frontier(), direction == Direction::Downstream).await?;
        w.advance(edges(rows));
    }
    Ok(w)
}

/// The conflict check's depth in force.
pub(crate) async fn conflict_depth(r: &mut Reader<'_>) -> Result<ConflictDepth> {
    Ok(ConflictDepth::from_stored(r.setting(CONFLICT_DEPTH_KEY).await?.as_deref()))
}

/// The CIs of a ticket, their neighbours within the conflict depth either way (with the
/// path of names to each), and the business services they reach downstream.
pub(crate) async fn reach(r: &mut Reader<'_>, ticket: i64) -> Result<Reach> {
    let cis = r.affected_cis(ticket).await?;
    reach_of(r, cis).await
}

/// [`reach`] from CIs given by id and name (a change not stored yet).
pub(crate) async fn reach_of(r: &mut Reader<'_>, cis: Vec<(i64, String)>) -> Result<Reach> {
    let levels = conflict_depth(r).await?.levels();
    let ours: Vec<i64> = cis.iter().map(|(id, _)| *id).collect();
    let mut paths: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut downstream: Vec<i64> = Vec::new();
    for (id, _) in &cis {
        for direction in [Direction::Downstream, Direction::Upstream] {
            let depth = if direction == Direction::Downstream { SERVICE_DEPTH.max(levels) } else { levels };
            let w = walk(r, *id, direction, depth).await?;
            for (node, d) in w.nodes() {
                if direction == Direction::Downstream && !downstream.contains(&node) {
                    downstream.push(node);
                }
                if d == 0 || d > levels || ours.contains(&node) {
                    continue;
                }
                let path = w.path_to(node);
                // The shortest path from any of our CIs wins.
                if paths.get(&node).is_none_or(|p| p.len() > path.len()) {
                    paths.insert(node, path);
                }
            }
        }
    }
    let mut ids: Vec<i64> = paths.values().flatten().copied().chain(downstream.iter().copied()).collect();
    ids.sort_unstable();
    ids.dedup();
    let nodes = r.nodes(&ids).await?;
    let name: HashMap<i64, &str> = nodes.iter().map(|n| (n.id, n.name.as_str())).collect();
    let services = nodes.iter().filter(|n| n.class_key == BUSINESS_SERVICE).map(|n| n.id).collect();
    let neighbours = paths
        .into_iter()
        .map(|(id, path)| {
            let names = path.iter().map(|p| name.get(p).copied().unwrap_or("?").to_string()).collect();
            (id, Neighbour { name: name.get(&id).copied().unwrap_or("?").to_string(), path: names })
        })
        .collect();
    Ok(Reach { cis, neighbours, services })
}

pub(crate) fn blackout(b: &BlackoutRow) -> Blackout {
    let scope = match b.ci_ids.as_deref() {
        None => BlackoutScope::All,
        Some(json) => match serde_json::from_str::<Vec<i64>>(json) {
            Ok(ids) => BlackoutScope::Cis(ids),
            Err(e) => {
                // A scope that cannot be read freezes everything rather than nothing.
                tracing::error!(blackout = b.id, error = %e, "stored blackout scope is not a list of ids");
                BlackoutScope::All
            }
        },
    };
    Blackout { id: b.id, name: b.name.clone(), window: Window { start: b.starts_at.0, end: b.ends_at.0 }, scope }
}

fn others(rows: Vec<ScheduledChange>, cis: &[(i64, i64)], me: i64) -> Vec<OtherChange> {
    rows.into_iter()
        .filter(|o| o.ticket_id != me)
        .map(|o| OtherChange {
            ticket_id: o.ticket_id,
            number: o.number,
            window: Window { start: o.planned_start.0, end: o.planned_end.0 },
            ci_ids: cis.iter().filter(|(t, _)| *t == o.ticket_id).map(|(_, c)| *c).collect(),
            assignee_id: o.assignee_id,
        })
        .collect()
}

pub(crate) fn calendar(json: &str) -> Result<BusinessCalendar> {
    let spec: CalendarSpec =
        serde_json::from_str(json).map_err(|e| AppError::Internal(format!("stored maintenance window: {e}")))?;
    Ok(BusinessCalendar::parse(&spec)?)
}

/// The conflicts of a change as it is stored now, and the next free window when it has any.
pub(crate) async fn scan(r: &mut Reader<'_>, ticket: &Ticket, change: &ChangeRow) -> Result<Scan> {
    let Some(window) = window_of(change) else { return Ok(Scan::default()) };
    let reach = reach(r, ticket.id).await?;
    let assignee = match ticket.assignee_id {
        Some(a) => r.user_name(a).await?.map(|n| (a, n)),
        None => None,
    };
    let (from, to) = (Ts(window.start), Ts(window.end));
    let rows = r.changes_overlapping(from, to, HOLDING_STATUSES, OVERLAP_LIMIT).await?;
    let ids: Vec<i64> = rows.iter().map(|o| o.ticket_id).collect();
    let cis = r.change_cis(&ids).await?;
    let overlapping = others(rows, &cis, ticket.id);
    let blackouts: Vec<Blackout> = r.blackouts_overlapping(from, to).await?.iter().map(blackout).collect();
    let ours: Vec<i64> = reach.cis.iter().map(|(id, _)| *id).collect();
    let mut maintenance = Vec::new();
    for (ci, spec) in r.maintenance_windows(&ours).await? {
        let name = reach.cis.iter().find(|(id, _)| *id == ci).map(|(_, n)| n.clone()).unwrap_or_default();
        maintenance.push((ci, name, calendar(&spec)?));
    }
    let scan = ConflictScan {
        window,
        cis: &reach.cis,
        neighbours: &reach.neighbours,
        services: &reach.services,
        assignee: assignee.as_ref().map(|(id, n)| (*id, n.as_str())),
        others: &overlapping,
        blackouts: &blackouts,
        maintenance: &maintenance,
    };
    let conflicts = scan.conflicts();
    if conflicts.is_empty() {
        return Ok(Scan { window: Some(window), conflicts, next_free: None });
    }
    // The next free window: what could block the change from its start on, read for a
    // fortnight first (where a free window usually is) and for the whole search only when
    // that finds none, so that a busy assignee's year of changes is rarely read.
    let linked: Vec<i64> = ours.iter().copied().chain(reach.neighbours.keys().copied()).collect();
    let mut next_free = None;
    for days in NEXT_FREE_RANGES_DAYS {
        let until = Ts(window.start + jiff::SignedDuration::from_hours(24 * days));
        let rows = r
            .changes_blocking(&linked, ticket.assignee_id, (from, until), HOLDING_STATUSES, 10 * OVERLAP_LIMIT)
            .await?;
        let ids: Vec<i64> = rows.iter().map(|o| o.ticket_id).collect();
        let cis = r.change_cis(&ids).await?;
        let later = others(rows, &cis, ticket.id);
        let all_blackouts: Vec<Blackout> = r.blackouts_overlapping(from, until).await?.iter().map(blackout).collect();
        let search = ConflictScan { others: &later, blackouts: &all_blackouts, ..scan };
        next_free = search.next_free_window(until.0);
        if next_free.is_some() {
            break;
        }
    }
    Ok(Scan { window: Some(window), conflicts, next_free })
}

/// The conflict keys an override covers. Keys that cannot be read cover nothing (the
/// conflicts block again, which is the safe side), and are logged.
pub(crate) fn override_keys(change: &ChangeRow) -> Vec<String> {
    match change.override_keys.as_deref() {
        Some(k) => opsdesk_store::stored_json("change override keys", k).unwrap_or_default(),
        None => Vec::new(),
    }
}

/// What the change's guards judge: read inside the transaction that moves it.
pub(crate) async fn facts(r: &mut Reader<'_>, ticket: &Ticket) -> Result<Option<ChangeFacts>> {
    let Some(change) = r.change(ticket.id).await? else { return Ok(None) };
    let scan = scan(r, ticket, &change).await?;
    let covered = override_keys(&change);
    let caused = r.linked_tickets(ticket.id, CAUSED_BY, false).await?;
    Ok(Some(ChangeFacts {
        change_type: ChangeType::parse(&change.change_type, "type")?,
        risk_class: RiskClass::parse(&change.risk_class, "risk")?,
        scheduled: scan.window.is_some(),
        open_conflicts: scan
            .conflicts
            .iter()
            .filter(|c| !covered.contains(&c.key()))
            .map(|c| format!("{} with {}", c.kind.as_str(), c.with))
            .collect(),
        caused_incidents: caused.into_iter().map(|t| t.number).collect(),
    }))
}
