//! Approvals as stored: the approval of a subject (`ticket` + id), its stages, the people of
//! each stage, and the decisions. The rules live in `opsdesk_domain::approval`; this module
//! only reads and writes rows, and loads one approval whole ([`ApprovalRecord`]).

mod links;
mod people;
mod templates;

pub use links::{ApprovalLink, DueNudge};
pub use people::{ActivePerson, DelegateRow};
pub use templates::ApprovalTemplate;

use crate::{Db, Result, Ts, Tx};
use opsdesk_domain::approval::ApprovalState;

/// The subject type of approvals of tickets.
pub const TICKET: &str = "ticket";

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ApprovalRow {
    pub id: i64,
    pub subject_type: String,
    pub subject_id: i64,
    pub state: String,
    pub template_id: Option<i64>,
    pub requested_by: Option<i64>,
    pub created_at: Ts,
    pub updated_at: Ts,
    pub finished_at: Option<Ts>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StageRow {
    pub id: i64,
    pub approval_id: i64,
    pub position: i64,
    /// The rule's wire form (JSON).
    pub rule: String,
    pub state: String,
    pub started_at: Option<Ts>,
    pub finished_at: Option<Ts>,
}

/// A person of a stage, with their name and address for views and mail.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ApproverRow {
    pub stage_id: i64,
    pub user_id: i64,
    /// How they came to be an approver: `user`, `group:<id>` or `manager`.
    pub source: String,
    pub position: i64,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DecisionRow {
    pub id: i64,
    pub stage_id: i64,
    pub approver_id: i64,
    pub decided_by: i64,
    pub decision: String,
    pub comment: String,
    /// `api`, `web` or `link`.
    pub via: String,
    pub created_at: Ts,
    pub decided_by_name: String,
}

/// One approval with everything it is made of, stages in order.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalRecord {
    pub approval: ApprovalRow,
    pub stages: Vec<StageRow>,
    pub approvers: Vec<ApproverRow>,
    pub decisions: Vec<DecisionRow>,
}

/// What a new decision row says.
#[derive(Debug)]
pub struct NewDecision<'a> {
    pub stage_id: i64,
    pub approver_id: i64,
    pub decided_by: i64,
    pub decision: &'a str,
    pub comment: &'a str,
    pub via: &'a str,
}

const APPROVAL_COLS: &str =
    "id, subject_type, subject_id, state, template_id, requested_by, created_at, updated_at, finished_at";
const STAGE_COLS: &str = "id, approval_id, position, rule, state, started_at, finished_at";
const APPROVERS_SQL: &str = "SELECT a.stage_id, a.user_id, a.source, a.position, u.name, u.email \
     FROM approval_approvers a JOIN approval_stages s ON s.id = a.stage_id JOIN users u ON u.id = a.user_id \
     WHERE s.approval_id = $1 ORDER BY s.position, a.position";
const DECISIONS_SQL: &str = "SELECT d.id, d.stage_id, d.approver_id, d.decided_by, d.decision, d.comment, d.via, \
     d.created_at, u.name AS decided_by_name \
     FROM approval_decisions d JOIN approval_stages s ON s.id = d.stage_id JOIN users u ON u.id = d.decided_by \
     WHERE s.approval_id = $1 ORDER BY d.id";

impl Tx {
    pub async fn insert_approval(
        &mut self,
        subject_type: &str,
        subject_id: i64,
        template_id: Option<i64>,
        requested_by: Option<i64>,
        now: Ts,
    ) -> Result<i64> {
        let sql = "INSERT INTO approvals (subject_type, subject_id, state, template_id, requested_by, created_at, updated_at) \
                   VALUES ($1, $2, 'pending', $3, $4, $5, $5) RETURNING id";
        let row: (i64,) = on_tx!(self, |c| sqlx::query_as(sql)
            .bind(subject_type)
            .bind(subject_id)
            .bind(template_id)
            .bind(requested_by)
            .bind(now)
            .fetch_one(c)
            .await?);
        Ok(row.0)
    }

