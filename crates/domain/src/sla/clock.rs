//! SLA clocks: one target (first response, next response or resolution) of one ticket, as
//! a state machine fed by the ticket's events in time order.
//!
//! Rules where ITSM practice leaves a choice:
//! - **Breach** is about instants: a clock is breached once it has been running at an
//!   instant after its due instant. A clock met after its due instant is `Met` with
//!   `breached: true` (met late); the state says where the clock is, `breached` says
//!   whether the target was missed, and both are needed (a breached clock still runs until
//!   the ticket is answered or resolved). Meeting exactly at the due instant is on time.
//! - **Paused clocks do not breach**, even if the target was used up when they paused.
//! - **Replanning** (a priority change) sets the target from the event on; a breach
//!   recorded before it stays, because it happened. Elapsed time is kept.
//! - **Reopening** is for resolution clocks only: the clock runs again and keeps its
//!   elapsed time. A next-response clock measures one requester reply to the next agent
//!   reply; the app starts a new clock for each cycle.

use super::calendar::{BusinessCalendar, CalendarError};
use super::BusinessDuration;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which SLA target a clock measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    FirstResponse,
    NextResponse,
    Resolution,
}

impl TargetKind {
    pub const ALL: [TargetKind; 3] = [TargetKind::FirstResponse, TargetKind::NextResponse, TargetKind::Resolution];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::FirstResponse => "first_response",
            TargetKind::NextResponse => "next_response",
            TargetKind::Resolution => "resolution",
        }
    }
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to a clock, with when. Events are applied in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockEvent {
    Started(Timestamp),
    Paused(Timestamp),
    Resumed(Timestamp),
    /// The target was achieved (first reply sent, ticket resolved).
    Met(Timestamp),
    /// A resolved ticket came back: the resolution clock runs again with its elapsed time.
    Reopened(Timestamp),
    /// The target changed (usually a priority change re-matched the policy).
    Replanned {
        at: Timestamp,
        target: BusinessDuration,
    },
    Cancelled(Timestamp),
}

impl ClockEvent {
    pub fn at(&self) -> Timestamp {
        match *self {
            ClockEvent::Started(t)
            | ClockEvent::Paused(t)
            | ClockEvent::Resumed(t)
            | ClockEvent::Met(t)
            | ClockEvent::Reopened(t)
            | ClockEvent::Cancelled(t)
            | ClockEvent::Replanned { at: t, .. } => t,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            ClockEvent::Started(_) => "started",
            ClockEvent::Paused(_) => "paused",
            ClockEvent::Resumed(_) => "resumed",
            ClockEvent::Met(_) => "met",
            ClockEvent::Reopened(_) => "reopened",
            ClockEvent::Replanned { .. } => "replanned",
            ClockEvent::Cancelled(_) => "cancelled",
        }
    }
}

/// Where a clock is. Whether it missed its target is [`ClockStatus::breached`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    NotStarted,
    Running,
    Paused,
    Met,
    Cancelled,
}

impl fmt::Display for ClockState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClockState::NotStarted => "not_started",
            ClockState::Running => "running",
            ClockState::Paused => "paused",
            ClockState::Met => "met",
            ClockState::Cancelled => "cancelled",
        })
    }
}

/// An event that does not fit the clock. `index` counts events applied to the clock, from 0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("event {index} ({event}) is not allowed while the clock is {state}")]
    NotAllowed { index: usize, event: &'static str, state: ClockState },
    #[error("event {index} ({event}) is earlier than the event before it")]
    OutOfOrder { index: usize, event: &'static str },
    #[error("event {index}: only a resolution clock can be reopened, not {target}")]
    NotReopenable { index: usize, target: TargetKind },
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

/// A clock at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClockStatus {
    pub state: ClockState,
    pub target: BusinessDuration,
    pub elapsed: BusinessDuration,
    /// `target - elapsed`, zero once used up.
    pub remaining: BusinessDuration,
    /// When the target is (or was) used up, for a running clock; `None` otherwise.
    pub due: Option<Timestamp>,
    pub breached: bool,
    /// The due instant that was missed.
    pub breached_at: Option<Timestamp>,
}

/// When elapsed time reaches `percent` % of the target: `None` when that is not known
/// because the clock is not running and has not reached it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WarningInstant {
    pub percent: u8,
    pub at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    NotStarted,
    Running { since: Timestamp },
    Paused,
    Met,
    Cancelled,
}

/// One SLA target of one ticket. Build it with [`SlaClock::replay`] from stored events, or
/// [`SlaClock::new`] and [`SlaClock::apply`] one event at a time; an illegal event is an
/// error and leaves the clock as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaClock {
    kind: TargetKind,
    target: BusinessDuration,
    phase: Phase,
    /// Business nanoseconds of the finished running segments.
    banked: i128,
    /// Finished running segments, for warning instants.
    segments: Vec<(Timestamp, Timestamp)>,
    breached_at: Option<Timestamp>,
    last_at: Option<Timestamp>,
    applied: usize,
}

impl SlaClock {
    pub fn new(kind: TargetKind, target: BusinessDuration) -> SlaClock {
        SlaClock {
            kind,
            target,
            phase: Phase::NotStarted,
            banked: 0,
            segments: Vec::new(),
            breached_at: None,
            last_at: None,
            applied: 0,
        }
    }

