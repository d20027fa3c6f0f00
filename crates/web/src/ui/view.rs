//! What templates display: tickets, comments and names as plain strings, prepared once per
//! request. Text stays raw here; the templates escape it.

use opsdesk_app::tickets::{TicketView, Timeline};
use opsdesk_app::App;
use opsdesk_domain::Actor;
use opsdesk_store::Ts;
use std::collections::HashMap;

/// A readable UTC instant.
pub fn when(ts: Ts) -> String {
    ts.0.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// A status or kind as words: `in_progress` → `in progress`.
pub fn words(s: &str) -> String {
    s.replace('_', " ")
}

/// Display names of users, looked up once each per request.
#[derive(Default)]
pub struct Names(HashMap<i64, String>);

impl Names {
    pub async fn of(&mut self, app: &App, actor: &Actor, id: Option<i64>) -> String {
        let Some(id) = id else { return String::new() };
        if let Some(n) = self.0.get(&id) {
            return n.clone();
        }
        let name = match app.user(actor, id).await {
            Ok(u) => u.name,
            // Requesters may not look up agents: they see the desk, not the person.
            Err(_) => "Service desk".to_string(),
        };
        self.0.insert(id, name.clone());
        name
    }
}

/// One row of a ticket list.
pub struct TicketRow {
    pub number: String,
    pub title: String,
    pub status: String,
    pub priority: String,
    pub assignee: String,
    pub requester: String,
    pub updated: String,
    /// Time to the nearest SLA due instant (`in 2h 15m`, `45m overdue`); empty when none runs.
    pub due: String,
    /// `running` or `breached`, for the cell's style.
    pub due_state: &'static str,
}

impl TicketRow {
    pub async fn of(t: &TicketView, app: &App, actor: &Actor, names: &mut Names) -> TicketRow {
        let (due, due_state) = super::sla_view::due_cell(t.sla_due_at, Ts::now());
        TicketRow {
            number: t.number.clone(),
            title: t.title.clone(),
            status: words(t.status.as_str()),
            priority: t.priority.clone(),
            assignee: names.of(app, actor, t.assignee_id).await,
            requester: names.of(app, actor, Some(t.requester_id)).await,
            updated: when(t.updated_at),
            due,
            due_state,
        }
    }
}

/// One entry of a ticket's conversation.
pub struct Entry {
    pub author: String,
    pub body: String,
    pub public: bool,
    pub at: String,
}

pub struct AttachmentRow {
    pub href: String,
    pub filename: String,
    pub size: i64,
    pub public: bool,
}

/// The conversation (comments, oldest first) and the attachments.
/// `public_only` drops internal entries even if the application returned them.
pub async fn conversation(
    t: &TicketView,
    tl: &Timeline,
    app: &App,
    actor: &Actor,
    names: &mut Names,
    public_only: bool,
) -> (Vec<Entry>, Vec<AttachmentRow>) {
    let att = |a: &opsdesk_store::tickets::Attachment| AttachmentRow {
        href: format!("/api/v1/tickets/{}/attachments/{}", t.id, a.id),
        filename: a.filename.clone(),
        size: a.size,
        public: a.public,
    };
    let mut entries = Vec::new();
    for c in tl.comments.iter().filter(|c| c.public || !public_only) {
        entries.push(Entry {
            author: match c.author_id {
                Some(_) => names.of(app, actor, c.author_id).await,
                None => "Service desk".to_string(),
            },
            body: c.body.clone(),
            public: c.public,
            at: when(c.created_at),
        });
    }
    let files = tl.attachments.iter().filter(|a| a.public || !public_only).map(att).collect();
    (entries, files)
}

/// A query with its `sort:` term replaced by `sort` (the column headers' links).
pub fn with_sort(q: &str, sort: &str) -> String {
    let mut parts: Vec<&str> = q.split_whitespace().filter(|w| !w.starts_with("sort:")).collect();
    parts.push(sort);
    parts.join(" ")
}

/// The current sort term of a query, if any.
pub fn sort_of(q: &str) -> Option<&str> {
    q.split_whitespace().rev().find_map(|w| w.strip_prefix("sort:"))
}

/// Percent-encodes a query parameter value.
pub fn enc(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}
