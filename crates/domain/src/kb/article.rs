//! An article's content as it is saved in a version: parsed and bounded at the edge, so that
//! past it a title is one line, a tag is a short lower-case word, and a review date is a date.

use crate::validation::{Checks, FieldError, Invalid};
use serde::Serialize;
use std::fmt;

pub const TITLE_MAX: usize = 200;
pub const SUMMARY_MAX: usize = 1_000;
pub const BODY_MAX: usize = 200_000;
const TAG_MAX: usize = 40;
const TAGS_MAX: usize = 20;
const NOTE_MAX: usize = 500;

/// Who may read the live version: requesters in the portal too, or agents only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ArticleVisibility)]
pub enum Visibility {
    Public,
    Internal,
}

impl Visibility {
    pub fn parse(raw: &str) -> Result<Visibility, FieldError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "public" => Ok(Visibility::Public),
            "internal" => Ok(Visibility::Internal),
            _ => Err(FieldError::new("visibility", "invalid_visibility", "visibility is public or internal")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Internal => "internal",
        }
    }
}

impl TryFrom<String> for Visibility {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Visibility::parse(&s)
    }
}

/// A tag: lower case letters, digits and dashes, at most 40 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Tag(String);

impl Tag {
    pub fn parse(raw: &str) -> Result<Tag, FieldError> {
        let s = raw.trim().to_lowercase().replace([' ', '_'], "-");
        let ok = !s.is_empty()
            && s.chars().count() <= TAG_MAX
            && s.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if ok {
            Ok(Tag(s))
        } else {
            Err(FieldError::new(
                "tags",
                "invalid_tag",
                "a tag is 1 to 40 letters, digits, dots or dashes (spaces become dashes)",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The day by which the owner should review an article (`2027-03-31`), as the instant that
/// day starts in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ReviewBy(pub jiff::civil::Date);

impl ReviewBy {
    pub fn parse(raw: &str) -> Result<ReviewBy, FieldError> {
        let s = raw.trim();
        // A full timestamp is accepted too; only its UTC date counts.
        let date = s
            .parse::<jiff::civil::Date>()
            .ok()
            .or_else(|| s.parse::<jiff::Timestamp>().ok().map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date()));
        date.map(ReviewBy)
            .ok_or_else(|| FieldError::new("review_by", "invalid_date", "review_by is a date such as 2027-03-31"))
    }

    pub fn timestamp(self) -> jiff::Timestamp {
        self.0.to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp()).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    pub fn of_timestamp(t: jiff::Timestamp) -> ReviewBy {
        ReviewBy(t.to_zoned(jiff::tz::TimeZone::UTC).date())
    }
}

/// The content of one version, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleDraft {
    pub title: String,
    pub summary: String,
    /// Markdown.
    pub body: String,
    pub visibility: Visibility,
    /// Sorted, without duplicates.
    pub tags: Vec<Tag>,
    /// What changed, in the author's words (optional).
    pub note: String,
}

impl ArticleDraft {
    /// Parses raw content, reporting every wrong field at once.
    pub fn parse(
        title: &str,
        summary: &str,
        body: &str,
        visibility: &str,
        tags: &[String],
        note: &str,
    ) -> Result<ArticleDraft, Invalid> {
        let mut c = Checks::new();
        let title = c.take(one_line(title, "title", TITLE_MAX));
        let summary = c.take(text(summary.trim(), "summary", SUMMARY_MAX));
        let body = c.take(text(body, "body", BODY_MAX).and_then(|b| {
            if b.trim().is_empty() {
                Err(FieldError::new("body", "required", "body is required"))
            } else {
                Ok(b)
            }
        }));
        let visibility = c.take(Visibility::parse(visibility));
        let mut parsed = Vec::new();
        for (i, t) in tags.iter().enumerate() {
            if let Some(t) = c.take(Tag::parse(t).map_err(|e| e.at(format!("tags.{i}")))) {
                parsed.push(t);
            }
        }
        parsed.sort();
        parsed.dedup();
        if parsed.len() > TAGS_MAX {
            c.push(FieldError::new("tags", "too_many", "an article has at most 20 tags"));
        }
        let note = c.take(text(note.trim(), "note", NOTE_MAX));
        c.finish()?;
        match (title, summary, body, visibility, note) {
            (Some(title), Some(summary), Some(body), Some(visibility), Some(note)) => {
                Ok(ArticleDraft { title, summary, body, visibility, tags: parsed, note })
            }
            _ => Err(Invalid(vec![FieldError::new("body", "invalid", "the article is invalid")])),
        }
    }
}

fn one_line(raw: &str, field: &str, max: usize) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "required", format!("{field} is required")));
    }
    if s.chars().any(char::is_control) {
        return Err(FieldError::new(field, "invalid_characters", format!("{field} is one line of text")));
    }
    text(s, field, max)
}

fn text(s: &str, field: &str, max: usize) -> Result<String, FieldError> {
    if s.chars().count() > max {
        return Err(FieldError::new(field, "too_long", format!("{field} has at most {max} characters")));
    }
    if s.contains('\0') {
        return Err(FieldError::new(field, "invalid_characters", format!("{field} contains a NUL character")));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_draft_has_sorted_unique_tags() {
        let tags = vec!["VPN".to_string(), "remote work".into(), "vpn".into()];
        let d = ArticleDraft::parse(" Reset the VPN ", "", "Do this.", "public", &tags, "").unwrap();
        assert_eq!(d.title, "Reset the VPN");
        assert_eq!(d.tags.iter().map(Tag::as_str).collect::<Vec<_>>(), ["remote-work", "vpn"]);
        assert_eq!(d.visibility, Visibility::Public);
    }

    #[test]
    fn every_wrong_field_is_named() {
        let e = ArticleDraft::parse("", "", " ", "secret", &["<b>".into()], "").unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| (f.field.as_str(), f.code)).collect();
        assert_eq!(
            fields,
            [
                ("title", "required"),
                ("body", "required"),
                ("visibility", "invalid_visibility"),
                ("tags.0", "invalid_tag")
            ]
        );
        let long = "x".repeat(TITLE_MAX + 1);
        assert_eq!(ArticleDraft::parse(&long, "", "b", "public", &[], "").unwrap_err().0[0].code, "too_long");
        assert_eq!(
            ArticleDraft::parse("a\nb", "", "b", "public", &[], "").unwrap_err().0[0].code,
            "invalid_characters"
        );
    }

    #[test]
    fn review_dates_parse_as_dates() {
        let d = ReviewBy::parse("2027-03-31").unwrap();
        assert_eq!(d.timestamp().to_string(), "2027-03-31T00:00:00Z");
        assert_eq!(ReviewBy::parse("2027-03-31T22:00:00Z").unwrap(), d);
        assert_eq!(ReviewBy::parse("next week").unwrap_err().code, "invalid_date");
    }
}
