//! The store's own small error: callers never match on sqlx internals.

/// What can go wrong in storage, in the terms the layers above act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or reference rule of the schema was violated; `constraint` names the column
    /// or index when the backend tells it.
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Other(#[source] sqlx::Error),
    /// The in-memory knowledge search index failed (see `kb::index`).
    #[error("search index error: {0}")]
    Index(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(ref db) if db.is_unique_violation() || db.is_foreign_key_violation() => {
                // SQLite says "UNIQUE constraint failed: users.email"; PostgreSQL names the
                // constraint ("users_email_key"). Either way keep the part that names a column.
                let constraint = db
                    .constraint()
                    .map(str::to_string)
                    .unwrap_or_else(|| db.message().rsplit(": ").next().unwrap_or("").to_string());
                StoreError::Conflict { constraint }
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(e.to_string())
            }
            other => StoreError::Other(other),
        }
    }
}

impl StoreError {
    /// Whether a uniqueness conflict concerns `column` (for turning it into a field error).
    pub fn is_conflict_on(&self, column: &str) -> bool {
        matches!(self, StoreError::Conflict { constraint } if constraint.contains(column))
    }
}
