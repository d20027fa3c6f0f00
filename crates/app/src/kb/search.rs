//! Searching and suggesting articles. A search needs every word; when that finds nothing,
//! each word the index has never seen is corrected to the nearest known word (one or two
//! edits) and the search runs again; when that finds nothing either, articles with any of
//! the words are offered. Searches that end with nothing are remembered for the report.
//! Suggestions (while a requester types a ticket's title) match any word, the last as a
//! prefix.

use crate::{App, AppError, Result};
use opsdesk_domain::kb::{correct_word, edit_limit, query_words, ArticleState, ReadAccess, Snippet};
use opsdesk_domain::{Actor, FieldError};
use opsdesk_store::kb::{KbHit, KbSearch, Matching};
use opsdesk_store::Ts;
use serde::{Deserialize, Serialize};

/// Words too common to narrow a search; dropped unless a query has nothing else.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how", "i", "if", "in", "is",
    "it", "me", "my", "not", "of", "on", "or", "our", "the", "this", "to", "was", "we", "what", "when", "where", "why",
    "with", "you", "your",
];

/// The query string of a search.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchInput {
    /// The words to find.
    #[serde(default)]
    pub q: String,
    /// Only articles of this desk.
    pub desk: Option<i64>,
    /// Only articles in this category.
    pub category: Option<i64>,
    /// Only articles with this tag.
    pub tag: Option<String>,
    /// Only articles in this state.
    #[param(value_type = Option<ArticleState>)]
    pub state: Option<String>,
    /// At most this many, 1 to 50 (20 by default); out-of-range values are clamped.
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<i64>,
}

/// One found article, best first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = KbHit)]
pub struct SearchHitView {
    pub id: i64,
    pub version: i64,
    pub title: String,
    pub summary: String,
    pub state: ArticleState,
    pub visibility: opsdesk_domain::kb::ArticleVisibility,
    pub desk_id: i64,
    /// Higher is better.
    pub score: f64,
    /// The excerpt as parts; `hit` parts are the matched terms to highlight.
    pub snippet: Snippet,
}

impl From<KbHit> for SearchHitView {
    fn from(h: KbHit) -> Self {
        SearchHitView {
            id: h.article_id,
            version: h.version,
            title: h.title,
            summary: h.summary,
            state: h.state,
            visibility: h.visibility,
            desk_id: h.desk_id,
            score: h.score,
            snippet: Snippet::from_marked(&h.snippet),
        }
    }
}

/// Search results.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = KbSearchResult)]
pub struct SearchResult {
    pub query: String,
    /// The query with mistyped words corrected, when the correction is what found the hits.
    pub corrected_query: Option<String>,
    /// `all` words matched, or only `any` of them (the fallback).
    pub matched: Matched,
    pub items: Vec<SearchHitView>,
}

/// How many of the words the found articles have: `all`, or `any` (the fallback).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = KbMatched)]
pub enum Matched {
    All,
    Any,
}

fn meaningful(words: Vec<String>) -> Vec<String> {
    let kept: Vec<String> = words.iter().filter(|w| !STOP_WORDS.contains(&w.as_str())).cloned().collect();
    if kept.is_empty() {
        words
    } else {
        kept
    }
}

impl App {
    /// Ranked search over the articles the actor may read.
    pub async fn search_articles(&self, actor: &Actor, input: &SearchInput) -> Result<SearchResult> {
        // Like the ticket query language: a control character means nothing in a search and
        // would reach the stored list of missed searches (PostgreSQL refuses a NUL).
        if let Some(c) = input.q.chars().find(|c| c.is_control() && !c.is_whitespace()) {
            let message = format!("a search cannot contain control characters (U+{:04X})", u32::from(c));
            return Err(AppError::Query(FieldError::new("q", "invalid_query", message)));
        }
        let access = ReadAccess::of(actor);
        let state = input.state.as_deref().filter(|s| !s.is_empty()).map(ArticleState::parse).transpose()?;
        let tag = input.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_lowercase);
        let words = meaningful(query_words(&input.q));
        let mut result =
            SearchResult { query: input.q.clone(), corrected_query: None, matched: Matched::All, items: Vec::new() };
        if words.is_empty() {
            return Ok(result);
        }
        let hits = self.db.search_articles(&query(&words, Matching::All, access, input, tag.as_deref(), state)).await?;
        if !hits.is_empty() {
            result.items = hits.into_iter().map(SearchHitView::from).collect();
            return Ok(result);
        }
        if let Some(corrected) = self.correct_words(&words).await? {
            let hits = self
                .db
                .search_articles(&query(&corrected, Matching::All, access, input, tag.as_deref(), state))
                .await?;
            // Shown only when it finds something the searcher may read, so a correction never
            // reveals a word of an article they may not see.
            if !hits.is_empty() {
                result.corrected_query = Some(corrected.join(" "));
                result.items = hits.into_iter().map(SearchHitView::from).collect();
                return Ok(result);
            }
        }
        if words.len() > 1 {
            let hits =
                self.db.search_articles(&query(&words, Matching::Any, access, input, tag.as_deref(), state)).await?;
            if !hits.is_empty() {
                result.matched = Matched::Any;
                result.items = hits.into_iter().map(SearchHitView::from).collect();
                return Ok(result);
            }
        }
        self.db.record_missed_search(&words.join(" "), input.q.trim(), Ts::now()).await?;
        Ok(result)
    }

    /// Articles that may answer what a person is typing (a ticket's title): any word
    /// matches, the last as a prefix; nothing is recorded.
    pub async fn suggest_articles(&self, actor: &Actor, text: &str, limit: i64) -> Result<Vec<SearchHitView>> {
        let words = meaningful(query_words(text));
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let s = KbSearch {
            words: &words,
            matching: Matching::Any,
            access: ReadAccess::of(actor),
            desk_id: None,
            category_id: None,
            tag: None,
            state: Some(ArticleState::Published).filter(|_| ReadAccess::of(actor) == ReadAccess::PublishedPublic),
            limit: limit.clamp(1, 10),
        };
        Ok(self.db.search_articles(&s).await?.into_iter().map(SearchHitView::from).collect())
    }

    /// The words with every unknown one replaced by its nearest known word, or `None` when no
    /// word could be corrected.
    async fn correct_words(&self, words: &[String]) -> Result<Option<Vec<String>>> {
        let mut out = Vec::with_capacity(words.len());
        let mut changed = false;
        for w in words {
            let n = w.chars().count();
            let limit = edit_limit(n);
            if limit == 0 || self.db.kb_term_known(w).await? {
                out.push(w.clone());
                continue;
            }
            let candidates = self.db.kb_terms_between((n - limit) as i64, (n + limit) as i64).await?;
            match correct_word(w, candidates.iter().map(|(t, d)| (t.as_str(), *d))) {
                Some(c) => {
                    changed = true;
                    out.push(c);
                }
                None => out.push(w.clone()),
            }
        }
        Ok(changed.then_some(out))
    }
}

fn query<'a>(
    words: &'a [String],
    matching: Matching,
    access: ReadAccess,
    input: &SearchInput,
    tag: Option<&'a str>,
    state: Option<ArticleState>,
) -> KbSearch<'a> {
    KbSearch {
        words,
        matching,
        access,
        desk_id: input.desk,
        category_id: input.category,
        tag,
        state,
        limit: input.limit.unwrap_or(20),
    }
}
