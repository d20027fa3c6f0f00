//! Ordering a catalog item: the answers are checked against its form, a service request is
//! logged in the item's desk with the answers beside it, and in the same transaction it either
//! starts the item's approval (when its price is not under the threshold) or goes straight to
//! fulfilment, whose tasks the fulfilment hook creates.

use super::views::{CatalogItemRef, CatalogRequestView, PersonRef};
use super::Item;
use crate::approvals::start::{insert_approval, resolve};
use crate::tickets::create::{insert_prepared, Lookups};
use crate::tickets::transition::move_ticket;
use crate::tickets::{checked, CreateTicket, Ref};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::catalog::{needs_approval, FieldType, Form};
use opsdesk_domain::ticket::{Kind, Status};
use opsdesk_domain::validation::Checks;
use opsdesk_domain::{Actor, FieldError, Role};
use opsdesk_store::catalog::CatalogRequestRow;
use opsdesk_store::{stored_json, Ts};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// An order of a catalog item.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CatalogOrder)]
pub struct OrderInput {
    /// Answers by field key. Answers to fields the form does not show (their condition is not
    /// met) are ignored; unknown keys are refused.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
    /// Whom the request is for (id or email of an active user the item is offered to); the
    /// caller when absent. The caller stays the requester.
    #[serde(default)]
    pub requested_for: Option<Ref>,
}

impl App {
    /// Orders an item the actor may see: a service request (`REQ-…`) with the checked answers.
    #[tracing::instrument(skip(self, input))]
    pub async fn order_catalog_item(
        &self,
        actor: &Actor,
        item_id: i64,
        input: OrderInput,
    ) -> Result<CatalogRequestView> {
        let item = self.visible_item(actor, item_id).await?;
        if !item.row.published {
            return Err(AppError::Conflict {
                code: "not_published",
                message: "this catalog item is a draft; publish it before ordering".into(),
            });
        }
        let me = match actor.user_id {
            Some(id) => self.db.user(id).await?,
            None => return Err(AppError::Forbidden),
        };
        let mut c = Checks::new();
        let answers = match item.form.check_answers(&input.answers) {
            Ok(a) => {
                self.check_user_answers(&item.form, &a, &mut c).await?;
                Some(a)
            }
            Err(inv) => {
                inv.0.into_iter().for_each(|e| c.push(e));
                None
            }
        };
        let requested_for = match &input.requested_for {
            None => Some(me.clone()),
            Some(r) => match checked(&mut c, self.resolve_user(r, "requested_for").await)? {
                Some(u) if u.id != me.id && !self.offered_to(&item, &u).await? => {
                    c.push(FieldError::new("requested_for", "not_offered", "this item is not offered to that person"));
                    None
                }
                found => found,
            },
        };
        let readable = match &answers {
            Some(a) => self.readable_answers(&item.form, a).await?,
            None => Vec::new(),
        };
        let mut title = item.row.title.clone();
        if let Some(u) = requested_for.as_ref().filter(|u| u.id != me.id) {
            title = format!("{title} for {}", u.name);
        }
        let description: Vec<String> = readable.iter().map(|a| format!("{}: {}", a.label, a.display)).collect();
        let ticket = CreateTicket {
            kind: Kind::ServiceRequest.as_str().into(),
            title: title.chars().take(crate::tickets::TITLE_MAX).collect(),
            description: description.join("\n"),
            desk: Some(Ref::Id(item.row.desk_id)),
            ..Default::default()
        };
        let now = Ts::now();
        let prepared = checked(&mut c, self.prepare_ticket(actor, ticket, now, &mut Lookups::default()).await)?;
        c.finish()?;
        let (Some(answers), Some(requested_for), Some(prepared)) = (answers, requested_for, prepared) else {
            return Err(AppError::Internal("validated order is incomplete".into()));
        };

        let mut tx = self.db.begin().await?;
        let t = insert_prepared(&mut tx, actor, prepared, now).await?;
        let link = CatalogRequestRow {
            ticket_id: t.id,
            item_id: Some(item.row.id),
            item_title: item.row.title.clone(),
            form: item.form.to_json().to_string(),
            answers: Value::Object(answers).to_string(),
            fulfilment: item.row.fulfilment.clone(),
            requested_for_id: requested_for.id,
            fulfilment_started_at: None,
            created_at: now,
        };
        tx.insert_catalog_request(&link).await?;
        let approval = item
            .approval
            .as_ref()
            .filter(|_| needs_approval(true, item.row.price_cents, item.row.approval_skip_below_cents));
        let payload =
            json!({ "item_id": item.row.id, "requested_for": requested_for.id, "approval": approval.is_some() });
        emit(&mut tx, "catalog.ordered", format!("ticket:{}", t.id), actor, payload, now).await?;
        match approval {
            Some(spec) => {
                // Who is asked is resolved now (group members, the requester's manager). With
                // nobody left to ask, the request stays submitted for an agent to handle: an
                // approval is never skipped because its approvers are missing.
                let stages = resolve(&mut tx, spec, t.requester_id, false).await?;
                if stages.is_empty() {
                    tracing::warn!(ticket = t.id, item = item.row.id, "catalog approval has no active approver");
                } else {
                    insert_approval(&mut tx, actor, &t, None, &stages, now).await?;
                    move_ticket(&mut tx, actor, &t, Status::AwaitingApproval, None, None, true, now).await?;
                }
            }
            None => {
                move_ticket(&mut tx, actor, &t, Status::Fulfilling, None, None, true, now).await?;
            }
        }
        tx.commit().await?;
        self.catalog_request(actor, &t.id.to_string()).await
    }

