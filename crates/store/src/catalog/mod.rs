//! The service catalog: categories per desk, items with their form, approval, audience and
//! fulfilment (JSON columns written by the application after checking them), and the link
//! from a service request to the item it ordered.

mod requests;

pub use requests::CatalogRequestRow;

use crate::{Db, Result, StoreError, Ts, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CatalogCategoryRow {
    pub id: i64,
    pub desk_id: i64,
    pub name: String,
    pub description: String,
    pub position: i64,
    pub created_at: Ts,
    pub updated_at: Ts,
}

const CATEGORY_COLS: &str = "id, desk_id, name, description, position, created_at, updated_at";

/// An item as stored. On insert, `id`, `version` and `created_at` are ignored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CatalogItemRow {
    pub id: i64,
    pub desk_id: i64,
    pub category_id: Option<i64>,
    pub title: String,
    pub description: String,
    pub picture: Option<String>,
    /// JSON list of form fields.
    pub form: String,
    /// JSON `{"stages": [...]}` with references as ids, or none.
    pub approval: Option<String>,
    pub approval_skip_below_cents: Option<i64>,
    /// JSON list of fulfilment steps, groups as ids.
    pub fulfilment: String,
    pub price_cents: Option<i64>,
    pub delivery_days: Option<i64>,
    pub sla_policy_id: Option<i64>,
    /// JSON `{"organizations": [ids], "groups": [ids]}`.
    pub audience: String,
    pub published: bool,
    pub position: i64,
    pub version: i64,
    pub created_at: Ts,
    pub updated_at: Ts,
}

const ITEM_COLS: &str = "id, desk_id, category_id, title, description, picture, form, approval, \
    approval_skip_below_cents, fulfilment, price_cents, delivery_days, sla_policy_id, audience, published, position, \
    version, created_at, updated_at";

/// Binds an item's writable fields as `$1` to `$15` and its `updated_at` as `$16`, the order
/// both the insert and the update use.
macro_rules! bind_item {
    ($q:expr, $i:expr) => {
        $q.bind($i.desk_id)
            .bind($i.category_id)
            .bind(&$i.title)
            .bind(&$i.description)
            .bind(&$i.picture)
            .bind(&$i.form)
            .bind(&$i.approval)
            .bind($i.approval_skip_below_cents)
            .bind(&$i.fulfilment)
            .bind($i.price_cents)
            .bind($i.delivery_days)
            .bind($i.sla_policy_id)
            .bind(&$i.audience)
            .bind($i.published)
            .bind($i.position)
            .bind($i.updated_at)
    };
}

impl Tx {
    pub async fn insert_catalog_category(
        &mut self,
        desk_id: i64,
        name: &str,
        description: &str,
        position: i64,
        now: Ts,
    ) -> Result<CatalogCategoryRow> {
        let sql = format!(
            "INSERT INTO catalog_categories (desk_id, name, description, position, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING {CATEGORY_COLS}"
        );
        Ok(on_tx!(self, |c| sqlx::query_as(&sql)
            .bind(desk_id)
            .bind(name)
            .bind(description)
            .bind(position)
            .bind(now)
            .fetch_one(c)
            .await?))
    }

    pub async fn update_catalog_category(
        &mut self,
        id: i64,
        desk_id: i64,
        name: &str,
        description: &str,
        position: i64,
        now: Ts,
    ) -> Result<CatalogCategoryRow> {
        let sql = format!(
            "UPDATE catalog_categories SET desk_id = $2, name = $3, description = $4, position = $5, updated_at = $6 \
             WHERE id = $1 RETURNING {CATEGORY_COLS}"
        );
        Ok(on_tx!(self, |c| sqlx::query_as(&sql)
            .bind(id)
            .bind(desk_id)
            .bind(name)
            .bind(description)
            .bind(position)
            .bind(now)
            .fetch_one(c)
            .await?))
    }

    /// Removes a category; its items stay, uncategorised.
    pub async fn delete_catalog_category(&mut self, id: i64) -> Result<()> {
        let n = on_tx!(self, |c| sqlx::query("DELETE FROM catalog_categories WHERE id = $1")
            .bind(id)
            .execute(c)
            .await?
            .rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn insert_catalog_item(&mut self, i: &CatalogItemRow) -> Result<CatalogItemRow> {
        let sql = format!(
            "INSERT INTO catalog_items (desk_id, category_id, title, description, picture, form, approval, \
             approval_skip_below_cents, fulfilment, price_cents, delivery_days, sla_policy_id, audience, published, \
             position, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 1, $16, $16) \
             RETURNING {ITEM_COLS}"
        );
        Ok(on_tx!(self, |c| bind_item!(sqlx::query_as(&sql), i).fetch_one(c).await?))
    }

    /// Replaces an item's fields when it is still at `version` (any version when none is
    /// given); `None` when another write came first.
    pub async fn update_catalog_item(
        &mut self,
        i: &CatalogItemRow,
        expected_version: Option<i64>,
    ) -> Result<Option<CatalogItemRow>> {
        let sql = format!(
            "UPDATE catalog_items SET desk_id = $1, category_id = $2, title = $3, description = $4, picture = $5, \
             form = $6, approval = $7, approval_skip_below_cents = $8, fulfilment = $9, price_cents = $10, \
             delivery_days = $11, sla_policy_id = $12, audience = $13, published = $14, position = $15, \
             version = version + 1, updated_at = $16 \
             WHERE id = $17 AND ($18 IS NULL OR version = $18) RETURNING {ITEM_COLS}"
        );
        Ok(on_tx!(self, |c| bind_item!(sqlx::query_as(&sql), i)
            .bind(i.id)
            .bind(expected_version)
            .fetch_optional(c)
            .await?))
    }

    /// Removes an item; the requests that ordered it keep their copy of its form.
    pub async fn delete_catalog_item(&mut self, id: i64) -> Result<()> {
        let n = on_tx!(self, |c| sqlx::query("DELETE FROM catalog_items WHERE id = $1")
            .bind(id)
            .execute(c)
            .await?
            .rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

impl Db {
    /// Categories of one desk, or of every desk, in their order.
    pub async fn catalog_categories(&self, desk_id: Option<i64>) -> Result<Vec<CatalogCategoryRow>> {
        let sql = format!(
            "SELECT {CATEGORY_COLS} FROM catalog_categories WHERE ($1 IS NULL OR desk_id = $1) \
             ORDER BY desk_id, position, id"
        );
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(desk_id).fetch_all(p).await?))
    }

    pub async fn catalog_category(&self, id: i64) -> Result<CatalogCategoryRow> {
        let sql = format!("SELECT {CATEGORY_COLS} FROM catalog_categories WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(id).fetch_one(p).await?))
    }

    /// Every item, drafts included, in the catalog's order (desk, position). Catalogs hold
    /// hundreds of items, not millions: who sees which is decided by the application.
    pub async fn catalog_items(&self) -> Result<Vec<CatalogItemRow>> {
        let sql = format!("SELECT {ITEM_COLS} FROM catalog_items ORDER BY desk_id, position, id");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).fetch_all(p).await?))
    }

    pub async fn catalog_item(&self, id: i64) -> Result<CatalogItemRow> {
        let sql = format!("SELECT {ITEM_COLS} FROM catalog_items WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(id).fetch_one(p).await?))
    }
}
