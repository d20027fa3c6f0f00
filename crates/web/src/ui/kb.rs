//! Knowledge pages for everyone signed in: search with highlighted snippets (`/kb`), an
//! article (`/kb/articles/{id}`) with feedback and "this solved it", and for agents the
//! lifecycle buttons, the versions and two versions side by side. Requesters see only live
//! public articles, by the same application commands as the API.

use super::{app_error, describe, signed_in, FormPost, Nav, UploadPost};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use opsdesk_app::kb::{
    ArticleView, Comparison, FeedbackInput, SearchHitView, SearchInput, TransitionArticle, VersionSummary,
};
use opsdesk_domain::kb::ArticleState;
use serde::Deserialize;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/kb", get(search))
        .route("/kb/search-first", post(search_first))
        .route("/kb/new", get(new_form).post(create))
        .route("/kb/report", get(report))
        .route("/kb/articles/{id}", get(article))
        .route("/kb/articles/{id}/edit", get(edit_form).post(save))
        .route("/kb/tickets/{number}/link", post(link_to_ticket))
        .route("/kb/articles/{id}/compare", get(compare))
        .route("/kb/articles/{id}/feedback", post(feedback))
        .route("/kb/articles/{id}/solved", post(solved))
        .route("/kb/articles/{id}/transitions", post(transition))
}

#[derive(Template, WebTemplate)]
#[template(path = "kb/search.html")]
struct SearchPage {
    nav: Nav,
    q: String,
    corrected: Option<String>,
    partial: bool,
    hits: Vec<SearchHitView>,
    searched: bool,
    from_new_ticket: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "kb/article.html")]
struct ArticlePage {
    nav: Nav,
    a: ArticleView,
    /// Sanitised by ammonia in the domain; the one place a page shows HTML it did not escape.
    body_html: String,
    state: String,
    moves: Vec<(String, String)>,
    versions: Vec<VersionSummary>,
    q: String,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "kb/compare.html")]
struct ComparePage {
    nav: Nav,
    title: String,
    c: Comparison,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    q: Option<String>,
}

async fn search(State(s): State<WebState>, jar: CookieJar, uri: Uri, Query(q): Query<SearchQuery>) -> Response {
    let auth = match signed_in(&s, &jar, &uri).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    search_page(&s, &auth, q.q.unwrap_or_default(), false).await
}

/// The new-ticket form's "search the knowledge base first" button (the no-script way to the
/// suggestions): its title becomes the query. A post, so the form's CSRF token stays out of
/// URLs.
async fn search_first(State(s): State<WebState>, post: UploadPost) -> Response {
    let text = post.fields.get("title").unwrap_or("").to_string();
    search_page(&s, &post.auth, text, true).await
}

async fn search_page(
    s: &WebState,
    auth: &opsdesk_app::auth::Authenticated,
    text: String,
    from_new_ticket: bool,
) -> Response {
    let mut page = SearchPage {
        nav: Nav::of(auth),
        q: text.clone(),
        corrected: None,
        partial: false,
        hits: Vec::new(),
        searched: !text.trim().is_empty(),
        from_new_ticket,
    };
    if page.searched {
        match s.app.search_articles(&auth.actor, &SearchInput { q: text, ..Default::default() }).await {
            Ok(r) => {
                page.corrected = r.corrected_query;
                page.partial = r.matched == opsdesk_app::kb::Matched::Any;
                page.hits = r.items;
            }
            Err(e) => return app_error(Some(Nav::of(auth)), e),
        }
    }
    page.into_response()
}

#[derive(Deserialize)]
struct ArticleQuery {
    q: Option<String>,
}

async fn render(
    s: &WebState,
    auth: &opsdesk_app::auth::Authenticated,
    id: i64,
    q: String,
    notice: Option<String>,
    error: Option<String>,
    count_view: bool,
) -> Response {
    let nav = Nav::of(auth);
    let found =
        if count_view { s.app.read_article(&auth.actor, id).await } else { s.app.article_view(&auth.actor, id).await };
    let a = match found {
        Ok(a) => a,
        Err(e) => return app_error(Some(nav), e),
    };
    let (moves, versions) = if nav.agent {
        let moves = a
            .state
            .allowed()
            .iter()
            .map(|m| {
                let label = match m {
                    ArticleState::Draft => "Back to draft",
                    ArticleState::InReview => "Submit for review",
                    ArticleState::Published => "Publish",
                    ArticleState::Retired => "Retire",
                };
                (m.as_str().to_string(), label.to_string())
            })
            .collect();
        (moves, s.app.article_versions(&auth.actor, id).await.unwrap_or_default())
    } else {
        (Vec::new(), Vec::new())
    };
    ArticlePage {
        nav,
        body_html: a.body_html.clone(),
        state: a.state.as_str().replace('_', " "),
        a,
        moves,
        versions,
        q,
        notice,
        error,
    }
    .into_response()
}

