//! A person names a delegate for a window (`PUT /me/delegate`), or clears it (`DELETE`, or a
//! `PUT` with `"user": null`). While the window is open the delegate may decide approvals on
//! their behalf; decisions say so (`on_behalf_of`).

use crate::tickets::Ref;
use crate::{emit, App, AppError, Result};
use opsdesk_domain::approval::{parse_bound, Delegation};
use opsdesk_domain::{Actor, FieldError};
use opsdesk_store::audit::NewAuditEntry;
use opsdesk_store::Ts;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Who decides approvals for the caller, and when. `user: null` clears it (as DELETE does).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DelegateInput {
    /// The delegate: id or email; `null` clears the delegation.
    pub user: Option<Ref>,
    /// A date (in the caller's time zone) or an instant; default now.
    #[serde(default)]
    pub from: Option<String>,
    /// A date (that whole day is included) or an instant; `null` or absent: until cleared.
    #[serde(default)]
    pub until: Option<String>,
}

/// The caller's delegate.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Delegate)]
pub struct DelegateView {
    pub user: Option<DelegatePerson>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub from: Option<Ts>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub until: Option<Ts>,
    /// Whether the window is open now.
    pub active: bool,
}

/// A delegate.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DelegatePerson {
    pub id: i64,
    pub name: String,
    pub email: String,
}

impl App {
    pub async fn my_delegate(&self, actor: &Actor) -> Result<DelegateView> {
        let me = actor.user_id.ok_or(AppError::Forbidden)?;
        let now = Ts::now();
        Ok(match self.db.delegate_of(me).await? {
            Some(d) => DelegateView {
                active: d.starts_at <= now && d.ends_at.is_none_or(|e| now < e),
                user: Some(DelegatePerson { id: d.delegate_id, name: d.delegate_name, email: d.delegate_email }),
                from: Some(d.starts_at),
                until: d.ends_at,
            },
            None => DelegateView { user: None, from: None, until: None, active: false },
        })
    }

    /// Names or replaces the caller's delegate; `user: null` clears it.
    #[tracing::instrument(skip(self, input))]
    pub async fn set_my_delegate(&self, actor: &Actor, input: DelegateInput) -> Result<DelegateView> {
        let me = actor.user_id.ok_or(AppError::Forbidden)?;
        let Some(r) = input.user.as_ref() else { return self.clear_my_delegate(actor).await };
        let delegate = self.resolve_user(r, "user").await?;
        let user = self.db.user(me).await?;
        let tz = jiff::tz::TimeZone::get(&user.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let now = Ts::now();
        let from = match input.from.as_deref() {
            Some(f) => parse_bound(f, &tz, false, "from")?,
            None => now.0,
        };
        let until = input.until.as_deref().map(|u| parse_bound(u, &tz, true, "until")).transpose()?;
        let d = Delegation::new(me, delegate.id, from, until)?;
        if delegate.id == me {
            return Err(FieldError::new("user", "self_delegation", "you cannot delegate to yourself").into());
        }
        let mut tx = self.db.begin().await?;
        tx.put_delegate(me, d.delegate_id, Ts(d.from), d.until.map(Ts), now).await?;
        let detail = json!({ "delegate": delegate.id, "from": Ts(d.from), "until": d.until.map(Ts) });
        let audit = NewAuditEntry {
            action: "user.delegate_set",
            actor_user_id: Some(me),
            subject_user_id: Some(me),
            detail: detail.clone(),
            ..Default::default()
        };
        tx.append_audit(&audit, now).await?;
        emit(&mut tx, "user.delegate_set", format!("user:{me}"), actor, detail, now).await?;
        tx.commit().await?;
        self.my_delegate(actor).await
    }

    pub async fn clear_my_delegate(&self, actor: &Actor) -> Result<DelegateView> {
        let me = actor.user_id.ok_or(AppError::Forbidden)?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        if tx.delete_delegate(me).await? {
            let audit = NewAuditEntry {
                action: "user.delegate_cleared",
                actor_user_id: Some(me),
                subject_user_id: Some(me),
                detail: json!({}),
                ..Default::default()
            };
            tx.append_audit(&audit, now).await?;
            emit(&mut tx, "user.delegate_cleared", format!("user:{me}"), actor, json!({}), now).await?;
        }
        tx.commit().await?;
        self.my_delegate(actor).await
    }
}
