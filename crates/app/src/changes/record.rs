//! A change's own record: written with its ticket (type, template, schedule, plans, risk
//! answers, CIs), edited while it is planned, scored for risk whenever its answers or CIs
//! change, and stamped with its actual start and end as it moves.

use super::scan::{self, Reach};
use super::views::{ChangeCiView, ChangeView, LinkedTicketView, OverrideView, RiskView};
use crate::tickets::transition::{CAUSED_BY, FIXES};
use crate::tickets::{Ref, TicketView};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::change::risk::{assess, HistoryFacts, ImpactFacts, Questionnaire};
use opsdesk_domain::change::{ChangeType, Window};
use opsdesk_domain::ticket::{Kind, Status};
use opsdesk_domain::validation::Checks;
use opsdesk_domain::{Actor, FieldError};
use opsdesk_store::changes::{ChangeRow, ChangeTemplateRow, LinkedTicket, Reader};
use opsdesk_store::stored_json;
use opsdesk_store::tickets::Ticket;
use opsdesk_store::{Ts, Tx};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The longest window a change may plan: longer work is a project of several changes.
const MAX_WINDOW_DAYS: i64 = 90;

/// A change's own fields when it is logged (`POST /api/v1/tickets` with `"kind":"change"`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ChangeInput)]
pub struct ChangeInput {
    /// `standard` (needs a template), `normal` or `emergency`; the template's type when absent.
    #[serde(rename = "type")]
    #[schema(value_type = Option<String>, example = "normal")]
    pub change_type: Option<String>,
    /// A change template (id or name): its type, plans, risk answers and tasks are the
    /// starting point.
    pub template: Option<Ref>,
    /// RFC 3339.
    pub planned_start: Option<String>,
    /// RFC 3339; after the start, at most 90 days later.
    pub planned_end: Option<String>,
    #[schema(max_length = 20000)]
    pub implementation_plan: Option<String>,
    #[schema(max_length = 20000)]
    pub backout_plan: Option<String>,
    #[schema(max_length = 20000)]
    pub test_plan: Option<String>,
    /// Answers to the desk's risk questionnaire, by question key.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub risk_answers: Map<String, Value>,
    /// The affected CIs (ids).
    #[serde(default)]
    #[schema(max_items = 200)]
    pub cis: Vec<i64>,
}

/// Changes to a change's own fields (`PATCH /api/v1/changes/{id}`); absent fields stay,
/// `null` clears the schedule.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ChangePatch)]
pub struct ChangePatch {
    #[serde(rename = "type")]
    #[schema(value_type = Option<String>)]
    pub change_type: Option<String>,
    #[serde(default, deserialize_with = "crate::nullable")]
    #[schema(value_type = Option<String>)]
    pub planned_start: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::nullable")]
    #[schema(value_type = Option<String>)]
    pub planned_end: Option<Option<String>>,
    /// Replaces every answer.
    #[schema(value_type = Option<Object>)]
    pub risk_answers: Option<Map<String, Value>>,
}

fn instant(raw: &str, field: &str) -> std::result::Result<Ts, FieldError> {
    raw.trim()
        .parse::<jiff::Timestamp>()
        .map(Ts)
        .map_err(|_| FieldError::new(field, "invalid_time", "an RFC 3339 instant like 2026-05-01T22:00:00Z"))
}