async fn article(
    State(s): State<WebState>,
    jar: CookieJar,
    uri: Uri,
    Path(id): Path<i64>,
    Query(q): Query<ArticleQuery>,
) -> Response {
    let auth = match signed_in(&s, &jar, &uri).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    render(&s, &auth, id, q.q.unwrap_or_default(), None, None, true).await
}

#[derive(Deserialize)]
struct CompareQuery {
    from: Option<i64>,
    to: Option<i64>,
}

async fn compare(
    State(s): State<WebState>,
    jar: CookieJar,
    uri: Uri,
    Path(id): Path<i64>,
    Query(q): Query<CompareQuery>,
) -> Response {
    let auth = match signed_in(&s, &jar, &uri).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let nav = Nav::of(&auth);
    let head = match s.app.article_view(&auth.actor, id).await {
        Ok(a) => a,
        Err(e) => return app_error(Some(nav), e),
    };
    let to = q.to.unwrap_or(head.head_version);
    let from = q.from.unwrap_or((to - 1).max(1));
    match s.app.compare_versions(&auth.actor, id, from, to).await {
        Ok(c) => ComparePage { nav, title: head.title, c }.into_response(),
        Err(e) => app_error(Some(nav), e),
    }
}

async fn feedback(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let input = FeedbackInput {
        helpful: fields.get("helpful") == Some("yes"),
        comment: fields.get("comment").unwrap_or("").to_string(),
    };
    match s.app.article_feedback(&auth.actor, id, input).await {
        Ok(_) => render(&s, &auth, id, String::new(), Some("Thank you for the feedback.".into()), None, false).await,
        Err(e) => render(&s, &auth, id, String::new(), None, Some(describe(&e)), false).await,
    }
}

/// "This solved it": recorded as a deflection; the requester goes home without a ticket.
async fn solved(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    match s.app.record_deflection(&auth.actor, id, fields.get("q").unwrap_or("")).await {
        Ok(()) => Redirect::to(super::home_for(auth.user.role)).into_response(),
        Err(e) => render(&s, &auth, id, String::new(), None, Some(describe(&e)), false).await,
    }
}

async fn transition(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let input = TransitionArticle { to: fields.get("to").unwrap_or("").to_string(), note: None };
    match s.app.transition_article(&auth.actor, id, None, input).await {
        Ok(a) => {
            let msg = format!("The article is now {}.", a.state.as_str().replace('_', " "));
            render(&s, &auth, id, String::new(), Some(msg), None, false).await
        }
        Err(e) => render(&s, &auth, id, String::new(), None, Some(describe(&e)), false).await,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "kb/edit.html")]
struct EditPage {
    nav: Nav,
    /// `None` for a new article.
    id: Option<i64>,
    row_version: i64,
    title: String,
    summary: String,
    body: String,
    visibility: String,
    tags: String,
    review_by: String,
    source_ticket: String,
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewQuery {
    ticket: Option<String>,
}

/// The form for a new article; `?ticket=INC-7` prefills it from the ticket's problem and
/// resolution.
async fn new_form(State(s): State<WebState>, jar: CookieJar, uri: Uri, Query(q): Query<NewQuery>) -> Response {
    let auth = match super::agent_only(&s, &jar, &uri).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let input = match q.ticket.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(t) => match s.app.article_input_from_ticket(&auth.actor, t).await {
            Ok(i) => i,
            Err(e) => return app_error(Some(Nav::of(&auth)), e),
        },
        None => Default::default(),
    };
    EditPage {
        nav: Nav::of(&auth),
        id: None,
        row_version: 0,
        title: input.title,
        summary: input.summary,
        body: input.body,
        visibility: input.visibility.unwrap_or_else(|| "internal".into()),
        tags: String::new(),
        review_by: String::new(),
        source_ticket: input.source_ticket.unwrap_or_default(),
        error: None,
    }
    .into_response()
}

