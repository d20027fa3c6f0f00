//! The admin page for the CAB's approval policies: which stages approve a change of a type and
//! risk class (or of every class of the type). Stages are typed one per line as
//! `rule: approver, approver`, the rule `any`, `all`, a number (N of them) or a percentage,
//! each approver `group:NAME`, `manager`, or a person's email or id. Saving a type and class
//! that has a policy replaces it.

use super::admin::{admin, done, failed, Done};
use super::form::FieldErrors;
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
use opsdesk_app::changes::{ApprovalPolicyInput, ApprovalPolicyView};
use opsdesk_app::AppError;
use opsdesk_domain::change::{ChangeType, RiskClass};
use serde_json::{json, Map, Value};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/admin/changes/policies", get(list).post(save))
        .route("/admin/changes/policies/{id}/delete", post(delete))
}

const LINE_FORMAT: &str =
    "write a stage as rule: approvers, the rule any, all, a number or a percentage, the approvers group:NAME, manager, or an email";

pub struct PolicyRow {
    pub id: i64,
    pub name: String,
    pub change_type: String,
    pub risk_class: String,
    pub stages: Vec<String>,
}

#[derive(Default)]
pub struct PolicyForm {
    pub name: String,
    pub change_type: String,
    pub risk_class: String,
    pub stages: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/cab_policies.html")]
struct PoliciesPage {
    nav: Nav,
    ok: Option<&'static str>,
    policies: Vec<PolicyRow>,
    types: Vec<(&'static str, &'static str)>,
    classes: Vec<(&'static str, &'static str)>,
    form: PolicyForm,
    errors: FieldErrors,
}

/// One stage as its line.
fn stage_line(stage: &Value) -> String {
    let rule = match (&stage["rule"], stage["rule"].get("n"), stage["rule"].get("percent")) {
        (Value::String(r), _, _) => r.clone(),
        (_, Some(n), _) => n.to_string(),
        (_, _, Some(p)) => format!("{p}%"),
        _ => "?".into(),
    };
    let a = &stage["approvers"];
    let mut who: Vec<String> = Vec::new();
    for g in a["groups"].as_array().into_iter().flatten() {
        who.push(format!("group:{}", g.as_str().map_or_else(|| g.to_string(), str::to_string)));
    }
    for u in a["users"].as_array().into_iter().flatten() {
        who.push(u.as_str().map_or_else(|| u.to_string(), str::to_string));
    }
    if a["manager"].as_bool() == Some(true) {
        who.push("manager".into());
    }
    format!("{rule}: {}", who.join(", "))
}

/// Reads stage lines into the stages the application checks, with the line of each stage.
pub fn parse_stages(raw: &str) -> Result<(Value, Vec<usize>), FieldErrors> {
    let mut stages = Vec::new();
    let mut lines = Vec::new();
    let mut errors = FieldErrors::default();
    for (i, line) in raw.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((rule, who)) = line.split_once(':') else {
            errors.push("stages", format!("line {}: {LINE_FORMAT}", i + 1));
            continue;
        };
        let rule = rule.trim().to_ascii_lowercase();
        let rule = match (rule.as_str(), rule.strip_suffix('%').map(|p| p.trim().parse::<u64>())) {
            ("any" | "all", _) => json!(rule),
            (_, Some(Ok(p))) => json!({ "percent": p }),
            (r, None) if r.parse::<u64>().is_ok() => json!({ "n": r.parse::<u64>().unwrap_or(0) }),
            _ => {
                errors.push("stages", format!("line {}: {LINE_FORMAT}", i + 1));
                continue;
            }
        };
        let mut approvers = Map::new();
        let (mut users, mut groups) = (Vec::new(), Vec::new());
        for item in who.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if item.eq_ignore_ascii_case("manager") {
                approvers.insert("manager".into(), Value::Bool(true));
            } else if let Some(g) = item.strip_prefix("group:") {
                groups.push(json!(g.trim()));
            } else if let Ok(id) = item.parse::<i64>() {
                users.push(json!(id));
            } else {
                users.push(json!(item));
            }
        }
        if !users.is_empty() {
            approvers.insert("users".into(), Value::Array(users));
        }
        if !groups.is_empty() {
            approvers.insert("groups".into(), Value::Array(groups));
        }
        stages.push(json!({ "approvers": approvers, "rule": rule }));
        lines.push(i + 1);
    }
    if stages.is_empty() && errors.is_empty() {
        errors.push("stages", "a policy has at least one stage");
    }
    if errors.is_empty() {
        Ok((Value::Array(stages), lines))
    } else {
        Err(errors)
    }
}

