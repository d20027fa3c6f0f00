//! Applying events to stored clocks: replay a clock from its events with its calendar and
//! policy, apply one more, append it, and write back the derived state (state, due instant,
//! breach, next check for the worker).

use crate::Result;
use opsdesk_domain::sla::{
    BusinessCalendar, BusinessDuration, CalendarSpec, ClockEvent, ClockState, Policy, PolicySpec, SlaClock, TargetKind,
};
use opsdesk_store::sla::{ClockEventRow, ClockRow};
use opsdesk_store::{Ts, Tx};
use std::collections::HashMap;

/// The breach's threshold in `sla_escalations` (warnings use their percentage).
pub(crate) const BREACH: i64 = 100;

pub(crate) fn target_kind(s: &str) -> Option<TargetKind> {
    TargetKind::ALL.into_iter().find(|k| k.as_str() == s)
}

/// A clock's event as the domain knows it.
pub(crate) fn domain_event(e: &ClockEventRow) -> Option<ClockEvent> {
    let at = e.at.0;
    Some(match e.event.as_str() {
        "started" => ClockEvent::Started(at),
        "paused" => ClockEvent::Paused(at),
        "resumed" => ClockEvent::Resumed(at),
        "met" => ClockEvent::Met(at),
        "reopened" => ClockEvent::Reopened(at),
        "cancelled" => ClockEvent::Cancelled(at),
        "replanned" => ClockEvent::Replanned { at, target: BusinessDuration::from_secs(e.target_secs?).ok()? },
        _ => return None,
    })
}

/// A policy snapshot of a clock, parsed.
pub(crate) fn parse_policy(spec: &str) -> Option<Policy> {
    // A damaged snapshot is logged (by `stored_json`); its clock is then left as it is.
    let spec: PolicySpec = opsdesk_store::stored_json("SLA policy snapshot of a clock", spec).ok()?;
    Policy::parse(&spec).ok()
}

/// Calendars read once per command (several clocks usually share one).
#[derive(Default)]
pub(crate) struct Calendars(HashMap<Option<i64>, BusinessCalendar>);

impl Calendars {
    /// The calendar of `id`; the built-in 24x7 one for `None`, and when a calendar is gone or
    /// unreadable (deleting a calendar in use is refused, so this is a safety net).
    pub(crate) async fn get(&mut self, tx: &mut Tx, id: Option<i64>) -> Result<BusinessCalendar> {
        if let Some(c) = self.0.get(&id) {
            return Ok(c.clone());
        }
        let row = match id {
            None => None,
            Some(id) => tx.calendar_in_tx(id).await?,
        };
        let cal = calendar_of(row.as_ref())?;
        self.0.insert(id, cal.clone());
        Ok(cal)
    }

    /// [`get`](Self::get) for reads outside a transaction.
    pub(crate) async fn get_read(&mut self, db: &opsdesk_store::Db, id: Option<i64>) -> Result<BusinessCalendar> {
        if let Some(c) = self.0.get(&id) {
            return Ok(c.clone());
        }
        let row = match id {
            None => None,
            Some(id) => db.calendar(id).await.ok(),
        };
        let cal = calendar_of(row.as_ref())?;
        self.0.insert(id, cal.clone());
        Ok(cal)
    }
}

/// The calendar of a stored row; none is 24x7. A stored calendar that does not parse is an
/// error: clocks counted on another calendar than the configured one would be wrong.
fn calendar_of(row: Option<&opsdesk_store::sla::CalendarRow>) -> Result<BusinessCalendar> {
    let Some(r) = row else { return Ok(BusinessCalendar::twenty_four_seven()) };
    let what = format!("business calendar {}", r.id);
    let spec: CalendarSpec = opsdesk_store::stored_json(&what, &r.spec)?;
    BusinessCalendar::parse(&spec).map_err(|e| {
        tracing::error!(calendar = r.id, error = %e, "a stored business calendar is invalid");
        crate::AppError::Internal(format!("stored {what} is invalid"))
    })
}

/// Instants are stored in microseconds; events are made at that precision so a replayed
/// clock equals the one that was written.
pub(crate) fn micros(t: Ts) -> Ts {
    Ts::from_micros(t.micros())
}

/// A clock replayed from its stored events.
pub(crate) async fn replay(tx: &mut Tx, row: &ClockRow, cal: &BusinessCalendar) -> Result<(SlaClock, Option<Ts>)> {
    let events = tx.clock_events(row.id).await?;
    Ok(replay_rows(row, &events, cal))
}

