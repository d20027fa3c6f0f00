//! Knowledge articles: the article record (lifecycle, owner, review date, counters) and its
//! numbered versions (content), plus search, feedback and the links around them.

mod engagement;
mod index;
mod ranking;
mod search;

pub use engagement::{Feedback, KbAttachment, KbReport, MissedSearch, NewKbAttachment, TopArticle};
pub(crate) use index::KbIndex;
pub use search::{KbHit, KbSearch, Matching};

use crate::bind_all;
use crate::{Backend, Db, Result, Ts, Tx};
use opsdesk_domain::kb::{ArticleState, ArticleVisibility};

const ARTICLE_COLS: &str = "id, desk_id, owner_id, state, head_version, live_version, review_by, \
    review_reminded_for, views, helpful, not_helpful, deflections, version, created_at, updated_at, published_at";

const VERSION_COLS: &str = "id, article_id, number, title, summary, body, body_text, visibility, tags, categories, \
    note, author_id, is_live, is_head, created_at";

/// An article as stored: everything but its content, which lives in its versions.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Article {
    pub id: i64,
    pub desk_id: i64,
    pub owner_id: Option<i64>,
    #[sqlx(try_from = "String")]
    pub state: ArticleState,
    pub head_version: i64,
    pub live_version: Option<i64>,
    pub review_by: Option<Ts>,
    pub review_reminded_for: Option<Ts>,
    pub views: i64,
    pub helpful: i64,
    pub not_helpful: i64,
    pub deflections: i64,
    /// Increases with every change of the record (its ETag).
    pub version: i64,
    pub created_at: Ts,
    pub updated_at: Ts,
    pub published_at: Option<Ts>,
}

/// One saved version of an article's content.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Version {
    pub id: i64,
    pub article_id: i64,
    pub number: i64,
    pub title: String,
    pub summary: String,
    /// Markdown.
    pub body: String,
    /// The body's words without markup (what the index holds).
    pub body_text: String,
    #[sqlx(try_from = "String")]
    pub visibility: ArticleVisibility,
    /// A JSON array of tags.
    pub tags: String,
    /// A JSON array of category ids.
    pub categories: String,
    pub note: String,
    pub author_id: Option<i64>,
    pub is_live: bool,
    pub is_head: bool,
    pub created_at: Ts,
}

impl Version {
    pub fn tag_list(&self) -> Result<Vec<String>> {
        crate::stored_json(&format!("tags of article version {}", self.id), &self.tags)
    }

    pub fn category_ids(&self) -> Result<Vec<i64>> {
        crate::stored_json(&format!("categories of article version {}", self.id), &self.categories)
    }
}

/// The content of a version to insert.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    pub article_id: i64,
    pub number: i64,
    pub title: &'a str,
    pub summary: &'a str,
    pub body: &'a str,
    pub body_text: &'a str,
    pub visibility: ArticleVisibility,
    pub tags: &'a [String],
    pub categories: &'a [i64],
    pub note: &'a str,
    pub author_id: Option<i64>,
}

/// Filters of the article list.
#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    pub state: Option<ArticleState>,
    pub desk_id: Option<i64>,
    pub owner_id: Option<i64>,
    /// Only articles readers can see (a public live version).
    pub published_public: bool,
    /// Continue after this id (newest first).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// A row of the article list: the record and the title of the version the reader sees.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ArticleRow {
    pub id: i64,
    pub desk_id: i64,
    #[sqlx(try_from = "String")]
    pub state: ArticleState,
    pub head_version: i64,
    pub live_version: Option<i64>,
    pub title: String,
    pub summary: String,
    #[sqlx(try_from = "String")]
    pub visibility: ArticleVisibility,
    pub owner_id: Option<i64>,
    pub review_by: Option<Ts>,
    pub views: i64,
    pub updated_at: Ts,
}

