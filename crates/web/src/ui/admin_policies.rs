//! The admin pages for SLA policies: the ordered list (first match wins), and one form to
//! create or edit a policy with checkboxes and selects for its conditions, business
//! durations for its targets, and escalations one per line (see [`escalation_lines`]).
//! A refused form comes back with what was typed and each error next to its field.

use super::admin::{admin, done, failed, Done};
use super::form::{FieldErrors, Fields};
use super::policy_form::{input_of, options, Options, PolicyForm};
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
use opsdesk_app::AppError;
use opsdesk_domain::sla::{ConditionsSpec, Policy, PolicySpec};
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
