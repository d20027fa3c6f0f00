//! What admins configure for tickets: service desks, categories, custom fields, the priority
//! matrix, and desk-wide settings (auto-close quiet period, attachment size limit).

use super::refs::Ref;
use crate::{emit, App, AppError, Result};
use opsdesk_domain::ticket::{CustomFieldDef, Kind, PriorityMatrix};
use opsdesk_domain::{Actor, FieldError, Permission};
use opsdesk_store::tickets::{Category, ServiceDesk};
use opsdesk_store::Ts;
use serde::{Deserialize, Serialize};
use serde_json::json;

const MATRIX_KEY: &str = "priority_matrix";
const SETTINGS_KEY: &str = "ticket_settings";

/// Desk-wide ticket settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketSettings {
    /// Resolved tickets close by themselves after this long without a requester reply.
    #[schema(minimum = 1, maximum = 31622400)]
    pub auto_close_after_secs: i64,
    /// Largest attachment accepted.
    #[schema(minimum = 1, maximum = 536870912)]
    pub attachment_max_bytes: i64,
}

impl Default for TicketSettings {
    fn default() -> Self {
        TicketSettings { auto_close_after_secs: 3 * 24 * 3600, attachment_max_bytes: 10 * 1024 * 1024 }
    }
}

/// A service desk as an admin writes it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeskInput {
    /// Unique; one line.
    #[schema(
        max_length = 120,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    /// The group that gets tickets logged without one.
    #[serde(default)]
    pub default_group: Option<Ref>,
}

/// A new category of a desk.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    /// Unique among its siblings; one line without `/`.
    #[schema(
        max_length = 120,
        pattern = r"^[^/\u0000-\u001f\u007f-\u009f]*[^/\s\u0000-\u001f\u007f-\u009f][^/\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    /// A top-level category of the same desk (categories have two levels).
    #[serde(default)]
    pub parent_id: Option<i64>,
}