    /// A clock after `events`, which must be in time order.
    pub fn replay(
        kind: TargetKind,
        target: BusinessDuration,
        cal: &BusinessCalendar,
        events: &[ClockEvent],
    ) -> Result<SlaClock, ClockError> {
        let mut clock = SlaClock::new(kind, target);
        for e in events {
            clock.apply(cal, *e)?;
        }
        Ok(clock)
    }

    pub fn kind(&self) -> TargetKind {
        self.kind
    }

    pub fn target(&self) -> BusinessDuration {
        self.target
    }

    pub fn state(&self) -> ClockState {
        match self.phase {
            Phase::NotStarted => ClockState::NotStarted,
            Phase::Running { .. } => ClockState::Running,
            Phase::Paused => ClockState::Paused,
            Phase::Met => ClockState::Met,
            Phase::Cancelled => ClockState::Cancelled,
        }
    }

    /// Applies one event. On error the clock is unchanged.
    pub fn apply(&mut self, cal: &BusinessCalendar, event: ClockEvent) -> Result<(), ClockError> {
        let (index, name, at) = (self.applied, event.name(), event.at());
        if self.last_at.is_some_and(|last| at < last) {
            return Err(ClockError::OutOfOrder { index, event: name });
        }
        let not_allowed = ClockError::NotAllowed { index, event: name, state: self.state() };
        let mut next = self.clone();
        next.phase = match (self.phase, event) {
            (Phase::NotStarted, ClockEvent::Started(t)) => Phase::Running { since: t },
            (Phase::Running { since }, ClockEvent::Paused(t)) => {
                next.close_segment(cal, since, t)?;
                Phase::Paused
            }
            (Phase::Paused, ClockEvent::Resumed(t)) => Phase::Running { since: t },
            (Phase::Running { since }, ClockEvent::Met(t)) => {
                next.close_segment(cal, since, t)?;
                Phase::Met
            }
            (Phase::Paused, ClockEvent::Met(_)) => Phase::Met,
            (Phase::Met, ClockEvent::Reopened(t)) if self.kind == TargetKind::Resolution => Phase::Running { since: t },
            (Phase::Met, ClockEvent::Reopened(_)) => {
                return Err(ClockError::NotReopenable { index, target: self.kind });
            }
            (Phase::Running { since }, ClockEvent::Replanned { at, target }) => {
                // Split the running segment so the old target judges the time before `at`.
                next.close_segment(cal, since, at)?;
                next.target = target;
                Phase::Running { since: at }
            }
            (Phase::NotStarted | Phase::Paused, ClockEvent::Replanned { target, .. }) => {
                next.target = target;
                self.phase
            }
            (Phase::Running { since }, ClockEvent::Cancelled(t)) => {
                next.close_segment(cal, since, t)?;
                Phase::Cancelled
            }
            (Phase::NotStarted | Phase::Paused, ClockEvent::Cancelled(_)) => Phase::Cancelled,
            _ => return Err(not_allowed),
        };
        next.last_at = Some(at);
        next.applied += 1;
        *self = next;
        Ok(())
    }

    /// Banks a running segment and records a breach if it ran past the due instant.
    fn close_segment(&mut self, cal: &BusinessCalendar, since: Timestamp, end: Timestamp) -> Result<(), ClockError> {
        let due = self.due_from(cal, since)?;
        if end > due && self.breached_at.is_none() {
            self.breached_at = Some(due);
        }
        self.banked += cal.between_nanos(since, end);
        self.segments.push((since, end));
        Ok(())
    }

    /// The due instant of a segment running from `since`, given what is banked.
    fn due_from(&self, cal: &BusinessCalendar, since: Timestamp) -> Result<Timestamp, CalendarError> {
        cal.add_nanos(since, self.target.as_nanos() - self.banked)
    }

    /// The clock as seen at `now` (normally the present; never earlier than the last event).
    pub fn status(&self, cal: &BusinessCalendar, now: Timestamp) -> Result<ClockStatus, CalendarError> {
        let (elapsed, due) = match self.phase {
            Phase::Running { since } => (self.banked + cal.between_nanos(since, now), Some(self.due_from(cal, since)?)),
            _ => (self.banked, None),
        };
        let breached_at = self.breached_at.or(due.filter(|&d| now > d));
        let elapsed = BusinessDuration::from_nanos_floor(elapsed);
        Ok(ClockStatus {
            state: self.state(),
            target: self.target,
            elapsed,
            remaining: self.target.saturating_sub(elapsed),
            due,
            breached: breached_at.is_some(),
            breached_at,
        })
    }

    /// When elapsed time reaches each of `percents` % of the current target, over the
    /// clock's whole history: past instants for thresholds already reached, future ones
    /// while running. The worker schedules the warnings that lie ahead.
    pub fn warning_instants(
        &self,
        cal: &BusinessCalendar,
        percents: &[u8],
    ) -> Result<Vec<WarningInstant>, CalendarError> {
        let running = match self.phase {
            Phase::Running { since } => Some(since),
            _ => None,
        };
        let mut out = Vec::with_capacity(percents.len());
        for &percent in percents {
            let threshold = self.target.as_nanos() * i128::from(percent) / 100;
            let mut at = None;
            let mut cum = 0;
            for &(s, e) in &self.segments {
                let len = cal.between_nanos(s, e);
                if cum + len >= threshold {
                    at = Some(cal.add_nanos(s, threshold - cum)?);
                    break;
                }
                cum += len;
            }
            if let (None, Some(since)) = (at, running) {
                at = Some(cal.add_nanos(since, threshold - cum)?);
            }
            out.push(WarningInstant { percent, at });
        }
        Ok(out)
    }
}
