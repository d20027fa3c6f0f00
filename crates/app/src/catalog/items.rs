//! Catalog items: admins write them (form, approval, price and threshold, fulfilment steps,
//! audience), agents read every one, requesters read the published items offered to them; an
//! item a requester may not see answers exactly like a missing one.

use super::{admin, CatalogItemView, Item};
use crate::tickets::{checked, Ref};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::approval::{ApprovalSpec, GroupRef};
use opsdesk_domain::catalog::{parse_money, Audience, Form, FulfilmentStep};
use opsdesk_domain::validation::Checks;
use opsdesk_domain::{Actor, FieldError, Invalid};
use opsdesk_store::catalog::CatalogItemRow;
use opsdesk_store::Ts;
use serde::Deserialize;
use serde_json::{json, Value};

/// Who may see and order an item: members of any of these organisations or groups (ids or
/// names). Both empty, or no audience, offers it to everyone.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CatalogAudienceInput)]
pub struct AudienceInput {
    #[serde(default)]
    #[schema(max_items = 200)]
    pub organizations: Vec<Ref>,
    #[serde(default)]
    #[schema(max_items = 200)]
    pub groups: Vec<Ref>,
}

/// A catalog item as an admin writes it (`POST` creates, `PUT` replaces).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CatalogItemInput)]
pub struct CatalogItemInput {
    /// The desk: id or name; the first desk when absent.
    #[serde(default)]
    pub desk: Option<Ref>,
    /// A catalog category of the desk: id or name.
    #[serde(default)]
    pub category: Option<Ref>,
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub description: String,
    /// The address of a picture: a path on this server or an `https://` address.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub picture: Option<String>,
    /// The form's fields, in order (at most 100).
    #[serde(default = "empty_list")]
    #[schema(value_type = Vec<opsdesk_domain::catalog::FormField>)]
    pub form: Value,
    /// The approval an order needs (stages as `POST /api/v1/tickets/{id}/approvals` takes
    /// them), or null for none.
    #[serde(default)]
    #[schema(value_type = Option<crate::approvals::CreateApprovalSchema>)]
    pub approval: Option<Value>,
    /// Orders priced under this need no approval.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub approval_skip_below: Option<f64>,
    /// The tasks an order becomes once approved (or at once without an approval).
    #[serde(default = "empty_list")]
    #[schema(value_type = Vec<super::FulfilmentStepSchema>)]
    pub fulfilment: Value,
    #[serde(default)]
    #[schema(minimum = 0)]
    pub price: Option<f64>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 3650)]
    pub delivery_days: Option<i64>,
    /// The SLA policy that applies (id or name).
    #[serde(default)]
    pub sla_policy: Option<Ref>,
    #[serde(default)]
    pub audience: Option<AudienceInput>,
    /// Drafts are seen by staff only.
    #[serde(default)]
    pub published: bool,
    /// Smaller first within its category.
    #[serde(default)]
    pub position: i64,
}

fn empty_list() -> Value {
    Value::Array(vec![])
}

/// Filters of the item list.
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    /// Words that must all appear in the title, description or category name.
    pub q: Option<String>,
    pub desk: Option<Ref>,
    pub category: Option<i64>,
}

/// Re-roots errors of a part of the input under its name (`approval.stages[0].rule`).
fn under(prefix: &str, inv: Invalid, c: &mut Checks) {
    for e in inv.0 {
        let field = if e.field.starts_with(prefix) { e.field.clone() } else { format!("{prefix}.{}", e.field) };
        c.push(e.at(field));
    }
}

impl App {
    /// The items `actor` may see, filtered, in catalog order.
    pub async fn catalog_items(&self, actor: &Actor, query: &ItemQuery) -> Result<Vec<CatalogItemView>> {
        let desk_id = match &query.desk {
            Some(r) => Some(self.resolve_desk(r, "desk").await?),
            None => None,
        };
        let categories = self.db.catalog_categories(desk_id).await?;
        let words: Vec<String> =
            query.q.as_deref().unwrap_or("").split_whitespace().map(str::to_lowercase).take(20).collect();
        let mut out = Vec::new();
        for row in self.db.catalog_items().await? {
            if desk_id.is_some_and(|d| d != row.desk_id) || query.category.is_some_and(|c| Some(c) != row.category_id) {
                continue;
            }
            let item = Item::of(row)?;
            if !item.visible_to(actor) {
                continue;
            }
            let category = categories.iter().find(|c| Some(c.id) == item.row.category_id).map(|c| c.name.as_str());
            let text = format!("{} {} {}", item.row.title, item.row.description, category.unwrap_or("")).to_lowercase();
            if words.iter().all(|w| text.contains(w.as_str())) {
                out.push(CatalogItemView::of(&item, actor));
            }
        }
        Ok(out)
    }