    /// A service request ordered from the catalog, if the actor sees its ticket.
    pub async fn catalog_request(&self, actor: &Actor, id_or_number: &str) -> Result<CatalogRequestView> {
        let t = self.find_ticket(actor, id_or_number).await?;
        let Some(link) = self.db.catalog_request(t.id).await? else { return Err(AppError::NotFound) };
        let what = format!("catalog request {}", t.id);
        let form = Form::from_stored(&stored_json(&what, &link.form)?)
            .map_err(|_| AppError::Internal(format!("stored form of {what} is invalid")))?;
        let answers: Map<String, Value> = stored_json(&what, &link.answers)?;
        let requested_for = match crate::error::found(self.db.user(link.requested_for_id).await)? {
            Some(u) => PersonRef { id: u.id, name: u.name },
            None => PersonRef { id: link.requested_for_id, name: String::new() },
        };
        Ok(CatalogRequestView {
            id: t.id,
            number: t.number.clone(),
            status: t.status,
            catalog_item: CatalogItemRef { id: link.item_id, title: link.item_title.clone() },
            requested_for,
            answers_readable: self.readable_answers(&form, &answers).await?,
            answers,
            created_at: link.created_at,
        })
    }

    /// User answers name active users.
    async fn check_user_answers(&self, form: &Form, answers: &Map<String, Value>, c: &mut Checks) -> Result<()> {
        for f in form.fields.iter().filter(|f| f.field_type == FieldType::User) {
            if let Some(id) = answers.get(&f.key).and_then(Value::as_i64) {
                if !crate::error::found(self.db.user(id).await)?.is_some_and(|u| u.active) {
                    c.push(FieldError::new(format!("answers.{}", f.key), "unknown", "no such active user"));
                }
            }
        }
        Ok(())
    }

    /// Whether `item` is offered to `user` (staff are offered everything, as they see it all).
    async fn offered_to(&self, item: &Item, user: &opsdesk_store::users::User) -> Result<bool> {
        if user.role != Role::Requester {
            return Ok(true);
        }
        let groups = self.db.group_ids_of(user.id).await?;
        Ok(item.audience.offers_to(user.organization_id, &groups))
    }
}
