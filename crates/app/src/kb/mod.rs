//! Knowledge management commands: write articles through their lifecycle (every save a
//! version), read them as the actor may, compare versions, search and suggest, and record
//! what readers do with them. Requesters read only live public versions; an article they may
//! not read answers like a missing one, by every path.

mod engagement;
mod search;
mod views;
mod write;

pub use engagement::{AttachmentUpload, FeedbackInput, LinkArticleInput, TicketArticles};
pub use search::{Matched, SearchHitView, SearchInput, SearchResult};
pub use views::{
    ArticleChangeView, ArticleRowView, FeedbackView, KbAttachmentView, KbReportView, MissedSearchView, TopArticleView,
};
pub use write::{ArticleInput, TransitionArticle, UpdateArticle};

use crate::{App, AppError, Result};
use opsdesk_domain::kb::{compare, ArticleDraft, ArticleState, ArticleVisibility, ReadAccess, ReviewBy, VersionDiff};
use opsdesk_domain::Actor;
use opsdesk_store::kb::{Article, Version};
use opsdesk_store::Ts;
use serde::Serialize;

/// An article as the API shows it: the record and the content of one version (the head for
/// writers, the live version for requesters). `row_version` is its ETag.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Article)]
pub struct ArticleView {
    pub id: i64,
    pub desk_id: i64,
    /// The state of the newest version.
    pub state: ArticleState,
    /// The number of the version shown.
    pub version: i64,
    pub head_version: i64,
    /// The published version readers see, if any.
    pub live_version: Option<i64>,
    /// A revision of the published article is being worked on; the live version stays.
    pub revision_pending: bool,
    pub title: String,
    pub summary: String,
    /// Markdown.
    pub body: String,
    /// The body rendered and sanitised.
    pub body_html: String,
    pub visibility: ArticleVisibility,
    pub tags: Vec<String>,
    pub categories: Vec<i64>,
    pub owner_id: Option<i64>,
    /// `YYYY-MM-DD`; the owner is reminded when it passes.
    #[schema(format = Date)]
    pub review_by: Option<String>,
    pub views: i64,
    pub helpful: i64,
    pub not_helpful: i64,
    pub deflections: i64,
    /// Increases with every change of the article (its ETag).
    pub row_version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Ts,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<Ts>,
}

impl ArticleView {
    pub fn of(a: &Article, v: &Version) -> Result<ArticleView> {
        Ok(ArticleView {
            id: a.id,
            desk_id: a.desk_id,
            state: a.state,
            version: v.number,
            head_version: a.head_version,
            live_version: a.live_version,
            revision_pending: a.live_version.is_some_and(|l| l != a.head_version),
            title: v.title.clone(),
            summary: v.summary.clone(),
            body: v.body.clone(),
            body_html: opsdesk_domain::kb::render_html(&v.body),
            visibility: v.visibility,
            tags: v.tag_list()?,
            categories: v.category_ids()?,
            owner_id: a.owner_id,
            review_by: a.review_by.map(|t| ReviewBy::of_timestamp(t.0).0.to_string()),
            views: a.views,
            helpful: a.helpful,
            not_helpful: a.not_helpful,
            deflections: a.deflections,
            row_version: a.version,
            created_at: a.created_at,
            updated_at: a.updated_at,
            published_at: a.published_at,
        })
    }
}

/// A saved version, in the list of versions.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ArticleVersion)]
pub struct VersionSummary {
    pub number: i64,
    pub title: String,
    /// What changed, in the author's words.
    pub note: String,
    pub author_id: Option<i64>,
    pub is_live: bool,
    pub is_head: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
}

/// Two versions side by side.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ArticleComparison)]
pub struct Comparison {
    pub article_id: i64,
    pub from: i64,
    pub to: i64,
    pub diff: VersionDiff,
}

pub(crate) fn draft_of(v: &Version) -> Result<ArticleDraft> {
    Ok(ArticleDraft {
        title: v.title.clone(),
        summary: v.summary.clone(),
        body: v.body.clone(),
        visibility: v.visibility,
        tags: v.tag_list()?.iter().filter_map(|t| opsdesk_domain::kb::Tag::parse(t).ok()).collect(),
        note: v.note.clone(),
    })
}