impl Tx {
    /// Every write of the article record (this, `update_article`, `delete_article`) tells the
    /// search indexes: content changes move `head_version`, lifecycle changes `state`, so the
    /// record is written whenever what a search finds changes.
    pub async fn insert_article(
        &mut self,
        desk_id: i64,
        owner_id: Option<i64>,
        review_by: Option<Ts>,
        now: Ts,
    ) -> Result<Article> {
        let sql = format!(
            "INSERT INTO kb_articles (desk_id, owner_id, state, head_version, review_by, version, created_at, updated_at) \
             VALUES ($1, $2, 'draft', 1, $3, 1, $4, $4) RETURNING {ARTICLE_COLS}"
        );
        let article: Article = on_tx!(self, |c| sqlx::query_as(&sql)
            .bind(desk_id)
            .bind(owner_id)
            .bind(review_by)
            .bind(now)
            .fetch_one(c)
            .await?);
        self.note_kb_change(article.id).await?;
        Ok(article)
    }

    /// Reads an article inside the transaction that changes it (locking it on PostgreSQL).
    pub async fn article_for_update(&mut self, id: i64) -> Result<Article> {
        let lock = if self.backend() == Backend::Postgres { " FOR UPDATE" } else { "" };
        let sql = format!("SELECT {ARTICLE_COLS} FROM kb_articles WHERE id = $1{lock}");
        Ok(on_tx!(self, |c| sqlx::query_as(&sql).bind(id).fetch_one(c).await?))
    }

    /// Writes back a changed article if it is still at `a.version`; `None` if it moved on.
    pub async fn update_article(&mut self, a: &Article) -> Result<Option<Article>> {
        let sql = format!(
            "UPDATE kb_articles SET desk_id = $3, owner_id = $4, state = $5, head_version = $6, live_version = $7, \
             review_by = $8, review_reminded_for = $9, updated_at = $10, published_at = $11, version = version + 1 \
             WHERE id = $1 AND version = $2 RETURNING {ARTICLE_COLS}"
        );
        let updated: Option<Article> = on_tx!(self, |c| sqlx::query_as(&sql)
            .bind(a.id)
            .bind(a.version)
            .bind(a.desk_id)
            .bind(a.owner_id)
            .bind(a.state.as_str())
            .bind(a.head_version)
            .bind(a.live_version)
            .bind(a.review_by)
            .bind(a.review_reminded_for)
            .bind(a.updated_at)
            .bind(a.published_at)
            .fetch_optional(c)
            .await?);
        if updated.is_some() {
            self.note_kb_change(a.id).await?;
        }
        Ok(updated)
    }

    pub async fn insert_version(&mut self, v: &NewVersion<'_>, now: Ts) -> Result<Version> {
        let tags = serde_json::to_string(v.tags).unwrap_or_else(|_| "[]".into());
        let cats = serde_json::to_string(v.categories).unwrap_or_else(|_| "[]".into());
        let sql = format!(
            "INSERT INTO kb_versions (article_id, number, title, summary, body, body_text, visibility, tags, categories, \
             note, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {VERSION_COLS}"
        );
        let version: Version = on_tx!(self, |c| sqlx::query_as(&sql)
            .bind(v.article_id)
            .bind(v.number)
            .bind(v.title)
            .bind(v.summary)
            .bind(v.body)
            .bind(v.body_text)
            .bind(v.visibility.as_str())
            .bind(&tags)
            .bind(&cats)
            .bind(v.note)
            .bind(v.author_id)
            .bind(now)
            .fetch_one(c)
            .await?);
        for t in v.tags {
            on_tx!(self, |c| sqlx::query("INSERT INTO kb_version_tags (version_id, tag) VALUES ($1, $2)")
                .bind(version.id)
                .bind(t)
                .execute(c)
                .await?
                .rows_affected());
        }
        for cat in v.categories {
            on_tx!(self, |c| sqlx::query(
                "INSERT INTO kb_version_categories (version_id, category_id) VALUES ($1, $2)"
            )
            .bind(version.id)
            .bind(cat)
            .execute(c)
            .await?
            .rows_affected());
        }
        Ok(version)
    }

