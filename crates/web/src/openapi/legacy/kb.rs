//! The knowledge base part of the OpenAPI document: `/api/v1/kb/...` and the articles of a
//! ticket.

use super::*;

const STATES: [&str; 4] = ["draft", "in_review", "published", "retired"];

pub(super) fn schemas(add: &mut impl FnMut(&str, Value)) {
    let state = enumeration(&STATES);
    let visibility = enumeration(&["public", "internal"]);
    let tags = array(string());
    add(
        "Article",
        record(
            "A knowledge article and the content of one version: the newest (head) for agents, the live \
             (published) one for requesters. `row_version` is its ETag.",
            vec![
                ("id", int()),
                ("desk_id", int()),
                ("state", doc(state.clone(), "The state of the newest version.")),
                ("version", doc(int(), "The number of the version shown.")),
                ("head_version", int()),
                ("live_version", doc(int_or_null(), "The published version readers see, if any.")),
                ("revision_pending", doc(boolean(), "A revision is worked on while the live version stays.")),
                ("title", string()),
                ("summary", string()),
                ("body", doc(string(), "Markdown.")),
                ("body_html", doc(string(), "The body rendered and sanitised.")),
                ("visibility", visibility.clone()),
                ("tags", tags.clone()),
                ("categories", array(int())),
                ("owner_id", int_or_null()),
                ("review_by", doc(string_or_null(), "`YYYY-MM-DD`; the owner is reminded when it passes.")),
                ("views", int()),
                ("helpful", int()),
                ("not_helpful", int()),
                ("deflections", int()),
                ("row_version", int()),
                ("created_at", time()),
                ("updated_at", time()),
                ("published_at", time_or_null()),
            ],
        ),
    );
    add(
        "ArticleRow",
        record(
            "An article in a list.",
            vec![
                ("id", int()),
                ("desk_id", int()),
                ("state", state.clone()),
                ("head_version", int()),
                ("live_version", int_or_null()),
                ("title", string()),
                ("summary", string()),
                ("visibility", visibility.clone()),
                ("owner_id", int_or_null()),
                ("review_by", time_or_null()),
                ("views", int()),
                ("updated_at", time()),
            ],
        ),
    );
    add("ArticlePage", listing("ArticleRow", true));
    let refs = array(json!({ "oneOf": [int(), string()] }));
    add(
        "CreateArticle",
        input(
            "A new article: version 1, a draft.",
            &["title", "body"],
            vec![
                ("title", string()),
                ("summary", string()),
                ("body", doc(string(), "Markdown.")),
                ("desk", doc(json!({ "oneOf": [int(), string()] }), "Id or name; the first desk by default.")),
                ("visibility", with(visibility.clone(), "default", json!("internal"))),
                ("tags", tags.clone()),
                ("categories", doc(refs.clone(), "Categories of the desk by id or `Parent/Child` path.")),
                ("owner", doc(json!({ "oneOf": [int(), string()] }), "An agent's id or email; the author by default.")),
                ("review_by", doc(string(), "`YYYY-MM-DD`.")),
                ("note", string()),
                ("source_ticket", doc(string(), "A ticket this article solves; it is linked to the article.")),
            ],
        ),
    );
    add(
        "UpdateArticle",
        input(
            "A save: a new version; absent fields keep their value. Saving a published article starts a revision \
             (a draft) while the published version stays live.",
            &[],
            vec![
                ("title", string()),
                ("summary", string()),
                ("body", string()),
                ("visibility", visibility.clone()),
                ("tags", tags.clone()),
                ("categories", refs),
                ("owner", json!({ "oneOf": [int(), string()] })),
                ("review_by", doc(string_or_null(), "`YYYY-MM-DD`, or null to clear.")),
                ("note", doc(string(), "What changed.")),
            ],
        ),
    );
    add(
        "ArticleTransition",
        input(
            "A lifecycle move: draft → in_review → published → retired; in_review → draft; retired → draft.",
            &["to"],
            vec![("to", state.clone()), ("note", string())],
        ),
    );
    add(
        "ArticleVersion",
        record(
            "A saved version.",
            vec![
                ("number", int()),
                ("title", string()),
                ("note", string()),
                ("author_id", int_or_null()),
                ("is_live", boolean()),
                ("is_head", boolean()),
                ("created_at", time()),
            ],
        ),
    );
    add("ArticleVersions", listing("ArticleVersion", false));
    let side = or_null(json!({ "type": "object", "properties": { "line": int(), "text": string() } }));
    add(
        "ArticleComparison",
        record(
            "Two versions side by side.",
            vec![
                ("article_id", int()),
                ("from", int()),
                ("to", int()),
                (
                    "diff",
                    record(
                        "Changed fields and the body line by line.",
                        vec![
                            (
                                "fields",
                                array(record(
                                    "A changed field.",
                                    vec![("field", string()), ("old", string()), ("new", string())],
                                )),
                            ),
                            (
                                "body",
                                array(record(
                                    "A row: the old line, the new line, or both.",
                                    vec![
                                        ("change", enumeration(&["same", "removed", "added", "changed"])),
                                        ("old", side.clone()),
                                        ("new", side),
                                    ],
                                )),
                            ),
                            ("lines_added", int()),
                            ("lines_removed", int()),
                        ],
                    ),
                ),
            ],
        ),
    );
    add(
        "ArticleChange",
        record(
            "A history row of an article.",
            vec![
                ("id", int()),
                ("actor_id", int_or_null()),
                ("field", string()),
                ("old_value", string_or_null()),
                ("new_value", string_or_null()),
                ("created_at", time()),
            ],
        ),
    );
    add("ArticleHistory", listing("ArticleChange", false));
    add(
        "KbHit",
        record(
            "A found article, best first.",
            vec![
                ("id", int()),
                ("version", int()),
                ("title", string()),
                ("summary", string()),
                ("state", state),
                ("visibility", visibility),
                ("desk_id", int()),
                ("score", json!({ "type": "number" })),
                (
                    "snippet",
                    doc(
                        array(record("A part of the excerpt.", vec![("text", string()), ("hit", boolean())])),
                        "The excerpt; parts with `hit` are matched terms to highlight.",
                    ),
                ),
            ],
        ),
    );
    add(
        "KbSearchResult",
        record(
            "Search results.",
            vec![
                ("query", string()),
                ("corrected_query", doc(string_or_null(), "The query with mistyped words corrected, when used.")),
                ("matched", doc(enumeration(&["all", "any"]), "`any` when no article had every word.")),
                ("items", array(schema("KbHit"))),
            ],
        ),
    );
    add("KbSuggestions", listing("KbHit", false));
    add(
        "KbFeedback",
        record(
            "A reader's feedback.",
            vec![
                ("id", int()),
                ("article_id", int()),
                ("version", int()),
                ("user_id", int()),
                ("helpful", boolean()),
                ("comment", string()),
                ("created_at", time()),
            ],
        ),
    );
    add(
        "KbFeedbackInput",
        input(
            "Helpful or not; replaces the caller's earlier feedback.",
            &["helpful"],
            vec![("helpful", boolean()), ("comment", string())],
        ),
    );
    add(
        "KbDeflection",
        input("\"This solved it\".", &[], vec![("query", doc(string(), "What the reader had typed."))]),
    );
    add(
        "KbAttachment",
        record(
            "A file of an article.",
            vec![
                ("id", int()),
                ("article_id", int()),
                ("filename", string()),
                ("content_type", string()),
                ("size", int()),
                ("uploaded_by", int_or_null()),
                ("created_at", time()),
            ],
        ),
    );
    add("KbAttachments", listing("KbAttachment", false));
    add(
        "KbReport",
        json!({ "type": "object", "description": "Most viewed, most deflecting and least helpful articles, searches that found nothing, recent feedback comments, deflection counts and articles by state." }),
    );
    add(
        "TicketArticles",
        record(
            "Articles linked to a ticket as its solution, and those its text suggests (agents only).",
            vec![("linked", array(schema("Article"))), ("suggested", array(schema("KbHit")))],
        ),
    );
    add("LinkArticle", input("An article to link as the ticket's solution.", &["article"], vec![("article", int())]));
}

