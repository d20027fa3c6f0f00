//! What kinds keep beside the ticket core: each kind's detail record (a JSON object the kind
//! validates), tasks under their parent and the order between them, and the facts guards ask
//! for (open tasks, unfinished predecessors).

use super::{ticket_cols, Ticket};
use crate::{Db, Result, Tx};
use serde_json::{Map, Value};

/// A stored detail record; none is an empty one, a row that does not parse is an error.
fn parse_detail(ticket_id: i64, raw: Option<(String,)>) -> Result<Map<String, Value>> {
    match raw {
        None => Ok(Map::new()),
        Some((s,)) => crate::stored_json(&format!("detail record of ticket {ticket_id}"), &s),
    }
}

impl Tx {
    /// The detail record of a ticket (empty when it has none).
    pub async fn ticket_detail(&mut self, ticket_id: i64) -> Result<Map<String, Value>> {
        let row: Option<(String,)> =
            on_tx!(self, |c| sqlx::query_as("SELECT data FROM ticket_details WHERE ticket_id = $1")
                .bind(ticket_id)
                .fetch_optional(c)
                .await?);
        parse_detail(ticket_id, row)
    }

    pub async fn put_ticket_detail(&mut self, ticket_id: i64, detail: &Map<String, Value>) -> Result<()> {
        let data = Value::Object(detail.clone()).to_string();
        on_tx!(self, |c| sqlx::query(
            "INSERT INTO ticket_details (ticket_id, data) VALUES ($1, $2) \
             ON CONFLICT (ticket_id) DO UPDATE SET data = excluded.data"
        )
        .bind(ticket_id)
        .bind(&data)
        .execute(c)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// Records that `task_id` waits for each of `after_ids`.
    pub async fn insert_task_order(&mut self, task_id: i64, after_ids: &[i64]) -> Result<()> {
        for after in after_ids {
            on_tx!(self, |c| sqlx::query(
                "INSERT INTO task_order (task_id, after_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            )
            .bind(task_id)
            .bind(after)
            .execute(c)
            .await
            .map(|_| ())?);
        }
        Ok(())
    }

    /// Numbers of the child tasks of `parent_id` that are still open.
    pub async fn open_child_tasks(&mut self, parent_id: i64) -> Result<Vec<String>> {
        let rows: Vec<(String,)> =
            on_tx!(self, |c| sqlx::query_as("SELECT number FROM tickets WHERE parent_id = $1 AND is_open ORDER BY id")
                .bind(parent_id)
                .fetch_all(c)
                .await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Numbers of the tasks `task_id` waits for that are not finished (done or cancelled).
    pub async fn unfinished_predecessors(&mut self, task_id: i64) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = on_tx!(self, |c| sqlx::query_as(
            "SELECT t.number FROM task_order o JOIN tickets t ON t.id = o.after_id \
             WHERE o.task_id = $1 AND t.is_open ORDER BY t.id"
        )
        .bind(task_id)
        .fetch_all(c)
        .await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}

impl Db {
    pub async fn ticket_detail(&self, ticket_id: i64) -> Result<Map<String, Value>> {
        let row: Option<(String,)> =
            on_read!(self, |p| sqlx::query_as("SELECT data FROM ticket_details WHERE ticket_id = $1")
                .bind(ticket_id)
                .fetch_optional(p)
                .await?);
        parse_detail(ticket_id, row)
    }

    /// The tasks of a parent, oldest first.
    pub async fn child_tasks(&self, parent_id: i64) -> Result<Vec<Ticket>> {
        const SQL: &str = concat!("SELECT ", ticket_cols!(), " FROM tickets WHERE parent_id = $1 ORDER BY id");
        Ok(on_read!(self, |p| sqlx::query_as(SQL).bind(parent_id).fetch_all(p).await?))
    }

    /// The ids of the tasks `task_id` waits for.
    pub async fn task_predecessors(&self, task_id: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> =
            on_read!(self, |p| sqlx::query_as("SELECT after_id FROM task_order WHERE task_id = $1 ORDER BY after_id")
                .bind(task_id)
                .fetch_all(p)
                .await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The `(task, predecessor)` pairs among the tasks of a parent, for showing the order.
    pub async fn task_order_of_parent(&self, parent_id: i64) -> Result<Vec<(i64, i64)>> {
        Ok(on_read!(self, |p| sqlx::query_as(
            "SELECT o.task_id, o.after_id FROM task_order o JOIN tickets t ON t.id = o.task_id \
             WHERE t.parent_id = $1 ORDER BY o.task_id, o.after_id"
        )
        .bind(parent_id)
        .fetch_all(p)
        .await?))
    }

    /// The problems a ticket is linked to as caused by, with their detail records.
    pub async fn causing_problems(&self, ticket_id: i64) -> Result<Vec<(Ticket, Map<String, Value>)>> {
        const SQL: &str = concat!(
            "SELECT ",
            ticket_cols!(),
            " FROM tickets WHERE id IN (SELECT target_id FROM ticket_links WHERE source_id = $1 \
             AND link_type = 'caused_by') ORDER BY id"
        );
        let problems: Vec<Ticket> = on_read!(self, |p| sqlx::query_as(SQL).bind(ticket_id).fetch_all(p).await?);
        let mut out = Vec::with_capacity(problems.len());
        for t in problems {
            let d = self.ticket_detail(t.id).await?;
            out.push((t, d));
        }
        Ok(out)
    }
}
