//! Configuration management as rules: classes and their attribute schemas, configuration items
//! and their identifiers, typed relationships and which classes they may join, impact walks
//! over the relationship graph, and the reconciliation of inventory reports. No I/O: the app
//! layer fetches rows and asks these types what they mean.

pub mod class;
pub mod identifiers;
pub mod impact;
pub mod item;
pub mod reconcile;
pub mod relationship;

pub use class::{AttrSpec, AttrType, ClassKey, ClassSchema, BUILT_IN_CLASSES, BUSINESS_SERVICE};
pub use identifiers::{IdKind, Identifiers};
pub use impact::{Direction, Edge, Walk};
pub use item::{CiName, CiStatus, StaleAfter};
pub use reconcile::{MatchOutcome, Merge};
pub use relationship::{check as check_relationship, RelRule, RelType, DEFAULT_RULES};

#[cfg(test)]
mod tests;
