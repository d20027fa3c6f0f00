//! What readers and agents do with articles: feedback, "this solved it" (a deflection: no
//! ticket is created), linking an article to a ticket as its solution, suggestions on a
//! ticket's page, an article drafted from a ticket, attachments, the report, and the
//! reminder to owners whose review date has passed.

use super::search::SearchHitView;
use super::ArticleView;
use crate::tickets::timeline::CheckedUpload;
use crate::tickets::{Ref, TicketView};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::kb::ReviewBy;
use opsdesk_domain::{Actor, FieldError, Role};
use opsdesk_store::kb::{Feedback, KbAttachment, KbReport, NewKbAttachment};
use opsdesk_store::Ts;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Helpful or not; replaces the caller's earlier feedback on the article.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = KbFeedbackInput)]
pub struct FeedbackInput {
    pub helpful: bool,
    #[serde(default)]
    #[schema(max_length = 2000, pattern = r"^[^\u0000]*$")]
    pub comment: String,
}

/// An article to link as the ticket's solution.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = LinkArticle)]
pub struct LinkArticleInput {
    pub article: i64,
}

/// The articles of a ticket's page: linked as its solution, and suggested from its text.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketArticles {
    pub linked: Vec<ArticleView>,
    pub suggested: Vec<SearchHitView>,
}

/// An uploaded file for an article.
#[derive(Debug, Clone)]
pub struct AttachmentUpload {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

const COMMENT_MAX: usize = 2_000;

impl App {
    /// Helpful or not, with an optional comment; one per reader and article (a new one
    /// replaces the old).
    pub async fn article_feedback(&self, actor: &Actor, id: i64, input: FeedbackInput) -> Result<Feedback> {
        let (a, v) = self.find_article(actor, id).await?;
        let user = actor.user_id.ok_or(AppError::Forbidden)?;
        let comment = input.comment.trim();
        if comment.chars().count() > COMMENT_MAX || comment.contains('\0') {
            return Err(FieldError::new("comment", "too_long", "comment has at most 2000 characters").into());
        }
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let f = tx.put_feedback(a.id, v.number, user, input.helpful, comment, now).await?;
        let payload = json!({ "helpful": input.helpful, "version": v.number });
        emit(&mut tx, "kb.feedback_given", format!("kb_article:{}", a.id), actor, payload, now).await?;
        tx.commit().await?;
        Ok(f)
    }