    pub async fn insert_approval_stage(
        &mut self,
        approval_id: i64,
        position: i64,
        rule: &str,
        state: &str,
        started_at: Option<Ts>,
    ) -> Result<i64> {
        let sql = "INSERT INTO approval_stages (approval_id, position, rule, state, started_at) \
                   VALUES ($1, $2, $3, $4, $5) RETURNING id";
        let row: (i64,) = on_tx!(self, |c| sqlx::query_as(sql)
            .bind(approval_id)
            .bind(position)
            .bind(rule)
            .bind(state)
            .bind(started_at)
            .fetch_one(c)
            .await?);
        Ok(row.0)
    }

    pub async fn insert_approval_approver(
        &mut self,
        stage_id: i64,
        user_id: i64,
        source: &str,
        position: i64,
    ) -> Result<()> {
        let sql = "INSERT INTO approval_approvers (stage_id, user_id, source, position) VALUES ($1, $2, $3, $4)";
        on_tx!(self, |c| sqlx::query(sql)
            .bind(stage_id)
            .bind(user_id)
            .bind(source)
            .bind(position)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Loads an approval whole, locking its row on PostgreSQL (SQLite's writer is exclusive),
    /// so two decisions on one approval are applied one after the other.
    pub async fn approval_for_update(&mut self, id: i64) -> Result<ApprovalRecord> {
        let lock = match self.backend() {
            crate::Backend::Sqlite => "",
            crate::Backend::Postgres => " FOR UPDATE",
        };
        let sql = format!("SELECT {APPROVAL_COLS} FROM approvals WHERE id = $1{lock}");
        let approval: ApprovalRow = on_tx!(self, |c| sqlx::query_as(&sql).bind(id).fetch_one(c).await?);
        let stages_sql = format!("SELECT {STAGE_COLS} FROM approval_stages WHERE approval_id = $1 ORDER BY position");
        let stages = on_tx!(self, |c| sqlx::query_as(&stages_sql).bind(id).fetch_all(c).await?);
        let approvers = on_tx!(self, |c| sqlx::query_as(APPROVERS_SQL).bind(id).fetch_all(c).await?);
        let decisions = on_tx!(self, |c| sqlx::query_as(DECISIONS_SQL).bind(id).fetch_all(c).await?);
        Ok(ApprovalRecord { approval, stages, approvers, decisions })
    }

    /// Records a decision. A second decision of one approver in one stage is a conflict on
    /// `approver_id` (the unique key), also between two processes.
    pub async fn insert_approval_decision(&mut self, d: &NewDecision<'_>, now: Ts) -> Result<i64> {
        let sql =
            "INSERT INTO approval_decisions (stage_id, approver_id, decided_by, decision, comment, via, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        let row: (i64,) = on_tx!(self, |c| sqlx::query_as(sql)
            .bind(d.stage_id)
            .bind(d.approver_id)
            .bind(d.decided_by)
            .bind(d.decision)
            .bind(d.comment)
            .bind(d.via)
            .bind(now)
            .fetch_one(c)
            .await?);
        Ok(row.0)
    }

    /// Sets a stage's state; `started` / `finished` stamp the instants when given.
    pub async fn set_approval_stage_state(
        &mut self,
        stage_id: i64,
        state: &str,
        started: Option<Ts>,
        finished: Option<Ts>,
    ) -> Result<()> {
        let sql = "UPDATE approval_stages SET state = $2, started_at = COALESCE($3, started_at), \
                   finished_at = COALESCE($4, finished_at) WHERE id = $1";
        on_tx!(self, |c| sqlx::query(sql)
            .bind(stage_id)
            .bind(state)
            .bind(started)
            .bind(finished)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    pub async fn set_approval_state(&mut self, id: i64, state: ApprovalState, now: Ts) -> Result<()> {
        let finished = state.is_finished().then_some(now);
        let sql = "UPDATE approvals SET state = $2, updated_at = $3, finished_at = $4 WHERE id = $1";
        on_tx!(self, |c| sqlx::query(sql)
            .bind(id)
            .bind(state.as_str())
            .bind(now)
            .bind(finished)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// The state of the newest approval of a ticket, for the lifecycle's guard: `None` when the
    /// ticket never had one.
    pub async fn latest_approval_state(&mut self, ticket_id: i64) -> Result<Option<ApprovalState>> {
        let sql = "SELECT state FROM approvals WHERE subject_type = $1 AND subject_id = $2 ORDER BY id DESC LIMIT 1";
        let row: Option<(String,)> =
            on_tx!(self, |c| sqlx::query_as(sql).bind(TICKET).bind(ticket_id).fetch_optional(c).await?);
        Ok(row.and_then(|(s,)| ApprovalState::parse(&s).ok()))
    }

    /// Ids of the pending approvals of a subject.
    pub async fn pending_approvals_of(&mut self, subject_type: &str, subject_id: i64) -> Result<Vec<i64>> {
        let sql =
            "SELECT id FROM approvals WHERE subject_type = $1 AND subject_id = $2 AND state = 'pending' ORDER BY id";
        let rows: Vec<(i64,)> =
            on_tx!(self, |c| sqlx::query_as(sql).bind(subject_type).bind(subject_id).fetch_all(c).await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}

impl Db {
    pub async fn approval_record(&self, id: i64) -> Result<ApprovalRecord> {
        let sql = format!("SELECT {APPROVAL_COLS} FROM approvals WHERE id = $1");
        let approval: ApprovalRow = on_read!(self, |p| sqlx::query_as(&sql).bind(id).fetch_one(p).await?);
        let stages_sql = format!("SELECT {STAGE_COLS} FROM approval_stages WHERE approval_id = $1 ORDER BY position");
        let stages = on_read!(self, |p| sqlx::query_as(&stages_sql).bind(id).fetch_all(p).await?);
        let approvers = on_read!(self, |p| sqlx::query_as(APPROVERS_SQL).bind(id).fetch_all(p).await?);
        let decisions = on_read!(self, |p| sqlx::query_as(DECISIONS_SQL).bind(id).fetch_all(p).await?);
        Ok(ApprovalRecord { approval, stages, approvers, decisions })
    }

    /// Ids of a subject's approvals, newest first.
    pub async fn approvals_of(&self, subject_type: &str, subject_id: i64) -> Result<Vec<i64>> {
        let sql = "SELECT id FROM approvals WHERE subject_type = $1 AND subject_id = $2 ORDER BY id DESC";
        let rows: Vec<(i64,)> =
            on_read!(self, |p| sqlx::query_as(sql).bind(subject_type).bind(subject_id).fetch_all(p).await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Pending approvals whose current stage waits on `user_id`, or on someone whose delegation
    /// to `user_id` is active at `now`. Oldest first.
    pub async fn approvals_waiting_on(&self, user_id: i64, now: Ts) -> Result<Vec<i64>> {
        let sql = "SELECT DISTINCT s.approval_id FROM approval_stages s \
                   JOIN approval_approvers a ON a.stage_id = s.id \
                   WHERE s.state = 'pending' \
                   AND NOT EXISTS (SELECT 1 FROM approval_decisions d WHERE d.stage_id = s.id AND d.approver_id = a.user_id) \
                   AND (a.user_id = $1 OR EXISTS (SELECT 1 FROM user_delegates g WHERE g.user_id = a.user_id \
                        AND g.delegate_id = $1 AND g.starts_at <= $2 AND (g.ends_at IS NULL OR g.ends_at > $2))) \
                   ORDER BY s.approval_id";
        let rows: Vec<(i64,)> = on_read!(self, |p| sqlx::query_as(sql).bind(user_id).bind(now).fetch_all(p).await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Whether `user_id` is an approver of any stage of the approval, or the delegate (at any
    /// time) of one: such people may read it even without seeing the ticket.
    pub async fn is_approval_participant(&self, approval_id: i64, user_id: i64) -> Result<bool> {
        let sql = "SELECT 1 FROM approval_approvers a JOIN approval_stages s ON s.id = a.stage_id \
                   WHERE s.approval_id = $1 AND (a.user_id = $2 OR EXISTS (SELECT 1 FROM user_delegates g \
                   WHERE g.user_id = a.user_id AND g.delegate_id = $2)) LIMIT 1";
        let row: Option<(i32,)> =
            on_read!(self, |p| sqlx::query_as(sql).bind(approval_id).bind(user_id).fetch_optional(p).await?);
        Ok(row.is_some())
    }
}

impl Db {
    /// One stage row (the approval mail job starts from it).
    pub async fn approval_stage(&self, stage_id: i64) -> Result<StageRow> {
        let sql = format!("SELECT {STAGE_COLS} FROM approval_stages WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(stage_id).fetch_one(p).await?))
    }
}
