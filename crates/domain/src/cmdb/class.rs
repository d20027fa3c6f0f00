//! CI classes: a key, a name and the schema of the attributes their items carry. The schema is
//! data (admins add classes and attributes); every write of a CI's attributes is checked
//! against it here.

use crate::validation::{Checks, FieldError, Invalid};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The class whose items are business services: what impact analysis reports as reached and
/// what requesters may see.
pub const BUSINESS_SERVICE: &str = "business_service";

/// The classes every CMDB starts with: key, name and attribute schema (JSON, as an admin would
/// send it).
pub const BUILT_IN_CLASSES: &[(&str, &str, &str)] = &[
    (
        BUSINESS_SERVICE,
        "Business service",
        r#"[{"key":"owner","type":"text"},{"key":"criticality","type":"select","options":["low","medium","high","critical"]},{"key":"description","type":"text"}]"#,
    ),
    (
        "application",
        "Application",
        r#"[{"key":"version","type":"text"},{"key":"vendor","type":"text"},{"key":"url","type":"text"}]"#,
    ),
    (
        "database",
        "Database",
        r#"[{"key":"engine","type":"select","options":["postgresql","mysql","sqlserver","oracle","sqlite","other"]},{"key":"version","type":"text"},{"key":"size_gb","type":"number"}]"#,
    ),
    (
        "server",
        "Server",
        r#"[{"key":"ip_address","type":"ip"},{"key":"os","type":"text"},{"key":"cpu_count","type":"number"},{"key":"memory_gb","type":"number"},{"key":"location","type":"text"},{"key":"purchased_on","type":"date"},{"key":"virtual","type":"bool"}]"#,
    ),
    (
        "virtual_machine",
        "Virtual machine",
        r#"[{"key":"ip_address","type":"ip"},{"key":"os","type":"text"},{"key":"cpu_count","type":"number"},{"key":"memory_gb","type":"number"}]"#,
    ),
    (
        "network_device",
        "Network device",
        r#"[{"key":"ip_address","type":"ip"},{"key":"role","type":"select","options":["switch","router","firewall","load_balancer","access_point","other"]},{"key":"location","type":"text"}]"#,
    ),
    (
        "storage",
        "Storage",
        r#"[{"key":"capacity_tb","type":"number"},{"key":"protocol","type":"select","options":["nfs","smb","iscsi","fc","s3","other"]}]"#,
    ),
    (
        "workstation",
        "Workstation",
        r#"[{"key":"ip_address","type":"ip"},{"key":"os","type":"text"},{"key":"assigned_to","type":"text"}]"#,
    ),
];

/// A class key: lowercase letters, digits and underscores, starting with a letter, at most 40.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ClassKey(String);

impl ClassKey {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let ok = !s.is_empty()
            && s.len() <= 40
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(ClassKey(s.to_string()))
        } else {
            Err(FieldError::new(
                "key",
                "invalid_key",
                "a class key is 1 to 40 lowercase letters, digits or underscores, starting with a letter",
            ))
        }
    }

    /// The key a class name suggests when none is given: `Load balancer` → `load_balancer`.
    pub fn from_name(name: &str) -> Result<Self, FieldError> {
        let mut key = String::new();
        for c in name.trim().chars() {
            if c.is_ascii_alphanumeric() {
                key.push(c.to_ascii_lowercase());
            } else if !key.ends_with('_') && !key.is_empty() {
                key.push('_');
            }
        }
        let key = key.trim_end_matches('_');
        let key: String = key.chars().take(40).collect();
        ClassKey::parse(key.trim_end_matches('_')).map_err(|e| e.at("name"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The type of one attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AttrType {
    Text,
    Number,
    Date,
    Bool,
    Select,
    Ip,
    Reference,
}

impl AttrType {
    pub const ALL: [AttrType; 7] = [
        AttrType::Text,
        AttrType::Number,
        AttrType::Date,
        AttrType::Bool,
        AttrType::Select,
        AttrType::Ip,
        AttrType::Reference,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::Text => "text",
            AttrType::Number => "number",
            AttrType::Date => "date",
            AttrType::Bool => "bool",
            AttrType::Select => "select",
            AttrType::Ip => "ip",
            AttrType::Reference => "reference",
        }
    }

    pub fn parse(raw: &str) -> Option<AttrType> {
        AttrType::ALL.into_iter().find(|t| t.as_str() == raw)
    }
}

/// The longest text attribute value.
pub const MAX_TEXT: usize = 2000;

/// One attribute of a class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttrSpec {
    pub key: String,
    #[serde(rename = "type")]
    pub attr_type: AttrType,
    pub required: bool,
    /// The allowed values of a `select`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// The source whose inventory reports alone may set this attribute (`sccm`, `jamf`); others
    /// are ignored for it, and the reconciliation says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authoritative_source: Option<String>,
}

/// The attribute schema of a class.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(transparent)]
pub struct ClassSchema {
    pub attributes: Vec<AttrSpec>,
}

/// What a valid write of attributes leaves: the values to store, and the CIs named by
/// `reference` attributes (which must exist; the caller checks).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckedAttributes {
    pub values: Map<String, Value>,
    pub references: Vec<(String, i64)>,
}