    /// An item the actor may see.
    pub async fn catalog_item(&self, actor: &Actor, id: i64) -> Result<CatalogItemView> {
        let item = self.visible_item(actor, id).await?;
        Ok(CatalogItemView::of(&item, actor))
    }

    pub(crate) async fn visible_item(&self, actor: &Actor, id: i64) -> Result<Item> {
        let item = Item::of(self.db.catalog_item(id).await?)?;
        if item.visible_to(actor) {
            Ok(item)
        } else {
            Err(AppError::NotFound)
        }
    }

    /// Creates (`id` none) or replaces an item; `expected_version` is the `If-Match` of a
    /// replacement.
    #[tracing::instrument(skip(self, input))]
    pub async fn put_catalog_item(
        &self,
        actor: &Actor,
        id: Option<i64>,
        expected_version: Option<i64>,
        input: CatalogItemInput,
    ) -> Result<CatalogItemView> {
        admin(actor)?;
        if let Some(id) = id {
            self.db.catalog_item(id).await?;
        }
        let now = Ts::now();
        let row = self.check_item(input, id.unwrap_or(0), now).await?;
        let mut tx = self.db.begin().await?;
        let written = match id {
            None => tx.insert_catalog_item(&row).await?,
            Some(_) => match tx.update_catalog_item(&row, expected_version).await? {
                Some(w) => w,
                None => {
                    return Err(AppError::Precondition(
                        "the catalog item was changed meanwhile; read it again and retry".into(),
                    ))
                }
            },
        };
        let payload = json!({ "item_id": written.id, "published": written.published });
        emit(&mut tx, "catalog_item.saved", format!("catalog_item:{}", written.id), actor, payload, now).await?;
        tx.commit().await?;
        Ok(CatalogItemView::of(&Item::of(written)?, actor))
    }

