//! The CMDB as stored: classes, relationship rules, configuration items with their identifiers
//! and versions, relationships (ended, never deleted), service offers and the CIs of tickets.
//! The rules live in `opsdesk_domain::cmdb`; this module reads and writes rows.

mod bulk;
mod classes;
mod inventory;
mod items;
pub(crate) mod relationships;
mod tickets;

pub use bulk::BulkCi;
pub use classes::{ClassRow, RuleRow};
pub use inventory::{CiStateUpdate, CiVersionRecord};
pub use items::{CiFilter, CiRow, CiVersionRow, NewCiVersion, ServiceRow};
pub use relationships::{EdgeRow, NodeRow, RelationshipRow};
pub use tickets::{CiTicketRow, TicketCiRow};

/// `a, b, c` for an `IN (...)` of ids. Ids are integers, so writing them into the statement
/// is safe; such statements are not kept prepared (their text changes with every list).
pub(crate) fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
}

/// At most this many ids per `IN (...)` list.
pub(crate) const IN_CHUNK: usize = 5000;
