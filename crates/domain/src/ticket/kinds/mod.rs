//! The declarations of every kind, one module each. See [`super::Kind::def`] for the one place
//! they are registered, and docs/DESIGN.md for how to add one.

pub mod change;
pub mod incident;
pub mod problem;
pub mod service_request;
pub mod task;

#[cfg(test)]
mod tests;
