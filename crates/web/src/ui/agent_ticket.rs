//! The agent's ticket page: fields and their editing form (optimistic: a stale version is shown,
//! never overwritten), the conversation with replies and internal notes told apart, the
//! composer, transitions, links and history.

use super::form::Upload;
use super::history_words;
use super::sla_view::{EventRow, TargetRow};
use super::view::{conversation, when, words, AttachmentRow, Entry, Names};
use super::{agent_only, app_error, describe, FormPost, Nav, UploadPost};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use opsdesk_app::auth::Authenticated;
use opsdesk_app::tickets::{AttachmentUpload, LinkInput, Ref, TicketView, TransitionInput, UpdateTicket};
use opsdesk_app::AppError;
use opsdesk_domain::ticket::{CustomFieldDef, CustomFieldType};
use serde_json::{Map, Value};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/agent/tickets/{number}", get(page).post(edit))
        .route("/agent/tickets/{number}/comments", post(comment))
        .route("/agent/tickets/{number}/transitions", post(transition))
        .route("/agent/tickets/{number}/links", post(link))
}

pub struct FieldValue {
    pub key: String,
    pub label: String,
    pub value: String,
    pub options: Vec<String>,
}

pub struct LinkRow {
    pub label: String,
    pub number: String,
    pub title: String,
}

pub struct HistoryRow {
    pub at: String,
    pub who: String,
    pub field: String,
    pub old: String,
    pub new: String,
}

/// What the editing form shows: the ticket's values, or what the agent had typed.
pub struct EditValues {
    pub version: i64,
    pub title: String,
    pub description: String,
    pub impact: String,
    pub urgency: String,
    pub category: String,
    pub group: String,
    pub assignee: String,
    pub custom: Vec<FieldValue>,
}

#[derive(Template, WebTemplate)]
#[template(path = "agent/ticket.html")]
pub struct TicketPage {
    nav: Nav,
    t: TicketView,
    kind: String,
    status: String,
    requester: String,
    assignee: String,
    group: String,
    category: String,
    form: EditValues,
    stale: Option<EditValues>,
    notice: Option<String>,
    error: Option<String>,
    entries: Vec<Entry>,
    files: Vec<AttachmentRow>,
    next_statuses: Vec<(String, String)>,
    links: Vec<LinkRow>,
    history: Vec<HistoryRow>,
    categories: Vec<(String, String)>,
    groups: Vec<(String, String)>,
    agents: Vec<(String, String)>,
    watchers: Vec<String>,
    sla: Vec<TargetRow>,
    sla_events: Vec<EventRow>,
    kb: Option<opsdesk_app::kb::TicketArticles>,
    mail: Vec<super::agent_mail::MailRow>,
    process: super::agent_process::ProcessPanel,
    cis: Vec<opsdesk_app::cmdb::TicketCiView>,
    /// What the named items affect; none when nothing is named.
    ci_impact: Option<opsdesk_app::cmdb::TicketImpactView>,
    /// A change's own card; none for other kinds.
    change: Option<super::agent_change::ChangeCard>,
}

fn s_opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn cf_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string()))
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

fn values_of(t: &TicketView, defs: &[CustomFieldDef]) -> EditValues {
    EditValues {
        version: t.version,
        title: t.title.clone(),
        description: t.description.clone(),
        impact: t.impact.to_string(),
        urgency: t.urgency.to_string(),
        category: s_opt(t.category_id),
        group: s_opt(t.group_id),
        assignee: s_opt(t.assignee_id),
        custom: defs
            .iter()
            .map(|d| FieldValue {
                key: d.key.clone(),
                label: d.label.clone(),
                value: cf_text(t.custom_fields.get(&d.key)),
                options: d.options.clone(),
            })
            .collect(),
    }
}

async fn page(State(s): State<WebState>, jar: CookieJar, uri: Uri, Path(number): Path<String>) -> Response {
    let auth = match agent_only(&s, &jar, &uri).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    render(&s, &auth, &number, Outcome::default()).await
}

/// What the last post left to say on the page.
#[derive(Default)]
pub struct Outcome {
    notice: Option<String>,
    error: Option<String>,
    /// The agent's own values when the ticket changed meanwhile (shown, not saved).
    stale: Option<EditValues>,
}

impl Outcome {
    pub fn notice(text: &str) -> Self {
        Outcome { notice: Some(text.into()), ..Default::default() }
    }

    pub fn error(text: &str) -> Self {
        Outcome { error: Some(text.into()), ..Default::default() }
    }
}

