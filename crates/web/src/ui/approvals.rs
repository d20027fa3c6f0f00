//! The Approvals page (what waits on the signed-in user, as approver or delegate, with
//! approve/reject forms) and the pages behind signed email links: a GET only shows what would
//! be decided (mail scanners prefetch links), a POST decides once.

use super::approval_change::CabChange;
use super::{app_error, describe, error_page, signed_in, FormPost, Nav};
use crate::extract::{check_same_origin, SESSION_COOKIE};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use opsdesk_app::approvals::{ApprovalView, LinkCheck, LinkPage};
use opsdesk_app::AppError;
use serde::Deserialize;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/approvals", get(waiting))
        .route("/approvals/{id}/decide", post(decide))
        .route("/approvals/link/{token}", get(link_page).post(link_decide))
}

/// One approval waiting on the user, as the page shows it.
struct Waiting {
    id: i64,
    number: String,
    title: String,
    href: String,
    stage: usize,
    stages: usize,
    rule: String,
    /// Approvers the user decides for besides themselves (delegations).
    on_behalf: String,
    /// The change decided, for a change's CAB.
    change: Option<CabChange>,
}

#[derive(Template, WebTemplate)]
#[template(path = "approvals/waiting.html")]
struct WaitingPage {
    nav: Nav,
    rows: Vec<Waiting>,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

fn rule_label(v: &serde_json::Value) -> String {
    match (v.as_str(), v.get("n"), v.get("percent")) {
        (Some("any"), _, _) => "any one approver".into(),
        (Some("all"), _, _) => "all approvers".into(),
        (_, Some(n), _) => format!("{n} approvers"),
        (_, _, Some(p)) => format!("{p}% of the approvers"),
        _ => String::new(),
    }
}

fn waiting_row(a: &ApprovalView, me: i64, agent: bool) -> Waiting {
    let stage = a.current_stage.and_then(|i| a.stages.get(i));
    let on_behalf = stage
        .map(|s| {
            s.approvers
                .iter()
                .filter(|p| p.id != me && p.decision.is_none())
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let i_approve = stage.is_some_and(|s| s.approvers.iter().any(|p| p.id == me && p.decision.is_none()));
    let number = a.subject.number.clone().unwrap_or_default();
    Waiting {
        id: a.id,
        href: if agent { format!("/agent/tickets/{number}") } else { format!("/portal/tickets/{number}") },
        number,
        title: a.subject.title.clone().unwrap_or_default(),
        stage: a.current_stage.unwrap_or(0) + 1,
        stages: a.stages.len(),
        rule: stage.map(|s| rule_label(&s.rule)).unwrap_or_default(),
        on_behalf: if i_approve { String::new() } else { on_behalf },
        change: None,
    }
}

async fn waiting(
    State(s): State<WebState>,
    jar: CookieJar,
    uri: Uri,
    q: Result<Query<Done>, QueryRejection>,
) -> Response {
    let auth = match signed_in(&s, &jar, &uri).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let nav = Nav::of(&auth);
    let found = match s.app.approvals_waiting_on_me(&auth.actor).await {
        Ok(f) => f,
        Err(e) => return app_error(Some(nav), e),
    };
    let mut rows = Vec::new();
    for a in &found {
        let mut row = waiting_row(a, auth.user.id, nav.agent);
        row.change = match s.app.approval_change(&auth.actor, a.id).await {
            Ok(c) => c.map(|c| CabChange::of(&c, &auth.user.time_zone)),
            Err(e) => {
                tracing::warn!(error = %e, approval = a.id, "the Approvals page shows no change");
                None
            }
        };
        rows.push(row);
    }
    let notice = match q.ok().and_then(|q| q.0.done).as_deref() {
        Some("approve") => Some("Approved. Thank you."),
        Some("reject") => Some("Rejected. The requester's ticket shows your comment."),
        _ => None,
    };
    WaitingPage { nav, rows, notice }.into_response()
}

async fn decide(State(s): State<WebState>, Path(id): Path<String>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let nav = Nav::of(&auth);
    let Ok(id) = id.parse::<i64>() else { return app_error(Some(nav), AppError::NotFound) };
    let decision = fields.get("decision").unwrap_or("").to_string();
    let input = opsdesk_app::approvals::DecisionInput {
        decision: decision.clone(),
        comment: fields.get("comment").map(str::to_string),
        on_behalf_of: None,
    };
    match s.app.decide_approval(&auth.actor, id, input, "web").await {
        Ok(_) => Redirect::to(&format!("/approvals?done={}", if decision == "reject" { "reject" } else { "approve" }))
            .into_response(),
        Err(e @ (AppError::Conflict { .. } | AppError::Refused { .. })) => {
            let status =
                if matches!(e, AppError::Conflict { .. }) { StatusCode::CONFLICT } else { StatusCode::FORBIDDEN };
            error_page(status, Some(nav), &describe(&e))
        }
        Err(e) => app_error(Some(nav), e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "approvals/link.html")]
struct LinkTemplate {
    usable: bool,
    message: &'static str,
    number: String,
    title: String,
    approver: String,
    stage: usize,
    stages: usize,
    decided: Option<&'static str>,
    change: Option<CabChange>,
}

fn render_link(p: LinkPage) -> Response {
    let status = match p.check {
        LinkCheck::Usable => StatusCode::OK,
        LinkCheck::Unknown => StatusCode::NOT_FOUND,
        LinkCheck::Expired | LinkCheck::Used => StatusCode::GONE,
        LinkCheck::Decided | LinkCheck::Finished => StatusCode::CONFLICT,
        LinkCheck::Foreign => StatusCode::FORBIDDEN,
    };
    let page = LinkTemplate {
        usable: p.check == LinkCheck::Usable && p.decided.is_none(),
        message: p.check.message(),
        number: p.ticket_number,
        title: p.ticket_title,
        approver: p.approver_name,
        stage: p.stage,
        stages: p.stages,
        // The link's reader may not be signed in: times in UTC.
        change: p.change.as_ref().map(|c| CabChange::of(c, "UTC")),
        decided: p
            .decided
            .map(|d| if d == opsdesk_domain::approval::Decision::Approve { "approved" } else { "rejected" }),
    };
    let mut res = (status, page).into_response();
    // The token is in the address: keep it out of Referer headers to other sites and out of
    // caches. (`no-referrer` would also make browsers send `Origin: null` on the form post.)
    res.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn viewer(s: &WebState, jar: &CookieJar) -> Option<i64> {
    let cookie = jar.get(SESSION_COOKIE)?;
    s.app.authenticate_session(cookie.value()).await.ok().map(|a| a.user.id)
}

async fn link_page(State(s): State<WebState>, jar: CookieJar, Path(token): Path<String>) -> Response {
    let who = viewer(&s, &jar).await;
    match s.app.approval_link_page(&token, who).await {
        Ok(p) => render_link(p),
        Err(e) => app_error(None, e),
    }
}

#[derive(Deserialize)]
struct LinkForm {
    decision: String,
    #[serde(default)]
    comment: Option<String>,
}

async fn link_decide(State(s): State<WebState>, jar: CookieJar, Path(token): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    if check_same_origin(&parts).is_err() {
        return error_page(StatusCode::FORBIDDEN, None, "Cross-site requests are not accepted.");
    }
    let Ok(Form(form)) = Form::<LinkForm>::from_request(Request::from_parts(parts, body), &s).await else {
        return error_page(StatusCode::BAD_REQUEST, None, "Choose approve or reject.");
    };
    let who = viewer(&s, &jar).await;
    match s.app.decide_by_link(&token, &form.decision, form.comment.as_deref(), who).await {
        Ok(p) => render_link(p),
        Err(e @ AppError::Invalid(_)) => error_page(StatusCode::UNPROCESSABLE_ENTITY, None, &describe(&e)),
        Err(e) => app_error(None, e),
    }
}