/// A clock replayed from `events` (those of other clocks are skipped).
pub(crate) fn replay_rows(row: &ClockRow, events: &[ClockEventRow], cal: &BusinessCalendar) -> (SlaClock, Option<Ts>) {
    let initial = BusinessDuration::from_secs(row.initial_secs).unwrap_or(BusinessDuration::MAX);
    let kind = target_kind(&row.target).unwrap_or(TargetKind::Resolution);
    let mut clock = SlaClock::new(kind, initial);
    let mut last = None;
    for e in events.iter().filter(|e| e.clock_id == row.id) {
        if let Some(ev) = domain_event(e) {
            if let Err(err) = clock.apply(cal, ev) {
                tracing::warn!(clock = row.id, error = %err, "stored SLA clock event does not replay");
            }
        }
        last = Some(e.at);
    }
    (clock, last)
}

/// Appends `event` to the clock (when the clock accepts it) and refreshes its row. Returns
/// whether it was applied. An event the clock refuses (a pause of a met clock) is skipped:
/// the ticket command it comes from must not fail for it.
pub(crate) async fn apply(
    tx: &mut Tx,
    cals: &mut Calendars,
    row: &mut ClockRow,
    make: impl FnOnce(jiff::Timestamp) -> ClockEvent,
    actor_id: Option<i64>,
    note: Option<&str>,
    now: Ts,
) -> Result<bool> {
    let cal = cals.get(tx, row.calendar_id).await?;
    let (mut clock, last) = replay(tx, row, &cal).await?;
    // Never earlier than the last event, even if clocks of two nodes disagree a little.
    let at = micros(last.map_or(now, |l| l.max(now)));
    let event = make(at.0);
    let before_target = clock.target();
    if clock.apply(&cal, event).is_err() {
        return Ok(false);
    }
    let target_secs = match event {
        ClockEvent::Replanned { target, .. } => Some(target.as_secs()),
        _ => None,
    };
    tx.insert_clock_event(row.id, row.ticket_id, event.name(), at, target_secs, actor_id, note).await?;
    if clock.target() != before_target {
        row.cycle += 1;
        row.cycle_started_at = at;
    }
    refresh(tx, row, &clock, &cal, at).await?;
    tx.update_clock(row).await?;
    Ok(true)
}

/// The state name of a clock row.
pub(crate) fn state_name(s: ClockState) -> &'static str {
    match s {
        ClockState::NotStarted => "not_started",
        ClockState::Running => "running",
        ClockState::Paused => "paused",
        ClockState::Met => "met",
        ClockState::Cancelled => "cancelled",
    }
}

/// Recomputes the derived columns of a clock row at `now`, including the worker's next
/// check: the earliest unfired warning of this cycle or the breach, while running.
pub(crate) async fn refresh(
    tx: &mut Tx,
    row: &mut ClockRow,
    clock: &SlaClock,
    cal: &BusinessCalendar,
    now: Ts,
) -> Result<()> {
    let status = clock.status(cal, now.0).ok();
    row.state = state_name(clock.state()).to_string();
    row.target_secs = clock.target().as_secs();
    row.breached = row.breached || status.as_ref().is_some_and(|s| s.breached);
    row.due_at = status.as_ref().and_then(|s| s.due).map(Ts);
    row.updated_at = now;
    row.next_check_at = None;
    if clock.state() != ClockState::Running {
        return Ok(());
    }
    let fired = tx.fired_thresholds(row.id, row.cycle).await?;
    let policy = parse_policy(&row.policy_spec);
    let percents = policy.map(|p| p.warnings).unwrap_or_default();
    let mut next: Option<Ts> = None;
    let mut consider = |t: Ts| next = Some(next.map_or(t, |n: Ts| n.min(t)));
    if let Ok(warnings) = clock.warning_instants(cal, &percents) {
        for w in warnings {
            if let Some(at) = w.at.map(Ts) {
                if !fired.contains(&i64::from(w.percent)) && at >= row.cycle_started_at {
                    consider(at);
                }
            }
        }
    }
    if !fired.contains(&BREACH) {
        if let Some(due) = row.due_at {
            // Breached means running at an instant after the due instant.
            consider(Ts::from_micros(due.micros() + 1));
        }
    }
    row.next_check_at = next;
    Ok(())
}
