//! What every operation of the document shares: the introduction, the tags, the security
//! schemes and requirements, and the problem answers (`components.responses`) with the
//! `Problem` schema they carry, built from the types the server answers with.

use crate::problem::ProblemSchema;
use serde_json::Value;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::tag::{Tag, TagBuilder};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

pub(super) const INTRO: &str = "The JSON API of Opsdesk, the IT service management platform.\n\n\
* **Authentication**: an API token as `Authorization: Bearer <token>` (scripts), or the session \
cookie `opsdesk_session` set by `POST /api/v1/auth/login` (browsers), which must echo the session's \
CSRF token in `X-CSRF-Token` on every POST, PUT, PATCH and DELETE.\n\
* **Errors** are `application/problem+json` (RFC 9457) with a stable `code` and, when input was \
wrong, every wrong field in `errors`.\n\
* **Bodies are strict**: an unknown field, a missing required field or a value of the wrong type \
answers 422 `invalid_body`.\n\
* **Lists** answer `{\"items\": [...], \"next\": cursor}`; pass `next` as `after` to get the \
following page, until `next` is null. `limit` is 1 to 500 (50 by default).\n\
* **Times** are RFC 3339 in UTC. Every answer carries an `X-Request-Id` to quote when reporting a \
problem.\n\
* Records the caller may not see answer exactly like missing ones: 404.";

/// The tags, in the order a reader meets the resources.
pub(super) fn tags() -> Vec<Tag> {
    [
        ("auth", "Signing in and out with a browser session."),
        ("me", "The caller's own profile."),
        ("users", "People: listed by agents and admins, managed by admins."),
        ("organizations", "Organisations of requesters."),
        ("groups", "Groups of agents and their members."),
        ("tokens", "API tokens: the caller's own, and (for admins) anyone's."),
        ("tickets", "Incidents, service requests, problems and tasks, with their timeline."),
        ("approvals", "Approvals of tickets: stages, decisions, delegates, templates and waits."),
        ("catalog", "The service catalog: categories and items with their forms, ordering an item as a service request, and its answers."),
        ("desk configuration", "Service desks, categories, custom fields, the priority matrix and settings."),
        ("cmdb", "The CMDB: classes, configuration items, relationships, impact analysis, history and inventory."),
        ("changes", "Change management: conflicts and their override, the change calendar and its iCalendar feed, templates, blackouts, maintenance windows, risk questionnaires, CAB approval policies and reports."),
        ("views", "Saved ticket queries of agents, personal or shared with a group."),
        ("sla", "Service level management: business calendars, SLA policies, ticket SLAs and the report."),
        ("audit", "The security audit log, for admins."),
        ("jobs", "The background job queue, for operators."),
        ("kb", "Knowledge articles: lifecycle, versions, search, suggestions, feedback and deflections."),
        ("mail", "The email channel: desk addresses and templates, held messages, a ticket's mail."),
        (super::OPERATIONS, "Health, readiness, metrics and this document."),
    ]
    .into_iter()
    .map(|(name, description)| TagBuilder::new().name(name).description(Some(description)).build())
    .collect()
}

/// The schemes: a bearer token, or the session cookie with its CSRF header.
pub(super) fn security_schemes() -> Vec<(&'static str, SecurityScheme)> {
    let bearer = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .description(Some(
            "An API token, sent as `Authorization: Bearer <token>`. Issue one at POST /api/v1/me/tokens; tokens of \
             deactivated users stop working. No CSRF token is needed. When this header is present, any cookie is \
             ignored.",
        ))
        .build();
    let cookie = ApiKeyValue::with_description(
        "opsdesk_session",
        "The browser session set by POST /api/v1/auth/login (HTTP-only, SameSite=Lax). Every POST, PUT, PATCH and \
         DELETE with it must also send `X-CSRF-Token` (see `csrfToken`), and an `Origin` header, if any, must name \
         this host; otherwise 403.",
    );
    let csrf = ApiKeyValue::with_description(
        "X-CSRF-Token",
        "The session's CSRF token: `csrf_token` of the login answer or of GET /api/v1/me. Required with the session \
         cookie on every write.",
    );
    vec![
        ("bearerToken", SecurityScheme::Http(bearer)),
        ("sessionCookie", SecurityScheme::ApiKey(ApiKey::Cookie(cookie))),
        ("csrfToken", SecurityScheme::ApiKey(ApiKey::Header(csrf))),
    ]
}

