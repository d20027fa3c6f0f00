//! Ingesting one inbound message, whichever way it arrived (MTA pipe, mailbox, SMTP). The
//! message row, the ticket or comment it becomes, its attachments, history and event commit
//! together; the unique Message-ID makes a second delivery a no-op, even a parallel one.

use super::sender::{pending_requester, store_requester};
use crate::tickets::create::{insert_prepared, Lookups};
use crate::tickets::transition::move_ticket;
use crate::tickets::{clean_filename, CreateTicket, Ref};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::{Actor, Role};
use opsdesk_mail::classify::classify;
use opsdesk_mail::quote::collapse;
use opsdesk_mail::thread::{decide, number_in_subject, Decision, StrangerPolicy, ThreadFacts};
use opsdesk_mail::InboundMail;
use opsdesk_store::mail::{status, NewMail};
use opsdesk_store::tickets::{NewAttachment, Ticket};
use opsdesk_store::users::User;
use opsdesk_store::{Ts, Tx};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[schema(as = MailOutcome)]
pub enum Outcome {
    Ticket {
        ticket_id: i64,
        number: String,
    },
    Comment {
        ticket_id: i64,
        comment_id: i64,
    },
    Held {
        ticket_id: Option<i64>,
        reason: String,
    },
    Bounce {
        ticket_id: Option<i64>,
    },
    Dropped,
    /// The same Message-ID was stored before; nothing changed.
    Duplicate,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ingested {
    pub mail_id: Option<i64>,
    pub message_id: String,
    pub automatic: bool,
    #[serde(flatten)]
    pub outcome: Outcome,
}

const TITLE_MAX: usize = 300;

impl App {
    /// Ingests one raw message for `desk` (id or name: the desk of mail whose recipients name
    /// no desk address). Errors: `TooLarge` and `Invalid` are permanent refusals; store
    /// errors are temporary (the MTA retries).
    #[tracing::instrument(skip(self, raw), fields(size = raw.len()))]
    pub async fn ingest_mail(&self, desk: &str, raw: &[u8]) -> Result<Ingested> {
        let cfg = self.config.mail.clone();
        if raw.len() > cfg.max_message_bytes {
            return Err(AppError::TooLarge { limit: cfg.max_message_bytes as i64 });
        }
        let fallback_desk = self.resolve_desk_ref(desk).await?;
        let mail = InboundMail::parse(raw);
        if self.db.mail_by_message_id(&mail.message_id).await?.is_some() {
            return Ok(duplicate(&mail));
        }
        let desks_mail = self.db.all_desk_mail().await?;
        let our_addresses: Vec<String> = desks_mail.iter().map(|d| d.address.clone()).collect();
        let desk_mail = desks_mail
            .iter()
            .find(|d| mail.recipients.contains(&d.address))
            .or_else(|| desks_mail.iter().find(|d| d.desk_id == fallback_desk));
        let desk_id = desk_mail.map(|d| d.desk_id).unwrap_or(fallback_desk);
        let strangers = desk_mail.and_then(|d| StrangerPolicy::parse(&d.strangers)).unwrap_or(StrangerPolicy::Hold);
        let sender = mail.from.as_ref().map(|f| f.address.clone());
        let class = classify(&mail.signals, sender.as_deref(), &our_addresses);

        let bounce = match &mail.bounce {
            Some(b) => Some(match &b.original_message_id {
                Some(id) => self.db.ticket_of_references(std::slice::from_ref(id)).await?,
                None => None,
            }),
            None => None,
        };
        let mut ticket = self.db.ticket_of_references(&mail.referenced_ids()).await?;
        if ticket.is_none() {
            if let Some(n) = number_in_subject(&mail.subject) {
                ticket = self.db.ticket_by_number(&n).await.ok().map(|t| t.id);
            }
        }
        let user = match &sender {
            Some(s) => self.db.user_by_email(s).await?,
            None => None,
        };
        let target = match ticket {
            Some(id) => Some(self.db.ticket(id).await?),
            None => None,
        };
        let sender_participates = match (&user, &target) {
            (Some(u), Some(t)) => self.participates(u, t).await?,
            _ => false,
        };
        // The per-sender limit is counted inside the write transaction (see store_ingested).
        let limit = match &sender {
            Some(s) if bounce.is_none() && !class.ours => Some(SenderLimit {
                sender: s.clone(),
                since: Ts::from_micros(Ts::now().micros() - cfg.sender_window.as_micros() as i64),
                max: cfg.sender_limit,
            }),
            _ => None,
        };
        let facts = ThreadFacts {
            ours: class.ours,
            bounce,
            ticket: target.as_ref().map(|t| t.id),
            sender_participates,
            has_sender: sender.is_some(),
            rate_limited: false,
            strangers,
        };
        let mut decision = decide(&facts);
        let user = match (decision, user, &mail.from) {
            // A new sender's account is inserted with the message, in its transaction.
            (Decision::NewTicket, None, Some(from)) => {
                let pending = pending_requester(&from.address, from.name.as_deref(), Ts::now());
                if pending.is_none() {
                    decision = Decision::Hold { ticket_id: None, reason: opsdesk_mail::thread::HoldReason::NoSender };
                }
                pending
            }
            (_, u, _) => u,
        };
        let route = Route {
            desk_id,
            facts,
            decision,
            user,
            limit,
            automatic: class.automatic,
            reasons: class.reasons.join(","),
        };
        self.store_ingested(&mail, raw, route, target).await
    }

