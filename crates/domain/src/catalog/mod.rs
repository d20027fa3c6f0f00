//! The service catalog: items a desk offers, each with a form whose answers are checked here,
//! an optional approval, a price and threshold, an audience, and fulfilment steps. Pure rules;
//! the application resolves references (groups, organisations, users) and writes the orders.

mod answers;
mod form;
mod offer;
#[cfg(test)]
mod tests;

pub use answers::display;
pub use form::{Expected, FieldType, Form, FormField, ShowIf, MAX_FIELDS, MAX_TEXT, MAX_TEXTAREA};
pub use offer::{money, needs_approval, parse_money, Audience, FulfilmentStep, MAX_PRICE, MAX_STEPS};
