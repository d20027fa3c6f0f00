//! The CI page: attributes, identifiers, relationships both ways (each read from this item's
//! side: "runs on db01", "runs payroll") with their forms, the impact graph as inline SVG,
//! history and the tickets naming the item; edited against the version it was rendered with.

use super::cmdb::{cmdb_agent, ok_message};
use super::cmdb_form::{attribute_lines, ci_errors, find_ci, parse_attribute_lines, show};
use super::cmdb_graph::{Graph, NODE_H, NODE_W};
use super::form::FieldErrors;
use super::view::{when, words};
use super::{app_error, describe, FormPost, Nav};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use opsdesk_app::auth::Authenticated;
use opsdesk_app::cmdb::{
    rel_types, statuses, CiPatch, CiTicketView, CiView, HistoryEntryView, ImpactQuery, ImpactView, RelationshipInput,
};
use opsdesk_app::AppError;
use opsdesk_domain::cmdb::impact::MAX_DEPTH;
use opsdesk_domain::cmdb::{Direction, RelType};
use serde::Deserialize;
use serde_json::Value;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/agent/cmdb/{id}", get(page).post(edit))
        .route("/agent/cmdb/{id}/delete", post(delete))
        .route("/agent/cmdb/{id}/relationships", post(relate))
        .route("/agent/cmdb/{id}/relationships/{rel}/delete", post(unrelate))
}

/// The impact graph's walk: `?direction=upstream&depth=3`.
#[derive(Deserialize, Default)]
struct ViewQuery {
    direction: Option<String>,
    depth: Option<u32>,
    /// Read the item and its impact as they were then (`2026-12-01T09:00`, UTC).
    at: Option<String>,
    ok: Option<String>,
}

/// An instant typed in the page's `at` field: RFC 3339, or a `datetime-local` value read as
/// UTC.
fn instant(raw: &str) -> Option<opsdesk_store::Ts> {
    let raw = raw.trim();
    if let Ok(t) = raw.parse::<jiff::Timestamp>() {
        return Some(opsdesk_store::Ts(t));
    }
    let civil = raw.parse::<jiff::civil::DateTime>().ok()?;
    civil.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| opsdesk_store::Ts(z.timestamp()))
}

const DEFAULT_DEPTH: u32 = 5;

pub struct RelRow {
    pub id: i64,
    /// From this item's side: "runs on", "runs".
    pub reads: &'static str,
    pub other: i64,
    pub other_name: String,
    pub other_class: String,
}

pub struct HistoryRow {
    pub at: String,
    pub by: String,
    pub source: String,
    pub event: String,
    pub detail: String,
}

/// The edit form's values: the item's, or what the agent typed.
pub struct EditForm {
    pub version: i64,
    pub name: String,
    pub status: String,
    pub attributes: String,
    /// `kind=value` lines.
    pub identifiers: String,
    /// Business services: offered to everyone, and to these organisations (names, one per
    /// line).
    pub offered_everyone: bool,
    pub offered_orgs: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "agent/ci.html")]
