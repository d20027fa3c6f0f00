//! Knowledge articles: CRUD with ETag / If-Match, lifecycle transitions, versions and their
//! comparison, search and suggestions, feedback and deflections, attachments, the report,
//! and the articles of a ticket.

use super::tickets::{file_response, Binary, TicketId};
use crate::extract::{if_match, ApiJson, ApiMultipart, ApiPath, ApiQuery, Caller, Listing};
use crate::openapi::fails;
use crate::problem::ApiResult;
use crate::WebState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Json;
use opsdesk_app::kb::{
    ArticleChangeView, ArticleInput, ArticleRowView, ArticleView, AttachmentUpload, Comparison, FeedbackInput,
    FeedbackView, KbAttachmentView, KbReportView, LinkArticleInput, SearchHitView, SearchInput, SearchResult,
    TicketArticles, TransitionArticle, UpdateArticle, VersionSummary,
};
use opsdesk_domain::kb::ArticleState;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

const UPLOAD_BODY_LIMIT: usize = 110 * 1024 * 1024;

pub fn router() -> OpenApiRouter<WebState> {
    use utoipa_axum::router::UtoipaMethodRouterExt;
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, save, remove))
        .routes(routes!(transition))
        .routes(routes!(versions))
        .routes(routes!(version))
        .routes(routes!(compare))
        .routes(routes!(history))
        .routes(routes!(feedback))
        .routes(routes!(deflection))
        .routes(routes!(attachments, upload).layer(axum::extract::DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)))
        .routes(routes!(download))
        .routes(routes!(search))
        .routes(routes!(suggestions))
        .routes(routes!(report))
        .routes(routes!(ticket_articles, link_article))
        .layer(axum::extract::DefaultBodyLimit::max(2 * 1024 * 1024))
}

const KB: &str = "kb";

/// The article's id, in the path of every article operation.
#[derive(Deserialize, IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
#[allow(dead_code)] // documents the path; handlers read it with `ApiPath`
struct ArticleId(
    /// The article's id.
    i64,
);

/// `If-Match` on an article write.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // documents the header; handlers read it with `if_match`
struct IfMatch {
    /// The ETag of the article as last read (`"7"`; a `W/` prefix is ignored). If the article
    /// changed since, nothing changes and the answer is 409 `stale_version`. Absent or `*`:
    /// apply whatever the version.
    #[param(rename = "If-Match")]
    if_match: Option<String>,
}

fn with_etag(status: StatusCode, a: ArticleView) -> Response {
    let version = a.row_version;
    crate::extract::with_etag(status, a, version)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only articles in this state.
    #[param(value_type = Option<ArticleState>)]
    state: Option<String>,
    /// Only articles of this desk.
    desk: Option<i64>,
    /// Page size, 1 to 200 (50 by default); out-of-range values are clamped.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// The `next` cursor of the previous page.
    after: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/kb/articles", tag = KB, operation_id = "listArticles", summary = "List articles",
    description = "Newest first. Requesters see only published public articles.",
    params(ListQuery),
    responses((status = 200, description = "A page of articles.", body = Listing<ArticleRowView>),
        fails::BadRequest, fails::Invalid),
)]
async fn list(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Listing<ArticleRowView>>> {
    let page = crate::extract::Page { limit: q.limit, after: q.after };
    let limit = page.limit().min(200);
    let before = match page.after_id()? {
        0 => None,
        n => Some(n),
    };
    let rows = s.app.list_articles(&auth.actor, q.state.as_deref(), q.desk, before, limit).await?;
    Ok(Json(Listing::by_id(rows.iter().map(ArticleRowView::from).collect(), limit, |a| a.id)))
}

#[utoipa::path(
    post, path = "/api/v1/kb/articles", tag = KB, operation_id = "createArticle", summary = "Write an article",
    description = "Agents and admins. The article starts as a draft (version 1).",
    request_body = ArticleInput,
    responses((status = 201, description = "The new article.", body = ArticleView,
        headers(("ETag" = String, description = "The article's `row_version` (`\"3\"`)."), ("Location" = String, description = "The URL of the article."))), fails::Conflict),
)]
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