/// Checks a planned window: both ends or neither, the end after the start, not too long.
pub(super) fn planned(
    c: &mut Checks,
    start: Option<&str>,
    end: Option<&str>,
    at: &str,
) -> Option<(Option<Ts>, Option<Ts>)> {
    let s = start.map(|s| instant(s, &format!("{at}planned_start")));
    let e = end.map(|e| instant(e, &format!("{at}planned_end")));
    let (s, e) = match (s, e) {
        (Some(Err(x)), _) | (_, Some(Err(x))) => {
            c.push(x);
            return None;
        }
        (Some(Ok(s)), Some(Ok(e))) => (Some(s), Some(e)),
        (None, None) => (None, None),
        (Some(_), None) => {
            c.push(FieldError::new(format!("{at}planned_end"), "required", "a planned window has an end"));
            return None;
        }
        (None, Some(_)) => {
            c.push(FieldError::new(format!("{at}planned_start"), "required", "a planned window has a start"));
            return None;
        }
    };
    if let (Some(s), Some(e)) = (s, e) {
        if let Err(x) = Window::new(s.0, e.0, &format!("{at}planned_end")) {
            c.push(x);
            return None;
        }
        if e.micros() - s.micros() > MAX_WINDOW_DAYS * 86_400_000_000 {
            c.push(FieldError::new(
                format!("{at}planned_end"),
                "too_long",
                format!("a change window lasts at most {MAX_WINDOW_DAYS} days"),
            ));
            return None;
        }
    }
    Some((s, e))
}

/// Whether a stored change's row says it is a change of this kind.
pub(crate) fn change_type(row: &ChangeRow) -> Result<ChangeType> {
    Ok(ChangeType::parse(&row.change_type, "type")?)
}

impl App {
    pub(crate) async fn change_template_by_ref(&self, r: &Ref, field: &str) -> Result<ChangeTemplateRow> {
        let found = match r {
            Ref::Id(id) => crate::error::found(self.db.change_template(*id).await)?,
            Ref::Name(n) => self.db.change_template_named(n).await?,
        };
        match found {
            Some(t) if t.active => Ok(t),
            Some(_) => Err(FieldError::new(field, "inactive", "this template is retired").into()),
            None => Err(FieldError::new(field, "unknown", "no such change template").into()),
        }
    }

    /// The risk questionnaire of a desk: its own, or the standard one.
    pub(crate) async fn questionnaire(&self, desk: i64) -> Result<Questionnaire> {
        match self.db.change_questionnaire(desk).await? {
            Some(json) => {
                serde_json::from_str(&json).map_err(|e| AppError::Internal(format!("stored questionnaire: {e}")))
            }
            None => Ok(Questionnaire::standard()),
        }
    }

    /// Scores a change from its answers, what its CIs reach, and the desk's history.
    pub(crate) async fn risk_of(
        &self,
        desk: i64,
        answers: &BTreeMap<String, String>,
        reach: &Reach,
        template: Option<i64>,
        except: i64,
    ) -> Result<opsdesk_domain::change::Risk> {
        let q = self.questionnaire(desk).await?;
        let users = self.db.service_users(&reach.services).await?;
        let impact =
            ImpactFacts { services: reach.services.len() as u32, users: u32::try_from(users).unwrap_or(u32::MAX) };
        let ours: Vec<i64> = reach.cis.iter().map(|(id, _)| *id).collect();
        let similar = self.db.similar_changes(template, &ours, except).await?;
        let troubled = similar
            .iter()
            .filter(|c| {
                let failed_review = c
                    .detail
                    .as_deref()
                    .and_then(|d| serde_json::from_str::<Value>(d).ok())
                    .is_some_and(|d| d.get("review_outcome").and_then(Value::as_str) == Some("failed"));
                c.status == Status::Failed.as_str() || failed_review || c.incidents > 0
            })
            .count();
        let history = HistoryFacts { similar: similar.len() as u32, troubled: troubled as u32 };
        Ok(assess(&q, answers, impact, history))
    }

