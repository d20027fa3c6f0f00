//! Service level management: business calendars and SLA policies (admin commands), the
//! clocks kept in step with every ticket command ([`track`]), the worker's scan that fires
//! warnings and breaches ([`scan`]), and what agents and requesters see ([`view`]).

mod engine;
mod scan;
pub(crate) mod track;
mod view;

pub use scan::ScanReport;
pub use view::{NotificationView, ReportGrouping, ReportLine, SlaHistoryEntry, SlaReport, SlaTargetView, TicketSla};

use crate::{emit, App, AppError, Result};
use opsdesk_domain::sla::{
    BusinessCalendar, CalendarSpec, ConditionsSpec, EscalationSpec, Policy, PolicySpec, TargetsSpec,
};
use opsdesk_domain::validation::Checks;
use opsdesk_domain::{Actor, FieldError, Permission, Role};
use opsdesk_store::sla::{CalendarRow, PolicyRow};
use opsdesk_store::Ts;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The id under which the built-in 24x7 calendar is listed; it has no row.
pub const BUILTIN_CALENDAR_ID: i64 = 0;

/// A business calendar as an admin writes it. Errors name the field: `time_zone`,
/// `hours.mon[1]`, `holidays[2]`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SlaCalendarInput)]
pub struct CalendarInput {
    /// One line of 1 to 120 characters, unique among calendars.
    #[schema(
        min_length = 1,
        max_length = 120,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    /// An IANA time zone name, such as `Europe/Berlin`.
    #[schema(min_length = 1)]
    pub time_zone: String,
    /// Working hours per weekday (`mon` ... `sun`), at most 12 intervals a day, like
    /// `["09:00-12:30", "13:30-17:00"]`; an end before the start is an overnight shift.
    #[serde(default)]
    pub hours: BTreeMap<String, Vec<String>>,
    /// At most 2000 dates (`2026-12-24`) or yearly month-days (`12-25`).
    #[serde(default)]
    #[schema(max_items = 2000)]
    pub holidays: Vec<String>,
    /// Every instant is working time; no hours or holidays then. `24x7` is accepted too.
    #[serde(default, alias = "24x7")]
    pub twenty_four_seven: bool,
}

/// A business calendar. The built-in 24x7 calendar is listed with id 0 and `builtin: true`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SlaCalendar)]
pub struct CalendarView {
    pub id: i64,
    pub name: String,
    pub builtin: bool,
    #[serde(flatten)]
    pub spec: CalendarSpec,
    /// Null for the built-in calendar.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub created_at: Option<Ts>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<Ts>,
}

/// An SLA policy as an admin writes it. Errors name the field: `targets.resolution`,
/// `conditions.kinds[1]`, `escalations[0].group_id`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SlaPolicyInput)]
pub struct PolicyInput {
    /// One line of 1 to 120 characters, unique among policies.
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    /// Every non-empty condition must hold; none means every ticket.
    #[serde(default)]
    pub conditions: ConditionsSpec,
    pub targets: TargetsSpec,
    /// A business calendar; the built-in 24x7 one when absent, null or 0.
    #[serde(default)]
    pub calendar_id: Option<i64>,
    /// Percentages of a target at which to warn, 1 to 99, ascending; `[75, 90]` when absent.
    #[serde(default)]
    #[schema(value_type = Option<Vec<opsdesk_domain::sla::WarningPercent>>)]
    pub warnings: Option<Vec<i64>>,
    /// Statuses that pause the clocks: a status, `on_hold` or `on_hold:<hold reason>`;
    /// `["on_hold:awaiting_requester"]` when absent.
    #[serde(default)]
    pub pause_when: Option<Vec<String>>,
    #[serde(default)]
    pub escalations: Vec<EscalationSpec>,
    /// 0 to 1000000; policies are tried in ascending position and the first match wins.
    /// Absent: last (on create) or unchanged (on update).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub position: Option<i64>,
}

/// An SLA policy.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SlaPolicy)]
pub struct PolicyView {
    pub id: i64,
    /// Policies are tried in ascending position; the first match wins.
    pub position: i64,
    #[serde(flatten)]
    pub spec: PolicySpec,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Ts,
}

