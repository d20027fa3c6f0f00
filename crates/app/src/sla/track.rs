//! Keeping a ticket's SLA clocks in step with the ticket, inside the transaction of the
//! command that changes it. Ticket commands call [`track`] once, with what happened.

use super::engine::{self, Calendars};
use crate::Result;
use opsdesk_domain::sla::{match_policy, ClockEvent, Policy, PolicySpec, TargetKind, TicketFacts};
use opsdesk_domain::ticket::{HoldReason, Priority};
use opsdesk_domain::{Actor, Role};
use opsdesk_store::sla::{ClockRow, NewClock, PolicyRow};
use opsdesk_store::tickets::Ticket;
use opsdesk_store::{Ts, Tx};
use serde_json::{Map, Value};

/// What a ticket command did, as far as SLAs care. `ticket` (given to [`track`]) is the
/// ticket after the change. New tickets start their clocks in [`track_created`].
pub(crate) enum Change<'a> {
    /// A comment by the actor; public or an internal note.
    Commented { public: bool },
    /// A status change, with the public comment it carried, if any.
    Moved { before: &'a Ticket, public_reply: bool },
    /// Fields changed (a priority change re-plans).
    Updated { before: &'a Ticket },
}

/// Updates the ticket's clocks for `change`. Never fails the command for a clock that does
/// not accept an event (that event is skipped); fails only on database errors.
pub(crate) async fn track(tx: &mut Tx, actor: &Actor, ticket: &Ticket, change: Change<'_>, now: Ts) -> Result<()> {
    let now = engine::micros(now);
    let mut cals = Calendars::default();
    let by = actor.user_id;
    let changed = match change {
        Change::Commented { public: false } => false,
        Change::Commented { public: true } => {
            if actor.role != Role::Requester {
                agent_replied(tx, &mut cals, ticket, by, now).await?
            } else if actor.user_id == Some(ticket.requester_id) && ticket.is_open {
                requester_replied(tx, &mut cals, ticket, by, now).await?
            } else {
                false
            }
        }
        Change::Moved { before, public_reply } => {
            let mut changed = false;
            if public_reply && actor.role != Role::Requester {
                changed |= agent_replied(tx, &mut cals, ticket, by, now).await?;
            }
            changed | moved(tx, &mut cals, before, ticket, by, now).await?
        }
        Change::Updated { before } if before.priority != ticket.priority => {
            replan(tx, &mut cals, ticket, by, now).await?
        }
        Change::Updated { .. } => false,
    };
    if changed {
        tx.refresh_ticket_sla_due(ticket.id).await?;
    }
    Ok(())
}

/// The policies in order, parsed. Unreadable ones (they were validated when written, so only
/// a hand-edited row) are logged and skipped: one bad policy must not stop every ticket from
/// being logged; the policy list reports it as an error (`policy_view`).
pub(crate) async fn policies(tx: &mut Tx) -> Result<Vec<(PolicyRow, Policy)>> {
    let rows = tx.policies_in_tx().await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let spec: PolicySpec = opsdesk_store::stored_json(&format!("SLA policy {}", r.id), &r.spec).ok()?;
            match Policy::parse(&spec) {
                Ok(p) => Some((r, p)),
                Err(e) => {
                    tracing::error!(policy = r.id, error = %e, "a stored SLA policy is invalid; it is skipped");
                    None
                }
            }
        })
        .collect())
}

async fn matching(tx: &mut Tx, t: &Ticket) -> Result<Option<(PolicyRow, Policy)>> {
    let all = policies(tx).await?;
    Ok(matching_in(&all, t)?.cloned())
}

/// The first of `all` that applies to the ticket.
fn matching_in<'a>(all: &'a [(PolicyRow, Policy)], t: &Ticket) -> Result<Option<&'a (PolicyRow, Policy)>> {
    if all.is_empty() {
        return Ok(None);
    }
    let custom: Map<String, Value> =
        opsdesk_store::stored_json(&format!("custom fields of ticket {}", t.id), &t.custom_fields)?;
    let Some(priority) = Priority::new(t.priority as u8) else { return Ok(None) };
    let facts = TicketFacts {
        desk_id: t.desk_id,
        kind: t.kind,
        priority,
        category_id: t.category_id,
        organization_id: t.organization_id,
        custom_fields: &custom,
    };
    let parsed: Vec<Policy> = all.iter().map(|(_, p)| p.clone()).collect();
    let found = match_policy(&parsed, &facts).map(|p| p.name.clone());
    Ok(found.and_then(|name| all.iter().find(|(_, p)| p.name == name)))
}

