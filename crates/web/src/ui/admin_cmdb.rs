//! The admin page for the CMDB's configuration: each class with its attributes, a form to add
//! a class and one per class to rename it or replace its attributes; the relationship rules
//! (which types may join which classes), to add and remove; and the stale threshold.
//! Attributes are typed one per line as `key:type[:required][:opt1|opt2][:source=NAME]`; a
//! refused form comes back with what was typed and each error on the line it came from.

use super::admin::{admin, done, failed, Done};
use super::form::FieldErrors;
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
use opsdesk_app::cmdb::{AttributeView, ClassInput, ClassView, CmdbSettingsInput, RuleInput};
use opsdesk_app::AppError;
use opsdesk_domain::cmdb::{AttrType, RelType};
use serde_json::{json, Value};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/admin/cmdb/classes", get(list).post(create))
        .route("/admin/cmdb/classes/{key}", post(update))
        .route("/admin/cmdb/rules", post(add_rule))
        .route("/admin/cmdb/rules/{id}/remove", post(remove_rule))
        .route("/admin/cmdb/settings", post(save_settings))
}

const LINE_FORMAT: &str = "write key:type, then optionally :required, :opt1|opt2 (a select's options), :source=NAME";

/// One class and its editing form's values (stored, or typed when refused).
pub struct ClassCard {
    pub class: ClassView,
    pub name: String,
    pub lines: String,
    pub errors: FieldErrors,
}

