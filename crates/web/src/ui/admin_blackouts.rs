//! The admin page for blackout (freeze) windows: those not over yet, each with a delete
//! button, and the form that adds one with its name, start and end (typed in the admin's time
//! zone) and scope: everything, or the CIs named one per line (by id or name; a service
//! freezes what it depends on). Beside them, how deep the conflict check looks into the
//! dependency graph.

use super::admin::{admin, done, failed, Done};
use super::agent_change::local;
use super::cmdb_form::find_ci;
use super::form::FieldErrors;
use super::{admin_only, app_error, FormPost, Nav};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use opsdesk_app::auth::Authenticated;
use opsdesk_app::changes::{BlackoutInput, BlackoutScopeInput, ChangeSettingsInput};
use opsdesk_app::AppError;
use opsdesk_domain::FieldError;
use serde_json::Value;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/admin/changes/blackouts", get(list).post(create))
        .route("/admin/changes/blackouts/{id}/delete", post(delete))
        .route("/admin/changes/conflict-depth", post(set_depth))
}

pub struct BlackoutRow {
    pub id: i64,
    pub name: String,
    pub from: String,
    pub until: String,
    pub scope: String,
}

/// The new-blackout form's values.
#[derive(Default)]
pub struct BlackoutForm {
    pub name: String,
    pub from: String,
    pub until: String,
    pub chosen: bool,
    pub cis: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/blackouts.html")]
struct BlackoutsPage {
    nav: Nav,
    ok: Option<&'static str>,
    zone: String,
    blackouts: Vec<BlackoutRow>,
    form: BlackoutForm,
    errors: FieldErrors,
    /// Levels of the dependency graph the conflict check reaches.
    depth: u32,
}

/// A `datetime-local` value typed in `zone`, as RFC 3339; the raw text when it is not one, so
/// that the application names the field.
pub fn from_local(raw: &str, zone: &str) -> String {
    let raw = raw.trim();
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    match raw.parse::<jiff::civil::DateTime>().ok().and_then(|d| d.to_zoned(tz).ok()) {
        Some(z) => z.timestamp().to_string(),
        None => raw.to_string(),
    }
}

async fn render(
    s: &WebState,
    auth: &Authenticated,
    ok: Option<&'static str>,
    form: BlackoutForm,
    errors: FieldErrors,
) -> Response {
    let zone = auth.user.time_zone.clone();
    let all = match s.app.blackouts(&auth.actor).await {
        Ok(b) => b,
        Err(e) => return app_error(Some(Nav::of(auth)), e),
    };
    let mut blackouts = Vec::new();
    for b in all {
        let scope = match b.scope.get("cis").and_then(Value::as_array) {
            None => "everything".to_string(),
            Some(ids) => {
                let mut names = Vec::new();
                for id in ids.iter().filter_map(Value::as_i64) {
                    let name = s.app.ci(&auth.actor, id).await.map(|c| c.name).unwrap_or_else(|_| format!("#{id}"));
                    names.push(name);
                }
                names.join(", ")
            }
        };
        blackouts.push(BlackoutRow {
            id: b.id,
            name: b.name,
            from: local(b.from, &zone),
            until: local(b.until, &zone),
            scope,
        });
    }
    let depth = match s.app.change_settings(&auth.actor).await {
        Ok(c) => c.conflict_depth,
        Err(e) => return app_error(Some(Nav::of(auth)), e),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, BlackoutsPage { nav: Nav::of(auth), ok, zone, blackouts, form, errors, depth }).into_response()
}

async fn list(State(s): State<WebState>, jar: CookieJar, uri: Uri, q: Query<Done>) -> Response {
    let auth = admin!(s, jar, uri);
    render(&s, &auth, q.message(), BlackoutForm::default(), FieldErrors::default()).await
}

async fn create(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let zone = auth.user.time_zone.clone();
    let form = BlackoutForm {
        name: fields.raw("name").into(),
        from: fields.raw("from").trim().into(),
        until: fields.raw("until").trim().into(),
        chosen: fields.get("scope") == Some("cis"),
        cis: fields.raw("cis").replace("\r\n", "\n"),
    };
    let scope = if form.chosen {
        let mut ids = Vec::new();
        let mut errors = FieldErrors::default();
        for (i, line) in form.cis.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            match find_ci(&s.app, &auth.actor, line).await {
                Ok(id) => ids.push(id),
                Err(message) => errors.push("scope.cis", format!("line {}: {message}", i + 1)),
            }
        }
        if ids.is_empty() && errors.is_empty() {
            errors.push("scope.cis", "Name the configuration items the blackout freezes, one per line.");
        }
        if !errors.is_empty() {
            return render(&s, &auth, None, form, errors).await;
        }
        Some(BlackoutScopeInput::Cis { cis: ids })
    } else {
        Some(BlackoutScopeInput::All("all".into()))
    };
    let input = BlackoutInput {
        name: form.name.clone(),
        from: from_local(&form.from, &zone),
        until: from_local(&form.until, &zone),
        scope,
    };
    match s.app.create_blackout(&auth.actor, input).await {
        Ok(_) => done("/admin/changes/blackouts", "created"),
        Err(AppError::Invalid(inv)) => {
            let errors = FieldErrors::of_invalid(&inv.0, |_, _| None);
            render(&s, &auth, None, form, errors).await
        }
        Err(e) => failed(&auth, e),
    }
}

async fn delete(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, .. } = post;
    match s.app.delete_blackout(&auth.actor, id).await {
        Ok(()) => done("/admin/changes/blackouts", "removed"),
        Err(e) => failed(&auth, e),
    }
}

async fn set_depth(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let Ok(levels) = fields.raw("conflict_depth").trim().parse::<i64>() else {
        return failed(&auth, FieldError::new("conflict_depth", "not_a_number", "Choose 1 to 5 levels.").into());
    };
    match s.app.update_change_settings(&auth.actor, ChangeSettingsInput { conflict_depth: levels }).await {
        Ok(_) => done("/admin/changes/blackouts", "saved"),
        Err(e) => failed(&auth, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_time_becomes_an_instant_and_nonsense_stays_for_the_error() {
        assert_eq!(from_local("2026-12-24T10:00", "Europe/Berlin"), "2026-12-24T09:00:00Z");
        assert_eq!(from_local(" soon ", "UTC"), "soon");
    }
}