#[utoipa::path(
    get, path = "/api/v1/kb/articles/{id}", tag = KB, operation_id = "getArticle", summary = "Read an article",
    description = "Counts a view. Requesters get the live version of a public article, or 404.",
    params(ArticleId),
    responses((status = 200, description = "The article.", body = ArticleView, headers(("ETag" = String, description = "The article's `row_version` (`\"3\"`)."))), fails::NotFound),
)]
async fn show(State(s): State<WebState>, Caller(auth): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Response> {
    Ok(with_etag(StatusCode::OK, s.app.read_article(&auth.actor, id).await?))
}

#[utoipa::path(
    patch, path = "/api/v1/kb/articles/{id}", tag = KB, operation_id = "saveArticle", summary = "Save a new version",
    description = "`If-Match` with the ETag refuses a save over a change made meanwhile (409 `stale_version`).",
    params(ArticleId, IfMatch),
    request_body = UpdateArticle,
    responses((status = 200, description = "The article at its new version.", body = ArticleView, headers(("ETag" = String, description = "The article's `row_version` (`\"3\"`)."))),
        fails::BadRequest, fails::NotFound, fails::Conflict),
)]
async fn save(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UpdateArticle>,
) -> ApiResult<Response> {
    let expected = if_match(&headers, "the article")?;
    Ok(with_etag(StatusCode::OK, s.app.save_article(&auth.actor, id, expected, body).await?))
}

#[utoipa::path(
    delete, path = "/api/v1/kb/articles/{id}", tag = KB, operation_id = "deleteArticle",
    summary = "Delete a never-published article",
    description = "A published article is retired instead (409 `article_was_published`).",
    params(ArticleId),
    responses((status = 204, description = "Deleted."), fails::NotFound, fails::Conflict),
)]
async fn remove(State(s): State<WebState>, Caller(auth): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    s.app.delete_article(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post, path = "/api/v1/kb/articles/{id}/transitions", tag = KB, operation_id = "transitionArticle",
    summary = "Move an article through its lifecycle",
    description = "An illegal move answers 422 `illegal_transition` with the allowed states.",
    params(ArticleId, IfMatch),
    request_body = TransitionArticle,
    responses((status = 200, description = "The article in its new state.", body = ArticleView, headers(("ETag" = String, description = "The article's `row_version` (`\"3\"`)."))),
        fails::BadRequest, fails::NotFound, fails::Conflict),
)]
async fn transition(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TransitionArticle>,
) -> ApiResult<Response> {
    let expected = if_match(&headers, "the article")?;
    Ok(with_etag(StatusCode::OK, s.app.transition_article(&auth.actor, id, expected, body).await?))
}

#[utoipa::path(
    get, path = "/api/v1/kb/articles/{id}/versions", tag = KB, operation_id = "listArticleVersions",
    summary = "Versions of an article", description = "Newest first; agents and admins.",
    params(ArticleId),
    responses((status = 200, description = "The versions (one page).", body = Listing<VersionSummary>),
        fails::Forbidden, fails::NotFound),
)]
async fn versions(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Listing<VersionSummary>>> {
    Ok(Json(Listing::all(s.app.article_versions(&auth.actor, id).await?)))
}

#[utoipa::path(
    get, path = "/api/v1/kb/articles/{id}/versions/{number}", tag = KB, operation_id = "getArticleVersion",
    summary = "One version in full", description = "Agents and admins.",
    params(ArticleId, ("number" = i64, Path, description = "The version's number.")),
    responses((status = 200, description = "The article at that version.", body = ArticleView),
        fails::Forbidden, fails::NotFound),
)]
async fn version(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath((id, number)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<ArticleView>> {
    Ok(Json(s.app.article_at_version(&auth.actor, id, number).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct CompareQuery {
    /// The older version's number.
    from: i64,
    /// The newer version's number.
    to: i64,
}

#[utoipa::path(
    get, path = "/api/v1/kb/articles/{id}/compare", tag = KB, operation_id = "compareArticleVersions",
    summary = "Compare two versions side by side", description = "Agents and admins.",
    params(ArticleId, CompareQuery),
    responses((status = 200, description = "The differences.", body = Comparison),
        fails::BadRequest, fails::Forbidden, fails::NotFound),
)]
async fn compare(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<CompareQuery>,
) -> ApiResult<Json<Comparison>> {
    Ok(Json(s.app.compare_versions(&auth.actor, id, q.from, q.to).await?))
}

#[utoipa::path(
    get, path = "/api/v1/kb/articles/{id}/history", tag = KB, operation_id = "getArticleHistory",
    summary = "History of an article", description = "Agents and admins.",
    params(ArticleId),
    responses((status = 200, description = "Who changed what, oldest first (one page).", body = Listing<ArticleChangeView>),
        fails::Forbidden, fails::NotFound),
)]
async fn history(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Listing<ArticleChangeView>>> {
    let items = s.app.article_history(&auth.actor, id).await?;
    Ok(Json(Listing::all(items.iter().map(ArticleChangeView::from).collect())))
}

#[utoipa::path(
    post, path = "/api/v1/kb/articles/{id}/feedback", tag = KB, operation_id = "giveArticleFeedback",
    summary = "Helpful or not",
    params(ArticleId),
    request_body = FeedbackInput,
    responses((status = 201, description = "The feedback.", body = FeedbackView), fails::NotFound),
)]
async fn feedback(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<FeedbackInput>,
) -> ApiResult<(StatusCode, Json<FeedbackView>)> {
    Ok((StatusCode::CREATED, Json(FeedbackView::from(&s.app.article_feedback(&auth.actor, id, body).await?))))
}

