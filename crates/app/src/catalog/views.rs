//! What the catalog answers: items (with their configuration for staff only), and an ordered
//! request with its answers as a readable form.

use super::Item;
use crate::{App, Result};
use opsdesk_domain::catalog::{display, money, needs_approval, Audience, FieldType, Form, FormField};
use opsdesk_domain::{Actor, Role};
use opsdesk_store::Ts;
use serde::Serialize;
use serde_json::{Map, Value};

/// A catalog item. Requesters see what they may order; its approval, fulfilment and audience
/// are for staff and absent for requesters.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CatalogItem)]
pub struct CatalogItemView {
    pub id: i64,
    pub desk_id: i64,
    pub category_id: Option<i64>,
    pub title: String,
    pub description: String,
    /// The address of a picture of the item.
    pub picture: Option<String>,
    /// The form an order answers, in order.
    pub form: Vec<FormField>,
    /// In currency units; absent when the item costs nothing.
    pub price: Option<f64>,
    /// Expected days from approval to delivery.
    pub delivery_days: Option<i64>,
    /// Whether an order of it waits for an approval (its price is not under the threshold).
    pub needs_approval: bool,
    pub published: bool,
    pub position: i64,
    /// Bumped by every change; `If-Match` on `PUT`.
    pub version: i64,
    /// Staff only: the approval's stages, references as ids; null for none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::approvals::CreateApprovalSchema>)]
    pub approval: Option<Value>,
    /// Staff only: orders priced under this need no approval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval_skip_below: Option<f64>,
    /// Staff only: the fulfilment steps, groups as ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<FulfilmentStepSchema>>)]
    pub fulfilment: Option<Value>,
    /// Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla_policy_id: Option<i64>,
    /// Staff only: who it is offered to (empty lists: everyone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<Audience>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Ts,
}

/// One fulfilment step: a task for a group, after the earlier steps it names.
#[derive(utoipa::ToSchema)]
#[schema(as = CatalogFulfilmentStep)]
#[allow(dead_code)] // documents the JSON `FulfilmentStep::parse_all` reads
pub struct FulfilmentStepSchema {
    #[schema(min_length = 1, max_length = 300)]
    title: String,
    /// The task's group (id or name); the request's group when absent.
    group: Option<crate::tickets::Ref>,
    /// Indexes of earlier steps this one waits for; steps without run in parallel.
    after: Option<Vec<usize>>,
}

impl CatalogItemView {
    pub(crate) fn of(item: &Item, actor: &Actor) -> CatalogItemView {
        let r = &item.row;
        let staff = actor.role != Role::Requester;
        CatalogItemView {
            id: r.id,
            desk_id: r.desk_id,
            category_id: r.category_id,
            title: r.title.clone(),
            description: r.description.clone(),
            picture: r.picture.clone(),
            form: item.form.fields.clone(),
            price: r.price_cents.map(money),
            delivery_days: r.delivery_days,
            needs_approval: needs_approval(item.approval.is_some(), r.price_cents, r.approval_skip_below_cents),
            published: r.published,
            position: r.position,
            version: r.version,
            approval: item.approval.as_ref().filter(|_| staff).map(|a| a.to_json()),
            approval_skip_below: r.approval_skip_below_cents.filter(|_| staff).map(money),
            fulfilment: staff.then(|| opsdesk_domain::catalog::FulfilmentStep::to_json(&item.fulfilment)),
            sla_policy_id: r.sla_policy_id.filter(|_| staff),
            audience: staff.then(|| item.audience.clone()),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The item a request ordered (its title as it was then, if it was deleted since).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CatalogRequestItem)]
pub struct CatalogItemRef {
    /// Null once the item is deleted.
    pub id: Option<i64>,
    pub title: String,
}

/// A person by id and name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CatalogPerson)]
pub struct PersonRef {
    pub id: i64,
    pub name: String,
}

/// An answer's stored value: text (text, textarea, date, select), a number (number, user and
/// attachment ids), true/false (checkbox) or a list of choices (multiselect).
pub struct AnswerValueSchema;

impl utoipa::PartialSchema for AnswerValueSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::String))
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .item(ObjectBuilder::new().schema_type(Type::Boolean))
            .item(ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)))
            .into()
    }
}

impl utoipa::ToSchema for AnswerValueSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "CatalogAnswerValue".into()
    }
}

/// One answer as agents read it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CatalogAnswer)]
pub struct AnswerView {
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// The stored answer.
    #[schema(value_type = AnswerValueSchema)]
    pub value: Value,
    /// The answer for people: a user's name, `Yes`/`No`, choices joined by commas.
    pub display: String,
}

/// A service request ordered from the catalog. Its approval and tasks are the ticket's
/// (`/api/v1/tickets/{id}/approvals`, `/api/v1/tickets/{id}/tasks`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CatalogRequest)]
pub struct CatalogRequestView {
    /// The ticket's id.
    pub id: i64,
    /// `REQ-…`.
    pub number: String,
    #[schema(value_type = crate::schema::StatusSchema)]
    pub status: opsdesk_domain::ticket::Status,
    pub catalog_item: CatalogItemRef,
    pub requested_for: PersonRef,
    /// The accepted answers by field key: normalised, hidden fields' answers dropped.
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
    /// The same answers as a readable form: label and display value, in the form's order.
    pub answers_readable: Vec<AnswerView>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
}

impl App {
    /// `answers` as a readable form, in the form's order; users are shown by name.
    pub(crate) async fn readable_answers(&self, form: &Form, answers: &Map<String, Value>) -> Result<Vec<AnswerView>> {
        let mut out = Vec::new();
        for f in &form.fields {
            let Some(v) = answers.get(&f.key) else { continue };
            let shown = match (f.field_type, v.as_i64()) {
                (FieldType::User, Some(id)) => match crate::error::found(self.db.user(id).await)? {
                    Some(u) => u.name,
                    None => format!("user #{id}"),
                },
                _ => display(f, v),
            };
            out.push(AnswerView {
                key: f.key.clone(),
                label: f.label.clone(),
                field_type: f.field_type,
                value: v.clone(),
                display: shown,
            });
        }
        Ok(out)
    }
}
