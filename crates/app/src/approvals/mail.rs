//! Approval mail: the request when a stage starts, the reminder, and the escalation to the
//! approver's manager. Requests and reminders carry a signed link (a fresh random token; only
//! its hash is stored). The message kept in the database is a copy with the link blanked, so
//! the token exists only in the copy that is delivered; the worker sends the real bytes.

use crate::secrets::{random_token, token_hash};
use crate::{App, Result};
use opsdesk_mail::outbound::{build, one_line, Outgoing};
use opsdesk_mail::Mailbox;
use opsdesk_store::mail::{status, NewMail};
use opsdesk_store::Ts;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// The job that composes and delivers one approval message.
pub const MAIL_JOB: &str = "approval.mail";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailPurpose {
    Request,
    Reminder,
    Escalation,
}

impl MailPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            MailPurpose::Request => "request",
            MailPurpose::Reminder => "reminder",
            MailPurpose::Escalation => "escalation",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "request" => Some(MailPurpose::Request),
            "reminder" => Some(MailPurpose::Reminder),
            "escalation" => Some(MailPurpose::Escalation),
            _ => None,
        }
    }
}

/// A composed message: recorded (queued) under `mail_id`, `raw` to deliver.
#[derive(Debug, Clone)]
pub struct ComposedMail {
    pub mail_id: i64,
    pub from: String,
    pub to: String,
    pub raw: Vec<u8>,
}

impl App {
    /// Composes the approval message for `approver` of `stage_id`. `None` when there is nothing
    /// to send any more (the stage finished, the approver decided, no desk address, no manager).
    /// `attempt_tag` makes the Message-ID of each delivery attempt distinct.
    #[tracing::instrument(skip(self))]
    pub async fn compose_approval_mail(
        &self,
        stage_id: i64,
        approver_id: i64,
        purpose: MailPurpose,
        attempt_tag: &str,
    ) -> Result<Option<ComposedMail>> {
        let stage = self.db.approval_stage(stage_id).await?;
        let rec = self.db.approval_record(stage.approval_id).await?;
        let decided = rec.decisions.iter().any(|d| d.stage_id == stage_id && d.approver_id == approver_id);
        if rec.approval.state != "pending" || stage.state != "pending" || decided {
            return Ok(None);
        }
        let Ok(ticket) = self.db.ticket(rec.approval.subject_id).await else { return Ok(None) };
        let Some(desk_mail) = self.db.desk_mail(ticket.desk_id).await? else {
            tracing::warn!(desk = ticket.desk_id, "approval mail not sent: the desk has no email address");
            return Ok(None);
        };
        let approver = self.db.user(approver_id).await?;
        let to = match purpose {
            MailPurpose::Escalation => match approver.manager_id {
                Some(m) => self.db.user(m).await?,
                None => return Ok(None),
            },
            _ => approver.clone(),
        };
        if !to.active {
            return Ok(None);
        }
        let requester = self.db.user(ticket.requester_id).await?;
        let stages = rec.stages.len();
        let position = stage.position + 1;
        let settings = self.approval_settings().await?;
        let now = Ts::now();
        let base = self.config.mail.base_url.as_deref().unwrap_or("").trim_end_matches('/').to_string();
        let (token, expires) = match purpose {
            MailPurpose::Escalation => (None, now),
            _ => {
                let ttl = Duration::from_secs(settings.link_ttl_secs.max(1) as u64);
                (Some(random_token("opa_")), now.plus(ttl))
            }
        };
        let render = |link: &str| -> (String, String) {
            let title = one_line(&ticket.title);
            match purpose {
                MailPurpose::Request | MailPurpose::Reminder => {
                    let again = if purpose == MailPurpose::Reminder { "Reminder: " } else { "" };
                    let subject = format!("{again}[{}] Approval needed: {title}", ticket.number);
                    let text = format!(
                        "{again}{} asks for your approval.\n\n{} {title}\nRequested by {}\nStage {position} of {stages}\n\n\
                         Approve or reject it here (no sign-in needed):\n{link}\n\n\
                         The link works once and until {}. You can also decide on the Approvals page:\n{base}/approvals",
                        requester.name,
                        ticket.number,
                        requester.name,
                        expires.0.strftime("%Y-%m-%d %H:%M UTC"),
                    );
                    (subject, text)
                }
                MailPurpose::Escalation => {
                    let subject = format!("[{}] Approval waiting on {}: {title}", ticket.number, approver.name);
                    let text = format!(
                        "{} has not yet decided on the approval of {} {title} (stage {position} of {stages}), \
                         requested by {}.\n\nYou are told as their manager. The request: {base}/agent/tickets/{}",
                        approver.name, ticket.number, requester.name, ticket.number,
                    );
                    (subject, text)
                }
            }
        };
        let real_link = token.as_deref().map(|t| format!("{base}/approvals/link/{t}")).unwrap_or_default();
        let kept_link = format!("{base}/approvals/link/(link removed from the stored copy)");
        let domain = opsdesk_mail::address::domain_of(&desk_mail.address).to_string();
        let message_id = format!("opsdesk.approval.s{stage_id}.u{}.{}.{attempt_tag}@{domain}", to.id, purpose.as_str());
        let message = |link: &str| {
            let (subject, text) = render(link);
            Outgoing::notice(
                Mailbox { address: desk_mail.address.clone(), name: desk_mail.from_name.clone() },
                Mailbox { address: to.email.clone(), name: Some(to.name.clone()) },
                subject,
                text,
                message_id.clone(),
                now.0.as_second(),
            )
        };
        let sent = message(&real_link);
        let raw = build(&sent);
        let kept = build(&message(&kept_link));
        let sha = hex::encode(Sha256::digest(&kept));
        let mut tx = self.db.begin().await?;
        if let Some(t) = &token {
            tx.insert_approval_link(&token_hash(t), stage_id, approver_id, now, expires).await?;
        }
        tx.put_blob(&sha, &kept, now).await?;
        let subject = one_line(&sent.subject);
        let new = NewMail {
            message_id: &message_id,
            direction: "out",
            desk_id: Some(ticket.desk_id),
            ticket_id: Some(ticket.id),
            comment_id: None,
            sender: Some(&desk_mail.address),
            recipient: Some(&to.email),
            subject: &subject,
            status: status::QUEUED,
            reason: None,
            automatic: true,
            raw_sha256: &sha,
            size: kept.len() as i64,
            html: None,
            collapsed: None,
            notice: Some(match purpose {
                MailPurpose::Request => "approval_request",
                MailPurpose::Reminder => "approval_reminder",
                MailPurpose::Escalation => "approval_escalation",
            }),
        };
        let Some(row) = tx.insert_mail(&new, now).await? else { return Ok(None) };
        tx.commit().await?;
        Ok(Some(ComposedMail { mail_id: row.id, from: desk_mail.address.clone(), to: to.email.clone(), raw }))
    }
}
