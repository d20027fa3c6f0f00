//! The admin page for change templates: the list (retire or bring back each one) and the form
//! that adds one with its type, plans, preset risk answers and tasks. Tasks are typed one per
//! line; a line starting with `+` runs beside the task before it. A refused form comes back
//! with what was typed and each error next to its field.

use super::admin::{admin, done, failed, Done};
use super::form::{FieldErrors, Fields};
use super::view::words;
use super::{admin_only, app_error, FormPost, Nav};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use opsdesk_app::auth::Authenticated;
use opsdesk_app::changes::{TemplateInput, TemplateTask, TemplateView};
use opsdesk_app::tickets::Ref;
use opsdesk_app::AppError;
use opsdesk_domain::change::{ChangeType, Question};
use serde_json::{Map, Value};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/admin/changes/templates", get(list).post(create))
        .route("/admin/changes/templates/{id}/active", post(set_active))
}

/// A template as the list shows it.
pub struct TemplateRow {
    pub id: i64,
    pub name: String,
    pub change_type: String,
    pub tasks: String,
    pub answers: String,
    pub active: bool,
}

/// A question of the form, with the answer chosen (or typed before a refusal).
pub struct AnswerRow {
    pub key: String,
    pub text: String,
    pub options: Vec<(String, String, u32)>,
    pub chosen: String,
}

/// The new-template form's values.
#[derive(Default)]
pub struct TemplateForm {
    pub name: String,
    pub change_type: String,
    pub description: String,
    pub implementation_plan: String,
    pub backout_plan: String,
    pub test_plan: String,
    pub tasks: String,
    pub answers: Vec<AnswerRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/change_templates.html")]
struct TemplatesPage {
    nav: Nav,
    ok: Option<&'static str>,
    templates: Vec<TemplateRow>,
    types: Vec<(&'static str, &'static str)>,
    form: TemplateForm,
    errors: FieldErrors,
}

fn row(t: &TemplateView) -> TemplateRow {
    TemplateRow {
        id: t.id,
        name: t.name.clone(),
        change_type: t.change_type.clone(),
        tasks: t
            .tasks
            .iter()
            .map(|x| if x.parallel { format!("{} (beside the one before)", x.title) } else { x.title.clone() })
            .collect::<Vec<_>>()
            .join(" → "),
        answers: t
            .risk_answers
            .iter()
            .map(|(k, v)| format!("{}: {}", words(k), words(v.as_str().unwrap_or_default())))
            .collect::<Vec<_>>()
            .join(", "),
        active: t.active,
    }
}

/// Task lines: one title a line; `+` in front runs the task beside the one before it.
pub fn task_lines(raw: &str) -> Vec<TemplateTask> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.strip_prefix('+') {
            Some(rest) => TemplateTask { title: rest.trim().to_string(), parallel: true },
            None => TemplateTask { title: l.to_string(), parallel: false },
        })
        .collect()
}

/// The questions presets are chosen from: the first desk's questionnaire (a change made from
/// the template on another desk checks the answers against that desk's own).
async fn questions(s: &WebState, auth: &Authenticated) -> Vec<Question> {
    let desk = s.app.desks().await.ok().and_then(|d| d.first().map(|d| d.id)).unwrap_or(0);
    s.app.change_questionnaire(&auth.actor, &Ref::Id(desk)).await.map(|q| q.questions).unwrap_or_default()
}

fn answer_rows(questions: &[Question], fields: Option<&Fields>) -> Vec<AnswerRow> {
    questions
        .iter()
        .map(|q| AnswerRow {
            key: q.key.clone(),
            text: q.text.clone(),
            options: q.options.iter().map(|o| (o.value.clone(), o.label.clone(), o.weight)).collect(),
            chosen: fields.and_then(|f| f.get(&format!("risk.{}", q.key))).unwrap_or_default().to_string(),
        })
        .collect()
}

async fn render(
    s: &WebState,
    auth: &Authenticated,
    ok: Option<&'static str>,
    form: TemplateForm,
    errors: FieldErrors,
) -> Response {
    let templates = match s.app.change_templates(&auth.actor).await {
        Ok(t) => t.iter().map(row).collect(),
        Err(e) => return app_error(Some(Nav::of(auth)), e),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let types = ChangeType::ALL.iter().map(|t| (t.as_str(), t.label())).collect();
    (status, TemplatesPage { nav: Nav::of(auth), ok, templates, types, form, errors }).into_response()
}

async fn list(State(s): State<WebState>, jar: CookieJar, uri: Uri, q: Query<Done>) -> Response {
    let auth = admin!(s, jar, uri);
    let form = TemplateForm {
        change_type: "standard".into(),
        answers: answer_rows(&questions(&s, &auth).await, None),
        ..Default::default()
    };
    render(&s, &auth, q.message(), form, FieldErrors::default()).await
}

async fn create(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let form = TemplateForm {
        name: fields.raw("name").into(),
        change_type: fields.raw("type").trim().into(),
        description: fields.raw("description").into(),
        implementation_plan: fields.raw("implementation_plan").into(),
        backout_plan: fields.raw("backout_plan").into(),
        test_plan: fields.raw("test_plan").into(),
        tasks: fields.raw("tasks").replace("\r\n", "\n"),
        answers: answer_rows(&questions(&s, &auth).await, Some(&fields)),
    };
    let risk_answers: Map<String, Value> = form
        .answers
        .iter()
        .filter(|a| !a.chosen.is_empty())
        .map(|a| (a.key.clone(), Value::String(a.chosen.clone())))
        .collect();
    let plan = |v: &str| Some(v.to_string()).filter(|v| !v.trim().is_empty());
    let input = TemplateInput {
        name: form.name.clone(),
        change_type: form.change_type.clone(),
        description: form.description.clone(),
        implementation_plan: plan(&form.implementation_plan),
        backout_plan: plan(&form.backout_plan),
        test_plan: plan(&form.test_plan),
        risk_answers,
        tasks: task_lines(&form.tasks),
    };
    // Task errors name the task's place among the non-empty lines: show the typed line.
    let lines: Vec<usize> =
        form.tasks.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()).map(|(i, _)| i + 1).collect();
    match s.app.create_change_template(&auth.actor, input).await {
        Ok(_) => done("/admin/changes/templates", "created"),
        Err(AppError::Invalid(inv)) => {
            let errors = FieldErrors::of_invalid(&inv.0, |key, n| (key == "tasks").then(|| lines.get(n).copied())?);
            render(&s, &auth, None, form, errors).await
        }
        Err(e) => failed(&auth, e),
    }
}

async fn set_active(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let active = fields.get("active") == Some("true");
    match s.app.set_change_template_active(&auth.actor, id, active).await {
        Ok(_) => done("/admin/changes/templates", "saved"),
        Err(e) => failed(&auth, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_lines_keep_order_and_mark_parallel_ones() {
        let tasks = task_lines("Drain traffic\n\n  + Notify users \nRestart");
        let got: Vec<(&str, bool)> = tasks.iter().map(|t| (t.title.as_str(), t.parallel)).collect();
        assert_eq!(got, [("Drain traffic", false), ("Notify users", true), ("Restart", false)]);
    }
}
