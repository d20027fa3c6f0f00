//! Forgotten passwords: a person asks for a reset link by email address (or an admin sends
//! one), the worker emails a single-use link that expires, and using it sets a new password
//! and ends the person's sessions. The answer to a request is the same whether an account
//! exists or not, and requests are throttled per address asked for and per client.

mod mail;

use crate::auth::{account_key, audit, count_attempt, reset_keys};
use crate::secrets::{hash_password, token_hash};
use crate::{emit, App, AppError, Origin, Result};
use opsdesk_domain::{Actor, Email, Password, Permission};
use opsdesk_store::audit::NewAuditEntry;
use opsdesk_store::jobs::NewJob;
use opsdesk_store::password_resets::PasswordReset;
use opsdesk_store::users::User;
use opsdesk_store::{Ts, Tx};
use serde_json::json;
use std::time::Duration;

/// The job that composes and delivers one reset message.
pub const RESET_MAIL_JOB: &str = "password_reset.mail";
/// How long an emailed link works.
pub const RESET_LINK_TTL: Duration = Duration::from_secs(3600);

/// Whether a reset link can set a password, or why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetCheck {
    Usable,
    /// No such link (mistyped, forged, or for a user who no longer exists or is deactivated).
    Unknown,
    Expired,
    Used,
    /// A newer link was sent to the same person; only the newest works.
    Replaced,
}

impl ResetCheck {
    fn of(link: Option<&PasswordReset>, user_active: bool, now: Ts) -> ResetCheck {
        match link {
            None => ResetCheck::Unknown,
            Some(_) if !user_active => ResetCheck::Unknown,
            Some(l) if l.used_at.is_some() => ResetCheck::Used,
            Some(l) if l.revoked_at.is_some() => ResetCheck::Replaced,
            Some(l) if l.expires_at <= now => ResetCheck::Expired,
            Some(_) => ResetCheck::Usable,
        }
    }

    /// The error a refused link answers: 404 for an unknown link, 410 for one that worked once.
    pub fn refusal(self) -> Option<AppError> {
        let gone = |code, message: &str| AppError::Gone { code, message: message.to_string() };
        match self {
            ResetCheck::Usable => None,
            ResetCheck::Unknown => Some(AppError::NotFound),
            ResetCheck::Expired => Some(gone("reset_link_expired", "this reset link has expired; ask for a new one")),
            ResetCheck::Used => {
                Some(gone("reset_link_used", "this reset link has already been used; a link works once"))
            }
            ResetCheck::Replaced => {
                Some(gone("reset_link_replaced", "a newer reset link was sent; use the link in the latest message"))
            }
        }
    }
}