fn requirements(write: bool) -> Value {
    let none: [&str; 0] = [];
    let cookie = SecurityRequirement::new("sessionCookie", none);
    let cookie = if write { cookie.add("csrfToken", none) } else { cookie };
    serde_json::to_value([SecurityRequirement::new("bearerToken", none), cookie]).unwrap_or(Value::Null)
}

/// Reads need a token or a session.
pub(super) fn read_security() -> Value {
    requirements(false)
}

/// Writes need a token, or a session and its CSRF token.
pub(super) fn write_security() -> Value {
    requirements(true)
}

fn string() -> Schema {
    ObjectBuilder::new().schema_type(Type::String).into()
}

/// A problem answer: `application/problem+json` with the `Problem` schema.
fn problem(description: &str, header: Option<(&str, &str, Schema)>) -> Response {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name(ProblemSchema::name()))).build();
    let mut r = ResponseBuilder::new().description(description).content("application/problem+json", content);
    if let Some((name, description, schema)) = header {
        r = r.header(name, HeaderBuilder::new().schema(Some(schema)).description(Some(description)).build());
    }
    r.build()
}

/// The shared problem answers by name; `fails` and `finish` refer to them.
pub(super) fn responses() -> Vec<(&'static str, Response)> {
    vec![
        (
            "BadRequest",
            problem(
                "`malformed_json`: the body is not JSON; `invalid_query`: an unreadable or unknown query parameter, \
                 or a ticket query that does not parse (`errors` points at it); `invalid_cursor`: `after` is not a \
                 cursor of this list; `invalid_if_match`; `invalid_multipart`.",
                None,
            ),
        ),
        (
            "Unauthenticated",
            problem(
                "`unauthenticated`: no credentials, or an unknown, revoked or expired token or session; \
                 `bad_credentials`: a wrong email or password.",
                Some(("WWW-Authenticate", "`Bearer realm=\"opsdesk\"`.", string())),
            ),
        ),
        (
            "Forbidden",
            problem(
                "`forbidden`: the caller's role does not allow this; `csrf_failed`: a write with a session cookie \
                 but without its `X-CSRF-Token`; `foreign_origin`: a cookie write from another site.",
                None,
            ),
        ),
        ("NotFound", problem("`not_found`: no such record, or one the caller may not see.", None)),
        (
            "Conflict",
            problem(
                "`conflict` or a specific code (`duplicate_external_id`, `link_exists`, `concurrent_change`, \
                 `job_not_dead`, `stale_version` of an article, ...): the change clashes with the current state.",
                None,
            ),
        ),
        (
            "PreconditionFailed",
            problem(
                "`stale_version`: `If-Match` names an older version; nothing was changed. `current` holds the \
                 ticket as it is now.",
                None,
            ),
        ),
        (
            "ContentTooLarge",
            problem(
                "`body_too_large`: the body exceeds what the endpoint reads (1 MiB for JSON); `file_too_large`: \
                 the file exceeds `attachment_max_bytes` of the ticket settings.",
                None,
            ),
        ),
        ("UnsupportedMediaType", problem("`unsupported_media_type`: send the body as `application/json`.", None)),
        (
            "UnprocessableContent",
            problem(
                "`invalid_body`: a missing or unknown field, or a value of the wrong type; `validation_failed`: \
                 values that break a rule, each in `errors`; `illegal_transition`: with the allowed statuses in \
                 `allowed`.",
                None,
            ),
        ),
        (
            "Gone",
            problem(
                "`reset_link_used`, `reset_link_expired` or `reset_link_replaced`: the link worked once and no \
                 longer does; ask for a new one.",
                None,
            ),
        ),
        (
            "TooManyRequests",
            problem(
                "`too_many_attempts`: too many failed sign-ins or password-reset requests; retry after \
                 `Retry-After` seconds.",
                Some(("Retry-After", "Seconds to wait.", string())),
            ),
        ),
        (
            "Unexpected",
            problem(
                "`internal` (500): a failure on the server's side, logged with the request id; it never carries \
                 the failure's text.",
                None,
            ),
        ),
        (
            "Unavailable",
            problem(
                "`database_unavailable` (503): the database cannot be reached; retry after `Retry-After` seconds.",
                Some((
                    "Retry-After",
                    "Seconds to wait before retrying.",
                    ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)).into(),
                )),
            ),
        ),
    ]
}

/// `Problem` and the schemas it refers to.
pub(super) fn problem_schemas() -> Vec<(String, RefOr<Schema>)> {
    let mut all = vec![(ProblemSchema::name().into_owned(), ProblemSchema::schema())];
    <ProblemSchema as ToSchema>::schemas(&mut all);
    all
}
