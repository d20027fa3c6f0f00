//! What admins set around changes: templates (the pre-approved standard changes), blackout
//! windows, CIs' maintenance windows, a desk's risk questionnaire, and the approval stages
//! per change type and risk class.

use super::TemplateTask;
use crate::cmdb::{require_admin, require_agent};
use crate::tickets::Ref;
use crate::{App, AppError, Result};
use opsdesk_domain::approval::ApprovalSpec;
use opsdesk_domain::change::risk::Questionnaire;
use opsdesk_domain::change::{ChangeType, RiskClass, Window};
use opsdesk_domain::sla::{BusinessCalendar, CalendarSpec};
use opsdesk_domain::validation::Checks;
use opsdesk_domain::{Actor, FieldError};
use opsdesk_store::changes::{ApprovalPolicyRow, BlackoutRow, ChangeTemplateRow, NewBlackout, NewChangeTemplate};
use opsdesk_store::Ts;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ChangeTemplateInput)]
pub struct TemplateInput {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `standard` (pre-approved), `normal` or `emergency`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "standard")]
    pub change_type: String,
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub description: String,
    pub implementation_plan: Option<String>,
    pub backout_plan: Option<String>,
    pub test_plan: Option<String>,
    /// Preset answers to the risk questionnaire.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub risk_answers: Map<String, Value>,
    /// Tasks created on each change from the template, in order.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub tasks: Vec<TemplateTask>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ChangeTemplate)]
pub struct TemplateView {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type")]
    pub change_type: String,
    pub description: String,
    pub implementation_plan: Option<String>,
    pub backout_plan: Option<String>,
    pub test_plan: Option<String>,
    #[schema(value_type = Object)]
    pub risk_answers: Map<String, Value>,
    pub tasks: Vec<TemplateTask>,
    pub active: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
}

impl From<ChangeTemplateRow> for TemplateView {
    fn from(t: ChangeTemplateRow) -> Self {
        TemplateView {
            id: t.id,
            tasks: super::template_tasks(&t.tasks),
            risk_answers: serde_json::from_str(&t.risk_answers).unwrap_or_default(),
            name: t.name,
            change_type: t.change_type,
            description: t.description,
            implementation_plan: t.implementation_plan,
            backout_plan: t.backout_plan,
            test_plan: t.test_plan,
            active: t.active,
            created_at: t.created_at,
        }
    }
}