impl ClassSchema {
    /// Reads a schema as an admin sends it: `[{"key","type","required","options"}]`.
    pub fn parse(v: &Value) -> Result<Self, Invalid> {
        let Some(items) = v.as_array() else {
            return Err(
                FieldError::new("attributes", "invalid", "attributes is a list of attribute definitions").into()
            );
        };
        if items.len() > 100 {
            return Err(FieldError::new("attributes", "too_many", "a class has at most 100 attributes").into());
        }
        let mut checks = Checks::new();
        let mut attributes: Vec<AttrSpec> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = |f: &str| format!("attributes[{i}].{f}");
            let Some(o) = item.as_object() else {
                checks.push(FieldError::new(format!("attributes[{i}]"), "invalid", "an attribute is an object"));
                continue;
            };
            for k in o.keys() {
                if !["key", "type", "required", "options", "authoritative_source", "label"].contains(&k.as_str()) {
                    checks.push(FieldError::new(at(k), "unknown_field", format!("unknown attribute property {k:?}")));
                }
            }
            let key = match o.get("key").and_then(Value::as_str).map(ClassKey::parse) {
                Some(Ok(k)) => Some(k.0),
                _ => {
                    checks.push(FieldError::new(
                        at("key"),
                        "invalid_key",
                        "an attribute key is 1 to 40 lowercase letters, digits or underscores, starting with a letter",
                    ));
                    None
                }
            };
            if let Some(k) = &key {
                if attributes.iter().any(|a| &a.key == k) {
                    checks.push(FieldError::new(at("key"), "duplicate", format!("attribute {k:?} is defined twice")));
                }
            }
            let attr_type = match o.get("type").and_then(Value::as_str).and_then(AttrType::parse) {
                Some(t) => Some(t),
                None => {
                    checks.push(FieldError::new(
                        at("type"),
                        "invalid_type",
                        "type is one of text, number, date, bool, select, ip, reference",
                    ));
                    None
                }
            };
            let required = match o.get("required") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => {
                    checks.push(FieldError::new(at("required"), "invalid", "required is true or false"));
                    false
                }
            };
            let options: Vec<String> = match o.get("options") {
                None | Some(Value::Null) => vec![],
                Some(Value::Array(a)) if a.iter().all(|x| x.as_str().is_some_and(|s| !s.trim().is_empty())) => {
                    a.iter().filter_map(Value::as_str).map(|s| s.trim().to_string()).collect()
                }
                Some(_) => {
                    checks.push(FieldError::new(at("options"), "invalid", "options is a list of non-empty strings"));
                    vec![]
                }
            };
            if attr_type == Some(AttrType::Select) && options.is_empty() {
                checks.push(FieldError::new(at("options"), "required", "a select attribute needs its options"));
            }
            let authoritative_source = match o.get("authoritative_source") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 100 => Some(s.trim().to_string()),
                Some(_) => {
                    checks.push(FieldError::new(
                        at("authoritative_source"),
                        "invalid",
                        "authoritative_source names an inventory source (1 to 100 characters)",
                    ));
                    None
                }
            };
            if let (Some(key), Some(attr_type)) = (key, attr_type) {
                attributes.push(AttrSpec { key, attr_type, required, options, authoritative_source });
            }
        }
        checks.finish()?;
        Ok(ClassSchema { attributes })
    }

    /// A schema as stored (the serialised form of a parsed one); unreadable reads as empty.
    pub fn from_stored(raw: &str) -> ClassSchema {
        serde_json::from_str::<Value>(raw).ok().and_then(|v| ClassSchema::parse(&v).ok()).unwrap_or_default()
    }

    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "[]".into())
    }

    pub fn get(&self, key: &str) -> Option<&AttrSpec> {
        self.attributes.iter().find(|a| a.key == key)
    }

    /// Applies `patch` (attribute → value, `null` removes) to `current` and checks the result:
    /// unknown attributes, values of the wrong type and missing required attributes are each a
    /// field error naming `attributes.<key>`.
    pub fn apply(
        &self,
        current: &Map<String, Value>,
        patch: &Map<String, Value>,
    ) -> Result<CheckedAttributes, Invalid> {
        let mut checks = Checks::new();
        let mut values: Map<String, Value> =
            current.iter().filter(|(k, _)| self.get(k).is_some()).map(|(k, v)| (k.clone(), v.clone())).collect();
        for (key, raw) in patch {
            let field = format!("attributes.{key}");
            let Some(spec) = self.get(key) else {
                checks.push(FieldError::new(
                    field,
                    "unknown_attribute",
                    format!("this class has no attribute {key:?}"),
                ));
                continue;
            };
            if raw.is_null() {
                values.remove(key);
                continue;
            }
            match spec.value(raw) {
                Ok(v) => {
                    values.insert(key.clone(), v);
                }
                Err(message) => checks.push(FieldError::new(field, "invalid_value", message)),
            }
        }
        for spec in &self.attributes {
            if spec.required && !values.contains_key(&spec.key) {
                checks.push(FieldError::new(
                    format!("attributes.{}", spec.key),
                    "required",
                    format!("{} is required for this class", spec.key),
                ));
            }
        }
        checks.finish()?;
        let references = self
            .attributes
            .iter()
            .filter(|a| a.attr_type == AttrType::Reference)
            .filter_map(|a| values.get(&a.key).and_then(Value::as_i64).map(|id| (a.key.clone(), id)))
            .collect();
        Ok(CheckedAttributes { values, references })
    }
}

