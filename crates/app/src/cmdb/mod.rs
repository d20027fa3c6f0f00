//! Configuration management: classes, configuration items, relationships, impact analysis,
//! history, the CIs of tickets and inventory reconciliation. Agents and admins read and edit
//! the CMDB; requesters see only the business services offered to them; classes, rules and
//! inventory pushes are for admins.

mod classes;
mod impact;
mod inventory;
mod inventory_chunk;
mod items;
mod relationships;
mod services;
mod settings;
mod tickets;
mod views;

pub use classes::{ClassInput, RuleInput};
pub use impact::ImpactQuery;
pub use inventory::{Explain, InventoryInput, InventoryItem};
pub use items::{CiInput, CiPatch, ListCis, OfferInput};
pub use relationships::RelationshipInput;
pub use settings::{CmdbSettingsInput, CmdbSettingsView};
pub use tickets::TicketCiInput;
pub use views::*;

use crate::{AppError, Result};
use opsdesk_domain::{Actor, Role};

/// Agents and admins work the CMDB.
pub(crate) fn require_agent(actor: &Actor) -> Result<()> {
    match actor.role {
        Role::Agent | Role::Admin => Ok(()),
        Role::Requester => Err(AppError::Forbidden),
    }
}

/// Classes, relationship rules and inventory pushes are the CMDB's configuration.
pub(crate) fn require_admin(actor: &Actor) -> Result<()> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}