/// "This solved it".
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = KbDeflection)]
struct DeflectionInput {
    /// What the reader had typed; control characters are dropped and it is cut at 300
    /// characters.
    #[serde(default)]
    query: String,
}

#[utoipa::path(
    post, path = "/api/v1/kb/articles/{id}/deflections", tag = KB, operation_id = "recordDeflection",
    summary = "This solved it",
    description = "Records that the article answered the reader, so no ticket is needed.",
    params(ArticleId),
    request_body = DeflectionInput,
    responses((status = 204, description = "Recorded."), fails::NotFound),
)]
async fn deflection(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DeflectionInput>,
) -> ApiResult<StatusCode> {
    s.app.record_deflection(&auth.actor, id, &body.query).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get, path = "/api/v1/kb/articles/{id}/attachments", tag = KB, operation_id = "listArticleAttachments",
    summary = "Files of an article",
    params(ArticleId),
    responses((status = 200, description = "The files (one page).", body = Listing<KbAttachmentView>), fails::NotFound),
)]
async fn attachments(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Listing<KbAttachmentView>>> {
    let items = s.app.article_attachments(&auth.actor, id).await?;
    Ok(Json(Listing::all(items.iter().map(KbAttachmentView::from).collect())))
}

/// An article's file: `multipart/form-data` with a `file` part.
#[derive(ToSchema)]
#[schema(as = KbUpload)]
#[allow(dead_code)] // documents the form `read_upload` reads
struct KbUpload {
    /// The file; its name is cleaned and only displayed.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[utoipa::path(
    post, path = "/api/v1/kb/articles/{id}/attachments", tag = KB, operation_id = "uploadArticleAttachment",
    summary = "Attach a file or image",
    description = "Agents and admins, up to the attachment limit of the ticket settings. Link images in the body as \
                   `![](/api/v1/kb/articles/{id}/attachments/{attachment_id})`.",
    params(ArticleId),
    request_body(content = KbUpload, content_type = "multipart/form-data"),
    responses((status = 201, description = "The file.", body = KbAttachmentView),
        fails::BadRequest, fails::NotFound, fails::TooLarge, fails::Invalid),
)]
async fn upload(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiMultipart(form): ApiMultipart,
) -> ApiResult<(StatusCode, Json<KbAttachmentView>)> {
    // Article attachments are as visible as their article; a `public` part means nothing here.
    let (filename, content_type, data, _) = super::tickets::read_upload(form).await?;
    let file = AttachmentUpload { filename, content_type, data };
    Ok((StatusCode::CREATED, Json(KbAttachmentView::from(&s.app.add_article_attachment(&auth.actor, id, file).await?))))
}