/// The new-class form.
#[derive(Default)]
pub struct NewClass {
    pub name: String,
    pub key: String,
    pub lines: String,
    pub errors: FieldErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/ci_classes.html")]
struct ClassesPage {
    nav: Nav,
    ok: Option<&'static str>,
    cards: Vec<ClassCard>,
    new: NewClass,
    types: Vec<&'static str>,
    rules: Vec<RuleLine>,
    rel_types: Vec<RelType>,
    stale_after_days: u32,
}

/// A relationship rule as the page shows it: class names, or "any class".
pub struct RuleLine {
    pub id: i64,
    pub source: String,
    pub rel: String,
    pub target: String,
}

/// A class's attributes as the editor's lines.
pub fn lines_of(attributes: &[AttributeView]) -> String {
    attributes
        .iter()
        .map(|a| {
            let mut line = format!("{}:{}", a.key, a.attr_type.as_str());
            if a.required {
                line.push_str(":required");
            }
            if !a.options.is_empty() {
                line.push(':');
                line.push_str(&a.options.join("|"));
            }
            if let Some(src) = &a.authoritative_source {
                line.push_str(&format!(":source={src}"));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads the lines into the attribute list the application checks. Returns the list and, for
/// each entry, the line it was typed on (to put the application's errors back on their line).
pub fn parse_lines(raw: &str) -> Result<(Value, Vec<usize>), FieldErrors> {
    let mut out = Vec::new();
    let mut line_numbers = Vec::new();
    let mut errors = FieldErrors::default();
    for (i, line) in raw.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.split(':').map(str::trim).collect();
        let [key, attr_type, rest @ ..] = parts.as_slice() else {
            errors.push("attributes", format!("line {}: {LINE_FORMAT}", i + 1));
            continue;
        };
        let mut attr = json!({"key": key, "type": attr_type});
        for part in rest {
            match *part {
                "required" => attr["required"] = Value::Bool(true),
                "" => {}
                p => match p.strip_prefix("source=") {
                    Some(src) => attr["authoritative_source"] = Value::String(src.trim().into()),
                    None => {
                        attr["options"] =
                            p.split('|').map(str::trim).filter(|o| !o.is_empty()).map(Value::from).collect()
                    }
                },
            }
        }
        out.push(attr);
        line_numbers.push(i + 1);
    }
    if errors.is_empty() {
        Ok((Value::Array(out), line_numbers))
    } else {
        Err(errors)
    }
}

/// The application's errors on a class form, attribute errors on their typed line.
fn class_errors(e: &AppError, lines: &[usize]) -> Option<FieldErrors> {
    let AppError::Invalid(inv) = e else { return None };
    Some(FieldErrors::of_invalid(&inv.0, |key, n| (key == "attributes").then(|| lines.get(n).copied()).flatten()))
}

async fn list(State(s): State<WebState>, jar: CookieJar, uri: Uri, q: Query<Done>) -> Response {
    let auth = admin!(s, jar, uri);
    render(&s, &auth, q.message(), None, NewClass::default()).await
}

/// The page; `typed` replaces one class's form values (by key) after a refused edit.
async fn render(
    s: &WebState,
    auth: &Authenticated,
    ok: Option<&'static str>,
    typed: Option<(String, String, String, FieldErrors)>,
    new: NewClass,
) -> Response {
    let read = async {
        Ok::<_, AppError>((
            s.app.ci_classes(&auth.actor).await?,
            s.app.relationship_rules(&auth.actor).await?,
            s.app.cmdb_settings(&auth.actor).await?,
        ))
    };
    let (classes, rules, settings) = match read.await {
        Ok(x) => x,
        Err(e) => return app_error(Some(Nav::of(auth)), e),
    };
    let class_name = |key: &Option<String>| match key {
        None => "any class".to_string(),
        Some(k) => classes.iter().find(|c| &c.key == k).map_or_else(|| k.clone(), |c| c.name.clone()),
    };
    let rules = rules
        .into_iter()
        .map(|r| {
            let rel = RelType::parse(&r.rel).map_or_else(|_| r.rel.clone(), |t| t.label().to_string());
            RuleLine { id: r.id, source: class_name(&r.source_class), rel, target: class_name(&r.target_class) }
        })
        .collect();
    let refused = typed.is_some() || !new.errors.is_empty();
    let mut typed = typed;
    let cards = classes
        .into_iter()
        .map(|class| match typed.take_if(|t| t.0 == class.key) {
            Some((_, name, lines, errors)) => ClassCard { class, name, lines, errors },
            None => ClassCard {
                name: class.name.clone(),
                lines: lines_of(&class.attributes),
                class,
                errors: FieldErrors::default(),
            },
        })
        .collect();
    let page = ClassesPage {
        nav: Nav::of(auth),
        ok,
        cards,
        new,
        types: AttrType::ALL.iter().map(|t| t.as_str()).collect(),
        rules,
        rel_types: RelType::ALL.to_vec(),
        stale_after_days: settings.stale_after_days,
    };
    let status = if refused { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    (status, page).into_response()
}

async fn create(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let mut typed = NewClass {
        name: fields.raw("name").into(),
        key: fields.raw("key").trim().into(),
        lines: fields.raw("attributes").replace("\r\n", "\n"),
        errors: FieldErrors::default(),
    };
    let (attributes, line_numbers) = match parse_lines(&typed.lines) {
        Ok(x) => x,
        Err(errors) => {
            typed.errors = errors;
            return render(&s, &auth, None, None, typed).await;
        }
    };
    let input = ClassInput {
        name: Some(typed.name.clone()),
        key: Some(typed.key.clone()).filter(|k| !k.is_empty()),
        attributes: Some(attributes),
    };
    match s.app.create_ci_class(&auth.actor, input).await {
        Ok(_) => done("/admin/cmdb/classes", "created"),
        Err(e) => match class_errors(&e, &line_numbers) {
            Some(errors) => {
                typed.errors = errors;
                render(&s, &auth, None, None, typed).await
            }
            None => failed(&auth, e),
        },
    }
}

async fn update(State(s): State<WebState>, Path(key): Path<String>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let name: String = fields.raw("name").into();
    let lines = fields.raw("attributes").replace("\r\n", "\n");
    let (attributes, line_numbers) = match parse_lines(&lines) {
        Ok(x) => x,
        Err(errors) => return render(&s, &auth, None, Some((key, name, lines, errors)), NewClass::default()).await,
    };
    let input = ClassInput { name: Some(name.clone()), key: None, attributes: Some(attributes) };
    match s.app.update_ci_class(&auth.actor, &key, input).await {
        Ok(_) => done("/admin/cmdb/classes", "saved"),
        Err(e) => match class_errors(&e, &line_numbers) {
            Some(errors) => render(&s, &auth, None, Some((key, name, lines, errors)), NewClass::default()).await,
            None => failed(&auth, e),
        },
    }
}

/// `""` and `*` in a class select are any class.
fn any_class(raw: &str) -> Option<String> {
    Some(raw.trim().to_string()).filter(|k| !k.is_empty() && k != "*")
}

async fn add_rule(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let input = RuleInput {
        source_class: any_class(fields.raw("source_class")),
        rel: fields.raw("type").to_string(),
        target_class: any_class(fields.raw("target_class")),
    };
    match s.app.create_relationship_rule(&auth.actor, input).await {
        Ok(_) => done("/admin/cmdb/classes", "added"),
        Err(e) => failed(&auth, e),
    }
}

async fn remove_rule(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    match s.app.delete_relationship_rule(&post.auth.actor, id).await {
        Ok(()) => done("/admin/cmdb/classes", "removed"),
        Err(e) => failed(&post.auth, e),
    }
}

async fn save_settings(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    // A number that does not parse is sent as 0, which the application refuses in words.
    let days = fields.raw("stale_after_days").trim().parse::<i64>().unwrap_or(0);
    match s.app.update_cmdb_settings(&auth.actor, CmdbSettingsInput { stale_after_days: days }).await {
        Ok(_) => done("/admin/cmdb/classes", "saved"),
        Err(e) => failed(&auth, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_as_attribute_definitions_and_back() {
        let raw = "os:text:required\n\n  tier : select : gold|silver :source=sccm\nram:number";
        let (v, lines) = parse_lines(raw).expect("ok");
        assert_eq!(
            v,
            json!([
                {"key": "os", "type": "text", "required": true},
                {"key": "tier", "type": "select", "options": ["gold", "silver"], "authoritative_source": "sccm"},
                {"key": "ram", "type": "number"}
            ])
        );
        assert_eq!(lines, vec![1, 3, 4]);
        let attrs = vec![AttributeView {
            key: "tier".into(),
            attr_type: AttrType::Select,
            required: true,
            options: vec!["gold".into(), "silver".into()],
            authoritative_source: Some("sccm".into()),
        }];
        assert_eq!(lines_of(&attrs), "tier:select:required:gold|silver:source=sccm");
    }

    #[test]
    fn a_line_without_a_type_is_refused_in_words() {
        let e = parse_lines("os:text\nram").expect_err("refused");
        assert_eq!(e.at("attributes"), vec![format!("line 2: {LINE_FORMAT}").as_str()]);
    }
}
