//! Creating and changing users: profile, role, organisation, activation, password.

use crate::secrets::hash_password;
use crate::{emit, App, AppError, Result};
use opsdesk_domain::validation::Checks;
use opsdesk_domain::{Actor, Email, FieldError, Locale, Password, Permission, PersonName, Role, TimeZoneName};
use opsdesk_store::audit::NewAuditEntry;
use opsdesk_store::users::{NewUser, User};
use opsdesk_store::{Ts, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// Input for creating a user, as it arrives from an edge (raw strings).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    #[schema(value_type = Role)]
    pub role: String,
    /// Without one, the user cannot sign in with a password until one is set.
    #[serde(default)]
    #[schema(min_length = 10, max_length = 1024)]
    pub password: Option<String>,
    /// IANA time zone name, such as `Europe/Paris` (default `UTC`).
    #[serde(default)]
    #[schema(min_length = 1, example = "Europe/Paris")]
    pub time_zone: Option<String>,
    /// Language tag, such as `en` or `en-GB` (default `en`).
    #[serde(default)]
    #[schema(max_length = 35, pattern = "^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    pub locale: Option<String>,
    #[serde(default)]
    pub organization_id: Option<i64>,
}

/// A partial update; absent fields stay as they are. `organization_id: null` removes the
/// organisation.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// Admins only; unique (a taken address answers 422 with `taken`).
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: Option<String>,
    #[schema(value_type = Option<Role>)]
    pub role: Option<String>,
    /// IANA time zone name, such as `Europe/Paris`.
    #[schema(min_length = 1)]
    pub time_zone: Option<String>,
    #[schema(max_length = 35, pattern = "^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    pub locale: Option<String>,
    /// `null` removes the organisation.
    #[serde(default, deserialize_with = "crate::nullable")]
    #[schema(value_type = Option<i64>)]
    pub organization_id: Option<Option<i64>>,
    pub active: Option<bool>,
    pub sees_all_groups: Option<bool>,
    /// A new password ends the user's sessions.
    #[schema(min_length = 10, max_length = 1024)]
    pub password: Option<String>,
    /// The user's manager (id or email); `null` removes it. Admins only.
    #[serde(default, deserialize_with = "crate::nullable")]
    pub manager: Option<Option<crate::tickets::Ref>>,
}

/// A person as the API shows them: a requester, an agent or an admin.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserView {
    pub id: i64,
    #[schema(format = Email)]
    pub email: String,
    pub name: String,
    pub role: Role,
    /// IANA time zone name, such as `Europe/Paris`.
    pub time_zone: String,
    /// Language tag, such as `en`.
    pub locale: String,
    pub organization_id: Option<i64>,
    /// Deactivated users cannot sign in; their tokens stop working.
    pub active: bool,
    /// An agent who sees the tickets of every group.
    pub sees_all_groups: bool,
    /// The user's manager, who approves when an approval names the requester's manager.
    pub manager: Option<i64>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Ts,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id,
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role,
            time_zone: u.time_zone.clone(),
            locale: u.locale.clone(),
            organization_id: u.organization_id,
            active: u.active,
            sees_all_groups: u.sees_all_groups,
            manager: u.manager_id,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

