//! The post-implementation review of a change that caused incidents: the review form may not
//! quietly call such a change successful, and the incidents known when the outcome was
//! recorded stay in the change's history even if links change later.

use crate::tickets::transition::CAUSED_BY;
use crate::Result;
use opsdesk_domain::change::review::{unacknowledged_incidents, INCIDENT_REVIEW};
use opsdesk_domain::FieldError;
use opsdesk_store::changes::Reader;
use opsdesk_store::Tx;
use serde_json::{Map, Value};

/// The history field that records the incidents a review was written against.
pub(crate) const REVIEW_INCIDENTS: &str = "change.review_incidents";

/// Checks a change's detail record as a patch leaves it. Only a patch that touches the
/// review's outcome or its explanation is judged here (the close guard judges the rest, e.g.
/// an incident linked after the review). Returns the caused incidents' numbers when the
/// outcome changes while there are some, for the history.
pub(crate) async fn check(
    tx: &mut Tx,
    change: i64,
    patch: &Map<String, Value>,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) -> Result<Option<String>> {
    if !patch.contains_key("review_outcome") && !patch.contains_key(INCIDENT_REVIEW) {
        return Ok(None);
    }
    let caused: Vec<String> =
        Reader::Tx(tx).linked_tickets(change, CAUSED_BY, false).await?.into_iter().map(|t| t.number).collect();
    if let Some(why) = unacknowledged_incidents(new, &caused) {
        return Err(FieldError::new(format!("detail.{INCIDENT_REVIEW}"), "incidents_unacknowledged", why).into());
    }
    let outcome_changed = old.get("review_outcome") != new.get("review_outcome");
    let set = new.get("review_outcome").is_some_and(|v| !v.is_null());
    Ok((outcome_changed && set && !caused.is_empty()).then(|| caused.join(", ")))
}
