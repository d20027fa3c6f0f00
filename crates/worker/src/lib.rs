//! The Opsdesk worker: leases jobs from the queue and runs them, dispatches outbox events to
//! their subscribers, and enqueues scheduled work once per occurrence. Any number of workers may
//! share one PostgreSQL database; each job and each scheduled occurrence runs once.
#![forbid(unsafe_code)]

pub mod approvals;
pub mod builtin;
pub mod mail;
pub mod mailbox;
mod outbox;
mod password_reset;
mod registry;
pub mod retry;
mod runner;
mod scheduler;

pub use outbox::Subscriber;
pub use registry::{JobContext, JobError, Registry};
pub use runner::{Worker, WorkerConfig};
pub use scheduler::Schedule;
