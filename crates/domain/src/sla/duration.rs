//! Business durations: how much working time an SLA target allows.

use crate::validation::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of business time in whole seconds, never negative, at most
/// [`BusinessDuration::MAX`].
///
/// Written as hours, minutes and seconds in that order, each at most once: `4h`, `30m`,
/// `1h30m`, `90s`, `0s`. There is deliberately no `d` unit: "a day" could mean 24 business
/// hours or one working day of the calendar (8 or 10 hours), and a target that reads
/// differently to two people is worse than `40h`. In JSON it is either that string or an
/// integer number of seconds; it serializes as the string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct BusinessDuration(i64);

const NANOS: i128 = 1_000_000_000;

impl BusinessDuration {
    pub const ZERO: BusinessDuration = BusinessDuration(0);
    /// Ten years of seconds: longer than any SLA target, and the horizon past which calendar
    /// arithmetic gives up (see [`super::HORIZON_DAYS`]).
    pub const MAX: BusinessDuration = BusinessDuration(super::HORIZON_DAYS * 86_400);

    /// A duration from integer seconds (`0..=MAX`).
    pub fn from_secs(secs: i64) -> Result<BusinessDuration, FieldError> {
        if secs < 0 {
            Err(FieldError::new("duration", "negative_duration", "a duration cannot be negative"))
        } else if secs > Self::MAX.0 {
            Err(FieldError::new("duration", "duration_too_long", "a duration is at most 3653 days (87672h)"))
        } else {
            Ok(BusinessDuration(secs))
        }
    }

    /// Hours, for tests and built-in defaults; saturates at [`Self::MAX`].
    pub const fn hours(h: i64) -> BusinessDuration {
        Self::from_secs_saturating(h.saturating_mul(3600))
    }

    /// Minutes; saturates at [`Self::MAX`].
    pub const fn minutes(m: i64) -> BusinessDuration {
        Self::from_secs_saturating(m.saturating_mul(60))
    }

    const fn from_secs_saturating(s: i64) -> BusinessDuration {
        if s < 0 {
            BusinessDuration(0)
        } else if s > Self::MAX.0 {
            Self::MAX
        } else {
            BusinessDuration(s)
        }
    }

    /// `4h`, `30m`, `1h30m`, `45s`, `2h0m15s`, or plain digits meaning seconds. Spaces
    /// between parts are allowed (`1h 30m`).
    pub fn parse(raw: &str) -> Result<BusinessDuration, FieldError> {
        let bad = || {
            FieldError::new(
                "duration",
                "invalid_duration",
                "a duration is written like 4h, 30m, 1h30m or 90s (no days: write 40h, not 5d)",
            )
        };
        let s: String = raw.trim().chars().filter(|c| !c.is_whitespace()).collect();
        if s.is_empty() {
            return Err(bad());
        }
        if s.bytes().all(|b| b.is_ascii_digit()) {
            return s.parse::<i64>().map_err(|_| bad()).and_then(Self::from_secs);
        }
        let mut total: i64 = 0;
        // Units must come in the order h, m, s and at most once each.
        let mut next_unit = 0;
        let mut digits = String::new();
        for c in s.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let (rank, scale) = match c.to_ascii_lowercase() {
                'h' => (1, 3600),
                'm' => (2, 60),
                's' => (3, 1),
                _ => return Err(bad()),
            };
            if digits.is_empty() || rank <= next_unit || digits.len() > 12 {
                return Err(bad());
            }
            let n: i64 = digits.parse().map_err(|_| bad())?;
            total = n.checked_mul(scale).and_then(|v| total.checked_add(v)).ok_or_else(bad)?;
            next_unit = rank;
            digits.clear();
        }
        if !digits.is_empty() {
            return Err(bad());
        }
        Self::from_secs(total)
    }

    pub fn as_secs(self) -> i64 {
        self.0
    }

    pub(crate) fn as_nanos(self) -> i128 {
        self.0 as i128 * NANOS
    }

    /// Whole seconds of a nanosecond amount, rounded down and clamped to `0..=MAX`.
    pub(crate) fn from_nanos_floor(ns: i128) -> BusinessDuration {
        let secs = ns.div_euclid(NANOS).clamp(0, Self::MAX.0 as i128);
        BusinessDuration(secs as i64)
    }

    pub fn saturating_sub(self, other: BusinessDuration) -> BusinessDuration {
        BusinessDuration((self.0 - other.0).max(0))
    }

    /// `percent` % of this duration, rounded down to the second.
    pub fn percent(self, percent: u8) -> BusinessDuration {
        BusinessDuration(self.0 * i64::from(percent) / 100)
    }
}