fn article_response(description: &str) -> Value {
    let mut r = json_response(description, schema("Article"));
    r["headers"] = json!({ "ETag": { "$ref": "#/components/headers/ETag" } });
    r
}

pub(super) fn paths(p: &mut Map<String, Value>) {
    let article = path_id("id", "The article's id.");
    let int_query = |name: &str, d: &str| query(name, d, int());
    item(
        p,
        "/api/v1/kb/articles",
        &[],
        vec![
            (
                "get",
                op("kb", "listArticles", "List articles")
                    .about("Newest first. Requesters see only published public articles.")
                    .params([
                        query("state", "Only articles in this state.", enumeration(&STATES)),
                        int_query("desk", "Only articles of this desk."),
                    ])
                    .params(paging())
                    .json("200", "A page of articles.", "ArticlePage")
                    .fail(&[Fail::BadRequest, Fail::Invalid]),
            ),
            (
                "post",
                op("kb", "createArticle", "Write an article")
                    .about("Agents and admins. The article starts as a draft (version 1).")
                    .body("CreateArticle")
                    .answer("201", article_response("The new article."))
                    .fail(&[Fail::Conflict]),
            ),
        ],
    );
    item(
        p,
        "/api/v1/kb/articles/{id}",
        std::slice::from_ref(&article),
        vec![
            (
                "get",
                op("kb", "getArticle", "Read an article")
                    .about("Counts a view. Requesters get the live version of a public article, or 404.")
                    .answer("200", article_response("The article."))
                    .fail(&[Fail::NotFound]),
            ),
            (
                "patch",
                op("kb", "saveArticle", "Save a new version")
                    .about(
                        "`If-Match` with the ETag refuses a save over a change made meanwhile (409 `stale_version`).",
                    )
                    .param(param_ref("IfMatch"))
                    .body("UpdateArticle")
                    .answer("200", article_response("The article at its new version."))
                    .fail(&[Fail::NotFound, Fail::Conflict]),
            ),
            (
                "delete",
                op("kb", "deleteArticle", "Delete a never-published article")
                    .about("A published article is retired instead (409 `article_was_published`).")
                    .empty("Deleted.")
                    .fail(&[Fail::NotFound, Fail::Conflict]),
            ),
        ],
    );
    item(
        p,
        "/api/v1/kb/articles/{id}/transitions",
        std::slice::from_ref(&article),
        vec![(
            "post",
            op("kb", "transitionArticle", "Move an article through its lifecycle")
                .about("An illegal move answers 422 `illegal_transition` with the allowed states.")
                .param(param_ref("IfMatch"))
                .body("ArticleTransition")
                .answer("200", article_response("The article in its new state."))
                .fail(&[Fail::NotFound, Fail::Conflict]),
        )],
    );
    item(
        p,
        "/api/v1/kb/articles/{id}/versions",
        std::slice::from_ref(&article),
        vec![(
            "get",
            op("kb", "listArticleVersions", "Versions of an article")
                .about("Newest first; agents and admins.")
                .json("200", "The versions.", "ArticleVersions")
                .fail(&[Fail::NotFound, Fail::Forbidden]),
        )],
    );
    item(
        p,
        "/api/v1/kb/articles/{id}/versions/{number}",
        &[article.clone(), path_id("number", "The version's number.")],
        vec![(
            "get",
            op("kb", "getArticleVersion", "One version in full")
                .json("200", "The article at that version.", "Article")
                .fail(&[Fail::NotFound, Fail::Forbidden]),
        )],
    );
    item(
        p,
        "/api/v1/kb/articles/{id}/compare",
        std::slice::from_ref(&article),
        vec![(
            "get",
            op("kb", "compareArticleVersions", "Compare two versions side by side")
                .params([
                    with(int_query("from", "The older version."), "required", json!(true)),
                    with(int_query("to", "The newer version."), "required", json!(true)),
                ])
                .json("200", "The differences.", "ArticleComparison")
                .fail(&[Fail::BadRequest, Fail::NotFound, Fail::Forbidden]),
        )],
    );
    item(
        p,
        "/api/v1/kb/articles/{id}/history",
        std::slice::from_ref(&article),
        vec![(
            "get",
            op("kb", "getArticleHistory", "History of an article")
                .json("200", "Who changed what, oldest first.", "ArticleHistory")
                .fail(&[Fail::NotFound, Fail::Forbidden]),
        )],
    );
    item(
        p,
        "/api/v1/kb/articles/{id}/feedback",
        std::slice::from_ref(&article),
        vec![(
            "post",
            op("kb", "giveArticleFeedback", "Helpful or not")
                .body("KbFeedbackInput")
                .json("201", "The feedback.", "KbFeedback")
                .fail(&[Fail::NotFound]),
        )],
    );
    item(
        p,
        "/api/v1/kb/articles/{id}/deflections",
        std::slice::from_ref(&article),
        vec![(
            "post",
            op("kb", "recordDeflection", "This solved it")
                .about("Records that the article answered the reader, so no ticket is needed.")
                .body("KbDeflection")
                .empty("Recorded.")
                .fail(&[Fail::NotFound]),
        )],
    );
    item(
        p,
        "/api/v1/kb/articles/{id}/attachments",
        std::slice::from_ref(&article),
        vec![
            (
                "get",
                op("kb", "listArticleAttachments", "Files of an article")
                    .json("200", "The files.", "KbAttachments")
                    .fail(&[Fail::NotFound]),
            ),
            (
                "post",
                op("kb", "uploadArticleAttachment", "Attach a file or image")
                    .about("`multipart/form-data` with the part `file`. Link images in the body as `![](/api/v1/kb/articles/{id}/attachments/{attachment_id})`.")
                    .request(json!({
                        "required": true,
                        "content": { "multipart/form-data": { "schema": { "type": "object", "properties": { "file": { "type": "string", "contentMediaType": "application/octet-stream" } } } } },
                    }))
                    .json("201", "The file.", "KbAttachment")
                    .fail(&[Fail::BadRequest, Fail::NotFound, Fail::TooLarge, Fail::Invalid]),
            ),
        ],
    );
    item(
        p,
        "/api/v1/kb/articles/{id}/attachments/{attachment_id}",
        &[article.clone(), path_id("attachment_id", "The file's id.")],
        vec![(
            "get",
            op("kb", "downloadArticleAttachment", "Download a file of an article")
                .answer(
                    "200",
                    json!({ "description": "The content, as a download.", "content": { "application/octet-stream": { "schema": { "type": "string" } } } }),
                )
                .fail(&[Fail::NotFound]),
        )],
    );
    item(
        p,
        "/api/v1/kb/search",
        &[],
        vec![(
            "get",
            op("kb", "searchArticles", "Search articles")
                .about(
                    "Ranked full-text search with stemming; every word must match. When nothing matches, mistyped words \
                     are corrected (one edit for words of 4-7 letters, two from 8) and, failing that, articles with any \
                     of the words are returned (`matched: any`). Searches that find nothing are kept for the report. \
                     Requesters find only published public articles.",
                )
                .params([
                    query("q", "The words to find.", string()),
                    int_query("desk", "Only articles of this desk."),
                    int_query("category", "Only articles in this category."),
                    query("tag", "Only articles with this tag.", string()),
                    query("state", "Only articles in this state.", enumeration(&STATES)),
                    with(int_query("limit", "At most this many (1-50, 20 by default)."), "schema", json!({ "type": "integer", "minimum": 1, "maximum": 50 })),
                ])
                .json("200", "The best matches.", "KbSearchResult")
                .fail(&[Fail::BadRequest, Fail::Invalid]),
        )],
    );
    item(
        p,
        "/api/v1/kb/suggestions",
        &[],
        vec![(
            "get",
            op("kb", "suggestArticles", "Articles for what is being typed")
                .about("Any word matches, the last one as a prefix; for a ticket title while it is typed.")
                .params([query("q", "The text typed so far.", string()), int_query("limit", "1-10, 5 by default.")])
                .json("200", "The best matches.", "KbSuggestions")
                .fail(&[Fail::BadRequest]),
        )],
    );
    item(
        p,
        "/api/v1/kb/report",
        &[],
        vec![(
            "get",
            op("kb", "getKbReport", "Knowledge report")
                .about("Agents and admins.")
                .param(int_query("days", "Deflections counted over this many days (30 by default)."))
                .json("200", "The report.", "KbReport")
                .fail(&[Fail::BadRequest, Fail::Forbidden]),
        )],
    );
    let ticket = param_ref("TicketId");
    item(
        p,
        "/api/v1/tickets/{id}/articles",
        std::slice::from_ref(&ticket),
        vec![
            (
                "get",
                op("kb", "getTicketArticles", "Articles of a ticket")
                    .json("200", "Linked and suggested articles.", "TicketArticles")
                    .fail(&[Fail::NotFound]),
            ),
            (
                "post",
                op("kb", "linkTicketArticle", "Link an article as the ticket's solution")
                    .body("LinkArticle")
                    .json("201", "The linked article.", "Article")
                    .fail(&[Fail::NotFound, Fail::Conflict]),
            ),
        ],
    );
}
