//! The link from a service request to the catalog item it ordered: the answers, a copy of the
//! form and fulfilment steps they belong to, who it is for, and when fulfilment started.

use crate::{Db, Result, Ts, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CatalogRequestRow {
    pub ticket_id: i64,
    /// None once the item is deleted.
    pub item_id: Option<i64>,
    pub item_title: String,
    /// JSON: the item's form when it was ordered.
    pub form: String,
    /// JSON object of the accepted answers by key.
    pub answers: String,
    /// JSON: the item's fulfilment steps when it was ordered.
    pub fulfilment: String,
    pub requested_for_id: i64,
    pub fulfilment_started_at: Option<Ts>,
    pub created_at: Ts,
}

const COLS: &str =
    "ticket_id, item_id, item_title, form, answers, fulfilment, requested_for_id, fulfilment_started_at, created_at";

impl Tx {
    pub async fn insert_catalog_request(&mut self, r: &CatalogRequestRow) -> Result<()> {
        let sql = format!("INSERT INTO catalog_requests ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
        on_tx!(self, |c| sqlx::query(&sql)
            .bind(r.ticket_id)
            .bind(r.item_id)
            .bind(&r.item_title)
            .bind(&r.form)
            .bind(&r.answers)
            .bind(&r.fulfilment)
            .bind(r.requested_for_id)
            .bind(r.fulfilment_started_at)
            .bind(r.created_at)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// The catalog link of a ticket, read inside the transaction that moves it (the ticket's
    /// row lock serialises moves, so this row needs none of its own).
    pub async fn catalog_request_in_tx(&mut self, ticket_id: i64) -> Result<Option<CatalogRequestRow>> {
        let sql = format!("SELECT {COLS} FROM catalog_requests WHERE ticket_id = $1");
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).bind(ticket_id).fetch_optional(c).await?))
    }

    /// Records that fulfilment started; false when it had started already.
    pub async fn start_catalog_fulfilment(&mut self, ticket_id: i64, now: Ts) -> Result<bool> {
        let n = on_tx!(self, |c| sqlx::query(
            "UPDATE catalog_requests SET fulfilment_started_at = $2 \
             WHERE ticket_id = $1 AND fulfilment_started_at IS NULL"
        )
        .bind(ticket_id)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// The ids of a ticket's open child tasks.
    pub async fn open_child_task_ids(&mut self, parent_id: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> =
            on_tx!(self, |c| sqlx::query_as("SELECT id FROM tickets WHERE parent_id = $1 AND is_open ORDER BY id")
                .bind(parent_id)
                .fetch_all(c)
                .await?);
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}

impl Db {
    pub async fn catalog_request(&self, ticket_id: i64) -> Result<Option<CatalogRequestRow>> {
        let sql = format!("SELECT {COLS} FROM catalog_requests WHERE ticket_id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(ticket_id).fetch_optional(p).await?))
    }
}