impl AttrSpec {
    /// The stored form of one value, or why it does not fit this attribute.
    pub fn value(&self, raw: &Value) -> Result<Value, String> {
        match self.attr_type {
            AttrType::Text => match raw.as_str() {
                Some(s) if s.chars().count() <= MAX_TEXT => Ok(Value::String(s.trim().to_string())),
                Some(_) => Err(format!("at most {MAX_TEXT} characters")),
                None => Err("a text value is a string".into()),
            },
            AttrType::Number => match raw.as_f64() {
                Some(n) if n.is_finite() => Ok(raw.clone()),
                _ => Err("a number value is a JSON number".into()),
            },
            AttrType::Date => match raw.as_str().map(|s| s.trim().parse::<jiff::civil::Date>()) {
                Some(Ok(d)) => Ok(Value::String(d.to_string())),
                _ => Err("a date value is a string such as 2026-03-31".into()),
            },
            AttrType::Bool => match raw {
                Value::Bool(_) => Ok(raw.clone()),
                _ => Err("a bool value is true or false".into()),
            },
            AttrType::Select => match raw.as_str().map(str::trim) {
                Some(s) if self.options.iter().any(|o| o == s) => Ok(Value::String(s.to_string())),
                _ => Err(format!("one of {}", self.options.join(", "))),
            },
            AttrType::Ip => match raw.as_str().map(|s| s.trim().parse::<std::net::IpAddr>()) {
                Some(Ok(ip)) => Ok(Value::String(ip.to_string())),
                _ => Err("an IP address such as 10.0.0.12 or 2001:db8::1".into()),
            },
            AttrType::Reference => match raw.as_i64() {
                Some(id) if id > 0 => Ok(Value::from(id)),
                _ => Err("a reference is the id of another configuration item".into()),
            },
        }
    }
}
