//! Statuses, their categories and hold reasons: the vocabulary every kind's lifecycle is
//! declared in (see [`super::kinds`]). An illegal transition names the allowed ones, and a
//! transition refused by a guard names each guard, so a client can tell a person what to do.

use super::guard::GuardFailure;
use super::Kind;
use crate::validation::FieldError;
use serde::Serialize;
use std::fmt;

/// Every status of every kind. Which kind has which status, in which category, and how it may
/// move, is declared by the kinds; this is only the list of names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Assigned,
    InProgress,
    OnHold,
    Resolved,
    Closed,
    Cancelled,
    Submitted,
    AwaitingApproval,
    Fulfilling,
    Fulfilled,
    Rejected,
    Assessed,
    RootCauseAnalysis,
    KnownError,
    Open,
    Done,
    Draft,
    Assessment,
    Scheduled,
    Implementing,
    Review,
    Failed,
}

/// What a status means across kinds: new (nobody has picked it up), open (being worked),
/// pending (waiting on someone outside the assignee: a requester, a vendor, an approver),
/// resolved (the answer is given; the requester may still reopen) and closed (final).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusCategory {
    New,
    Open,
    Pending,
    Resolved,
    Closed,
}

impl StatusCategory {
    pub const ALL: [StatusCategory; 5] = [
        StatusCategory::New,
        StatusCategory::Open,
        StatusCategory::Pending,
        StatusCategory::Resolved,
        StatusCategory::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StatusCategory::New => "new",
            StatusCategory::Open => "open",
            StatusCategory::Pending => "pending",
            StatusCategory::Resolved => "resolved",
            StatusCategory::Closed => "closed",
        }
    }

    /// The coarse class queues filter on (`status:open`).
    pub fn class(self) -> StatusClass {
        match self {
            StatusCategory::New | StatusCategory::Open | StatusCategory::Pending => StatusClass::Open,
            StatusCategory::Resolved => StatusClass::Resolved,
            StatusCategory::Closed => StatusClass::Closed,
        }
    }
}

/// Coarse state for queues and queries (`status:open`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusClass {
    Open,
    Resolved,
    Closed,
}

impl Status {
    pub const ALL: [Status; 23] = [
        Status::New,
        Status::Assigned,
        Status::InProgress,
        Status::OnHold,
        Status::Resolved,
        Status::Closed,
        Status::Cancelled,
        Status::Submitted,
        Status::AwaitingApproval,
        Status::Fulfilling,
        Status::Fulfilled,
        Status::Rejected,
        Status::Assessed,
        Status::RootCauseAnalysis,
        Status::KnownError,
        Status::Open,
        Status::Done,
        Status::Draft,
        Status::Assessment,
        Status::Scheduled,
        Status::Implementing,
        Status::Review,
        Status::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Assigned => "assigned",
            Status::InProgress => "in_progress",
            Status::OnHold => "on_hold",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
            Status::Cancelled => "cancelled",
            Status::Submitted => "submitted",
            Status::AwaitingApproval => "awaiting_approval",
            Status::Fulfilling => "fulfilling",
            Status::Fulfilled => "fulfilled",
            Status::Rejected => "rejected",
            Status::Assessed => "assessed",
            Status::RootCauseAnalysis => "root_cause_analysis",
            Status::KnownError => "known_error",
            Status::Open => "open",
            Status::Done => "done",
            Status::Draft => "draft",
            Status::Assessment => "assessment",
            Status::Scheduled => "scheduled",
            Status::Implementing => "implementing",
            Status::Review => "review",
            Status::Failed => "failed",
        }
    }

    /// Any status by name (`in_progress`, `in-progress`, `In Progress`).
    pub fn parse(raw: &str) -> Result<Status, FieldError> {
        let norm = raw.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Status::ALL
            .into_iter()
            .find(|s| s.as_str() == norm)
            .ok_or_else(|| FieldError::new("status", "invalid_status", format!("{raw:?} is not a ticket status")))
    }

    /// The status's category, as the kinds declare it. A status means the same in every kind
    /// that has it (a unit test holds the declarations to that), so the first kind that
    /// declares it answers.
    pub fn category(self) -> StatusCategory {
        Kind::ALL.iter().find_map(|k| k.def().category_of(self)).unwrap_or(StatusCategory::Open)
    }

    pub fn class(self) -> StatusClass {
        self.category().class()
    }

    pub fn is_open(self) -> bool {
        self.class() == StatusClass::Open
    }

    /// Words for people: `root_cause_analysis` reads "Root cause analysis".
    pub fn label(self) -> String {
        let words = self.as_str().replace('_', " ");
        let mut chars = words.chars();
        chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Status {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Status::parse(&s)
    }
}

/// Why a ticket waits. Waiting for the requester pauses SLA clocks by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    AwaitingRequester,
    AwaitingVendor,
    AwaitingChange,
    Other,
}

impl HoldReason {
    pub const ALL: [HoldReason; 4] =
        [HoldReason::AwaitingRequester, HoldReason::AwaitingVendor, HoldReason::AwaitingChange, HoldReason::Other];

    pub fn parse(raw: &str) -> Result<HoldReason, FieldError> {
        match raw.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "awaiting_requester" | "requester" => Ok(HoldReason::AwaitingRequester),
            "awaiting_vendor" | "vendor" => Ok(HoldReason::AwaitingVendor),
            "awaiting_change" | "change" => Ok(HoldReason::AwaitingChange),
            "other" => Ok(HoldReason::Other),
            _ => Err(FieldError::new(
                "hold_reason",
                "invalid_hold_reason",
                "hold_reason is one of awaiting_requester, awaiting_vendor, awaiting_change, other",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HoldReason::AwaitingRequester => "awaiting_requester",
            HoldReason::AwaitingVendor => "awaiting_vendor",
            HoldReason::AwaitingChange => "awaiting_change",
            HoldReason::Other => "other",
        }
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a {kind} has no such status")]
    UnknownStatus { kind: Kind, allowed: Vec<Status> },
    #[error("cannot go from {from} to {to}")]
    NotAllowed { from: Status, to: Status, allowed: Vec<Status> },
    #[error("putting a ticket on hold needs a hold_reason")]
    ReasonRequired,
    #[error("a {kind} has no hold reason {reason}")]
    ReasonNotAllowed { kind: Kind, reason: &'static str },
    /// The move is in the lifecycle, but one or more of its guards are not satisfied.
    #[error("{} guard(s) refused the transition", .0.len())]
    GuardsFailed(Vec<GuardFailure>),
}

impl TransitionError {
    /// The statuses that would have been allowed.
    pub fn allowed(&self) -> &[Status] {
        match self {
            TransitionError::UnknownStatus { allowed, .. } | TransitionError::NotAllowed { allowed, .. } => allowed,
            _ => &[],
        }
    }
}
