//! What an item offers around its form: its price (and the threshold under which it needs no
//! approval), who it is offered to, and the fulfilment steps an order becomes.

use crate::approval::GroupRef;
use crate::validation::{Checks, FieldError, Invalid};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The largest price or threshold, in whole currency units.
pub const MAX_PRICE: f64 = 1_000_000_000.0;
pub const MAX_STEPS: usize = 50;

/// A price or threshold in cents, from the wire's number of currency units (rounded to the
/// cent): 0 to [`MAX_PRICE`].
pub fn parse_money(v: f64, field: &str) -> Result<i64, FieldError> {
    if !v.is_finite() || !(0.0..=MAX_PRICE).contains(&v) {
        return Err(FieldError::new(field, "out_of_range", format!("0 to {MAX_PRICE}")));
    }
    Ok((v * 100.0).round() as i64)
}

/// Cents back to the wire's currency units.
pub fn money(cents: i64) -> f64 {
    cents as f64 / 100.0
}

/// Whether an order of an item needs its approval: it has one, and its price is not under
/// the threshold (an item without a price costs nothing).
pub fn needs_approval(has_approval: bool, price_cents: Option<i64>, skip_below_cents: Option<i64>) -> bool {
    has_approval && skip_below_cents.is_none_or(|t| price_cents.unwrap_or(0) >= t)
}

/// Who may see and order an item: members of any listed organisation or group. Both lists
/// empty offers it to everyone.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = CatalogAudience)]
pub struct Audience {
    #[serde(default)]
    pub organizations: Vec<i64>,
    #[serde(default)]
    pub groups: Vec<i64>,
}

impl Audience {
    pub fn is_everyone(&self) -> bool {
        self.organizations.is_empty() && self.groups.is_empty()
    }

    pub fn offers_to(&self, organization_id: Option<i64>, group_ids: &[i64]) -> bool {
        self.is_everyone()
            || organization_id.is_some_and(|o| self.organizations.contains(&o))
            || group_ids.iter().any(|g| self.groups.contains(g))
    }
}

/// One fulfilment step: a task with its group, waiting for the earlier steps it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FulfilmentStep {
    pub title: String,
    /// The task's group; the request's group when absent.
    pub group: Option<GroupRef>,
    /// Indexes of earlier steps this one waits for.
    pub after: Vec<usize>,
}

impl FulfilmentStep {
    /// Reads `[{"title", "group"?, "after"?: [indexes]}]`. A step waits only for earlier steps,
    /// so the order can never loop. Errors name `fulfilment[i].<field>`.
    pub fn parse_all(v: &Value) -> Result<Vec<FulfilmentStep>, Invalid> {
        let Some(items) = v.as_array() else {
            return Err(FieldError::new("fulfilment", "invalid", "fulfilment is a list of steps").into());
        };
        if items.len() > MAX_STEPS {
            return Err(FieldError::new("fulfilment", "too_many", format!("at most {MAX_STEPS} steps")).into());
        }
        let mut c = Checks::new();
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = |k: &str| format!("fulfilment[{i}].{k}");
            let Some(obj) = item.as_object() else {
                c.push(FieldError::new(format!("fulfilment[{i}]"), "invalid", "a step is an object"));
                continue;
            };
            for k in obj.keys().filter(|k| !matches!(k.as_str(), "title" | "group" | "after")) {
                c.push(FieldError::new(at(k), "unknown_field", "a step has title, group and after"));
            }
            let title = match obj.get("title").and_then(Value::as_str).map(str::trim) {
                Some(t) if !t.is_empty() && t.chars().count() <= 300 && !t.chars().any(char::is_control) => {
                    Some(t.to_string())
                }
                _ => {
                    c.push(FieldError::new(at("title"), "required", "a title of 1 to 300 characters, one line"));
                    None
                }
            };
            let group = match obj.get("group") {
                None | Some(Value::Null) => None,
                Some(g) => c.take(GroupRef::parse(g, &at("group"))),
            };
            let mut after = Vec::new();
            match obj.get("after") {
                None | Some(Value::Null) => {}
                Some(Value::Array(list)) => {
                    for (j, a) in list.iter().enumerate() {
                        match a.as_u64() {
                            Some(n) if (n as usize) < i => {
                                if !after.contains(&(n as usize)) {
                                    after.push(n as usize);
                                }
                            }
                            _ => c.push(FieldError::new(
                                format!("fulfilment[{i}].after[{j}]"),
                                "invalid_step",
                                "the index of an earlier step",
                            )),
                        }
                    }
                }
                Some(_) => c.push(FieldError::new(at("after"), "invalid", "a list of earlier steps' indexes")),
            }
            if let Some(title) = title {
                out.push(FulfilmentStep { title, group, after });
            }
        }
        c.finish()?;
        Ok(out)
    }

    /// The wire form (what an item stores and shows).
    pub fn to_json(steps: &[FulfilmentStep]) -> Value {
        Value::Array(
            steps
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "title": s.title,
                        "group": s.group.as_ref().map(GroupRef::to_json),
                        "after": s.after,
                    })
                })
                .collect(),
        )
    }
}
