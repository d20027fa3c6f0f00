//! People and how they are named: email addresses, display names, roles, time zones, locales
//! and password rules.

use crate::validation::FieldError;
use serde::Serialize;
use std::fmt;

/// A lower-cased, trimmed email address. Lower-casing the whole address is a deliberate
/// simplification: no real mail system Opsdesk talks to treats local parts case-sensitively,
/// and it makes `Bob@x` and `bob@x` one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().to_lowercase();
        let bad = |m: &str| FieldError::new("email", "invalid_email", m);
        if s.is_empty() {
            return Err(bad("an email address is required"));
        }
        if s.len() > Self::MAX_LEN {
            return Err(bad("an email address has at most 254 characters"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"')) {
            return Err(bad("an email address has no spaces, quotes, brackets or separators"));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(bad("an email address looks like name@example.org"));
        };
        if local.is_empty() || local.contains('@') || domain.is_empty() {
            return Err(bad("an email address looks like name@example.org"));
        }
        if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
            return Err(bad("the domain of the email address is malformed"));
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's display name: one line of printable text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new("name", "required", "a name is required"));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new("name", "too_long", "a name has at most 200 characters"));
        }
        if s.chars().any(char::is_control) {
            return Err(FieldError::new("name", "invalid_characters", "a name is one line of printable text"));
        }
        Ok(PersonName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a person is to the desk. Agents are further scoped to their groups (see `access`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Requester,
    Agent,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Requester, Role::Agent, Role::Admin];

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "requester" => Ok(Role::Requester),
            "agent" => Ok(Role::Agent),
            "admin" => Ok(Role::Admin),
            _ => Err(FieldError::new("role", "invalid_role", "role is one of requester, agent, admin")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::Agent => "agent",
            Role::Admin => "admin",
        }
    }
}

impl TryFrom<String> for Role {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Role::parse(&s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An IANA time zone name that the bundled time zone database knows (`Europe/Berlin`, `UTC`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        match jiff::tz::TimeZone::get(s) {
            Ok(_) if !s.is_empty() => Ok(TimeZoneName(s.to_string())),
            _ => Err(FieldError::new(
                "time_zone",
                "invalid_time_zone",
                "time_zone is an IANA time zone name such as Europe/Berlin",
            )),
        }
    }

    pub fn utc() -> Self {
        TimeZoneName("UTC".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A BCP 47 language tag of the simple shapes a UI offers: `en`, `en-GB`, `pt-BR`, `zh-Hant`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Locale(String);

impl Locale {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let mut parts = s.split('-');
        let lang_ok =
            parts.next().is_some_and(|l| (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphabetic()));
        let rest_ok = parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
        if lang_ok && rest_ok && s.len() <= 35 {
            Ok(Locale(s.to_string()))
        } else {
            Err(FieldError::new("locale", "invalid_locale", "locale is a language tag such as en or en-GB"))
        }
    }

    pub fn english() -> Self {
        Locale("en".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as typed, checked against the policy before it is hashed. Its `Debug` never shows
/// the secret.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;
    /// Long enough for any passphrase, short enough that hashing cannot be used to burn CPU.
    pub const MAX_BYTES: usize = 1024;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        if raw.chars().count() < Self::MIN_CHARS {
            return Err(FieldError::new("password", "password_too_short", "a password has at least 10 characters"));
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(FieldError::new("password", "password_too_long", "a password has at most 1024 bytes"));
        }
        Ok(Password(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(Email::parse("  Bob@Example.ORG ").unwrap().as_str(), "bob@example.org");
        for bad in ["", "bob", "@x.org", "bob@", "a b@x.org", "bob@x..org", "<bob@x.org>", "a@b@c"] {
            assert!(Email::parse(bad).is_err(), "{bad} should be rejected");
        }
        assert!(Email::parse(&format!("{}@x.org", "a".repeat(260))).is_err());
    }

    #[test]
    fn names_are_one_printable_line() {
        assert_eq!(PersonName::parse(" Ada Lovelace ").unwrap().as_str(), "Ada Lovelace");
        assert!(PersonName::parse("").is_err());
        assert!(PersonName::parse("Ada\nLovelace").is_err());
        assert!(PersonName::parse(&"x".repeat(201)).is_err());
    }

    #[test]
    fn roles_parse_case_insensitively() {
        assert_eq!(Role::parse("Admin").unwrap(), Role::Admin);
        assert_eq!(Role::parse("requester").unwrap(), Role::Requester);
        let e = Role::parse("root").unwrap_err();
        assert_eq!(e.field, "role");
    }

    #[test]
    fn time_zones_come_from_the_iana_database() {
        assert!(TimeZoneName::parse("Europe/Berlin").is_ok());
        assert!(TimeZoneName::parse("America/New_York").is_ok());
        assert!(TimeZoneName::parse("Mars/Olympus").is_err());
        assert!(TimeZoneName::parse("").is_err());
    }

    #[test]
    fn locales_are_language_tags() {
        for ok in ["en", "en-GB", "pt-BR", "zh-Hant"] {
            assert!(Locale::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "english", "e", "en_GB", "en-"] {
            assert!(Locale::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_policy_and_debug_hides_it() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(2000)).is_err());
        let p = Password::parse("correct horse battery").unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
    }
}
