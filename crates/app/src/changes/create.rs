//! Logging a change: its ticket, its record (type, template, window, risk), its CIs and its
//! template's tasks, validated together and written in one transaction.

use super::record::planned;
use super::scan;
use super::template_tasks;
use crate::tickets::{CreateTicket, Ref, TicketView};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::change::ChangeType;
use opsdesk_domain::ticket::Kind;
use opsdesk_domain::validation::Checks;
use opsdesk_domain::{Actor, FieldError, Role};
use opsdesk_store::changes::{ChangeRow, Reader};
use opsdesk_store::stored_json;
use opsdesk_store::Ts;
use serde_json::{json, Map, Value};

const MAX_CIS: usize = 200;

impl App {
    /// Logs a change: its ticket, its record, its CIs and its template's tasks, in one
    /// transaction.
    pub(crate) async fn create_change(&self, actor: &Actor, mut input: CreateTicket) -> Result<TicketView> {
        if actor.role == Role::Requester {
            return Err(AppError::Forbidden);
        }
        let Some(ci) = input.change.take() else {
            return Err(FieldError::new(
                "change",
                "required",
                "a change needs its change object: type, planned window, plans, risk answers, CIs",
            )
            .into());
        };
        let mut c = Checks::new();
        let named_template = ci.template.is_some();
        let template = match &ci.template {
            Some(r) => match self.change_template_by_ref(r, "change.template").await {
                Ok(t) => Some(t),
                Err(AppError::Invalid(inv)) => {
                    inv.0.into_iter().for_each(|e| c.push(e));
                    None
                }
                Err(e) => return Err(e),
            },
            None => None,
        };
        let change_type = match (ci.change_type.as_deref(), &template) {
            (Some(t), _) => c.take(ChangeType::parse(t, "change.type")),
            (None, Some(t)) => c.take(ChangeType::parse(&t.change_type, "change.template")),
            (None, None) if named_template => None,
            (None, None) => {
                c.push(FieldError::new("change.type", "required", "the type is standard, normal or emergency"));
                None
            }
        };
        if change_type == Some(ChangeType::Standard) && template.is_none() && !named_template {
            c.push(FieldError::new(
                "change.template",
                "required",
                "a standard change comes from a pre-approved template",
            ));
        }
        let window = planned(&mut c, ci.planned_start.as_deref(), ci.planned_end.as_deref(), "change.");
        if ci.cis.len() > MAX_CIS {
            c.push(FieldError::new("change.cis", "too_many", format!("at most {MAX_CIS} CIs")));
        }
        let mut cis: Vec<(i64, String)> = Vec::new();
        for (i, id) in ci.cis.iter().enumerate() {
            match crate::error::found(self.db.ci(*id).await)? {
                Some(row) if !cis.iter().any(|(x, _)| x == id) => cis.push((row.id, row.name)),
                Some(_) => {}
                None => c.push(FieldError::new(format!("change.cis[{i}]"), "unknown", "no such CI")),
            }
        }
        // The template's plans first, then the ticket's detail, then the change's own fields.
        let mut detail = Map::new();
        if let Some(t) = &template {
            for (k, v) in [
                ("implementation_plan", &t.implementation_plan),
                ("backout_plan", &t.backout_plan),
                ("test_plan", &t.test_plan),
            ] {
                if let Some(v) = v {
                    detail.insert(k.into(), Value::String(v.clone()));
                }
            }
        }
        detail.extend(input.detail.take().unwrap_or_default());
        for (k, v) in [
            ("implementation_plan", &ci.implementation_plan),
            ("backout_plan", &ci.backout_plan),
            ("test_plan", &ci.test_plan),
        ] {
            if let Some(v) = v {
                detail.insert(k.into(), Value::String(v.clone()));
            }
        }
        input.detail = Some(detail);
        let now = Ts::now();
        let prepared = match self.prepare_ticket(actor, input, now, &mut Default::default()).await {
            Ok(p) => Some(p),
            Err(AppError::Invalid(inv)) => {
                inv.0.into_iter().for_each(|e| c.push(e));
                None
            }
            Err(e) => return Err(e),
        };
        let mut answers_in: Map<String, Value> = Map::new();
        if let Some(t) = &template {
            answers_in.extend(stored_json::<Map<String, Value>>("change template risk answers", &t.risk_answers)?);
        }
        answers_in.extend(ci.risk_answers.clone());
        let answers = match &prepared {
            Some(p) => {
                match self.questionnaire(p.ticket.desk_id).await?.check_answers(&answers_in, "change.risk_answers") {
                    Ok(a) => Some(a),
                    Err(inv) => {
                        inv.0.into_iter().for_each(|e| c.push(e));
                        None
                    }
                }
            }
            None => None,
        };
        c.finish()?;
        let (Some(prepared), Some(change_type), Some((planned_start, planned_end)), Some(answers)) =
            (prepared, change_type, window, answers)
        else {
            return Err(AppError::Internal("validated change input is incomplete".into()));
        };
        let reach = scan::reach_of(&mut Reader::Db(&self.db), cis.clone()).await?;
        let risk = self.risk_of(prepared.ticket.desk_id, &answers, &reach, template.as_ref().map(|t| t.id), 0).await?;
        let tasks = match &template {
            Some(t) => template_tasks(&t.tasks),
            None => Vec::new(),
        };
        let mut prepared_tasks = Vec::new();
        for task in &tasks {
            let input = CreateTicket {
                kind: Kind::Task.as_str().into(),
                title: task.title.clone(),
                description: String::new(),
                impact: Some(prepared.ticket.impact),
                urgency: Some(prepared.ticket.urgency),
                desk: Some(Ref::Id(prepared.ticket.desk_id)),
                group: prepared.ticket.group_id.map(Ref::Id),
                requester: Some(Ref::Id(prepared.ticket.requester_id)),
                ..Default::default()
            };
            // The parent's id is set once it is inserted.
            let lookups = &mut crate::tickets::create::Lookups::for_child_of(0);
            prepared_tasks.push(self.prepare_ticket(actor, input, now, lookups).await?);
        }

        let mut tx = self.db.begin().await?;
        let t = crate::tickets::create::insert_prepared(&mut tx, actor, prepared, now).await?;
        for (id, _) in &cis {
            tx.link_ticket_ci(t.id, *id, "affected", actor.user_id, now).await?;
        }
        let row = ChangeRow {
            ticket_id: t.id,
            change_type: change_type.as_str().into(),
            template_id: template.as_ref().map(|x| x.id),
            planned_start,
            planned_end,
            actual_start: None,
            actual_end: None,
            risk_answers: json!(answers).to_string(),
            risk_score: i64::from(risk.score),
            risk_class: risk.class.as_str().into(),
            risk_factors: json!(risk.factors).to_string(),
            override_reason: None,
            override_keys: None,
            override_by: None,
            override_at: None,
            updated_at: now,
        };
        tx.put_change(&row).await?;
        let mut previous: Option<i64> = None;
        for (task, mut p) in tasks.iter().zip(prepared_tasks) {
            p.ticket.parent_id = Some(t.id);
            if !task.parallel {
                p.after_ids = previous.into_iter().collect();
            }
            let written = crate::tickets::create::insert_prepared(&mut tx, actor, p, now).await?;
            previous = Some(written.id);
        }
        let payload = json!({ "type": change_type.as_str(), "risk": risk.class.as_str(), "score": risk.score });
        emit(&mut tx, "change.created", format!("ticket:{}", t.id), actor, payload, now).await?;
        tx.commit().await?;
        self.ticket(actor, &t.id.to_string()).await
    }
}