impl App {
    #[tracing::instrument(skip(self, input), fields(email = %input.email))]
    pub async fn create_user(&self, actor: &Actor, input: CreateUser) -> Result<User> {
        if !actor.can(Permission::ManageIdentities) {
            return Err(AppError::Forbidden);
        }
        let mut checks = Checks::new();
        let email = checks.take(Email::parse(&input.email));
        let name = checks.take(PersonName::parse(&input.name));
        let role = checks.take(Role::parse(&input.role));
        let tz = checks.take(input.time_zone.as_deref().map_or(Ok(TimeZoneName::utc()), TimeZoneName::parse));
        let locale = checks.take(input.locale.as_deref().map_or(Ok(Locale::english()), Locale::parse));
        let password = match input.password.as_deref() {
            Some(p) => checks.take(Password::parse(p)),
            None => None,
        };
        if let Some(org) = input.organization_id {
            if crate::error::found(self.db.organization(org).await)?.is_none() {
                checks.push(FieldError::new("organization_id", "unknown", "no such organization"));
            }
        }
        checks.finish()?;
        let (Some(email), Some(name), Some(role), Some(tz), Some(locale)) = (email, name, role, tz, locale) else {
            return Err(AppError::Internal("validated input is incomplete".into()));
        };
        let hash = match password {
            Some(p) => Some(hash_password(p.expose().to_string()).await?),
            None => None,
        };

        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let new = NewUser {
            email: email.as_str(),
            name: name.as_str(),
            role,
            time_zone: tz.as_str(),
            locale: locale.as_str(),
            password_hash: hash.as_deref(),
            organization_id: input.organization_id,
        };
        let user = insert_user_recorded(&mut tx, actor, &new, now).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Changes a user. Admins may change everything (email included); people may change their own name, time
    /// zone, locale and password. Deactivating a user or changing their role ends their
    /// sessions at once.
    #[tracing::instrument(skip(self, input))]
    pub async fn update_user(&self, actor: &Actor, user_id: i64, input: UpdateUser) -> Result<User> {
        let admin = actor.can(Permission::ManageIdentities);
        if !admin {
            if actor.user_id != Some(user_id) {
                return Err(AppError::NotFound);
            }
            let privileged = input.email.is_some()
                || input.role.is_some()
                || input.organization_id.is_some()
                || input.active.is_some()
                || input.sees_all_groups.is_some()
                || input.manager.is_some();
            if privileged {
                return Err(AppError::Forbidden);
            }
        }
        let mut checks = Checks::new();
        let email = input.email.as_deref().map(Email::parse).and_then(|r| checks.take(r));
        let name = input.name.as_deref().map(PersonName::parse).and_then(|r| checks.take(r));
        let role = input.role.as_deref().map(Role::parse).and_then(|r| checks.take(r));
        let tz = input.time_zone.as_deref().map(TimeZoneName::parse).and_then(|r| checks.take(r));
        let locale = input.locale.as_deref().map(Locale::parse).and_then(|r| checks.take(r));
        let password = input.password.as_deref().map(Password::parse).and_then(|r| checks.take(r));
        if let Some(Some(org)) = input.organization_id {
            if crate::error::found(self.db.organization(org).await)?.is_none() {
                checks.push(FieldError::new("organization_id", "unknown", "no such organization"));
            }
        }
        if actor.user_id == Some(user_id) && (input.active == Some(false) || role.is_some_and(|r| r != Role::Admin)) {
            checks.push(FieldError::new("role", "self_lockout", "admins cannot demote or deactivate themselves"));
        }
        let manager = match &input.manager {
            Some(Some(r)) => match self.resolve_user(r, "manager").await {
                Ok(m) if m.id == user_id => {
                    checks.push(FieldError::new("manager", "self_manager", "a user cannot be their own manager"));
                    None
                }
                Ok(m) => Some(Some(m.id)),
                Err(AppError::Invalid(inv)) => {
                    inv.0.into_iter().for_each(|e| checks.push(e));
                    None
                }
                Err(e) => return Err(e),
            },
            Some(None) => Some(None),
            None => None,
        };
        checks.finish()?;
        let hash = match password {
            Some(p) => Some(hash_password(p.expose().to_string()).await?),
            None => None,
        };

        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let before = tx.user_for_update(user_id).await?;
        let mut after = before.clone();
        if let Some(e) = email {
            after.email = e.as_str().to_string();
        }
        if let Some(n) = name {
            after.name = n.as_str().to_string();
        }
        if let Some(r) = role {
            after.role = r;
        }
        if let Some(t) = tz {
            after.time_zone = t.as_str().to_string();
        }
        if let Some(l) = locale {
            after.locale = l.as_str().to_string();
        }
        if let Some(o) = input.organization_id {
            after.organization_id = o;
        }
        if let Some(a) = input.active {
            after.active = a;
        }
        if let Some(s) = input.sees_all_groups {
            after.sees_all_groups = s;
        }
        if let Some(m) = manager {
            after.manager_id = m;
        }
        after.updated_at = now;
        tx.update_user(&after).await.map_err(|e| AppError::taken(e, "email", "email", "this email address"))?;

        let audit = |action: &'static str, detail: serde_json::Value| NewAuditEntry {
            action,
            actor_user_id: actor.user_id,
            subject_user_id: Some(user_id),
            email: None,
            ip: None,
            detail,
        };
        if before.role != after.role {
            let e = audit("user.role_changed", json!({ "from": before.role, "to": after.role }));
            tx.append_audit(&e, now).await?;
        }
        if before.email != after.email {
            let e = audit("user.email_changed", json!({ "from": before.email, "to": after.email }));
            tx.append_audit(&e, now).await?;
        }
        if before.active != after.active {
            let e = audit(if after.active { "user.activated" } else { "user.deactivated" }, json!({}));
            tx.append_audit(&e, now).await?;
        }
        if before.sees_all_groups != after.sees_all_groups {
            let e = audit("user.group_scope_changed", json!({ "sees_all_groups": after.sees_all_groups }));
            tx.append_audit(&e, now).await?;
        }
        if before.manager_id != after.manager_id {
            let e = audit("user.manager_changed", json!({ "from": before.manager_id, "to": after.manager_id }));
            tx.append_audit(&e, now).await?;
        }
        if let Some(h) = &hash {
            tx.set_password_hash(user_id, h, now).await?;
            tx.append_audit(&audit("user.password_changed", json!({})), now).await?;
        }
        // Losing access must take effect at once, sessions included. API tokens are kept
        // (revocable separately) but stop working while the user is inactive.
        if before.role != after.role || (before.active && !after.active) || hash.is_some() {
            tx.delete_sessions_of(user_id).await?;
        }
        emit(&mut tx, "user.updated", format!("user:{user_id}"), actor, json!({}), now).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// A user's profile: admins see anyone, agents see anyone (they work with requesters),
    /// requesters see themselves.
    pub async fn user(&self, actor: &Actor, user_id: i64) -> Result<User> {
        if actor.role == Role::Requester && actor.user_id != Some(user_id) {
            return Err(AppError::NotFound);
        }
        Ok(self.db.user(user_id).await?)
    }

    pub async fn users(&self, actor: &Actor, after: i64, limit: i64) -> Result<Vec<User>> {
        if actor.role == Role::Requester {
            return Err(AppError::Forbidden);
        }
        Ok(self.db.users(after, limit).await?)
    }

    /// Looks a user up by email for the operator's console (the CLI).
    pub async fn user_by_email(&self, email: &str) -> Result<User> {
        let email = Email::parse(email)?;
        self.db.user_by_email(email.as_str()).await?.ok_or(AppError::NotFound)
    }
}

/// Inserts a user with its audit entry and `user.created` event, inside the caller's
/// transaction (a requester created by an inbound message commits with that message).
pub(crate) async fn insert_user_recorded(tx: &mut Tx, actor: &Actor, new: &NewUser<'_>, now: Ts) -> Result<User> {
    let user =
        tx.insert_user(new, now).await.map_err(|e| AppError::taken(e, "email", "email", "this email address"))?;
    let role = new.role.as_str();
    let entry = NewAuditEntry {
        action: "user.created",
        actor_user_id: actor.user_id,
        subject_user_id: Some(user.id),
        email: Some(&user.email),
        detail: json!({ "role": role }),
        ..Default::default()
    };
    tx.append_audit(&entry, now).await?;
    emit(tx, "user.created", format!("user:{}", user.id), actor, json!({ "role": role }), now).await?;
    Ok(user)
}
