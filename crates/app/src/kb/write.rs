//! Writing articles: create (version 1, a draft), save (a new version; a published article
//! starts a revision while its live version stays), move through the lifecycle, delete a
//! never-published draft. Each command is one transaction with history rows and one event.

use super::ArticleView;
use crate::tickets::Ref;
use crate::{emit, App, AppError, Result};
use opsdesk_domain::kb::{plain_text, query_words, ArticleDraft, ArticleState, Lifecycle, Move, ReviewBy};
use opsdesk_domain::validation::Checks;
use opsdesk_domain::{Actor, FieldError, Role};
use opsdesk_store::kb::{Article, NewVersion, Version};
use opsdesk_store::{Ts, Tx};
use serde::Deserialize;
use serde_json::json;

/// A new article: version 1, a draft.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateArticle)]
pub struct ArticleInput {
    /// One line.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 1000, pattern = r"^[^\u0000]*$")]
    pub summary: String,
    /// Markdown.
    #[schema(min_length = 1, max_length = 200000, pattern = r"^[^\u0000]*$")]
    pub body: String,
    /// Id or name; the first desk when absent.
    pub desk: Option<Ref>,
    /// `internal` when absent.
    #[schema(value_type = Option<opsdesk_domain::kb::ArticleVisibility>)]
    pub visibility: Option<String>,
    /// Up to 20 tags of up to 40 characters each.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub tags: Vec<String>,
    /// Categories of the desk, by id or `Parent/Child` path.
    #[serde(default)]
    pub categories: Vec<Ref>,
    /// An agent or admin (id or email); the author when absent.
    pub owner: Option<Ref>,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub review_by: Option<String>,
    /// What this version is, in the author's words.
    #[schema(max_length = 500)]
    pub note: Option<String>,
    /// A ticket (id or number) this article solves: it is linked to the ticket.
    pub source_ticket: Option<String>,
}

/// A save: absent fields keep the head version's value. Every save is a new version; saving
/// a published article starts a revision (a draft) while the published version stays live.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArticle {
    /// One line.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub title: Option<String>,
    #[schema(max_length = 1000, pattern = r"^[^\u0000]*$")]
    pub summary: Option<String>,
    /// Markdown.
    #[schema(min_length = 1, max_length = 200000, pattern = r"^[^\u0000]*$")]
    pub body: Option<String>,
    #[schema(value_type = Option<opsdesk_domain::kb::ArticleVisibility>)]
    pub visibility: Option<String>,
    /// Up to 20 tags of up to 40 characters each.
    #[schema(max_items = 20)]
    pub tags: Option<Vec<String>>,
    /// Categories of the desk, by id or `Parent/Child` path.
    pub categories: Option<Vec<Ref>>,
    /// An agent or admin, by id or email.
    pub owner: Option<Ref>,
    /// `YYYY-MM-DD`, or null to clear.
    #[serde(default, deserialize_with = "crate::nullable")]
    #[schema(value_type = Option<String>, format = Date)]
    pub review_by: Option<Option<String>>,
    /// What changed, in the author's words.
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// A lifecycle move: draft → in_review → published → retired; in_review → draft; retired →
/// draft.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ArticleTransition)]
pub struct TransitionArticle {
    #[schema(value_type = opsdesk_domain::kb::ArticleState)]
    pub to: String,
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

fn refused(m: Move) -> AppError {
    AppError::Transition {
        field: "to",
        message: m.to_string(),
        allowed: m.allowed.iter().map(|s| s.as_str().to_string()).collect(),
    }
}

/// The words of a version for the vocabulary of typo corrections: four letters or more.
fn vocabulary(v: &Version) -> Result<Vec<String>> {
    let text = format!("{} {} {} {}", v.title, v.summary, v.tag_list()?.join(" "), v.body_text);
    let mut words: Vec<String> = query_words_all(&text)
        .into_iter()
        .filter(|w| (4..=30).contains(&w.chars().count()) && w.chars().all(char::is_alphabetic))
        .collect();
    words.sort();
    words.dedup();
    Ok(words)
}

/// Every word of a text (the query parser stops after a dozen).
fn query_words_all(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).flat_map(query_words).collect()
}