fn admin(actor: &Actor) -> Result<()> {
    if actor.can(Permission::ManageIdentities) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

impl App {
    pub async fn priority_matrix(&self) -> Result<PriorityMatrix> {
        Ok(match self.db.setting(MATRIX_KEY).await? {
            Some(s) => opsdesk_store::stored_json("priority matrix setting", &s)?,
            None => PriorityMatrix::default(),
        })
    }

    pub async fn set_priority_matrix(&self, actor: &Actor, m: PriorityMatrix) -> Result<PriorityMatrix> {
        admin(actor)?;
        m.validate()?;
        let mut tx = self.db.begin().await?;
        let value = serde_json::to_string(&m).map_err(|e| AppError::Internal(e.to_string()))?;
        tx.put_setting(MATRIX_KEY, &value).await?;
        emit(
            &mut tx,
            "settings.priority_matrix_changed",
            "settings:priority_matrix".into(),
            actor,
            json!({}),
            Ts::now(),
        )
        .await?;
        tx.commit().await?;
        Ok(m)
    }

    pub async fn ticket_settings(&self) -> Result<TicketSettings> {
        Ok(match self.db.setting(SETTINGS_KEY).await? {
            Some(s) => opsdesk_store::stored_json("ticket settings", &s)?,
            None => TicketSettings::default(),
        })
    }

    pub async fn set_ticket_settings(&self, actor: &Actor, s: TicketSettings) -> Result<TicketSettings> {
        admin(actor)?;
        let mut checks = opsdesk_domain::validation::Checks::new();
        if !(1..=366 * 24 * 3600).contains(&s.auto_close_after_secs) {
            checks.push(FieldError::new("auto_close_after_secs", "out_of_range", "between 1 second and a year"));
        }
        if !(1..=512 * 1024 * 1024).contains(&s.attachment_max_bytes) {
            checks.push(FieldError::new("attachment_max_bytes", "out_of_range", "between 1 byte and 512 MiB"));
        }
        checks.finish()?;
        let mut tx = self.db.begin().await?;
        let value = serde_json::to_string(&s).map_err(|e| AppError::Internal(e.to_string()))?;
        tx.put_setting(SETTINGS_KEY, &value).await?;
        emit(&mut tx, "settings.tickets_changed", "settings:tickets".into(), actor, json!({}), Ts::now()).await?;
        tx.commit().await?;
        Ok(s)
    }

    pub async fn desks(&self) -> Result<Vec<ServiceDesk>> {
        Ok(self.db.desks().await?)
    }

    pub async fn create_desk(&self, actor: &Actor, input: DeskInput) -> Result<ServiceDesk> {
        admin(actor)?;
        let name = super::one_line(&input.name, "name", 120)?;
        let group = match &input.default_group {
            Some(r) => Some(self.resolve_group(r, "default_group").await?),
            None => None,
        };
        let mut tx = self.db.begin().await?;
        let desk = tx
            .insert_desk(&name, group, Ts::now())
            .await
            .map_err(|e| AppError::taken(e, "name", "name", "this desk name"))?;
        emit(&mut tx, "desk.created", format!("desk:{}", desk.id), actor, json!({}), Ts::now()).await?;
        tx.commit().await?;
        Ok(desk)
    }

    pub async fn update_desk(&self, actor: &Actor, id: i64, input: DeskInput) -> Result<ServiceDesk> {
        admin(actor)?;
        self.db.desk(id).await?;
        let name = super::one_line(&input.name, "name", 120)?;
        let group = match &input.default_group {
            Some(r) => Some(self.resolve_group(r, "default_group").await?),
            None => None,
        };
        let mut tx = self.db.begin().await?;
        let desk =
            tx.update_desk(id, &name, group).await.map_err(|e| AppError::taken(e, "name", "name", "this desk name"))?;
        emit(&mut tx, "desk.updated", format!("desk:{id}"), actor, json!({}), Ts::now()).await?;
        tx.commit().await?;
        Ok(desk)
    }

    pub async fn categories(&self, desk_id: Option<i64>) -> Result<Vec<Category>> {
        if let Some(id) = desk_id {
            self.db.desk(id).await?;
        }
        Ok(self.db.categories(desk_id).await?)
    }

    /// Adds a category; categories have two levels, so a parent must itself be top-level.
    pub async fn create_category(&self, actor: &Actor, desk_id: i64, input: CategoryInput) -> Result<Category> {
        admin(actor)?;
        self.db.desk(desk_id).await?;
        let name = super::one_line(&input.name, "name", 120)?;
        if name.contains('/') {
            return Err(FieldError::new("name", "invalid_characters", "a category name has no /").into());
        }
        if let Some(p) = input.parent_id {
            match self.db.category(p).await {
                Ok(c) if c.desk_id == desk_id && c.parent_id.is_none() => {}
                Ok(_) => {
                    return Err(FieldError::new(
                        "parent_id",
                        "too_deep",
                        "categories have two levels: the parent must be top-level in this desk",
                    )
                    .into())
                }
                Err(opsdesk_store::StoreError::NotFound) => {
                    return Err(FieldError::new("parent_id", "unknown", "no such category").into())
                }
                Err(e) => return Err(e.into()),
            }
        }
        let mut tx = self.db.begin().await?;
        let c = tx
            .insert_category(desk_id, input.parent_id, &name, Ts::now())
            .await
            .map_err(|e| AppError::taken(e, "categor", "name", "this category name"))?;
        emit(&mut tx, "category.created", format!("category:{}", c.id), actor, json!({}), Ts::now()).await?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn custom_fields(&self, desk_id: i64, kind: Kind) -> Result<Vec<CustomFieldDef>> {
        let rows = self.db.custom_fields(desk_id, kind.as_str()).await?;
        rows.into_iter()
            .map(|r| Ok(opsdesk_store::stored_json(&format!("custom field {}", r.id), &r.definition)?))
            .collect()
    }

    pub async fn put_custom_field(
        &self,
        actor: &Actor,
        desk_id: i64,
        kind: Kind,
        def: CustomFieldDef,
        position: i64,
    ) -> Result<CustomFieldDef> {
        admin(actor)?;
        self.db.desk(desk_id).await?;
        def.validate_definition()?;
        let mut tx = self.db.begin().await?;
        let json = serde_json::to_string(&def).map_err(|e| AppError::Internal(e.to_string()))?;
        tx.put_custom_field(desk_id, kind.as_str(), &def.key, &json, position).await?;
        emit(&mut tx, "custom_field.changed", format!("desk:{desk_id}"), actor, json!({ "key": def.key }), Ts::now())
            .await?;
        tx.commit().await?;
        Ok(def)
    }

    pub async fn delete_custom_field(&self, actor: &Actor, desk_id: i64, kind: Kind, key: &str) -> Result<()> {
        admin(actor)?;
        let mut tx = self.db.begin().await?;
        if !tx.delete_custom_field(desk_id, kind.as_str(), key).await? {
            return Err(AppError::NotFound);
        }
        emit(&mut tx, "custom_field.deleted", format!("desk:{desk_id}"), actor, json!({ "key": key }), Ts::now())
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

pub use CategoryInput as NewCategory;
