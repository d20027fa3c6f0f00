//! Logging in and out, and turning a session cookie or an API token into an `Actor`.

use crate::secrets::{random_token, same_secret, token_hash, verify_password};
use crate::{App, AppError, Origin, Result};
use opsdesk_domain::throttle::{FailureCount, ThrottlePolicy};
use opsdesk_domain::{Actor, Email};
use opsdesk_store::audit::NewAuditEntry;
use opsdesk_store::throttle::ThrottleState;
use opsdesk_store::users::User;
use opsdesk_store::{Ts, Tx};
use serde_json::json;

/// A new login session; `token` goes into the cookie and is never stored.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub user: User,
    pub expires_at: Ts,
}

/// An authenticated request's identity.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub actor: Actor,
    pub user: User,
    /// Set for cookie sessions: state-changing requests must echo it.
    pub csrf_token: Option<String>,
}

pub(crate) fn account_key(email: &str) -> String {
    format!("account:{}", email.trim().to_lowercase())
}

fn address_key(ip: &str) -> String {
    format!("address:{ip}")
}

/// The throttle keys of a password-reset request: the address asked for and the client.
pub(crate) fn reset_keys(email: &str, origin: &Origin) -> [(String, ThrottlePolicy); 2] {
    [
        (format!("reset-{}", account_key(email)), ThrottlePolicy::RESET_ACCOUNT),
        (format!("reset-{}", address_key(&origin.ip)), ThrottlePolicy::RESET_ADDRESS),
    ]
}

/// Counts one more attempt against each key, inside the caller's transaction.
pub(crate) async fn count_attempt(tx: &mut Tx, keys: &[(String, ThrottlePolicy)], now: Ts) -> Result<()> {
    for (key, policy) in keys {
        let state = tx.throttle_state_in_tx(key).await?.map(to_count);
        tx.put_throttle_state(key, &to_state(policy.after_failure(state.as_ref(), now.0))).await?;
    }
    Ok(())
}

fn to_count(s: ThrottleState) -> FailureCount {
    FailureCount {
        failures: s.failures,
        window_started_at: s.window_started_at.0,
        locked_until: s.locked_until.map(|t| t.0),
    }
}

fn to_state(c: FailureCount) -> ThrottleState {
    ThrottleState {
        failures: c.failures,
        window_started_at: Ts(c.window_started_at),
        locked_until: c.locked_until.map(Ts),
    }
}

impl App {
    /// Checks a password login. Wrong email and wrong password answer the same, in about the
    /// same time; too many failures per account or per address answer `Throttled`.
    #[tracing::instrument(skip(self, password), fields(ip = %origin.ip))]
    pub async fn login(&self, email: &str, password: &str, origin: &Origin) -> Result<NewSession> {
        let now = Ts::now();
        let keys = [(account_key(email), ThrottlePolicy::ACCOUNT), (address_key(&origin.ip), ThrottlePolicy::ADDRESS)];
        if let Some((key, retry_after_secs)) = self.locked_key(&keys, now).await? {
            let mut tx = self.db.begin().await?;
            audit(&mut tx, "login.throttled", None, email, origin, json!({ "key": key }), now).await?;
            tx.commit().await?;
            return Err(AppError::Throttled { retry_after_secs });
        }

        let user = match Email::parse(email) {
            Ok(e) => self.db.user_by_email(e.as_str()).await?,
            Err(_) => None,
        };
        let stored = match &user {
            Some(u) => self.db.password_hash(u.id).await?,
            None => None,
        };
        let password_ok = verify_password(password.to_string(), stored).await?;
        let user = match user {
            Some(u) if password_ok && u.active => u,
            other => {
                let reason = match &other {
                    None => "unknown_account",
                    Some(u) if !u.active => "inactive_account",
                    Some(_) => "wrong_password",
                };
                let mut tx = self.db.begin().await?;
                count_attempt(&mut tx, &keys, now).await?;
                let subject = other.as_ref().map(|u| u.id);
                audit(&mut tx, "login.failed", subject, email, origin, json!({ "reason": reason }), now).await?;
                tx.commit().await?;
                return Err(AppError::BadCredentials);
            }
        };

        let token = random_token("");
        let csrf_token = random_token("");
        let expires_at = now.plus(self.config.session_ttl);
        let mut tx = self.db.begin().await?;
        tx.clear_throttle(&keys[0].0).await?;
        tx.insert_session(&token_hash(&token), user.id, &csrf_token, &origin.ip, now, expires_at).await?;
        audit(&mut tx, "login.succeeded", Some(user.id), &user.email, origin, json!({}), now).await?;
        tx.commit().await?;
        Ok(NewSession { token, csrf_token, user, expires_at })
    }