impl App {
    /// Asks for a reset link for `email`. Answers `Ok` whether or not an active account has
    /// this address, after the same reads and writes (the throttle counters and an audit row);
    /// only an active account gets a message, sent by the worker.
    #[tracing::instrument(skip(self, email), fields(ip = %origin.ip))]
    pub async fn request_password_reset(&self, email: &str, origin: &Origin) -> Result<()> {
        let address = Email::parse(email)?;
        let now = Ts::now();
        let keys = reset_keys(address.as_str(), origin);
        if let Some((key, retry_after_secs)) = self.locked_key(&keys, now).await? {
            let mut tx = self.db.begin().await?;
            audit(&mut tx, "password_reset.throttled", None, email, origin, json!({ "key": key }), now).await?;
            tx.commit().await?;
            return Err(AppError::Throttled { retry_after_secs });
        }
        let user = self.db.user_by_email(address.as_str()).await?;
        let mut tx = self.db.begin().await?;
        count_attempt(&mut tx, &keys, now).await?;
        let (subject, reason) = match &user {
            Some(u) if u.active => {
                enqueue_reset_mail(&mut tx, u.id, now).await?;
                (Some(u.id), "sent")
            }
            Some(u) => (Some(u.id), "inactive_account"),
            None => (None, "unknown_account"),
        };
        audit(&mut tx, "password_reset.requested", subject, email, origin, json!({ "outcome": reason }), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An admin sends a user a reset link instead of typing a password for them.
    #[tracing::instrument(skip(self))]
    pub async fn send_password_reset(&self, actor: &Actor, user_id: i64) -> Result<()> {
        if !actor.can(Permission::ManageIdentities) {
            return Err(AppError::Forbidden);
        }
        let user = self.db.user(user_id).await?;
        if !user.active {
            return Err(AppError::Conflict {
                code: "user_inactive",
                message: "this user is deactivated; reactivate them before sending a reset link".into(),
            });
        }
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        enqueue_reset_mail(&mut tx, user.id, now).await?;
        let e = NewAuditEntry {
            action: "password_reset.sent",
            actor_user_id: actor.user_id,
            subject_user_id: Some(user.id),
            email: Some(&user.email),
            ..Default::default()
        };
        tx.append_audit(&e, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether a link can still be used, for the page that asks for the new password.
    pub async fn password_reset_check(&self, token: &str) -> Result<ResetCheck> {
        let mut tx = self.db.begin().await?;
        let (check, _) = check_in(&mut tx, token, Ts::now()).await?;
        drop(tx);
        Ok(check)
    }

    /// Sets a new password through a link: the link is used once, the password follows the
    /// usual rules, and the person's other sessions end.
    #[tracing::instrument(skip(self, token, password), fields(ip = %origin.ip))]
    pub async fn reset_password(&self, token: &str, password: &str, origin: &Origin) -> Result<User> {
        if let Some(refused) = self.password_reset_check(token).await?.refusal() {
            return Err(refused);
        }
        let password = Password::parse(password)?;
        // Hashing takes a while: it is done before the transaction, which checks the link again.
        let hash = hash_password(password.expose().to_string()).await?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let (check, found) = check_in(&mut tx, token, now).await?;
        let Some((link, user)) = found.filter(|_| check == ResetCheck::Usable) else {
            return Err(check.refusal().unwrap_or(AppError::NotFound));
        };
        if !tx.use_password_reset(link.id, now).await? {
            return Err(ResetCheck::Used.refusal().unwrap_or(AppError::NotFound));
        }
        tx.set_password_hash(user.id, &hash, now).await?;
        tx.delete_sessions_of(user.id).await?;
        // The owner of the address just proved it: earlier wrong guesses no longer lock them out.
        tx.clear_throttle(&account_key(&user.email)).await?;
        audit(&mut tx, "user.password_reset", Some(user.id), &user.email, origin, json!({}), now).await?;
        let (actor, _) = self.actor_for(user.id).await?;
        emit(&mut tx, "user.password_reset", format!("user:{}", user.id), &actor, json!({}), now).await?;
        tx.commit().await?;
        Ok(user)
    }
}

/// The link behind `token` and its user, with whether it can be used at `now`.
async fn check_in(tx: &mut Tx, token: &str, now: Ts) -> Result<(ResetCheck, Option<(PasswordReset, User)>)> {
    let Some(link) = tx.password_reset(&token_hash(token.trim())).await? else {
        return Ok((ResetCheck::Unknown, None));
    };
    let user = tx.user_for_update(link.user_id).await?;
    let check = ResetCheck::of(Some(&link), user.active, now);
    Ok((check, Some((link, user))))
}

async fn enqueue_reset_mail(tx: &mut Tx, user_id: i64, now: Ts) -> Result<()> {
    let job = NewJob {
        kind: RESET_MAIL_JOB,
        payload: json!({ "user_id": user_id }),
        run_at: now,
        max_attempts: crate::mail::SEND_ATTEMPTS,
        unique_key: None,
    };
    tx.enqueue_job(&job, now).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(expires: i64, used: Option<i64>, revoked: Option<i64>) -> PasswordReset {
        PasswordReset {
            id: 1,
            user_id: 1,
            created_at: Ts::from_micros(0),
            expires_at: Ts::from_micros(expires),
            used_at: used.map(Ts::from_micros),
            revoked_at: revoked.map(Ts::from_micros),
        }
    }

    #[test]
    fn a_link_works_once_until_it_expires_and_while_it_is_the_newest() {
        let now = Ts::from_micros(100);
        assert_eq!(ResetCheck::of(Some(&link(200, None, None)), true, now), ResetCheck::Usable);
        assert_eq!(ResetCheck::of(Some(&link(100, None, None)), true, now), ResetCheck::Expired);
        assert_eq!(ResetCheck::of(Some(&link(200, Some(50), None)), true, now), ResetCheck::Used);
        assert_eq!(ResetCheck::of(Some(&link(200, None, Some(50))), true, now), ResetCheck::Replaced);
        assert_eq!(ResetCheck::of(Some(&link(200, None, None)), false, now), ResetCheck::Unknown);
        assert_eq!(ResetCheck::of(None, true, now), ResetCheck::Unknown);
    }
}
