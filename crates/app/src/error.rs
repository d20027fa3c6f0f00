//! The application layer's error: what the edges turn into HTTP statuses, exit codes or
//! retries.

use opsdesk_domain::{FieldError, Invalid};
use opsdesk_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    /// Not allowed, for a reason the client can act on (`not_an_approver`).
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error("not authenticated")]
    Unauthenticated,
    #[error("email or password is wrong")]
    BadCredentials,
    #[error("too many failed logins; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// Something that worked once and no longer does (a used or expired reset link).
    #[error("{message}")]
    Gone { code: &'static str, message: String },
    /// The ticket changed since the version the client had; carries the current state.
    #[error("the ticket was changed meanwhile")]
    Stale(Box<crate::tickets::TicketView>),
    /// Another record than a ticket changed since the version the client named in `If-Match`.
    #[error("{0}")]
    Precondition(String),
    /// A lifecycle refused the transition; `allowed` lists where the ticket may go.
    #[error("{message}")]
    Transition { field: &'static str, message: String, allowed: Vec<String> },
    /// The move is in the lifecycle but guards refused it; each says what would satisfy it.
    #[error("the transition was refused by {} guard(s)", .0.len())]
    GuardFailed(Vec<opsdesk_domain::ticket::GuardFailure>),
    /// An upload is larger than the configured limit.
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: i64 },
    /// The `q` parameter is not a valid query; the field error says where.
    #[error("{}", .0.message)]
    Query(FieldError),
    #[error(transparent)]
    Store(StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            other => AppError::Store(other),
        }
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Invalid(e.into())
    }
}

impl AppError {
    /// A uniqueness conflict on `column` becomes a field error on `field`; other errors pass.
    pub(crate) fn taken(e: StoreError, column: &str, field: &str, what: &str) -> AppError {
        if e.is_conflict_on(column) {
            FieldError::new(field, "taken", format!("{what} is already taken")).into()
        } else {
            e.into()
        }
    }
}

/// A missing record is `None`; any other failure (the database is down) stays an error, so it
/// is never mistaken for bad input ("no such group") or answered as missing.
pub(crate) fn found<T>(r: std::result::Result<T, StoreError>) -> Result<Option<T>, AppError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
