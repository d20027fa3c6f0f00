//! Knowledge management: articles with a KCS-style lifecycle (draft, in review, published,
//! retired), every save a numbered version, the live version kept while a revision is worked
//! on, who may read what, Markdown rendering, the line diff of two versions, and the search
//! words with their typo correction.

mod article;
mod diff;
mod lifecycle;
mod markdown;
mod search;
mod visibility;

pub use article::{ArticleDraft, ReviewBy, Tag, Visibility as ArticleVisibility, BODY_MAX, SUMMARY_MAX, TITLE_MAX};
pub use diff::{compare, DiffLine, LineChange, VersionDiff};
pub use lifecycle::{ArticleState, Lifecycle, Move, SaveOutcome};
pub use markdown::{plain_text, render_html};
pub use search::{correct_word, edit_limit, query_words, Snippet, SnippetPart, HIT_END, HIT_START, MAX_QUERY_WORDS};
pub use visibility::{may_write, ReadAccess};
