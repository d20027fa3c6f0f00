//! The service catalog: categories and items per desk (written by admins, read by agents,
//! offered to requesters by audience when published), ordering an item as a service request
//! with checked answers, its approval through the approvals framework, and its fulfilment
//! tasks once the request enters fulfilment.

mod categories;
mod fulfil;
mod items;
mod order;
mod views;

pub use categories::{CatalogCategoryInput, CatalogCategoryView};
pub(crate) use fulfil::on_ticket_moved;
pub use items::{AudienceInput, CatalogItemInput, ItemQuery};
pub use order::OrderInput;
pub use views::{AnswerView, CatalogItemRef, CatalogItemView, CatalogRequestView, FulfilmentStepSchema, PersonRef};

use crate::{AppError, Result};
use opsdesk_domain::approval::ApprovalSpec;
use opsdesk_domain::catalog::{Audience, Form, FulfilmentStep};
use opsdesk_domain::{Actor, Role};
use opsdesk_store::catalog::CatalogItemRow;
use opsdesk_store::stored_json;

/// Admins shape the catalog; the system actor (demo data, the CLI) too.
fn admin(actor: &Actor) -> Result<()> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// An item's stored JSON read back into the domain's types. What was written was checked, so
/// anything that does not parse now is an internal error, never a default.
pub(crate) struct Item {
    pub row: CatalogItemRow,
    pub form: Form,
    pub approval: Option<ApprovalSpec>,
    pub fulfilment: Vec<FulfilmentStep>,
    pub audience: Audience,
}

impl Item {
    pub(crate) fn of(row: CatalogItemRow) -> Result<Item> {
        let what = |part: &str| format!("{part} of catalog item {}", row.id);
        let bad = |part: &str| {
            let w = what(part);
            move |e: opsdesk_domain::Invalid| {
                tracing::error!(error = %e, "a stored catalog item does not parse");
                AppError::Internal(format!("stored {w} is invalid"))
            }
        };
        let form = Form::from_stored(&stored_json(&what("form"), &row.form)?).map_err(bad("form"))?;
        let approval = match &row.approval {
            Some(a) => Some(ApprovalSpec::parse(&stored_json(&what("approval"), a)?).map_err(bad("approval"))?),
            None => None,
        };
        let fulfilment = FulfilmentStep::parse_all(&stored_json(&what("fulfilment"), &row.fulfilment)?)
            .map_err(bad("fulfilment"))?;
        let audience: Audience = stored_json(&what("audience"), &row.audience)?;
        Ok(Item { row, form, approval, fulfilment, audience })
    }

    /// Whether `actor` may see (and order) the item: staff see every item, drafts included;
    /// requesters see published items offered to their organisation or one of their groups.
    pub(crate) fn visible_to(&self, actor: &Actor) -> bool {
        actor.role != Role::Requester
            || self.row.published && self.audience.offers_to(actor.organization_id, &actor.group_ids)
    }
}
