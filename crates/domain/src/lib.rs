//! The Opsdesk domain core: the rules of the service desk as pure Rust, with no I/O and no
//! async. Edges turn raw input into these types ("parse, don't validate"); past the edge an
//! invalid email, role or time zone cannot be represented.
#![forbid(unsafe_code)]

pub mod access;
pub mod approval;
pub mod catalog;
pub mod change;
pub mod cmdb;
pub mod identity;
pub mod kb;
pub mod query;
pub mod sla;
pub mod throttle;
pub mod ticket;
pub mod validation;

pub use access::{Actor, Permission};
pub use identity::{Email, Locale, Password, PersonName, Role, TimeZoneName};
pub use validation::{FieldError, Invalid};