/// What a blackout freezes: `"all"`, or `{"cis": [ids]}` (services included).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum BlackoutScopeInput {
    All(String),
    Cis {
        #[schema(min_items = 1, max_items = 500)]
        cis: Vec<i64>,
    },
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlackoutInput {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// RFC 3339.
    pub from: String,
    /// RFC 3339, after `from`.
    pub until: String,
    /// `"all"` (the default) or `{"cis": [ids]}`.
    #[schema(value_type = Option<Object>)]
    pub scope: Option<BlackoutScopeInput>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BlackoutView {
    pub id: i64,
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub from: Ts,
    #[schema(value_type = String, format = DateTime)]
    pub until: Ts,
    /// `"all"` or `{"cis": [ids]}`.
    #[schema(value_type = Object)]
    pub scope: Value,
}

impl From<&BlackoutRow> for BlackoutView {
    fn from(b: &BlackoutRow) -> Self {
        let scope = match b.ci_ids.as_deref() {
            None => json!("all"),
            Some(ids) => json!({ "cis": serde_json::from_str::<Value>(ids).unwrap_or(Value::Null) }),
        };
        BlackoutView { id: b.id, name: b.name.clone(), from: b.starts_at, until: b.ends_at, scope }
    }
}

/// A CI's maintenance window: weekly intervals in a time zone, written as business
/// calendars are (holidays excluded from the window).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MaintenanceWindowView {
    pub ci_id: i64,
    /// `null` when the CI has none (any time is allowed).
    pub window: Option<CalendarSpec>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuestionnaireView {
    pub desk_id: i64,
    /// Whether the desk has its own (else the standard questionnaire applies).
    pub own: bool,
    pub questions: Vec<opsdesk_domain::change::Question>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalPolicyInput {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `standard`, `normal` or `emergency`.
    #[serde(rename = "type")]
    pub change_type: String,
    /// `low`, `medium`, `high`, `very_high`; absent for every class of the type.
    pub risk_class: Option<String>,
    /// The approval's stages, as `POST /api/v1/tickets/{id}/approvals` takes them.
    #[schema(value_type = Vec<crate::approvals::StageInputSchema>)]
    pub stages: Value,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApprovalPolicyView {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type")]
    pub change_type: String,
    pub risk_class: Option<String>,
    #[schema(value_type = Vec<crate::approvals::StageInputSchema>)]
    pub stages: Value,
}

impl From<ApprovalPolicyRow> for ApprovalPolicyView {
    fn from(p: ApprovalPolicyRow) -> Self {
        ApprovalPolicyView {
            id: p.id,
            name: p.name,
            change_type: p.change_type,
            risk_class: p.risk_class,
            stages: serde_json::from_str(&p.stages).unwrap_or(Value::Null),
        }
    }
}

fn name(raw: &str, field: &str) -> std::result::Result<String, FieldError> {
    let n = raw.trim();
    if n.is_empty() || n.chars().count() > 200 || n.chars().any(char::is_control) {
        return Err(FieldError::new(field, "invalid_name", "a name has 1 to 200 characters, no control characters"));
    }
    Ok(n.to_string())
}

fn instant(raw: &str, field: &str) -> std::result::Result<Ts, FieldError> {
    raw.trim()
        .parse::<jiff::Timestamp>()
        .map(Ts)
        .map_err(|_| FieldError::new(field, "invalid_time", "an RFC 3339 instant like 2026-12-24T00:00:00Z"))
}

fn plan(v: &Option<String>, field: &str, c: &mut Checks) -> Option<String> {
    let s = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    if s.chars().count() > 20_000 || s.contains('\0') {
        c.push(FieldError::new(field, "invalid", "a plan has at most 20000 characters and no NUL"));
        return None;
    }
    Some(s.to_string())
}

impl App {
    async fn change_desk(&self, r: &Ref) -> Result<i64> {
        let desks = self.db.desks().await?;
        let found = match r {
            Ref::Id(id) => desks.iter().find(|d| d.id == *id),
            Ref::Name(n) => desks.iter().find(|d| d.name.eq_ignore_ascii_case(n.trim())),
        };
        found.map(|d| d.id).ok_or(AppError::NotFound)
    }

    pub async fn change_templates(&self, actor: &Actor) -> Result<Vec<TemplateView>> {
        require_agent(actor)?;
        Ok(self.db.change_templates().await?.into_iter().map(TemplateView::from).collect())
    }

    /// Adds a change template (admins). Its risk answers are checked against the standard
    /// questionnaire's keys only loosely: a desk's own questionnaire checks them when a
    /// change is made from it.
    pub async fn create_change_template(&self, actor: &Actor, input: TemplateInput) -> Result<TemplateView> {
        require_admin(actor)?;
        let mut c = Checks::new();
        let n = c.take(name(&input.name, "name"));
        let t = c.take(ChangeType::parse(&input.change_type, "type"));
        if input.description.chars().count() > 20_000 {
            c.push(FieldError::new("description", "too_long", "at most 20000 characters"));
        }
        let implementation = plan(&input.implementation_plan, "implementation_plan", &mut c);
        let backout = plan(&input.backout_plan, "backout_plan", &mut c);
        let test = plan(&input.test_plan, "test_plan", &mut c);
        if input.tasks.len() > 50 {
            c.push(FieldError::new("tasks", "too_many", "at most 50 tasks"));
        }
        for (i, task) in input.tasks.iter().enumerate() {
            let title = task.title.trim();
            if title.is_empty() || title.chars().count() > 300 || title.chars().any(char::is_control) {
                c.push(FieldError::new(format!("tasks[{i}].title"), "invalid", "a title has 1 to 300 characters"));
            }
        }
        for (k, v) in &input.risk_answers {
            if !v.is_string() {
                c.push(FieldError::new(
                    format!("risk_answers.{k}"),
                    "invalid_answer",
                    "an answer is an option's value",
                ));
            }
        }
        if let Some(n) = &n {
            if self.db.change_template_named(n).await?.is_some() {
                c.push(FieldError::new("name", "taken", "a template of that name exists"));
            }
        }
        c.finish()?;
        let (Some(n), Some(t)) = (n, t) else {
            return Err(AppError::Internal("validated template is incomplete".into()));
        };
        let tasks = json!(input
            .tasks
            .iter()
            .map(|x| TemplateTask { title: x.title.trim().to_string(), parallel: x.parallel })
            .collect::<Vec<_>>())
        .to_string();
        let answers = Value::Object(input.risk_answers.clone()).to_string();
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let id = tx
            .insert_change_template(
                &NewChangeTemplate {
                    name: &n,
                    change_type: t.as_str(),
                    description: input.description.trim(),
                    implementation_plan: implementation.as_deref(),
                    backout_plan: backout.as_deref(),
                    test_plan: test.as_deref(),
                    risk_answers: &answers,
                    tasks: &tasks,
                },
                now,
            )
            .await?;
        crate::emit(
            &mut tx,
            "change_template.created",
            format!("change_template:{id}"),
            actor,
            json!({"name": n}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(self.db.change_template(id).await?.into())
    }

    /// Retires (or brings back) a template; changes made from it keep their link.
    pub async fn set_change_template_active(&self, actor: &Actor, id: i64, active: bool) -> Result<TemplateView> {
        require_admin(actor)?;
        let mut tx = self.db.begin().await?;
        if !tx.set_change_template_active(id, active, Ts::now()).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        Ok(self.db.change_template(id).await?.into())
    }

    /// Blackouts that have not ended yet (agents).
    pub async fn blackouts(&self, actor: &Actor) -> Result<Vec<BlackoutView>> {
        require_agent(actor)?;
        Ok(self.db.blackouts_from(Ts::now()).await?.iter().map(BlackoutView::from).collect())
    }

    /// Adds a blackout window (admins).
    pub async fn create_blackout(&self, actor: &Actor, input: BlackoutInput) -> Result<BlackoutView> {
        require_admin(actor)?;
        let mut c = Checks::new();
        let n = c.take(name(&input.name, "name"));
        let from = c.take(instant(&input.from, "from"));
        let until = c.take(instant(&input.until, "until"));
        if let (Some(f), Some(u)) = (from, until) {
            c.take(Window::new(f.0, u.0, "until"));
        }
        let ci_ids = match &input.scope {
            None => None,
            Some(BlackoutScopeInput::All(s)) if s == "all" => None,
            Some(BlackoutScopeInput::All(_)) => {
                c.push(FieldError::new("scope", "invalid_scope", "the scope is \"all\" or {\"cis\": [ids]}"));
                None
            }
            Some(BlackoutScopeInput::Cis { cis }) => {
                if cis.is_empty() || cis.len() > 500 {
                    c.push(FieldError::new("scope.cis", "invalid", "1 to 500 CIs"));
                }
                for (i, id) in cis.iter().enumerate() {
                    if crate::error::found(self.db.ci(*id).await)?.is_none() {
                        c.push(FieldError::new(format!("scope.cis[{i}]"), "unknown", "no such CI"));
                    }
                }
                Some(json!(cis).to_string())
            }
        };
        c.finish()?;
        let (Some(n), Some(from), Some(until)) = (n, from, until) else {
            return Err(AppError::Internal("validated blackout is incomplete".into()));
        };
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let id = tx
            .insert_blackout(
                &NewBlackout { name: &n, starts_at: from, ends_at: until, ci_ids: ci_ids.as_deref() },
                actor.user_id,
                now,
            )
            .await?;
        crate::emit(&mut tx, "blackout.created", format!("blackout:{id}"), actor, json!({"name": n}), now).await?;
        tx.commit().await?;
        Ok(BlackoutView::from(&self.db.blackout(id).await?))
    }

    pub async fn delete_blackout(&self, actor: &Actor, id: i64) -> Result<()> {
        require_admin(actor)?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        if !tx.delete_blackout(id).await? {
            return Err(AppError::NotFound);
        }
        crate::emit(&mut tx, "blackout.deleted", format!("blackout:{id}"), actor, json!({}), now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn maintenance_window(&self, actor: &Actor, ci: i64) -> Result<MaintenanceWindowView> {
        require_agent(actor)?;
        self.db.ci(ci).await?;
        let window = match self.db.maintenance_window(ci).await? {
            Some(json) => Some(
                serde_json::from_str(&json)
                    .map_err(|e| AppError::Internal(format!("stored maintenance window: {e}")))?,
            ),
            None => None,
        };
        Ok(MaintenanceWindowView { ci_id: ci, window })
    }

    /// Sets a CI's maintenance window (`None` removes it: any time is allowed).
    pub async fn set_maintenance_window(
        &self,
        actor: &Actor,
        ci: i64,
        spec: Option<CalendarSpec>,
    ) -> Result<MaintenanceWindowView> {
        require_admin(actor)?;
        self.db.ci(ci).await?;
        if let Some(s) = &spec {
            let cal = BusinessCalendar::parse(s)?;
            if cal.is_twenty_four_seven() {
                return Err(FieldError::new(
                    "twenty_four_seven",
                    "not_a_window",
                    "a maintenance window of every instant is no window; remove it instead",
                )
                .into());
            }
            if s.hours.values().all(Vec::is_empty) {
                return Err(FieldError::new("hours", "required", "a maintenance window has hours").into());
            }
        }
        let json = spec.as_ref().map(|s| json!(s).to_string());
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        tx.put_maintenance_window(ci, json.as_deref(), now).await?;
        crate::emit(&mut tx, "ci.maintenance_window_set", format!("ci:{ci}"), actor, json!({ "window": spec }), now)
            .await?;
        tx.commit().await?;
        Ok(MaintenanceWindowView { ci_id: ci, window: spec })
    }

    pub async fn change_questionnaire(&self, actor: &Actor, desk: &Ref) -> Result<QuestionnaireView> {
        require_agent(actor)?;
        let d = self.change_desk(desk).await?;
        let own = self.db.change_questionnaire(d).await?.is_some();
        Ok(QuestionnaireView { desk_id: d, own, questions: self.questionnaire(d).await?.questions })
    }

    /// Sets a desk's risk questionnaire (`None` goes back to the standard one).
    pub async fn set_change_questionnaire(
        &self,
        actor: &Actor,
        desk: &Ref,
        q: Option<Questionnaire>,
    ) -> Result<QuestionnaireView> {
        require_admin(actor)?;
        let d = self.change_desk(desk).await?;
        if let Some(q) = &q {
            q.check()?;
        }
        let json = q.as_ref().map(|q| json!(q).to_string());
        let mut tx = self.db.begin().await?;
        tx.put_change_questionnaire(d, json.as_deref(), Ts::now()).await?;
        tx.commit().await?;
        self.change_questionnaire(actor, &Ref::Id(d)).await
    }

    pub async fn change_approval_policies(&self, actor: &Actor) -> Result<Vec<ApprovalPolicyView>> {
        require_agent(actor)?;
        Ok(self.db.change_approval_policies().await?.into_iter().map(Into::into).collect())
    }

    /// Sets the approval stages of a change type and risk class (replacing the one there).
    pub async fn put_change_approval_policy(
        &self,
        actor: &Actor,
        input: ApprovalPolicyInput,
    ) -> Result<ApprovalPolicyView> {
        require_admin(actor)?;
        let mut c = Checks::new();
        let n = c.take(name(&input.name, "name"));
        let t = c.take(ChangeType::parse(&input.change_type, "type"));
        let class = match input.risk_class.as_deref() {
            Some(r) => c.take(RiskClass::parse(r, "risk_class")).map(Some),
            None => Some(None),
        };
        let spec = c.take(ApprovalSpec::parse(&json!({ "stages": input.stages })).map_err(|inv| {
            inv.0.into_iter().next().unwrap_or_else(|| FieldError::new("stages", "invalid", "invalid"))
        }));
        c.finish()?;
        let (Some(n), Some(t), Some(class), Some(spec)) = (n, t, class, spec) else {
            return Err(AppError::Internal("validated policy is incomplete".into()));
        };
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        // The people must exist now; they are resolved again when an approval starts.
        crate::approvals::start::resolve(&mut tx, &spec, actor.user_id.unwrap_or(0), false).await?;
        let stored = json!(input.stages).to_string();
        let id = tx.put_change_approval_policy(&n, t.as_str(), class.map(RiskClass::as_str), &stored, now).await?;
        tx.commit().await?;
        let all = self.db.change_approval_policies().await?;
        all.into_iter().find(|p| p.id == id).map(Into::into).ok_or(AppError::NotFound)
    }

    pub async fn delete_change_approval_policy(&self, actor: &Actor, id: i64) -> Result<()> {
        require_admin(actor)?;
        let mut tx = self.db.begin().await?;
        if !tx.delete_change_approval_policy(id).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }
}
