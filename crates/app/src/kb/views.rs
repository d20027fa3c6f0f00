//! What the API shows of the records around articles (list rows, history, feedback,
//! attachments, the report): view types owned here, built from the store's rows.

use opsdesk_domain::kb::{ArticleState, ArticleVisibility};
use opsdesk_store::kb::{ArticleChange, ArticleRow, Feedback, KbAttachment, KbReport, MissedSearch, TopArticle};
use opsdesk_store::Ts;
use serde::Serialize;
use utoipa::ToSchema;

/// An article in a list: the record and the title of the version the reader sees.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ArticleRow)]
pub struct ArticleRowView {
    pub id: i64,
    pub desk_id: i64,
    pub state: ArticleState,
    pub head_version: i64,
    pub live_version: Option<i64>,
    pub title: String,
    pub summary: String,
    pub visibility: ArticleVisibility,
    pub owner_id: Option<i64>,
    /// The owner is reminded once it passes.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub review_by: Option<Ts>,
    pub views: i64,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Ts,
}

impl From<&ArticleRow> for ArticleRowView {
    fn from(r: &ArticleRow) -> Self {
        ArticleRowView {
            id: r.id,
            desk_id: r.desk_id,
            state: r.state,
            head_version: r.head_version,
            live_version: r.live_version,
            title: r.title.clone(),
            summary: r.summary.clone(),
            visibility: r.visibility,
            owner_id: r.owner_id,
            review_by: r.review_by,
            views: r.views,
            updated_at: r.updated_at,
        }
    }
}

/// One change of one field of an article.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ArticleChange)]
pub struct ArticleChangeView {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
}

impl From<&ArticleChange> for ArticleChangeView {
    fn from(c: &ArticleChange) -> Self {
        ArticleChangeView {
            id: c.id,
            actor_id: c.actor_id,
            field: c.field.clone(),
            old_value: c.old_value.clone(),
            new_value: c.new_value.clone(),
            created_at: c.created_at,
        }
    }
}

/// A reader's feedback on the version they read.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = KbFeedback)]
pub struct FeedbackView {
    pub id: i64,
    pub article_id: i64,
    /// The version read.
    pub version: i64,
    pub user_id: i64,
    pub helpful: bool,
    pub comment: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
}

impl From<&Feedback> for FeedbackView {
    fn from(f: &Feedback) -> Self {
        FeedbackView {
            id: f.id,
            article_id: f.article_id,
            version: f.version,
            user_id: f.user_id,
            helpful: f.helpful,
            comment: f.comment.clone(),
            created_at: f.created_at,
        }
    }
}

/// A file of an article; its content is downloaded separately.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = KbAttachment)]
pub struct KbAttachmentView {
    pub id: i64,
    pub article_id: i64,
    /// The cleaned name, only ever displayed.
    pub filename: String,
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    pub uploaded_by: Option<i64>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Ts,
}

impl From<&KbAttachment> for KbAttachmentView {
    fn from(a: &KbAttachment) -> Self {
        KbAttachmentView {
            id: a.id,
            article_id: a.article_id,
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size: a.size,
            uploaded_by: a.uploaded_by,
            created_at: a.created_at,
        }
    }
}

/// An article in a ranking of the report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = KbTopArticle)]
pub struct TopArticleView {
    pub id: i64,
    pub title: String,
    pub views: i64,
    pub helpful: i64,
    pub not_helpful: i64,
    pub deflections: i64,
}

impl From<&TopArticle> for TopArticleView {
    fn from(t: &TopArticle) -> Self {
        TopArticleView {
            id: t.id,
            title: t.title.clone(),
            views: t.views,
            helpful: t.helpful,
            not_helpful: t.not_helpful,
            deflections: t.deflections,
        }
    }
}

/// Searches that found nothing, by their words.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = KbMissedSearch)]
pub struct MissedSearchView {
    /// The searched words, normalised.
    pub words: String,
    /// The last query typed with these words.
    pub last_query: String,
    pub times: i64,
    #[schema(value_type = String, format = DateTime)]
    pub last_at: Ts,
}

impl From<&MissedSearch> for MissedSearchView {
    fn from(m: &MissedSearch) -> Self {
        MissedSearchView {
            words: m.words.clone(),
            last_query: m.last_query.clone(),
            times: m.times,
            last_at: m.last_at,
        }
    }
}

/// The knowledge report: rankings, searches that found nothing, recent feedback and counts.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = KbReport)]
pub struct KbReportView {
    pub most_viewed: Vec<TopArticleView>,
    pub most_deflecting: Vec<TopArticleView>,
    pub least_helpful: Vec<TopArticleView>,
    pub missed_searches: Vec<MissedSearchView>,
    /// Recent feedback with a comment.
    pub recent_feedback: Vec<FeedbackView>,
    pub deflections_total: i64,
    /// Deflections since `since`.
    pub deflections_since: i64,
    #[schema(value_type = String, format = DateTime)]
    pub since: Ts,
    /// `[state, count]` pairs.
    pub articles_by_state: Vec<(String, i64)>,
}

impl From<&KbReport> for KbReportView {
    fn from(r: &KbReport) -> Self {
        KbReportView {
            most_viewed: r.most_viewed.iter().map(TopArticleView::from).collect(),
            most_deflecting: r.most_deflecting.iter().map(TopArticleView::from).collect(),
            least_helpful: r.least_helpful.iter().map(TopArticleView::from).collect(),
            missed_searches: r.missed_searches.iter().map(MissedSearchView::from).collect(),
            recent_feedback: r.recent_feedback.iter().map(FeedbackView::from).collect(),
            deflections_total: r.deflections_total,
            deflections_since: r.deflections_since,
            since: r.since,
            articles_by_state: r.articles_by_state.clone(),
        }
    }
}
