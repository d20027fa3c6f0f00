//! The worker's side of SLAs: find clocks whose next check has come (through the index on
//! `next_check_at`), fire each warning and the breach exactly once, and escalate.
//!
//! Exactly once, with any number of workers and across crashes: each threshold is fired in
//! its own transaction that locks the ticket, inserts the `(clock, cycle, threshold)` row of
//! `sla_escalations` (unique), applies the escalation actions, writes the outbox event and
//! advances `next_check_at`. A second worker either waits for the lock and then finds the
//! check advanced, or fails to insert the row and does nothing.

use super::engine::{self, Calendars, BREACH};
use crate::{emit, App, Result};
use opsdesk_domain::sla::{raise_priority, EscalationAction, EscalationTrigger, Policy};
use opsdesk_domain::ticket::Priority;
use opsdesk_domain::Actor;
use opsdesk_store::sla::ClockRow;
use opsdesk_store::tickets::Ticket;
use opsdesk_store::{Ts, Tx};
use serde_json::json;

/// What one scan did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScanReport {
    pub warnings: usize,
    pub breaches: usize,
}

const BATCH: i64 = 200;

impl App {
    /// Fires the warnings and breaches due at `now`. The scheduled job calls it with the
    /// present; tests call it with a chosen instant.
    #[tracing::instrument(skip(self))]
    pub async fn sla_scan(&self, now: Ts) -> Result<ScanReport> {
        let now = engine::micros(now);
        let mut report = ScanReport::default();
        let mut seen = std::collections::HashSet::new();
        loop {
            let due = self.db.clocks_due(now, BATCH).await?;
            let fresh: Vec<_> = due.into_iter().filter(|(id, _)| seen.insert(*id)).collect();
            if fresh.is_empty() {
                break;
            }
            for (clock_id, ticket_id) in fresh {
                // One threshold per transaction, until the clock has nothing more due.
                while let Some(fired) = self.fire_next(clock_id, ticket_id, now).await? {
                    match fired {
                        Some(EscalationTrigger::Breach) => report.breaches += 1,
                        Some(EscalationTrigger::Warning(_)) => report.warnings += 1,
                        None => {}
                    }
                }
            }
        }
        Ok(report)
    }

    /// Fires the earliest threshold of a clock that is due at `now`. `None`: nothing is due;
    /// `Some(None)`: another worker had fired it.
    async fn fire_next(&self, clock_id: i64, ticket_id: i64, now: Ts) -> Result<Option<Option<EscalationTrigger>>> {
        let mut tx = self.db.begin().await?;
        // The ticket first, like every ticket command, so the two never deadlock.
        let ticket = tx.ticket_for_update(ticket_id).await?;
        let Some(mut row) = tx.lock_clock(clock_id).await? else { return Ok(None) };
        if row.next_check_at.is_none_or(|n| n > now) {
            return Ok(None);
        }
        let mut cals = Calendars::default();
        let cal = cals.get(&mut tx, row.calendar_id).await?;
        let (clock, _) = engine::replay(&mut tx, &row, &cal).await?;
        let policy = engine::parse_policy(&row.policy_spec);
        let fired = tx.fired_thresholds(row.id, row.cycle).await?;
        let status = clock.status(&cal, now.0).ok();
        let percents = policy.as_ref().map(|p| p.warnings.clone()).unwrap_or_default();
        let warning = clock.warning_instants(&cal, &percents).unwrap_or_default().into_iter().find(|w| {
            w.at.map(Ts).is_some_and(|at| at <= now && at >= row.cycle_started_at)
                && !fired.contains(&i64::from(w.percent))
        });
        let breach = !fired.contains(&BREACH) && status.as_ref().and_then(|s| s.due).is_some_and(|d| now.0 > d);
        let trigger = match (warning, breach) {
            (Some(w), _) => Some(EscalationTrigger::Warning(w.percent)),
            (None, true) => Some(EscalationTrigger::Breach),
            (None, false) => None,
        };
        let Some(trigger) = trigger else {
            engine::refresh(&mut tx, &mut row, &clock, &cal, now).await?;
            tx.update_clock(&row).await?;
            tx.commit().await?;
            return Ok(None);
        };
        let mut fired_here = None;
        let threshold = match trigger {
            EscalationTrigger::Warning(p) => i64::from(p),
            EscalationTrigger::Breach => BREACH,
        };
        let actions: Vec<EscalationAction> = match (&policy, engine::target_kind(&row.target)) {
            (Some(p), Some(k)) => p.escalations_for(k, trigger).copied().collect(),
            _ => Vec::new(),
        };
        let actions_json = serde_json::to_string(&actions).unwrap_or_else(|_| "[]".into());
        if tx.record_escalation(row.id, row.cycle, threshold, &actions_json, now).await? {
            if trigger == EscalationTrigger::Breach {
                row.breached = true;
            }
            escalate(&mut tx, &ticket, &row, policy.as_ref(), trigger, &actions, now).await?;
            fired_here = Some(trigger);
        }
        engine::refresh(&mut tx, &mut row, &clock, &cal, now).await?;
        tx.update_clock(&row).await?;
        tx.commit().await?;
        Ok(Some(fired_here))
    }
}

