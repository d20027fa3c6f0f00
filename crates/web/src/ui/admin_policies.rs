//! The admin pages for SLA policies: the ordered list (first match wins), and one form to
//! create or edit a policy with checkboxes and selects for its conditions, business
//! durations for its targets, and escalations one per line (see [`escalation_lines`]).
//! A refused form comes back with what was typed and each error next to its field.

use super::admin::{admin, done, failed, Done};
use super::admin_calendars::split_list;
use super::escalation_lines::{self as lines, Who};
use super::form::{FieldErrors, Fields};
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
use opsdesk_app::sla::{PolicyInput, PolicyView};
use opsdesk_app::AppError;
use opsdesk_domain::sla::{ConditionsSpec, EscalationSpec, Policy, PolicySpec, TargetsSpec};
use serde_json::Value;
use std::collections::BTreeMap;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/admin/sla/policies", get(list).post(create))
        .route("/admin/sla/policies/new", get(new))
        .route("/admin/sla/policies/{id}", get(edit).post(save))
        .route("/admin/sla/policies/{id}/delete", post(delete))
}

const KINDS: [(&str, &str); 3] =
    [("incident", "Incident"), ("service_request", "Service request"), ("problem", "Problem")];
const PRIORITIES: [&str; 5] = ["P1", "P2", "P3", "P4", "P5"];
const PAUSES: [(&str, &str); 7] = [
    ("on_hold:awaiting_requester", "On hold, awaiting the requester"),
    ("on_hold:awaiting_vendor", "On hold, awaiting a vendor"),
    ("on_hold:awaiting_change", "On hold, awaiting a change"),
    ("on_hold:other", "On hold, other reason"),
    ("on_hold", "On hold, any reason"),
    ("awaiting_approval", "Awaiting approval (service requests)"),
    ("known_error", "Known error (problems)"),
];

/// A checkbox or an option: value, label, whether chosen.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// What the form offers to choose from, read once per page.
struct Options {
    desks: Vec<(i64, String)>,
    categories: Vec<(i64, String)>,
    organizations: Vec<(i64, String)>,
    calendars: Vec<(i64, String)>,
    groups: Vec<(i64, String)>,
}

async fn options(s: &WebState, auth: &Authenticated) -> Result<Options, AppError> {
    let app = &s.app;
    let desks: Vec<(i64, String)> = app.desks().await?.into_iter().map(|d| (d.id, d.name)).collect();
    let mut categories = Vec::new();
    for c in app.categories(None).await? {
        let desk = desks.iter().find(|d| d.0 == c.desk_id).map(|d| d.1.as_str()).unwrap_or("");
        categories.push((c.id, format!("{desk}: {}", c.name)));
    }
    Ok(Options {
        categories,
        organizations: app.organizations(&auth.actor, 0, 500).await?.into_iter().map(|o| (o.id, o.name)).collect(),
        calendars: app.sla_calendars(&auth.actor).await?.into_iter().map(|c| (c.id, c.name)).collect(),
        groups: app.groups(&auth.actor, 0, 500).await?.into_iter().map(|g| (g.id, g.name)).collect(),
        desks,
    })
}

fn choices(all: &[(i64, String)], chosen: &[String]) -> Vec<Choice> {
    all.iter()
        .map(|(id, label)| Choice {
            value: id.to_string(),
            label: label.clone(),
            checked: chosen.contains(&id.to_string()),
        })
        .collect()
}

fn name_choices(all: &[(&str, &str)], chosen: &[String]) -> Vec<Choice> {
    let mut out: Vec<Choice> = all
        .iter()
        .map(|(v, l)| Choice { value: v.to_string(), label: l.to_string(), checked: chosen.iter().any(|c| c == v) })
        .collect();
    // A stored value the form does not list stays visible, so saving does not drop it.
    for c in chosen.iter().filter(|c| !all.iter().any(|(v, _)| v == c)) {
        out.push(Choice { value: c.clone(), label: c.clone(), checked: true });
    }
    out
}

