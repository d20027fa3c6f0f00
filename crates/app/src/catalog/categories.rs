//! Catalog categories: per desk, in the order admins give them; everyone signed in reads them
//! (they name no one and hold nothing private).

use super::admin;
use crate::tickets::{checked, Ref};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::validation::Checks;
use opsdesk_domain::{Actor, FieldError};
use opsdesk_store::catalog::CatalogCategoryRow;
use opsdesk_store::Ts;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A catalog category of a desk.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CatalogCategoryInput)]
pub struct CatalogCategoryInput {
    /// The desk: id or name; the first desk when absent.
    #[serde(default)]
    pub desk: Option<Ref>,
    /// Unique within the desk.
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
    /// Smaller first.
    #[serde(default)]
    pub position: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CatalogCategory)]
pub struct CatalogCategoryView {
    pub id: i64,
    pub desk_id: i64,
    pub name: String,
    pub description: String,
    pub position: i64,
}

impl From<CatalogCategoryRow> for CatalogCategoryView {
    fn from(r: CatalogCategoryRow) -> Self {
        CatalogCategoryView {
            id: r.id,
            desk_id: r.desk_id,
            name: r.name,
            description: r.description,
            position: r.position,
        }
    }
}

impl App {
    /// The categories of one desk (or of all), in order.
    pub async fn catalog_categories(&self, _actor: &Actor, desk: Option<&Ref>) -> Result<Vec<CatalogCategoryView>> {
        let desk_id = match desk {
            Some(r) => Some(self.resolve_desk(r, "desk").await?),
            None => None,
        };
        Ok(self.db.catalog_categories(desk_id).await?.into_iter().map(Into::into).collect())
    }

    /// Creates (`id` none) or replaces a category.
    #[tracing::instrument(skip(self, input))]
    pub async fn put_catalog_category(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: CatalogCategoryInput,
    ) -> Result<CatalogCategoryView> {
        admin(actor)?;
        if let Some(id) = id {
            self.db.catalog_category(id).await?;
        }
        let mut c = Checks::new();
        let name = c.take(crate::tickets::one_line(&input.name, "name", 120));
        let description = c.take(crate::tickets::body_text(&input.description, "description", 2000));
        let desk_id = match &input.desk {
            Some(r) => checked(&mut c, self.resolve_desk(r, "desk").await)?,
            None => Some(self.first_desk().await?),
        };
        c.finish()?;
        let (Some(name), Some(description), Some(desk_id)) = (name, description, desk_id) else {
            return Err(AppError::Internal("validated category is incomplete".into()));
        };
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let written = match id {
            None => tx.insert_catalog_category(desk_id, &name, &description, input.position, now).await,
            Some(id) => tx.update_catalog_category(id, desk_id, &name, &description, input.position, now).await,
        }
        .map_err(|e| AppError::taken(e, "name", "name", "this name"))?;
        let payload = json!({ "category_id": written.id });
        emit(&mut tx, "catalog_category.saved", format!("catalog_category:{}", written.id), actor, payload, now)
            .await?;
        tx.commit().await?;
        Ok(written.into())
    }

    pub async fn delete_catalog_category(&self, actor: &Actor, id: i64) -> Result<()> {
        admin(actor)?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        tx.delete_catalog_category(id).await?;
        emit(&mut tx, "catalog_category.deleted", format!("catalog_category:{id}"), actor, json!({}), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The desk input means when it names none: the first.
    pub(crate) async fn first_desk(&self) -> Result<i64> {
        match self.db.desks().await?.first() {
            Some(d) => Ok(d.id),
            None => Err(FieldError::new("desk", "required", "there is no service desk yet").into()),
        }
    }
}
