//! What people see of SLAs: a ticket's targets (in the viewer's time zone), its clock
//! history, one's notifications, and the compliance report.

use super::engine::{self, Calendars};
use crate::tickets::{TicketView, Timeline};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::sla::ClockState;
use opsdesk_domain::{Actor, FieldError, Role};
use opsdesk_store::sla::{ClockEventRow, Notification, ReportGroupBy};
use opsdesk_store::tickets::Ticket;
use opsdesk_store::Ts;
use serde::Serialize;
use serde_json::json;

/// One target of a ticket, as seen now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SlaTarget)]
pub struct SlaTargetView {
    pub clock_id: i64,
    /// `first_response`, `next_response` or `resolution`.
    pub target: String,
    /// `running`, `paused`, `met`, `breached` (running past its due instant) or `cancelled`.
    pub state: String,
    /// RFC 3339 in the viewer's time zone, while the clock runs; null otherwise.
    pub due_at: Option<String>,
    pub target_secs: i64,
    pub elapsed_secs: i64,
    /// Business seconds left: `target - elapsed`, negative by the time overdue.
    pub remaining_secs: i64,
    /// Missed: running past due, or met late.
    pub breached: bool,
    /// The policy's name; null for requesters.
    pub policy: Option<String>,
}

/// One event of a clock, from the append-only SLA history (agents only).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SlaClockEvent)]
pub struct SlaHistoryEntry {
    pub id: i64,
    pub clock_id: i64,
    pub ticket_id: i64,
    /// `started`, `paused`, `resumed`, `met`, `reopened`, `replanned` or `cancelled`.
    pub event: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Ts,
    /// The new target of a `replanned` event, in business seconds.
    pub target_secs: Option<i64>,
    pub actor_id: Option<i64>,
    pub note: Option<String>,
    /// The clock's target: `first_response`, `next_response` or `resolution`.
    pub target: String,
}

impl SlaHistoryEntry {
    fn of(e: ClockEventRow, target: String) -> SlaHistoryEntry {
        SlaHistoryEntry {
            id: e.id,
            clock_id: e.clock_id,
            ticket_id: e.ticket_id,
            event: e.event,
            at: e.at,
            target_secs: e.target_secs,
            actor_id: e.actor_id,
            note: e.note,
            target,
        }
    }
}

/// A ticket's SLA targets and history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketSla {
    pub targets: Vec<SlaTargetView>,
    /// Every clock event, oldest first; empty for requesters.
    pub history: Vec<SlaHistoryEntry>,
}

/// An in-app notification: an SLA warning or breach addressed to its reader.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Notification)]
pub struct NotificationView {
    pub id: i64,
    pub user_id: i64,
    pub ticket_id: Option<i64>,
    /// `sla.warning` or `sla.breached`.
    pub kind: String,
    pub text: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub read_at: Option<Ts>,
}

