//! What the API shows of a ticket's timeline: comments, attachments, history, links and
//! watchers, as view types owned here rather than the store's rows.

use super::{TicketView, Timeline};
use opsdesk_store::tickets::{Attachment, Comment, HistoryEntry, Link, Watcher};
use opsdesk_store::Ts;
use serde::Serialize;
use utoipa::ToSchema;

/// A public reply or an internal note.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Comment)]
pub struct CommentView {
    pub id: i64,
    pub ticket_id: i64,
    pub author_id: Option<i64>,
    pub body: String,
    /// A public reply (requesters see it) or an internal note.
    pub public: bool,
    /// Where it came from: `api`, `web`, `email`, ...
    pub source: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
}

impl From<&Comment> for CommentView {
    fn from(c: &Comment) -> Self {
        CommentView {
            id: c.id,
            ticket_id: c.ticket_id,
            author_id: c.author_id,
            body: c.body.clone(),
            public: c.public,
            source: c.source.clone(),
            created_at: c.created_at,
        }
    }
}

/// A file on a ticket; its content is downloaded separately.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Attachment)]
pub struct AttachmentView {
    pub id: i64,
    pub ticket_id: i64,
    pub comment_id: Option<i64>,
    /// The cleaned name, only ever displayed.
    pub filename: String,
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    pub public: bool,
    pub uploaded_by: Option<i64>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
}

impl From<&Attachment> for AttachmentView {
    fn from(a: &Attachment) -> Self {
        AttachmentView {
            id: a.id,
            ticket_id: a.ticket_id,
            comment_id: a.comment_id,
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size: a.size,
            public: a.public,
            uploaded_by: a.uploaded_by,
            created_at: a.created_at,
        }
    }
}

/// One changed field.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = HistoryEntry)]
pub struct HistoryView {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
}

impl From<&HistoryEntry> for HistoryView {
    fn from(h: &HistoryEntry) -> Self {
        HistoryView {
            id: h.id,
            actor_id: h.actor_id,
            field: h.field.clone(),
            old_value: h.old_value.clone(),
            new_value: h.new_value.clone(),
            created_at: h.created_at,
        }
    }
}

/// A typed link from one ticket to another.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Link)]
pub struct LinkView {
    pub id: i64,
    pub source_id: i64,
    pub target_id: i64,
    #[schema(value_type = LinkType)]
    pub link_type: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
}

impl From<&Link> for LinkView {
    fn from(l: &Link) -> Self {
        LinkView {
            id: l.id,
            source_id: l.source_id,
            target_id: l.target_id,
            link_type: l.link_type.clone(),
            created_at: l.created_at,
        }
    }
}

/// How two tickets are linked.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // documents the values `LinkInput::link_type` accepts
pub enum LinkType {
    /// An incident caused by a problem or a change.
    CausedBy,
    /// A change that fixes a problem.
    Fixes,
    DuplicateOf,
    ParentOf,
    ChildOf,
    Related,
}

/// Someone told about a ticket's changes.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Watcher)]
pub struct WatcherView {
    pub user_id: i64,
    pub name: String,
    #[schema(format = Email)]
    pub email: String,
}

impl From<&Watcher> for WatcherView {
    fn from(w: &Watcher) -> Self {
        WatcherView { user_id: w.user_id, name: w.name.clone(), email: w.email.clone() }
    }
}

/// Everything on a ticket besides its fields, as the caller may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Timeline)]
pub struct TimelineView {
    pub comments: Vec<CommentView>,
    pub attachments: Vec<AttachmentView>,
    pub history: Vec<HistoryView>,
    pub links: Vec<LinkView>,
    pub watchers: Vec<WatcherView>,
}

impl From<&Timeline> for TimelineView {
    fn from(t: &Timeline) -> Self {
        TimelineView {
            comments: t.comments.iter().map(CommentView::from).collect(),
            attachments: t.attachments.iter().map(AttachmentView::from).collect(),
            history: t.history.iter().map(HistoryView::from).collect(),
            links: t.links.iter().map(LinkView::from).collect(),
            watchers: t.watchers.iter().map(WatcherView::from).collect(),
        }
    }
}

/// A ticket with its timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = TicketTimeline)]
pub struct TicketTimelineView {
    pub ticket: TicketView,
    pub timeline: TimelineView,
}

/// A service desk (IT, HR, ...).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ServiceDesk)]
pub struct DeskView {
    pub id: i64,
    pub name: String,
    /// The group that gets tickets logged without one.
    pub default_group_id: Option<i64>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
}

impl From<&opsdesk_store::tickets::ServiceDesk> for DeskView {
    fn from(d: &opsdesk_store::tickets::ServiceDesk) -> Self {
        DeskView { id: d.id, name: d.name.clone(), default_group_id: d.default_group_id, created_at: d.created_at }
    }
}

/// A category of a desk; two levels.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Category)]
pub struct CategoryView {
    pub id: i64,
    pub desk_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
}

impl From<&opsdesk_store::tickets::Category> for CategoryView {
    fn from(c: &opsdesk_store::tickets::Category) -> Self {
        CategoryView { id: c.id, desk_id: c.desk_id, parent_id: c.parent_id, name: c.name.clone() }
    }
}

/// A saved view and how many tickets it finds now.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = SavedView)]
pub struct SavedViewView {
    pub id: i64,
    pub name: String,
    pub query: String,
    /// Personal views have an owner; shared ones a group.
    pub owner_user_id: Option<i64>,
    pub group_id: Option<i64>,
    pub position: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
    /// The tickets the caller sees that the query finds (absent when just created).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
}

impl From<&opsdesk_store::tickets::SavedView> for SavedViewView {
    fn from(v: &opsdesk_store::tickets::SavedView) -> Self {
        SavedViewView {
            id: v.id,
            name: v.name.clone(),
            query: v.query.clone(),
            owner_user_id: v.owner_user_id,
            group_id: v.group_id,
            position: v.position,
            created_at: v.created_at,
            count: None,
        }
    }
}

impl From<&super::ViewWithCount> for SavedViewView {
    fn from(v: &super::ViewWithCount) -> Self {
        SavedViewView { count: Some(v.count), ..SavedViewView::from(&v.view) }
    }
}

/// One custom field of a desk and kind.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = CustomFieldDef)]
pub struct CustomFieldView {
    /// What clients and the query language use (`cf.cost`).
    pub key: String,
    pub label: String,
    #[schema(value_type = crate::schema::CustomFieldTypeSchema)]
    pub field_type: opsdesk_domain::ticket::CustomFieldType,
    pub required: bool,
    /// The choices of a select or multi-select.
    pub options: Vec<String>,
}

impl From<&opsdesk_domain::ticket::CustomFieldDef> for CustomFieldView {
    fn from(d: &opsdesk_domain::ticket::CustomFieldDef) -> Self {
        CustomFieldView {
            key: d.key.clone(),
            label: d.label.clone(),
            field_type: d.field_type,
            required: d.required,
            options: d.options.clone(),
        }
    }
}
