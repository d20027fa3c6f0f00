//! OpenAPI schemas of values the API takes and answers that are not plain Rust types: the
//! enumerations read from the domain's own lists (so a new ticket kind or status appears in
//! the document without editing it), and the text rules the domain's parsers enforce.
//!
//! Fields use them with `#[schema(value_type = KindSchema)]`; the web crate turns the types
//! into the OpenAPI document.

use opsdesk_domain::ticket::{Kind, Status};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// One line of printable text with at least one non-blank character: what `one_line`,
/// `PersonName::parse` and the other single-line parsers accept (they trim, refuse control
/// characters and refuse blank text).
pub const ONE_LINE: &str =
    r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$";

/// Free text without a NUL character (descriptions, comments, bodies).
pub const NO_NUL: &str = r"^[^\u0000]*$";

fn string_enum<V: Into<String>>(description: &str, values: impl IntoIterator<Item = V>) -> RefOr<Schema> {
    let mut seen: Vec<String> = Vec::new();
    for v in values {
        let v = v.into();
        if !seen.contains(&v) {
            seen.push(v);
        }
    }
    ObjectBuilder::new().schema_type(Type::String).description(Some(description)).enum_values(Some(seen)).into()
}

/// What a ticket is: every kind the domain declares (`Kind::ALL`).
pub struct KindSchema;

impl PartialSchema for KindSchema {
    fn schema() -> RefOr<Schema> {
        string_enum("What a ticket is.", Kind::ALL.map(Kind::as_str))
    }
}

impl ToSchema for KindSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "Kind".into()
    }
}

/// Every status of every kind, in the order the kinds declare them.
pub struct StatusSchema;

impl PartialSchema for StatusSchema {
    fn schema() -> RefOr<Schema> {
        let per_kind: Vec<String> = Kind::ALL
            .iter()
            .map(|k| {
                let names: Vec<&str> = k.statuses().map(Status::as_str).collect();
                format!("{}: {}", k.as_str(), names.join(", "))
            })
            .collect();
        let description = format!("A ticket's status; each kind has its own. {}.", per_kind.join("; "));
        string_enum(&description, Kind::ALL.iter().flat_map(|k| k.statuses().map(Status::as_str)))
    }
}

impl ToSchema for StatusSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "Status".into()
    }
}

/// The open, resolved or closed class of a status.
pub struct StatusClassSchema;

impl PartialSchema for StatusClassSchema {
    fn schema() -> RefOr<Schema> {
        string_enum("Coarse state for queues: open, resolved or closed.", ["open", "resolved", "closed"])
    }
}

impl ToSchema for StatusClassSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "StatusClass".into()
    }
}

/// What a status means across kinds, as the kinds declare it.
pub struct StatusCategorySchema;

impl PartialSchema for StatusCategorySchema {
    fn schema() -> RefOr<Schema> {
        string_enum(
            "What the status means across kinds: new, open, pending (waiting on someone outside the assignee), \
             resolved or closed.",
            opsdesk_domain::ticket::StatusCategory::ALL.map(|c| c.as_str()),
        )
    }
}

impl ToSchema for StatusCategorySchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "StatusCategory".into()
    }
}

/// Why a ticket waits (`HoldReason::parse` also takes the short forms).
pub struct HoldReasonSchema;

impl PartialSchema for HoldReasonSchema {
    fn schema() -> RefOr<Schema> {
        string_enum("Why a ticket is on hold.", opsdesk_domain::ticket::HoldReason::ALL.map(|r| r.as_str()))
    }
}

impl ToSchema for HoldReasonSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "HoldReason".into()
    }
}

/// `P1` (most urgent) to `P5`.
pub struct PrioritySchema;

impl PartialSchema for PrioritySchema {
    fn schema() -> RefOr<Schema> {
        let names = (1..=u8::MAX).map_while(opsdesk_domain::ticket::Priority::new).map(|p| p.to_string());
        string_enum("P1 (most urgent) to P5.", names)
    }
}

impl ToSchema for PrioritySchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "Priority".into()
    }
}

/// Impact or urgency (`Level::parse`): 1 high, 2 medium, 3 low.
pub struct LevelSchema;

impl PartialSchema for LevelSchema {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64)))
            .minimum(Some(1))
            .maximum(Some(3))
            .description(Some("1 high, 2 medium, 3 low."))
            .into()
    }
}

impl ToSchema for LevelSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "Level".into()
    }
}

/// The types of custom fields (`CustomFieldType::parse` accepts these).
pub const CUSTOM_FIELD_TYPES: [&str; 7] = ["text", "number", "date", "select", "multi_select", "user", "boolean"];

/// A custom field's type.
pub struct CustomFieldTypeSchema;

impl PartialSchema for CustomFieldTypeSchema {
    fn schema() -> RefOr<Schema> {
        string_enum("What a custom field holds.", CUSTOM_FIELD_TYPES)
    }
}

impl ToSchema for CustomFieldTypeSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "CustomFieldType".into()
    }
}

/// The impact x urgency matrix (`PriorityMatrix`).
#[derive(ToSchema)]
#[schema(as = PriorityMatrix)]
#[allow(dead_code)] // documents `opsdesk_domain::ticket::PriorityMatrix`, which is (de)serialised as is
pub struct PriorityMatrixSchema {
    /// `cells[impact - 1][urgency - 1]`: three rows of three priorities.
    #[schema(value_type = Vec<Vec<PrioritySchema>>, min_items = 3, max_items = 3)]
    cells: Vec<Vec<String>>,
}

/// A kind's detail record: every detail field any kind declares, each typed as declared (the
/// kind of the ticket decides which apply; others are refused with `unknown_field`).
pub struct DetailSchema;

impl PartialSchema for DetailSchema {
    fn schema() -> RefOr<Schema> {
        use opsdesk_domain::ticket::DetailType;
        use utoipa::openapi::schema::AdditionalProperties;
        let mut o = ObjectBuilder::new().schema_type(Type::Object).description(Some(
            "The kind's own fields. Absent fields stay as they are; `null` clears text and unsets a flag.",
        ));
        let mut seen: Vec<&str> = Vec::new();
        for k in Kind::ALL {
            for f in k.def().detail.fields {
                if seen.contains(&f.name) {
                    continue;
                }
                seen.push(f.name);
                let prop = match f.field_type {
                    DetailType::Text { max } => ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null]))
                        .max_length(Some(max))
                        .description(Some(format!("{} ({}).", f.label, k.as_str()))),
                    DetailType::Flag => ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::Boolean, Type::Null]))
                        .description(Some(format!("{} ({}).", f.label, k.as_str()))),
                    DetailType::Choice { options } => ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null]))
                        .enum_values(Some(options.iter().copied().map(Some).chain([None::<&str>])))
                        .description(Some(format!("{} ({}).", f.label, k.as_str()))),
                };
                o = o.property(f.name, prop);
            }
        }
        o.additional_properties(Some(AdditionalProperties::FreeForm(false))).into()
    }
}

impl ToSchema for DetailSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "TicketDetail".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_custom_field_types_are_the_domains() {
        for t in CUSTOM_FIELD_TYPES {
            assert!(opsdesk_domain::ticket::CustomFieldType::parse(t).is_ok(), "{t}");
        }
        assert!(opsdesk_domain::ticket::CustomFieldType::parse("colour").is_err());
    }
}