    /// Marks which versions are the head and the live one: exactly those two (or one, when they
    /// are the same) can be found. Called with the article record's write, which tells the
    /// search indexes.
    pub async fn settle_versions(&mut self, article_id: i64, head: i64, live: Option<i64>) -> Result<()> {
        on_tx!(self, |c| sqlx::query(
            "UPDATE kb_versions SET is_head = (number = $2), \
             is_live = (CASE WHEN number = $3 THEN TRUE ELSE FALSE END) \
             WHERE article_id = $1 AND (is_head OR is_live OR number = $2 OR number = $3)"
        )
        .bind(article_id)
        .bind(head)
        .bind(live)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn record_article_change(
        &mut self,
        article_id: i64,
        actor_id: Option<i64>,
        field: &str,
        old: Option<&str>,
        new: Option<&str>,
        now: Ts,
    ) -> Result<()> {
        on_tx!(self, |c| sqlx::query(
            "INSERT INTO kb_history (article_id, actor_id, field, old_value, new_value, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(article_id)
        .bind(actor_id)
        .bind(field)
        .bind(old)
        .bind(new)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Deletes an article with everything of it; the search indexes drop it.
    pub async fn delete_article(&mut self, article_id: i64) -> Result<()> {
        on_tx!(self, |c| sqlx::query("DELETE FROM kb_articles WHERE id = $1")
            .bind(article_id)
            .execute(c)
            .await?
            .rows_affected());
        // After the row lock: the log's table lock is always taken last, so two writers
        // cannot each hold what the other waits for.
        self.note_kb_change(article_id).await
    }
}

/// A history row of an article.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ArticleChange {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub created_at: Ts,
}

impl Db {
    pub async fn article(&self, id: i64) -> Result<Article> {
        let sql = format!("SELECT {ARTICLE_COLS} FROM kb_articles WHERE id = $1");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(id).fetch_one(p).await?))
    }

    pub async fn article_version(&self, article_id: i64, number: i64) -> Result<Version> {
        let sql = format!("SELECT {VERSION_COLS} FROM kb_versions WHERE article_id = $1 AND number = $2");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(article_id).bind(number).fetch_one(p).await?))
    }

    /// Every version of an article, newest first.
    pub async fn article_versions(&self, article_id: i64) -> Result<Vec<Version>> {
        let sql = format!("SELECT {VERSION_COLS} FROM kb_versions WHERE article_id = $1 ORDER BY number DESC");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(article_id).fetch_all(p).await?))
    }

    pub async fn article_history(&self, article_id: i64) -> Result<Vec<ArticleChange>> {
        Ok(on_read!(self, |p| {
            sqlx::query_as(
            "SELECT id, actor_id, field, old_value, new_value, created_at FROM kb_history WHERE article_id = $1 ORDER BY id"
        )
        .bind(article_id)
        .fetch_all(p)
        .await?
        }))
    }

    /// Articles newest first, each with the title of its head version, or of its live version
    /// when only live public articles are asked for.
    pub async fn articles(&self, f: &ArticleFilter) -> Result<Vec<ArticleRow>> {
        use crate::tickets::filter::{Arg, Sql};
        let mut sql = Sql::default();
        let mut conds = vec![if f.published_public {
            "v.is_live AND v.visibility = 'public'".to_string()
        } else {
            "v.is_head".to_string()
        }];
        if let Some(s) = f.state {
            conds.push(format!("a.state = {}", sql.arg(Arg::T(s.as_str().into()))));
        }
        if let Some(d) = f.desk_id {
            conds.push(format!("a.desk_id = {}", sql.arg(Arg::I(d))));
        }
        if let Some(o) = f.owner_id {
            conds.push(format!("a.owner_id = {}", sql.arg(Arg::I(o))));
        }
        if let Some(b) = f.before_id {
            conds.push(format!("a.id < {}", sql.arg(Arg::I(b))));
        }
        let limit = sql.arg(Arg::I(f.limit));
        sql.text = format!(
            "SELECT a.id, a.desk_id, a.state, a.head_version, a.live_version, v.title, v.summary, v.visibility, \
             a.owner_id, a.review_by, a.views, a.updated_at FROM kb_articles a \
             JOIN kb_versions v ON v.article_id = a.id WHERE {} ORDER BY a.id DESC LIMIT {limit}",
            conds.join(" AND ")
        );
        Ok(on_read!(self, |p| bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(p).await?))
    }

    /// Articles whose review date has passed and whose owner was not yet reminded of it.
    pub async fn articles_due_for_review(&self, now: Ts, limit: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_read!(self, |p| sqlx::query_as(
            "SELECT id FROM kb_articles WHERE review_by IS NOT NULL AND review_by <= $1 AND state <> 'retired' \
             AND (review_reminded_for IS NULL OR review_reminded_for <> review_by) ORDER BY review_by LIMIT $2"
        )
        .bind(now)
        .bind(limit)
        .fetch_all(p)
        .await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
