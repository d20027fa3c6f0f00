//! Notifications: an outbox event becomes, in one transaction, one stored outbound message
//! per recipient (rendered from the desk's template, threaded to the ticket's mail) and one
//! `mail.send` job each. Nothing answers a message that a machine sent.

use crate::{App, Result};
use opsdesk_domain::Role;
use opsdesk_mail::address::is_mail_system;
use opsdesk_mail::outbound::{build, Outgoing};
use opsdesk_mail::template::{render, text_to_html, Notice, Values};
use opsdesk_mail::Mailbox;
use opsdesk_store::jobs::NewJob;
use opsdesk_store::mail::{status, MailMessage, NewMail};
use opsdesk_store::tickets::Ticket;
use opsdesk_store::users::User;
use opsdesk_store::Ts;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The job that delivers one stored outbound message.
pub const SEND_JOB: &str = "mail.send";
/// Delivery attempts before a message counts as failed for good (visible on the ticket).
pub const SEND_ATTEMPTS: i64 = 6;

/// One queued notification.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub notice: Notice,
    pub to: String,
    pub mail_id: i64,
}

/// The event a notification job was made from (the dispatcher's payload).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct EventRef {
    pub event_id: i64,
    pub kind: String,
    pub subject: String,
    pub actor_user_id: Option<i64>,
    #[serde(default)]
    pub payload: serde_json::Value,
}

impl App {
    /// Queues the notifications an event calls for. Idempotent: a second run for the same
    /// event queues nothing new (the Message-IDs are derived from the event).
    #[tracing::instrument(skip(self, e), fields(event = e.event_id, kind = %e.kind))]
    pub async fn queue_notifications(&self, e: &EventRef) -> Result<Vec<Notification>> {
        let Some(ticket_id) = e.subject.strip_prefix("ticket:").and_then(|s| s.parse::<i64>().ok()) else {
            return Ok(vec![]);
        };
        let t = match self.db.ticket(ticket_id).await {
            Ok(t) => t,
            Err(opsdesk_store::StoreError::NotFound) => return Ok(vec![]),
            Err(err) => return Err(err.into()),
        };
        let Some(desk_mail) = self.db.desk_mail(t.desk_id).await? else { return Ok(vec![]) };
        let thread = self.db.mail_of_ticket(t.id).await?;
        let mut wanted: Vec<(Notice, i64)> = Vec::new();
        let mut comment_body = String::new();
        match e.kind.as_str() {
            "ticket.created" => {
                // No acknowledgement of a message that a machine sent.
                if !thread.iter().any(|m| m.direction == "in" && m.automatic) {
                    wanted.push((Notice::Created, t.requester_id));
                }
                if let Some(a) = t.assignee_id.filter(|a| Some(*a) != e.actor_user_id) {
                    wanted.push((Notice::Assigned, a));
                }
            }
            "comment.added" if e.payload["public"].as_bool() == Some(true) => {
                let from_machine = e.payload["mail_id"]
                    .as_i64()
                    .and_then(|id| thread.iter().find(|m| m.id == id))
                    .is_some_and(|m| m.automatic);
                let comment_id = e.payload["comment_id"].as_i64();
                if !from_machine {
                    comment_body = self
                        .db
                        .comments(t.id, false)
                        .await?
                        .into_iter()
                        .find(|c| Some(c.id) == comment_id)
                        .map(|c| c.body)
                        .unwrap_or_default();
                    wanted.push((Notice::Reply, t.requester_id));
                    for w in self.db.watchers(t.id).await? {
                        wanted.push((Notice::Reply, w.user_id));
                    }
                }
            }
            "ticket.updated" => {
                let assigned = e.payload["fields"].as_array().is_some_and(|f| f.iter().any(|x| x == "assignee_id"));
                if let Some(a) = t.assignee_id.filter(|a| assigned && Some(*a) != e.actor_user_id) {
                    wanted.push((Notice::Assigned, a));
                }
            }
            "ticket.transitioned" if e.payload["to"].as_str() == Some(t.kind.resolved_status().as_str()) => {
                wanted.push((Notice::Resolved, t.requester_id));
            }
            _ => {}
        }
        // Kinds that are internal work (tasks) notify their assignees only.
        if !t.kind.def().requester_facing {
            wanted.retain(|(n, _)| *n == Notice::Assigned);
        }
        // Never to the person who caused it (except the acknowledgement of their own new
        // ticket), never twice to one person.
        wanted.retain(|(n, u)| *n == Notice::Created || Some(*u) != e.actor_user_id);
        let mut seen = std::collections::HashSet::new();
        wanted.retain(|(_, u)| seen.insert(*u));
        if wanted.is_empty() {
            return Ok(vec![]);
        }
        let view = super::DeskMailView::of(&desk_mail)?;
        let desk = self.db.desk(t.desk_id).await?;
        let author = match e.actor_user_id {
            Some(id) => self.db.user(id).await.ok().map(|u| u.name),
            None => None,
        }
        .unwrap_or_else(|| format!("{} service desk", desk.name));
        let requester = self.db.user(t.requester_id).await?;
        let agent = match t.assignee_id {
            Some(a) => self.db.user(a).await.ok().map(|u| u.name),
            None => None,
        };
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let mut out = Vec::new();
        for (notice, user_id) in wanted {
            let Ok(to) = self.db.user(user_id).await else { continue };
            if !to.active || is_mail_system(&to.email) || to.email == desk_mail.address {
                continue;
            }
            let mut v = Values::new();
            v.insert("ticket.number", t.number.clone());
            v.insert("ticket.title", t.title.clone());
            v.insert("ticket.status", t.status.as_str().to_string());
            v.insert("ticket.url", self.ticket_url(&t, &to));
            v.insert("desk.name", desk.name.clone());
            v.insert("requester.name", requester.name.clone());
            v.insert("agent.name", agent.clone().unwrap_or_default());
            v.insert("comment.body", comment_body.clone());
            v.insert("author.name", author.clone());
            let tpl = &view.templates[&notice];
            let text = render(&tpl.text, &v, false);
            let html = match &tpl.html {
                Some(h) => render(h, &v, true),
                None => text_to_html(&text),
            };
            let domain = opsdesk_mail::address::domain_of(&desk_mail.address).to_string();
            let message_id = format!("opsdesk.e{}.{}.u{}@{}", e.event_id, notice.as_str(), to.id, domain);
            let (in_reply_to, references) = threading(&thread, &to);
            let msg = Outgoing {
                from: Mailbox { address: desk_mail.address.clone(), name: desk_mail.from_name.clone() },
                to: Mailbox { address: to.email.clone(), name: Some(to.name.clone()) },
                subject: render(&tpl.subject, &v, false),
                text,
                html,
                message_id: message_id.clone(),
                in_reply_to,
                references,
                auto_generated: true,
                date: now.0.as_second(),
            };
            let raw = build(&msg);
            let sha = hex::encode(Sha256::digest(&raw));
            tx.put_blob(&sha, &raw, now).await?;
            let subject = opsdesk_mail::outbound::one_line(&msg.subject);
            let new = NewMail {
                message_id: &message_id,
                direction: "out",
                desk_id: Some(t.desk_id),
                ticket_id: Some(t.id),
                comment_id: None,
                sender: Some(&desk_mail.address),
                recipient: Some(&to.email),
                subject: &subject,
                status: status::QUEUED,
                reason: None,
                automatic: true,
                raw_sha256: &sha,
                size: raw.len() as i64,
                html: None,
                collapsed: None,
                notice: Some(notice.as_str()),
            };
            let Some(row) = tx.insert_mail(&new, now).await? else { continue };
            let key = format!("mail:{}", row.id);
            let job = NewJob {
                kind: SEND_JOB,
                payload: serde_json::json!({ "mail_id": row.id }),
                run_at: now,
                max_attempts: SEND_ATTEMPTS,
                unique_key: Some(&key),
            };
            tx.enqueue_job(&job, now).await?;
            out.push(Notification { notice, to: to.email.clone(), mail_id: row.id });
        }
        tx.commit().await?;
        Ok(out)
    }

