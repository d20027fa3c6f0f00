//! Changes in the agent console: the "Change" card of a change's ticket page (type, window,
//! risk and how each factor contributed, the problems it fixes and the incidents it caused,
//! the conflicts panel with the next free window and the override form, the re-plan form) and
//! the form that logs a new change.

use super::agent_ticket::{render, Outcome};
use super::cmdb_form::find_ci;
use super::view::{enc, words};
use super::{agent_only, describe, FormPost, Nav};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use opsdesk_app::auth::Authenticated;
use opsdesk_app::changes::{ChangeInput, ChangePatch, ChangeView, LinkedTicketView, OverrideInput};
use opsdesk_app::tickets::{CreateTicket, Ref};
use opsdesk_app::App;
use opsdesk_domain::change::Question;
use opsdesk_domain::Actor;
use opsdesk_store::Ts;
use serde_json::{Map, Value};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/agent/changes/new", get(new_form).post(create))
        .route("/agent/tickets/{number}/change", post(replan))
        .route("/agent/tickets/{number}/change/override", post(override_conflicts))
}

/// A time in the viewer's zone, for reading.
pub fn local(ts: Ts, zone: &str) -> String {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    ts.0.to_zoned(tz).strftime("%a %Y-%m-%d %H:%M %Z").to_string()
}

