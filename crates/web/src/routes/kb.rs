//! Knowledge articles: CRUD with ETag / If-Match, lifecycle transitions, versions and their
//! comparison, search and suggestions, feedback and deflections, attachments, the report,
//! and the articles of a ticket.

use super::tickets::file_response;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, Listing};
use crate::problem::{ApiResult, Problem};
use crate::WebState;
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use opsdesk_app::kb::{
    ArticleInput, ArticleView, AttachmentUpload, FeedbackInput, LinkArticleInput, SearchInput, TransitionArticle,
    UpdateArticle,
};
use serde::Deserialize;
use serde_json::json;

const UPLOAD_BODY_LIMIT: usize = 110 * 1024 * 1024;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/api/v1/kb/articles", get(list).post(create))
        .route("/api/v1/kb/articles/{id}", get(show).patch(save).delete(remove))
        .route("/api/v1/kb/articles/{id}/transitions", post(transition))
        .route("/api/v1/kb/articles/{id}/versions", get(versions))
        .route("/api/v1/kb/articles/{id}/versions/{number}", get(version))
        .route("/api/v1/kb/articles/{id}/compare", get(compare))
        .route("/api/v1/kb/articles/{id}/history", get(history))
        .route("/api/v1/kb/articles/{id}/feedback", post(feedback))
        .route("/api/v1/kb/articles/{id}/deflections", post(deflection))
        .route(
            "/api/v1/kb/articles/{id}/attachments",
            get(attachments).post(upload).layer(axum::extract::DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route("/api/v1/kb/articles/{id}/attachments/{attachment_id}", get(download))
        .route("/api/v1/kb/search", get(search))
        .route("/api/v1/kb/suggestions", get(suggestions))
        .route("/api/v1/kb/report", get(report))
        .route("/api/v1/tickets/{id}/articles", get(ticket_articles).post(link_article))
        .layer(axum::extract::DefaultBodyLimit::max(2 * 1024 * 1024))
}

fn with_etag(status: StatusCode, a: ArticleView) -> Response {
    let tag = HeaderValue::from_str(&format!("\"{}\"", a.row_version)).unwrap_or(HeaderValue::from_static("\"0\""));
    let mut res = (status, Json(a)).into_response();
    res.headers_mut().insert(header::ETAG, tag);
    res
}

fn if_match(headers: &HeaderMap) -> Result<Option<i64>, Problem> {
    let Some(v) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let s = v.to_str().unwrap_or("").trim();
    if s == "*" {
        return Ok(None);
    }
    s.trim_start_matches("W/").trim_matches('"').parse().map(Some).map_err(|_| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_if_match",
            "If-Match takes the ETag of the article, such as \"3\"",
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    state: Option<String>,
    desk: Option<i64>,
    limit: Option<i64>,
    after: Option<String>,
}

async fn list(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Listing<opsdesk_store::kb::ArticleRow>>> {
    let page = crate::extract::Page { limit: q.limit, after: q.after };
    let limit = page.limit().min(200);
    let before = match page.after_id()? {
        0 => None,
        n => Some(n),
    };
    let items = s.app.list_articles(&auth.actor, q.state.as_deref(), q.desk, before, limit).await?;
    Ok(Json(Listing::by_id(items, limit, |a| a.id)))
}

async fn create(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiJson(body): ApiJson<ArticleInput>,
) -> ApiResult<Response> {
    let a = s.app.create_article(&auth.actor, body).await?;
    let location = HeaderValue::from_str(&format!("/api/v1/kb/articles/{}", a.id)).ok();
    let mut res = with_etag(StatusCode::CREATED, a);
    if let Some(l) = location {
        res.headers_mut().insert(header::LOCATION, l);
    }
    Ok(res)
}

async fn show(State(s): State<WebState>, Caller(auth): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Response> {
    Ok(with_etag(StatusCode::OK, s.app.read_article(&auth.actor, id).await?))
}

async fn save(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UpdateArticle>,
) -> ApiResult<Response> {
    let expected = if_match(&headers)?;
    Ok(with_etag(StatusCode::OK, s.app.save_article(&auth.actor, id, expected, body).await?))
}

async fn remove(State(s): State<WebState>, Caller(auth): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    s.app.delete_article(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn transition(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TransitionArticle>,
) -> ApiResult<Response> {
    let expected = if_match(&headers)?;
    Ok(with_etag(StatusCode::OK, s.app.transition_article(&auth.actor, id, expected, body).await?))
}

async fn versions(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<serde_json::Value>> {
    let items = s.app.article_versions(&auth.actor, id).await?;
    Ok(Json(json!({ "items": items, "next": null })))
}

async fn version(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath((id, number)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<ArticleView>> {
    Ok(Json(s.app.article_at_version(&auth.actor, id, number).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompareQuery {
    from: i64,
    to: i64,
}

async fn compare(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<CompareQuery>,
) -> ApiResult<Json<opsdesk_app::kb::Comparison>> {
    Ok(Json(s.app.compare_versions(&auth.actor, id, q.from, q.to).await?))
}

async fn history(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<serde_json::Value>> {
    let items = s.app.article_history(&auth.actor, id).await?;
    Ok(Json(json!({ "items": items, "next": null })))
}

async fn feedback(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<FeedbackInput>,
) -> ApiResult<(StatusCode, Json<opsdesk_store::kb::Feedback>)> {
    Ok((StatusCode::CREATED, Json(s.app.article_feedback(&auth.actor, id, body).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeflectionInput {
    #[serde(default)]
    query: String,
}

async fn deflection(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DeflectionInput>,
) -> ApiResult<StatusCode> {
    s.app.record_deflection(&auth.actor, id, &body.query).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn attachments(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<serde_json::Value>> {
    let items = s.app.article_attachments(&auth.actor, id).await?;
    Ok(Json(json!({ "items": items, "next": null })))
}

/// `multipart/form-data` with a `file` part.
async fn upload(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    form: Multipart,
) -> ApiResult<(StatusCode, Json<opsdesk_store::kb::KbAttachment>)> {
    // Article attachments are as visible as their article; a `public` part means nothing here.
    let (filename, content_type, data, _) = super::tickets::read_upload(form).await?;
    let file = AttachmentUpload { filename, content_type, data };
    Ok((StatusCode::CREATED, Json(s.app.add_article_attachment(&auth.actor, id, file).await?)))
}

async fn download(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath((id, attachment_id)): ApiPath<(i64, i64)>,
) -> ApiResult<Response> {
    let (a, data) = s.app.article_attachment(&auth.actor, id, attachment_id).await?;
    Ok(file_response(&a.filename, &a.content_type, data))
}

async fn search(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(q): ApiQuery<SearchInput>,
) -> ApiResult<Json<opsdesk_app::kb::SearchResult>> {
    Ok(Json(s.app.search_articles(&auth.actor, &q).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuggestQuery {
    #[serde(default)]
    q: String,
    limit: Option<i64>,
}

async fn suggestions(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(q): ApiQuery<SuggestQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let items = s.app.suggest_articles(&auth.actor, &q.q, q.limit.unwrap_or(5)).await?;
    Ok(Json(json!({ "items": items, "next": null })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    days: Option<i64>,
}

async fn report(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<opsdesk_store::kb::KbReport>> {
    Ok(Json(s.app.kb_report(&auth.actor, q.days.unwrap_or(30)).await?))
}

async fn ticket_articles(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<opsdesk_app::kb::TicketArticles>> {
    Ok(Json(s.app.ticket_articles(&auth.actor, &id).await?))
}

async fn link_article(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<LinkArticleInput>,
) -> ApiResult<(StatusCode, Json<ArticleView>)> {
    Ok((StatusCode::CREATED, Json(s.app.link_article(&auth.actor, &id, body.article).await?)))
}
