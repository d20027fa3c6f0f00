//! The CMDB's list page for agents: configuration items found by name or identifier, filtered
//! by class and staleness, paged by id; and the form for a new item. The CI page itself is in
//! `cmdb_item`, the class editor in `admin_cmdb`.

use super::cmdb_form::{ci_errors, parse_attribute_lines};
use super::form::FieldErrors;
use super::view::{enc, when, words};
use super::{app_error, error_page, signed_in, FormPost, Nav};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::CookieJar;
use opsdesk_app::auth::Authenticated;
use opsdesk_app::cmdb::{statuses, CiInput, CiView, ClassView, ListCis};
use opsdesk_domain::Role;
use serde::Deserialize;
use serde_json::Value;

pub fn router() -> Router<WebState> {
    Router::new().route("/agent/cmdb", get(list).post(create)).merge(super::cmdb_item::router())
}

const PAGE: i64 = 50;

/// Agents and admins; a requester is told the CMDB is not theirs (the services offered to them
/// appear on the portal's forms instead).
pub async fn require_cmdb_agent(s: &WebState, jar: &CookieJar, uri: &Uri) -> Result<Authenticated, Response> {
    let auth = signed_in(s, jar, uri).await?;
    if auth.user.role == Role::Requester {
        return Err(error_page(StatusCode::FORBIDDEN, Some(Nav::of(&auth)), "The CMDB is for agents."));
    }
    Ok(auth)
}

macro_rules! cmdb_agent {
    ($s:expr, $jar:expr, $uri:expr) => {
        match super::cmdb::require_cmdb_agent(&$s, &$jar, &$uri).await {
            Ok(a) => a,
            Err(r) => return r,
        }
    };
}
pub(crate) use cmdb_agent;

/// The confirmation after a change (`?ok=` carries a fixed code, never text).
pub fn ok_message(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "created" => "Configuration item created.",
        "saved" => "Saved.",
        "deleted" => "Configuration item deleted.",
        "related" => "Relationship added.",
        "unrelated" => "Relationship removed.",
        _ => return None,
    })
}

#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    class: Option<String>,
    stale: Option<String>,
    after: Option<i64>,
    ok: Option<String>,
}

pub struct CiRow {
    pub id: i64,
    pub name: String,
    pub class: String,
    pub status: String,
    pub seen: String,
    pub stale: bool,
}

impl CiRow {
    fn of(c: &CiView) -> CiRow {
        CiRow {
            id: c.id,
            name: c.name.clone(),
            class: c.class_name.clone(),
            status: words(&c.status),
            seen: match (&c.last_source, c.last_seen_at) {
                (Some(src), Some(at)) => format!("{src}, {}", when(at)),
                _ => String::new(),
            },
            stale: c.stale,
        }
    }
}

/// What the new-item form shows: empty, or what was typed when it was refused.
#[derive(Default)]
pub struct NewCi {
    pub class: String,
    pub name: String,
    pub status: String,
    pub attributes: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "agent/cmdb.html")]
struct ListPage {
    nav: Nav,
    notice: Option<&'static str>,
    q: String,
    class: String,
    stale: bool,
    rows: Vec<CiRow>,
    next: Option<String>,
    first: Option<String>,
    classes: Vec<ClassView>,
    statuses: Vec<&'static str>,
    form: NewCi,
    errors: FieldErrors,
}

async fn list(
    State(s): State<WebState>,
    jar: CookieJar,
    uri: Uri,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let auth = cmdb_agent!(s, jar, uri);
    let q = q.map(|q| q.0).unwrap_or_default();
    let form = NewCi { status: "live".into(), ..Default::default() };
    render(&s, &auth, q, form, FieldErrors::default()).await
}

async fn render(s: &WebState, auth: &Authenticated, q: ListQuery, form: NewCi, errors: FieldErrors) -> Response {
    let nav = Nav::of(auth);
    let classes = match s.app.ci_classes(&auth.actor).await {
        Ok(c) => c,
        Err(e) => return app_error(Some(nav), e),
    };
    let stale = q.stale.is_some();
    let list =
        ListCis { q: q.q.clone(), class: q.class.clone(), stale, after: q.after.unwrap_or(0).max(0), limit: PAGE + 1 };
    let mut found = match s.app.cis(&auth.actor, &list).await {
        Ok(f) => f,
        Err(e) => return app_error(Some(nav), e),
    };
    let more = found.len() as i64 > PAGE;
    found.truncate(PAGE as usize);
    let text = q.q.clone().unwrap_or_default();
    let class = q.class.clone().unwrap_or_default();
    let link = |after: Option<i64>| {
        let mut href = format!("/agent/cmdb?q={}&class={}", enc(&text), enc(&class));
        if stale {
            href.push_str("&stale=on");
        }
        if let Some(a) = after {
            href.push_str(&format!("&after={a}"));
        }
        href
    };
    let next = found.last().filter(|_| more).map(|c| link(Some(c.id)));
    let first = q.after.filter(|a| *a > 0).map(|_| link(None));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = ListPage {
        nav,
        notice: ok_message(q.ok.as_deref()),
        rows: found.iter().map(CiRow::of).collect(),
        q: text,
        class,
        stale,
        next,
        first,
        classes,
        statuses: statuses(),
        form,
        errors,
    };
    (status, page).into_response()
}

async fn create(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    if auth.user.role == Role::Requester {
        return error_page(StatusCode::FORBIDDEN, Some(Nav::of(&auth)), "The CMDB is for agents.");
    }
    let typed = NewCi {
        class: fields.raw("class").trim().into(),
        name: fields.raw("name").into(),
        status: fields.raw("status").trim().into(),
        attributes: fields.raw("attributes").replace("\r\n", "\n"),
    };
    let classes = s.app.ci_classes(&auth.actor).await.unwrap_or_default();
    let class = classes.iter().find(|c| c.key == typed.class);
    let attributes = match parse_attribute_lines(&typed.attributes, class) {
        Ok(a) => a.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        Err(errors) => return render(&s, &auth, ListQuery::default(), typed, errors).await,
    };
    let input = CiInput {
        class: typed.class.clone(),
        name: typed.name.clone(),
        status: Some(typed.status.clone()).filter(|s| !s.is_empty()),
        attributes,
        identifiers: Value::Object(Default::default()),
        offered_to: None,
    };
    match s.app.create_ci(&auth.actor, input, "web").await {
        Ok(ci) => Redirect::to(&format!("/agent/cmdb/{}?ok=created", ci.id)).into_response(),
        Err(e) => match ci_errors(&e) {
            Some(errors) => render(&s, &auth, ListQuery::default(), typed, errors).await,
            None => app_error(Some(Nav::of(&auth)), e),
        },
    }
}