fn builtin_calendar() -> CalendarView {
    CalendarView {
        id: BUILTIN_CALENDAR_ID,
        name: "24x7".into(),
        builtin: true,
        spec: CalendarSpec { time_zone: "UTC".into(), twenty_four_seven: true, ..Default::default() },
        created_at: None,
        updated_at: None,
    }
}

fn calendar_view(row: CalendarRow) -> Result<CalendarView> {
    let spec = opsdesk_store::stored_json(&format!("business calendar {}", row.id), &row.spec)?;
    Ok(CalendarView {
        id: row.id,
        name: row.name,
        builtin: false,
        spec,
        created_at: Some(row.created_at),
        updated_at: Some(row.updated_at),
    })
}

fn policy_view(row: PolicyRow) -> Result<PolicyView> {
    let spec = opsdesk_store::stored_json(&format!("SLA policy {}", row.id), &row.spec)?;
    Ok(PolicyView { id: row.id, position: row.position, spec, created_at: row.created_at, updated_at: row.updated_at })
}

fn admin(actor: &Actor) -> Result<()> {
    if actor.can(Permission::ManageIdentities) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn staff(actor: &Actor) -> Result<()> {
    if actor.role == Role::Requester {
        Err(AppError::Forbidden)
    } else {
        Ok(())
    }
}

fn builtin_is_fixed() -> AppError {
    AppError::Conflict { code: "builtin_calendar", message: "the built-in 24x7 calendar cannot be changed".into() }
}

fn name_of(raw: &str) -> std::result::Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() || s.chars().count() > 120 || s.chars().any(char::is_control) {
        return Err(FieldError::new("name", "invalid_name", "a name is one line of 1 to 120 characters"));
    }
    Ok(s.to_string())
}

impl App {
    pub async fn sla_calendars(&self, actor: &Actor) -> Result<Vec<CalendarView>> {
        staff(actor)?;
        let mut out = vec![builtin_calendar()];
        for row in self.db.calendars().await? {
            out.push(calendar_view(row)?);
        }
        Ok(out)
    }

    pub async fn sla_calendar(&self, actor: &Actor, id: i64) -> Result<CalendarView> {
        staff(actor)?;
        if id == BUILTIN_CALENDAR_ID {
            return Ok(builtin_calendar());
        }
        calendar_view(self.db.calendar(id).await?)
    }

    /// Creates (`id` None) or replaces a calendar after checking every field.
    pub async fn save_sla_calendar(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: CalendarInput,
    ) -> Result<CalendarView> {
        admin(actor)?;
        if id == Some(BUILTIN_CALENDAR_ID) {
            return Err(builtin_is_fixed());
        }
        let spec = CalendarSpec {
            time_zone: input.time_zone,
            hours: input.hours,
            holidays: input.holidays,
            twenty_four_seven: input.twenty_four_seven,
        };
        let mut c = Checks::new();
        let name = c.take(name_of(&input.name));
        if let Err(inv) = BusinessCalendar::parse(&spec) {
            inv.0.into_iter().for_each(|e| c.push(e));
        }
        c.finish()?;
        let name = name.unwrap_or_default();
        let json = serde_json::to_string(&spec).map_err(|e| AppError::Internal(e.to_string()))?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let saved = match id {
            None => tx.insert_calendar(&name, &json, now).await,
            Some(id) => tx.update_calendar(id, &name, &json, now).await,
        }
        .map_err(|e| AppError::taken(e, "name", "name", "this calendar name"))?;
        let kind = if id.is_some() { "sla.calendar_updated" } else { "sla.calendar_created" };
        emit(&mut tx, kind, format!("sla_calendar:{}", saved.id), actor, json!({ "name": saved.name }), now).await?;
        tx.commit().await?;
        calendar_view(saved)
    }

