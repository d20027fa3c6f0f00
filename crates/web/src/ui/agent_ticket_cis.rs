//! The "Configuration items" card of the agent's ticket page: the CIs the ticket names
//! (affected, or the cause), each with a remove button, and the form to name another by id or
//! by a search.

use super::agent_ticket::{render, Outcome};
use super::cmdb_form::find_ci;
use super::view::enc;
use super::{describe, FormPost};
use crate::WebState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use opsdesk_app::cmdb::{TicketCiInput, TicketCiView, TicketImpactView};
use opsdesk_app::App;
use opsdesk_domain::Actor;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/agent/tickets/{number}/cis", post(add))
        .route("/agent/tickets/{number}/cis/{ci}/remove", post(remove))
}

/// The CIs the ticket names; none when they cannot be read (the page still shows the ticket).
pub async fn ticket_cis(app: &App, actor: &Actor, number: &str) -> Vec<TicketCiView> {
    app.ticket_cis(actor, number)
        .await
        .map_err(|e| tracing::warn!(error = %e, "the ticket page shows no configuration items"))
        .unwrap_or_default()
}

/// What the named items affect, for the card; none when nothing is named or it cannot be
/// read.
pub async fn ticket_impact(app: &App, actor: &Actor, number: &str) -> Option<TicketImpactView> {
    app.ticket_impact(actor, number)
        .await
        .map_err(|e| tracing::warn!(error = %e, "the ticket page shows no impact"))
        .ok()
        .filter(|i| i.reached > 0)
}

async fn add(State(s): State<WebState>, Path(number): Path<String>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let ci = match find_ci(&s.app, &auth.actor, fields.raw("ci")).await {
        Ok(ci) => ci,
        Err(message) => return render(&s, &auth, &number, Outcome::error(&message)).await,
    };
    let input = TicketCiInput { ci, role: fields.get("role").map(str::to_string) };
    match s.app.add_ticket_ci(&auth.actor, &number, input).await {
        Ok(_) => Redirect::to(&format!("/agent/tickets/{}#cis", enc(&number))).into_response(),
        Err(e) => render(&s, &auth, &number, Outcome::error(&describe(&e))).await,
    }
}

async fn remove(State(s): State<WebState>, Path((number, ci)): Path<(String, i64)>, post: FormPost) -> Response {
    let FormPost { auth, .. } = post;
    match s.app.remove_ticket_ci(&auth.actor, &number, ci).await {
        Ok(()) => Redirect::to(&format!("/agent/tickets/{}#cis", enc(&number))).into_response(),
        Err(e) => render(&s, &auth, &number, Outcome::error(&describe(&e))).await,
    }
}
