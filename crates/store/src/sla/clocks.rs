//! SLA clocks of tickets: the current state of each (for views, sorting and the worker's
//! index) and the append-only events it is replayed from.

use crate::{Backend, Db, Result, Ts, Tx};

/// One clock: a target of a ticket under the policy copied into `policy_spec`.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ClockRow {
    pub id: i64,
    pub ticket_id: i64,
    pub target: String,
    pub policy_id: Option<i64>,
    pub policy_name: String,
    pub policy_spec: String,
    pub calendar_id: Option<i64>,
    /// The target when the clock started (later targets are in `replanned` events).
    pub initial_secs: i64,
    pub target_secs: i64,
    pub state: String,
    pub breached: bool,
    pub due_at: Option<Ts>,
    /// Counts re-plans that changed the target: warnings fire once per cycle.
    pub cycle: i64,
    pub cycle_started_at: Ts,
    pub next_check_at: Option<Ts>,
    pub started_at: Ts,
    pub updated_at: Ts,
}

/// A clock to start.
#[derive(Debug, Clone)]
pub struct NewClock<'a> {
    pub ticket_id: i64,
    pub target: &'a str,
    pub policy_id: Option<i64>,
    pub policy_name: &'a str,
    pub policy_spec: &'a str,
    pub calendar_id: Option<i64>,
    pub target_secs: i64,
    pub at: Ts,
}

/// One event of one clock.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ClockEventRow {
    pub id: i64,
    pub clock_id: i64,
    pub ticket_id: i64,
    pub event: String,
    pub at: Ts,
    /// The new target of a `replanned` event.
    pub target_secs: Option<i64>,
    pub actor_id: Option<i64>,
    pub note: Option<String>,
}

const CLOCK_COLS: &str = "id, ticket_id, target, policy_id, policy_name, policy_spec, calendar_id, initial_secs, \
                          target_secs, state, breached, due_at, cycle, cycle_started_at, next_check_at, started_at, \
                          updated_at";
const EVENT_COLS: &str = "id, clock_id, ticket_id, event, at, target_secs, actor_id, note";

/// The worker's query for due clocks; the partial index on `next_check_at` serves it.
const CLOCKS_DUE: &str = "SELECT id, ticket_id FROM sla_clocks WHERE next_check_at IS NOT NULL \
                          AND next_check_at <= $1 ORDER BY next_check_at LIMIT $2";

/// `sla_due_at` of a ticket without a running clock: sorts last.
pub const NO_DUE: i64 = i64::MAX;

impl Tx {
    pub async fn insert_clock(&mut self, c: &NewClock<'_>) -> Result<ClockRow> {
        let sql = format!(
            "INSERT INTO sla_clocks (ticket_id, target, policy_id, policy_name, policy_spec, calendar_id, \
             initial_secs, target_secs, state, breached, cycle, cycle_started_at, started_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 'not_started', FALSE, 0, $8, $8, $8) RETURNING {CLOCK_COLS}"
        );
        Ok(on_tx!(self, |conn| sqlx::query_as(&sql)
            .bind(c.ticket_id)
            .bind(c.target)
            .bind(c.policy_id)
            .bind(c.policy_name)
            .bind(c.policy_spec)
            .bind(c.calendar_id)
            .bind(c.target_secs)
            .bind(c.at)
            .fetch_one(conn)
            .await?))
    }

    /// Writes back the derived state of a clock.
    pub async fn update_clock(&mut self, c: &ClockRow) -> Result<()> {
        on_tx!(self, |conn| sqlx::query(
            "UPDATE sla_clocks SET policy_id = $2, policy_name = $3, policy_spec = $4, target_secs = $5, state = $6, \
             breached = $7, due_at = $8, cycle = $9, cycle_started_at = $10, next_check_at = $11, updated_at = $12 \
             WHERE id = $1"
        )
        .bind(c.id)
        .bind(c.policy_id)
        .bind(&c.policy_name)
        .bind(&c.policy_spec)
        .bind(c.target_secs)
        .bind(&c.state)
        .bind(c.breached)
        .bind(c.due_at)
        .bind(c.cycle)
        .bind(c.cycle_started_at)
        .bind(c.next_check_at)
        .bind(c.updated_at)
        .execute(conn)
        .await?
        .rows_affected());
        Ok(())
    }

