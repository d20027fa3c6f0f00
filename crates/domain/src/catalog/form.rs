//! A catalog item's form as an admin defines it: typed fields in order, required ones,
//! choices, validation rules, and fields shown only when an earlier field has a given value.
//! The definition is checked when it is written, so ordering never meets a broken form.

use crate::validation::{Checks, FieldError, Invalid};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// At most this many fields in one form, and this many choices in one select.
pub const MAX_FIELDS: usize = 100;
const MAX_OPTIONS: usize = 500;
/// The longest text answer (a textarea); one-line text answers are shorter.
pub const MAX_TEXTAREA: usize = 10_000;
pub const MAX_TEXT: usize = 1_000;

/// What kind of answer a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = CatalogFieldType)]
pub enum FieldType {
    /// One line of text.
    Text,
    /// Several lines of text.
    Textarea,
    Number,
    /// `YYYY-MM-DD`.
    Date,
    /// One of `options`.
    Select,
    /// A list of `options`.
    Multiselect,
    /// `true` or `false`; a required checkbox must be ticked.
    Checkbox,
    /// An active user's id.
    User,
    /// The id of a file attached to the request.
    Attachment,
}

/// A value a `show_if` compares with: text (a select's option), a number, or true/false.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
#[schema(as = CatalogShowIfValue)]
pub enum Expected {
    Bool(bool),
    Number(f64),
    Text(String),
}

impl Expected {
    pub fn to_json(&self) -> Value {
        match self {
            Expected::Bool(b) => Value::Bool(*b),
            Expected::Number(n) => serde_json::Number::from_f64(*n).map(Value::Number).unwrap_or(Value::Null),
            Expected::Text(s) => Value::String(s.clone()),
        }
    }
}

/// Show (and require) a field only when an earlier field's answer equals a value; for a
/// multiselect, when its answer contains the value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CatalogShowIf)]
pub struct ShowIf {
    /// The key of an earlier field of the same form.
    pub field: String,
    pub equals: Expected,
}

/// One field of a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CatalogFormField)]
pub struct FormField {
    /// Names the answer: `answers.<key>`. 1-40 lowercase letters, digits or `_`, starting
    /// with a letter; unique in the form.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,39}$")]
    pub key: String,
    #[schema(min_length = 1, max_length = 200)]
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    #[serde(default)]
    pub required: bool,
    /// The choices of a select or multiselect (1 to 500, distinct).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<ShowIf>,
    /// A hint shown under the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500)]
    pub help: Option<String>,
    /// Numbers: the smallest allowed answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Numbers: the largest allowed answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Text: the fewest characters of an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    /// Text: the most characters of an answer (at most 1000 for text, 10000 for a textarea).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
}

impl FormField {
    fn is_choice(&self) -> bool {
        matches!(self.field_type, FieldType::Select | FieldType::Multiselect)
    }

    fn is_text(&self) -> bool {
        matches!(self.field_type, FieldType::Text | FieldType::Textarea)
    }

    /// The most characters a text answer may have.
    pub fn text_limit(&self) -> usize {
        let cap = if self.field_type == FieldType::Textarea { MAX_TEXTAREA } else { MAX_TEXT };
        self.max_length.map_or(cap, |m| (m as usize).min(cap))
    }
}

/// A checked form: its fields in the order they are shown.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(transparent)]
pub struct Form {
    pub fields: Vec<FormField>,
}

pub(crate) fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 40
        && key.starts_with(|ch: char| ch.is_ascii_lowercase())
        && key.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
}

fn one_line(s: &str) -> bool {
    !s.trim().is_empty() && !s.chars().any(char::is_control)
}