    /// "This solved it": the reader needs no ticket. `query` is what they had typed.
    pub async fn record_deflection(&self, actor: &Actor, id: i64, query: &str) -> Result<()> {
        let (a, _) = self.find_article(actor, id).await?;
        let query: String = query.chars().filter(|c| !c.is_control()).take(300).collect();
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        tx.record_deflection(a.id, actor.user_id, query.trim(), now).await?;
        emit(&mut tx, "kb.deflection", format!("kb_article:{}", a.id), actor, json!({ "query": query.trim() }), now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Links an article to a ticket as its solution (agents who work the ticket).
    pub async fn link_article(&self, actor: &Actor, ticket: &str, article_id: i64) -> Result<ArticleView> {
        let t = self.workable_ticket(actor, ticket).await?;
        let (a, v) = self.find_article(actor, article_id).await.map_err(|e| match e {
            AppError::NotFound => FieldError::new("article", "unknown", "no such article").into(),
            other => other,
        })?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        if !tx.link_article_to_ticket(t.id, a.id, actor.user_id, now).await? {
            return Err(AppError::Conflict { code: "link_exists", message: "the article is already linked".into() });
        }
        tx.record_change(t.id, actor.user_id, "kb_article", None, Some(&a.id.to_string()), now).await?;
        let payload = json!({ "article_id": a.id, "version": v.number });
        emit(&mut tx, "kb.article_linked", format!("ticket:{}", t.id), actor, payload, now).await?;
        tx.commit().await?;
        ArticleView::of(&a, &v)
    }

    /// The articles linked to a ticket, and those its title and description suggest. A
    /// requester sees only the linked articles they may read.
    pub async fn ticket_articles(&self, actor: &Actor, ticket: &str) -> Result<TicketArticles> {
        let t = self.find_ticket(actor, ticket).await?;
        self.articles_for_ticket(actor, &TicketView::from(&t)).await
    }

    /// [`App::ticket_articles`] of a ticket the actor has just read (a page that already holds
    /// the ticket need not look it up again).
    pub async fn articles_for_ticket(&self, actor: &Actor, t: &TicketView) -> Result<TicketArticles> {
        let mut linked = Vec::new();
        for id in self.db.articles_of_ticket(t.id).await? {
            if let Ok((a, v)) = self.find_article(actor, id).await {
                linked.push(ArticleView::of(&a, &v)?);
            }
        }
        let suggested = if actor.role == Role::Requester {
            Vec::new()
        } else {
            let text = format!("{} {}", t.title, t.description.chars().take(200).collect::<String>());
            let mut s = self.suggest_articles(actor, &text, 5).await?;
            s.retain(|h| !linked.iter().any(|l| l.id == h.id));
            s
        };
        Ok(TicketArticles { linked, suggested })
    }

    /// A new article prefilled from a ticket: its title, the problem (description) and the
    /// resolution (the last reply or note by someone other than the requester, or else the last
    /// one of anybody).
    pub async fn article_input_from_ticket(&self, actor: &Actor, ticket: &str) -> Result<super::ArticleInput> {
        let t = self.workable_ticket(actor, ticket).await?;
        let comments = self.db.comments(t.id, true).await?;
        let resolution = comments
            .iter()
            .rev()
            .find(|c| c.author_id.is_some() && c.author_id != Some(t.requester_id))
            .or_else(|| comments.iter().rev().find(|c| c.author_id.is_some()))
            .map(|c| c.body.clone())
            .unwrap_or_default();
        let summary: String = t.description.lines().next().unwrap_or("").chars().take(300).collect();
        let body = format!("## Problem\n\n{}\n\n## Resolution\n\n{}\n", t.description.trim(), resolution.trim());
        Ok(super::ArticleInput {
            title: t.title.chars().take(opsdesk_domain::kb::TITLE_MAX).collect(),
            summary,
            body,
            desk: Some(Ref::Id(t.desk_id)),
            visibility: Some("internal".into()),
            source_ticket: Some(t.number.clone()),
            ..Default::default()
        })
    }

    pub async fn add_article_attachment(
        &self,
        actor: &Actor,
        id: i64,
        upload: AttachmentUpload,
    ) -> Result<KbAttachment> {
        let (a, _) = self.writable_article(actor, id).await?;
        let CheckedUpload { sha, filename, content_type } =
            self.check_upload(&upload.filename, &upload.content_type, &upload.data).await?;
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        tx.put_blob(&sha, &upload.data, now).await?;
        let new = NewKbAttachment {
            article_id: a.id,
            sha256: &sha,
            filename: &filename,
            content_type: &content_type,
            size: upload.data.len() as i64,
            uploaded_by: actor.user_id,
        };
        let att = tx.insert_kb_attachment(&new, now).await?;
        tx.record_article_change(a.id, actor.user_id, "attachment", None, Some(&filename), now).await?;
        emit(
            &mut tx,
            "kb.attachment_added",
            format!("kb_article:{}", a.id),
            actor,
            json!({ "attachment_id": att.id }),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(att)
    }

    /// An article's attachments, if the actor may read the article.
    pub async fn article_attachments(&self, actor: &Actor, id: i64) -> Result<Vec<KbAttachment>> {
        let (a, _) = self.find_article(actor, id).await?;
        Ok(self.db.kb_attachments(a.id).await?)
    }

    /// An attachment and its content, if the actor may read the article.
    pub async fn article_attachment(
        &self,
        actor: &Actor,
        id: i64,
        attachment_id: i64,
    ) -> Result<(KbAttachment, Vec<u8>)> {
        let (a, _) = self.find_article(actor, id).await?;
        let att = self.db.kb_attachment(a.id, attachment_id).await?;
        let data = self.db.blob(&att.sha256).await?;
        Ok((att, data))
    }

    /// The knowledge report (agents and admins), with deflections counted over `days`.
    pub async fn kb_report(&self, actor: &Actor, days: i64) -> Result<KbReport> {
        if actor.role == Role::Requester {
            return Err(AppError::Forbidden);
        }
        let since = Ts::from_micros(Ts::now().micros() - days.clamp(1, 3650) * 86_400_000_000);
        Ok(self.db.kb_report(since).await?)
    }

    /// Reminds owners of articles whose review date has passed: an outbox event
    /// `kb.review_due` for the owner (what notifications are sent from) and a history row,
    /// once per review date. Returns how many were reminded.
    pub async fn remind_article_reviews(&self, now: Ts) -> Result<usize> {
        let system = Actor::system();
        let mut reminded = 0;
        loop {
            let due = self.db.articles_due_for_review(now, 200).await?;
            if due.is_empty() {
                break;
            }
            for id in &due {
                let mut tx = self.db.begin().await?;
                let a = tx.article_for_update(*id).await?;
                let Some(review_by) = a.review_by.filter(|r| *r <= now) else {
                    tx.commit().await?;
                    continue;
                };
                if a.review_reminded_for == Some(review_by) {
                    tx.commit().await?;
                    continue;
                }
                let changed = opsdesk_store::kb::Article { review_reminded_for: Some(review_by), ..a.clone() };
                if tx.update_article(&changed).await?.is_none() {
                    tx.commit().await?;
                    continue;
                }
                let date = ReviewBy::of_timestamp(review_by.0).0.to_string();
                tx.record_article_change(a.id, None, "review_reminder", None, Some(&date), now).await?;
                let payload = json!({ "owner_id": a.owner_id, "review_by": date });
                emit(&mut tx, "kb.review_due", format!("kb_article:{}", a.id), &system, payload, now).await?;
                tx.commit().await?;
                reminded += 1;
            }
            if due.len() < 200 {
                break;
            }
        }
        Ok(reminded)
    }
}
