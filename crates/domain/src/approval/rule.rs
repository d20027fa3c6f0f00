//! Stage rules: how many of a stage's approvers must approve. One rejection always ends the
//! stage (and the approval), whatever the rule.

use crate::validation::FieldError;
use serde_json::{json, Value};

/// A stage's rule. The wire form is `"any"`, `"all"`, `{"n": 2}` or `{"percent": 50}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// One approval is enough.
    Any,
    /// Every approver must approve.
    All,
    /// At least `n` approvals (N of M).
    NOf(u32),
    /// At least this percentage of the approvers, rounded up (50 % of 3 is 2).
    Percent(u32),
}

/// Where a stage stands after its decisions so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageOutcome {
    /// More approvals are needed.
    Open,
    Met,
    Rejected,
}

impl Rule {
    /// Reads the wire form; errors name `field`.
    pub fn parse(v: &Value, field: &str) -> Result<Rule, FieldError> {
        let bad = || FieldError::new(field, "invalid_rule", "rule is \"any\", \"all\", {\"n\": N} or {\"percent\": P}");
        match v {
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "any" => Ok(Rule::Any),
                "all" => Ok(Rule::All),
                _ => Err(bad()),
            },
            Value::Object(o) if o.len() == 1 => {
                if let Some(n) = o.get("n") {
                    let n = n
                        .as_u64()
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or_else(|| FieldError::new(field, "out_of_range", "n is a whole number of at least 1"))?;
                    Ok(Rule::NOf(n as u32))
                } else if let Some(p) = o.get("percent") {
                    let p = p
                        .as_u64()
                        .filter(|p| (1..=100).contains(p))
                        .ok_or_else(|| FieldError::new(field, "out_of_range", "percent is 1 to 100"))?;
                    Ok(Rule::Percent(p as u32))
                } else {
                    Err(bad())
                }
            }
            _ => Err(bad()),
        }
    }

    pub fn to_json(self) -> Value {
        match self {
            Rule::Any => json!("any"),
            Rule::All => json!("all"),
            Rule::NOf(n) => json!({ "n": n }),
            Rule::Percent(p) => json!({ "percent": p }),
        }
    }

    /// How many approvals a stage of `approvers` people needs (at least one).
    pub fn required(self, approvers: usize) -> usize {
        let m = approvers.max(1);
        match self {
            Rule::Any => 1,
            Rule::All => m,
            Rule::NOf(n) => n as usize,
            Rule::Percent(p) => (p as usize * m).div_ceil(100).max(1),
        }
    }

    /// Whether the rule can be met by `approvers` people at all (N of M needs N ≤ M).
    pub fn check_against(self, approvers: usize, field: &str) -> Result<(), FieldError> {
        match self {
            Rule::NOf(n) if n as usize > approvers => Err(FieldError::new(
                field,
                "more_than_approvers",
                format!("n is {n} but the stage has {approvers} approver(s)"),
            )),
            _ => Ok(()),
        }
    }

    /// The stage's outcome after `approvals` approvals and `rejections` rejections among
    /// `approvers` people.
    pub fn outcome(self, approvers: usize, approvals: usize, rejections: usize) -> StageOutcome {
        if rejections > 0 {
            StageOutcome::Rejected
        } else if approvals >= self.required(approvers) {
            StageOutcome::Met
        } else {
            StageOutcome::Open
        }
    }
}
