//! Fulfilment of catalog requests, driven by the moves of tickets (called from
//! `move_ticket`, inside the transaction of the move):
//! - a catalog request entering `fulfilling` for the first time (its approval granted, or at
//!   once when it needs none, or moved by an agent) gets its fulfilment tasks;
//! - the last of its tasks done moves the request to `fulfilled`;
//! - a request cancelled or rejected withdraws its open tasks.
//!
//! [`fulfil`] is the one place an order turns into work: a later service recipe plugs in there.

use crate::tickets::create::{insert_prepared, PreparedTicket};
use crate::tickets::transition::move_ticket;
use crate::{emit, AppError, Result};
use opsdesk_domain::approval::GroupRef;
use opsdesk_domain::catalog::FulfilmentStep;
use opsdesk_domain::ticket::{Kind, Status};
use opsdesk_domain::Actor;
use opsdesk_store::catalog::CatalogRequestRow;
use opsdesk_store::tickets::Ticket;
use opsdesk_store::{stored_json, Ts, Tx};
use serde_json::json;
use std::future::Future;
use std::pin::Pin;

/// What a ticket's move means for the catalog. Tickets that did not come from the catalog
/// are left alone (one indexed read, only on the moves that matter).
pub(crate) async fn on_ticket_moved(tx: &mut Tx, actor: &Actor, from: Status, t: &Ticket, now: Ts) -> Result<()> {
    if from == t.status {
        return Ok(());
    }
    match (t.kind, t.status) {
        (Kind::ServiceRequest, Status::Fulfilling) => {
            if let Some(link) = tx.catalog_request_in_tx(t.id).await? {
                if link.fulfilment_started_at.is_none() && tx.start_catalog_fulfilment(t.id, now).await? {
                    fulfil(tx, actor, t, &link, now).await?;
                }
            }
        }
        (Kind::ServiceRequest, Status::Cancelled | Status::Rejected) => withdraw_tasks(tx, actor, t, now).await?,
        (Kind::Task, Status::Done) => {
            if let Some(parent) = t.parent_id {
                fulfilled_when_done(tx, parent, now).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Starts the work of an order: today, the item's fulfilment steps as tasks of the request
/// (each with its group, waiting for the steps it names). A service recipe would run here
/// instead of, or before, the tasks.
async fn fulfil(tx: &mut Tx, actor: &Actor, request: &Ticket, link: &CatalogRequestRow, now: Ts) -> Result<()> {
    let what = format!("fulfilment of catalog request {}", request.id);
    let steps = FulfilmentStep::parse_all(&stored_json(&what, &link.fulfilment)?)
        .map_err(|_| AppError::Internal(format!("stored {what} is invalid")))?;
    let mut ids: Vec<i64> = Vec::with_capacity(steps.len());
    for step in &steps {
        // A group deleted since the item was written leaves the task with the request's group.
        let group_id = match step.group {
            Some(GroupRef::Id(g)) => tx.group_id_named(Some(g), None).await?.or(request.group_id),
            _ => request.group_id,
        };
        let task = Ticket {
            id: 0,
            number: String::new(),
            kind: Kind::Task,
            desk_id: request.desk_id,
            title: step.title.clone(),
            description: format!("Fulfilment of {} ({}).", request.number, link.item_title),
            status: Kind::Task.initial_status(),
            is_open: true,
            hold_reason: None,
            impact: request.impact,
            urgency: request.urgency,
            priority: request.priority,
            priority_override_reason: None,
            category_id: request.category_id,
            requester_id: request.requester_id,
            organization_id: request.organization_id,
            shared_with_organization: false,
            group_id,
            assignee_id: None,
            custom_fields: "{}".into(),
            external_id: None,
            version: 1,
            created_at: now,
            updated_at: now,
            resolved_at: None,
            closed_at: None,
            sla_due_at: opsdesk_store::sla::NO_DUE,
            parent_id: Some(request.id),
        };
        let after_ids = step.after.iter().filter_map(|i| ids.get(*i).copied()).collect();
        let prepared = PreparedTicket { ticket: task, watcher_ids: Vec::new(), detail: None, after_ids };
        ids.push(insert_prepared(tx, actor, prepared, now).await?.id);
    }
    let payload = json!({ "tasks": ids });
    emit(tx, "catalog.fulfilment_started", format!("ticket:{}", request.id), actor, payload, now).await
}

/// The request of a task just done is fulfilled when it is a catalog request in fulfilment
/// and no task of it is open any more. The system moves it, so the history says it was not a
/// person's decision.
async fn fulfilled_when_done(tx: &mut Tx, parent_id: i64, now: Ts) -> Result<()> {
    let parent = tx.ticket_for_update(parent_id).await?;
    if parent.kind != Kind::ServiceRequest || parent.status != Status::Fulfilling {
        return Ok(());
    }
    if tx.catalog_request_in_tx(parent_id).await?.is_none() || !tx.open_child_task_ids(parent_id).await?.is_empty() {
        return Ok(());
    }
    let note = "Fulfilled: every fulfilment task is done.";
    moved(tx, &Actor::system(), &parent, Status::Fulfilled, Some(note), now).await?;
    Ok(())
}

/// A cancelled or rejected catalog request needs no more work: its open tasks are cancelled.
async fn withdraw_tasks(tx: &mut Tx, actor: &Actor, request: &Ticket, now: Ts) -> Result<()> {
    if tx.catalog_request_in_tx(request.id).await?.is_none() {
        return Ok(());
    }
    let note = format!("Cancelled with {}.", request.number);
    for id in tx.open_child_task_ids(request.id).await? {
        let task = tx.ticket_for_update(id).await?;
        moved(tx, actor, &task, Status::Cancelled, Some(&note), now).await?;
    }
    Ok(())
}

/// `move_ticket` behind a box: these hooks run inside a move and move other tickets, and an
/// async fn cannot contain its own future.
fn moved<'a>(
    tx: &'a mut Tx,
    actor: &'a Actor,
    t: &'a Ticket,
    to: Status,
    note: Option<&'a str>,
    now: Ts,
) -> Pin<Box<dyn Future<Output = Result<Ticket>> + Send + 'a>> {
    Box::pin(move_ticket(tx, actor, t, to, None, note, note.is_some(), now))
}
