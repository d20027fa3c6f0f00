//! Opsdesk persistence. One repository interface over two backends: SQLite (the embedded
//! default, WAL, one writer) and PostgreSQL (for many nodes). The same SQL text runs on both
//! except where the dialects differ (row locking, full-text search); each backend has its own
//! migrations, embedded in the binary.
#![forbid(unsafe_code)]

#[macro_use]
mod db;
mod error;
mod multirow;
mod time;

pub mod approvals;
pub mod audit;
pub mod catalog;
pub mod changes;
pub mod cmdb;
pub mod groups;
pub mod jobs;
pub mod kb;
pub mod mail;
pub mod organizations;
pub mod outbox;
pub mod password_resets;
pub mod probe;
pub mod sessions;
pub mod sla;
pub mod throttle;
pub mod tickets;
pub mod tokens;
pub mod users;

pub use db::{Backend, Db, DbOptions, Tx};
pub use error::{stored_json, StoreError};
pub use time::Ts;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