impl App {
    async fn desk_for(&self, r: Option<&Ref>) -> Result<i64> {
        let desks = self.db.desks().await?;
        let found = match r {
            None => desks.first(),
            Some(Ref::Id(id)) => desks.iter().find(|d| d.id == *id),
            Some(Ref::Name(n)) => desks.iter().find(|d| d.name.eq_ignore_ascii_case(n.trim())),
        };
        found.map(|d| d.id).ok_or_else(|| FieldError::new("desk", "unknown", "no such service desk").into())
    }

    async fn categories_for(&self, refs: &[Ref], desk_id: i64) -> Result<Vec<i64>> {
        let mut out = Vec::new();
        for (i, r) in refs.iter().enumerate() {
            let id = self.resolve_category(r, desk_id).await.map_err(|e| match e {
                AppError::Invalid(mut inv) => {
                    for f in &mut inv.0 {
                        f.field = format!("categories.{i}");
                    }
                    AppError::Invalid(inv)
                }
                other => other,
            })?;
            out.push(id);
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    async fn owner_for(&self, r: &Ref) -> Result<i64> {
        let u = self.resolve_user(r, "owner").await?;
        if u.role == Role::Requester {
            return Err(FieldError::new("owner", "not_an_agent", "articles are owned by agents").into());
        }
        Ok(u.id)
    }

    #[tracing::instrument(skip(self, input))]
    pub async fn create_article(&self, actor: &Actor, input: ArticleInput) -> Result<ArticleView> {
        if !opsdesk_domain::kb::may_write(actor) {
            return Err(AppError::Forbidden);
        }
        let mut c = Checks::new();
        let draft = ArticleDraft::parse(
            &input.title,
            &input.summary,
            &input.body,
            input.visibility.as_deref().unwrap_or("internal"),
            &input.tags,
            input.note.as_deref().unwrap_or(""),
        );
        let draft = match draft {
            Ok(d) => Some(d),
            Err(inv) => {
                inv.0.into_iter().for_each(|e| c.push(e));
                None
            }
        };
        let review_by = c.take(input.review_by.as_deref().map(ReviewBy::parse).transpose());
        c.finish()?;
        let (Some(draft), Some(review_by)) = (draft, review_by) else {
            return Err(FieldError::new("body", "invalid", "the article is invalid").into());
        };
        let desk_id = self.desk_for(input.desk.as_ref()).await?;
        let categories = self.categories_for(&input.categories, desk_id).await?;
        let owner = match &input.owner {
            Some(r) => Some(self.owner_for(r).await?),
            None => actor.user_id,
        };
        let ticket = match input.source_ticket.as_deref() {
            Some(t) => Some(self.find_ticket(actor, t).await.map_err(|e| match e {
                AppError::NotFound => {
                    AppError::from(FieldError::new("source_ticket", "unknown", "no such ticket, or not visible to you"))
                }
                other => other,
            })?),
            None => None,
        };

        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let review = review_by.map(|r| Ts(r.timestamp()));
        let a = tx.insert_article(desk_id, owner, review, now).await?;
        let v = save_version(&mut tx, actor, &a, 1, &draft, &categories, now).await?;
        tx.settle_versions(a.id, 1, None).await?;
        tx.record_article_change(a.id, actor.user_id, "state", None, Some("draft"), now).await?;
        if let Some(t) = &ticket {
            tx.link_article_to_ticket(t.id, a.id, actor.user_id, now).await?;
            tx.record_change(t.id, actor.user_id, "kb_article", None, Some(&a.id.to_string()), now).await?;
        }
        let payload =
            json!({ "title": v.title, "desk_id": desk_id, "source_ticket": ticket.as_ref().map(|t| &t.number) });
        emit(&mut tx, "kb.article_created", format!("kb_article:{}", a.id), actor, payload, now).await?;
        tx.commit().await?;
        ArticleView::of(&a, &v)
    }

    /// Saves a new version. With `expected` (the article's `row_version` as the client read
    /// it), a change made meanwhile is refused rather than overwritten.
    #[tracing::instrument(skip(self, input))]
    pub async fn save_article(
        &self,
        actor: &Actor,
        id: i64,
        expected: Option<i64>,
        input: UpdateArticle,
    ) -> Result<ArticleView> {
        let (current, head) = self.writable_article(actor, id).await?;
        let mut c = Checks::new();
        let draft = ArticleDraft::parse(
            input.title.as_deref().unwrap_or(&head.title),
            input.summary.as_deref().unwrap_or(&head.summary),
            input.body.as_deref().unwrap_or(&head.body),
            input.visibility.as_deref().unwrap_or(head.visibility.as_str()),
            &match &input.tags {
                Some(tags) => tags.clone(),
                None => head.tag_list()?,
            },
            input.note.as_deref().unwrap_or(""),
        );
        let draft = match draft {
            Ok(d) => Some(d),
            Err(inv) => {
                inv.0.into_iter().for_each(|e| c.push(e));
                None
            }
        };
        let review_by = match &input.review_by {
            None => Some(current.review_by),
            Some(None) => Some(None),
            Some(Some(raw)) => c.take(ReviewBy::parse(raw)).map(|r| Some(Ts(r.timestamp()))),
        };
        c.finish()?;
        let (Some(draft), Some(review_by)) = (draft, review_by) else {
            return Err(FieldError::new("body", "invalid", "the article is invalid").into());
        };
        let categories = match &input.categories {
            Some(refs) => self.categories_for(refs, current.desk_id).await?,
            None => head.category_ids()?,
        };
        let owner = match &input.owner {
            Some(r) => Some(self.owner_for(r).await?),
            None => current.owner_id,
        };

        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let before = tx.article_for_update(current.id).await?;
        if expected.is_some_and(|v| v != before.version) {
            return Err(AppError::Conflict {
                code: "stale_version",
                message: format!("the article was changed meanwhile (now at {})", before.version),
            });
        }
        let life =
            Lifecycle { state: before.state, head_version: before.head_version, live_version: before.live_version };
        let saved = life.save().map_err(refused)?;
        let changed = Article {
            state: saved.after.state,
            head_version: saved.version,
            owner_id: owner,
            review_by,
            updated_at: now,
            ..before.clone()
        };
        let after = tx.update_article(&changed).await?.ok_or_else(|| AppError::Conflict {
            code: "concurrent_change",
            message: "the article was changed at the same moment; try again".into(),
        })?;
        let v = save_version(&mut tx, actor, &after, saved.version, &draft, &categories, now).await?;
        tx.settle_versions(after.id, after.head_version, after.live_version).await?;
        tx.record_article_change(
            after.id,
            actor.user_id,
            "version",
            Some(&before.head_version.to_string()),
            Some(&saved.version.to_string()),
            now,
        )
        .await?;
        if before.state != after.state {
            tx.record_article_change(
                after.id,
                actor.user_id,
                "state",
                Some(before.state.as_str()),
                Some(after.state.as_str()),
                now,
            )
            .await?;
        }
        if before.owner_id != after.owner_id {
            let (o, n) = (before.owner_id.map(|x| x.to_string()), after.owner_id.map(|x| x.to_string()));
            tx.record_article_change(after.id, actor.user_id, "owner", o.as_deref(), n.as_deref(), now).await?;
        }
        if before.review_by != after.review_by {
            let show = |t: Option<Ts>| t.map(|t| ReviewBy::of_timestamp(t.0).0.to_string());
            let (o, n) = (show(before.review_by), show(after.review_by));
            tx.record_article_change(after.id, actor.user_id, "review_by", o.as_deref(), n.as_deref(), now).await?;
        }
        let payload = json!({ "version": saved.version, "starts_revision": saved.starts_revision });
        emit(&mut tx, "kb.article_saved", format!("kb_article:{}", after.id), actor, payload, now).await?;
        tx.commit().await?;
        ArticleView::of(&after, &v)
    }

    /// Moves an article through its lifecycle.
    #[tracing::instrument(skip(self, input))]
    pub async fn transition_article(
        &self,
        actor: &Actor,
        id: i64,
        expected: Option<i64>,
        input: TransitionArticle,
    ) -> Result<ArticleView> {
        let (current, _) = self.writable_article(actor, id).await?;
        let to = ArticleState::parse(&input.to).map_err(|e| e.at("to"))?;
        let note = input.note.as_deref().map(str::trim).unwrap_or("");
        if note.chars().count() > 500 {
            return Err(FieldError::new("note", "too_long", "note has at most 500 characters").into());
        }
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let before = tx.article_for_update(current.id).await?;
        if expected.is_some_and(|v| v != before.version) {
            return Err(AppError::Conflict {
                code: "stale_version",
                message: format!("the article was changed meanwhile (now at {})", before.version),
            });
        }
        let life =
            Lifecycle { state: before.state, head_version: before.head_version, live_version: before.live_version };
        let moved = life.move_to(to).map_err(refused)?;
        let changed = Article {
            state: moved.state,
            live_version: moved.live_version,
            published_at: if to == ArticleState::Published { Some(now) } else { before.published_at },
            updated_at: now,
            ..before.clone()
        };
        let after = tx.update_article(&changed).await?.ok_or_else(|| AppError::Conflict {
            code: "concurrent_change",
            message: "the article was changed at the same moment; try again".into(),
        })?;
        tx.settle_versions(after.id, after.head_version, after.live_version).await?;
        let shown = if note.is_empty() { after.state.as_str().to_string() } else { format!("{}: {note}", after.state) };
        tx.record_article_change(after.id, actor.user_id, "state", Some(before.state.as_str()), Some(&shown), now)
            .await?;
        let payload = json!({ "from": before.state, "to": after.state, "live_version": after.live_version });
        emit(&mut tx, "kb.article_state_changed", format!("kb_article:{}", after.id), actor, payload, now).await?;
        tx.commit().await?;
        let v = self.db.article_version(after.id, after.head_version).await?;
        ArticleView::of(&after, &v)
    }

    /// Deletes an article that was never published (published ones are retired instead, so
    /// links from tickets keep working).
    pub async fn delete_article(&self, actor: &Actor, id: i64) -> Result<()> {
        let (a, _) = self.writable_article(actor, id).await?;
        if a.published_at.is_some() {
            return Err(AppError::Conflict {
                code: "article_was_published",
                message: "a published article is retired, not deleted".into(),
            });
        }
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        tx.delete_article(a.id).await?;
        emit(&mut tx, "kb.article_deleted", format!("kb_article:{}", a.id), actor, json!({}), now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Inserts a version of `a` with its text for the index, and adds its words to the
/// vocabulary of corrections.
async fn save_version(
    tx: &mut Tx,
    actor: &Actor,
    a: &Article,
    number: i64,
    d: &ArticleDraft,
    categories: &[i64],
    now: Ts,
) -> Result<Version> {
    let tags: Vec<String> = d.tags.iter().map(|t| t.as_str().to_string()).collect();
    let body_text = plain_text(&d.body);
    let new = NewVersion {
        article_id: a.id,
        number,
        title: &d.title,
        summary: &d.summary,
        body: &d.body,
        body_text: &body_text,
        visibility: d.visibility,
        tags: &tags,
        categories,
        note: &d.note,
        author_id: actor.user_id,
    };
    let v = tx.insert_version(&new, now).await?;
    tx.add_kb_terms(&vocabulary(&v)?).await?;
    Ok(v)
}
