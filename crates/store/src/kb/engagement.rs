//! What happens around articles: views, helpful-or-not feedback, deflections ("this solved
//! it", no ticket created), searches that found nothing, articles linked to tickets as their
//! solution, attachments, and the report that sums them up.

use crate::{Db, Result, Ts, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Feedback {
    pub id: i64,
    pub article_id: i64,
    pub version: i64,
    pub user_id: i64,
    pub helpful: bool,
    pub comment: String,
    pub created_at: Ts,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MissedSearch {
    pub words: String,
    pub last_query: String,
    pub times: i64,
    pub last_at: Ts,
}

/// An article in a ranking of the report.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TopArticle {
    pub id: i64,
    pub title: String,
    pub views: i64,
    pub helpful: i64,
    pub not_helpful: i64,
    pub deflections: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KbReport {
    pub most_viewed: Vec<TopArticle>,
    pub most_deflecting: Vec<TopArticle>,
    pub least_helpful: Vec<TopArticle>,
    pub missed_searches: Vec<MissedSearch>,
    pub recent_feedback: Vec<Feedback>,
    pub deflections_total: i64,
    pub deflections_since: i64,
    pub since: Ts,
    pub articles_by_state: Vec<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct KbAttachment {
    pub id: i64,
    pub article_id: i64,
    pub sha256: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_by: Option<i64>,
    pub created_at: Ts,
}

pub struct NewKbAttachment<'a> {
    pub article_id: i64,
    pub sha256: &'a str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub uploaded_by: Option<i64>,
}

const ATTACHMENT_COLS: &str = "id, article_id, sha256, filename, content_type, size, uploaded_by, created_at";

impl Tx {
    /// Records (or replaces) a user's feedback on an article and keeps the article's counts.
    pub async fn put_feedback(
        &mut self,
        article_id: i64,
        version: i64,
        user_id: i64,
        helpful: bool,
        comment: &str,
        now: Ts,
    ) -> Result<Feedback> {
        on_tx!(self, |c| sqlx::query("DELETE FROM kb_feedback WHERE article_id = $1 AND user_id = $2")
            .bind(article_id)
            .bind(user_id)
            .execute(c)
            .await?
            .rows_affected());
        let f: Feedback = on_tx!(self, |c| sqlx::query_as(
            "INSERT INTO kb_feedback (article_id, version, user_id, helpful, comment, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, article_id, version, user_id, helpful, comment, created_at"
        )
        .bind(article_id)
        .bind(version)
        .bind(user_id)
        .bind(helpful)
        .bind(comment)
        .bind(now)
        .fetch_one(c)
        .await?);
        on_tx!(self, |c| sqlx::query(
            "UPDATE kb_articles SET \
             helpful = (SELECT COUNT(*) FROM kb_feedback WHERE article_id = $1 AND helpful), \
             not_helpful = (SELECT COUNT(*) FROM kb_feedback WHERE article_id = $1 AND NOT helpful) WHERE id = $1"
        )
        .bind(article_id)
        .execute(c)
        .await?
        .rows_affected());
        Ok(f)
    }

    pub async fn record_deflection(
        &mut self,
        article_id: i64,
        user_id: Option<i64>,
        query: &str,
        now: Ts,
    ) -> Result<()> {
        on_tx!(self, |c| sqlx::query(
            "INSERT INTO kb_deflections (article_id, user_id, query, created_at) VALUES ($1, $2, $3, $4)"
        )
        .bind(article_id)
        .bind(user_id)
        .bind(query)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        on_tx!(self, |c| sqlx::query("UPDATE kb_articles SET deflections = deflections + 1 WHERE id = $1")
            .bind(article_id)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Links an article to a ticket as its solution; `false` if it already was.
    pub async fn link_article_to_ticket(
        &mut self,
        ticket_id: i64,
        article_id: i64,
        by: Option<i64>,
        now: Ts,
    ) -> Result<bool> {
        let n = on_tx!(self, |c| sqlx::query(
            "INSERT INTO kb_ticket_links (ticket_id, article_id, linked_by, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (ticket_id, article_id) DO NOTHING"
        )
        .bind(ticket_id)
        .bind(article_id)
        .bind(by)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    pub async fn insert_kb_attachment(&mut self, a: &NewKbAttachment<'_>, now: Ts) -> Result<KbAttachment> {
        let sql = format!(
            "INSERT INTO kb_attachments (article_id, sha256, filename, content_type, size, uploaded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {ATTACHMENT_COLS}"
        );
        Ok(on_tx!(self, |c| sqlx::query_as(&sql)
            .bind(a.article_id)
            .bind(a.sha256)
            .bind(a.filename)
            .bind(a.content_type)
            .bind(a.size)
            .bind(a.uploaded_by)
            .bind(now)
            .fetch_one(c)
            .await?))
    }
}

fn top(order: &str) -> String {
    format!(
        "SELECT a.id, v.title, a.views, a.helpful, a.not_helpful, a.deflections FROM kb_articles a \
         JOIN kb_versions v ON v.article_id = a.id AND v.is_head ORDER BY {order}, a.id LIMIT 10"
    )
}

impl Db {
    /// Counts one reading of an article.
    pub async fn count_article_view(&self, article_id: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, |c| sqlx::query("UPDATE kb_articles SET views = views + 1 WHERE id = $1")
            .bind(article_id)
            .execute(c)
            .await?
            .rows_affected());
        tx.commit().await
    }

    /// Remembers a search that found nothing, by its words.
    pub async fn record_missed_search(&self, words: &str, query: &str, now: Ts) -> Result<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, |c| sqlx::query(
            "INSERT INTO kb_missed_searches (words, last_query, times, last_at) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (words) DO UPDATE SET times = kb_missed_searches.times + 1, last_query = $2, last_at = $3"
        )
        .bind(words)
        .bind(query)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        tx.commit().await
    }

    /// Ids of the articles linked to a ticket as its solution.
    pub async fn articles_of_ticket(&self, ticket_id: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_read!(self, |p| sqlx::query_as(
            "SELECT article_id FROM kb_ticket_links WHERE ticket_id = $1 ORDER BY created_at, article_id"
        )
        .bind(ticket_id)
        .fetch_all(p)
        .await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    pub async fn kb_attachments(&self, article_id: i64) -> Result<Vec<KbAttachment>> {
        let sql = format!("SELECT {ATTACHMENT_COLS} FROM kb_attachments WHERE article_id = $1 ORDER BY id");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(article_id).fetch_all(p).await?))
    }

    pub async fn kb_attachment(&self, article_id: i64, id: i64) -> Result<KbAttachment> {
        let sql = format!("SELECT {ATTACHMENT_COLS} FROM kb_attachments WHERE article_id = $1 AND id = $2");
        Ok(on_read!(self, |p| sqlx::query_as(&sql).bind(article_id).bind(id).fetch_one(p).await?))
    }

    /// The knowledge report: what is read, what helps, what deflects, what is missing.
    pub async fn kb_report(&self, since: Ts) -> Result<KbReport> {
        let most_viewed = on_read!(self, |p| sqlx::query_as(&top("a.views DESC")).fetch_all(p).await?);
        let most_deflecting = on_read!(self, |p| sqlx::query_as(&top("a.deflections DESC")).fetch_all(p).await?);
        let least_helpful: Vec<TopArticle> =
            on_read!(self, |p| sqlx::query_as(&top("(a.not_helpful - a.helpful) DESC")).fetch_all(p).await?);
        let missed_searches = on_read!(self, |p| {
            sqlx::query_as(
            "SELECT words, last_query, times, last_at FROM kb_missed_searches ORDER BY times DESC, last_at DESC LIMIT 20"
        )
        .fetch_all(p)
        .await?
        });
        let recent_feedback = on_read!(self, |p| sqlx::query_as(
            "SELECT id, article_id, version, user_id, helpful, comment, created_at FROM kb_feedback \
             WHERE comment <> '' ORDER BY id DESC LIMIT 20"
        )
        .fetch_all(p)
        .await?);
        let (total,): (i64,) =
            on_read!(self, |p| sqlx::query_as("SELECT COUNT(*) FROM kb_deflections").fetch_one(p).await?);
        let (recent,): (i64,) =
            on_read!(self, |p| sqlx::query_as("SELECT COUNT(*) FROM kb_deflections WHERE created_at >= $1")
                .bind(since)
                .fetch_one(p)
                .await?);
        let articles_by_state =
            on_read!(self, |p| sqlx::query_as("SELECT state, COUNT(*) FROM kb_articles GROUP BY state ORDER BY state")
                .fetch_all(p)
                .await?);
        Ok(KbReport {
            most_viewed,
            most_deflecting,
            least_helpful: least_helpful.into_iter().filter(|a| a.not_helpful > 0).collect(),
            missed_searches,
            recent_feedback,
            deflections_total: total,
            deflections_since: recent,
            since,
            articles_by_state,
        })
    }
}
