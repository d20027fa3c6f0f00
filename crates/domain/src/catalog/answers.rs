//! Answers to a catalog item's form: checked field by field in form order, so a conditional
//! field is judged on the accepted answers of the fields before it. A field that is not shown
//! is neither required nor kept: its answer, if one came, is dropped. The page runs the same
//! rules as the server (see the portal's script), but only the server's verdict counts.

use super::form::{Expected, FieldType, Form, FormField};
use crate::ticket::{check_typed, CustomFieldType};
use crate::validation::{Checks, FieldError, Invalid};
use serde_json::{Map, Value};

const BAD: &str = "invalid_answer";

fn path(key: &str) -> String {
    format!("answers.{key}")
}

/// Whether the accepted answer `answer` satisfies a `show_if` value.
fn satisfies(answer: Option<&Value>, expected: &Expected) -> bool {
    match (answer, expected) {
        (Some(Value::Array(items)), Expected::Text(s)) => items.iter().any(|i| i.as_str() == Some(s)),
        (Some(Value::String(a)), Expected::Text(s)) => a == s,
        (Some(Value::Bool(a)), Expected::Bool(b)) => a == b,
        (Some(Value::Number(a)), Expected::Number(n)) => a.as_f64() == Some(*n),
        _ => false,
    }
}

impl Form {
    /// Whether `f` is shown given the answers accepted so far (of the fields before it).
    pub fn is_shown(f: &FormField, accepted: &Map<String, Value>) -> bool {
        f.show_if.as_ref().is_none_or(|s| satisfies(accepted.get(&s.field), &s.equals))
    }

    /// Checks `answers` against the form: unknown keys are refused, shown fields are checked
    /// and required, hidden fields' answers are dropped. Returns the answers kept, normalised;
    /// every error names `answers.<key>`.
    pub fn check_answers(&self, answers: &Map<String, Value>) -> Result<Map<String, Value>, Invalid> {
        let mut c = Checks::new();
        for key in answers.keys().filter(|k| self.field(k).is_none()) {
            c.push(FieldError::new(path(key), "unknown_field", "this form has no such field"));
        }
        let mut accepted = Map::new();
        for f in &self.fields {
            if !Form::is_shown(f, &accepted) {
                continue;
            }
            let raw = match answers.get(&f.key) {
                None => &Value::Null,
                Some(Value::String(s)) if s.trim().is_empty() => &Value::Null,
                Some(v) => v,
            };
            match c.take(check_one(f, raw)) {
                Some(Value::Null) | None => {}
                Some(v) => {
                    accepted.insert(f.key.clone(), v);
                }
            }
        }
        c.finish()?;
        Ok(accepted)
    }
}

/// One shown field's answer, normalised; `Null` when there is none (and none is required).
fn check_one(f: &FormField, raw: &Value) -> Result<Value, FieldError> {
    let field = path(&f.key);
    let bad = |m: String| FieldError::new(field.clone(), BAD, m);
    let typed = |t: CustomFieldType| check_typed(t, &f.options, f.required, raw, &field, BAD);
    match f.field_type {
        FieldType::Text | FieldType::Textarea => {
            let v = typed(CustomFieldType::Text)?;
            let Some(s) = v.as_str() else { return Ok(v) };
            let n = s.chars().count();
            if n > f.text_limit() {
                return Err(bad(format!("at most {} characters", f.text_limit())));
            }
            if f.min_length.is_some_and(|m| n < m as usize) {
                return Err(bad(format!("at least {} characters", f.min_length.unwrap_or(0))));
            }
            let one_line = f.field_type == FieldType::Text;
            if s.chars().any(|ch| ch == '\0' || one_line && ch.is_control()) {
                return Err(bad(if one_line { "one line of text".into() } else { "text without NUL".into() }));
            }
            Ok(v)
        }
        FieldType::Number => {
            let v = typed(CustomFieldType::Number)?;
            if let Some(n) = v.as_f64() {
                if f.min.is_some_and(|m| n < m) {
                    return Err(bad(format!("at least {}", f.min.unwrap_or_default())));
                }
                if f.max.is_some_and(|m| n > m) {
                    return Err(bad(format!("at most {}", f.max.unwrap_or_default())));
                }
            }
            Ok(v)
        }
        FieldType::Date => typed(CustomFieldType::Date),
        FieldType::Select => typed(CustomFieldType::Select),
        FieldType::Multiselect => {
            let v = typed(CustomFieldType::MultiSelect)?;
            // An empty choice is no answer.
            Ok(if v.as_array().is_some_and(Vec::is_empty) { Value::Null } else { v })
        }
        FieldType::User => typed(CustomFieldType::User),
        FieldType::Checkbox => {
            let v = typed(CustomFieldType::Boolean)?;
            if f.required && v != Value::Bool(true) {
                return Err(FieldError::new(field, "required", "tick this box to go on"));
            }
            Ok(v)
        }
        FieldType::Attachment => match raw {
            Value::Null if f.required => Err(FieldError::new(field, "required", "attach a file")),
            Value::Null => Ok(Value::Null),
            v => match v.as_i64() {
                Some(id) if id > 0 => Ok(Value::from(id)),
                _ => Err(bad("expected the id of an attached file".into())),
            },
        },
    }
}

/// How an answer reads to people, for every type but users (whose names the application
/// looks up).
pub fn display(f: &FormField, v: &Value) -> String {
    match (f.field_type, v) {
        (FieldType::Checkbox, Value::Bool(b)) => if *b { "Yes" } else { "No" }.into(),
        (FieldType::Multiselect, Value::Array(items)) => {
            items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")
        }
        (FieldType::Attachment, v) => format!("file #{v}"),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Null) => String::new(),
        (_, other) => other.to_string(),
    }
}