pub(crate) async fn render(s: &WebState, auth: &Authenticated, number: &str, out: Outcome) -> Response {
    let app = &s.app;
    let actor = &auth.actor;
    let nav = Nav::of(auth);
    let zone = auth.user.time_zone.as_str();
    let (t, tl, sla) = match app.ticket_page(actor, number, zone).await {
        Ok(x) => x,
        Err(e) => return app_error(Some(nav), e),
    };
    let mut names = Names::default();
    let defs = app.custom_fields(t.desk_id, t.kind).await.unwrap_or_default();
    let cats = app.categories(Some(t.desk_id)).await.unwrap_or_default();
    let category =
        t.category_id.and_then(|c| cats.iter().find(|x| x.id == c)).map(|c| c.name.clone()).unwrap_or_default();
    let groups_all = app.groups(actor, 0, 500).await.unwrap_or_default();
    let group =
        t.group_id.and_then(|g| groups_all.iter().find(|x| x.id == g)).map(|g| g.name.clone()).unwrap_or_default();
    let agents = app
        .users(actor, 0, 500)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|u| u.active && u.role != opsdesk_domain::Role::Requester)
        .map(|u| (u.id.to_string(), format!("{} <{}>", u.name, u.email)))
        .collect();
    let (entries, files) = conversation(&t, &tl, app, actor, &mut names, false).await;
    let mut links = Vec::new();
    for l in &tl.links {
        let outbound = l.source_id == t.id;
        let other = if outbound { l.target_id } else { l.source_id };
        let Ok(o) = app.ticket(actor, &other.to_string()).await else { continue };
        let label = match (l.link_type.as_str(), outbound) {
            ("caused_by", true) => "caused by",
            ("caused_by", false) => "incident caused by this",
            ("fixes", true) => "fixes",
            ("fixes", false) => "fixed by change",
            ("duplicate_of", true) => "duplicate of",
            ("duplicate_of", false) => "duplicate of this",
            ("parent_of", true) | ("child_of", false) => "parent of",
            ("child_of", true) | ("parent_of", false) => "child of",
            _ => "related to",
        };
        links.push(LinkRow { label: label.into(), number: o.number, title: o.title });
    }
    let known_groups: Vec<(i64, String)> = groups_all.iter().map(|g| (g.id, g.name.clone())).collect();
    let known_categories: Vec<(i64, String)> = cats.iter().map(|c| (c.id, c.name.clone())).collect();
    let known = history_words::Lookups { groups: &known_groups, categories: &known_categories };
    let mut history = Vec::new();
    for h in tl.history.iter().rev() {
        let f = h.field.as_str();
        let old =
            history_words::value_words(app, actor, &mut names, &known, f, h.old_value.as_deref().unwrap_or("")).await;
        let new =
            history_words::value_words(app, actor, &mut names, &known, f, h.new_value.as_deref().unwrap_or("")).await;
        history.push(HistoryRow {
            at: when(h.created_at),
            who: match h.actor_id {
                Some(_) => names.of(app, actor, h.actor_id).await,
                None => history_words::SYSTEM.to_string(),
            },
            field: history_words::field_label(f),
            old,
            new,
        });
    }
    let page = TicketPage {
        nav,
        kind: words(t.kind.as_str()),
        status: words(t.status.as_str()),
        requester: names.of(app, actor, Some(t.requester_id)).await,
        assignee: names.of(app, actor, t.assignee_id).await,
        group,
        category,
        form: values_of(&t, &defs),
        stale: out.stale,
        notice: out.notice,
        error: out.error,
        entries,
        files,
        next_statuses: t
            .kind
            .allowed_from(t.status)
            .iter()
            .map(|st| (st.as_str().to_string(), words(st.as_str())))
            .collect(),
        links,
        history,
        categories: cats.iter().map(|c| (c.id.to_string(), c.name.clone())).collect(),
        groups: groups_all.iter().map(|g| (g.id.to_string(), g.name.clone())).collect(),
        agents,
        watchers: tl.watchers.iter().map(|w| w.name.clone()).collect(),
        sla: sla.targets.iter().map(|x| TargetRow::of(x, zone)).collect(),
        sla_events: sla.history.iter().map(|e| EventRow::of(e, zone)).collect(),
        kb: app
            .articles_for_ticket(actor, &t)
            .await
            .map_err(|e| tracing::warn!(error = %e, "the ticket page shows no knowledge panel"))
            .ok(),
        mail: super::agent_mail::ticket_mail_rows(app, actor, &t.number).await,
        process: super::agent_process::ProcessPanel::of(app, actor, &t, &mut names).await,
        cis: super::agent_ticket_cis::ticket_cis(app, actor, &t.number).await,
        ci_impact: super::agent_ticket_cis::ticket_impact(app, actor, &t.number).await,
        change: match t.kind {
            opsdesk_domain::ticket::Kind::Change => {
                super::agent_change::ChangeCard::of(app, actor, &t.number, t.status.as_str(), t.desk_id, zone).await
            }
            _ => None,
        },
        t,
    };
    page.into_response()
}

