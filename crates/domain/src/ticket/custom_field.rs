//! Custom fields, defined per service desk and ticket kind, validated on every write.

use crate::validation::{Checks, FieldError, Invalid};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomFieldType {
    Text,
    Number,
    Date,
    Select,
    MultiSelect,
    /// A user id; the application checks that the user exists.
    User,
    Boolean,
}

impl CustomFieldType {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        serde_json::from_value(Value::String(raw.trim().to_ascii_lowercase())).map_err(|_| {
            FieldError::new(
                "field_type",
                "invalid_field_type",
                "field_type is one of text, number, date, select, multi_select, user, boolean",
            )
        })
    }
}

/// One custom field of a desk and kind. `key` is what API clients and the query language use
/// (`cf.cost`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldDef {
    pub key: String,
    pub label: String,
    pub field_type: CustomFieldType,
    #[serde(default)]
    pub required: bool,
    /// The choices of a select or multi-select.
    #[serde(default)]
    pub options: Vec<String>,
}

const MAX_TEXT: usize = 10_000;

impl CustomFieldDef {
    /// Checks a definition itself (as an admin writes it).
    pub fn validate_definition(&self) -> Result<(), Invalid> {
        let mut c = Checks::new();
        let key_ok = !self.key.is_empty()
            && self.key.len() <= 40
            && self.key.starts_with(|ch: char| ch.is_ascii_lowercase())
            && self.key.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
        if !key_ok {
            c.push(FieldError::new(
                "key",
                "invalid_key",
                "a key is 1-40 lowercase letters, digits or _ and starts with a letter",
            ));
        }
        if self.label.trim().is_empty() || self.label.chars().count() > 120 {
            c.push(FieldError::new("label", "invalid_label", "a label is 1 to 120 characters"));
        }
        let choosy = matches!(self.field_type, CustomFieldType::Select | CustomFieldType::MultiSelect);
        if choosy && (self.options.is_empty() || self.options.len() > 500) {
            c.push(FieldError::new("options", "options_required", "a select field has 1 to 500 options"));
        }
        if !choosy && !self.options.is_empty() {
            c.push(FieldError::new("options", "options_not_allowed", "only select fields have options"));
        }
        c.finish()
    }

    /// Normalises and checks one value. `null` clears the field (refused when required).
    pub fn check(&self, value: &Value) -> Result<Value, FieldError> {
        let field = format!("custom_fields.{}", self.key);
        check_typed(self.field_type, &self.options, self.required, value, &field, "invalid_custom_field")
    }

    /// Applies `changes` to `current` under `defs`: unknown keys are refused, every given value
    /// is checked, and required fields must end up set. Returns the new set of values.
    pub fn apply_all(
        defs: &[CustomFieldDef],
        current: &Map<String, Value>,
        changes: &Map<String, Value>,
    ) -> Result<Map<String, Value>, Invalid> {
        let mut c = Checks::new();
        let mut out = current.clone();
        for (key, value) in changes {
            match defs.iter().find(|d| &d.key == key) {
                None => c.push(FieldError::new(
                    format!("custom_fields.{key}"),
                    "unknown_custom_field",
                    "no such custom field here",
                )),
                Some(def) => {
                    if let Some(v) = c.take(def.check(value)) {
                        if v.is_null() {
                            out.remove(key);
                        } else {
                            out.insert(key.clone(), v);
                        }
                    }
                }
            }
        }
        for def in defs.iter().filter(|d| d.required) {
            if !out.contains_key(&def.key) && !changes.contains_key(&def.key) {
                c.push(FieldError::new(format!("custom_fields.{}", def.key), "required", "this field is required"));
            }
        }
        c.finish()?;
        Ok(out)
    }
}