    /// The clocks of a ticket, oldest first. Callers hold the ticket's row lock.
    pub async fn clocks_of_ticket(&mut self, ticket_id: i64) -> Result<Vec<ClockRow>> {
        let sql = format!("SELECT {CLOCK_COLS} FROM sla_clocks WHERE ticket_id = $1 ORDER BY id");
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).bind(ticket_id).fetch_all(c).await?))
    }

    pub async fn clock_in_tx(&mut self, id: i64) -> Result<Option<ClockRow>> {
        let sql = format!("SELECT {CLOCK_COLS} FROM sla_clocks WHERE id = $1");
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).bind(id).fetch_optional(c).await?))
    }

    pub async fn clock_events(&mut self, clock_id: i64) -> Result<Vec<ClockEventRow>> {
        let sql = format!("SELECT {EVENT_COLS} FROM sla_clock_events WHERE clock_id = $1 ORDER BY id");
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).bind(clock_id).fetch_all(c).await?))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_clock_event(
        &mut self,
        clock_id: i64,
        ticket_id: i64,
        event: &str,
        at: Ts,
        target_secs: Option<i64>,
        actor_id: Option<i64>,
        note: Option<&str>,
    ) -> Result<()> {
        on_tx!(self, |c| sqlx::query(
            "INSERT INTO sla_clock_events (clock_id, ticket_id, event, at, target_secs, actor_id, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )
        .bind(clock_id)
        .bind(ticket_id)
        .bind(event)
        .bind(at)
        .bind(target_secs)
        .bind(actor_id)
        .bind(note)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Thresholds already fired for a clock in a cycle (100 is the breach).
    pub async fn fired_thresholds(&mut self, clock_id: i64, cycle: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_tx!(self, |c| sqlx::query_as(
            "SELECT threshold FROM sla_escalations WHERE clock_id = $1 AND cycle = $2 ORDER BY threshold"
        )
        .bind(clock_id)
        .bind(cycle)
        .fetch_all(c)
        .await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Records that a threshold fired; false when it had fired already (another worker, or a
    /// retry after a crash), in which case the caller must not act again.
    pub async fn record_escalation(
        &mut self,
        clock_id: i64,
        cycle: i64,
        threshold: i64,
        actions: &str,
        now: Ts,
    ) -> Result<bool> {
        const SQL: &str = "INSERT INTO sla_escalations (clock_id, cycle, threshold, fired_at, actions) \
                           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (clock_id, cycle, threshold) DO NOTHING";
        let n = on_tx!(self, |c| sqlx::query(SQL)
            .bind(clock_id)
            .bind(cycle)
            .bind(threshold)
            .bind(now)
            .bind(actions)
            .execute(c)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Recomputes a ticket's `sla_due_at` from its running clocks.
    pub async fn refresh_ticket_sla_due(&mut self, ticket_id: i64) -> Result<()> {
        on_tx!(self, |c| sqlx::query(
            "UPDATE tickets SET sla_due_at = COALESCE((SELECT MIN(due_at) FROM sla_clocks \
             WHERE ticket_id = $1 AND state = 'running' AND due_at IS NOT NULL), $2) WHERE id = $1"
        )
        .bind(ticket_id)
        .bind(NO_DUE)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Locks a clock row for the worker (PostgreSQL; SQLite's single writer already is).
    pub async fn lock_clock(&mut self, id: i64) -> Result<Option<ClockRow>> {
        let sql = match self.backend() {
            Backend::Sqlite => format!("SELECT {CLOCK_COLS} FROM sla_clocks WHERE id = $1"),
            Backend::Postgres => format!("SELECT {CLOCK_COLS} FROM sla_clocks WHERE id = $1 FOR UPDATE"),
        };
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).bind(id).fetch_optional(c).await?))
    }
}

impl Db {
    /// Clocks whose next check is due at `now`, earliest first: `(clock id, ticket id)`.
    /// Served by the partial index on `next_check_at`.
    pub async fn clocks_due(&self, now: Ts, limit: i64) -> Result<Vec<(i64, i64)>> {
        Ok(on_read!(self, |p| sqlx::query_as(CLOCKS_DUE).bind(now).bind(limit).fetch_all(p).await?))
    }

    /// How the database runs [`clocks_due`](Self::clocks_due), one line per plan step
    /// (SQLite `EXPLAIN QUERY PLAN`, PostgreSQL `EXPLAIN`), to check that it uses the index.
    pub async fn clocks_due_plan(&self, now: Ts, limit: i64) -> Result<Vec<String>> {
        let sql = match self.backend() {
            Backend::Sqlite => format!("EXPLAIN QUERY PLAN {CLOCKS_DUE}"),
            Backend::Postgres => format!("EXPLAIN {CLOCKS_DUE}"),
        };
        Ok(match &self.pools {
            crate::db::Pools::Sqlite { reader, .. } => {
                let rows: Vec<(i64, i64, i64, String)> =
                    sqlx::query_as(&sql).bind(now).bind(limit).fetch_all(reader).await?;
                rows.into_iter().map(|r| r.3).collect()
            }
            crate::db::Pools::Pg(pool) => {
                let rows: Vec<(String,)> = sqlx::query_as(&sql).bind(now).bind(limit).fetch_all(pool).await?;
                rows.into_iter().map(|r| r.0).collect()
            }
        })
    }

    pub async fn clocks_of(&self, ticket_id: i64) -> Result<Vec<ClockRow>> {
        let sql = format!("SELECT {CLOCK_COLS} FROM sla_clocks WHERE ticket_id = $1 ORDER BY id");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(ticket_id).fetch_all(p).await?))
    }

    pub async fn clock_events_of_ticket(&self, ticket_id: i64) -> Result<Vec<ClockEventRow>> {
        let sql = format!("SELECT {EVENT_COLS} FROM sla_clock_events WHERE ticket_id = $1 ORDER BY id");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(ticket_id).fetch_all(p).await?))
    }
}