struct CiPage {
    nav: Nav,
    ci: CiView,
    notice: Option<String>,
    error: Option<String>,
    attributes: Vec<(String, String)>,
    identifiers: Vec<(String, String)>,
    depends_on: Vec<RelRow>,
    needed_by: Vec<RelRow>,
    rel_types: Vec<(&'static str, &'static str, &'static str)>,
    history: Vec<HistoryRow>,
    tickets: Vec<CiTicketView>,
    impact: Option<ImpactView>,
    /// The instant the page reads the past at (shown), what the item was then, and whether
    /// the typed instant was unreadable.
    at: Option<(opsdesk_store::Ts, String)>,
    at_value: String,
    then: Option<Option<opsdesk_app::cmdb::CiVersionView>>,
    at_error: bool,
    graph: Option<Graph>,
    upstream: bool,
    depth: u32,
    depths: Vec<u32>,
    statuses: Vec<&'static str>,
    form: EditForm,
    stale: Option<EditForm>,
    errors: FieldErrors,
    maintenance: Option<super::ci_maintenance::MaintenanceCard>,
    node_w: i64,
    node_h: i64,
}

/// What the last post left to say on the page.
#[derive(Default)]
struct Outcome {
    error: Option<String>,
    form: Option<EditForm>,
    stale: Option<EditForm>,
    errors: FieldErrors,
}

impl Outcome {
    fn error(text: String) -> Outcome {
        Outcome { error: Some(text), ..Default::default() }
    }
}

async fn page(
    State(s): State<WebState>,
    jar: CookieJar,
    uri: Uri,
    Path(id): Path<i64>,
    q: Result<Query<ViewQuery>, QueryRejection>,
) -> Response {
    let auth = cmdb_agent!(s, jar, uri);
    render(&s, &auth, id, q.map(|q| q.0).unwrap_or_default(), Outcome::default()).await
}

fn history_row(id: i64, h: &HistoryEntryView) -> HistoryRow {
    let c = &h.changes;
    let detail = match h.event.as_str() {
        "relationship_added" | "relationship_removed" => {
            let rel = RelType::parse(c["type"].as_str().unwrap_or(""));
            if c["source"].as_i64() == Some(id) {
                let label = rel.map(RelType::label).unwrap_or("relates to");
                format!("{label} {} (#{})", show(&c["target_name"]), c["target"])
            } else {
                let label = rel.map(RelType::reverse_label).unwrap_or("relates to");
                format!("{label} {} (#{})", show(&c["source_name"]), c["source"])
            }
        }
        "updated" | "created" => c
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(field, ch)| {
                        let from = show(&ch["from"]);
                        let to = show(&ch["to"]);
                        match (from.is_empty(), to.is_empty()) {
                            (true, _) => format!("{field}: {to}"),
                            (false, true) => format!("{field} removed (was {from})"),
                            (false, false) => format!("{field}: {from} → {to}"),
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default(),
        _ => String::new(),
    };
    HistoryRow {
        at: when(h.at),
        by: h.by.clone().unwrap_or_else(|| "system".into()),
        source: h.source.clone(),
        event: words(&h.event),
        detail,
    }
}

async fn render(s: &WebState, auth: &Authenticated, id: i64, view: ViewQuery, out: Outcome) -> Response {
    let app = &s.app;
    let actor = &auth.actor;
    let nav = Nav::of(auth);
    let ci = match app.ci(actor, id).await {
        Ok(c) => c,
        Err(e) => return app_error(Some(nav), e),
    };
    let classes = app.ci_classes(actor).await.unwrap_or_default();
    let class = classes.iter().find(|c| c.key == ci.class);
    let relationships = app.ci_relationships(actor, id).await.unwrap_or_default();
    let row = |r: &opsdesk_app::cmdb::RelationshipView| {
        let outward = r.source == id;
        RelRow {
            id: r.id,
            reads: r.reads_from(id),
            other: if outward { r.target } else { r.source },
            other_name: if outward { r.target_name.clone() } else { r.source_name.clone() },
            other_class: words(if outward { &r.target_class } else { &r.source_class }),
        }
    };
    let depends_on = relationships.iter().filter(|r| r.source == id).map(row).collect();
    let needed_by = relationships.iter().filter(|r| r.source != id).map(row).collect();
    let upstream = view.direction.as_deref().and_then(Direction::parse) == Some(Direction::Upstream);
    let typed_at = view.at.clone().filter(|a| !a.trim().is_empty());
    let at = typed_at.as_deref().and_then(instant).map(|t| (t, t.0.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()));
    // The item as it was then: `None` also when it did not exist yet (the page says so).
    let then = match &at {
        Some((t, _)) => Some(app.ci_at(actor, id, *t).await.ok()),
        None => None,
    };
    let at_error = typed_at.is_some() && at.is_none();
    let depth = view.depth.unwrap_or(DEFAULT_DEPTH).clamp(1, MAX_DEPTH);
    let query = ImpactQuery {
        direction: if upstream { Direction::Upstream } else { Direction::Downstream },
        depth,
        at: at.as_ref().map(|(t, _)| *t),
        ..Default::default()
    };
    let impact = app
        .ci_impact(actor, id, &query)
        .await
        .map_err(|e| tracing::warn!(error = %e, ci = id, "the CI page shows no impact graph"))
        .ok();
    let graph = impact.as_ref().map(|i| Graph::of(i, id));
    let history =
        app.ci_history(actor, id).await.unwrap_or_default().iter().rev().map(|h| history_row(id, h)).collect();
    let tickets = app.ci_tickets(actor, id).await.unwrap_or_default();
    let maintenance = super::ci_maintenance::MaintenanceCard::of(s, actor, id, &auth.user.time_zone).await;
    let form = EditForm {
        version: ci.version,
        name: ci.name.clone(),
        status: ci.status.clone(),
        attributes: attribute_lines(&ci.attributes, class),
        identifiers: ci
            .identifiers
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("\n"),
        offered_everyone: ci.offered_to.as_ref().is_some_and(|o| o.everyone),
        offered_orgs: {
            let mut names = Vec::new();
            for id in ci.offered_to.as_ref().map(|o| o.organizations.clone()).unwrap_or_default() {
                if let Ok(org) = app.db.organization(id).await {
                    names.push(org.name);
                }
            }
            names.join("\n")
        },
    };
    let status =
        if out.error.is_some() || !out.errors.is_empty() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mut attributes: Vec<(String, String)> = Vec::new();
    for a in class.map(|c| c.attributes.as_slice()).unwrap_or_default() {
        if let Some(v) = ci.attributes.get(&a.key) {
            attributes.push((a.key.clone(), show(v)));
        }
    }
    for (k, v) in &ci.attributes {
        if !attributes.iter().any(|(x, _)| x == k) {
            attributes.push((k.clone(), show(v)));
        }
    }
    let page = CiPage {
        nav,
        notice: ok_message(view.ok.as_deref()).map(str::to_string),
        error: out.error,
        attributes,
        identifiers: ci.identifiers.iter().map(|(k, v)| (words(k), show(v))).collect(),
        depends_on,
        needed_by,
        rel_types: rel_types().into_iter().map(|t| (t.as_str(), t.label(), t.reverse_label())).collect(),
        history,
        tickets,
        impact,
        at_value: typed_at.clone().unwrap_or_default(),
        at,
        then,
        at_error,
        graph,
        upstream,
        depth,
        depths: (1..=MAX_DEPTH).collect(),
        statuses: statuses(),
        form: out.form.unwrap_or(form),
        stale: out.stale,
        errors: out.errors,
        maintenance,
        node_w: NODE_W,
        node_h: NODE_H,
        ci,
    };
    (status, page).into_response()
}

/// Saves name, status and attributes against the version the form was rendered with.
/// Attributes missing from the lines are removed.
async fn edit(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let current = match s.app.ci(&auth.actor, id).await {
        Ok(c) => c,
        Err(e) => return app_error(Some(Nav::of(&auth)), e),
    };
    let version = fields.get("version").and_then(|v| v.parse::<i64>().ok());
    let typed = EditForm {
        version: version.unwrap_or(current.version),
        name: fields.raw("name").into(),
        status: fields.raw("status").trim().into(),
        attributes: fields.raw("attributes").replace("\r\n", "\n"),
        identifiers: fields.raw("identifiers").replace("\r\n", "\n"),
        offered_everyone: !fields.raw("offered_everyone").is_empty(),
        offered_orgs: fields.raw("offered_orgs").replace("\r\n", "\n"),
    };
    let classes = s.app.ci_classes(&auth.actor).await.unwrap_or_default();
    let class = classes.iter().find(|c| c.key == current.class);
    let mut attributes = match parse_attribute_lines(&typed.attributes, class) {
        Ok(a) => a,
        Err(errors) => {
            let out = Outcome { form: Some(typed), errors, ..Default::default() };
            return render(&s, &auth, id, ViewQuery::default(), out).await;
        }
    };
    for k in current.attributes.keys() {
        attributes.entry(k.clone()).or_insert(Value::Null);
    }
    let identifiers = match identifier_lines(&typed.identifiers) {
        Ok(i) => i,
        Err(errors) => {
            let out = Outcome { form: Some(typed), errors, ..Default::default() };
            return render(&s, &auth, id, ViewQuery::default(), out).await;
        }
    };
    let offered_to = if current.class == opsdesk_domain::cmdb::BUSINESS_SERVICE {
        let mut organizations = Vec::new();
        let mut errors = FieldErrors::default();
        for name in typed.offered_orgs.lines().map(str::trim).filter(|n| !n.is_empty()) {
            match s.app.db.organization_by_name(name).await {
                Ok(Some(o)) => organizations.push(o.id),
                Ok(None) => errors.push("offered_to", format!("no organisation is named \u{201c}{name}\u{201d}")),
                Err(e) => return app_error(Some(Nav::of(&auth)), e.into()),
            }
        }
        if !errors.is_empty() {
            let out = Outcome { form: Some(typed), errors, ..Default::default() };
            return render(&s, &auth, id, ViewQuery::default(), out).await;
        }
        Some(opsdesk_app::cmdb::OfferInput { everyone: typed.offered_everyone, organizations })
    } else {
        None
    };
    let patch = CiPatch {
        name: Some(typed.name.clone()),
        status: Some(typed.status.clone()),
        attributes: Some(attributes),
        identifiers: Some(identifiers),
        offered_to,
    };
    let out = match s.app.update_ci(&auth.actor, id, version, patch, "web").await {
        Ok(_) => return Redirect::to(&format!("/agent/cmdb/{id}?ok=saved")).into_response(),
        Err(AppError::Precondition(_)) => Outcome {
            error: Some("This item was changed by someone else meanwhile. Your changes were NOT saved. The current values are shown in the form; yours are listed above it.".into()),
            stale: Some(typed),
            ..Default::default()
        },
        Err(e) => match ci_errors(&e) {
            Some(errors) => Outcome { form: Some(typed), errors, ..Default::default() },
            None if matches!(e, AppError::Conflict { .. }) => Outcome::error(describe(&e)),
            None => return app_error(Some(Nav::of(&auth)), e),
        },
    };
    render(&s, &auth, id, ViewQuery::default(), out).await
}

async fn delete(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, .. } = post;
    match s.app.delete_ci(&auth.actor, id, "web").await {
        Ok(()) => Redirect::to("/agent/cmdb?ok=deleted").into_response(),
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}

/// Adds a relationship with this item on either end: "this item runs on X" or "X runs on this
/// item". The other item is named by id or found by a search.
async fn relate(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let other = match find_ci(&s.app, &auth.actor, fields.raw("other")).await {
        Ok(o) => o,
        Err(message) => return render(&s, &auth, id, ViewQuery::default(), Outcome::error(message)).await,
    };
    let rel = fields.get("type").unwrap_or("").to_string();
    let input = if fields.get("direction") == Some("in") {
        RelationshipInput { source: other, rel, target: id }
    } else {
        RelationshipInput { source: id, rel, target: other }
    };
    match s.app.create_relationship_from(&auth.actor, input, "web").await {
        Ok(_) => Redirect::to(&format!("/agent/cmdb/{id}?ok=related#relationships")).into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let out = Outcome::error(format!("The relationship was not added: {}", describe(&e)));
            render(&s, &auth, id, ViewQuery::default(), out).await
        }
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}

async fn unrelate(State(s): State<WebState>, Path((id, rel)): Path<(i64, i64)>, post: FormPost) -> Response {
    let FormPost { auth, .. } = post;
    match s.app.delete_relationship_from(&auth.actor, rel, "web").await {
        Ok(()) => Redirect::to(&format!("/agent/cmdb/{id}?ok=unrelated#relationships")).into_response(),
        Err(AppError::NotFound) => {
            let out = Outcome::error("This relationship was already removed.".into());
            render(&s, &auth, id, ViewQuery::default(), out).await
        }
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}

/// `kind=value` lines as an identifiers patch: every kind not named is removed.
fn identifier_lines(raw: &str) -> Result<serde_json::Map<String, Value>, FieldErrors> {
    let mut out: serde_json::Map<String, Value> =
        opsdesk_domain::cmdb::IdKind::PRIORITY.iter().map(|k| (k.as_str().to_string(), Value::Null)).collect();
    let mut errors = FieldErrors::default();
    for (i, line) in raw.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match line.split_once('=') {
            Some((k, v)) if out.contains_key(k.trim()) => {
                out.insert(k.trim().to_string(), Value::String(v.trim().to_string()));
            }
            _ => errors.push(
                "identifiers",
                format!("line {}: write kind=value, with kind one of serial, asset_tag, hostname, mac, uuid", i + 1),
            ),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}
