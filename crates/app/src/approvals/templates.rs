//! Approval templates, managed by admins: the stages a service request gets when it enters
//! `awaiting_approval`. A category's template wins over its desk's. References are checked
//! and stored as ids when the template is written; people are resolved again (active ones,
//! the requester's manager) when an approval starts from it.

use crate::tickets::Ref;
use crate::{emit, App, AppError, Result};
use opsdesk_domain::approval::{ApprovalSpec, GroupRef, UserRef};
use opsdesk_domain::validation::Checks;
use opsdesk_domain::{Actor, FieldError, Invalid, Permission};
use opsdesk_store::approvals::ApprovalTemplate;
use opsdesk_store::Ts;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// An approval template for service requests of a desk or of one of its categories (the
/// category's wins).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ApprovalTemplateInput)]
pub struct TemplateInput {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The desk: id or name.
    pub desk: Ref,
    /// A category of the desk (id, name or `Parent/Child`); absent for the desk's template.
    #[serde(default)]
    pub category: Option<Ref>,
    /// The same shape as an approval's `stages`: 1 to 20.
    #[schema(value_type = Vec<super::StageInputSchema>, min_items = 1, max_items = 20)]
    pub stages: serde_json::Value,
}

/// An approval template; its references are stored as ids.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ApprovalTemplate)]
pub struct TemplateView {
    pub id: i64,
    pub name: String,
    pub desk_id: i64,
    pub category_id: Option<i64>,
    #[schema(value_type = Vec<super::StageInputSchema>)]
    pub stages: serde_json::Value,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Ts,
}

impl TryFrom<ApprovalTemplate> for TemplateView {
    type Error = AppError;

    fn try_from(t: ApprovalTemplate) -> Result<Self> {
        let spec: serde_json::Value = opsdesk_store::stored_json(&format!("approval template {}", t.id), &t.spec)?;
        Ok(TemplateView {
            id: t.id,
            name: t.name,
            desk_id: t.desk_id,
            category_id: t.category_id,
            stages: spec.get("stages").cloned().unwrap_or_default(),
            created_at: t.created_at,
            updated_at: t.updated_at,
        })
    }
}

fn admin(actor: &Actor) -> Result<()> {
    if actor.can(Permission::ManageIdentities) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

impl App {
    pub async fn approval_templates(&self, actor: &Actor) -> Result<Vec<TemplateView>> {
        if actor.role == opsdesk_domain::Role::Requester {
            return Err(AppError::Forbidden);
        }
        self.db.approval_templates().await?.into_iter().map(TemplateView::try_from).collect()
    }

    pub async fn approval_template(&self, actor: &Actor, id: i64) -> Result<TemplateView> {
        if actor.role == opsdesk_domain::Role::Requester {
            return Err(AppError::NotFound);
        }
        self.db.approval_template(id).await?.try_into()
    }

    /// Creates (`id` none) or replaces a template.
    #[tracing::instrument(skip(self, input))]
    pub async fn put_approval_template(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: TemplateInput,
    ) -> Result<TemplateView> {
        admin(actor)?;
        let (desk_id, category_id, name, spec) = self.check_template(&input).await?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let written = match id {
            None => tx.insert_approval_template(desk_id, category_id, &name, &spec, now).await,
            Some(id) => tx.update_approval_template(id, desk_id, category_id, &name, &spec, now).await,
        }
        .map_err(|e| {
            if e.is_conflict_on("approval_templates") || e.is_conflict_on("desk_id") {
                FieldError::new("category", "taken", "this desk or category already has a template").into()
            } else {
                AppError::from(e)
            }
        })?;
        let payload = json!({ "template_id": written.id });
        emit(&mut tx, "approval_template.saved", format!("approval_template:{}", written.id), actor, payload, now)
            .await?;
        tx.commit().await?;
        written.try_into()
    }

    pub async fn delete_approval_template(&self, actor: &Actor, id: i64) -> Result<()> {
        admin(actor)?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        tx.delete_approval_template(id).await?;
        emit(&mut tx, "approval_template.deleted", format!("approval_template:{id}"), actor, json!({}), now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn check_template(&self, input: &TemplateInput) -> Result<(i64, Option<i64>, String, String)> {
        let mut checks = Checks::new();
        let name = input.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 {
            checks.push(FieldError::new("name", "invalid_length", "1 to 200 characters"));
        }
        let desk_id = crate::tickets::checked(&mut checks, self.resolve_desk(&input.desk, "desk").await)?;
        let category_id = match (&input.category, desk_id) {
            (Some(c), Some(d)) => match self.resolve_category(c, d).await {
                Ok(id) => Some(id),
                Err(_) => {
                    checks.push(FieldError::new("category", "unknown", "no such category in this desk"));
                    None
                }
            },
            _ => None,
        };
        let mut spec = match ApprovalSpec::parse(&json!({ "stages": input.stages })) {
            Ok(s) => Some(s),
            Err(Invalid(errors)) => {
                errors.into_iter().for_each(|e| checks.push(e));
                None
            }
        };
        if let Some(spec) = spec.as_mut() {
            self.approval_refs_to_ids(spec, "", &mut checks).await?;
        }
        checks.finish()?;
        let (Some(desk_id), Some(spec)) = (desk_id, spec) else {
            return Err(AppError::Internal("validated template is incomplete".into()));
        };
        Ok((desk_id, category_id, name, spec.to_json().to_string()))
    }

    /// Turns an approval's user and group references into ids, so a renamed group or a changed
    /// address keeps working; unknown ones become field errors under `prefix` (`approval.`).
    pub(crate) async fn approval_refs_to_ids(
        &self,
        spec: &mut ApprovalSpec,
        prefix: &str,
        checks: &mut Checks,
    ) -> Result<()> {
        for (i, s) in spec.stages.iter_mut().enumerate() {
            for (j, u) in s.approvers.users.iter_mut().enumerate() {
                let r = match u {
                    UserRef::Id(id) => Ref::Id(*id),
                    UserRef::Email(e) => Ref::Name(e.as_str().to_string()),
                };
                match self.resolve_user(&r, &format!("{prefix}stages[{i}].approvers.users[{j}]")).await {
                    Ok(found) => *u = UserRef::Id(found.id),
                    Err(AppError::Invalid(inv)) => inv.0.into_iter().for_each(|e| checks.push(e)),
                    Err(e) => return Err(e),
                }
            }
            for (j, g) in s.approvers.groups.iter_mut().enumerate() {
                let r = match g {
                    GroupRef::Id(id) => Ref::Id(*id),
                    GroupRef::Name(n) => Ref::Name(n.clone()),
                };
                match self.resolve_group(&r, &format!("{prefix}stages[{i}].approvers.groups[{j}]")).await {
                    Ok(id) => *g = GroupRef::Id(id),
                    Err(AppError::Invalid(inv)) => inv.0.into_iter().for_each(|e| checks.push(e)),
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }
}
