//! A ticket's history in people's words: field labels instead of column names, names instead
//! of ids, status labels instead of `in_progress`, and always someone who did it (the system
//! when no person did).

use super::view::{words, Names};
use opsdesk_app::App;
use opsdesk_domain::ticket::{HoldReason, Status};
use opsdesk_domain::Actor;

/// Who acted when no person did: the SLA scan, mail delivery, automations.
pub const SYSTEM: &str = "Opsdesk (automatic)";

/// The label of a history field.
pub fn field_label(field: &str) -> String {
    let label = match field {
        "created" => "Created",
        "title" => "Title",
        "description" => "Description",
        "status" => "Status",
        "hold_reason" => "Hold reason",
        "impact" => "Impact",
        "urgency" => "Urgency",
        "priority" => "Priority",
        "priority_override_reason" => "Reason for the priority",
        "category_id" => "Category",
        "requester_id" => "Requester",
        "shared_with_organization" => "Shared with the organisation",
        "group_id" => "Group",
        "assignee_id" => "Assignee",
        "custom_fields" => "Custom fields",
        "attachment" => "Attachment",
        "link" => "Link",
        "change.review_incidents" => "Incidents caused, as of the review",
        "watcher_added" => "Watcher added",
        "watcher_removed" => "Watcher removed",
        "kb_article" => "Knowledge article",
        "mail_failed" => "Mail not delivered",
        "mail_bounced" => "Mail bounced",
        "mail_held" => "Mail held",
        "mail_released" => "Held mail released",
        "mail_discarded" => "Held mail discarded",
        "sla_warning" => "SLA warning",
        "sla_breach" => "SLA breached",
        other => return capitalised(&words(other)),
    };
    label.to_string()
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

/// The names a ticket page already knows, to show values without more lookups.
pub struct Lookups<'a> {
    pub groups: &'a [(i64, String)],
    pub categories: &'a [(i64, String)],
}

/// A stored value of `field` in words: a person's or group's name for an id, a status label,
/// yes or no. Unknown ids (deleted since) stay as they were stored, marked as ids.
pub async fn value_words(
    app: &App,
    actor: &Actor,
    names: &mut Names,
    known: &Lookups<'_>,
    field: &str,
    raw: &str,
) -> String {
    if raw.is_empty() {
        return String::new();
    }
    let id = || raw.parse::<i64>().ok();
    let named = |list: &[(i64, String)]| {
        id().and_then(|i| list.iter().find(|(k, _)| *k == i)).map(|(_, n)| n.clone()).unwrap_or(format!("#{raw}"))
    };
    match field {
        "assignee_id" | "requester_id" | "watcher_removed" => match id() {
            Some(i) => names.of(app, actor, Some(i)).await,
            None => raw.to_string(),
        },
        "group_id" => named(known.groups),
        "category_id" => named(known.categories),
        "status" => Status::parse(raw).map(Status::label).unwrap_or_else(|_| raw.to_string()),
        "hold_reason" => {
            HoldReason::parse(raw).map(|h| capitalised(&words(h.as_str()))).unwrap_or_else(|_| raw.to_string())
        }
        "shared_with_organization" => match raw {
            "true" => "yes".into(),
            "false" => "no".into(),
            other => other.to_string(),
        },
        _ => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_as_labels() {
        assert_eq!(field_label("assignee_id"), "Assignee");
        assert_eq!(field_label("status"), "Status");
        assert_eq!(field_label("detail.known_error"), "Detail.known error", "unknown fields still read as words");
    }
}