fn hold(t: &Ticket) -> Option<HoldReason> {
    t.hold_reason.as_deref().and_then(|h| HoldReason::parse(h).ok())
}

fn live(c: &ClockRow) -> bool {
    c.state == "running" || c.state == "paused"
}

/// The policy a clock starts under: its id (gone when deleted), name and spec snapshot.
struct Under<'a> {
    id: Option<i64>,
    name: &'a str,
    spec: &'a str,
    policy: &'a Policy,
}

async fn start_clock(
    tx: &mut Tx,
    cals: &mut Calendars,
    t: &Ticket,
    under: &Under<'_>,
    kind: TargetKind,
    by: Option<i64>,
    now: Ts,
) -> Result<bool> {
    let policy = under.policy;
    let Some(target) = policy.target(kind) else { return Ok(false) };
    let new = NewClock {
        ticket_id: t.id,
        target: kind.as_str(),
        policy_id: under.id,
        policy_name: under.name,
        policy_spec: under.spec,
        calendar_id: policy.calendar_id,
        target_secs: target.as_secs(),
        at: now,
    };
    let mut clock = tx.insert_clock(&new).await?;
    engine::apply(tx, cals, &mut clock, ClockEvent::Started, by, Some(under.name), now).await?;
    if policy.pauses(t.status, hold(t)) {
        engine::apply(tx, cals, &mut clock, ClockEvent::Paused, by, None, now).await?;
    }
    Ok(true)
}

async fn start_from_policy(tx: &mut Tx, cals: &mut Calendars, t: &Ticket, by: Option<i64>, now: Ts) -> Result<bool> {
    let found = matching(tx, t).await?;
    start_under(tx, cals, t, found.as_ref(), by, now).await
}

/// Starts the clocks of new tickets that were inserted together (the group commit), reading
/// the policies once for all of them. Each entry is who logged the ticket, and when.
pub(crate) async fn track_created(tx: &mut Tx, created: &[(Option<i64>, &Ticket, Ts)]) -> Result<()> {
    let all = policies(tx).await?;
    if all.is_empty() {
        return Ok(());
    }
    let mut cals = Calendars::default();
    for (by, t, at) in created {
        let found = matching_in(&all, t)?;
        if start_under(tx, &mut cals, t, found, *by, engine::micros(*at)).await? {
            tx.refresh_ticket_sla_due(t.id).await?;
        }
    }
    Ok(())
}

async fn start_under(
    tx: &mut Tx,
    cals: &mut Calendars,
    t: &Ticket,
    found: Option<&(PolicyRow, Policy)>,
    by: Option<i64>,
    now: Ts,
) -> Result<bool> {
    let Some((row, policy)) = found else { return Ok(false) };
    let under = Under { id: Some(row.id), name: &row.name, spec: &row.spec, policy };
    let mut any = false;
    for kind in [TargetKind::FirstResponse, TargetKind::Resolution] {
        any |= start_clock(tx, cals, t, &under, kind, by, now).await?;
    }
    Ok(any)
}

/// A public reply of an agent meets the running first and next response clocks.
async fn agent_replied(tx: &mut Tx, cals: &mut Calendars, t: &Ticket, by: Option<i64>, now: Ts) -> Result<bool> {
    let mut changed = false;
    for mut c in tx.clocks_of_ticket(t.id).await? {
        if live(&c) && c.target != TargetKind::Resolution.as_str() {
            changed |= engine::apply(tx, cals, &mut c, ClockEvent::Met, by, None, now).await?;
        }
    }
    Ok(changed)
}

