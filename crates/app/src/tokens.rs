//! API tokens: issued to a user, shown once, revocable.

use crate::secrets::{random_token, token_hash};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::{Actor, FieldError, Permission};
use opsdesk_store::audit::NewAuditEntry;
use opsdesk_store::tokens::ApiToken;
use opsdesk_store::Ts;
use serde_json::json;

/// A token just issued: the secret appears here and nowhere else, ever.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: ApiToken,
    pub secret: String,
}

impl App {
    /// Issues a token for `user_id`: people issue their own, admins anyone's.
    pub async fn issue_api_token(&self, actor: &Actor, user_id: i64, name: &str) -> Result<IssuedToken> {
        if !(actor.user_id == Some(user_id) || actor.can(Permission::ManageAnyToken)) {
            return Err(AppError::Forbidden);
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(FieldError::new("name", "invalid", "a token name is one line of 1 to 100 characters").into());
        }
        let user = self.db.user(user_id).await?;
        if !user.active {
            return Err(FieldError::new("user_id", "inactive", "the user is deactivated").into());
        }
        let secret = random_token("odk_");
        let prefix: String = secret.chars().take(10).collect();
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let token = tx.insert_api_token(user_id, name, &token_hash(&secret), &prefix, now).await?;
        let e = NewAuditEntry {
            action: "token.issued",
            actor_user_id: actor.user_id,
            subject_user_id: Some(user_id),
            detail: json!({ "token_id": token.id, "name": name }),
            ..Default::default()
        };
        tx.append_audit(&e, now).await?;
        emit(&mut tx, "token.issued", format!("user:{user_id}"), actor, json!({ "token_id": token.id }), now).await?;
        tx.commit().await?;
        Ok(IssuedToken { token, secret })
    }

    pub async fn api_tokens(&self, actor: &Actor, user_id: i64) -> Result<Vec<ApiToken>> {
        if !(actor.user_id == Some(user_id) || actor.can(Permission::ManageAnyToken)) {
            return Err(AppError::NotFound);
        }
        Ok(self.db.api_tokens_of(user_id).await?)
    }

    pub async fn revoke_api_token(&self, actor: &Actor, token_id: i64) -> Result<ApiToken> {
        let token = self.db.api_token(token_id).await?;
        if !(actor.user_id == Some(token.user_id) || actor.can(Permission::ManageAnyToken)) {
            return Err(AppError::NotFound);
        }
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let token = tx.revoke_api_token(token_id, now).await?;
        let e = NewAuditEntry {
            action: "token.revoked",
            actor_user_id: actor.user_id,
            subject_user_id: Some(token.user_id),
            detail: json!({ "token_id": token.id }),
            ..Default::default()
        };
        tx.append_audit(&e, now).await?;
        let p = json!({ "token_id": token.id });
        emit(&mut tx, "token.revoked", format!("user:{}", token.user_id), actor, p, now).await?;
        tx.commit().await?;
        Ok(token)
    }
}
