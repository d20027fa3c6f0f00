//! Kind-specific fields: the detail record a kind keeps beside the ticket core (a problem's
//! root cause and workaround, later a change's plan and schedule). A kind declares its fields;
//! this module validates a patch against the declaration and the kind's own cross-field rule.

use crate::validation::{Checks, FieldError, Invalid};
use serde::Serialize;
use serde_json::{Map, Value};

/// One field of a kind's detail record.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct DetailField {
    pub name: &'static str,
    pub label: &'static str,
    #[serde(rename = "type")]
    pub field_type: DetailType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DetailType {
    /// Free text of at most `max` characters.
    Text { max: usize },
    /// A yes/no flag (absent means no).
    Flag,
    /// One of a fixed list of values (absent means none chosen yet).
    Choice { options: &'static [&'static str] },
}

/// A rule across a detail record's fields; names the field to blame.
pub type DetailRule = fn(&Map<String, Value>) -> Result<(), FieldError>;

/// A kind's detail record: its fields and a rule across them.
#[derive(Debug, Clone, Copy)]
pub struct DetailSpec {
    pub fields: &'static [DetailField],
    /// Checked on the merged record after every change; names the field to blame.
    pub rule: Option<DetailRule>,
}

impl DetailSpec {
    pub const NONE: DetailSpec = DetailSpec { fields: &[], rule: None };

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The record with every declared field present (absent text as null, flags as false), so
    /// clients always see the same shape.
    pub fn complete(&self, stored: &Map<String, Value>) -> Map<String, Value> {
        self.fields
            .iter()
            .map(|f| {
                let v = stored.get(f.name).cloned().unwrap_or(match f.field_type {
                    DetailType::Flag => Value::Bool(false),
                    DetailType::Text { .. } | DetailType::Choice { .. } => Value::Null,
                });
                (f.name.to_string(), v)
            })
            .collect()
    }

    /// Applies `patch` (field → value, `null` clears) to `current`, validating each field.
    pub fn apply(
        &self,
        current: &Map<String, Value>,
        patch: &Map<String, Value>,
    ) -> Result<Map<String, Value>, Invalid> {
        let mut c = Checks::new();
        let mut out = self.complete(current);
        for (key, value) in patch {
            let path = format!("detail.{key}");
            let Some(f) = self.fields.iter().find(|f| f.name == key) else {
                let known: Vec<&str> = self.fields.iter().map(|f| f.name).collect();
                let msg = if known.is_empty() {
                    "this kind has no detail fields".to_string()
                } else {
                    format!("unknown detail field; this kind has {}", known.join(", "))
                };
                c.push(FieldError::new(path, "unknown_field", msg));
                continue;
            };
            match (f.field_type, value) {
                (DetailType::Text { .. }, Value::Null) => {
                    out.insert(key.clone(), Value::Null);
                }
                (DetailType::Text { max }, Value::String(s)) => {
                    let s = s.trim();
                    if s.chars().count() > max {
                        c.push(FieldError::new(path, "too_long", format!("{key} has at most {max} characters")));
                    } else if s.contains('\0') {
                        c.push(FieldError::new(path, "invalid_characters", format!("{key} contains a NUL character")));
                    } else {
                        out.insert(key.clone(), if s.is_empty() { Value::Null } else { Value::String(s.into()) });
                    }
                }
                (DetailType::Flag, Value::Bool(b)) => {
                    out.insert(key.clone(), Value::Bool(*b));
                }
                (DetailType::Flag, Value::Null) => {
                    out.insert(key.clone(), Value::Bool(false));
                }
                (DetailType::Choice { .. }, Value::Null) => {
                    out.insert(key.clone(), Value::Null);
                }
                (DetailType::Choice { options }, Value::String(s)) if options.contains(&s.trim()) => {
                    out.insert(key.clone(), Value::String(s.trim().into()));
                }
                (DetailType::Choice { options }, _) => {
                    c.push(FieldError::new(path, "invalid_choice", format!("{key} is one of {}", options.join(", "))))
                }
                (DetailType::Text { .. }, _) => c.push(FieldError::new(path, "invalid_type", format!("{key} is text"))),
                (DetailType::Flag, _) => {
                    c.push(FieldError::new(path, "invalid_type", format!("{key} is true or false")))
                }
            }
        }
        c.finish()?;
        if let Some(rule) = self.rule {
            rule(&out)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SPEC: DetailSpec = DetailSpec {
        fields: &[
            DetailField { name: "note", label: "Note", field_type: DetailType::Text { max: 5 } },
            DetailField { name: "flag", label: "Flag", field_type: DetailType::Flag },
        ],
        rule: None,
    };

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_patch_is_validated_field_by_field() {
        let out = SPEC.apply(&Map::new(), &map(json!({"note": " hi ", "flag": true}))).unwrap();
        assert_eq!(Value::Object(out), json!({"note": "hi", "flag": true}));
        let e = SPEC.apply(&Map::new(), &map(json!({"note": "too long", "flag": "yes", "other": 1}))).unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|x| (x.field.as_str(), x.code)).collect();
        assert!(fields.contains(&("detail.note", "too_long")), "{fields:?}");
        assert!(fields.contains(&("detail.flag", "invalid_type")), "{fields:?}");
        assert!(fields.contains(&("detail.other", "unknown_field")), "{fields:?}");
    }

    #[test]
    fn null_clears_and_absent_fields_keep_their_value() {
        let current = map(json!({"note": "abc", "flag": true}));
        let out = SPEC.apply(&current, &map(json!({"note": null}))).unwrap();
        assert_eq!(Value::Object(out), json!({"note": null, "flag": true}));
        assert_eq!(Value::Object(SPEC.complete(&Map::new())), json!({"note": null, "flag": false}));
    }
}
