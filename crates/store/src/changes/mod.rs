//! Change management's storage: each change's record beside its ticket, the windows the
//! conflict check and the calendar read, and the settings around them (templates, blackouts,
//! maintenance windows, questionnaires, approval policies, calendar feeds).

mod reads;
mod settings;

pub use reads::Reader;

pub use settings::{ApprovalPolicyRow, BlackoutRow, ChangeTemplateRow, NewBlackout, NewChangeTemplate};

use crate::cmdb::{id_list, IN_CHUNK};
use crate::{Db, Result, Ts, Tx};
use opsdesk_domain::ticket::{Kind, TicketAccess};

/// A change's own record.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ChangeRow {
    pub ticket_id: i64,
    pub change_type: String,
    pub template_id: Option<i64>,
    pub planned_start: Option<Ts>,
    pub planned_end: Option<Ts>,
    pub actual_start: Option<Ts>,
    pub actual_end: Option<Ts>,
    /// JSON object: question key → answer value.
    pub risk_answers: String,
    pub risk_score: i64,
    pub risk_class: String,
    /// JSON array of the factors.
    pub risk_factors: String,
    pub override_reason: Option<String>,
    /// JSON array of the conflict keys the override covers.
    pub override_keys: Option<String>,
    pub override_by: Option<i64>,
    pub override_at: Option<Ts>,
    pub updated_at: Ts,
}

/// A change whose planned window overlaps a range, with what the calendar and the conflict
/// check need of its ticket.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ScheduledChange {
    pub ticket_id: i64,
    pub number: String,
    pub title: String,
    pub status: String,
    pub desk_id: i64,
    pub requester_id: i64,
    pub organization_id: Option<i64>,
    pub shared_with_organization: bool,
    pub group_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub change_type: String,
    pub risk_class: String,
    pub planned_start: Ts,
    pub planned_end: Ts,
}

/// A ticket at the other end of a link, as a change's record names it, with what decides who
/// may see it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LinkedTicket {
    pub id: i64,
    pub number: String,
    pub title: String,
    #[sqlx(try_from = "String")]
    pub kind: Kind,
    pub status: String,
    pub requester_id: i64,
    pub organization_id: Option<i64>,
    pub shared_with_organization: bool,
    pub group_id: Option<i64>,
    pub assignee_id: Option<i64>,
}

impl LinkedTicket {
    pub fn access(&self) -> TicketAccess {
        TicketAccess {
            kind: self.kind,
            requester_id: self.requester_id,
            organization_id: self.organization_id,
            shared_with_organization: self.shared_with_organization,
            group_id: self.group_id,
            assignee_id: self.assignee_id,
        }
    }
}

/// A past change as the risk history and the reports see it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FinishedChange {
    pub ticket_id: i64,
    pub change_type: String,
    pub status: String,
    pub created_at: Ts,
    pub actual_start: Option<Ts>,
    /// The review's outcome, from the detail record (JSON), when recorded.
    pub detail: Option<String>,
    /// How many incidents name this change as their cause.
    pub incidents: i64,
}

const CHANGE_COLUMNS: &str = "ticket_id, change_type, template_id, planned_start, planned_end, actual_start, \
     actual_end, risk_answers, risk_score, risk_class, risk_factors, override_reason, override_keys, override_by, \
     override_at, updated_at";

/// The statuses in which a change holds its window (it may still happen).
pub const HOLDING_STATUSES: &str = "'assessment', 'awaiting_approval', 'scheduled', 'implementing'";

/// Whether a change in `status` holds its window (one of [`HOLDING_STATUSES`]).
pub fn holds_window(status: &str) -> bool {
    matches!(status, "assessment" | "awaiting_approval" | "scheduled" | "implementing")
}

