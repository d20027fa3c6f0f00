//! Risk: a desk's questionnaire of weighted answers, the reach of the affected CIs in the
//! CMDB (business services and their users), and the desk's own history with this template
//! and these CIs give a score from 0 to 100 and a class. Every factor says how many points it
//! gave and why, so a CAB can see what made a change risky.
//!
//! The split: the answers give up to 60 points (their share of the highest possible weights),
//! the services reached up to 15, the users of those services up to 15, the history up to
//! 10. A question left unanswered counts at its highest weight: an unknown is a risk.

use super::RiskClass;
use crate::validation::{Checks, FieldError, Invalid};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

const ANSWER_POINTS: u32 = 60;
const MAX_QUESTIONS: usize = 50;
const MAX_OPTIONS: usize = 20;

/// One answer a question offers, with its weight (0 is no risk).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerOption {
    pub value: String,
    pub label: String,
    #[schema(maximum = 100)]
    pub weight: u32,
}

/// A question of the risk questionnaire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The key answers are given under (`risk_answers.<key>`).
    pub key: String,
    pub text: String,
    pub options: Vec<AnswerOption>,
}

/// A desk's risk questionnaire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    pub questions: Vec<Question>,
}

fn opt(value: &str, label: &str, weight: u32) -> AnswerOption {
    AnswerOption { value: value.into(), label: label.into(), weight }
}

fn question(key: &str, text: &str, options: Vec<AnswerOption>) -> Question {
    Question { key: key.into(), text: text.into(), options }
}

impl Questionnaire {
    /// The questionnaire a desk has until an admin writes its own.
    pub fn standard() -> Questionnaire {
        Questionnaire {
            questions: vec![
                question(
                    "tested",
                    "Has the change been tested in a non-production environment?",
                    vec![opt("yes", "Yes, fully", 0), opt("partly", "Partly", 5), opt("no", "No", 10)],
                ),
                question(
                    "outage",
                    "Does implementing it need an outage?",
                    vec![
                        opt("none", "No outage", 0),
                        opt("short", "Under an hour", 5),
                        opt("long", "An hour or more", 10),
                    ],
                ),
                question(
                    "backout",
                    "How hard is it to back out?",
                    vec![
                        opt("easy", "Easy and quick", 0),
                        opt("hard", "Hard or slow", 6),
                        opt("impossible", "Impossible", 10),
                    ],
                ),
                question(
                    "experience",
                    "Has this team made this change before?",
                    vec![opt("often", "Often", 0), opt("once", "Once or twice", 4), opt("never", "Never", 8)],
                ),
            ],
        }
    }

    /// Checks a questionnaire as an admin writes it; errors name `questions[i].options[j]`.
    pub fn check(&self) -> Result<(), Invalid> {
        let mut c = Checks::new();
        if self.questions.len() > MAX_QUESTIONS {
            c.push(FieldError::new("questions", "too_many", format!("at most {MAX_QUESTIONS} questions")));
        }
        let mut keys = Vec::new();
        for (i, q) in self.questions.iter().enumerate() {
            let at = format!("questions[{i}]");
            if !is_key(&q.key) {
                c.push(FieldError::new(format!("{at}.key"), "invalid_key", "a key has 1 to 64 of a-z, 0-9 and _"));
            } else if keys.contains(&q.key.as_str()) {
                c.push(FieldError::new(format!("{at}.key"), "duplicate", "each question has its own key"));
            }
            keys.push(q.key.as_str());
            if q.text.trim().is_empty() || q.text.chars().count() > 500 {
                c.push(FieldError::new(format!("{at}.text"), "invalid", "the question has 1 to 500 characters"));
            }
            if q.options.is_empty() || q.options.len() > MAX_OPTIONS {
                c.push(FieldError::new(
                    format!("{at}.options"),
                    "invalid",
                    format!("a question has 1 to {MAX_OPTIONS} options"),
                ));
            }
            let mut values = Vec::new();
            for (j, o) in q.options.iter().enumerate() {
                let at = format!("{at}.options[{j}]");
                if !is_key(&o.value) {
                    c.push(FieldError::new(
                        format!("{at}.value"),
                        "invalid_key",
                        "a value has 1 to 64 of a-z, 0-9 and _",
                    ));
                } else if values.contains(&o.value.as_str()) {
                    c.push(FieldError::new(format!("{at}.value"), "duplicate", "each option has its own value"));
                }
                values.push(o.value.as_str());
                if o.label.trim().is_empty() || o.label.chars().count() > 200 {
                    c.push(FieldError::new(format!("{at}.label"), "invalid", "the label has 1 to 200 characters"));
                }
                if o.weight > 100 {
                    c.push(FieldError::new(format!("{at}.weight"), "out_of_range", "a weight is 0 to 100"));
                }
            }
        }
        c.finish()
    }