pub struct PolicyRow {
    pub id: i64,
    pub position: i64,
    pub name: String,
    pub conditions: String,
    pub targets: String,
    pub calendar: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/policies.html")]
struct ListPage {
    nav: Nav,
    ok: Option<&'static str>,
    policies: Vec<PolicyRow>,
}

fn conditions_summary(c: &ConditionsSpec, o: &Options) -> String {
    let named = |ids: &[i64], all: &[(i64, String)]| -> Vec<String> {
        ids.iter().map(|id| all.iter().find(|x| x.0 == *id).map(|x| x.1.clone()).unwrap_or(format!("#{id}"))).collect()
    };
    let mut parts = Vec::new();
    let mut add = |label: &str, v: Vec<String>| {
        if !v.is_empty() {
            parts.push(format!("{label} {}", v.join(", ")));
        }
    };
    add("desk", named(&c.desk_ids, &o.desks));
    add("kind", c.kinds.clone());
    add("priority", c.priorities.clone());
    add("category", named(&c.category_ids, &o.categories));
    add("organisation", named(&c.organization_ids, &o.organizations));
    add("field", c.custom_fields.iter().map(|(k, v)| format!("{k} = {v}")).collect());
    if parts.is_empty() {
        "every ticket".into()
    } else {
        parts.join("; ")
    }
}

async fn list(State(s): State<WebState>, jar: CookieJar, uri: Uri, q: Query<Done>) -> Response {
    let auth = admin!(s, jar, uri);
    let (all, o) = match (s.app.sla_policies(&auth.actor).await, options(&s, &auth).await) {
        (Ok(p), Ok(o)) => (p, o),
        (Err(e), _) | (_, Err(e)) => return app_error(Some(Nav::of(&auth)), e),
    };
    let policies = all
        .iter()
        .map(|p| {
            let t = &p.spec.targets;
            let mut targets = format!("first response {}, resolution {}", t.first_response, t.resolution);
            if let Some(n) = &t.next_response {
                targets.push_str(&format!(", next response {n}"));
            }
            let cal = p.spec.calendar_id.unwrap_or(0);
            PolicyRow {
                id: p.id,
                position: p.position,
                name: p.spec.name.clone(),
                conditions: conditions_summary(&p.spec.conditions, &o),
                targets,
                calendar: o.calendars.iter().find(|c| c.0 == cal).map(|c| c.1.clone()).unwrap_or(format!("#{cal}")),
            }
        })
        .collect();
    ListPage { nav: Nav::of(&auth), ok: q.message(), policies }.into_response()
}

/// The form's values as strings: a stored policy's, or what the admin typed.
#[derive(Default)]
pub struct PolicyForm {
    pub id: Option<i64>,
    pub name: String,
    pub position: String,
    pub desks: Vec<String>,
    pub kinds: Vec<String>,
    pub priorities: Vec<String>,
    pub categories: Vec<String>,
    pub organizations: Vec<String>,
    /// One `key = value` per line; a value that reads as JSON (`true`, `3`, `"x"`) is that.
    pub custom_fields: String,
    pub first_response: String,
    pub resolution: String,
    pub next_response: String,
    pub calendar: String,
    pub warnings: String,
    pub pauses: Vec<String>,
    pub escalations: String,
}

fn ids(v: &[i64]) -> Vec<String> {
    v.iter().map(i64::to_string).collect()
}

fn value_text(v: &Value) -> String {
    match v {
        // A string that would read back as something else keeps its quotes.
        Value::String(s) if serde_json::from_str::<Value>(s).is_err() && !s.trim().is_empty() && s.trim() == s => {
            s.clone()
        }
        other => other.to_string(),
    }
}

impl PolicyForm {
    fn blank() -> PolicyForm {
        PolicyForm {
            first_response: "4h".into(),
            resolution: "40h".into(),
            calendar: "0".into(),
            warnings: "75, 90".into(),
            pauses: vec!["on_hold:awaiting_requester".into()],
            ..Default::default()
        }
    }

    fn of(p: &PolicyView, o: &Options, users: &BTreeMap<i64, String>) -> PolicyForm {
        let s = &p.spec;
        let group = |id: i64| o.groups.iter().find(|g| g.0 == id).map(|g| g.1.clone()).unwrap_or(format!("#{id}"));
        let user = |id: i64| users.get(&id).cloned().unwrap_or(format!("#{id}"));
        PolicyForm {
            id: Some(p.id),
            name: s.name.clone(),
            position: p.position.to_string(),
            desks: ids(&s.conditions.desk_ids),
            kinds: s.conditions.kinds.clone(),
            priorities: s.conditions.priorities.clone(),
            categories: ids(&s.conditions.category_ids),
            organizations: ids(&s.conditions.organization_ids),
            custom_fields: s
                .conditions
                .custom_fields
                .iter()
                .map(|(k, v)| format!("{k} = {}", value_text(v)))
                .collect::<Vec<_>>()
                .join("\n"),
            first_response: s.targets.first_response.clone(),
            resolution: s.targets.resolution.clone(),
            next_response: s.targets.next_response.clone().unwrap_or_default(),
            calendar: s.calendar_id.unwrap_or(0).to_string(),
            warnings: s.warnings.iter().map(i64::to_string).collect::<Vec<_>>().join(", "),
            pauses: s.pause_when.clone(),
            escalations: s.escalations.iter().map(|e| lines::to_line(e, group, user)).collect::<Vec<_>>().join("\n"),
        }
    }

