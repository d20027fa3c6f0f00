//! The one task model shared by incidents, service requests and problems (changes join later):
//! kinds and their lifecycles, numbers, impact x urgency priority, custom fields, and who may
//! see and work a ticket.

mod custom_field;
mod lifecycle;
mod number;
mod priority;
mod visibility;

pub use custom_field::{CustomFieldDef, CustomFieldType};
pub use lifecycle::{HoldReason, Kind, Status, StatusClass, TransitionError};
pub use number::TicketNumber;
pub use priority::{Level, Priority, PriorityMatrix};
pub use visibility::{TicketAccess, Visibility};