fn describe(trigger: EscalationTrigger) -> String {
    match trigger {
        EscalationTrigger::Warning(p) => format!("{p}% used"),
        EscalationTrigger::Breach => "breached".into(),
    }
}

fn action_name(a: &EscalationAction) -> String {
    match a {
        EscalationAction::NotifyGroup { group_id } => format!("notify_group {}", opt(group_id)),
        EscalationAction::NotifyGroupLead { group_id } => format!("notify_group_lead {}", opt(group_id)),
        EscalationAction::NotifyUser { user_id } => format!("notify_user {user_id}"),
        EscalationAction::ReassignToGroup { group_id } => format!("reassign_to_group {group_id}"),
        EscalationAction::RaisePriority => "raise_priority".into(),
    }
}

fn opt(g: &Option<i64>) -> String {
    g.map_or("(ticket's group)".into(), |g| g.to_string())
}

/// Records the warning or breach on the ticket's timeline, notifies, changes the ticket as
/// the policy says (through the same history and version rules as any change), and writes
/// the outbox event.
async fn escalate(
    tx: &mut Tx,
    ticket: &Ticket,
    clock: &ClockRow,
    policy: Option<&Policy>,
    trigger: EscalationTrigger,
    actions: &[EscalationAction],
    now: Ts,
) -> Result<()> {
    let system = Actor::system();
    let what = describe(trigger);
    let field = match trigger {
        EscalationTrigger::Warning(_) => "sla_warning",
        EscalationTrigger::Breach => "sla_breach",
    };
    let policy_name = policy.map_or(clock.policy_name.clone(), |p| p.name.clone());
    let mut line = format!("{} {what} (policy {policy_name})", clock.target);
    if !actions.is_empty() {
        let names: Vec<String> = actions.iter().map(action_name).collect();
        line = format!("{line}; escalation: {}", names.join(", "));
    }
    tx.record_change(ticket.id, None, field, None, Some(&line), now).await?;

    let kind = match trigger {
        EscalationTrigger::Warning(_) => "sla.warning",
        EscalationTrigger::Breach => "sla.breached",
    };
    let text = format!("SLA {what}: {} {} ({})", ticket.number, clock.target.replace('_', " "), ticket.title);
    let mut after = ticket.clone();
    for a in actions {
        match *a {
            EscalationAction::NotifyGroup { group_id } => {
                if let Some(g) = group_id.or(ticket.group_id) {
                    for u in tx.group_member_ids(g).await? {
                        tx.insert_notification(u, Some(ticket.id), kind, &text, now).await?;
                    }
                }
            }
            EscalationAction::NotifyGroupLead { group_id } => {
                if let Some(g) = group_id.or(ticket.group_id) {
                    // A group without a lead: its members are told instead.
                    let to = match tx.group_lead(g).await? {
                        Some(lead) => vec![lead],
                        None => tx.group_member_ids(g).await?,
                    };
                    for u in to {
                        tx.insert_notification(u, Some(ticket.id), kind, &text, now).await?;
                    }
                }
            }
            EscalationAction::NotifyUser { user_id } => {
                if tx.active_user_exists(user_id).await? {
                    tx.insert_notification(user_id, Some(ticket.id), kind, &text, now).await?;
                }
            }
            EscalationAction::ReassignToGroup { group_id } => {
                if after.group_id != Some(group_id) && tx.group_exists(group_id).await? {
                    after.group_id = Some(group_id);
                    if let Some(a) = after.assignee_id {
                        if !tx.group_member_ids(group_id).await?.contains(&a) {
                            after.assignee_id = None;
                        }
                    }
                    crate::tickets::follow_assignment(&mut after);
                }
            }
            EscalationAction::RaisePriority => {
                if let Some(p) = Priority::new(after.priority as u8) {
                    let raised = raise_priority(p);
                    if raised != p {
                        after.priority = raised.get() as i64;
                        after.priority_override_reason = Some(format!("raised by SLA escalation ({policy_name})"));
                    }
                }
            }
        }
    }
    let changes = crate::tickets::field_changes(ticket, &after);
    if !changes.is_empty() {
        after.updated_at = now;
        // The ticket is locked by this transaction, so its version cannot have moved. The
        // raised priority does not re-plan the clocks: the escalation follows from the
        // current targets, and a shorter target would breach again at once.
        if tx.update_ticket(&after).await?.is_some() {
            for (f, old, new) in changes {
                tx.record_change(ticket.id, None, f, old.as_deref(), new.as_deref(), now).await?;
            }
        }
    }
    let payload = json!({
        "clock_id": clock.id,
        "ticket_id": ticket.id,
        "number": ticket.number,
        "target": clock.target,
        "cycle": clock.cycle,
        "threshold": match trigger { EscalationTrigger::Warning(p) => i64::from(p), EscalationTrigger::Breach => BREACH },
        "policy": policy_name,
        "actions": actions,
    });
    emit(tx, kind, format!("ticket:{}", ticket.id), &system, payload, now).await
}
