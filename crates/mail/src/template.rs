//! Notification templates that admins edit per desk: text with `{{ placeholder }}` fields.
//! Substitution is one pass over the template, so a value that itself looks like a template
//! (`{{7*7}}` in a ticket title) is printed as it is, never evaluated. In HTML every value is
//! escaped.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The placeholders a template may use.
pub const FIELDS: &[&str] = &[
    "ticket.number",
    "ticket.title",
    "ticket.status",
    "ticket.url",
    "desk.name",
    "requester.name",
    "agent.name",
    "comment.body",
    "author.name",
];

/// One notification's template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub subject: String,
    pub text: String,
    /// Optional HTML; without it the HTML part is the text, escaped, in paragraphs.
    #[serde(default)]
    pub html: Option<String>,
}

/// Values for the placeholders.
pub type Values = BTreeMap<&'static str, String>;

/// Names of unknown or unterminated placeholders in `s`, for validation.
pub fn problems(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        match after.find("}}") {
            Some(close) => {
                let name = after[..close].trim();
                if !FIELDS.contains(&name) {
                    out.push(name.to_string());
                }
                rest = &after[close + 2..];
            }
            None => {
                out.push("unterminated {{".to_string());
                break;
            }
        }
    }
    out
}

/// Fills `template` with `values` in one pass; `html` escapes every value.
pub fn render(template: &str, values: &Values, html: bool) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = after[..close].trim();
        let value = values.get(name).map(String::as_str).unwrap_or("");
        if html {
            out.push_str(&escape_html(value));
        } else {
            out.push_str(value);
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

/// Text as HTML paragraphs, every character escaped.
pub fn text_to_html(text: &str) -> String {
    let mut out = String::from("<!DOCTYPE html><html><body>");
    for para in text.split("\n\n") {
        out.push_str("<p>");
        out.push_str(&escape_html(para.trim_matches('\n')).replace('\n', "<br>"));
        out.push_str("</p>");
    }
    out.push_str("</body></html>");
    out
}

pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The kinds of notification, each with a built-in template an admin may replace per desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// Acknowledgement to the requester of a new ticket.
    Created,
    /// A public reply, to the requester and watchers.
    Reply,
    /// To the agent a ticket was assigned to.
    Assigned,
    /// To the requester, with how to reopen.
    Resolved,
}

impl Notice {
    pub const ALL: [Notice; 4] = [Notice::Created, Notice::Reply, Notice::Assigned, Notice::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            Notice::Created => "created",
            Notice::Reply => "reply",
            Notice::Assigned => "assigned",
            Notice::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Notice> {
        Notice::ALL.into_iter().find(|n| n.as_str() == s)
    }

    /// The built-in template.
    pub fn default_template(self) -> Template {
        let (subject, text) = match self {
            Notice::Created => (
                "[{{ticket.number}}] {{ticket.title}}",
                "Hello {{requester.name}},\n\nwe have received your request and logged it as {{ticket.number}}. \
                 Reply to this email to add to it.\n\n{{desk.name}} service desk",
            ),
            Notice::Reply => (
                "Re: [{{ticket.number}}] {{ticket.title}}",
                "{{author.name}} wrote:\n\n{{comment.body}}\n\nReply to this email to answer.\n\n{{desk.name}} service desk",
            ),
            Notice::Assigned => (
                "[{{ticket.number}}] assigned to you: {{ticket.title}}",
                "Hello {{agent.name}},\n\n{{ticket.number}} ({{ticket.title}}) is now assigned to you.\n\n{{ticket.url}}",
            ),
            Notice::Resolved => (
                "[{{ticket.number}}] resolved: {{ticket.title}}",
                "Hello {{requester.name}},\n\n{{ticket.number}} has been resolved.\n\nIf the problem is not solved, \
                 reply to this email within a few days and the ticket is reopened.\n\n{{desk.name}} service desk",
            ),
        };
        Template { subject: subject.into(), text: text.into(), html: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_substituted_once_and_never_evaluated() {
        let mut v = Values::new();
        v.insert("ticket.title", "{{ticket.number}} {{7*7}} {% if %}".into());
        v.insert("ticket.number", "INC-1".into());
        let out = render("[{{ticket.number}}] {{ ticket.title }}", &v, false);
        assert_eq!(out, "[INC-1] {{ticket.number}} {{7*7}} {% if %}");
    }

    #[test]
    fn html_values_are_escaped() {
        let mut v = Values::new();
        v.insert("ticket.title", "<script>alert('x')</script>".into());
        let out = render("<b>{{ticket.title}}</b>", &v, true);
        assert_eq!(out, "<b>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</b>");
        assert!(text_to_html("a <b>\n\nc").contains("<p>a &lt;b&gt;</p><p>c</p>"));
    }

    #[test]
    fn unknown_placeholders_are_named() {
        assert!(problems("{{ticket.number}} {{ requester.name }}").is_empty());
        assert_eq!(problems("{{ticket.secret}} {{x"), vec!["ticket.secret".to_string(), "unterminated {{".into()]);
        for n in Notice::ALL {
            let t = n.default_template();
            assert!(problems(&t.subject).is_empty() && problems(&t.text).is_empty(), "{n:?}");
        }
    }
}
