//! The SLA policy form's values, and reading them into the application's input: checkboxes
//! and selects to ids, `key = value` lines to custom-field conditions, percentages to
//! warnings, and escalation lines (see [`escalation_lines`](super::escalation_lines)) to
//! escalations naming groups and users by id.

use super::admin_calendars::split_list;
use super::escalation_lines::{self as lines, Who};
use super::form::{FieldErrors, Fields};
use crate::WebState;
use opsdesk_app::auth::Authenticated;
use opsdesk_app::sla::{PolicyInput, PolicyView};
use opsdesk_app::AppError;
use opsdesk_domain::sla::{ConditionsSpec, EscalationSpec, TargetsSpec};
use serde_json::Value;
use std::collections::BTreeMap;

/// What the form offers to choose from, read once per page.
pub struct Options {
    pub desks: Vec<(i64, String)>,
    pub categories: Vec<(i64, String)>,
    pub organizations: Vec<(i64, String)>,
    pub calendars: Vec<(i64, String)>,
    pub groups: Vec<(i64, String)>,
}

pub async fn options(s: &WebState, auth: &Authenticated) -> Result<Options, AppError> {
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
    pub fn blank() -> PolicyForm {
        PolicyForm {
            first_response: "4h".into(),
            resolution: "40h".into(),
            calendar: "0".into(),
            warnings: "75, 90".into(),
            pauses: vec!["on_hold:awaiting_requester".into()],
            ..Default::default()
        }
    }

    pub fn of(p: &PolicyView, o: &Options, users: &BTreeMap<i64, String>) -> PolicyForm {
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

    pub fn typed(id: Option<i64>, f: &Fields) -> PolicyForm {
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
pub async fn input_of(
    s: &WebState,
    form: &PolicyForm,
    o: &Options,
    errors: &mut FieldErrors,
) -> (PolicyInput, Vec<usize>) {
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