    /// Deletes a calendar no policy uses (a used one answers 409 `calendar_in_use`).
    pub async fn delete_sla_calendar(&self, actor: &Actor, id: i64) -> Result<()> {
        admin(actor)?;
        if id == BUILTIN_CALENDAR_ID {
            return Err(builtin_is_fixed());
        }
        if self.db.calendar_in_use(id).await? {
            return Err(AppError::Conflict {
                code: "calendar_in_use",
                message: "a policy uses this calendar; change the policy first".into(),
            });
        }
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        tx.delete_calendar(id).await?;
        emit(&mut tx, "sla.calendar_deleted", format!("sla_calendar:{id}"), actor, json!({}), now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn sla_policies(&self, actor: &Actor) -> Result<Vec<PolicyView>> {
        staff(actor)?;
        self.db.policies().await?.into_iter().map(policy_view).collect()
    }

    pub async fn sla_policy(&self, actor: &Actor, id: i64) -> Result<PolicyView> {
        staff(actor)?;
        policy_view(self.db.policy(id).await?)
    }

    /// Creates (`id` None) or replaces a policy. Every field is checked, and every id it
    /// names (calendar, escalation groups and users) must exist.
    pub async fn save_sla_policy(&self, actor: &Actor, id: Option<i64>, input: PolicyInput) -> Result<PolicyView> {
        admin(actor)?;
        let position = input.position;
        let spec = PolicySpec {
            name: input.name,
            conditions: input.conditions,
            targets: input.targets,
            calendar_id: input.calendar_id.filter(|&c| c != BUILTIN_CALENDAR_ID),
            warnings: input.warnings.unwrap_or_else(|| vec![75, 90]),
            pause_when: input.pause_when.unwrap_or_else(|| vec!["on_hold:awaiting_requester".into()]),
            escalations: input.escalations,
        };
        let mut c = Checks::new();
        if position.is_some_and(|p| !(0..=1_000_000).contains(&p)) {
            c.push(FieldError::new("position", "out_of_range", "position is 0 to 1000000"));
        }
        let parsed = match Policy::parse(&spec) {
            Ok(p) => Some(p),
            Err(inv) => {
                inv.0.into_iter().for_each(|e| c.push(e));
                None
            }
        };
        if let Some(cal) = spec.calendar_id.filter(|&c| c > 0) {
            if crate::error::found(self.db.calendar(cal).await)?.is_none() {
                c.push(FieldError::new("calendar_id", "unknown", "no such calendar"));
            }
        }
        for (i, e) in spec.escalations.iter().enumerate() {
            if let Some(g) = e.group_id.filter(|&g| g > 0) {
                if crate::error::found(self.db.group(g).await)?.is_none() {
                    c.push(FieldError::new(format!("escalations[{i}].group_id"), "unknown", "no such group"));
                }
            }
            if let Some(u) = e.user_id.filter(|&u| u > 0) {
                if !crate::error::found(self.db.user(u).await)?.is_some_and(|u| u.active) {
                    c.push(FieldError::new(format!("escalations[{i}].user_id"), "unknown", "no such active user"));
                }
            }
        }
        c.finish()?;
        let Some(parsed) = parsed else { return Err(AppError::Internal("validated policy is missing".into())) };
        let stored = PolicySpec { name: parsed.name.clone(), ..spec };
        let json = serde_json::to_string(&stored).map_err(|e| AppError::Internal(e.to_string()))?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let saved = match id {
            None => {
                let position = match position {
                    Some(p) => p,
                    None => tx.max_policy_position().await? + 10,
                };
                tx.insert_policy(&parsed.name, position, &json, parsed.calendar_id, now).await
            }
            Some(id) => {
                let current = self.db.policy(id).await?;
                let position = position.unwrap_or(current.position);
                tx.update_policy(id, &parsed.name, position, &json, parsed.calendar_id, now).await
            }
        }
        .map_err(|e| AppError::taken(e, "name", "name", "this policy name"))?;
        let kind = if id.is_some() { "sla.policy_updated" } else { "sla.policy_created" };
        let payload = json!({ "name": saved.name, "position": saved.position });
        emit(&mut tx, kind, format!("sla_policy:{}", saved.id), actor, payload, now).await?;
        tx.commit().await?;
        policy_view(saved)
    }

    /// Deletes a policy. Running clocks keep the copy of it they started with.
    pub async fn delete_sla_policy(&self, actor: &Actor, id: i64) -> Result<()> {
        admin(actor)?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        tx.delete_policy(id).await?;
        emit(&mut tx, "sla.policy_deleted", format!("sla_policy:{id}"), actor, json!({}), now).await?;
        tx.commit().await?;
        Ok(())
    }
}