    fn ticket_url(&self, t: &Ticket, to: &User) -> String {
        let base = self.config.mail.base_url.as_deref().unwrap_or("").trim_end_matches('/');
        match to.role {
            Role::Requester => format!("{base}/portal/tickets/{}", t.number),
            _ => format!("{base}/agent/tickets/{}", t.number),
        }
    }

    /// An outbound message to deliver: its envelope and bytes; `None` when it was sent already.
    pub async fn mail_to_send(&self, mail_id: i64) -> Result<Option<(MailMessage, Vec<u8>)>> {
        let m = self.db.mail_message(mail_id).await?;
        if m.direction != "out" || m.status == status::SENT {
            return Ok(None);
        }
        let raw = self.db.blob(&m.raw_sha256).await?;
        Ok(Some((m, raw)))
    }

    /// Records a delivery attempt. A final failure is recorded on the ticket's history, so
    /// it is visible there.
    pub async fn record_delivery(&self, mail_id: i64, error: Option<&str>, last_attempt: bool) -> Result<()> {
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let m = tx.mail_for_update(mail_id).await?;
        match error {
            None => tx.record_send_attempt(mail_id, status::SENT, None, now).await?,
            Some(err) => {
                let err: String = err.chars().take(500).collect();
                tx.record_send_attempt(mail_id, status::FAILED, Some(&err), now).await?;
                if let (true, Some(t)) = (last_attempt, m.ticket_id) {
                    let what = format!("{}: {err}", m.recipient.as_deref().unwrap_or(""));
                    tx.record_change(t, None, "mail_failed", None, Some(&what), now).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// In-Reply-To: the newest message from the recipient on this ticket, else the newest one at
/// all; References: the ticket's first message and the newest ones, oldest first.
fn threading(thread: &[MailMessage], to: &User) -> (Option<String>, Vec<String>) {
    let usable: Vec<&MailMessage> = thread.iter().filter(|m| m.status != status::DROPPED).collect();
    let irt = usable
        .iter()
        .rev()
        .find(|m| m.direction == "in" && m.sender.as_deref() == Some(to.email.as_str()))
        .or(usable.last())
        .map(|m| m.message_id.clone());
    let mut refs: Vec<String> = Vec::new();
    if let Some(first) = usable.first() {
        refs.push(first.message_id.clone());
    }
    let tail = usable.len().saturating_sub(19);
    for m in usable.iter().skip(tail.max(1)) {
        refs.push(m.message_id.clone());
    }
    (irt, refs)
}