fn id_ref(v: Option<&str>) -> Option<Ref> {
    v.and_then(|x| x.parse::<i64>().ok()).map(Ref::Id)
}

/// Saves the field form against the version it was rendered with.
async fn edit(State(s): State<WebState>, Path(number): Path<String>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let current = match s.app.ticket(&auth.actor, &number).await {
        Ok(t) => t,
        Err(e) => return app_error(Some(Nav::of(&auth)), e),
    };
    let defs = s.app.custom_fields(current.desk_id, current.kind).await.unwrap_or_default();
    let version = fields.get("version").and_then(|v| v.parse::<i64>().ok());
    let mut custom = Map::new();
    for d in &defs {
        let raw = fields.get(&format!("cf.{}", d.key));
        let v = match (raw, d.field_type) {
            (None, _) => Value::Null,
            (Some(x), CustomFieldType::Number) => x
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .unwrap_or(Value::String(x.into())),
            (Some(x), CustomFieldType::Boolean) => Value::Bool(matches!(x, "true" | "yes" | "on" | "1")),
            (Some(x), CustomFieldType::User) => x.parse::<i64>().map(Value::from).unwrap_or(Value::String(x.into())),
            (Some(x), CustomFieldType::MultiSelect) => {
                Value::Array(x.split(',').map(|p| Value::String(p.trim().into())).filter(|v| v != "").collect())
            }
            (Some(x), _) => Value::String(x.into()),
        };
        if cf_text(current.custom_fields.get(&d.key)) != cf_text(Some(&v)) {
            custom.insert(d.key.clone(), v);
        }
    }
    let same = |new: Option<&str>, old: String| new.unwrap_or("") == old;
    let mut input = UpdateTicket::default();
    if !same(fields.get("title"), current.title.clone()) {
        input.title = Some(fields.raw("title").into());
    }
    if fields.raw("description").replace("\r\n", "\n") != current.description {
        input.description = Some(fields.raw("description").replace("\r\n", "\n"));
    }
    if !same(fields.get("impact"), current.impact.to_string()) {
        input.impact = fields.get("impact").and_then(|v| v.parse().ok());
    }
    if !same(fields.get("urgency"), current.urgency.to_string()) {
        input.urgency = fields.get("urgency").and_then(|v| v.parse().ok());
    }
    if !same(fields.get("category"), s_opt(current.category_id)) {
        input.category = Some(id_ref(fields.get("category")));
    }
    if !same(fields.get("group"), s_opt(current.group_id)) {
        input.group = Some(id_ref(fields.get("group")));
    }
    if !same(fields.get("assignee"), s_opt(current.assignee_id)) {
        input.assignee = Some(id_ref(fields.get("assignee")));
    }
    if !custom.is_empty() {
        input.custom_fields = Some(custom);
    }
    let typed = EditValues {
        version: version.unwrap_or(0),
        title: fields.raw("title").into(),
        description: fields.raw("description").into(),
        impact: fields.raw("impact").into(),
        urgency: fields.raw("urgency").into(),
        category: fields.raw("category").into(),
        group: fields.raw("group").into(),
        assignee: fields.raw("assignee").into(),
        custom: defs
            .iter()
            .map(|d| FieldValue {
                key: d.key.clone(),
                label: d.label.clone(),
                value: fields.raw(&format!("cf.{}", d.key)).into(),
                options: d.options.clone(),
            })
            .collect(),
    };
    // The version is checked even when nothing differs from the current values: the agent
    // decided on what they saw, and someone else changed it since.
    if version.is_some_and(|v| v != current.version) {
        let out = Outcome {
            error: Some("This ticket was changed by someone else meanwhile. Your changes were NOT saved. The current values are shown below; your values are listed for reference.".into()),
            stale: Some(typed),
            ..Default::default()
        };
        return render(&s, &auth, &number, out).await;
    }
    match s.app.update_ticket(&auth.actor, &number, version, input).await {
        Ok(_) => render(&s, &auth, &number, Outcome { notice: Some("Saved.".into()), ..Default::default() }).await,
        Err(AppError::Stale(_)) => {
            let out = Outcome {
                error: Some("This ticket was changed by someone else meanwhile. Your changes were NOT saved. The current values are shown below; your values are listed for reference.".into()),
                stale: Some(typed),
                ..Default::default()
            };
            render(&s, &auth, &number, out).await
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. } | AppError::Forbidden)) => {
            render(&s, &auth, &number, Outcome { error: Some(describe(&e)), ..Default::default() }).await
        }
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}