impl From<&Notification> for NotificationView {
    fn from(n: &Notification) -> Self {
        NotificationView {
            id: n.id,
            user_id: n.user_id,
            ticket_id: n.ticket_id,
            kind: n.kind.clone(),
            text: n.text.clone(),
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

/// How the SLA report groups its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = SlaReportGroupBy)]
pub enum ReportGrouping {
    Policy,
    Priority,
    Group,
}

/// The SLA compliance report: clocks started in `[from, to)`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SlaReport {
    #[schema(value_type = String, format = DateTime)]
    pub from: Ts,
    #[schema(value_type = String, format = DateTime)]
    pub to: Ts,
    #[schema(value_type = ReportGrouping)]
    pub group_by: String,
    pub items: Vec<ReportLine>,
}

/// Clocks started in the period, for one group key and one target.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SlaReportLine)]
pub struct ReportLine {
    /// The policy name, priority (`P2`) or group name.
    pub key: String,
    /// `first_response`, `next_response` or `resolution`.
    pub target: String,
    pub total: i64,
    /// Met on time.
    pub met: i64,
    /// Missed: met late or overdue.
    pub breached: i64,
    /// Running or paused, not breached.
    pub open: i64,
    pub cancelled: i64,
    /// `met / (met + breached) * 100`, one decimal; null when neither.
    #[schema(minimum = 0, maximum = 100)]
    pub compliance_percent: Option<f64>,
}

impl App {
    async fn viewer_zone(&self, actor: &Actor) -> jiff::tz::TimeZone {
        let name = match actor.user_id {
            Some(id) => self.db.user(id).await.map(|u| u.time_zone).unwrap_or_default(),
            None => String::new(),
        };
        jiff::tz::TimeZone::get(&name).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// The SLA targets of a ticket the actor sees, evaluated at `now`.
    pub(crate) async fn sla_targets(&self, actor: &Actor, t: &Ticket, now: Ts) -> Result<Vec<SlaTargetView>> {
        Ok(self.sla_read(actor, t, None, now, false).await?.targets)
    }

    /// A ticket's targets (in `zone`, or the viewer's own time zone when `None`) and, when
    /// `with_history` and the actor is staff, its clock history. Reads the clocks and their
    /// events once; nothing more when the ticket has no clocks.
    pub(crate) async fn sla_read(
        &self,
        actor: &Actor,
        t: &Ticket,
        zone: Option<jiff::tz::TimeZone>,
        now: Ts,
        with_history: bool,
    ) -> Result<TicketSla> {
        let rows = self.db.clocks_of(t.id).await?;
        if rows.is_empty() {
            return Ok(TicketSla { targets: Vec::new(), history: Vec::new() });
        }
        let zone = match zone {
            Some(z) => z,
            None => self.viewer_zone(actor).await,
        };
        let mut cals = Calendars::default();
        let events = self.db.clock_events_of_ticket(t.id).await?;
        let mut out = Vec::new();
        for row in &rows {
            let cal = cals.get_read(&self.db, row.calendar_id).await?;
            let (clock, last) = engine::replay_rows(row, &events, &cal);
            let at = last.map_or(now, |l| l.max(now));
            let Ok(status) = clock.status(&cal, at.0) else { continue };
            let breached = row.breached || status.breached;
            let state = match status.state {
                ClockState::Running if breached => "breached",
                s => engine::state_name(s),
            };
            let elapsed = status.elapsed.as_secs();
            out.push(SlaTargetView {
                clock_id: row.id,
                target: row.target.clone(),
                state: state.into(),
                due_at: status
                    .due
                    .map(|d| d.to_zoned(zone.clone()).timestamp().display_with_offset(zone.to_offset(d)).to_string()),
                target_secs: status.target.as_secs(),
                elapsed_secs: elapsed,
                remaining_secs: status.target.as_secs() - elapsed,
                breached,
                policy: (actor.role != Role::Requester).then(|| row.policy_name.clone()),
            });
        }
        let history = if with_history && actor.sees_internal_notes() {
            events
                .into_iter()
                .map(|e| {
                    let target = rows.iter().find(|c| c.id == e.clock_id).map(|c| c.target.clone());
                    SlaHistoryEntry::of(e, target.unwrap_or_default())
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(TicketSla { targets: out, history })
    }

    /// A ticket's targets and (for agents) its clock history.
    pub async fn ticket_sla(&self, actor: &Actor, id_or_number: &str) -> Result<TicketSla> {
        let t = self.find_ticket(actor, id_or_number).await?;
        self.sla_read(actor, &t, None, Ts::now(), true).await
    }

    /// Everything a ticket's page shows: the ticket, its timeline and its SLA, with due
    /// instants in `time_zone` (the signed-in viewer's; UTC when unknown), so the page needs
    /// no extra look-up of the viewer.
    pub async fn ticket_page(
        &self,
        actor: &Actor,
        id_or_number: &str,
        time_zone: &str,
    ) -> Result<(TicketView, Timeline, TicketSla)> {
        let t = self.find_ticket(actor, id_or_number).await?;
        let zone = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let sla = self.sla_read(actor, &t, Some(zone), Ts::now(), true).await?;
        let (view, timeline) = self.timeline_of(actor, &t).await?;
        Ok((view, timeline, sla))
    }

    /// How many of the caller's notifications are unread.
    pub async fn unread_notifications(&self, actor: &Actor) -> Result<i64> {
        let Some(me) = actor.user_id else { return Err(AppError::Forbidden) };
        Ok(self.db.unread_notifications(me).await?)
    }

    /// Marks the caller's notifications up to id `upto` as read (the ones the page showed).
    pub async fn mark_notifications_read(&self, actor: &Actor, upto: i64) -> Result<u64> {
        let Some(me) = actor.user_id else { return Err(AppError::Forbidden) };
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let n = tx.mark_notifications_read(me, upto, now).await?;
        emit(&mut tx, "notifications.read", format!("user:{me}"), actor, json!({ "upto": upto, "count": n }), now)
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The caller's notifications, newest first.
    pub async fn my_notifications(&self, actor: &Actor, before: Option<i64>, limit: i64) -> Result<Vec<Notification>> {
        let Some(me) = actor.user_id else { return Err(AppError::Forbidden) };
        Ok(self.db.notifications(me, before.unwrap_or(i64::MAX), limit.clamp(1, 500)).await?)
    }

    /// Met and breached clocks that started in `[from, to)`, per target and per group key,
    /// over the tickets the actor sees. Agents and admins.
    pub async fn sla_report(&self, actor: &Actor, from: Ts, to: Ts, group_by: &str) -> Result<Vec<ReportLine>> {
        if actor.role == Role::Requester {
            return Err(AppError::Forbidden);
        }
        let by = match group_by {
            "policy" | "" => ReportGroupBy::Policy,
            "priority" => ReportGroupBy::Priority,
            "group" => ReportGroupBy::Group,
            _ => {
                return Err(
                    FieldError::new("group_by", "invalid_group_by", "group_by is policy, priority or group").into()
                )
            }
        };
        if to <= from {
            return Err(FieldError::new("to", "invalid_range", "to must be after from").into());
        }
        let rows = self.db.sla_report(&actor.ticket_visibility(), from, to, by).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let judged = r.met + r.breached;
                let compliance = (judged > 0).then(|| (r.met as f64 * 1000.0 / judged as f64).round() / 10.0);
                ReportLine {
                    key: r.key,
                    target: r.target,
                    total: r.total,
                    met: r.met,
                    breached: r.breached,
                    open: r.open,
                    cancelled: r.cancelled,
                    compliance_percent: compliance,
                }
            })
            .collect())
    }
}