/// Normalises and checks one value of a typed field (a desk's custom field, a catalog form's
/// answer): `null` is refused when `required`; a wrong value is a `bad_code` error on `field`.
pub(crate) fn check_typed(
    field_type: CustomFieldType,
    options: &[String],
    required: bool,
    value: &Value,
    field: &str,
    bad_code: &'static str,
) -> Result<Value, FieldError> {
    let bad = |m: &str| FieldError::new(field, bad_code, m.to_string());
    if value.is_null() {
        return if required {
            Err(FieldError::new(field, "required", "this field is required"))
        } else {
            Ok(Value::Null)
        };
    }
    match field_type {
        CustomFieldType::Text => match value.as_str() {
            Some(s) if s.chars().count() <= MAX_TEXT => Ok(Value::String(s.to_string())),
            Some(_) => Err(bad("text has at most 10000 characters")),
            None => Err(bad("expected text")),
        },
        CustomFieldType::Number => match value.as_f64() {
            Some(n) if n.is_finite() => Ok(value.clone()),
            _ => Err(bad("expected a number")),
        },
        CustomFieldType::Date => match value.as_str().map(str::parse::<jiff::civil::Date>) {
            Some(Ok(d)) => Ok(Value::String(d.to_string())),
            _ => Err(bad("expected a date as YYYY-MM-DD")),
        },
        CustomFieldType::Select => match value.as_str() {
            Some(s) if options.iter().any(|o| o == s) => Ok(Value::String(s.to_string())),
            _ => Err(bad(&format!("expected one of: {}", options.join(", ")))),
        },
        CustomFieldType::MultiSelect => {
            let Some(items) = value.as_array() else { return Err(bad("expected a list of options")) };
            let mut out: Vec<String> = Vec::new();
            for item in items {
                match item.as_str() {
                    Some(s) if options.iter().any(|o| o == s) => {
                        if !out.iter().any(|o| o == s) {
                            out.push(s.to_string());
                        }
                    }
                    _ => return Err(bad(&format!("each item is one of: {}", options.join(", ")))),
                }
            }
            if required && out.is_empty() {
                return Err(FieldError::new(field, "required", "choose at least one option"));
            }
            Ok(Value::Array(out.into_iter().map(Value::String).collect()))
        }
        CustomFieldType::User => match value.as_i64() {
            Some(id) if id > 0 => Ok(Value::from(id)),
            _ => Err(bad("expected a user id")),
        },
        CustomFieldType::Boolean => match value.as_bool() {
            Some(b) => Ok(Value::Bool(b)),
            None => Err(bad("expected true or false")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(key: &str, t: CustomFieldType, required: bool, options: &[&str]) -> CustomFieldDef {
        CustomFieldDef {
            key: key.into(),
            label: key.into(),
            field_type: t,
            required,
            options: options.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn each_type_checks_its_values() {
        assert_eq!(def("a", CustomFieldType::Text, false, &[]).check(&json!("<b>x</b>")).unwrap(), json!("<b>x</b>"));
        assert!(def("a", CustomFieldType::Text, false, &[]).check(&json!(5)).is_err());
        assert!(def("n", CustomFieldType::Number, false, &[]).check(&json!(2.5)).is_ok());
        assert!(def("n", CustomFieldType::Number, false, &[]).check(&json!("2")).is_err());
        assert_eq!(
            def("d", CustomFieldType::Date, false, &[]).check(&json!("2026-02-28")).unwrap(),
            json!("2026-02-28")
        );
        assert!(def("d", CustomFieldType::Date, false, &[]).check(&json!("2026-02-30")).is_err());
        let s = def("s", CustomFieldType::Select, false, &["a", "b"]);
        assert!(s.check(&json!("a")).is_ok());
        assert!(s.check(&json!("c")).is_err());
        let m = def("m", CustomFieldType::MultiSelect, false, &["a", "b"]);
        assert_eq!(m.check(&json!(["b", "a", "b"])).unwrap(), json!(["b", "a"]));
        assert!(m.check(&json!(["x"])).is_err());
        assert!(def("u", CustomFieldType::User, false, &[]).check(&json!(12)).is_ok());
        assert!(def("u", CustomFieldType::User, false, &[]).check(&json!(-1)).is_err());
        assert!(def("b", CustomFieldType::Boolean, false, &[]).check(&json!(true)).is_ok());
        assert!(def("b", CustomFieldType::Boolean, true, &[]).check(&json!(null)).is_err());
    }

    #[test]
    fn applying_refuses_unknown_and_enforces_required() {
        let defs =
            vec![def("cost", CustomFieldType::Number, true, &[]), def("note", CustomFieldType::Text, false, &[])];
        let empty = Map::new();
        let changes = json!({"note": "x", "bogus": 1}).as_object().unwrap().clone();
        let err = CustomFieldDef::apply_all(&defs, &empty, &changes).unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["custom_fields.bogus", "custom_fields.cost"]);
        let ok = CustomFieldDef::apply_all(&defs, &empty, json!({"cost": 3}).as_object().unwrap()).unwrap();
        assert_eq!(Value::Object(ok.clone()), json!({"cost": 3}));
        let cleared = CustomFieldDef::apply_all(&defs, &ok, json!({"note": null}).as_object().unwrap()).unwrap();
        assert_eq!(Value::Object(cleared), json!({"cost": 3}));
    }

    #[test]
    fn definitions_are_checked() {
        assert!(def("cost", CustomFieldType::Number, false, &[]).validate_definition().is_ok());
        assert!(def("Bad Key", CustomFieldType::Number, false, &[]).validate_definition().is_err());
        assert!(def("s", CustomFieldType::Select, false, &[]).validate_definition().is_err());
        assert!(def("t", CustomFieldType::Text, false, &["x"]).validate_definition().is_err());
        assert_eq!(CustomFieldType::parse("multi_select").unwrap(), CustomFieldType::MultiSelect);
    }
}
