//! Field-level validation errors, shared by every layer so that an API answer can name the
//! exact field that was wrong.

use serde::Serialize;

/// One thing wrong with one input field. `field` is a JSON-pointer-like path (`email`,
/// `custom_fields.cost`), `code` is stable and machine-readable, `message` is for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, utoipa::ToSchema)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// Path of the field: `email`, `custom_fields.cost`, `stages[1].rule`.
    pub field: String,
    /// Stable, machine-readable: `required`, `too_long`, `taken`, `unknown`, ...
    #[schema(value_type = String)]
    pub code: &'static str,
    /// For people.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self { field: field.into(), code, message: message.into() }
    }

    /// Re-roots the error under `field` when a value is parsed without knowing its field name.
    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }
}

/// One or more field errors: the input as a whole was rejected and nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
pub struct Invalid(pub Vec<FieldError>);

impl From<FieldError> for Invalid {
    fn from(e: FieldError) -> Self {
        Invalid(vec![e])
    }
}

/// Collects errors from several fields so a client learns about all of them at once.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the parsed value, or records its error and returns `None`.
    pub fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    pub fn finish(self) -> Result<(), Invalid> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Invalid(self.0))
        }
    }
}
