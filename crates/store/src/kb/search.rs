//! Ranked full-text search over articles, in the process's tantivy index (see `index`). Only
//! two versions of an article are in it: its head (what agents find) and its live version
//! (what requesters find, when public); they are one document when they are the same version.
//! The found versions are then read from the database, which has the last word on access.

use super::index::{index_error, SCOPE_HEAD, SCOPE_LIVE_PUBLIC};
use super::ranking::{marked_snippet, snippets, text_query};
use crate::bind_all;
use crate::tickets::filter::{Arg, Sql};
use crate::{Db, Result, Tx};
use opsdesk_domain::kb::{ArticleState, ArticleVisibility, ReadAccess};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

/// How the words of a query must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// Every word (searches).
    All,
    /// Any word, the last one as a prefix (suggestions while typing).
    Any,
}

/// A search: its words (see `domain::kb::query_words`), who asks, and the filters.
#[derive(Debug, Clone)]
pub struct KbSearch<'a> {
    pub words: &'a [String],
    pub matching: Matching,
    pub access: ReadAccess,
    pub desk_id: Option<i64>,
    pub category_id: Option<i64>,
    pub tag: Option<&'a str>,
    pub state: Option<ArticleState>,
    pub limit: i64,
}

/// One found article, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct KbHit {
    pub article_id: i64,
    /// The version that matched (the live one for requesters).
    pub version: i64,
    pub title: String,
    pub summary: String,
    pub state: ArticleState,
    pub visibility: ArticleVisibility,
    pub desk_id: i64,
    /// Higher is better.
    pub score: f64,
    /// An excerpt of the body with matched terms between `HIT_START` and `HIT_END`.
    pub snippet: String,
}

/// A found version as the database has it now.
#[derive(sqlx::FromRow)]
struct FoundVersion {
    id: i64,
    article_id: i64,
    number: i64,
    title: String,
    summary: String,
    #[sqlx(try_from = "String")]
    state: ArticleState,
    #[sqlx(try_from = "String")]
    visibility: ArticleVisibility,
    desk_id: i64,
    body_text: String,
}

impl Db {
    /// The best matching articles the searcher may read, best first.
    pub async fn search_articles(&self, s: &KbSearch<'_>) -> Result<Vec<KbHit>> {
        if s.words.is_empty() {
            return Ok(Vec::new());
        }
        if s.access == ReadAccess::PublishedPublic && s.state.is_some_and(|st| st != ArticleState::Published) {
            // Requesters find only published articles.
            return Ok(Vec::new());
        }
        let index = self.fresh_kb_index().await?;
        let searcher = index.reader.searcher();
        let f = self.kb.fields;
        let Some((query, terms)) = text_query(&searcher, &f, s) else { return Ok(Vec::new()) };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, query)];
        let mut filter = |t: Term| {
            clauses.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(Box::new(TermQuery::new(t, IndexRecordOption::Basic)), 0.0)),
            ))
        };
        filter(Term::from_field_text(
            f.scope,
            match s.access {
                ReadAccess::Everything => SCOPE_HEAD,
                ReadAccess::PublishedPublic => SCOPE_LIVE_PUBLIC,
            },
        ));
        if let Some(d) = s.desk_id {
            filter(Term::from_field_u64(f.desk, d.max(0) as u64));
        }
        if let Some(c) = s.category_id {
            filter(Term::from_field_u64(f.category, c.max(0) as u64));
        }
        if let Some(t) = s.tag {
            filter(Term::from_field_text(f.tag, t));
        }
        if let (Some(st), ReadAccess::Everything) = (s.state, s.access) {
            filter(Term::from_field_text(f.state, st.as_str()));
        }
        let limit = s.limit.clamp(1, 50) as usize;
        let top = searcher
            .search(&BooleanQuery::new(clauses), &TopDocs::with_limit(limit).order_by_score())
            .map_err(index_error)?;
        let mut found: Vec<(f32, i64)> = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let versions =
                searcher.segment_reader(addr.segment_ord).fast_fields().u64("version").map_err(index_error)?;
            if let Some(v) = versions.first(addr.doc_id) {
                found.push((score, v as i64));
            }
        }
        self.hits(s.access, &found, &terms).await
    }

    /// The rows of found versions, in the order found, with their snippets. Access is checked
    /// again against the rows, so a change committed after the index caught up can only hide
    /// a hit, never show one the searcher may no longer read.
    async fn hits(&self, access: ReadAccess, found: &[(f32, i64)], terms: &[String]) -> Result<Vec<KbHit>> {
        if found.is_empty() {
            return Ok(Vec::new());
        }
        let list = found.iter().map(|(_, id)| id.to_string()).collect::<Vec<_>>().join(", ");
        let allowed = match access {
            ReadAccess::Everything => "v.is_head",
            ReadAccess::PublishedPublic => "v.is_live AND v.visibility = 'public'",
        };
        let sql = format!(
            "SELECT v.id, v.article_id, v.number, v.title, v.summary, a.state, v.visibility, a.desk_id, v.body_text \
             FROM kb_versions v JOIN kb_articles a ON a.id = v.article_id WHERE v.id IN ({list}) AND {allowed}"
        );
        let rows: Vec<FoundVersion> = on_read!(self, |p| sqlx::query_as(&sql).fetch_all(p).await?);
        let snippets = snippets(terms, self.kb.fields.body);
        let mut hits: Vec<KbHit> = found
            .iter()
            .filter_map(|(score, id)| {
                let r = rows.iter().find(|r| r.id == *id)?;
                Some(KbHit {
                    article_id: r.article_id,
                    version: r.number,
                    title: r.title.clone(),
                    summary: r.summary.clone(),
                    state: r.state,
                    visibility: r.visibility,
                    desk_id: r.desk_id,
                    score: f64::from(*score),
                    snippet: marked_snippet(&snippets, &r.body_text),
                })
            })
            .collect();
        // Equal scores in article order, as before the index moved out of the database.
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.article_id.cmp(&b.article_id)));
        Ok(hits)
    }

    /// Known words of `min..=max` characters with the number of indexed versions that had
    /// them: candidates for correcting a mistyped word.
    pub async fn kb_terms_between(&self, min: i64, max: i64) -> Result<Vec<(String, i64)>> {
        Ok(on_read!(self, |p| sqlx::query_as("SELECT term, docs FROM kb_terms WHERE length(term) BETWEEN $1 AND $2")
            .bind(min)
            .bind(max)
            .fetch_all(p)
            .await?))
    }

    /// Whether the index has ever seen `term`.
    pub async fn kb_term_known(&self, term: &str) -> Result<bool> {
        let row: Option<(i64,)> = on_read!(self, |p| sqlx::query_as("SELECT docs FROM kb_terms WHERE term = $1")
            .bind(term)
            .fetch_optional(p)
            .await?);
        Ok(row.is_some())
    }
}

impl Tx {
    /// Adds words to the vocabulary of corrections (each counted once per call).
    pub async fn add_kb_terms(&mut self, terms: &[String]) -> Result<()> {
        for chunk in terms.chunks(400) {
            let mut sql = Sql::default();
            let values: Vec<String> = chunk.iter().map(|t| format!("({}, 1)", sql.arg(Arg::T(t.clone())))).collect();
            sql.text = format!(
                "INSERT INTO kb_terms (term, docs) VALUES {} ON CONFLICT (term) DO UPDATE SET docs = kb_terms.docs + 1",
                values.join(", ")
            );
            on_tx!(self, |c| bind_all!(sqlx::query(&sql.text), &sql.args).execute(c).await?.rows_affected());
        }
        Ok(())
    }
}