impl Db {
    pub async fn change(&self, ticket: i64) -> Result<Option<ChangeRow>> {
        let sql = format!("SELECT {CHANGE_COLUMNS} FROM changes WHERE ticket_id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(ticket).fetch_optional(p).await?))
    }

    /// Finished changes of a template or on any of the CIs (the risk history), excluding one.
    pub async fn similar_changes(
        &self,
        template: Option<i64>,
        cis: &[i64],
        except: i64,
    ) -> Result<Vec<FinishedChange>> {
        let by_ci = naming_cis(cis);
        let by_template = match template {
            Some(t) => format!("c.template_id = {t}"),
            None => "0 = 1".to_string(),
        };
        let sql = format!(
            "{FINISHED_SELECT} WHERE ({by_template} OR {by_ci}) AND c.ticket_id <> $1 \
             AND t.status IN ('review', 'failed', 'closed') ORDER BY c.ticket_id DESC LIMIT 500"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql).persistent(false).bind(except).fetch_all(p).await?))
    }

    /// Changes logged in `[from, to)`, for the reports.
    pub async fn changes_logged(&self, from: Ts, to: Ts) -> Result<Vec<FinishedChange>> {
        let sql = format!("{FINISHED_SELECT} WHERE t.created_at >= $1 AND t.created_at < $2 ORDER BY c.ticket_id");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(from).bind(to).fetch_all(p).await?))
    }
}

/// An SQL condition on changes `c`: one of `cis` is among their affected CIs (false for none).
pub(crate) fn naming_cis(cis: &[i64]) -> String {
    if cis.is_empty() {
        return "0 = 1".to_string();
    }
    format!(
        "c.ticket_id IN (SELECT ticket_id FROM ticket_cis WHERE role = 'affected' AND ci_id IN ({}))",
        id_list(&cis[..cis.len().min(IN_CHUNK)])
    )
}

const FINISHED_SELECT: &str = "SELECT c.ticket_id, c.change_type, t.status, t.created_at, c.actual_start, \
     (SELECT d.data FROM ticket_details d WHERE d.ticket_id = c.ticket_id) AS detail, \
     (SELECT COUNT(*) FROM ticket_links l WHERE l.target_id = c.ticket_id AND l.link_type = 'caused_by') AS incidents \
     FROM changes c JOIN tickets t ON t.id = c.ticket_id";

impl Tx {
    pub async fn change_for_update(&mut self, ticket: i64) -> Result<Option<ChangeRow>> {
        let sql = format!("SELECT {CHANGE_COLUMNS} FROM changes WHERE ticket_id = $1");
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).bind(ticket).fetch_optional(c).await?))
    }

    /// Writes a change's record (insert or replace).
    pub async fn put_change(&mut self, r: &ChangeRow) -> Result<()> {
        let len = match (r.planned_start, r.planned_end) {
            (Some(s), Some(e)) => Some(e.micros() - s.micros()),
            _ => None,
        };
        on_tx!(self, |c| sqlx::query(
            "INSERT INTO changes (ticket_id, change_type, template_id, planned_start, planned_end, window_len, \
             actual_start, actual_end, risk_answers, risk_score, risk_class, risk_factors, override_reason, \
             override_keys, override_by, override_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
             ON CONFLICT (ticket_id) DO UPDATE SET change_type = excluded.change_type, \
             template_id = excluded.template_id, planned_start = excluded.planned_start, \
             planned_end = excluded.planned_end, window_len = excluded.window_len, \
             actual_start = excluded.actual_start, actual_end = excluded.actual_end, \
             risk_answers = excluded.risk_answers, risk_score = excluded.risk_score, \
             risk_class = excluded.risk_class, risk_factors = excluded.risk_factors, \
             override_reason = excluded.override_reason, override_keys = excluded.override_keys, \
             override_by = excluded.override_by, override_at = excluded.override_at, updated_at = excluded.updated_at"
        )
        .bind(r.ticket_id)
        .bind(&r.change_type)
        .bind(r.template_id)
        .bind(r.planned_start)
        .bind(r.planned_end)
        .bind(len)
        .bind(r.actual_start)
        .bind(r.actual_end)
        .bind(&r.risk_answers)
        .bind(r.risk_score)
        .bind(&r.risk_class)
        .bind(&r.risk_factors)
        .bind(&r.override_reason)
        .bind(&r.override_keys)
        .bind(r.override_by)
        .bind(r.override_at)
        .bind(r.updated_at)
        .execute(c)
        .await
        .map(|_| ())?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn holds_window_agrees_with_the_sql_list() {
        let listed: Vec<&str> = super::HOLDING_STATUSES.split(',').map(|s| s.trim().trim_matches('\'')).collect();
        for status in ["draft", "assessment", "awaiting_approval", "scheduled", "implementing", "review", "closed"] {
            assert_eq!(super::holds_window(status), listed.contains(&status), "{status}");
        }
    }
}