    pub async fn delete_catalog_item(&self, actor: &Actor, id: i64) -> Result<()> {
        admin(actor)?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        tx.delete_catalog_item(id).await?;
        emit(&mut tx, "catalog_item.deleted", format!("catalog_item:{id}"), actor, json!({}), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks every part of an item's input, collecting all errors, and resolves its
    /// references to ids.
    async fn check_item(&self, input: CatalogItemInput, id: i64, now: Ts) -> Result<CatalogItemRow> {
        let mut c = Checks::new();
        let title = c.take(crate::tickets::one_line(&input.title, "title", 300));
        let description = c.take(crate::tickets::body_text(&input.description, "description", 20_000));
        let picture = match input.picture.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(p)
                if p.len() <= 2000
                    && (p.starts_with("https://") || p.starts_with('/') && !p.starts_with("//"))
                    && !p.chars().any(|ch| ch.is_control() || ch.is_whitespace()) =>
            {
                Some(p.to_string())
            }
            Some(_) => {
                c.push(FieldError::new("picture", "invalid", "a path on this server or an https:// address"));
                None
            }
            None => None,
        };
        let desk_id = match &input.desk {
            Some(r) => checked(&mut c, self.resolve_desk(r, "desk").await)?,
            None => Some(self.first_desk().await?),
        };
        let category_id = match (&input.category, desk_id) {
            (Some(r), Some(d)) => {
                let cats = self.db.catalog_categories(Some(d)).await?;
                let found = cats.iter().find(|cat| match r {
                    Ref::Id(id) => cat.id == *id,
                    Ref::Name(n) => cat.name.eq_ignore_ascii_case(n.trim()),
                });
                if found.is_none() {
                    c.push(FieldError::new("category", "unknown", "no such catalog category in this desk"));
                }
                found.map(|cat| cat.id)
            }
            _ => None,
        };
        let form = match Form::parse(&input.form) {
            Ok(f) => Some(f),
            Err(inv) => {
                under("form", inv, &mut c);
                None
            }
        };
        let approval = match &input.approval {
            None | Some(Value::Null) => None,
            Some(v) => {
                if let Some(k) = v.as_object().and_then(|o| o.keys().find(|k| k.as_str() != "stages")) {
                    c.push(FieldError::new(format!("approval.{k}"), "unknown_field", "an approval has only stages"));
                }
                match ApprovalSpec::parse(v) {
                    Ok(mut spec) => {
                        let mut refs = Checks::new();
                        self.approval_refs_to_ids(&mut spec, "approval.", &mut refs).await?;
                        match refs.finish() {
                            Ok(()) => Some(spec),
                            Err(inv) => {
                                inv.0.into_iter().for_each(|e| c.push(e));
                                None
                            }
                        }
                    }
                    Err(inv) => {
                        under("approval", inv, &mut c);
                        None
                    }
                }
            }
        };
        let mut fulfilment = match FulfilmentStep::parse_all(&input.fulfilment) {
            Ok(s) => s,
            Err(inv) => {
                under("fulfilment", inv, &mut c);
                Vec::new()
            }
        };
        for (i, step) in fulfilment.iter_mut().enumerate() {
            let r = match &step.group {
                Some(GroupRef::Id(id)) => Ref::Id(*id),
                Some(GroupRef::Name(n)) => Ref::Name(n.clone()),
                None => continue,
            };
            if let Some(g) = checked(&mut c, self.resolve_group(&r, &format!("fulfilment[{i}].group")).await)? {
                step.group = Some(GroupRef::Id(g));
            }
        }
        let price = input.price.and_then(|p| c.take(parse_money(p, "price")));
        let skip_below = input.approval_skip_below.and_then(|p| c.take(parse_money(p, "approval_skip_below")));
        if input.delivery_days.is_some_and(|d| !(0..=3650).contains(&d)) {
            c.push(FieldError::new("delivery_days", "out_of_range", "0 to 3650 days"));
        }
        let sla_policy_id = match &input.sla_policy {
            None => None,
            Some(r) => {
                let policies = self.db.policies().await?;
                let found = policies.iter().find(|p| match r {
                    Ref::Id(id) => p.id == *id,
                    Ref::Name(n) => p.name.eq_ignore_ascii_case(n.trim()),
                });
                if found.is_none() {
                    c.push(FieldError::new("sla_policy", "unknown", "no such SLA policy"));
                }
                found.map(|p| p.id)
            }
        };
        let audience = self.check_audience(input.audience.unwrap_or_default(), &mut c).await?;
        c.finish()?;
        let (Some(title), Some(description), Some(desk_id), Some(form)) = (title, description, desk_id, form) else {
            return Err(AppError::Internal("validated catalog item is incomplete".into()));
        };
        Ok(CatalogItemRow {
            id,
            desk_id,
            category_id,
            title,
            description,
            picture,
            form: form.to_json().to_string(),
            approval: approval.map(|a| a.to_json().to_string()),
            approval_skip_below_cents: skip_below,
            fulfilment: FulfilmentStep::to_json(&fulfilment).to_string(),
            price_cents: price,
            delivery_days: input.delivery_days,
            sla_policy_id,
            audience: json!(audience).to_string(),
            published: input.published,
            position: input.position,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    async fn check_audience(&self, input: AudienceInput, c: &mut Checks) -> Result<Audience> {
        let mut out = Audience::default();
        if input.organizations.len() > 200 || input.groups.len() > 200 {
            c.push(FieldError::new("audience", "too_many", "at most 200 organisations and 200 groups"));
            return Ok(out);
        }
        for (i, r) in input.organizations.iter().enumerate() {
            let found = match r {
                Ref::Id(id) => crate::error::found(self.db.organization(*id).await)?.map(|o| o.id),
                Ref::Name(n) => self.db.organization_by_name(n.trim()).await?.map(|o| o.id),
            };
            match found {
                Some(id) if !out.organizations.contains(&id) => out.organizations.push(id),
                Some(_) => {}
                None => {
                    c.push(FieldError::new(format!("audience.organizations[{i}]"), "unknown", "no such organisation"))
                }
            }
        }
        for (i, r) in input.groups.iter().enumerate() {
            if let Some(id) = checked(c, self.resolve_group(r, &format!("audience.groups[{i}]")).await)? {
                if !out.groups.contains(&id) {
                    out.groups.push(id);
                }
            }
        }
        Ok(out)
    }
}
