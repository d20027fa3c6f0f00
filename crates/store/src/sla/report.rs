//! The SLA compliance report: clocks started in a period, counted per target and per
//! policy, priority or group, over the tickets the asker may see.

use crate::tickets::filter::{visibility, Arg, Sql};
use crate::{Db, Result, Ts};
use opsdesk_domain::ticket::Visibility;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportGroupBy {
    Policy,
    Priority,
    Group,
}

/// Counts for one group and one target.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ReportRow {
    pub key: String,
    pub target: String,
    pub total: i64,
    /// Met on time.
    pub met: i64,
    /// Missed, whether met late or still open.
    pub breached: i64,
    /// Still running or paused, not breached.
    pub open: i64,
    pub cancelled: i64,
}

impl Db {
    pub async fn sla_report(
        &self,
        vis: &Visibility,
        from: Ts,
        to: Ts,
        group_by: ReportGroupBy,
    ) -> Result<Vec<ReportRow>> {
        let mut sql = Sql::default();
        let f = sql.arg(Arg::I(from.micros()));
        let t = sql.arg(Arg::I(to.micros()));
        let mut w = format!("c.started_at >= {f} AND c.started_at < {t}");
        if let Some(v) = visibility(&mut sql, vis) {
            w = format!("{w} AND {v}");
        }
        let key = match group_by {
            ReportGroupBy::Policy => "c.policy_name",
            ReportGroupBy::Priority => "('P' || CAST(t.priority AS TEXT))",
            ReportGroupBy::Group => "COALESCE(g.name, '(no group)')",
        };
        sql.text = format!(
            "SELECT {key} AS key, c.target AS target, COUNT(*) AS total, \
             SUM(CASE WHEN c.state = 'met' AND NOT c.breached THEN 1 ELSE 0 END) AS met, \
             SUM(CASE WHEN c.breached THEN 1 ELSE 0 END) AS breached, \
             SUM(CASE WHEN c.state IN ('running', 'paused') AND NOT c.breached THEN 1 ELSE 0 END) AS open, \
             SUM(CASE WHEN c.state = 'cancelled' AND NOT c.breached THEN 1 ELSE 0 END) AS cancelled \
             FROM sla_clocks c JOIN tickets t ON t.id = c.ticket_id LEFT JOIN groups g ON g.id = t.group_id \
             WHERE {w} GROUP BY {key}, c.target ORDER BY {key}, c.target"
        );
        Ok(on_read!(self, |p| crate::bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(p).await?))
    }
}
