//! The reset message: a fresh random token whose hash is stored (replacing the user's previous
//! link), sent from the first desk that has an email address. As with approval links, the
//! stored copy of the message has the link blanked; only the delivered bytes carry it.

use super::RESET_LINK_TTL;
use crate::approvals::ComposedMail;
use crate::secrets::{random_token, token_hash};
use crate::{App, Result};
use opsdesk_mail::outbound::{build, one_line, Outgoing};
use opsdesk_mail::Mailbox;
use opsdesk_store::mail::{status, NewMail};
use opsdesk_store::Ts;
use sha2::{Digest, Sha256};

impl App {
    /// Composes the reset message for `user_id` and stores its link. `None` when there is
    /// nothing to send (the user is gone or deactivated, or no desk has an email address).
    /// `attempt_tag` makes the Message-ID of each delivery attempt distinct.
    #[tracing::instrument(skip(self))]
    pub async fn compose_password_reset_mail(&self, user_id: i64, attempt_tag: &str) -> Result<Option<ComposedMail>> {
        let Some(user) = crate::error::found(self.db.user(user_id).await)? else { return Ok(None) };
        if !user.active {
            return Ok(None);
        }
        let mut sender = None;
        for desk in self.db.desks().await? {
            if let Some(m) = self.db.desk_mail(desk.id).await? {
                sender = Some((desk.id, m));
                break;
            }
        }
        let Some((desk_id, desk_mail)) = sender else {
            tracing::warn!(user = user_id, "password reset mail not sent: no desk has an email address");
            return Ok(None);
        };
        let now = Ts::now();
        let expires = now.plus(RESET_LINK_TTL);
        let token = random_token("opr_");
        let base = self.config.mail.base_url.as_deref().unwrap_or("").trim_end_matches('/').to_string();
        let real_link = format!("{base}/password-reset/{token}");
        let kept_link = format!("{base}/password-reset/(link removed from the stored copy)");
        let domain = opsdesk_mail::address::domain_of(&desk_mail.address).to_string();
        let message_id = format!("opsdesk.password-reset.u{user_id}.{attempt_tag}@{domain}");
        let message = |link: &str| {
            let text = format!(
                "Hello {},\n\nSomeone (hopefully you) asked to reset the password of your account.\n\n\
                 Choose a new password here:\n{link}\n\n\
                 The link works once and until {}. A newer request replaces it. \
                 If you did not ask, ignore this message: your password stays as it is.",
                one_line(&user.name),
                expires.0.strftime("%Y-%m-%d %H:%M UTC"),
            );
            Outgoing::notice(
                Mailbox { address: desk_mail.address.clone(), name: desk_mail.from_name.clone() },
                Mailbox { address: user.email.clone(), name: Some(user.name.clone()) },
                "Reset your password".into(),
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
        tx.insert_password_reset(&token_hash(&token), user.id, now, expires).await?;
        tx.put_blob(&sha, &kept, now).await?;
        let new = NewMail {
            message_id: &message_id,
            direction: "out",
            desk_id: Some(desk_id),
            ticket_id: None,
            comment_id: None,
            sender: Some(&desk_mail.address),
            recipient: Some(&user.email),
            subject: &sent.subject,
            status: status::QUEUED,
            reason: None,
            automatic: true,
            raw_sha256: &sha,
            size: kept.len() as i64,
            html: None,
            collapsed: None,
            notice: Some("password_reset"),
        };
        let Some(row) = tx.insert_mail(&new, now).await? else { return Ok(None) };
        tx.commit().await?;
        Ok(Some(ComposedMail { mail_id: row.id, from: desk_mail.address.clone(), to: user.email.clone(), raw }))
    }
}