fn row(p: &ApprovalPolicyView) -> PolicyRow {
    PolicyRow {
        id: p.id,
        name: p.name.clone(),
        change_type: words(&p.change_type),
        risk_class: p.risk_class.as_deref().map_or_else(|| "every class".into(), words),
        stages: p.stages.as_array().map(|s| s.iter().map(stage_line).collect()).unwrap_or_default(),
    }
}

async fn render(
    s: &WebState,
    auth: &Authenticated,
    ok: Option<&'static str>,
    form: PolicyForm,
    errors: FieldErrors,
) -> Response {
    let policies = match s.app.change_approval_policies(&auth.actor).await {
        Ok(p) => p.iter().map(row).collect(),
        Err(e) => return app_error(Some(Nav::of(auth)), e),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = PoliciesPage {
        nav: Nav::of(auth),
        ok,
        policies,
        types: ChangeType::ALL.iter().map(|t| (t.as_str(), t.label())).collect(),
        classes: RiskClass::ALL.iter().map(|c| (c.as_str(), c.label())).collect(),
        form,
        errors,
    };
    (status, page).into_response()
}

async fn list(State(s): State<WebState>, jar: CookieJar, uri: Uri, q: Query<Done>) -> Response {
    let auth = admin!(s, jar, uri);
    let form = PolicyForm { change_type: "normal".into(), ..Default::default() };
    render(&s, &auth, q.message(), form, FieldErrors::default()).await
}

async fn save(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let form = PolicyForm {
        name: fields.raw("name").into(),
        change_type: fields.raw("type").trim().into(),
        risk_class: fields.raw("risk_class").trim().into(),
        stages: fields.raw("stages").replace("\r\n", "\n"),
    };
    let (stages, lines) = match parse_stages(&form.stages) {
        Ok(x) => x,
        Err(errors) => return render(&s, &auth, None, form, errors).await,
    };
    let input = ApprovalPolicyInput {
        name: form.name.clone(),
        change_type: form.change_type.clone(),
        risk_class: Some(form.risk_class.clone()).filter(|c| !c.is_empty()),
        stages,
    };
    match s.app.put_change_approval_policy(&auth.actor, input).await {
        Ok(_) => done("/admin/changes/policies", "saved"),
        Err(AppError::Invalid(inv)) => {
            let errors = FieldErrors::of_invalid(&inv.0, |key, n| (key == "stages").then(|| lines.get(n).copied())?);
            render(&s, &auth, None, form, errors).await
        }
        Err(e) => failed(&auth, e),
    }
}

async fn delete(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, .. } = post;
    match s.app.delete_change_approval_policy(&auth.actor, id).await {
        Ok(()) => done("/admin/changes/policies", "removed"),
        Err(e) => failed(&auth, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_lines_read_as_stages_and_back() {
        let raw = "any: group:CAB, manager\n\n2: ada@example.com, 7\n50%: group:Network";
        let (stages, lines) = parse_stages(raw).expect("reads");
        assert_eq!(lines, vec![1, 3, 4]);
        assert_eq!(stages[0], json!({"approvers": {"groups": ["CAB"], "manager": true}, "rule": "any"}));
        assert_eq!(stages[1], json!({"approvers": {"users": ["ada@example.com", 7]}, "rule": {"n": 2}}));
        assert_eq!(stages[2]["rule"], json!({"percent": 50}));
        let back: Vec<String> = stages.as_array().expect("list").iter().map(stage_line).collect();
        assert_eq!(back, ["any: group:CAB, manager", "2: ada@example.com, 7", "50%: group:Network"]);
    }

    #[test]
    fn a_line_without_a_rule_is_refused_on_its_line() {
        let e = parse_stages("any: group:CAB\ngroup CAB").expect_err("refused");
        assert_eq!(e.at("stages"), vec![format!("line 2: {LINE_FORMAT}").as_str()]);
        assert!(parse_stages("  \n").is_err(), "no stage at all");
    }
}
