//! Ranked full-text search over articles. Only two versions of an article are in the index:
//! its head (what agents find) and its live version (what requesters find, when public); they
//! are one entry when they are the same version. SQLite: FTS5 with the porter stemmer, ranked
//! by bm25 with the title weighted 10, summary and tags 4, body 1. PostgreSQL: a weighted
//! `tsvector` (English configuration) with a GIN index, ranked by `ts_rank`.

use crate::bind_all;
use crate::tickets::filter::{Arg, Sql};
use crate::{Backend, Db, Result, Tx};
use opsdesk_domain::kb::{fts5_all, fts5_any, ArticleState, ArticleVisibility, ReadAccess, HIT_END, HIT_START};
use serde::Serialize;

/// How the words of a query must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
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
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct KbHit {
    pub article_id: i64,
    /// The version that matched (the live one for requesters).
    pub version: i64,
    pub title: String,
    pub summary: String,
    #[sqlx(try_from = "String")]
    pub state: ArticleState,
    #[sqlx(try_from = "String")]
    pub visibility: ArticleVisibility,
    pub desk_id: i64,
    /// Higher is better.
    pub score: f64,
    /// An excerpt of the body with matched terms between `HIT_START` and `HIT_END`.
    pub snippet: String,
}

fn pg_tsquery(words: &[String], matching: Matching) -> String {
    // Words are letters and digits only, so they cannot be tsquery syntax.
    let n = words.len();
    match matching {
        Matching::All => words.join(" & "),
        Matching::Any => words
            .iter()
            .enumerate()
            .map(|(i, w)| if i + 1 == n && w.chars().count() >= 3 { format!("{w}:*") } else { w.clone() })
            .collect::<Vec<_>>()
            .join(" | "),
    }
}

impl Db {
    /// The best matching articles the searcher may read.
    pub async fn search_articles(&self, s: &KbSearch<'_>) -> Result<Vec<KbHit>> {
        if s.words.is_empty() {
            return Ok(Vec::new());
        }
        if s.access == ReadAccess::PublishedPublic && s.state.is_some_and(|st| st != ArticleState::Published) {
            // Requesters find only published articles.
            return Ok(Vec::new());
        }
        let mut sql = Sql::default();
        let backend = self.backend();
        let query = match (backend, s.matching) {
            (Backend::Sqlite, Matching::All) => fts5_all(s.words),
            (Backend::Sqlite, Matching::Any) => fts5_any(s.words),
            (Backend::Postgres, m) => pg_tsquery(s.words, m),
        };
        let q = sql.arg(Arg::T(query));
        let mut conds = vec![match s.access {
            ReadAccess::Everything => "v.is_head".to_string(),
            ReadAccess::PublishedPublic => "v.is_live AND v.visibility = 'public'".to_string(),
        }];
        if let Some(d) = s.desk_id {
            conds.push(format!("a.desk_id = {}", sql.arg(Arg::I(d))));
        }
        if let Some(c) = s.category_id {
            let c = sql.arg(Arg::I(c));
            conds.push(format!(
                "EXISTS (SELECT 1 FROM kb_version_categories kc WHERE kc.version_id = v.id AND kc.category_id = {c})"
            ));
        }
        if let Some(t) = s.tag {
            let t = sql.arg(Arg::T(t.to_string()));
            conds
                .push(format!("EXISTS (SELECT 1 FROM kb_version_tags kt WHERE kt.version_id = v.id AND kt.tag = {t})"));
        }
        if let (Some(st), ReadAccess::Everything) = (s.state, s.access) {
            conds.push(format!("a.state = {}", sql.arg(Arg::T(st.as_str().into()))));
        }
        let limit = sql.arg(Arg::I(s.limit.clamp(1, 50)));
        let conds = conds.join(" AND ");
        sql.text = match backend {
            Backend::Sqlite => {
                let marks = sql.texts(&[HIT_START.to_string(), HIT_END.to_string()]);
                format!(
                    "SELECT v.article_id, v.number AS version, v.title, v.summary, a.state, v.visibility, a.desk_id, \
                     -bm25(kb_search, 10.0, 4.0, 4.0, 1.0) AS score, snippet(kb_search, -1, {marks}, '…', 16) AS snippet \
                     FROM kb_search JOIN kb_versions v ON v.id = kb_search.rowid JOIN kb_articles a ON a.id = v.article_id \
                     WHERE kb_search MATCH {q} AND {conds} ORDER BY score DESC, v.article_id LIMIT {limit}"
                )
            }
            Backend::Postgres => {
                let opts = sql.arg(Arg::T(format!(
                    "StartSel={HIT_START}, StopSel={HIT_END}, MaxWords=24, MinWords=10, MaxFragments=2, FragmentDelimiter=…"
                )));
                format!(
                    "WITH q AS (SELECT to_tsquery('english', {q}) AS query), \
                     best AS (SELECT v.id AS vid, ts_rank(s.doc, q.query)::float8 AS score FROM kb_search s CROSS JOIN q \
                     JOIN kb_versions v ON v.id = s.version_id JOIN kb_articles a ON a.id = v.article_id \
                     WHERE s.doc @@ q.query AND {conds} ORDER BY score DESC, v.article_id LIMIT {limit}) \
                     SELECT v.article_id, v.number AS version, v.title, v.summary, a.state, v.visibility, a.desk_id, \
                     best.score, ts_headline('english', v.body_text, q.query, {opts}) AS snippet \
                     FROM best JOIN kb_versions v ON v.id = best.vid JOIN kb_articles a ON a.id = v.article_id CROSS JOIN q \
                     ORDER BY best.score DESC, v.article_id"
                )
            }
        };
        Ok(on_read!(self, |p| bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(p).await?))
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
    pub(super) async fn unindex_article(&mut self, article_id: i64) -> Result<()> {
        let sql = match self.backend() {
            Backend::Sqlite => {
                "DELETE FROM kb_search WHERE rowid IN (SELECT id FROM kb_versions WHERE article_id = $1)"
            }
            Backend::Postgres => {
                "DELETE FROM kb_search WHERE version_id IN (SELECT id FROM kb_versions WHERE article_id = $1)"
            }
        };
        on_tx!(self, |c| sqlx::query(sql).bind(article_id).execute(c).await?.rows_affected());
        Ok(())
    }

    /// Rebuilds the search entries of an article: its head and live versions.
    pub(super) async fn reindex_article(&mut self, article_id: i64) -> Result<()> {
        self.unindex_article(article_id).await?;
        let sql = match self.backend() {
            Backend::Sqlite => {
                "INSERT INTO kb_search (rowid, title, summary, tags, body) SELECT id, title, summary, tags, body_text \
                 FROM kb_versions WHERE article_id = $1 AND (is_head OR is_live)"
            }
            Backend::Postgres => {
                "INSERT INTO kb_search (version_id, doc) SELECT id, \
                 setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', summary), 'B') || \
                 setweight(to_tsvector('english', tags), 'B') || setweight(to_tsvector('english', body_text), 'D') \
                 FROM kb_versions WHERE article_id = $1 AND (is_head OR is_live)"
            }
        };
        on_tx!(self, |c| sqlx::query(sql).bind(article_id).execute(c).await?.rows_affected());
        Ok(())
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_queries_join_words_with_operators() {
        let w = vec!["reset".to_string(), "pass".into()];
        assert_eq!(pg_tsquery(&w, Matching::All), "reset & pass");
        assert_eq!(pg_tsquery(&w, Matching::Any), "reset | pass:*");
    }
}
