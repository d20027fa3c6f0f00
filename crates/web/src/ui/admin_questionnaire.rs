//! The admin page for a desk's risk questionnaire: the questions with their weighted answers,
//! edited as lines (a question, then its answers each on a line starting with `-`), and a
//! button that goes back to the standard questionnaire. A refused questionnaire comes back as
//! typed, each error on the line it came from.

use super::admin::{admin, failed, Done};
use super::form::FieldErrors;
use super::{admin_only, app_error, FormPost, Nav};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use opsdesk_app::auth::Authenticated;
use opsdesk_app::tickets::Ref;
use opsdesk_app::AppError;
use opsdesk_domain::change::risk::{AnswerOption, Question, Questionnaire};
use serde::Deserialize;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/admin/changes/questionnaire", get(show).post(save))
        .route("/admin/changes/questionnaire/standard", post(standard))
}

const QUESTION_FORMAT: &str = "write a question as key: text";
const ANSWER_FORMAT: &str = "write an answer as - value: label = weight";

#[derive(Deserialize, Default)]
struct DeskQuery {
    desk: Option<i64>,
    ok: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/questionnaire.html")]
struct QuestionnairePage {
    nav: Nav,
    ok: Option<&'static str>,
    desks: Vec<(i64, String)>,
    desk: i64,
    own: bool,
    lines: String,
    errors: FieldErrors,
}

/// A questionnaire as the editor's lines.
pub fn lines_of(q: &[Question]) -> String {
    let mut out = Vec::new();
    for question in q {
        out.push(format!("{}: {}", question.key, question.text));
        for o in &question.options {
            out.push(format!("- {}: {} = {}", o.value, o.label, o.weight));
        }
    }
    out.join("\n")
}

/// Where each question and answer was typed: the question's line, then each answer's.
pub type LineMap = Vec<(usize, Vec<usize>)>;

/// Reads the editor's lines into a questionnaire (the domain checks it) and where each part
/// was typed; lines that do not read are refused here, by line.
pub fn parse_lines(raw: &str) -> Result<(Questionnaire, LineMap), FieldErrors> {
    let mut questions: Vec<Question> = Vec::new();
    let mut map: LineMap = Vec::new();
    let mut errors = FieldErrors::default();
    for (i, line) in raw.lines().enumerate() {
        let (n, line) = (i + 1, line.trim());
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(answer) = line.strip_prefix('-') {
            let parsed = answer.split_once(':').and_then(|(value, rest)| {
                let (label, weight) = rest.rsplit_once('=')?;
                Some(AnswerOption {
                    value: value.trim().to_string(),
                    label: label.trim().to_string(),
                    weight: weight.trim().parse().ok()?,
                })
            });
            match (parsed, questions.last_mut(), map.last_mut()) {
                (Some(o), Some(q), Some(m)) => {
                    q.options.push(o);
                    m.1.push(n);
                }
                (None, _, _) => {
                    errors.push("questions", format!("line {n}: {ANSWER_FORMAT} (a whole number 0 to 100)"))
                }
                _ => errors.push("questions", format!("line {n}: an answer comes after its question")),
            }
            continue;
        }
        match line.split_once(':') {
            Some((key, text)) => {
                questions.push(Question {
                    key: key.trim().to_string(),
                    text: text.trim().to_string(),
                    options: vec![],
                });
                map.push((n, Vec::new()));
            }
            None => errors.push("questions", format!("line {n}: {QUESTION_FORMAT}")),
        }
    }
    if errors.is_empty() {
        Ok((Questionnaire { questions }, map))
    } else {
        Err(errors)
    }
}

/// The domain's errors (`questions[i].options[j].value`) on the lines they came from.
pub fn line_errors(errors: &[opsdesk_domain::FieldError], map: &LineMap) -> FieldErrors {
    let index = |s: &str, after: &str| -> Option<usize> {
        let rest = s.split(after).nth(1)?;
        rest.split(']').next()?.parse().ok()
    };
    let mut out = FieldErrors::default();
    for e in errors {
        let q = index(&e.field, "questions[").and_then(|i| map.get(i));
        let line = match (q, index(&e.field, "options[")) {
            (Some((_, answers)), Some(j)) => answers.get(j).copied(),
            (Some((at, answers)), None) if e.field.ends_with(".options") => answers.first().copied().or(Some(*at)),
            (Some((at, _)), None) => Some(*at),
            _ => None,
        };
        match line {
            Some(n) => out.push("questions", format!("line {n}: {}", e.message)),
            None => out.push("questions", e.message.clone()),
        }
    }
    out
}

/// Back to the desk's questionnaire, saying it was saved.
fn saved(desk: i64) -> Response {
    Redirect::to(&format!("/admin/changes/questionnaire?desk={desk}&ok=saved")).into_response()
}

async fn render(
    s: &WebState,
    auth: &Authenticated,
    desk: Option<i64>,
    ok: Option<&'static str>,
    typed: Option<(String, FieldErrors)>,
) -> Response {
    let desks: Vec<(i64, String)> = match s.app.desks().await {
        Ok(d) => d.into_iter().map(|d| (d.id, d.name)).collect(),
        Err(e) => return app_error(Some(Nav::of(auth)), e),
    };
    let desk = desk.or_else(|| desks.first().map(|d| d.0)).unwrap_or(0);
    let q = match s.app.change_questionnaire(&auth.actor, &Ref::Id(desk)).await {
        Ok(q) => q,
        Err(e) => return app_error(Some(Nav::of(auth)), e),
    };
    let (lines, errors) = typed.unwrap_or_else(|| (lines_of(&q.questions), FieldErrors::default()));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = QuestionnairePage { nav: Nav::of(auth), ok, desks, desk, own: q.own, lines, errors };
    (status, page).into_response()
}

async fn show(State(s): State<WebState>, jar: CookieJar, uri: Uri, q: Query<DeskQuery>) -> Response {
    let auth = admin!(s, jar, uri);
    let ok = Done { ok: q.ok.clone() }.message();
    render(&s, &auth, q.desk, ok, None).await
}

async fn save(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let desk = fields.get("desk").and_then(|d| d.parse::<i64>().ok()).unwrap_or(0);
    let lines = fields.raw("questions").replace("\r\n", "\n");
    let (q, map) = match parse_lines(&lines) {
        Ok(x) => x,
        Err(errors) => return render(&s, &auth, Some(desk), None, Some((lines, errors))).await,
    };
    match s.app.set_change_questionnaire(&auth.actor, &Ref::Id(desk), Some(q)).await {
        Ok(_) => saved(desk),
        Err(AppError::Invalid(inv)) => {
            let errors = line_errors(&inv.0, &map);
            render(&s, &auth, Some(desk), None, Some((lines, errors))).await
        }
        Err(e) => failed(&auth, e),
    }
}

async fn standard(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let desk = fields.get("desk").and_then(|d| d.parse::<i64>().ok()).unwrap_or(0);
    match s.app.set_change_questionnaire(&auth.actor, &Ref::Id(desk), None).await {
        Ok(_) => saved(desk),
        Err(e) => failed(&auth, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_questionnaire_reads_back_from_its_lines() {
        let standard = Questionnaire::standard();
        let (q, map) = parse_lines(&lines_of(&standard.questions)).expect("reads");
        assert_eq!(q, standard);
        assert_eq!(map[0], (1, vec![2, 3, 4]));
    }

    #[test]
    fn errors_land_on_their_lines() {
        let e = parse_lines("- yes: Yes = 0\ntested: Tested?\n- no: No = lots").expect_err("refused");
        assert_eq!(e.at("questions").len(), 2);
        assert!(e.at("questions")[0].starts_with("line 1: an answer comes after"));
        assert!(e.at("questions")[1].starts_with("line 3: "));
        let (q, map) = parse_lines("Tested: Tested?\n- yes: Yes = 0\n- yes: Again = 200").expect("reads");
        let errors = line_errors(&q.check().expect_err("invalid").0, &map);
        let got = errors.at("questions");
        assert!(got.iter().any(|m| m.starts_with("line 1: a key")), "{got:?}");
        assert!(got.iter().any(|m| m.starts_with("line 3: each option")), "{got:?}");
        assert!(got.iter().any(|m| m.starts_with("line 3: a weight")), "{got:?}");
    }
}