impl Form {
    /// Reads a form definition (a JSON list of fields) and checks it; errors name
    /// `form[i].<field>`.
    pub fn parse(v: &Value) -> Result<Form, Invalid> {
        let Some(items) = v.as_array() else {
            return Err(FieldError::new("form", "invalid_form", "form is a list of fields").into());
        };
        if items.len() > MAX_FIELDS {
            return Err(FieldError::new("form", "too_many", format!("at most {MAX_FIELDS} fields")).into());
        }
        let mut c = Checks::new();
        let mut fields = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match serde_json::from_value::<FormField>(item.clone()) {
                Ok(f) => fields.push(f),
                Err(e) => c.push(FieldError::new(format!("form[{i}]"), "invalid_field", e.to_string())),
            }
        }
        c.finish()?;
        let form = Form { fields };
        form.check()?;
        Ok(form)
    }

    /// Reads a form that was checked when it was written.
    pub fn from_stored(v: &Value) -> Result<Form, Invalid> {
        Form::parse(v)
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(&self.fields).unwrap_or(Value::Array(vec![]))
    }

    pub fn field(&self, key: &str) -> Option<&FormField> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// Checks the definition: keys, labels, choices, rules, and that each `show_if` names an
    /// earlier field with a value that field can take.
    fn check(&self) -> Result<(), Invalid> {
        let mut c = Checks::new();
        for (i, f) in self.fields.iter().enumerate() {
            let at = |name: &str| format!("form[{i}].{name}");
            if !valid_key(&f.key) {
                c.push(FieldError::new(
                    at("key"),
                    "invalid_key",
                    "a key is 1-40 lowercase letters, digits or _ and starts with a letter",
                ));
            } else if self.fields[..i].iter().any(|g| g.key == f.key) {
                c.push(FieldError::new(at("key"), "duplicate_key", format!("{} is used by an earlier field", f.key)));
            }
            if !one_line(&f.label) || f.label.chars().count() > 200 {
                c.push(FieldError::new(at("label"), "invalid_label", "a label is one line of 1 to 200 characters"));
            }
            if f.help.as_deref().is_some_and(|h| h.chars().count() > 500 || h.contains('\0')) {
                c.push(FieldError::new(at("help"), "too_long", "help has at most 500 characters"));
            }
            if f.is_choice() {
                if f.options.is_empty() || f.options.len() > MAX_OPTIONS {
                    c.push(FieldError::new(at("options"), "options_required", "a select has 1 to 500 options"));
                }
                for (j, o) in f.options.iter().enumerate() {
                    if !one_line(o) || o.chars().count() > 200 {
                        c.push(FieldError::new(
                            format!("form[{i}].options[{j}]"),
                            "invalid_option",
                            "1 to 200 characters, one line",
                        ));
                    } else if f.options[..j].contains(o) {
                        c.push(FieldError::new(
                            format!("form[{i}].options[{j}]"),
                            "duplicate_option",
                            "options are distinct",
                        ));
                    }
                }
            } else if !f.options.is_empty() {
                c.push(FieldError::new(at("options"), "options_not_allowed", "only selects have options"));
            }
            let number = f.field_type == FieldType::Number;
            for (name, v) in [("min", f.min), ("max", f.max)] {
                match v {
                    Some(_) if !number => {
                        c.push(FieldError::new(at(name), "not_applicable", "only numbers have min and max"))
                    }
                    Some(x) if !x.is_finite() => c.push(FieldError::new(at(name), "invalid", "a finite number")),
                    _ => {}
                }
            }
            if let (Some(lo), Some(hi)) = (f.min, f.max) {
                if lo > hi {
                    c.push(FieldError::new(at("max"), "below_min", "max is at least min"));
                }
            }
            for (name, v) in [("min_length", f.min_length), ("max_length", f.max_length)] {
                if v.is_some() && !f.is_text() {
                    c.push(FieldError::new(at(name), "not_applicable", "only text fields have lengths"));
                }
            }
            if let (Some(lo), Some(hi)) = (f.min_length, f.max_length) {
                if lo > hi {
                    c.push(FieldError::new(at("max_length"), "below_min", "max_length is at least min_length"));
                }
            }
            if let Some(s) = &f.show_if {
                match self.fields[..i].iter().find(|g| g.key == s.field) {
                    None => c.push(FieldError::new(
                        at("show_if.field"),
                        "unknown_field",
                        "show_if names an earlier field of this form",
                    )),
                    Some(g) => {
                        if !can_equal(g, &s.equals) {
                            c.push(FieldError::new(
                                at("show_if.equals"),
                                "impossible_value",
                                format!("{} never has this value", g.key),
                            ));
                        }
                    }
                }
            }
        }
        c.finish()
    }
}

/// Whether an answer of `f` can ever equal (or, for a multiselect, contain) `v`.
fn can_equal(f: &FormField, v: &Expected) -> bool {
    match (f.field_type, v) {
        (FieldType::Select | FieldType::Multiselect, Expected::Text(s)) => f.options.contains(s),
        (FieldType::Checkbox, Expected::Bool(_)) => true,
        (FieldType::Number, Expected::Number(_)) => true,
        (FieldType::Text | FieldType::Textarea | FieldType::Date, Expected::Text(_)) => true,
        (FieldType::User | FieldType::Attachment, Expected::Number(n)) => *n >= 1.0 && n.fract() == 0.0,
        _ => false,
    }
}