    /// A change's record as the API shows it to `actor`, with its conflicts now.
    pub(crate) async fn change_view(&self, actor: &Actor, t: &Ticket) -> Result<Option<ChangeView>> {
        // The linked tickets the actor may see: an agent of one group reads the change, not
        // the titles of another group's incidents.
        let visible = |list: &[LinkedTicket]| -> Vec<LinkedTicketView> {
            list.iter().filter(|x| actor.can_see_ticket(&x.access())).map(Into::into).collect()
        };
        let mut r = Reader::Db(&self.db);
        let Some(row) = r.change(t.id).await? else { return Ok(None) };
        let scan = scan::scan(&mut r, t, &row).await?;
        let cis = r.affected_cis(t.id).await?;
        let covered = scan::override_keys(&row);
        let fixes = r.linked_tickets(t.id, FIXES, true).await?;
        let caused = r.linked_tickets(t.id, CAUSED_BY, false).await?;
        Ok(Some(ChangeView {
            change_type: change_type(&row)?.as_str(),
            template_id: row.template_id,
            planned_start: row.planned_start,
            planned_end: row.planned_end,
            actual_start: row.actual_start,
            actual_end: row.actual_end,
            risk: RiskView {
                score: row.risk_score,
                class: row.risk_class.clone(),
                factors: stored_json("change risk factors", &row.risk_factors)?,
            },
            risk_answers: stored_json("change risk answers", &row.risk_answers)?,
            cis: cis.into_iter().map(|(id, name)| ChangeCiView { id, name }).collect(),
            conflicts: scan.conflicts.iter().map(|c| super::views::ConflictView::of(c, &covered)).collect(),
            conflicts_override: row.override_reason.clone().map(|reason| OverrideView {
                reason,
                by: row.override_by,
                at: row.override_at,
            }),
            next_free_window: scan.next_free.map(Into::into),
            fixes: visible(&fixes),
            caused_incidents: visible(&caused),
            caused_incident_count: caused.len(),
            flagged_for_review: !caused.is_empty(),
        }))
    }

    /// Edits a change's type, planned window or risk answers while it is being planned.
    #[tracing::instrument(skip(self, patch))]
    pub async fn update_change(
        &self,
        actor: &Actor,
        id_or_number: &str,
        expected_version: Option<i64>,
        patch: ChangePatch,
    ) -> Result<TicketView> {
        let current = self.change_ticket(actor, id_or_number).await?;
        let mut c = Checks::new();
        let new_type = patch.change_type.as_deref().and_then(|t| c.take(ChangeType::parse(t, "type")));
        let questionnaire = self.questionnaire(current.desk_id).await?;
        let answers = match &patch.risk_answers {
            Some(a) => c.take(questionnaire.check_answers(a, "risk_answers").map_err(|inv| {
                inv.0.into_iter().next().unwrap_or_else(|| FieldError::new("risk_answers", "invalid", "invalid"))
            })),
            None => None,
        };
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let before = tx.ticket_for_update(current.id).await?;
        if expected_version.is_some_and(|v| v != before.version) {
            return Err(AppError::Stale(Box::new(TicketView::from(&before))));
        }
        let Some(mut row) = tx.change_for_update(before.id).await? else { return Err(AppError::NotFound) };
        let old = row.clone();
        let kind = change_type(&row)?;
        let planning = matches!(before.status, Status::Draft | Status::Assessment)
            || (before.status == Status::Scheduled && kind == ChangeType::Standard);
        if !planning {
            return Err(AppError::Conflict {
                code: "not_planning",
                message: format!(
                    "{} is {}; a change is re-planned in draft or assessment (move it back to assessment first)",
                    before.number,
                    before.status.as_str()
                ),
            });
        }
        let start = match &patch.planned_start {
            Some(v) => v.clone(),
            None => row.planned_start.map(|t| t.0.to_string()),
        };
        let end = match &patch.planned_end {
            Some(v) => v.clone(),
            None => row.planned_end.map(|t| t.0.to_string()),
        };
        let window = planned(&mut c, start.as_deref(), end.as_deref(), "");
        if let Some(t) = new_type {
            if t != kind && before.status != Status::Draft && before.status != Status::Assessment {
                c.push(FieldError::new("type", "not_planning", "the type changes only in draft or assessment"));
            }
            if t == ChangeType::Standard && row.template_id.is_none() {
                c.push(FieldError::new("type", "template_required", "a standard change comes from a template"));
            }
        }
        c.finish()?;
        if let Some((s, e)) = window {
            row.planned_start = s;
            row.planned_end = e;
        }
        if let Some(t) = new_type {
            row.change_type = t.as_str().into();
        }
        let answers: BTreeMap<String, String> = match answers {
            Some(a) => a,
            None => stored_json("change risk answers", &row.risk_answers)?,
        };
        row.risk_answers = json!(answers).to_string();
        let reach = scan::reach(&mut Reader::Tx(&mut tx), before.id).await?;
        let risk = self.risk_of(before.desk_id, &answers, &reach, row.template_id, before.id).await?;
        row.risk_score = i64::from(risk.score);
        row.risk_class = risk.class.as_str().into();
        row.risk_factors = json!(risk.factors).to_string();
        row.updated_at = now;
        tx.put_change(&row).await?;
        let fmt = |t: Option<Ts>| t.map(|t| t.0.to_string());
        let changed = [
            ("change.type", Some(old.change_type.clone()), Some(row.change_type.clone())),
            ("change.planned_start", fmt(old.planned_start), fmt(row.planned_start)),
            ("change.planned_end", fmt(old.planned_end), fmt(row.planned_end)),
            ("change.risk_answers", Some(old.risk_answers.clone()), Some(row.risk_answers.clone())),
            ("change.risk_class", Some(old.risk_class.clone()), Some(row.risk_class.clone())),
        ];
        for (field, o, n) in changed.iter().filter(|(_, o, n)| o != n) {
            tx.record_change(before.id, actor.user_id, field, o.as_deref(), n.as_deref(), now).await?;
        }
        let mut after = before.clone();
        after.updated_at = now;
        if tx.update_ticket(&after).await?.is_none() {
            return Err(AppError::Conflict {
                code: "concurrent_change",
                message: "the change moved on; try again".into(),
            });
        }
        emit(&mut tx, "change.updated", format!("ticket:{}", before.id), actor, json!({}), now).await?;
        tx.commit().await?;
        self.ticket(actor, &before.id.to_string()).await
    }

