//! Replies, internal notes and attachments. Internal notes and their attachments never reach
//! a requester by any path: every read here filters by who asks.

use super::transition::move_ticket;
use super::{body_text, TicketView};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::{Actor, FieldError, Role};
use opsdesk_store::tickets::{Attachment, Comment, HistoryEntry, Link, NewAttachment, Ticket, Watcher};
use opsdesk_store::Ts;
use serde_json::json;
use sha2::{Digest, Sha256};

pub(crate) const COMMENT_MAX: usize = 65_536;

/// An uploaded file, as received.
#[derive(Debug, Clone)]
pub struct AttachmentUpload {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
    pub public: bool,
}

/// An upload within the attachment limit, made safe to store: its content address, a cleaned
/// name (only ever displayed) and a content type that fits the column.
pub(crate) struct CheckedUpload {
    pub sha: String,
    pub filename: String,
    pub content_type: String,
}

impl App {
    /// Checks an upload (ticket or article) against the configured limit and names it safely.
    pub(crate) async fn check_upload(&self, filename: &str, content_type: &str, data: &[u8]) -> Result<CheckedUpload> {
        let limit = self.ticket_settings().await?.attachment_max_bytes;
        if data.len() as i64 > limit {
            return Err(AppError::TooLarge { limit });
        }
        if data.is_empty() {
            return Err(FieldError::new("file", "empty", "the file is empty").into());
        }
        let content_type = if content_type.len() <= 100 && content_type.is_ascii() {
            content_type.to_string()
        } else {
            "application/octet-stream".into()
        };
        Ok(CheckedUpload { sha: hex::encode(Sha256::digest(data)), filename: clean_filename(filename), content_type })
    }
}

/// Everything on a ticket's page besides its fields, filtered for the viewer.
#[derive(Debug, Clone)]
pub struct Timeline {
    pub comments: Vec<Comment>,
    pub attachments: Vec<Attachment>,
    pub history: Vec<HistoryEntry>,
    pub links: Vec<Link>,
    pub watchers: Vec<Watcher>,
}

/// A file name safe to show and to put in a header: no path, no control or direction
/// characters, bounded length. The name is only ever displayed; storage is by hash.
pub fn clean_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '"'))
        .take(200)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "attachment".into()
    } else {
        cleaned
    }
}

impl App {
    /// Adds a public reply or an internal note. A requester's reply to their resolved ticket
    /// reopens it.
    #[tracing::instrument(skip(self, body))]
    pub async fn add_comment(&self, actor: &Actor, id_or_number: &str, body: &str, public: bool) -> Result<Comment> {
        let t = self.find_ticket(actor, id_or_number).await?;
        if actor.role == Role::Requester && !public {
            return Err(AppError::Forbidden);
        }
        let body = body_text(body, "body", COMMENT_MAX)?;
        if body.trim().is_empty() {
            return Err(FieldError::new("body", "required", "a comment needs some text").into());
        }
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let comment = tx.insert_comment(t.id, actor.user_id, &body, public, "web", now).await?;
        tx.index_comment(t.id, &body, public).await?;
        let payload = json!({ "comment_id": comment.id, "public": public });
        emit(&mut tx, "comment.added", format!("ticket:{}", t.id), actor, payload, now).await?;
        let current = tx.ticket_for_update(t.id).await?;
        crate::sla::track::track(&mut tx, actor, &current, crate::sla::track::Change::Commented { public }, now)
            .await?;
        let reopen = current.kind.reopen_status().filter(|_| current.status == current.kind.resolved_status());
        if let Some(to) = reopen.filter(|_| actor.role == Role::Requester) {
            move_ticket(&mut tx, actor, &current, to, None, None, true, now).await?;
        }
        tx.commit().await?;
        Ok(comment)
    }

    pub async fn comments(&self, actor: &Actor, id_or_number: &str) -> Result<Vec<Comment>> {
        let t = self.find_ticket(actor, id_or_number).await?;
        Ok(self.db.comments(t.id, actor.sees_internal_notes()).await?)
    }

    /// The ticket's timeline as the actor may see it.
    pub async fn timeline(&self, actor: &Actor, id_or_number: &str) -> Result<(TicketView, Timeline)> {
        let t = self.find_ticket(actor, id_or_number).await?;
        self.timeline_of(actor, &t).await
    }

    /// [`timeline`](Self::timeline) of a ticket already found for `actor`.
    pub(crate) async fn timeline_of(&self, actor: &Actor, t: &Ticket) -> Result<(TicketView, Timeline)> {
        let internal = actor.sees_internal_notes();
        let comments = self.db.comments(t.id, internal).await?;
        let attachments = self.db.attachments(t.id, internal).await?;
        // History shows field changes to agents; requesters see their ticket's fields already.
        let history = if internal { self.db.history(t.id).await? } else { Vec::new() };
        let mut links = Vec::new();
        for l in self.db.links_of(t.id).await? {
            let other = if l.source_id == t.id { l.target_id } else { l.source_id };
            if let Ok(o) = self.db.ticket(other).await {
                if actor.can_see_ticket(&o.access()) {
                    links.push(l);
                }
            }
        }
        let watchers = if internal { self.db.watchers(t.id).await? } else { Vec::new() };
        Ok((TicketView::from(t), Timeline { comments, attachments, history, links, watchers }))
    }

    pub async fn add_attachment(
        &self,
        actor: &Actor,
        id_or_number: &str,
        upload: AttachmentUpload,
    ) -> Result<Attachment> {
        let t = self.find_ticket(actor, id_or_number).await?;
        if actor.role == Role::Requester && !upload.public {
            return Err(AppError::Forbidden);
        }
        let CheckedUpload { sha, filename, content_type } =
            self.check_upload(&upload.filename, &upload.content_type, &upload.data).await?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        tx.put_blob(&sha, &upload.data, now).await?;
        let new = NewAttachment {
            ticket_id: t.id,
            comment_id: None,
            sha256: &sha,
            filename: &filename,
            content_type: &content_type,
            public: upload.public,
            uploaded_by: actor.user_id,
        };
        let a = tx.insert_attachment(&new, upload.data.len() as i64, now).await?;
        tx.record_change(t.id, actor.user_id, "attachment", None, Some(&filename), now).await?;
        let payload = json!({ "attachment_id": a.id, "public": a.public });
        emit(&mut tx, "attachment.added", format!("ticket:{}", t.id), actor, payload, now).await?;
        tx.commit().await?;
        Ok(a)
    }

    /// An attachment's record and content, if the actor may see it.
    pub async fn attachment(
        &self,
        actor: &Actor,
        id_or_number: &str,
        attachment_id: i64,
    ) -> Result<(Attachment, Vec<u8>)> {
        let t = self.find_ticket(actor, id_or_number).await?;
        let a = self.db.attachment(t.id, attachment_id).await?;
        if !a.public && !actor.sees_internal_notes() {
            return Err(AppError::NotFound);
        }
        let data = self.db.blob(&a.sha256).await?;
        Ok((a, data))
    }
}