#[utoipa::path(
    get, path = "/api/v1/kb/articles/{id}/attachments/{attachment_id}", tag = KB,
    operation_id = "downloadArticleAttachment", summary = "Download a file of an article",
    description = "Always `Content-Disposition: attachment`, `nosniff` and sandboxed; served as \
                   `application/octet-stream` unless it is an image, a PDF or plain text.",
    params(ArticleId, ("attachment_id" = i64, Path, description = "The file's id.")),
    responses((status = 200, description = "The file.", content_type = "application/octet-stream", body = Binary),
        fails::NotFound),
)]
async fn download(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath((id, attachment_id)): ApiPath<(i64, i64)>,
) -> ApiResult<Response> {
    let (a, data) = s.app.article_attachment(&auth.actor, id, attachment_id).await?;
    Ok(file_response(&a.filename, &a.content_type, data))
}

#[utoipa::path(
    get, path = "/api/v1/kb/search", tag = KB, operation_id = "searchArticles", summary = "Search articles",
    description = "Ranked full-text search with stemming; every word must match. When nothing matches, mistyped \
                   words are corrected (one edit for words of 4-7 letters, two from 8) and, failing that, articles \
                   with any of the words are returned (`matched: any`). Searches that find nothing are kept for the \
                   report. Requesters find only published public articles.",
    params(SearchInput),
    responses((status = 200, description = "The best matches.", body = SearchResult), fails::BadRequest, fails::Invalid),
)]
async fn search(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(q): ApiQuery<SearchInput>,
) -> ApiResult<Json<SearchResult>> {
    Ok(Json(s.app.search_articles(&auth.actor, &q).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SuggestQuery {
    /// The text typed so far.
    #[serde(default)]
    q: String,
    /// At most this many, 1 to 10 (5 by default); out-of-range values are clamped.
    #[param(minimum = 1, maximum = 10)]
    limit: Option<i64>,
}

#[utoipa::path(
    get, path = "/api/v1/kb/suggestions", tag = KB, operation_id = "suggestArticles",
    summary = "Articles for what is being typed",
    description = "Any word matches, the last one as a prefix; for a ticket title while it is typed.",
    params(SuggestQuery),
    responses((status = 200, description = "The best matches (one page).", body = Listing<SearchHitView>), fails::BadRequest),
)]
async fn suggestions(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(q): ApiQuery<SuggestQuery>,
) -> ApiResult<Json<Listing<SearchHitView>>> {
    Ok(Json(Listing::all(s.app.suggest_articles(&auth.actor, &q.q, q.limit.unwrap_or(5)).await?)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ReportQuery {
    /// Deflections are counted over this many days, 1 to 3650 (30 by default); out-of-range
    /// values are clamped.
    #[param(minimum = 1, maximum = 3650)]
    days: Option<i64>,
}

#[utoipa::path(
    get, path = "/api/v1/kb/report", tag = KB, operation_id = "getKbReport", summary = "Knowledge report",
    description = "Agents and admins.",
    params(ReportQuery),
    responses((status = 200, description = "The report.", body = KbReportView), fails::BadRequest, fails::Forbidden),
)]
async fn report(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<KbReportView>> {
    Ok(Json(KbReportView::from(&s.app.kb_report(&auth.actor, q.days.unwrap_or(30)).await?)))
}

#[utoipa::path(
    get, path = "/api/v1/tickets/{id}/articles", tag = KB, operation_id = "getTicketArticles",
    summary = "Articles of a ticket",
    description = "Articles linked to the ticket as its solution, and (agents only) those its text suggests.",
    params(TicketId),
    responses((status = 200, description = "Linked and suggested articles.", body = TicketArticles), fails::NotFound),
)]
async fn ticket_articles(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TicketArticles>> {
    Ok(Json(s.app.ticket_articles(&auth.actor, &id).await?))
}

#[utoipa::path(
    post, path = "/api/v1/tickets/{id}/articles", tag = KB, operation_id = "linkTicketArticle",
    summary = "Link an article as the ticket's solution",
    description = "Agents who work the ticket. An unknown article is a field error (422 `unknown`); a link that \
                   exists answers 409 `link_exists`.",
    params(TicketId),
    request_body = LinkArticleInput,
    responses((status = 201, description = "The linked article.", body = ArticleView), fails::NotFound, fails::Conflict),
)]
async fn link_article(
    State(s): State<WebState>,
    Caller(auth): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<LinkArticleInput>,
) -> ApiResult<(StatusCode, Json<ArticleView>)> {
    Ok((StatusCode::CREATED, Json(s.app.link_article(&auth.actor, &id, body.article).await?)))
}
