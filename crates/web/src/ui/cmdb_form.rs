//! What the CMDB forms share: attributes typed as `key=value` lines and turned into the JSON
//! values the class schema expects (the application layer still checks them), the field errors
//! it answers mapped to the form's boxes, and a CI named by id or by a search.

use super::form::FieldErrors;
use opsdesk_app::cmdb::{AttributeView, ClassView, ListCis};
use opsdesk_app::{App, AppError};
use opsdesk_domain::cmdb::AttrType;
use opsdesk_domain::{Actor, FieldError};
use serde_json::{Map, Value};

/// Attribute values as `key=value` lines, in the class's order, for a textarea.
pub fn attribute_lines(values: &Map<String, Value>, class: Option<&ClassView>) -> String {
    let mut keys: Vec<&String> = Vec::new();
    if let Some(c) = class {
        keys.extend(c.attributes.iter().map(|a| &a.key).filter(|k| values.contains_key(*k)));
    }
    keys.extend(values.keys().filter(|k| !keys.contains(k)).collect::<Vec<_>>());
    keys.iter().map(|k| format!("{k}={}", show(&values[*k]))).collect::<Vec<_>>().join("\n")
}

/// A stored value as typed in the form.
pub fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Reads `key=value` lines, each value converted to the type the class declares (a number
/// that is not one is refused here, in the form's terms). An empty value is null (on an edit:
/// remove the attribute).
pub fn parse_attribute_lines(raw: &str, class: Option<&ClassView>) -> Result<Map<String, Value>, FieldErrors> {
    let mut out = Map::new();
    let mut errors = FieldErrors::default();
    for (i, line) in raw.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            errors.push("attributes", format!("line {}: write key=value", i + 1));
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() {
            errors.push("attributes", format!("line {}: the attribute's key is missing before =", i + 1));
            continue;
        }
        if out.contains_key(key) {
            errors.push("attributes", format!("line {}: {key} is given twice", i + 1));
            continue;
        }
        let spec = class.and_then(|c| c.attributes.iter().find(|a| a.key == key));
        match typed(value, spec) {
            Ok(v) => {
                out.insert(key.to_string(), v);
            }
            Err(hint) => errors.push("attributes", format!("{key}: {hint}")),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The value as the class's type wants it, or how to write it. Text, dates, IP addresses and
/// selects stay text: the application layer checks them and says why.
fn typed(value: &str, spec: Option<&AttributeView>) -> Result<Value, &'static str> {
    if value.is_empty() {
        return Ok(Value::Null);
    }
    match spec.map(|s| s.attr_type) {
        Some(AttrType::Number) => value
            .parse::<i64>()
            .map(Value::from)
            .ok()
            .or_else(|| value.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number))
            .ok_or("write a number, such as 8 or 2.5"),
        Some(AttrType::Bool) => match value.to_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(Value::Bool(true)),
            "false" | "no" | "off" | "0" => Ok(Value::Bool(false)),
            _ => Err("write yes or no"),
        },
        Some(AttrType::Reference) => value
            .trim_start_matches('#')
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| "write the id of a configuration item, such as 42"),
        _ => Ok(Value::String(value.to_string())),
    }
}

/// The application's field errors on a CI form: `attributes.cpu` goes to the attributes box
/// as "cpu: ...", `identifiers.serial` to the identifiers, the rest to their field.
pub fn ci_errors(e: &AppError) -> Option<FieldErrors> {
    let AppError::Invalid(inv) = e else { return None };
    let mut out = FieldErrors::default();
    for FieldError { field, message, .. } in &inv.0 {
        match field.split_once('.') {
            Some((head @ ("attributes" | "identifiers"), key)) => out.push(head, format!("{key}: {message}")),
            _ => out.push(field, message.clone()),
        }
    }
    Some(out)
}

/// A CI named in a form: its id (`42` or `#42`), or words that find exactly one live item.
pub async fn find_ci(app: &App, actor: &Actor, typed: &str) -> Result<i64, String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Err("Name a configuration item: its id, or words of its name.".into());
    }
    if let Ok(id) = typed.trim_start_matches('#').parse::<i64>() {
        return Ok(id);
    }
    let list = ListCis { q: Some(typed.to_string()), limit: 6, ..Default::default() };
    let found = app.cis(actor, &list).await.map_err(|e| super::describe(&e))?;
    match found.as_slice() {
        [] => Err(format!("No configuration item matches \u{201c}{typed}\u{201d}.")),
        [one] => Ok(one.id),
        many => {
            let names: Vec<String> = many.iter().take(5).map(|c| format!("{} (#{})", c.name, c.id)).collect();
            Err(format!("Several configuration items match: {}. Give the id.", names.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn class() -> ClassView {
        let attr = |key: &str, attr_type| AttributeView {
            key: key.into(),
            attr_type,
            required: false,
            options: vec![],
            authoritative_source: None,
        };
        ClassView {
            id: 1,
            key: "server".into(),
            name: "Server".into(),
            builtin: true,
            attributes: vec![
                attr("cpus", AttrType::Number),
                attr("virtual", AttrType::Bool),
                attr("host", AttrType::Reference),
                attr("os", AttrType::Text),
            ],
        }
    }

    #[test]
    fn lines_become_typed_values() {
        let c = class();
        let got =
            parse_attribute_lines("cpus = 8\nvirtual=yes\n\nhost=#12\nos=Debian = 13\nram=", Some(&c)).expect("ok");
        assert_eq!(
            Value::Object(got),
            json!({"cpus": 8, "virtual": true, "host": 12, "os": "Debian = 13", "ram": null})
        );
        let e = parse_attribute_lines("cpus=eight\nvirtual=maybe\nhost=web01", Some(&c)).expect_err("refused");
        assert_eq!(
            e.at("attributes"),
            vec![
                "cpus: write a number, such as 8 or 2.5",
                "virtual: write yes or no",
                "host: write the id of a configuration item, such as 42"
            ]
        );
    }

    #[test]
    fn malformed_lines_are_named() {
        let e = parse_attribute_lines("cpus 8\n=3\ncpus=1\ncpus=2", None).expect_err("refused");
        assert_eq!(
            e.at("attributes"),
            vec![
                "line 1: write key=value",
                "line 2: the attribute's key is missing before =",
                "line 4: cpus is given twice"
            ]
        );
    }

    #[test]
    fn lines_read_back_in_the_class_order() {
        let c = class();
        let values = json!({"os": "Debian", "extra": 1, "cpus": 4});
        let Value::Object(values) = values else { unreachable!() };
        assert_eq!(attribute_lines(&values, Some(&c)), "cpus=4\nos=Debian\nextra=1");
    }
}