    /// Whether `u` takes part in `t`: its requester, a watcher, the assignee, or an agent who
    /// may work it.
    async fn participates(&self, u: &User, t: &Ticket) -> Result<bool> {
        if !u.active {
            return Ok(false);
        }
        if t.requester_id == u.id || t.assignee_id == Some(u.id) {
            return Ok(true);
        }
        if self.db.watchers(t.id).await?.iter().any(|w| w.user_id == u.id) {
            return Ok(true);
        }
        if u.role != Role::Requester {
            let (actor, _) = self.actor_for(u.id).await?;
            return Ok(actor.can_work_ticket(&t.access()));
        }
        Ok(false)
    }

    async fn resolve_desk_ref(&self, desk: &str) -> Result<i64> {
        let desks = self.db.desks().await?;
        let d = desk.trim();
        desks
            .iter()
            .find(|x| d.parse::<i64>().ok() == Some(x.id) || x.name.eq_ignore_ascii_case(d))
            .map(|x| x.id)
            .ok_or_else(|| opsdesk_domain::FieldError::new("desk", "unknown", format!("no service desk {d:?}")).into())
    }

    async fn store_ingested(
        &self,
        mail: &InboundMail,
        raw: &[u8],
        route: Route,
        target: Option<Ticket>,
    ) -> Result<Ingested> {
        let Route { desk_id, mut facts, mut decision, user, limit, automatic, reasons } = route;
        let now = Ts::now();
        let collapsed = collapse(&mail.text);
        let sha = hex::encode(Sha256::digest(raw));
        let subject: String = mail.subject.chars().take(998).collect();
        // Ticket creation validates against committed reads, so it is prepared first.
        let prepared = match (decision, &user) {
            (Decision::NewTicket, Some(u)) => {
                let actor = requester_actor(u);
                let title = match mail.subject.trim() {
                    "" => "(no subject)".to_string(),
                    s => s.chars().take(TITLE_MAX).collect(),
                };
                let input = CreateTicket {
                    kind: "incident".into(),
                    title,
                    description: bounded(&collapsed.visible),
                    desk: Some(Ref::Id(desk_id)),
                    ..Default::default()
                };
                let mut lookups = Lookups::with_pending_requester(u.clone());
                Some(self.prepare_ticket(&actor, input, now, &mut lookups).await?)
            }
            _ => None,
        };
        let mut tx = self.db.begin().await?;
        if let Some(l) = &limit {
            // Count and insert under one lock: parallel deliveries from one sender queue
            // here, so at most `max` within the window get past it.
            tx.lock_mail_sender(&l.sender).await?;
            if tx.mail_count_from(&l.sender, l.since).await? >= l.max {
                facts.rate_limited = true;
                decision = decide(&facts);
            }
        }
        tx.put_blob(&sha, raw, now).await?;
        let reason = (!reasons.is_empty()).then_some(reasons.as_str());
        let new = NewMail {
            message_id: &mail.message_id,
            direction: "in",
            desk_id: Some(desk_id),
            ticket_id: None,
            comment_id: None,
            sender: mail.from.as_ref().map(|f| f.address.as_str()),
            recipient: mail.recipients.first().map(String::as_str),
            subject: &subject,
            status: status::HELD,
            reason,
            automatic,
            raw_sha256: &sha,
            size: raw.len() as i64,
            html: mail.html.as_deref(),
            collapsed: collapsed.collapsed.as_deref(),
            notice: None,
        };
        let Some(row) = tx.insert_mail(&new, now).await? else {
            // A parallel delivery of the same message won the unique key.
            return Ok(duplicate(mail));
        };
        let outcome = match (decision, user, target) {
            (Decision::NewTicket, Some(u), _) => {
                let Some(p) = prepared else { return Err(AppError::Internal("ticket not prepared".into())) };
                let u = store_requester(&mut tx, &u, now).await?;
                let actor = requester_actor(&u);
                let t = insert_prepared(&mut tx, &actor, p.with_requester(&u), now).await?;
                attach_all(&mut tx, mail, t.id, None, u.id, now).await?;
                tx.set_mail_outcome(row.id, status::TICKET, Some(t.id), None, reason, now).await?;
                Outcome::Ticket { ticket_id: t.id, number: t.number }
            }
            (Decision::Comment { ticket_id }, Some(u), _) => {
                let comment_id = post_reply(&mut tx, &u, ticket_id, &collapsed.visible, row.id, now).await?;
                attach_all(&mut tx, mail, ticket_id, Some(comment_id), u.id, now).await?;
                tx.set_mail_outcome(row.id, status::COMMENT, Some(ticket_id), Some(comment_id), reason, now).await?;
                Outcome::Comment { ticket_id, comment_id }
            }
            (Decision::Bounce { ticket_id }, _, _) => {
                let b = mail.bounce.as_ref();
                let what = format!(
                    "{} {}",
                    b.and_then(|b| b.recipient.as_deref()).unwrap_or("unknown recipient"),
                    b.and_then(|b| b.status.as_deref()).unwrap_or("")
                );
                if let Some(t) = ticket_id {
                    tx.record_change(t, None, "mail_bounced", None, Some(what.trim()), now).await?;
                    emit(
                        &mut tx,
                        "mail.bounced",
                        format!("ticket:{t}"),
                        &Actor::system(),
                        json!({ "mail_id": row.id }),
                        now,
                    )
                    .await?;
                }
                tx.set_mail_outcome(row.id, status::BOUNCE, ticket_id, None, Some(what.trim()), now).await?;
                Outcome::Bounce { ticket_id }
            }
            (Decision::Drop, _, _) => {
                tracing::warn!(message_id = %mail.message_id, "dropped our own mail coming back");
                tx.set_mail_outcome(row.id, status::DROPPED, None, None, Some("own_address"), now).await?;
                Outcome::Dropped
            }
            (Decision::Hold { ticket_id, reason: why }, _, _) => {
                if let Some(t) = ticket_id {
                    let from = mail.from.as_ref().map(|f| f.address.as_str()).unwrap_or("unknown sender");
                    tx.record_change(t, None, "mail_held", None, Some(from), now).await?;
                }
                let subject = ticket_id.map(|t| format!("ticket:{t}")).unwrap_or_else(|| format!("desk:{desk_id}"));
                emit(
                    &mut tx,
                    "mail.held",
                    subject,
                    &Actor::system(),
                    json!({ "mail_id": row.id, "reason": why.as_str() }),
                    now,
                )
                .await?;
                tx.set_mail_outcome(row.id, status::HELD, ticket_id, None, Some(why.as_str()), now).await?;
                Outcome::Held { ticket_id, reason: why.as_str().into() }
            }
            // A new ticket or a comment without a user cannot happen (decide needs a sender
            // for both); hold it rather than lose it.
            (_, None, _) => {
                tx.set_mail_outcome(row.id, status::HELD, None, None, Some("no_sender"), now).await?;
                Outcome::Held { ticket_id: None, reason: "no_sender".into() }
            }
        };
        tx.commit().await?;
        Ok(Ingested { mail_id: Some(row.id), message_id: mail.message_id.clone(), automatic, outcome })
    }
}

/// Where the pipeline routes a message, before the write transaction has the final word on
/// the sender's limit.
struct Route {
    desk_id: i64,
    facts: ThreadFacts,
    decision: Decision,
    /// The sender's account, or a pending one (see `sender::pending_requester`).
    user: Option<User>,
    limit: Option<SenderLimit>,
    automatic: bool,
    reasons: String,
}

/// At most `max` inbound messages from `sender` since `since` are posted.
struct SenderLimit {
    sender: String,
    since: Ts,
    max: i64,
}

fn duplicate(mail: &InboundMail) -> Ingested {
    Ingested { mail_id: None, message_id: mail.message_id.clone(), automatic: false, outcome: Outcome::Duplicate }
}

pub(super) fn requester_actor(u: &User) -> Actor {
    Actor {
        user_id: Some(u.id),
        role: u.role,
        organization_id: u.organization_id,
        group_ids: vec![],
        sees_all_groups: false,
    }
}

fn bounded(s: &str) -> String {
    s.chars().filter(|c| *c != '\0').take(crate::tickets::DESCRIPTION_MAX).collect()
}

/// A participant's reply by mail: a public comment; a requester's reply reopens a resolved
/// ticket (the way back that the resolution notice offers).
pub(super) async fn post_reply(
    tx: &mut Tx,
    u: &User,
    ticket_id: i64,
    text: &str,
    mail_id: i64,
    now: Ts,
) -> Result<i64> {
    let body = match bounded(text) {
        b if b.trim().is_empty() => "(empty message)".to_string(),
        b => b,
    };
    let actor = requester_actor(u);
    let comment = tx.insert_comment(ticket_id, Some(u.id), &body, true, "email", now).await?;
    tx.index_comment(ticket_id, &body, true).await?;
    let payload = json!({ "comment_id": comment.id, "public": true, "mail_id": mail_id });
    emit(tx, "comment.added", format!("ticket:{ticket_id}"), &actor, payload, now).await?;
    let current = tx.ticket_for_update(ticket_id).await?;
    let reopen = current.kind.reopen_status().filter(|_| current.status == current.kind.resolved_status());
    if let Some(to) = reopen.filter(|_| current.requester_id == u.id) {
        move_ticket(tx, &actor, &current, to, None, None, true, now).await?;
    }
    Ok(comment.id)
}

pub(super) async fn attach_all(
    tx: &mut Tx,
    mail: &InboundMail,
    ticket_id: i64,
    comment_id: Option<i64>,
    uploaded_by: i64,
    now: Ts,
) -> Result<()> {
    for a in mail.attachments.iter().filter(|a| !a.data.is_empty()) {
        let sha = hex::encode(Sha256::digest(&a.data));
        tx.put_blob(&sha, &a.data, now).await?;
        let filename = clean_filename(&a.filename);
        let new = NewAttachment {
            ticket_id,
            comment_id,
            sha256: &sha,
            filename: &filename,
            content_type: &a.content_type,
            public: true,
            uploaded_by: Some(uploaded_by),
        };
        tx.insert_attachment(&new, a.data.len() as i64, now).await?;
    }
    Ok(())
}