    /// The first locked key's kind (`account`, `address`, ...) and the seconds until it opens.
    pub(crate) async fn locked_key(&self, keys: &[(String, ThrottlePolicy)], now: Ts) -> Result<Option<(String, u64)>> {
        for (key, policy) in keys {
            let state = self.db.throttle_state(key).await?.map(to_count);
            if let Some(wait) = policy.locked_for(state.as_ref(), now.0) {
                let kind = key.split(':').next().unwrap_or_default().to_string();
                return Ok(Some((kind, wait.as_secs().max(1) as u64)));
            }
        }
        Ok(None)
    }

    /// Ends a session. Unknown tokens are ignored: logging out twice is not an error.
    pub async fn logout(&self, session_token: &str, origin: &Origin) -> Result<()> {
        let mut tx = self.db.begin().await?;
        if let Some(user_id) = tx.delete_session(&token_hash(session_token)).await? {
            let e = NewAuditEntry {
                action: "logout",
                actor_user_id: Some(user_id),
                subject_user_id: Some(user_id),
                ip: Some(&origin.ip),
                ..Default::default()
            };
            tx.append_audit(&e, Ts::now()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The identity behind a session cookie, if the session is live and its user active.
    pub async fn authenticate_session(&self, session_token: &str) -> Result<Authenticated> {
        let found = self.db.session(&token_hash(session_token)).await?.ok_or(AppError::Unauthenticated)?;
        if !found.user_active || found.expires_at <= Ts::now() {
            return Err(AppError::Unauthenticated);
        }
        let (actor, user) = self.actor_for(found.user_id).await?;
        Ok(Authenticated { actor, user, csrf_token: Some(found.csrf_token) })
    }

    /// The identity behind an API token, if it is not revoked and its user is active.
    pub async fn authenticate_token(&self, token: &str) -> Result<Authenticated> {
        let found = self.db.token_principal(&token_hash(token)).await?.ok_or(AppError::Unauthenticated)?;
        if found.revoked || !found.user.active {
            return Err(AppError::Unauthenticated);
        }
        let now = Ts::now();
        // Recording every use would turn each API read into a write; once a minute is enough to
        // tell a live token from a forgotten one.
        if found.last_used_at.is_none_or(|t| t.plus(std::time::Duration::from_secs(60)) < now) {
            self.db.touch_api_token(found.token_id, now).await?;
        }
        // The token, its user and the user's memberships come from one read, so a role change
        // or a removed membership still takes effect on the very next request.
        let user = found.user;
        let actor = Actor {
            user_id: Some(user.id),
            role: user.role,
            organization_id: user.organization_id,
            group_ids: found.group_ids,
            sees_all_groups: user.sees_all_groups,
        };
        Ok(Authenticated { actor, user, csrf_token: None })
    }

    /// Builds the actor of a user from their current role and memberships, so that a role
    /// change or a removed membership takes effect on the very next request.
    pub async fn actor_for(&self, user_id: i64) -> Result<(Actor, User)> {
        let user = self.db.user(user_id).await?;
        if !user.active {
            return Err(AppError::Unauthenticated);
        }
        let group_ids = self.db.group_ids_of(user_id).await?;
        let actor = Actor {
            user_id: Some(user.id),
            role: user.role,
            organization_id: user.organization_id,
            group_ids,
            sees_all_groups: user.sees_all_groups,
        };
        Ok((actor, user))
    }

    /// Whether a submitted CSRF token matches the session's.
    pub fn csrf_ok(auth: &Authenticated, submitted: Option<&str>) -> bool {
        match (&auth.csrf_token, submitted) {
            (None, _) => true,
            (Some(expected), Some(got)) => same_secret(expected, got),
            (Some(_), None) => false,
        }
    }
}

/// Appends a login-related audit row.
pub(crate) async fn audit(
    tx: &mut Tx,
    action: &str,
    subject: Option<i64>,
    email: &str,
    origin: &Origin,
    detail: serde_json::Value,
    now: Ts,
) -> Result<()> {
    // The email as typed may be anything; keep a bounded, single-line copy.
    let email: String = email.chars().filter(|c| !c.is_control()).take(254).collect();
    let e = NewAuditEntry {
        action,
        actor_user_id: subject,
        subject_user_id: subject,
        email: Some(&email),
        ip: Some(&origin.ip),
        detail,
    };
    tx.append_audit(&e, now).await?;
    Ok(())
}
