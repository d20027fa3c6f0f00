//! Messages held for an agent (a stranger's reply, a sender over the limit), and a ticket's
//! mail in and out. Agents release a held message into its ticket (the sender then watches
//! it) or discard it; the raw message of every stored mail stays downloadable.

use super::ingest::{attach_all, post_reply, requester_actor};
use super::sender::{pending_requester, store_requester};
use super::views::{DeliveryAttemptView, MailMessageView};
use super::Outcome;
use crate::tickets::create::{insert_prepared, Lookups};
use crate::tickets::{CreateTicket, Ref};
use crate::{App, AppError, Result};
use opsdesk_domain::{Actor, FieldError, Role};
use opsdesk_mail::InboundMail;
use opsdesk_store::mail::{status, MailMessage};
use opsdesk_store::tickets::Ticket;
use opsdesk_store::Ts;
use std::collections::HashMap;

impl App {
    /// Held messages the actor may act on: of tickets they may work; admins also see those
    /// held without a ticket.
    pub async fn held_mail(&self, actor: &Actor, after: i64, limit: i64) -> Result<Vec<MailMessage>> {
        Ok(self.held_with_tickets(actor, after, limit).await?.into_iter().map(|(m, _)| m).collect())
    }

    /// The held messages the actor may act on, each with its ticket: one query per page of
    /// messages and one for their tickets, since the queue page counts them on every render.
    async fn held_with_tickets(
        &self,
        actor: &Actor,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(MailMessage, Option<Ticket>)>> {
        if actor.role == Role::Requester {
            return Err(AppError::Forbidden);
        }
        let limit = limit.max(0) as usize;
        let mut out = Vec::new();
        let mut cursor = after;
        while out.len() < limit {
            let page = self.db.mail_in_status(status::HELD, cursor, 200).await?;
            let Some(last) = page.last() else { break };
            cursor = last.id;
            let mut ids: Vec<i64> = page.iter().filter_map(|m| m.ticket_id).collect();
            ids.sort_unstable();
            ids.dedup();
            let tickets: HashMap<i64, Ticket> =
                self.db.tickets_by_ids(&ids).await?.into_iter().map(|t| (t.id, t)).collect();
            for m in page {
                let ticket = m.ticket_id.and_then(|id| tickets.get(&id).cloned());
                let may = match (m.ticket_id, &ticket) {
                    (Some(_), Some(t)) => actor.can_work_ticket(&t.access()),
                    (Some(_), None) => false,
                    (None, _) => actor.role == Role::Admin,
                };
                if may && out.len() < limit {
                    out.push((m, ticket));
                }
            }
        }
        Ok(out)
    }

    async fn may_handle(&self, actor: &Actor, m: &MailMessage) -> Result<bool> {
        Ok(match m.ticket_id {
            Some(t) => actor.can_work_ticket(&self.db.ticket(t).await?.access()),
            None => actor.role == Role::Admin,
        })
    }

    async fn held(&self, actor: &Actor, mail_id: i64) -> Result<MailMessage> {
        if actor.role == Role::Requester {
            return Err(AppError::NotFound);
        }
        let m = self.db.mail_message(mail_id).await?;
        if m.direction != "in" || !self.may_handle(actor, &m).await? {
            return Err(AppError::NotFound);
        }
        if m.status != status::HELD {
            return Err(AppError::Conflict { code: "not_held", message: "this message is not held".into() });
        }
        Ok(m)
    }

    /// Posts a held message: into its ticket as the sender's reply (the sender becomes a
    /// watcher), or as a new ticket when it answered none.
    #[tracing::instrument(skip(self))]
    pub async fn release_mail(&self, actor: &Actor, mail_id: i64) -> Result<Outcome> {
        let m = self.held(actor, mail_id).await?;
        let raw = self.db.blob(&m.raw_sha256).await?;
        let mail = InboundMail::parse(&raw);
        let Some(from) = mail.from.as_ref() else {
            return Err(FieldError::new("mail", "no_sender", "the message has no sender to post it as").into());
        };
        let now = Ts::now();
        // A new sender's account is inserted in the release's transaction, not before it.
        let user = match self.db.user_by_email(&from.address).await? {
            Some(u) => u,
            None => pending_requester(&from.address, from.name.as_deref(), now).ok_or_else(|| {
                FieldError::new("mail", "no_sender", "the sender's address cannot become a requester")
            })?,
        };
        let text = opsdesk_mail::quote::collapse(&mail.text).visible;
        let prepared = match m.ticket_id {
            None => {
                let input = CreateTicket {
                    kind: "incident".into(),
                    title: if m.subject.trim().is_empty() {
                        "(no subject)".into()
                    } else {
                        m.subject.chars().take(300).collect()
                    },
                    description: text.chars().take(crate::tickets::DESCRIPTION_MAX).collect(),
                    desk: m.desk_id.map(Ref::Id),
                    ..Default::default()
                };
                let mut lookups = Lookups::with_pending_requester(user.clone());
                Some(self.prepare_ticket(&requester_actor(&user), input, now, &mut lookups).await?)
            }
            Some(_) => None,
        };
        let mut tx = self.db.begin().await?;
        let current = tx.mail_for_update(mail_id).await?;
        if current.status != status::HELD {
            return Err(AppError::Conflict { code: "not_held", message: "this message is not held".into() });
        }
        tx.lock_mail_sender(&from.address).await?;
        let user = store_requester(&mut tx, &user, now).await?;
        let outcome = match (m.ticket_id, prepared) {
            (Some(ticket_id), _) => {
                tx.add_watcher(ticket_id, user.id).await?;
                let comment_id = post_reply(&mut tx, &user, ticket_id, &text, mail_id, now).await?;
                attach_all(&mut tx, &mail, ticket_id, Some(comment_id), user.id, now).await?;
                tx.record_change(ticket_id, actor.user_id, "mail_released", None, Some(&from.address), now).await?;
                tx.set_mail_outcome(mail_id, status::RELEASED, Some(ticket_id), Some(comment_id), None, now).await?;
                Outcome::Comment { ticket_id, comment_id }
            }
            (None, Some(p)) => {
                let t = insert_prepared(&mut tx, &requester_actor(&user), p.with_requester(&user), now).await?;
                attach_all(&mut tx, &mail, t.id, None, user.id, now).await?;
                tx.set_mail_outcome(mail_id, status::RELEASED, Some(t.id), None, None, now).await?;
                Outcome::Ticket { ticket_id: t.id, number: t.number }
            }
            (None, None) => return Err(AppError::Internal("ticket not prepared".into())),
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// Discards a held message (it stays stored, marked discarded).
    pub async fn discard_mail(&self, actor: &Actor, mail_id: i64) -> Result<()> {
        let m = self.held(actor, mail_id).await?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        tx.set_mail_outcome(mail_id, status::DISCARDED, m.ticket_id, None, m.reason.as_deref(), now).await?;
        if let Some(t) = m.ticket_id {
            tx.record_change(t, actor.user_id, "mail_discarded", None, m.sender.as_deref(), now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Held messages with what an agent needs to decide on them: a text preview (plain text,
    /// for escaping by the page) and the ticket's number.
    pub async fn held_mail_review(&self, actor: &Actor, after: i64, limit: i64) -> Result<Vec<HeldMail>> {
        let mut out = Vec::new();
        for (m, ticket) in self.held_with_tickets(actor, after, limit).await? {
            let preview = match self.db.blob(&m.raw_sha256).await {
                Ok(raw) => preview(&InboundMail::parse(&raw).text),
                Err(e) => {
                    tracing::warn!(mail_id = m.id, error = %e, "held message without its raw bytes");
                    String::new()
                }
            };
            out.push(HeldMail { message: m, preview, ticket_number: ticket.map(|t| t.number) });
        }
        Ok(out)
    }

    /// How many messages wait for this agent, counting at most `cap` (for the navigation).
    pub async fn held_mail_count(&self, actor: &Actor, cap: i64) -> Result<i64> {
        if actor.role == Role::Requester {
            return Ok(0);
        }
        Ok(self.held_mail(actor, 0, cap).await?.len() as i64)
    }

    /// The raw bytes of any stored message the actor may handle: one of a ticket they may
    /// work, or (admins) one that belongs to no ticket. Others get `NotFound`.
    pub async fn mail_raw(&self, actor: &Actor, mail_id: i64) -> Result<(MailMessage, Vec<u8>)> {
        if actor.role == Role::Requester {
            return Err(AppError::NotFound);
        }
        let m = self.db.mail_message(mail_id).await?;
        if !self.may_handle(actor, &m).await? {
            return Err(AppError::NotFound);
        }
        let raw = self.db.blob(&m.raw_sha256).await?;
        Ok((m, raw))
    }

    /// A ticket's mail in and out, with delivery states and every delivery attempt with its
    /// error (agents who may work it).
    pub async fn ticket_mail(&self, actor: &Actor, id_or_number: &str) -> Result<Vec<MailMessageView>> {
        let t = self.workable_ticket(actor, id_or_number).await?;
        let messages = self.db.mail_of_ticket(t.id).await?;
        let mut deliveries = self.db.deliveries_of_ticket(t.id).await?.into_iter().peekable();
        // Both lists are ordered by message id, so one pass pairs them.
        Ok(messages
            .iter()
            .map(|m| {
                let mut view = MailMessageView::from(m);
                while let Some(d) = deliveries.next_if(|d| d.mail_id <= m.id) {
                    if d.mail_id == m.id {
                        view.deliveries.push(DeliveryAttemptView::from(&d));
                    }
                }
                view
            })
            .collect())
    }

    /// The raw bytes of one of a ticket's messages (agents who may work it).
    pub async fn ticket_mail_raw(&self, actor: &Actor, id_or_number: &str, mail_id: i64) -> Result<Vec<u8>> {
        let t = self.workable_ticket(actor, id_or_number).await?;
        let m = self.db.mail_message(mail_id).await?;
        if m.ticket_id != Some(t.id) {
            return Err(AppError::NotFound);
        }
        Ok(self.db.blob(&m.raw_sha256).await?)
    }
}

/// A held message as the review page shows it.
#[derive(Debug, Clone)]
pub struct HeldMail {
    pub message: MailMessage,
    /// The start of its text, quoted history collapsed; plain text.
    pub preview: String,
    pub ticket_number: Option<String>,
}

const PREVIEW_CHARS: usize = 400;

fn preview(text: &str) -> String {
    let visible = opsdesk_mail::quote::collapse(text).visible;
    let mut out: String = visible.chars().filter(|c| *c != '\0').take(PREVIEW_CHARS).collect();
    if visible.chars().count() > PREVIEW_CHARS {
        out.push('…');
    }
    out
}
