//! The one task model shared by incidents, service requests, problems and tasks: kinds declared
//! as data with their lifecycles, guards and detail records, numbers, impact x urgency priority,
//! custom fields, and who may see and work a ticket.

mod custom_field;
pub mod detail;
pub mod guard;
mod kind;
pub mod kinds;
mod lifecycle;
mod number;
mod priority;
mod visibility;

pub(crate) use custom_field::check_typed;
pub use custom_field::{CustomFieldDef, CustomFieldType};
pub use detail::{DetailField, DetailSpec, DetailType};
pub use guard::{ApprovalFact, Fact, Guard, GuardFacts, GuardFailure, GuardRule};
pub use kind::{Kind, KindDef};
pub use lifecycle::{HoldReason, Status, StatusCategory, StatusClass, TransitionError};
pub use number::TicketNumber;
pub use priority::{Level, Priority, PriorityMatrix};
pub use visibility::{TicketAccess, Visibility};
