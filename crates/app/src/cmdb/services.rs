//! The business services a person may name as affected on a new ticket: for requesters those
//! offered to their organisation (or to everyone), for agents every service not retired.

use super::ServiceView;
use crate::{App, Result};
use opsdesk_domain::cmdb::BUSINESS_SERVICE;
use opsdesk_domain::{Actor, Role};
use opsdesk_store::cmdb::CiFilter;

/// Enough for a picker; a desk with more services than this needs a search, not a select.
const MAX_SERVICES: i64 = 500;

impl App {
    /// The services the actor may pick as "affected service", by name.
    #[tracing::instrument(skip(self))]
    pub async fn services_to_pick(&self, actor: &Actor) -> Result<Vec<ServiceView>> {
        if actor.role == Role::Requester {
            let rows = self.db.services_offered_to(actor.organization_id).await?;
            return Ok(rows.into_iter().map(|r| ServiceView { id: r.id, name: r.name }).collect());
        }
        let filter = CiFilter { class_key: Some(BUSINESS_SERVICE), ..Default::default() };
        let mut out: Vec<ServiceView> = self
            .db
            .cis(&filter, 0, MAX_SERVICES)
            .await?
            .into_iter()
            .filter(|r| r.status != "retired")
            .map(|r| ServiceView { id: r.id, name: r.name })
            .collect();
        out.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id)));
        Ok(out)
    }
}
