//! The admin pages for business calendars: the list, and one form to create or edit a
//! calendar (name, IANA time zone, working hours per weekday, holidays, 24x7). A refused form
//! comes back with what was typed and the domain's field errors next to their fields.

use super::admin::{admin, done, failed, Done};
use super::form::{FieldErrors, Fields};
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
use opsdesk_app::sla::{CalendarInput, CalendarView, BUILTIN_CALENDAR_ID};
use opsdesk_app::AppError;
use opsdesk_domain::sla::CalendarSpec;
use std::collections::BTreeMap;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/admin/sla/calendars", get(list).post(create))
        .route("/admin/sla/calendars/new", get(new))
        .route("/admin/sla/calendars/{id}", get(edit).post(save))
        .route("/admin/sla/calendars/{id}/delete", post(delete))
}

const DAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

pub struct CalendarRow {
    pub id: i64,
    pub name: String,
    pub time_zone: String,
    pub summary: String,
    pub builtin: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/calendars.html")]
struct ListPage {
    nav: Nav,
    ok: Option<&'static str>,
    calendars: Vec<CalendarRow>,
}

fn summary(c: &CalendarView) -> String {
    spec_summary(&c.spec)
}

/// A calendar's week and holidays in one line: "Mon 09:00-17:00 · Tue ...; 2 holidays".
pub fn spec_summary(spec: &CalendarSpec) -> String {
    if spec.twenty_four_seven {
        return "24x7".into();
    }
    let days: Vec<String> = DAYS
        .iter()
        .filter_map(|(k, label)| {
            let v = spec.hours.get(*k).filter(|v| !v.is_empty())?;
            Some(format!("{} {}", &label[..3], v.join(", ")))
        })
        .collect();
    let holidays = match spec.holidays.len() {
        0 => String::new(),
        1 => "; 1 holiday".into(),
        n => format!("; {n} holidays"),
    };
    format!("{}{holidays}", days.join(" · "))
}

async fn list(State(s): State<WebState>, jar: CookieJar, uri: Uri, q: Query<Done>) -> Response {
    let auth = admin!(s, jar, uri);
    match s.app.sla_calendars(&auth.actor).await {
        Ok(all) => {
            let calendars = all
                .iter()
                .map(|c| CalendarRow {
                    id: c.id,
                    name: c.name.clone(),
                    time_zone: c.spec.time_zone.clone(),
                    summary: summary(c),
                    builtin: c.builtin,
                })
                .collect();
            ListPage { nav: Nav::of(&auth), ok: q.message(), calendars }.into_response()
        }
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}

pub struct DayRow {
    pub key: &'static str,
    pub label: &'static str,
    /// The form field: `hours.mon`.
    pub field: String,
    /// Intervals, comma-separated: `09:00-12:30, 13:30-17:00`.
    pub value: String,
}

/// The form's values: a stored calendar's, or what the admin typed.
pub struct CalendarForm {
    pub id: Option<i64>,
    pub name: String,
    pub time_zone: String,
    pub twenty_four_seven: bool,
    pub days: Vec<DayRow>,
    /// One per line: `2026-12-24` (that date) or `12-25` (every year).
    pub holidays: String,
}

impl CalendarForm {
    fn blank() -> CalendarForm {
        CalendarForm {
            id: None,
            name: String::new(),
            time_zone: "UTC".into(),
            twenty_four_seven: false,
            days: day_rows(|key| if matches!(key, "sat" | "sun") { String::new() } else { "09:00-17:00".into() }),
            holidays: String::new(),
        }
    }

    fn of(c: &CalendarView) -> CalendarForm {
        CalendarForm {
            id: Some(c.id),
            name: c.name.clone(),
            time_zone: c.spec.time_zone.clone(),
            twenty_four_seven: c.spec.twenty_four_seven,
            days: day_rows(|key| c.spec.hours.get(key).map(|v| v.join(", ")).unwrap_or_default()),
            holidays: c.spec.holidays.join("\n"),
        }
    }

    fn typed(id: Option<i64>, f: &Fields) -> CalendarForm {
        CalendarForm {
            id,
            name: f.raw("name").into(),
            time_zone: f.raw("time_zone").into(),
            twenty_four_seven: f.has("twenty_four_seven"),
            days: day_rows(|key| f.raw(&format!("hours.{key}")).into()),
            holidays: f.raw("holidays").into(),
        }
    }

    fn input(&self) -> CalendarInput {
        CalendarInput {
            name: self.name.clone(),
            time_zone: self.time_zone.trim().to_string(),
            hours: hours_of(&self.days),
            holidays: split_list(&self.holidays),
            twenty_four_seven: self.twenty_four_seven,
        }
    }
}

/// A row per weekday, its intervals from `value` (given the day's key, `mon` ... `sun`).
pub fn day_rows(value: impl Fn(&str) -> String) -> Vec<DayRow> {
    DAYS.iter().map(|(key, label)| DayRow { key, label, field: format!("hours.{key}"), value: value(key) }).collect()
}

/// The typed rows as a calendar's hours; days left empty are left out.
pub fn hours_of(days: &[DayRow]) -> BTreeMap<String, Vec<String>> {
    days.iter()
        .map(|d| (d.key.to_string(), split_list(&d.value)))
        .filter(|(_, intervals)| !intervals.is_empty())
        .collect()
}

/// Items separated by commas, semicolons or line breaks, trimmed, empty ones dropped.
pub fn split_list(raw: &str) -> Vec<String> {
    raw.split([',', ';', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/calendar.html")]
struct FormPage {
    nav: Nav,
    ok: Option<&'static str>,
    form: CalendarForm,
    errors: FieldErrors,
    zones: Vec<String>,
}

fn form_page(auth: &Authenticated, ok: Option<&'static str>, form: CalendarForm, errors: FieldErrors) -> Response {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let zones = jiff::tz::db().available().map(|z| z.as_str().to_string()).collect();
    (status, FormPage { nav: Nav::of(auth), ok, form, errors, zones }).into_response()
}

async fn new(State(s): State<WebState>, jar: CookieJar, uri: Uri) -> Response {
    let auth = admin!(s, jar, uri);
    form_page(&auth, None, CalendarForm::blank(), FieldErrors::default())
}

async fn edit(State(s): State<WebState>, jar: CookieJar, uri: Uri, Path(id): Path<i64>, q: Query<Done>) -> Response {
    let auth = admin!(s, jar, uri);
    match s.app.sla_calendar(&auth.actor, id).await {
        Ok(c) if c.builtin => super::error_page(
            StatusCode::CONFLICT,
            Some(Nav::of(&auth)),
            "The built-in 24x7 calendar cannot be changed; create a calendar of your own.",
        ),
        Ok(c) => form_page(&auth, q.message(), CalendarForm::of(&c), FieldErrors::default()),
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}

async fn submit(s: &WebState, auth: Authenticated, id: Option<i64>, fields: Fields) -> Response {
    let form = CalendarForm::typed(id, &fields);
    match s.app.save_sla_calendar(&auth.actor, id, form.input()).await {
        Ok(c) => done(&format!("/admin/sla/calendars/{}", c.id), if id.is_some() { "saved" } else { "created" }),
        Err(AppError::Invalid(inv)) => form_page(&auth, None, form, FieldErrors::of_invalid(&inv.0, |_, _| None)),
        Err(e) => failed(&auth, e),
    }
}

async fn create(State(s): State<WebState>, post: FormPost) -> Response {
    submit(&s, post.auth, None, post.fields).await
}

async fn save(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    if id == BUILTIN_CALENDAR_ID {
        return failed(&post.auth, AppError::Forbidden);
    }
    submit(&s, post.auth, Some(id), post.fields).await
}

async fn delete(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, .. } = post;
    match s.app.delete_sla_calendar(&auth.actor, id).await {
        Ok(()) => done("/admin/sla/calendars", "removed"),
        Err(e) => failed(&auth, e),
    }
}
