//! Ticket kinds and their lifecycles as state machines. An illegal transition names the
//! allowed ones, so a client can tell a person what to do instead.

use crate::validation::FieldError;
use serde::Serialize;
use std::fmt;

/// What a ticket is. Changes (with their CAB approvals and schedule) will be a fourth kind
/// on the same model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Incident,
    ServiceRequest,
    Problem,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Incident, Kind::ServiceRequest, Kind::Problem];

    pub fn parse(raw: &str) -> Result<Kind, FieldError> {
        match raw.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "incident" => Ok(Kind::Incident),
            "service_request" | "request" => Ok(Kind::ServiceRequest),
            "problem" => Ok(Kind::Problem),
            _ => Err(FieldError::new("kind", "invalid_kind", "kind is one of incident, service_request, problem")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Incident => "incident",
            Kind::ServiceRequest => "service_request",
            Kind::Problem => "problem",
        }
    }

    /// The prefix of ticket numbers of this kind.
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Incident => "INC",
            Kind::ServiceRequest => "REQ",
            Kind::Problem => "PRB",
        }
    }

    pub fn from_prefix(p: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.prefix().eq_ignore_ascii_case(p))
    }

    pub fn initial_status(self) -> Status {
        match self {
            Kind::Incident | Kind::Problem => Status::New,
            Kind::ServiceRequest => Status::Submitted,
        }
    }

    /// Every status a ticket of this kind can be in.
    pub fn statuses(self) -> &'static [Status] {
        use Status::*;
        match self {
            Kind::Incident => &[New, Assigned, InProgress, OnHold, Resolved, Closed, Cancelled],
            Kind::ServiceRequest => &[Submitted, AwaitingApproval, Fulfilling, Fulfilled, Closed, Rejected, Cancelled],
            Kind::Problem => &[New, Assessed, RootCauseAnalysis, KnownError, Resolved, Closed],
        }
    }

    /// Where a ticket goes from `from` to `to` is allowed.
    pub fn allowed_from(self, from: Status) -> &'static [Status] {
        use Status::*;
        match (self, from) {
            (Kind::Incident, New) => &[Assigned, InProgress, OnHold, Resolved, Cancelled],
            (Kind::Incident, Assigned) => &[New, InProgress, OnHold, Resolved, Cancelled],
            (Kind::Incident, InProgress) => &[Assigned, OnHold, Resolved, Cancelled],
            (Kind::Incident, OnHold) => &[Assigned, InProgress, Resolved, Cancelled],
            (Kind::Incident, Resolved) => &[Closed, InProgress],
            (Kind::ServiceRequest, Submitted) => &[AwaitingApproval, Fulfilling, Rejected, Cancelled],
            (Kind::ServiceRequest, AwaitingApproval) => &[Fulfilling, Rejected, Cancelled],
            (Kind::ServiceRequest, Fulfilling) => &[Fulfilled, Cancelled],
            (Kind::ServiceRequest, Fulfilled) => &[Closed, Fulfilling],
            (Kind::Problem, New) => &[Assessed, Closed],
            (Kind::Problem, Assessed) => &[RootCauseAnalysis, KnownError, Resolved, Closed],
            (Kind::Problem, RootCauseAnalysis) => &[KnownError, Resolved],
            (Kind::Problem, KnownError) => &[RootCauseAnalysis, Resolved],
            (Kind::Problem, Resolved) => &[Closed, RootCauseAnalysis],
            _ => &[],
        }
    }

    /// Checks a transition. Putting an incident on hold needs a reason.
    pub fn check_transition(
        self,
        from: Status,
        to: Status,
        hold_reason: Option<HoldReason>,
    ) -> Result<(), TransitionError> {
        if !self.statuses().contains(&to) {
            return Err(TransitionError::UnknownStatus { kind: self, allowed: self.allowed_from(from).to_vec() });
        }
        if !self.allowed_from(from).contains(&to) {
            return Err(TransitionError::NotAllowed { from, to, allowed: self.allowed_from(from).to_vec() });
        }
        if to == Status::OnHold && hold_reason.is_none() {
            return Err(TransitionError::ReasonRequired);
        }
        Ok(())
    }

    /// The resolved status of this kind (what auto-close closes, what a requester confirms).
    pub fn resolved_status(self) -> Status {
        match self {
            Kind::ServiceRequest => Status::Fulfilled,
            _ => Status::Resolved,
        }
    }

    /// Where a resolved ticket goes back to when it is reopened (a requester's reply).
    pub fn reopen_status(self) -> Status {
        match self {
            Kind::Incident => Status::InProgress,
            Kind::ServiceRequest => Status::Fulfilling,
            Kind::Problem => Status::RootCauseAnalysis,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Kind {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Kind::parse(&s)
    }
}

/// Every status of every kind.
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
    const ALL: [Status; 15] = [
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

    pub fn class(self) -> StatusClass {
        match self {
            Status::Resolved | Status::Fulfilled => StatusClass::Resolved,
            Status::Closed | Status::Cancelled | Status::Rejected => StatusClass::Closed,
            _ => StatusClass::Open,
        }
    }

    pub fn is_open(self) -> bool {
        self.class() == StatusClass::Open
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
}

impl TransitionError {
    /// The statuses that would have been allowed.
    pub fn allowed(&self) -> &[Status] {
        match self {
            TransitionError::UnknownStatus { allowed, .. } | TransitionError::NotAllowed { allowed, .. } => allowed,
            TransitionError::ReasonRequired => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_allowed_target_is_a_status_of_the_kind() {
        for k in Kind::ALL {
            for s in k.statuses() {
                for t in k.allowed_from(*s) {
                    assert!(k.statuses().contains(t), "{k}: {s} -> {t}");
                }
            }
            assert!(k.statuses().contains(&k.initial_status()));
            assert!(k.statuses().contains(&k.resolved_status()));
            assert!(k.allowed_from(k.resolved_status()).contains(&k.reopen_status()), "{k} can reopen");
            assert!(k.allowed_from(k.resolved_status()).contains(&Status::Closed), "{k} can close");
        }
    }

    #[test]
    fn incident_lifecycle() {
        let k = Kind::Incident;
        assert!(k.check_transition(Status::New, Status::InProgress, None).is_ok());
        assert_eq!(k.check_transition(Status::New, Status::OnHold, None), Err(TransitionError::ReasonRequired));
        assert!(k.check_transition(Status::New, Status::OnHold, Some(HoldReason::AwaitingVendor)).is_ok());
        let e = k.check_transition(Status::Closed, Status::InProgress, None).unwrap_err();
        assert!(matches!(e, TransitionError::NotAllowed { .. }));
        assert!(e.allowed().is_empty(), "closed is final");
        let e = k.check_transition(Status::New, Status::Closed, None).unwrap_err();
        assert_eq!(
            e.allowed(),
            &[Status::Assigned, Status::InProgress, Status::OnHold, Status::Resolved, Status::Cancelled]
        );
        let e = k.check_transition(Status::New, Status::Fulfilled, None).unwrap_err();
        assert!(matches!(e, TransitionError::UnknownStatus { .. }));
    }

    #[test]
    fn request_and_problem_lifecycles() {
        let r = Kind::ServiceRequest;
        assert!(r.check_transition(Status::Submitted, Status::AwaitingApproval, None).is_ok());
        assert!(r.check_transition(Status::AwaitingApproval, Status::Fulfilled, None).is_err());
        assert!(r.check_transition(Status::Fulfilled, Status::Closed, None).is_ok());
        let p = Kind::Problem;
        assert!(p.check_transition(Status::RootCauseAnalysis, Status::KnownError, None).is_ok());
        assert!(p.check_transition(Status::KnownError, Status::Resolved, None).is_ok());
        assert!(p.check_transition(Status::New, Status::KnownError, None).is_err());
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()).unwrap(), s);
        }
        assert_eq!(Status::parse("In Progress").unwrap(), Status::InProgress);
        assert_eq!(Kind::parse("request").unwrap(), Kind::ServiceRequest);
        assert_eq!(Kind::from_prefix("inc"), Some(Kind::Incident));
        assert!(Kind::parse("change").is_err());
        assert_eq!(Status::Fulfilled.class(), StatusClass::Resolved);
        assert!(!Status::Rejected.is_open());
        assert!(Status::OnHold.is_open());
    }
}
