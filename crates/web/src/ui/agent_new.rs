//! Logging a ticket from the agent console: any kind that stands on its own (tasks are added
//! on their parent's page), for a requester or for oneself, routed to a group.

use super::agent_ticket::{render, Outcome};
use super::view::words;
use super::{agent_only, describe, FormPost, Nav};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::CookieJar;
use opsdesk_app::auth::Authenticated;
use opsdesk_app::tickets::{CreateTicket, Ref};
use opsdesk_domain::ticket::Kind;

pub fn router() -> Router<WebState> {
    Router::new().route("/agent/new", get(form).post(create))
}

#[derive(Template, WebTemplate)]
#[template(path = "agent/new.html")]
struct NewTicketPage {
    nav: Nav,
    kinds: Vec<(String, String)>,
    groups: Vec<(String, String)>,
    /// Business services not retired, as `(id, name)`.
    services: Vec<(String, String)>,
    typed: Typed,
    error: Option<String>,
}

/// What the form shows: empty, or what the agent had typed when it was refused.
#[derive(Default)]
struct Typed {
    kind: String,
    title: String,
    description: String,
    impact: String,
    urgency: String,
    group: String,
    requester: String,
    service: String,
}

async fn page(s: &WebState, auth: &Authenticated, typed: Typed, error: Option<String>) -> Response {
    let groups = s.app.groups(&auth.actor, 0, 500).await.unwrap_or_default();
    NewTicketPage {
        nav: Nav::of(auth),
        kinds: Kind::ALL
            .iter()
            // Changes have their own form (schedule, CIs, risk): /agent/changes/new.
            .filter(|k| !k.def().child && **k != Kind::Change)
            .map(|k| (k.as_str().to_string(), words(k.def().label)))
            .collect(),
        groups: groups.iter().map(|g| (g.id.to_string(), g.name.clone())).collect(),
        services: super::portal::service_choices(s, auth).await,
        typed,
        error,
    }
    .into_response()
}

async fn form(State(s): State<WebState>, jar: CookieJar, uri: Uri) -> Response {
    let auth = match agent_only(&s, &jar, &uri).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let typed = Typed { kind: "incident".into(), impact: "2".into(), urgency: "2".into(), ..Default::default() };
    page(&s, &auth, typed, None).await
}

async fn create(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    if auth.user.role == opsdesk_domain::Role::Requester {
        return Redirect::to("/portal/new").into_response();
    }
    let typed = Typed {
        kind: fields.raw("kind").into(),
        title: fields.raw("title").into(),
        description: fields.raw("description").replace("\r\n", "\n"),
        impact: fields.raw("impact").into(),
        urgency: fields.raw("urgency").into(),
        group: fields.raw("group").into(),
        requester: fields.raw("requester").trim().into(),
        service: fields.raw("service").trim().into(),
    };
    let input = CreateTicket {
        kind: typed.kind.clone(),
        title: typed.title.clone(),
        description: typed.description.clone(),
        impact: typed.impact.parse().ok(),
        urgency: typed.urgency.parse().ok(),
        group: typed.group.parse().ok().map(Ref::Id),
        requester: (!typed.requester.is_empty()).then(|| Ref::Name(typed.requester.clone())),
        ..Default::default()
    };
    match s.app.create_ticket(&auth.actor, input).await {
        Ok(t) => {
            let service = typed.service.parse::<i64>().ok();
            if !super::portal::name_affected_service(&s, &auth, &t.number, service).await {
                let out = Outcome::error("The ticket was logged, but the affected service could not be named on it.");
                return render(&s, &auth, &t.number, out).await;
            }
            Redirect::to(&format!("/agent/tickets/{}", super::view::enc(&t.number))).into_response()
        }
        Err(e) => page(&s, &auth, typed, Some(describe(&e))).await,
    }
}