    /// Checks a change's answers against the questions: each key a question, each value one
    /// of its options. Errors name `<field>.<key>`.
    pub fn check_answers(
        &self,
        answers: &Map<String, Value>,
        field: &str,
    ) -> Result<BTreeMap<String, String>, Invalid> {
        let mut c = Checks::new();
        let mut out = BTreeMap::new();
        for (key, v) in answers {
            let at = format!("{field}.{key}");
            let Some(q) = self.questions.iter().find(|q| &q.key == key) else {
                let known: Vec<&str> = self.questions.iter().map(|q| q.key.as_str()).collect();
                c.push(FieldError::new(at, "unknown_question", format!("the questions are {}", known.join(", "))));
                continue;
            };
            match v {
                Value::Null => {}
                Value::String(s) if q.options.iter().any(|o| o.value == *s) => {
                    out.insert(key.clone(), s.clone());
                }
                _ => {
                    let values: Vec<&str> = q.options.iter().map(|o| o.value.as_str()).collect();
                    c.push(FieldError::new(
                        at,
                        "invalid_answer",
                        format!("the answer is one of {}", values.join(", ")),
                    ));
                }
            }
        }
        c.finish()?;
        Ok(out)
    }
}

fn is_key(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// What the CMDB says the affected CIs reach (downstream, within the impact depth).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImpactFacts {
    pub services: u32,
    pub users: u32,
}

/// The desk's history with similar changes: those of the same template or on any of the
/// same CIs, finished before this one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoryFacts {
    pub similar: u32,
    /// Of those, how many failed or caused an incident.
    pub troubled: u32,
}

/// One contribution to a risk score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RiskFactor {
    /// `answers`, `services`, `users` or `history`.
    pub factor: String,
    pub points: u32,
    pub detail: String,
}

/// A change's risk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Risk {
    /// 0 to 100.
    pub score: u32,
    pub class: RiskClass,
    pub factors: Vec<RiskFactor>,
}

/// Scores a change. `answers` were checked with [`Questionnaire::check_answers`].
pub fn assess(
    q: &Questionnaire,
    answers: &BTreeMap<String, String>,
    impact: ImpactFacts,
    history: HistoryFacts,
) -> Risk {
    let mut factors = Vec::new();

    let mut most = 0u32;
    let mut given = 0u32;
    let mut unanswered = Vec::new();
    for question in &q.questions {
        let max = question.options.iter().map(|o| o.weight).max().unwrap_or(0);
        most += max;
        match answers.get(&question.key).and_then(|a| question.options.iter().find(|o| &o.value == a)) {
            Some(o) => given += o.weight,
            None => {
                given += max;
                unanswered.push(question.key.as_str());
            }
        }
    }
    let answer_points = (given * ANSWER_POINTS + most / 2).checked_div(most).unwrap_or(0);
    let mut detail = format!("{given} of {most} questionnaire weight");
    if !unanswered.is_empty() {
        detail.push_str(&format!("; unanswered, counted at their highest weight: {}", unanswered.join(", ")));
    }
    factors.push(RiskFactor { factor: "answers".into(), points: answer_points, detail });

    let service_points = match impact.services {
        0 => 0,
        1 => 5,
        2..=4 => 10,
        _ => 15,
    };
    factors.push(RiskFactor {
        factor: "services".into(),
        points: service_points,
        detail: format!("{} business service(s) depend on the affected CIs", impact.services),
    });
    let user_points = match impact.users {
        0 => 0,
        1..=99 => 5,
        100..=999 => 10,
        _ => 15,
    };
    factors.push(RiskFactor {
        factor: "users".into(),
        points: user_points,
        detail: format!("{} user(s) of those services", impact.users),
    });

    let history_points = (history.troubled * 10 + history.similar / 2).checked_div(history.similar).unwrap_or(0);
    let detail = if history.similar == 0 {
        "no earlier change of this template or on these CIs".to_string()
    } else {
        format!(
            "{} of {} earlier change(s) of this template or on these CIs failed or caused an incident",
            history.troubled, history.similar
        )
    };
    factors.push(RiskFactor { factor: "history".into(), points: history_points.min(10), detail });

    let score = factors.iter().map(|f| f.points).sum::<u32>().min(100);
    Risk { score, class: RiskClass::of_score(score), factors }
}
