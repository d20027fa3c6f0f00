//! Service level management as stored: business calendars and SLA policies (each a validated
//! JSON spec), per-ticket clocks with their append-only events, fired warnings and breaches,
//! in-app notifications, and the compliance report.

mod clocks;
mod notifications;
mod report;

pub use clocks::{ClockEventRow, ClockRow, NewClock, NO_DUE};
pub use notifications::Notification;
pub use report::{ReportGroupBy, ReportRow};

use crate::{Db, Result, Ts, Tx};

/// A business calendar; `spec` is its [`CalendarSpec`](opsdesk_domain::sla::CalendarSpec) JSON.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CalendarRow {
    pub id: i64,
    pub name: String,
    pub spec: String,
    pub created_at: Ts,
    pub updated_at: Ts,
}

/// An SLA policy; `spec` is its [`PolicySpec`](opsdesk_domain::sla::PolicySpec) JSON.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PolicyRow {
    pub id: i64,
    pub name: String,
    pub position: i64,
    pub spec: String,
    pub calendar_id: Option<i64>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

const CALENDAR_COLS: &str = "id, name, spec, created_at, updated_at";
const POLICY_COLS: &str = "id, name, position, spec, calendar_id, created_at, updated_at";

impl Tx {
    pub async fn insert_calendar(&mut self, name: &str, spec: &str, now: Ts) -> Result<CalendarRow> {
        let sql = format!(
            "INSERT INTO sla_calendars (name, spec, created_at, updated_at) VALUES ($1, $2, $3, $3) \
             RETURNING {CALENDAR_COLS}"
        );
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).bind(name).bind(spec).bind(now).fetch_one(c).await?))
    }

    pub async fn update_calendar(&mut self, id: i64, name: &str, spec: &str, now: Ts) -> Result<CalendarRow> {
        let sql = format!(
            "UPDATE sla_calendars SET name = $2, spec = $3, updated_at = $4 WHERE id = $1 RETURNING {CALENDAR_COLS}"
        );
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).bind(id).bind(name).bind(spec).bind(now).fetch_one(c).await?))
    }

    pub async fn delete_calendar(&mut self, id: i64) -> Result<()> {
        let n = on_tx!(self, |c| sqlx::query("DELETE FROM sla_calendars WHERE id = $1")
            .bind(id)
            .execute(c)
            .await?
            .rows_affected());
        if n == 0 {
            return Err(crate::StoreError::NotFound);
        }
        Ok(())
    }

    /// The calendar of `id` as the transaction sees it.
    pub async fn calendar_in_tx(&mut self, id: i64) -> Result<Option<CalendarRow>> {
        let sql = format!("SELECT {CALENDAR_COLS} FROM sla_calendars WHERE id = $1");
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).bind(id).fetch_optional(c).await?))
    }

    pub async fn insert_policy(
        &mut self,
        name: &str,
        position: i64,
        spec: &str,
        calendar_id: Option<i64>,
        now: Ts,
    ) -> Result<PolicyRow> {
        let sql = format!(
            "INSERT INTO sla_policies (name, position, spec, calendar_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING {POLICY_COLS}"
        );
        Ok(on_tx!(self, |c| sqlx::query_as(&sql)
            .bind(name)
            .bind(position)
            .bind(spec)
            .bind(calendar_id)
            .bind(now)
            .fetch_one(c)
            .await?))
    }

    pub async fn update_policy(
        &mut self,
        id: i64,
        name: &str,
        position: i64,
        spec: &str,
        calendar_id: Option<i64>,
        now: Ts,
    ) -> Result<PolicyRow> {
        let sql = format!(
            "UPDATE sla_policies SET name = $2, position = $3, spec = $4, calendar_id = $5, updated_at = $6 \
             WHERE id = $1 RETURNING {POLICY_COLS}"
        );
        Ok(on_tx!(self, |c| sqlx::query_as(&sql)
            .bind(id)
            .bind(name)
            .bind(position)
            .bind(spec)
            .bind(calendar_id)
            .bind(now)
            .fetch_one(c)
            .await?))
    }

    pub async fn delete_policy(&mut self, id: i64) -> Result<()> {
        let n = on_tx!(self, |c| sqlx::query("DELETE FROM sla_policies WHERE id = $1")
            .bind(id)
            .execute(c)
            .await?
            .rows_affected());
        if n == 0 {
            return Err(crate::StoreError::NotFound);
        }
        Ok(())
    }

    /// Every policy in evaluation order, as the transaction sees them.
    pub async fn policies_in_tx(&mut self) -> Result<Vec<PolicyRow>> {
        let sql = format!("SELECT {POLICY_COLS} FROM sla_policies ORDER BY position, id");
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).fetch_all(c).await?))
    }

    pub async fn max_policy_position(&mut self) -> Result<i64> {
        let row: (Option<i64>,) =
            on_tx!(self, |c| sqlx::query_as("SELECT MAX(position) FROM sla_policies").fetch_one(c).await?);
        Ok(row.0.unwrap_or(0))
    }

    /// The ids of the members of a group, as the transaction sees them.
    pub async fn group_member_ids(&mut self, group_id: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> =
            on_tx!(self, |c| sqlx::query_as("SELECT user_id FROM group_members WHERE group_id = $1 ORDER BY user_id")
                .bind(group_id)
                .fetch_all(c)
                .await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    pub async fn group_exists(&mut self, group_id: i64) -> Result<bool> {
        let row: Option<(i64,)> = on_tx!(self, |c| sqlx::query_as("SELECT id FROM groups WHERE id = $1")
            .bind(group_id)
            .fetch_optional(c)
            .await?);
        Ok(row.is_some())
    }

    pub async fn active_user_exists(&mut self, user_id: i64) -> Result<bool> {
        let row: Option<(i64,)> = on_tx!(self, |c| sqlx::query_as("SELECT id FROM users WHERE id = $1 AND active")
            .bind(user_id)
            .fetch_optional(c)
            .await?);
        Ok(row.is_some())
    }

    /// The lead of a group, if it has one.
    pub async fn group_lead(&mut self, group_id: i64) -> Result<Option<i64>> {
        let row: Option<(Option<i64>,)> =
            on_tx!(self, |c| sqlx::query_as("SELECT lead_user_id FROM groups WHERE id = $1")
                .bind(group_id)
                .fetch_optional(c)
                .await?);
        Ok(row.and_then(|r| r.0))
    }
}

impl Db {
    pub async fn calendars(&self) -> Result<Vec<CalendarRow>> {
        let sql = format!("SELECT {CALENDAR_COLS} FROM sla_calendars ORDER BY id");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).fetch_all(p).await?))
    }

    pub async fn calendar(&self, id: i64) -> Result<CalendarRow> {
        let sql = format!("SELECT {CALENDAR_COLS} FROM sla_calendars WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(id).fetch_one(p).await?))
    }

    pub async fn policies(&self) -> Result<Vec<PolicyRow>> {
        let sql = format!("SELECT {POLICY_COLS} FROM sla_policies ORDER BY position, id");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).fetch_all(p).await?))
    }

    pub async fn policy(&self, id: i64) -> Result<PolicyRow> {
        let sql = format!("SELECT {POLICY_COLS} FROM sla_policies WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(id).fetch_one(p).await?))
    }

    /// Whether any policy uses the calendar.
    pub async fn calendar_in_use(&self, id: i64) -> Result<bool> {
        let row: Option<(i64,)> =
            on_read!(self, |p| sqlx::query_as("SELECT id FROM sla_policies WHERE calendar_id = $1 LIMIT 1")
                .bind(id)
                .fetch_optional(p)
                .await?);
        Ok(row.is_some())
    }
}
