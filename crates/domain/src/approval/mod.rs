//! Approvals: a decision that a record (a ticket today; an asset disposal or an article
//! version later) needs before it may go on. An approval has ordered stages; each stage has
//! its approvers and a rule (any one, all, N of M, a percentage). Stages run in order, only the
//! current stage's approvers (or their active delegates) may decide, one rejection ends the
//! approval, and the last stage met approves it. Everything here is pure: the store keeps the
//! rows, the app layer loads them into [`Approval`] and asks it what a decision does.

mod delegation;
mod progress;
mod rule;
mod spec;
#[cfg(test)]
mod tests;

pub use delegation::{parse_bound, Delegation};
pub use progress::{Approval, Progress, Refusal, Stage};
pub use rule::{Rule, StageOutcome};
pub use spec::{ApprovalSpec, ApproverSpec, GroupRef, StageSpec, UserRef, MAX_STAGES};

use crate::validation::FieldError;
use serde::Serialize;

/// Where an approval stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    Pending,
    Approved,
    Rejected,
    /// Withdrawn before it finished (the record was cancelled, or the approval replaced).
    Cancelled,
}

impl ApprovalState {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalState::Pending => "pending",
            ApprovalState::Approved => "approved",
            ApprovalState::Rejected => "rejected",
            ApprovalState::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw {
            "pending" => Ok(ApprovalState::Pending),
            "approved" => Ok(ApprovalState::Approved),
            "rejected" => Ok(ApprovalState::Rejected),
            "cancelled" => Ok(ApprovalState::Cancelled),
            _ => Err(FieldError::new("state", "invalid_state", "state is pending, approved, rejected or cancelled")),
        }
    }

    pub fn is_finished(self) -> bool {
        self != ApprovalState::Pending
    }
}

impl TryFrom<String> for ApprovalState {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        ApprovalState::parse(&s)
    }
}

/// Where one stage stands: `waiting` for the stages before it, `pending` while it is the
/// current stage, then `approved` or `rejected`; stages after a rejection are `skipped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageState {
    Waiting,
    Pending,
    Approved,
    Rejected,
    Skipped,
}

impl StageState {
    pub fn as_str(self) -> &'static str {
        match self {
            StageState::Waiting => "waiting",
            StageState::Pending => "pending",
            StageState::Approved => "approved",
            StageState::Rejected => "rejected",
            StageState::Skipped => "skipped",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw {
            "waiting" => Ok(StageState::Waiting),
            "pending" => Ok(StageState::Pending),
            "approved" => Ok(StageState::Approved),
            "rejected" => Ok(StageState::Rejected),
            "skipped" => Ok(StageState::Skipped),
            _ => Err(FieldError::new("state", "invalid_state", "unknown stage state")),
        }
    }
}

impl TryFrom<String> for StageState {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        StageState::parse(&s)
    }
}

/// What an approver says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "approve" | "approved" => Ok(Decision::Approve),
            "reject" | "rejected" => Ok(Decision::Reject),
            _ => Err(FieldError::new("decision", "invalid_decision", "decision is approve or reject")),
        }
    }
}

impl TryFrom<String> for Decision {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Decision::parse(&s)
    }
}

/// The longest comment a decision may carry.
pub const COMMENT_MAX: usize = 4000;

/// A decision's comment: trimmed, at most [`COMMENT_MAX`] characters, no control characters
/// other than line breaks and tabs.
pub fn parse_comment(raw: Option<&str>) -> Result<String, FieldError> {
    let c = raw.unwrap_or("").trim();
    if c.chars().count() > COMMENT_MAX {
        return Err(FieldError::new("comment", "too_long", format!("at most {COMMENT_MAX} characters")));
    }
    if c.chars().any(|ch| ch.is_control() && ch != '\n' && ch != '\r' && ch != '\t') {
        return Err(FieldError::new("comment", "invalid_characters", "the comment contains control characters"));
    }
    Ok(c.to_string())
}