    fn typed(id: Option<i64>, f: &Fields) -> PolicyForm {
        let all = |name: &str| f.all(name).into_iter().map(str::to_string).collect::<Vec<_>>();
        PolicyForm {
            id,
            name: f.raw("name").into(),
            position: f.raw("position").into(),
            desks: all("desk"),
            kinds: all("kind"),
            priorities: all("priority"),
            categories: all("category"),
            organizations: all("organization"),
            custom_fields: f.raw("custom_fields").into(),
            first_response: f.raw("first_response").into(),
            resolution: f.raw("resolution").into(),
            next_response: f.raw("next_response").into(),
            calendar: f.raw("calendar").into(),
            warnings: f.raw("warnings").into(),
            pauses: all("pause"),
            escalations: f.raw("escalations").into(),
        }
    }
}

fn id_list(values: &[String], key: &str, errors: &mut FieldErrors) -> Vec<i64> {
    let mut out = Vec::new();
    for v in values {
        match v.trim().parse::<i64>() {
            Ok(id) => out.push(id),
            Err(_) => errors.push(key, "choose from the list"),
        }
    }
    out
}

/// Reads the typed form into the application's input. Errors the web layer finds (a word
/// where a number belongs, an unknown group or user in an escalation line) are collected
/// with the line each escalation came from, for the application's own paths.
async fn input_of(s: &WebState, form: &PolicyForm, o: &Options, errors: &mut FieldErrors) -> (PolicyInput, Vec<usize>) {
    let mut custom_fields = BTreeMap::new();
    for (i, l) in form.custom_fields.lines().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        match l.split_once('=') {
            Some((k, v)) => {
                let v = v.trim();
                let value = serde_json::from_str::<Value>(v).unwrap_or_else(|_| Value::String(v.to_string()));
                custom_fields.insert(k.trim().to_string(), value);
            }
            None => errors.push("conditions.custom_fields", format!("line {}: write key = value", i + 1)),
        }
    }
    let conditions = ConditionsSpec {
        desk_ids: id_list(&form.desks, "conditions.desk_ids", errors),
        kinds: form.kinds.clone(),
        priorities: form.priorities.clone(),
        category_ids: id_list(&form.categories, "conditions.category_ids", errors),
        organization_ids: id_list(&form.organizations, "conditions.organization_ids", errors),
        custom_fields,
    };
    let mut warnings = Vec::new();
    for w in split_list(&form.warnings) {
        match w.trim_end_matches('%').trim().parse::<i64>() {
            Ok(n) => warnings.push(n),
            Err(_) => errors.push("warnings", format!("{w} is not a percentage; write numbers like 75, 90")),
        }
    }
    let position = match form.position.trim() {
        "" => None,
        p => match p.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push("position", "position is a whole number");
                None
            }
        },
    };
    let calendar_id = match form.calendar.trim() {
        "" | "0" => None,
        c => match c.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push("calendar_id", "choose a calendar from the list");
                None
            }
        },
    };
    let mut escalations = Vec::new();
    let mut line_numbers = Vec::new();
    match lines::parse(&form.escalations) {
        Err(es) => es.into_iter().for_each(|e| errors.push("escalations", e)),
        Ok(ls) => {
            for l in ls {
                let mut e = EscalationSpec {
                    when: l.when.clone(),
                    target: l.target.clone(),
                    action: l.action.clone(),
                    group_id: None,
                    user_id: None,
                };
                match (lines::who_of(&l.action), l.who.as_deref()) {
                    (Who::Group, Some(who)) => match lines::group_named(who, &o.groups) {
                        Some(id) => e.group_id = Some(id),
                        None => errors.push("escalations", format!("line {}: there is no group named {who}", l.number)),
                    },
                    (Who::User, Some(who)) => match lines::hash_id(who) {
                        Some(id) => e.user_id = Some(id),
                        None => match s.app.user_by_email(who).await {
                            Ok(u) => e.user_id = Some(u.id),
                            Err(_) => errors
                                .push("escalations", format!("line {}: there is no user with email {who}", l.number)),
                        },
                    },
                    (Who::Nobody, Some(who)) => errors
                        .push("escalations", format!("line {}: {} takes no name, remove {who}", l.number, l.action)),
                    _ => {}
                }
                escalations.push(e);
                line_numbers.push(l.number);
            }
        }
    }
    let input = PolicyInput {
        name: form.name.clone(),
        conditions,
        targets: TargetsSpec {
            first_response: form.first_response.trim().into(),
            resolution: form.resolution.trim().into(),
            next_response: Some(form.next_response.trim().to_string()).filter(|n| !n.is_empty()),
        },
        calendar_id,
        warnings: Some(warnings),
        pause_when: Some(form.pauses.clone()),
        escalations,
        position,
    };
    (input, line_numbers)
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/policy.html")]
struct FormPage {
    nav: Nav,
    ok: Option<&'static str>,
    form: PolicyForm,
    errors: FieldErrors,
    desks: Vec<Choice>,
    kinds: Vec<Choice>,
    priorities: Vec<Choice>,
    categories: Vec<Choice>,
    organizations: Vec<Choice>,
    calendars: Vec<Choice>,
    pauses: Vec<Choice>,
}