impl App {
    /// An article and the version the actor reads: writers the head, requesters the live
    /// version if it is public. Anything else answers like a missing article.
    pub async fn find_article(&self, actor: &Actor, id: i64) -> Result<(Article, Version)> {
        let a = self.db.article(id).await?;
        match ReadAccess::of(actor) {
            ReadAccess::Everything => {
                let v = self.db.article_version(a.id, a.head_version).await?;
                Ok((a, v))
            }
            ReadAccess::PublishedPublic => {
                let live = a.live_version.ok_or(AppError::NotFound)?;
                let v = self.db.article_version(a.id, live).await?;
                if ReadAccess::PublishedPublic.may_read(v.is_live, v.visibility) {
                    Ok((a, v))
                } else {
                    Err(AppError::NotFound)
                }
            }
        }
    }

    /// Reads an article (and counts the reading).
    pub async fn read_article(&self, actor: &Actor, id: i64) -> Result<ArticleView> {
        let (a, v) = self.find_article(actor, id).await?;
        self.db.count_article_view(a.id).await?;
        let a = Article { views: a.views + 1, ..a };
        ArticleView::of(&a, &v)
    }

    /// An article without counting a view (for writers' pages and after commands).
    pub async fn article_view(&self, actor: &Actor, id: i64) -> Result<ArticleView> {
        let (a, v) = self.find_article(actor, id).await?;
        ArticleView::of(&a, &v)
    }

    /// Every version of an article, newest first (writers only; requesters see one version).
    pub async fn article_versions(&self, actor: &Actor, id: i64) -> Result<Vec<VersionSummary>> {
        let (a, _) = self.writable_article(actor, id).await?;
        Ok(self
            .db
            .article_versions(a.id)
            .await?
            .into_iter()
            .map(|v| VersionSummary {
                number: v.number,
                title: v.title,
                note: v.note,
                author_id: v.author_id,
                is_live: v.is_live,
                is_head: v.is_head,
                created_at: v.created_at,
            })
            .collect())
    }

    /// One version of an article in full (writers only).
    pub async fn article_at_version(&self, actor: &Actor, id: i64, number: i64) -> Result<ArticleView> {
        let (a, _) = self.writable_article(actor, id).await?;
        let v = self.db.article_version(a.id, number).await?;
        ArticleView::of(&a, &v)
    }

    /// Any two versions side by side (writers only).
    pub async fn compare_versions(&self, actor: &Actor, id: i64, from: i64, to: i64) -> Result<Comparison> {
        let (a, _) = self.writable_article(actor, id).await?;
        let old = self.db.article_version(a.id, from).await?;
        let new = self.db.article_version(a.id, to).await?;
        Ok(Comparison { article_id: a.id, from, to, diff: compare(&draft_of(&old)?, &draft_of(&new)?) })
    }

    pub(crate) async fn writable_article(&self, actor: &Actor, id: i64) -> Result<(Article, Version)> {
        let found = self.find_article(actor, id).await?;
        if opsdesk_domain::kb::may_write(actor) {
            Ok(found)
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Articles newest first, as the actor may see them.
    pub async fn list_articles(
        &self,
        actor: &Actor,
        state: Option<&str>,
        desk_id: Option<i64>,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<opsdesk_store::kb::ArticleRow>> {
        let state = state.filter(|s| !s.is_empty()).map(ArticleState::parse).transpose()?;
        let published_public = ReadAccess::of(actor) == ReadAccess::PublishedPublic;
        if published_public && state.is_some_and(|s| s != ArticleState::Published) {
            return Ok(Vec::new());
        }
        let filter = opsdesk_store::kb::ArticleFilter {
            state: if published_public { None } else { state },
            desk_id,
            owner_id: None,
            published_public,
            before_id,
            limit: limit.clamp(1, 200),
        };
        Ok(self.db.articles(&filter).await?)
    }

    /// The article's history of changes (writers only).
    pub async fn article_history(&self, actor: &Actor, id: i64) -> Result<Vec<opsdesk_store::kb::ArticleChange>> {
        let (a, _) = self.writable_article(actor, id).await?;
        Ok(self.db.article_history(a.id).await?)
    }
}