fn tags_of(raw: &str) -> Vec<String> {
    raw.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect()
}

fn page_of(nav: Nav, id: Option<i64>, row_version: i64, f: &super::form::Fields, error: String) -> Response {
    EditPage {
        nav,
        id,
        row_version,
        title: f.raw("title").to_string(),
        summary: f.raw("summary").to_string(),
        body: f.raw("body").to_string(),
        visibility: f.get("visibility").unwrap_or("internal").to_string(),
        tags: f.raw("tags").to_string(),
        review_by: f.raw("review_by").to_string(),
        source_ticket: f.raw("source_ticket").to_string(),
        error: Some(error),
    }
    .into_response()
}

async fn create(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let input = opsdesk_app::kb::ArticleInput {
        title: fields.raw("title").to_string(),
        summary: fields.raw("summary").to_string(),
        body: fields.raw("body").replace("\r\n", "\n"),
        visibility: fields.get("visibility").map(str::to_string),
        tags: tags_of(fields.raw("tags")),
        review_by: fields.get("review_by").map(str::to_string),
        source_ticket: fields.get("source_ticket").map(str::to_string),
        ..Default::default()
    };
    match s.app.create_article(&auth.actor, input).await {
        Ok(a) => Redirect::to(&format!("/kb/articles/{}", a.id)).into_response(),
        Err(e) => page_of(Nav::of(&auth), None, 0, &fields, describe(&e)),
    }
}

async fn edit_form(State(s): State<WebState>, jar: CookieJar, uri: Uri, Path(id): Path<i64>) -> Response {
    let auth = match super::agent_only(&s, &jar, &uri).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match s.app.article_view(&auth.actor, id).await {
        Ok(a) => EditPage {
            nav: Nav::of(&auth),
            id: Some(a.id),
            row_version: a.row_version,
            title: a.title,
            summary: a.summary,
            body: a.body,
            visibility: a.visibility.as_str().into(),
            tags: a.tags.join(", "),
            review_by: a.review_by.unwrap_or_default(),
            source_ticket: String::new(),
            error: None,
        }
        .into_response(),
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}

/// Saves a new version; a change made meanwhile by someone else is shown, not overwritten.
async fn save(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let expected = fields.get("row_version").and_then(|v| v.parse().ok());
    let review = fields.get("review_by").map(str::to_string);
    let input = opsdesk_app::kb::UpdateArticle {
        title: Some(fields.raw("title").to_string()),
        summary: Some(fields.raw("summary").to_string()),
        body: Some(fields.raw("body").replace("\r\n", "\n")),
        visibility: fields.get("visibility").map(str::to_string),
        tags: Some(tags_of(fields.raw("tags"))),
        review_by: Some(review),
        note: fields.get("note").map(str::to_string),
        ..Default::default()
    };
    match s.app.save_article(&auth.actor, id, expected, input).await {
        Ok(a) => Redirect::to(&format!("/kb/articles/{}", a.id)).into_response(),
        Err(e) => page_of(Nav::of(&auth), Some(id), expected.unwrap_or(0), &fields, describe(&e)),
    }
}

/// Links an article to a ticket as its solution, from the ticket's page.
async fn link_to_ticket(State(s): State<WebState>, Path(number): Path<String>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let Some(article) = fields.get("article").and_then(|a| a.parse::<i64>().ok()) else {
        return super::error_page(axum::http::StatusCode::UNPROCESSABLE_ENTITY, Some(Nav::of(&auth)), "No article.");
    };
    match s.app.link_article(&auth.actor, &number, article).await {
        Ok(_) => Redirect::to(&format!("/agent/tickets/{number}#knowledge")).into_response(),
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "kb/report.html")]
struct ReportPage {
    nav: Nav,
    r: opsdesk_store::kb::KbReport,
}

/// What is read, what helps, what deflects tickets, and what people searched for in vain.
async fn report(State(s): State<WebState>, jar: CookieJar, uri: Uri) -> Response {
    let auth = match super::agent_only(&s, &jar, &uri).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match s.app.kb_report(&auth.actor, 30).await {
        Ok(r) => ReportPage { nav: Nav::of(&auth), r }.into_response(),
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}