fn form_page(
    auth: &Authenticated,
    ok: Option<&'static str>,
    o: &Options,
    form: PolicyForm,
    errors: FieldErrors,
) -> Response {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = FormPage {
        nav: Nav::of(auth),
        ok,
        desks: choices(&o.desks, &form.desks),
        kinds: name_choices(&KINDS, &form.kinds),
        priorities: name_choices(&PRIORITIES.map(|p| (p, p)), &form.priorities),
        categories: choices(&o.categories, &form.categories),
        organizations: choices(&o.organizations, &form.organizations),
        calendars: choices(&o.calendars, std::slice::from_ref(&form.calendar)),
        pauses: name_choices(&PAUSES, &form.pauses),
        form,
        errors,
    };
    (status, page).into_response()
}

async fn new(State(s): State<WebState>, jar: CookieJar, uri: Uri) -> Response {
    let auth = admin!(s, jar, uri);
    match options(&s, &auth).await {
        Ok(o) => form_page(&auth, None, &o, PolicyForm::blank(), FieldErrors::default()),
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}

async fn edit(State(s): State<WebState>, jar: CookieJar, uri: Uri, Path(id): Path<i64>, q: Query<Done>) -> Response {
    let auth = admin!(s, jar, uri);
    let (p, o) = match (s.app.sla_policy(&auth.actor, id).await, options(&s, &auth).await) {
        (Ok(p), Ok(o)) => (p, o),
        (Err(e), _) | (_, Err(e)) => return app_error(Some(Nav::of(&auth)), e),
    };
    let mut users = BTreeMap::new();
    for uid in p.spec.escalations.iter().filter_map(|e| e.user_id) {
        if let Ok(u) = s.app.user(&auth.actor, uid).await {
            users.insert(uid, u.email);
        }
    }
    let form = PolicyForm::of(&p, &o, &users);
    form_page(&auth, q.message(), &o, form, FieldErrors::default())
}

async fn submit(s: &WebState, auth: Authenticated, id: Option<i64>, fields: Fields) -> Response {
    let o = match options(s, &auth).await {
        Ok(o) => o,
        Err(e) => return app_error(Some(Nav::of(&auth)), e),
    };
    let form = PolicyForm::typed(id, &fields);
    let mut errors = FieldErrors::default();
    let (input, line_numbers) = input_of(s, &form, &o, &mut errors).await;
    let line_of = |key: &str, i: usize| (key == "escalations").then(|| line_numbers.get(i).copied()).flatten();
    if !errors.is_empty() {
        // Nothing is saved; the domain's own checks are shown alongside the form's.
        let spec = PolicySpec {
            name: input.name.clone(),
            conditions: input.conditions.clone(),
            targets: input.targets.clone(),
            calendar_id: input.calendar_id,
            warnings: input.warnings.clone().unwrap_or_default(),
            pause_when: input.pause_when.clone().unwrap_or_default(),
            escalations: input.escalations.clone(),
        };
        if let Err(inv) = Policy::parse(&spec) {
            // Escalations the form already refused are not reported twice.
            let skip_escalations = errors.has("escalations");
            for (k, m) in FieldErrors::of_invalid(&inv.0, line_of).0 {
                if !(skip_escalations && k == "escalations") {
                    errors.push(&k, m);
                }
            }
        }
        return form_page(&auth, None, &o, form, errors);
    }
    match s.app.save_sla_policy(&auth.actor, id, input).await {
        Ok(p) => done(&format!("/admin/sla/policies/{}", p.id), if id.is_some() { "saved" } else { "created" }),
        Err(AppError::Invalid(inv)) => form_page(&auth, None, &o, form, FieldErrors::of_invalid(&inv.0, line_of)),
        Err(e) => failed(&auth, e),
    }
}

async fn create(State(s): State<WebState>, post: FormPost) -> Response {
    submit(&s, post.auth, None, post.fields).await
}

async fn save(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    submit(&s, post.auth, Some(id), post.fields).await
}

async fn delete(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, .. } = post;
    match s.app.delete_sla_policy(&auth.actor, id).await {
        Ok(()) => done("/admin/sla/policies", "removed"),
        Err(e) => failed(&auth, e),
    }
}
