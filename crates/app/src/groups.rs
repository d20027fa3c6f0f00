//! Organisations of requesters, and groups of agents with their members.

use crate::{emit, App, AppError, Result};
use opsdesk_domain::{Actor, FieldError, Permission, Role};
use opsdesk_store::audit::NewAuditEntry;
use opsdesk_store::groups::{Group, GroupMember};
use opsdesk_store::organizations::Organization;
use opsdesk_store::Ts;
use serde::Deserialize;
use serde_json::json;

/// A new organisation.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganization {
    /// Unique; one line.
    #[schema(
        max_length = 120,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
}

/// A new group of agents.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroup {
    /// Unique; one line.
    #[schema(
        max_length = 120,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    /// At most 2,000 bytes of UTF-8 (500 characters always fit).
    #[serde(default)]
    #[schema(max_length = 500)]
    pub description: String,
    /// An agent or admin, who becomes a member too.
    #[serde(default)]
    pub lead_user_id: Option<i64>,
}

/// A short, one-line name for an organisation or group.
pub(crate) fn title(raw: &str, field: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "required", "a name is required"));
    }
    if s.chars().count() > 120 || s.chars().any(char::is_control) {
        return Err(FieldError::new(field, "invalid", "a name is one line of at most 120 characters"));
    }
    Ok(s.to_string())
}

impl App {
    pub async fn create_organization(&self, actor: &Actor, input: CreateOrganization) -> Result<Organization> {
        if !actor.can(Permission::ManageIdentities) {
            return Err(AppError::Forbidden);
        }
        let name = title(&input.name, "name")?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let org = tx
            .insert_organization(&name, now)
            .await
            .map_err(|e| AppError::taken(e, "name", "name", "this organization name"))?;
        emit(&mut tx, "organization.created", format!("organization:{}", org.id), actor, json!({}), now).await?;
        tx.commit().await?;
        Ok(org)
    }

    pub async fn organizations(&self, actor: &Actor, after: i64, limit: i64) -> Result<Vec<Organization>> {
        if actor.role == Role::Requester {
            return Err(AppError::Forbidden);
        }
        Ok(self.db.organizations(after, limit).await?)
    }

    pub async fn create_group(&self, actor: &Actor, input: CreateGroup) -> Result<Group> {
        if !actor.can(Permission::ManageIdentities) {
            return Err(AppError::Forbidden);
        }
        let name = title(&input.name, "name")?;
        if input.description.len() > 2000 {
            return Err(FieldError::new("description", "too_long", "a description has at most 2000 bytes").into());
        }
        if let Some(lead) = input.lead_user_id {
            self.require_agent(lead, "lead_user_id").await?;
        }
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let group = tx
            .insert_group(&name, &input.description, input.lead_user_id, now)
            .await
            .map_err(|e| AppError::taken(e, "name", "name", "this group name"))?;
        // A lead is a member of the group they lead.
        if let Some(lead) = input.lead_user_id {
            tx.add_group_member(group.id, lead, now).await?;
            let e = NewAuditEntry {
                action: "group.member_added",
                actor_user_id: actor.user_id,
                subject_user_id: Some(lead),
                detail: json!({ "group_id": group.id, "as": "lead" }),
                ..Default::default()
            };
            tx.append_audit(&e, now).await?;
        }
        emit(&mut tx, "group.created", format!("group:{}", group.id), actor, json!({}), now).await?;
        tx.commit().await?;
        Ok(group)
    }

    pub async fn groups(&self, actor: &Actor, after: i64, limit: i64) -> Result<Vec<Group>> {
        if actor.role == Role::Requester {
            return Err(AppError::Forbidden);
        }
        Ok(self.db.groups(after, limit).await?)
    }

    pub async fn group(&self, actor: &Actor, group_id: i64) -> Result<(Group, Vec<GroupMember>)> {
        if actor.role == Role::Requester {
            return Err(AppError::Forbidden);
        }
        let g = self.db.group(group_id).await?;
        let members = self.db.group_members(group_id).await?;
        Ok((g, members))
    }

    /// Makes an agent (or admin) a member of a group. Requesters are never group members: a
    /// group is where tickets are worked.
    pub async fn add_group_member(&self, actor: &Actor, group_id: i64, user_id: i64) -> Result<()> {
        if !actor.can(Permission::ManageIdentities) {
            return Err(AppError::Forbidden);
        }
        self.db.group(group_id).await?;
        self.require_agent(user_id, "user_id").await?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        if tx.add_group_member(group_id, user_id, now).await? {
            let e = NewAuditEntry {
                action: "group.member_added",
                actor_user_id: actor.user_id,
                subject_user_id: Some(user_id),
                detail: json!({ "group_id": group_id }),
                ..Default::default()
            };
            tx.append_audit(&e, now).await?;
            let p = json!({ "user_id": user_id });
            emit(&mut tx, "group.member_added", format!("group:{group_id}"), actor, p, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes a member; they lose access to the group's work on their next request, and stop
    /// leading it if they did.
    pub async fn remove_group_member(&self, actor: &Actor, group_id: i64, user_id: i64) -> Result<()> {
        if !actor.can(Permission::ManageIdentities) {
            return Err(AppError::Forbidden);
        }
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        tx.remove_group_member(group_id, user_id).await?;
        let e = NewAuditEntry {
            action: "group.member_removed",
            actor_user_id: actor.user_id,
            subject_user_id: Some(user_id),
            detail: json!({ "group_id": group_id }),
            ..Default::default()
        };
        tx.append_audit(&e, now).await?;
        emit(&mut tx, "group.member_removed", format!("group:{group_id}"), actor, json!({ "user_id": user_id }), now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn require_agent(&self, user_id: i64, field: &str) -> Result<()> {
        match self.db.user(user_id).await {
            Ok(u) if u.role != Role::Requester => Ok(()),
            Ok(_) => Err(FieldError::new(field, "not_an_agent", "only agents and admins can be group members").into()),
            Err(opsdesk_store::StoreError::NotFound) => Err(FieldError::new(field, "unknown", "no such user").into()),
            Err(e) => Err(e.into()),
        }
    }
}
