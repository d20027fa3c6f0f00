//! A CI's maintenance window on its page: the weekly intervals in a time zone (written as a
//! business calendar's working hours are, holidays excluded), shown to agents and set or
//! cleared by admins. A refused window comes back on a page of its own with what was typed
//! and each error next to its day.

use super::admin_calendars::{day_rows, hours_of, spec_summary, split_list, DayRow};
use super::form::{FieldErrors, Fields};
use super::{app_error, FormPost, Nav};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use opsdesk_app::auth::Authenticated;
use opsdesk_app::AppError;
use opsdesk_domain::sla::CalendarSpec;
use opsdesk_domain::Actor;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/agent/cmdb/{id}/maintenance", post(save))
        .route("/agent/cmdb/{id}/maintenance/clear", post(clear))
}

/// The form's values: the stored window's, or what the admin typed.
pub struct WindowForm {
    pub time_zone: String,
    pub days: Vec<DayRow>,
    pub holidays: String,
}

/// What the CI page shows of the maintenance window, and its form for admins.
pub struct MaintenanceCard {
    pub ci_id: i64,
    /// "Sat 22:00-24:00 (Europe/Berlin)", or `None` when any time is allowed.
    pub summary: Option<String>,
    pub form: WindowForm,
    pub errors: FieldErrors,
}

impl WindowForm {
    fn of(spec: Option<&CalendarSpec>, zone: &str) -> WindowForm {
        WindowForm {
            time_zone: spec.map_or_else(|| zone.to_string(), |s| s.time_zone.clone()),
            days: day_rows(|key| spec.and_then(|s| s.hours.get(key)).map(|v| v.join(", ")).unwrap_or_default()),
            holidays: spec.map(|s| s.holidays.join("\n")).unwrap_or_default(),
        }
    }

    fn typed(f: &Fields) -> WindowForm {
        WindowForm {
            time_zone: f.raw("time_zone").into(),
            days: day_rows(|key| f.raw(&format!("hours.{key}")).into()),
            holidays: f.raw("holidays").into(),
        }
    }

    fn spec(&self) -> CalendarSpec {
        CalendarSpec {
            time_zone: self.time_zone.trim().to_string(),
            hours: hours_of(&self.days),
            holidays: split_list(&self.holidays),
            twenty_four_seven: false,
        }
    }
}

impl MaintenanceCard {
    /// The card of a CI; `None` when the window cannot be read (the page goes on without it).
    pub async fn of(s: &WebState, actor: &Actor, ci: i64, zone: &str) -> Option<MaintenanceCard> {
        let view = s
            .app
            .maintenance_window(actor, ci)
            .await
            .map_err(|e| tracing::warn!(error = %e, ci, "the CI page shows no maintenance window"))
            .ok()?;
        let summary = view.window.as_ref().map(|w| format!("{} ({})", spec_summary(w), w.time_zone));
        Some(MaintenanceCard {
            ci_id: ci,
            summary,
            form: WindowForm::of(view.window.as_ref(), zone),
            errors: FieldErrors::default(),
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "agent/ci_maintenance_page.html")]
struct RefusedPage {
    nav: Nav,
    name: String,
    maintenance: MaintenanceCard,
}

async fn refused(s: &WebState, auth: &Authenticated, id: i64, form: WindowForm, errors: FieldErrors) -> Response {
    let name = match s.app.ci(&auth.actor, id).await {
        Ok(c) => c.name,
        Err(e) => return app_error(Some(Nav::of(auth)), e),
    };
    let summary = s.app.maintenance_window(&auth.actor, id).await.ok().and_then(|v| v.window);
    let maintenance = MaintenanceCard {
        ci_id: id,
        summary: summary.map(|w| format!("{} ({})", spec_summary(&w), w.time_zone)),
        form,
        errors,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, RefusedPage { nav: Nav::of(auth), name, maintenance }).into_response()
}

fn back(id: i64) -> Response {
    Redirect::to(&format!("/agent/cmdb/{id}?ok=saved#maintenance")).into_response()
}

async fn save(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let form = WindowForm::typed(&fields);
    match s.app.set_maintenance_window(&auth.actor, id, Some(form.spec())).await {
        Ok(_) => back(id),
        Err(AppError::Invalid(inv)) => {
            let errors = FieldErrors::of_invalid(&inv.0, |_, _| None);
            refused(&s, &auth, id, form, errors).await
        }
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}

async fn clear(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, .. } = post;
    match s.app.set_maintenance_window(&auth.actor, id, None).await {
        Ok(_) => back(id),
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}
