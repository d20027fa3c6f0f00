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
    /// A stored value does not parse (JSON edited by hand, or written by a broken release):
    /// `what` names the record and column.
    #[error("stored {what} does not parse: {reason}")]
    Corrupt { what: String, reason: String },
}

/// Parses JSON this process stored. A failure is logged and returned, never replaced by an
/// empty value: an empty template set or custom field map would silently change behaviour.
pub fn stored_json<T: serde::de::DeserializeOwned>(what: &str, raw: &str) -> Result<T, StoreError> {
    serde_json::from_str(raw).map_err(|e| {
        tracing::error!(what, error = %e, "stored JSON does not parse");
        StoreError::Corrupt { what: what.to_string(), reason: e.to_string() }
    })
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
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
                StoreError::Unavailable(e.to_string())
            }
            sqlx::Error::Database(ref db) if db.code().as_deref().is_some_and(unavailable_code) => {
                StoreError::Unavailable(e.to_string())
            }
            other => StoreError::Other(other),
        }
    }
}

/// Error codes that say the database cannot be used right now, rather than that a statement is
/// wrong. PostgreSQL: connection exceptions (class 08), an administrator's or a crash's shutdown
/// (57P01-57P03), a database that does not exist (any more) and too many connections. SQLite:
/// busy or locked past the busy timeout, I/O errors, a file that cannot be opened, a full disk.
fn unavailable_code(code: &str) -> bool {
    if code.len() == 5 {
        // PostgreSQL's SQLSTATE is always five characters; SQLite's codes have at most four
        // digits.
        code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "3D000" | "53300" | "53100")
    } else {
        // SQLite's extended codes keep the primary code in their low byte.
        code.parse::<i64>().is_ok_and(|c| matches!(c & 0xff, 5 | 6 | 10 | 13 | 14))
    }
}

impl StoreError {
    /// Whether a uniqueness conflict concerns `column` (for turning it into a field error).
    pub fn is_conflict_on(&self, column: &str) -> bool {
        matches!(self, StoreError::Conflict { constraint } if constraint.contains(column))
    }
}

#[cfg(test)]
mod tests {
    use super::{stored_json, unavailable_code, StoreError};

    #[test]
    fn stored_json_that_does_not_parse_is_an_error_naming_the_record() {
        let ok: Vec<i64> = stored_json("article 1 categories", "[1, 2]").expect("parses");
        assert_eq!(ok, [1, 2]);
        let e = stored_json::<Vec<i64>>("article 1 categories", "[1, 2").expect_err("truncated");
        assert!(matches!(&e, StoreError::Corrupt { what, .. } if what == "article 1 categories"), "{e}");
        assert!(stored_json::<Vec<i64>>("x", "").is_err(), "empty is not an empty list");
    }

    #[test]
    fn outages_are_told_apart_from_bad_statements() {
        for code in ["08006", "08001", "57P01", "3D000", "53300", "5", "14", "10", "266"] {
            assert!(unavailable_code(code), "{code}");
        }
        for code in ["42P01", "42501", "23505", "1", "19", "2067"] {
            assert!(!unavailable_code(code), "{code}");
        }
    }
}