/// A public reply of the requester, once the first response is met, starts a next-response
/// clock (one at a time) when the ticket's policy has that target.
async fn requester_replied(tx: &mut Tx, cals: &mut Calendars, t: &Ticket, by: Option<i64>, now: Ts) -> Result<bool> {
    let clocks = tx.clocks_of_ticket(t.id).await?;
    let responding = clocks.iter().any(|c| live(c) && c.target != TargetKind::Resolution.as_str());
    let Some(latest) = clocks.iter().rev().find(|c| c.target == TargetKind::Resolution.as_str()) else {
        return Ok(false);
    };
    if responding {
        return Ok(false);
    }
    let Some(policy) = engine::parse_policy(&latest.policy_spec) else { return Ok(false) };
    let under = Under { id: latest.policy_id, name: &latest.policy_name, spec: &latest.policy_spec, policy: &policy };
    start_clock(tx, cals, t, &under, TargetKind::NextResponse, by, now).await
}

/// An event to apply, with a note for the history.
type Step = (fn(jiff::Timestamp) -> ClockEvent, Option<&'static str>);

/// Status changes: resolve meets resolution (and ends response clocks), reopen resumes it,
/// closing or cancelling without resolution cancels, pause statuses pause and resume.
async fn moved(
    tx: &mut Tx,
    cals: &mut Calendars,
    before: &Ticket,
    t: &Ticket,
    by: Option<i64>,
    now: Ts,
) -> Result<bool> {
    if before.status == t.status && before.hold_reason == t.hold_reason {
        return Ok(false);
    }
    let resolved = t.kind.resolved_status();
    let mut changed = false;
    for mut c in tx.clocks_of_ticket(t.id).await? {
        let resolution = c.target == TargetKind::Resolution.as_str();
        let policy = engine::parse_policy(&c.policy_spec);
        let pauses = policy.as_ref().is_some_and(|p| p.pauses(t.status, hold(t)));
        let event: Option<Step> = if t.status == resolved {
            match (resolution, live(&c)) {
                (true, true) => Some((ClockEvent::Met, None)),
                (false, true) => Some((ClockEvent::Cancelled, Some("resolved without a reply"))),
                _ => None,
            }
        } else if !t.status.is_open() {
            live(&c).then_some((ClockEvent::Cancelled, Some("closed without resolution")))
        } else if before.status == resolved && resolution && c.state == "met" {
            Some((ClockEvent::Reopened, None))
        } else if c.state == "running" && pauses {
            Some((ClockEvent::Paused, None))
        } else if c.state == "paused" && !pauses {
            Some((ClockEvent::Resumed, None))
        } else {
            None
        };
        if let Some((make, note)) = event {
            changed |= engine::apply(tx, cals, &mut c, make, by, note, now).await?;
            // A ticket reopened into a pause status pauses at once.
            if c.state == "running" && pauses {
                engine::apply(tx, cals, &mut c, ClockEvent::Paused, by, None, now).await?;
            }
        }
    }
    Ok(changed)
}

/// A priority change: the targets of the newly matching policy apply from now on. Clocks a
/// new policy has no target for are cancelled; with no matching policy all running clocks
/// are; a ticket without clocks gets them.
async fn replan(tx: &mut Tx, cals: &mut Calendars, t: &Ticket, by: Option<i64>, now: Ts) -> Result<bool> {
    let clocks = tx.clocks_of_ticket(t.id).await?;
    let found = matching(tx, t).await?;
    if clocks.is_empty() {
        if !t.is_open {
            return Ok(false);
        }
        return start_from_policy(tx, cals, t, by, now).await;
    }
    let mut changed = false;
    for mut c in clocks.into_iter().filter(live) {
        let kind = engine::target_kind(&c.target).unwrap_or(TargetKind::Resolution);
        match found.as_ref().and_then(|(row, p)| p.target(kind).map(|d| (row, d))) {
            Some((row, target)) => {
                let note = format!("priority P{}: policy {}", t.priority, row.name);
                c.policy_id = Some(row.id);
                c.policy_name = row.name.clone();
                c.policy_spec = row.spec.clone();
                let make = move |at| ClockEvent::Replanned { at, target };
                changed |= engine::apply(tx, cals, &mut c, make, by, Some(&note), now).await?;
            }
            None => {
                let note = "no policy matches any more";
                changed |= engine::apply(tx, cals, &mut c, ClockEvent::Cancelled, by, Some(note), now).await?;
            }
        }
    }
    Ok(changed)
}
