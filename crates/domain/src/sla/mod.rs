//! Service level management: business calendars, business durations, SLA clocks and the
//! policies that choose targets for a ticket. Pure rules: the app layer loads calendars and
//! policies, feeds ticket events to clocks, and schedules the warnings and breaches these
//! functions compute.
//!
//! - [`BusinessCalendar`]: when the desk works (time zone, weekly hours, holidays) and
//!   business-time arithmetic on it (`add`, `between`).
//! - [`BusinessDuration`]: a target such as `4h` or `1h30m`, in business seconds.
//! - [`SlaClock`]: one target of one ticket, replayed from its events.
//! - [`Policy`] and [`match_policy`]: which targets, calendar, pauses and escalations apply.

mod calendar;
mod clock;
mod duration;
mod policy;
mod policy_spec;
mod walk;

#[cfg(test)]
mod calendar_tests;
#[cfg(test)]
mod clock_tests;
#[cfg(test)]
mod policy_tests;
#[cfg(test)]
mod proptests;

pub use calendar::{BusinessCalendar, CalendarError, CalendarSpec, WEEKDAYS};
pub use clock::{ClockError, ClockEvent, ClockState, ClockStatus, SlaClock, TargetKind, WarningInstant};
pub use duration::BusinessDuration;
pub use policy::{
    match_policy, raise_priority, Conditions, Escalation, EscalationAction, EscalationTrigger, PauseRule, Policy,
    TicketFacts,
};
pub use policy_spec::{ConditionsSpec, EscalationSpec, PolicySpec, TargetsSpec, WarningPercent};

/// How far calendar arithmetic looks ahead: ten years (3,653 days). An answer further away
/// is an error rather than a long loop; no SLA target comes near it.
pub const HORIZON_DAYS: i64 = 3_653;
