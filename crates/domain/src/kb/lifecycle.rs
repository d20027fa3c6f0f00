//! The article lifecycle as a state machine, KCS style. An article is worked on as a draft,
//! reviewed, published and eventually retired. Every save makes a new numbered version; saving
//! a published article starts a revision (a new draft version) while the published version
//! stays live until the revision is itself published.

use crate::validation::FieldError;
use serde::Serialize;
use std::fmt;

/// Where the article's newest version (its head) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArticleState {
    Draft,
    InReview,
    Published,
    Retired,
}

impl ArticleState {
    pub const ALL: [ArticleState; 4] =
        [ArticleState::Draft, ArticleState::InReview, ArticleState::Published, ArticleState::Retired];

    pub fn parse(raw: &str) -> Result<ArticleState, FieldError> {
        match raw.trim().to_ascii_lowercase().replace(['-', ' '], "_").as_str() {
            "draft" => Ok(ArticleState::Draft),
            "in_review" | "review" => Ok(ArticleState::InReview),
            "published" => Ok(ArticleState::Published),
            "retired" => Ok(ArticleState::Retired),
            _ => Err(FieldError::new("state", "invalid_state", "state is one of draft, in_review, published, retired")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ArticleState::Draft => "draft",
            ArticleState::InReview => "in_review",
            ArticleState::Published => "published",
            ArticleState::Retired => "retired",
        }
    }

    /// The states a move from here may go to.
    pub fn allowed(self) -> &'static [ArticleState] {
        use ArticleState::*;
        match self {
            Draft => &[InReview, Retired],
            InReview => &[Draft, Published, Retired],
            Published => &[Retired],
            Retired => &[Draft],
        }
    }
}

impl fmt::Display for ArticleState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for ArticleState {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        ArticleState::parse(&s)
    }
}

/// The lifecycle facts of one article: the state of its head version, the head's number, and
/// the number of the version readers see (if any is published).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Lifecycle {
    pub state: ArticleState,
    pub head_version: i64,
    pub live_version: Option<i64>,
}

/// What saving new content does to the lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveOutcome {
    pub after: Lifecycle,
    /// The new version's number.
    pub version: i64,
    /// Whether this save started a revision of a published article.
    pub starts_revision: bool,
}

/// A refused move, naming where the article may go instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub from: ArticleState,
    pub to: ArticleState,
    pub allowed: Vec<ArticleState>,
}

impl fmt::Display for Move {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an article cannot go from {} to {}", self.from, self.to)
    }
}

impl Lifecycle {
    /// A new article: its first version, a draft, nothing live.
    pub fn new_article() -> Lifecycle {
        Lifecycle { state: ArticleState::Draft, head_version: 1, live_version: None }
    }

    /// Whether a revision of a published article is being worked on while the old version
    /// stays live.
    pub fn revision_pending(&self) -> bool {
        self.live_version.is_some_and(|live| live != self.head_version)
    }

    /// Saving new content: always a new version. A draft or an article in review keeps its
    /// state; a published article starts a revision (the live version stays); a retired one
    /// must be restored to a draft first.
    pub fn save(&self) -> Result<SaveOutcome, Move> {
        let version = self.head_version + 1;
        match self.state {
            ArticleState::Draft | ArticleState::InReview => {
                Ok(SaveOutcome { after: Lifecycle { head_version: version, ..*self }, version, starts_revision: false })
            }
            ArticleState::Published => Ok(SaveOutcome {
                after: Lifecycle { state: ArticleState::Draft, head_version: version, live_version: self.live_version },
                version,
                starts_revision: true,
            }),
            ArticleState::Retired => Err(Move {
                from: ArticleState::Retired,
                to: ArticleState::Draft,
                allowed: ArticleState::Retired.allowed().to_vec(),
            }),
        }
    }

    /// Moves the head to `to`. Publishing makes the head the live version; retiring takes the
    /// article off the air entirely (nothing live); restoring a retired article makes its head
    /// a draft again.
    pub fn move_to(&self, to: ArticleState) -> Result<Lifecycle, Move> {
        if !self.state.allowed().contains(&to) {
            return Err(Move { from: self.state, to, allowed: self.state.allowed().to_vec() });
        }
        Ok(match to {
            ArticleState::Published => Lifecycle { state: to, live_version: Some(self.head_version), ..*self },
            ArticleState::Retired => Lifecycle { state: to, live_version: None, ..*self },
            ArticleState::Draft | ArticleState::InReview => Lifecycle { state: to, ..*self },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ArticleState::*;

    #[test]
    fn an_article_goes_from_draft_through_review_to_published_and_retired() {
        let a = Lifecycle::new_article();
        assert_eq!(a, Lifecycle { state: Draft, head_version: 1, live_version: None });
        let a = a.move_to(InReview).unwrap();
        let back = a.move_to(Draft).unwrap();
        assert_eq!(back.state, Draft, "a reviewer can send it back");
        let a = a.move_to(Published).unwrap();
        assert_eq!(a.live_version, Some(1));
        let a = a.move_to(Retired).unwrap();
        assert_eq!(a.live_version, None, "a retired article is not live");
        assert_eq!(a.move_to(Draft).unwrap().state, Draft, "a retired article can be restored as a draft");
    }

    #[test]
    fn illegal_moves_name_the_allowed_states() {
        let a = Lifecycle::new_article();
        let e = a.move_to(Published).unwrap_err();
        assert_eq!(e.allowed, vec![InReview, Retired], "a draft is reviewed before it is published");
        let published = a.move_to(InReview).unwrap().move_to(Published).unwrap();
        assert_eq!(published.move_to(InReview).unwrap_err().allowed, vec![Retired]);
        assert!(published.move_to(Published).is_err());
    }

    #[test]
    fn every_save_is_a_new_version() {
        let a = Lifecycle::new_article();
        let s = a.save().unwrap();
        assert_eq!((s.version, s.after.head_version, s.after.state), (2, 2, Draft));
        let r = s.after.move_to(InReview).unwrap().save().unwrap();
        assert_eq!((r.version, r.after.state), (3, InReview), "saving in review keeps it in review");
        assert!(!r.starts_revision);
    }

    #[test]
    fn revising_a_published_article_keeps_the_old_version_live_until_the_revision_is_published() {
        let published = Lifecycle::new_article().move_to(InReview).unwrap().move_to(Published).unwrap();
        let rev = published.save().unwrap();
        assert!(rev.starts_revision);
        assert_eq!(rev.after, Lifecycle { state: Draft, head_version: 2, live_version: Some(1) });
        assert!(rev.after.revision_pending());
        let more = rev.after.save().unwrap().after;
        assert_eq!((more.head_version, more.live_version), (3, Some(1)), "still the old version live");
        let done = more.move_to(InReview).unwrap().move_to(Published).unwrap();
        assert_eq!(done.live_version, Some(3));
        assert!(!done.revision_pending());
    }

    #[test]
    fn a_retired_article_is_restored_before_it_is_edited() {
        let retired = Lifecycle::new_article().move_to(Retired).unwrap();
        let e = retired.save().unwrap_err();
        assert_eq!((e.from, e.allowed.as_slice()), (Retired, &[Draft][..]));
    }

    #[test]
    fn states_parse_from_their_names() {
        for s in ArticleState::ALL {
            assert_eq!(ArticleState::parse(s.as_str()).unwrap(), s);
        }
        assert_eq!(ArticleState::parse("In-Review").unwrap(), InReview);
        assert_eq!(ArticleState::parse("gone").unwrap_err().code, "invalid_state");
    }
}