impl fmt::Display for BusinessDuration {
    /// The shortest form `parse` reads back: `1h30m`, `45s`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m, s) = (self.0 / 3600, self.0 / 60 % 60, self.0 % 60);
        if self.0 == 0 {
            return f.write_str("0s");
        }
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if m > 0 {
            write!(f, "{m}m")?;
        }
        if s > 0 {
            write!(f, "{s}s")?;
        }
        Ok(())
    }
}

impl TryFrom<&str> for BusinessDuration {
    type Error = FieldError;
    fn try_from(s: &str) -> Result<Self, FieldError> {
        BusinessDuration::parse(s)
    }
}

impl Serialize for BusinessDuration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for BusinessDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Secs(i64),
            Text(String),
        }
        let parsed = match Raw::deserialize(d)? {
            Raw::Secs(n) => BusinessDuration::from_secs(n),
            Raw::Text(s) => BusinessDuration::parse(&s),
        };
        parsed.map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// A duration as an admin writes it in JSON, kept as written for [`BusinessDuration::parse`]:
/// a string (`"1h30m"`, `"5400"`) or an integer number of seconds (`5400`, kept as `"5400"`).
/// Use with `#[serde(deserialize_with = "written")]` on a `String` field.
pub fn written<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Secs(i64),
        Text(String),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::Secs(n) => n.to_string(),
        Raw::Text(s) => s,
    })
}

/// [`written`] for an optional field (absent or null is `None`).
pub fn written_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct Wrap(#[serde(deserialize_with = "written")] String);
    Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
}

/// The OpenAPI schema of a written duration: a string in duration syntax or integer seconds.
pub struct WrittenDuration;

impl utoipa::PartialSchema for WrittenDuration {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some(
                        "Hours, minutes and seconds in that order: `4h`, `30m`, `1h30m`, `90s`; no days.",
                    ))
                    .examples([serde_json::json!("1h30m")]),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0))
                    .description(Some("Seconds."))
                    .examples([serde_json::json!(5400)]),
            )
            .description(Some("A business duration: a string like `1h30m`, or integer seconds."))
            .into()
    }
}

impl utoipa::ToSchema for WrittenDuration {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_hours_minutes_seconds() {
        let p = |s| BusinessDuration::parse(s).unwrap().as_secs();
        assert_eq!(p("4h"), 14_400);
        assert_eq!(p("30m"), 1_800);
        assert_eq!(p("1h30m"), 5_400);
        assert_eq!(p(" 1h 30m "), 5_400);
        assert_eq!(p("2h0m15s"), 7_215);
        assert_eq!(p("90s"), 90);
        assert_eq!(p("3600"), 3_600);
        assert_eq!(p("0s"), 0);
        assert_eq!(p("1H"), 3_600);
    }

    #[test]
    fn refuses_days_disorder_and_junk() {
        for bad in ["", "2d", "30m1h", "1h1h", "h", "1.5h", "-1h", "1h30", "4 hours", "99999999999999h"] {
            let e = BusinessDuration::parse(bad).unwrap_err();
            assert_eq!(e.field, "duration", "{bad}");
        }
        assert_eq!(BusinessDuration::parse("87672h").unwrap(), BusinessDuration::MAX);
        assert_eq!(BusinessDuration::from_secs(-1).unwrap_err().code, "negative_duration");
        assert_eq!(BusinessDuration::parse("87673h").unwrap_err().code, "duration_too_long");
    }

    #[test]
    fn displays_the_shortest_form() {
        let d = |s| BusinessDuration::from_secs(s).unwrap().to_string();
        assert_eq!(d(0), "0s");
        assert_eq!(d(5_400), "1h30m");
        assert_eq!(d(3_605), "1h5s");
        assert_eq!(d(45), "45s");
        assert_eq!(d(36_000), "10h");
    }

    #[test]
    fn json_takes_strings_or_seconds() {
        let v: BusinessDuration = serde_json::from_str("\"1h30m\"").unwrap();
        assert_eq!(v, BusinessDuration::minutes(90));
        let v: BusinessDuration = serde_json::from_str("5400").unwrap();
        assert_eq!(v, BusinessDuration::minutes(90));
        assert!(serde_json::from_str::<BusinessDuration>("-5").is_err());
        assert!(serde_json::from_str::<BusinessDuration>("\"5d\"").is_err());
        assert_eq!(serde_json::to_string(&BusinessDuration::hours(4)).unwrap(), "\"4h\"");
    }

    #[test]
    fn percent_rounds_down() {
        assert_eq!(BusinessDuration::hours(4).percent(75), BusinessDuration::hours(3));
        assert_eq!(BusinessDuration::from_secs(10).unwrap().percent(75).as_secs(), 7);
    }

    proptest! {
        #[test]
        fn display_round_trips(secs in 0..=BusinessDuration::MAX.as_secs()) {
            let d = BusinessDuration::from_secs(secs).unwrap();
            prop_assert_eq!(BusinessDuration::parse(&d.to_string()).unwrap(), d);
        }
    }
}