/// Adds an attachment after a comment; an error is returned as words.
pub async fn attach(
    s: &WebState,
    auth: &Authenticated,
    number: &str,
    file: Upload,
    public: bool,
) -> Result<(), String> {
    let upload = AttachmentUpload { filename: file.filename, content_type: file.content_type, data: file.data, public };
    s.app.add_attachment(&auth.actor, number, upload).await.map(|_| ()).map_err(|e| describe(&e))
}

/// The composer: a public reply or an internal note, with an optional file.
async fn comment(State(s): State<WebState>, Path(number): Path<String>, post: UploadPost) -> Response {
    let UploadPost { auth, fields, file } = post;
    let public = fields.get("visibility") != Some("internal");
    let body = fields.raw("body").replace("\r\n", "\n");
    let mut out = Outcome::default();
    if body.trim().is_empty() && file.is_none() {
        out.error = Some("Write something or attach a file.".into());
        return render(&s, &auth, &number, out).await;
    }
    if !body.trim().is_empty() {
        if let Err(e) = s.app.add_comment(&auth.actor, &number, &body, public).await {
            out.error = Some(describe(&e));
            return render(&s, &auth, &number, out).await;
        }
    }
    if let Some(f) = file {
        if let Err(e) = attach(&s, &auth, &number, f, public).await {
            out.error = Some(e);
            return render(&s, &auth, &number, out).await;
        }
    }
    Redirect::to(&format!("/agent/tickets/{}#conversation", super::view::enc(&number))).into_response()
}

async fn transition(State(s): State<WebState>, Path(number): Path<String>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let to = fields.get("to").unwrap_or("").to_string();
    let input = TransitionInput {
        hold_reason: if to == "on_hold" {
            Some(fields.get("hold_reason").unwrap_or("other").to_string())
        } else {
            None
        },
        comment: fields.get("comment").map(str::to_string),
        public: Some(fields.get("comment_visibility") != Some("internal")),
        resolve_linked_incidents: fields.has("resolve_linked_incidents"),
        to,
    };
    let version = fields.get("version").and_then(|v| v.parse::<i64>().ok());
    let out = match s.app.transition_ticket(&auth.actor, &number, version, input).await {
        Ok(t) => Outcome { notice: Some(format!("Status is now {}.", words(t.status.as_str()))), ..Default::default() },
        Err(AppError::Stale(_)) => Outcome {
            error: Some("This ticket was changed by someone else meanwhile; the status was NOT changed. Check the current state and try again.".into()),
            ..Default::default()
        },
        Err(e) => Outcome { error: Some(describe(&e)), ..Default::default() },
    };
    render(&s, &auth, &number, out).await
}

async fn link(State(s): State<WebState>, Path(number): Path<String>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let link_type = fields.get("type").unwrap_or("related");
    let target = fields.get("target").unwrap_or("");
    let linked = if link_type == "cause_of" {
        // From a problem: each incident named (comma-separated) is caused by this problem.
        let mut done = Ok(());
        for incident in target.split(',').map(str::trim).filter(|x| !x.is_empty()) {
            let input = LinkInput { link_type: "caused_by".into(), target: Ref::Name(number.clone()) };
            if let Err(e) = s.app.link_tickets(&auth.actor, incident, input).await {
                done = Err(format!("{incident}: {}", describe(&e)));
                break;
            }
        }
        done
    } else {
        let input = LinkInput { link_type: link_type.to_string(), target: Ref::Name(target.to_string()) };
        s.app.link_tickets(&auth.actor, &number, input).await.map(|_| ()).map_err(|e| describe(&e))
    };
    let out = match linked {
        Ok(()) => Outcome::notice("Linked."),
        Err(e) => Outcome::error(&e),
    };
    render(&s, &auth, &number, out).await
}