    /// Re-scores a change after its CIs changed.
    pub(crate) async fn rescore_change(&self, ticket: i64) -> Result<()> {
        let t = self.db.ticket(ticket).await?;
        if t.kind != Kind::Change {
            return Ok(());
        }
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let Some(mut row) = tx.change_for_update(ticket).await? else { return Ok(()) };
        let answers: BTreeMap<String, String> = stored_json("change risk answers", &row.risk_answers)?;
        let reach = scan::reach(&mut Reader::Tx(&mut tx), ticket).await?;
        let risk = self.risk_of(t.desk_id, &answers, &reach, row.template_id, ticket).await?;
        if row.risk_score != i64::from(risk.score) || row.risk_class != risk.class.as_str() {
            tx.record_change(ticket, None, "change.risk_class", Some(&row.risk_class), Some(risk.class.as_str()), now)
                .await?;
        }
        row.risk_score = i64::from(risk.score);
        row.risk_class = risk.class.as_str().into();
        row.risk_factors = json!(risk.factors).to_string();
        row.updated_at = now;
        tx.put_change(&row).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A change the actor may work.
    pub(crate) async fn change_ticket(&self, actor: &Actor, id_or_number: &str) -> Result<Ticket> {
        let t = self.find_ticket(actor, id_or_number).await?;
        if t.kind != Kind::Change {
            return Err(AppError::NotFound);
        }
        if !actor.can_work_ticket(&t.access()) {
            return Err(AppError::Forbidden);
        }
        Ok(t)
    }
}

/// What a move means for a change's record: implementation stamps its actual start, review
/// or failure its actual end.
pub(crate) async fn on_moved(tx: &mut Tx, t: &Ticket, now: Ts) -> Result<()> {
    if t.kind != Kind::Change {
        return Ok(());
    }
    let Some(mut row) = tx.change_for_update(t.id).await? else { return Ok(()) };
    let mut dirty = false;
    if t.status == Status::Implementing && row.actual_start.is_none() {
        row.actual_start = Some(now);
        dirty = true;
    }
    if matches!(t.status, Status::Review | Status::Failed) && row.actual_end.is_none() {
        row.actual_end = Some(now);
        dirty = true;
    }
    if dirty {
        row.updated_at = now;
        tx.put_change(&row).await?;
    }
    Ok(())
}