/// A time in the viewer's zone, as a `datetime-local` input holds it.
fn input_value(ts: Option<Ts>, zone: &str) -> String {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    ts.map(|t| t.0.to_zoned(tz).strftime("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default()
}

/// A `datetime-local` value typed in the viewer's zone, as RFC 3339; the raw text when it is
/// not one (the API then names the field).
fn from_input(raw: &str, zone: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    Some(match raw.parse::<jiff::civil::DateTime>().ok().and_then(|d| d.to_zoned(tz).ok()) {
        Some(z) => z.timestamp().to_string(),
        None => raw.to_string(),
    })
}

pub struct ConflictRow {
    pub kind: String,
    pub with: String,
    pub change_link: Option<String>,
    pub detail: String,
    pub overridden: bool,
}

/// A ticket the change is linked with: a problem it fixes, an incident it caused.
pub struct LinkedRow {
    pub number: String,
    pub title: String,
    pub status: String,
}

pub struct QuestionRow {
    pub key: String,
    pub text: String,
    pub options: Vec<(String, String, u32)>,
    pub answer: String,
}

/// What the card shows.
pub struct ChangeCard {
    pub change_type: String,
    pub window: String,
    pub actual: String,
    pub start_input: String,
    pub end_input: String,
    pub risk_score: i64,
    pub risk_class: String,
    pub factors: Vec<(String, u32, String)>,
    pub cis: Vec<(i64, String)>,
    pub conflicts: Vec<ConflictRow>,
    pub open_conflicts: usize,
    pub override_reason: Option<String>,
    pub next_free: Option<String>,
    pub planning: bool,
    pub questions: Vec<QuestionRow>,
    pub fixes: Vec<LinkedRow>,
    pub caused: Vec<LinkedRow>,
    /// Every incident caused, also those of groups the viewer does not see (not listed).
    pub caused_count: usize,
    /// Implemented and being reviewed (or backed out, which is reviewed next): when the
    /// incidents it caused are shown as a warning.
    pub in_review: bool,
}

impl ChangeCard {
    pub async fn of(
        app: &App,
        actor: &Actor,
        number: &str,
        status: &str,
        desk_id: i64,
        zone: &str,
    ) -> Option<ChangeCard> {
        let view = app.ticket(actor, number).await.ok()?;
        let c: ChangeView = view.change?;
        let answers = c.risk_answers.clone();
        let questions =
            app.change_questionnaire(actor, &Ref::Id(desk_id)).await.map(|q| q.questions).unwrap_or_default();
        let window = match (c.planned_start, c.planned_end) {
            (Some(s), Some(e)) => format!("{} to {}", local(s, zone), local(e, zone)),
            _ => "Not planned yet".into(),
        };
        let actual = match (c.actual_start, c.actual_end) {
            (Some(s), Some(e)) => format!("{} to {}", local(s, zone), local(e, zone)),
            (Some(s), None) => format!("since {}", local(s, zone)),
            _ => String::new(),
        };
        let planning =
            matches!(status, "draft" | "assessment") || (status == "scheduled" && c.change_type == "standard");
        Some(ChangeCard {
            change_type: c.change_type.to_string(),
            window,
            actual,
            start_input: input_value(c.planned_start, zone),
            end_input: input_value(c.planned_end, zone),
            risk_score: c.risk.score,
            risk_class: words(&c.risk.class),
            factors: c.risk.factors.iter().map(|f| (f.factor.clone(), f.points, f.detail.clone())).collect(),
            cis: c.cis.iter().map(|x| (x.id, x.name.clone())).collect(),
            open_conflicts: c.conflicts.iter().filter(|x| !x.overridden).count(),
            conflicts: c
                .conflicts
                .iter()
                .map(|x| ConflictRow {
                    kind: words(x.kind),
                    with: x.with.clone(),
                    change_link: x.change_id.map(|_| format!("/agent/tickets/{}", enc(&x.with))),
                    detail: x.detail.clone(),
                    overridden: x.overridden,
                })
                .collect(),
            override_reason: c.conflicts_override.map(|o| o.reason),
            next_free: c.next_free_window.map(|w| format!("{} to {}", local(w.start, zone), local(w.end, zone))),
            planning,
            questions: questions_of(&questions, &answers),
            fixes: c.fixes.iter().map(linked_row).collect(),
            caused: c.caused_incidents.iter().map(linked_row).collect(),
            caused_count: c.caused_incident_count,
            in_review: matches!(status, "review" | "failed"),
        })
    }
}

fn linked_row(t: &LinkedTicketView) -> LinkedRow {
    LinkedRow { number: t.number.clone(), title: t.title.clone(), status: words(&t.status) }
}

fn questions_of(questions: &[Question], answers: &Map<String, Value>) -> Vec<QuestionRow> {
    questions
        .iter()
        .map(|q| QuestionRow {
            key: q.key.clone(),
            text: q.text.clone(),
            options: q.options.iter().map(|o| (o.value.clone(), o.label.clone(), o.weight)).collect(),
            answer: answers.get(&q.key).and_then(Value::as_str).unwrap_or_default().to_string(),
        })
        .collect()
}

/// The risk answers of a posted form (`risk.<key>`), the empty choice left out.
fn answers_of(fields: &super::form::Fields, questions: &[Question]) -> Map<String, Value> {
    questions
        .iter()
        .filter_map(|q| {
            let v = fields.get(&format!("risk.{}", q.key)).filter(|v| !v.is_empty())?;
            Some((q.key.clone(), Value::String(v.to_string())))
        })
        .collect()
}

async fn replan(State(s): State<WebState>, Path(number): Path<String>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let zone = auth.user.time_zone.as_str().to_string();
    let current = match s.app.ticket(&auth.actor, &number).await {
        Ok(t) => t,
        Err(e) => return render(&s, &auth, &number, Outcome::error(&describe(&e))).await,
    };
    let questions = s.app.change_questionnaire(&auth.actor, &Ref::Id(current.desk_id)).await.map(|q| q.questions);
    let patch = ChangePatch {
        change_type: fields.get("type").filter(|t| !t.is_empty()).map(str::to_string),
        planned_start: Some(from_input(fields.raw("planned_start"), &zone)),
        planned_end: Some(from_input(fields.raw("planned_end"), &zone)),
        risk_answers: questions.ok().map(|q| answers_of(&fields, &q)),
    };
    let version = fields.get("version").and_then(|v| v.parse::<i64>().ok());
    match s.app.update_change(&auth.actor, &number, version, patch).await {
        Ok(_) => Redirect::to(&format!("/agent/tickets/{}#change", enc(&number))).into_response(),
        Err(opsdesk_app::AppError::Stale(_)) => {
            render(
                &s,
                &auth,
                &number,
                Outcome::error(
                    "This change was changed by someone else meanwhile; nothing was saved. Check it and try again.",
                ),
            )
            .await
        }
        Err(e) => render(&s, &auth, &number, Outcome::error(&describe(&e))).await,
    }
}

async fn override_conflicts(State(s): State<WebState>, Path(number): Path<String>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let input = OverrideInput { reason: fields.raw("reason").to_string() };
    match s.app.override_change_conflicts(&auth.actor, &number, input).await {
        Ok(_) => Redirect::to(&format!("/agent/tickets/{}#change", enc(&number))).into_response(),
        Err(e) => render(&s, &auth, &number, Outcome::error(&describe(&e))).await,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "agent/change_new.html")]
struct NewChangePage {
    nav: Nav,
    templates: Vec<(String, String)>,
    groups: Vec<(String, String)>,
    questions: Vec<QuestionRow>,
    typed: Typed,
    error: Option<String>,
}

#[derive(Default)]
struct Typed {
    change_type: String,
    template: String,
    title: String,
    description: String,
    group: String,
    planned_start: String,
    planned_end: String,
    cis: String,
    implementation_plan: String,
    backout_plan: String,
    test_plan: String,
}

async fn page(
    s: &WebState,
    auth: &Authenticated,
    typed: Typed,
    answers: &Map<String, Value>,
    error: Option<String>,
) -> Response {
    let templates = s.app.change_templates(&auth.actor).await.unwrap_or_default();
    let groups = s.app.groups(&auth.actor, 0, 500).await.unwrap_or_default();
    let desk = s.app.desks().await.ok().and_then(|d| d.first().map(|d| d.id)).unwrap_or(0);
    let questions =
        s.app.change_questionnaire(&auth.actor, &Ref::Id(desk)).await.map(|q| q.questions).unwrap_or_default();
    NewChangePage {
        nav: Nav::of(auth),
        templates: templates
            .iter()
            .filter(|t| t.active)
            .map(|t| (t.id.to_string(), format!("{} ({})", t.name, t.change_type)))
            .collect(),
        groups: groups.iter().map(|g| (g.id.to_string(), g.name.clone())).collect(),
        questions: questions_of(&questions, answers),
        typed,
        error,
    }
    .into_response()
}

async fn new_form(State(s): State<WebState>, jar: CookieJar, uri: Uri) -> Response {
    let auth = match agent_only(&s, &jar, &uri).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let typed = Typed { change_type: "normal".into(), ..Default::default() };
    page(&s, &auth, typed, &Map::new(), None).await
}

async fn create(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let zone = auth.user.time_zone.as_str().to_string();
    let typed = Typed {
        change_type: fields.raw("type").to_string(),
        template: fields.raw("template").to_string(),
        title: fields.raw("title").to_string(),
        description: fields.raw("description").to_string(),
        group: fields.raw("group").to_string(),
        planned_start: fields.raw("planned_start").to_string(),
        planned_end: fields.raw("planned_end").to_string(),
        cis: fields.raw("cis").to_string(),
        implementation_plan: fields.raw("implementation_plan").to_string(),
        backout_plan: fields.raw("backout_plan").to_string(),
        test_plan: fields.raw("test_plan").to_string(),
    };
    let desk = s.app.desks().await.ok().and_then(|d| d.first().map(|d| d.id)).unwrap_or(0);
    let questions =
        s.app.change_questionnaire(&auth.actor, &Ref::Id(desk)).await.map(|q| q.questions).unwrap_or_default();
    let answers = answers_of(&fields, &questions);
    let mut cis = Vec::new();
    for part in typed.cis.split([',', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
        match find_ci(&s.app, &auth.actor, part).await {
            Ok(id) => cis.push(id),
            Err(message) => return page(&s, &auth, typed, &answers, Some(message)).await,
        }
    }
    let text = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    let input = CreateTicket {
        kind: "change".into(),
        title: typed.title.clone(),
        description: typed.description.clone(),
        group: typed.group.parse::<i64>().ok().map(Ref::Id),
        change: Some(ChangeInput {
            change_type: text(&typed.change_type),
            template: typed.template.parse::<i64>().ok().map(Ref::Id),
            planned_start: from_input(&typed.planned_start, &zone),
            planned_end: from_input(&typed.planned_end, &zone),
            implementation_plan: text(&typed.implementation_plan),
            backout_plan: text(&typed.backout_plan),
            test_plan: text(&typed.test_plan),
            risk_answers: answers.clone(),
            cis,
        }),
        ..Default::default()
    };
    match s.app.create_ticket(&auth.actor, input).await {
        Ok(t) => Redirect::to(&format!("/agent/tickets/{}", enc(&t.number))).into_response(),
        Err(e) => page(&s, &auth, typed, &answers, Some(describe(&e))).await,
    }
}
