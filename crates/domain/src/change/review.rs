//! The post-implementation review of a change that caused incidents. A change manager reads
//! an incident caused by the change as evidence against "successful": the review may still
//! say so (the incident was minor, or wrongly attributed), but only by saying why, so that
//! the success rate is not quietly flattered.

use serde_json::{Map, Value};

/// The detail field in which a review explains why the change counts as successful despite
/// the incidents it caused.
pub const INCIDENT_REVIEW: &str = "incident_review";

/// Why a review does not yet account for the incidents the change caused (their numbers in
/// `caused`), or `None` when it does: no incidents, an outcome other than successful (partial
/// and failed already count them against the change), no outcome yet (the review is not
/// recorded), or a successful outcome that says why.
pub fn unacknowledged_incidents(detail: &Map<String, Value>, caused: &[String]) -> Option<String> {
    if caused.is_empty() {
        return None;
    }
    let text = |k: &str| detail.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    if text("review_outcome") != Some("successful") || text(INCIDENT_REVIEW).is_some() {
        return None;
    }
    Some(format!(
        "this change caused {}; a review that calls it successful says why under \"Caused incidents reviewed\" \
         (or records the outcome as partial or failed)",
        caused.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn detail(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_successful_review_names_why_despite_caused_incidents() {
        let caused = vec!["INC-4".to_string(), "INC-9".to_string()];
        let ok = detail(json!({"review_outcome": "successful"}));
        let why = unacknowledged_incidents(&ok, &caused).expect("refused");
        assert!(why.contains("INC-4, INC-9"), "{why}");
        assert_eq!(unacknowledged_incidents(&ok, &[]), None, "no incidents, nothing to explain");
        let blank = detail(json!({"review_outcome": "successful", "incident_review": "  "}));
        assert!(unacknowledged_incidents(&blank, &caused).is_some(), "blank is not a reason");
        let said = detail(json!({"review_outcome": "successful", "incident_review": "INC-4 was a known blip"}));
        assert_eq!(unacknowledged_incidents(&said, &caused), None);
        for outcome in [json!("partial"), json!("failed"), Value::Null] {
            let d = detail(json!({ "review_outcome": outcome }));
            assert_eq!(unacknowledged_incidents(&d, &caused), None, "{outcome}");
        }
    }
}
