//! The change calendar for agents: a month, a week or a list of the changes planned in it,
//! with blackout days marked, each change's conflicts marked, the maintenance windows of the
//! CIs a `ci:` filter names, filtered like the API (`type:`, `status:`, `desk:`, `ci:`,
//! `service:` and words); and the personal iCalendar feed (issue, revoke).

use super::agent_change::local;
use super::view::{enc, words};
use super::{agent_only, describe, FormPost, Nav};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::ToSpan;
use opsdesk_app::changes::{CalendarItemView, CalendarQuery};
use serde::Deserialize;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/agent/changes", get(calendar))
        .route("/agent/changes/feed", post(issue_feed))
        .route("/agent/changes/feed/revoke", post(revoke_feed))
}

#[derive(Deserialize, Default)]
struct Params {
    view: Option<String>,
    /// A day of the period shown (`YYYY-MM-DD`); today by default.
    at: Option<String>,
    q: Option<String>,
}

pub struct Entry {
    pub number: String,
    pub title: String,
    pub status: String,
    pub change_type: String,
    pub risk: String,
    pub when: String,
    /// The kinds of conflict, in words (empty when none).
    pub conflicts: String,
}

pub struct Day {
    /// `YYYY-MM-DD`, for the link to the day's week.
    pub date: String,
    pub label: String,
    pub in_period: bool,
    pub blackout: bool,
    /// The maintenance windows of the day: CI and hours.
    pub maintenance: Vec<String>,
    pub entries: Vec<Entry>,
    /// Changes of the day beyond those shown (the month grid shows [`MONTH_DAY_ENTRIES`]).
    pub more: usize,
}

/// A day of the month grid lists this many changes, then links to its week for the rest: a
/// busy month (thousands of changes) stays a page one can read and load quickly.
const MONTH_DAY_ENTRIES: usize = 6;

#[derive(Template, WebTemplate)]
#[template(path = "agent/changes.html")]
struct CalendarPage {
    nav: Nav,
    view: String,
    title: String,
    q: String,
    prev: String,
    next: String,
    weeks: Vec<Vec<Day>>,
    list: Vec<Entry>,
    blackouts: Vec<String>,
    maintenance: Vec<String>,
    error: Option<String>,
    feed: Option<String>,
    feed_active: bool,
}

fn entry(c: &CalendarItemView, zone: &str) -> Entry {
    Entry {
        number: c.number.clone(),
        title: c.title.clone(),
        status: words(&c.status),
        change_type: c.change_type.clone(),
        risk: words(&c.risk_class),
        when: format!("{} to {}", local(c.planned_start, zone), local(c.planned_end, zone)),
        conflicts: c.conflicts.iter().map(|k| words(k)).collect::<Vec<_>>().join(", "),
    }
}

async fn calendar(
    State(s): State<WebState>,
    jar: CookieJar,
    uri: Uri,
    params: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let auth = match agent_only(&s, &jar, &uri).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let p = params.map(|Query(p)| p).unwrap_or_default();
    render(&s, &auth, p, None).await
}

async fn render(s: &WebState, auth: &opsdesk_app::auth::Authenticated, p: Params, feed: Option<String>) -> Response {
    let zone = auth.user.time_zone.as_str().to_string();
    let tz = TimeZone::get(&zone).unwrap_or(TimeZone::UTC);
    let today = jiff::Zoned::now().with_time_zone(tz.clone()).date();
    let at = p.at.as_deref().and_then(|d| d.parse::<Date>().ok()).unwrap_or(today);
    let view = match p.view.as_deref() {
        Some("week") => "week",
        Some("list") => "list",
        _ => "month",
    };
    // The period, and the days of the grid around it (whole weeks, Monday first).
    let (start, end, title, prev, next) = match view {
        "week" => {
            let monday = at - (at.weekday().to_monday_zero_offset() as i64).days();
            let sunday = monday + 6.days();
            (monday, monday + 7.days(), format!("Week of {monday}"), monday - 7.days(), sunday + 1.days())
        }
        _ => {
            let first = at.first_of_month();
            let after = first + 1.month();
            (first, after, first.strftime("%B %Y").to_string(), first - 1.month(), after)
        }
    };
    let grid_start = start - (start.weekday().to_monday_zero_offset() as i64).days();
    let last = end - 1.days();
    let grid_end = last + (6 - last.weekday().to_monday_zero_offset() as i64).days() + 1.days();
    let to_ts = |d: Date| d.to_zoned(tz.clone()).map(|z| z.timestamp().to_string()).unwrap_or_default();
    let q = CalendarQuery {
        from: Some(to_ts(if view == "list" { start } else { grid_start })),
        to: Some(to_ts(if view == "list" { end } else { grid_end })),
        q: p.q.clone().filter(|q| !q.trim().is_empty()),
    };
    // The grid's days as instants, and how many changes a day lists.
    let mut days = Vec::new();
    if view != "list" {
        let mut day = grid_start;
        while day < grid_end {
            let (from, until) = (day.to_zoned(tz.clone()).ok(), (day + 1.days()).to_zoned(tz.clone()).ok());
            let (Some(from), Some(until)) = (from, until) else { break };
            days.push((day, from.timestamp(), until.timestamp()));
            day += 1.days();
        }
    }
    let limit = if view == "month" { MONTH_DAY_ENTRIES } else { usize::MAX };
    // Only the changes the page lists are marked (marking reads around each one).
    let listed = |items: &[CalendarItemView]| {
        if view == "list" {
            return vec![true; items.len()];
        }
        let mut shown = vec![false; items.len()];
        for (_, from, until) in &days {
            let on_day =
                items.iter().enumerate().filter(|(_, c)| c.planned_start.0 < *until && c.planned_end.0 > *from);
            for (i, _) in on_day.take(limit) {
                shown[i] = true;
            }
        }
        shown
    };
    let (items, blackouts, maintenance, error) = match s.app.change_calendar_marking(&auth.actor, &q, &listed).await {
        Ok(c) => (c.items, c.blackouts, c.maintenance, None),
        Err(e) => (Vec::new(), Vec::new(), Vec::new(), Some(describe(&e))),
    };
    let hours = |t: opsdesk_store::Ts| t.0.to_zoned(tz.clone()).strftime("%H:%M").to_string();
    let weeks: Vec<Vec<Day>> = days
        .chunks(7)
        .map(|week| {
            week.iter()
                .map(|(day, from, until)| {
                    let on_day: Vec<&CalendarItemView> =
                        items.iter().filter(|c| c.planned_start.0 < *until && c.planned_end.0 > *from).collect();
                    Day {
                        date: day.to_string(),
                        label: day.strftime("%a %-d").to_string(),
                        in_period: *day >= start && *day < end,
                        blackout: blackouts.iter().any(|b| b.from.0 < *until && b.until.0 > *from),
                        maintenance: maintenance
                            .iter()
                            .filter(|m| m.start.0 < *until && m.end.0 > *from)
                            .map(|m| format!("{} {}–{}", m.ci_name, hours(m.start), hours(m.end)))
                            .collect(),
                        entries: on_day.iter().take(limit).map(|c| entry(c, &zone)).collect(),
                        more: on_day.len().saturating_sub(limit),
                    }
                })
                .collect()
        })
        .collect();
    let feed_active = s.app.calendar_feed_state(&auth.actor).await.map(|f| f.active).unwrap_or(false);
    CalendarPage {
        nav: super::Nav::of(auth),
        view: view.into(),
        title,
        q: p.q.unwrap_or_default(),
        prev: prev.to_string(),
        next: next.to_string(),
        weeks,
        list: if view == "list" { items.iter().map(|c| entry(c, &zone)).collect() } else { Vec::new() },
        blackouts: blackouts
            .iter()
            .map(|b| format!("{}: {} to {}", b.name, local(b.from, &zone), local(b.until, &zone)))
            .collect(),
        maintenance: if view == "list" {
            maintenance
                .iter()
                .map(|m| format!("{}: {} to {}", m.ci_name, local(m.start, &zone), local(m.end, &zone)))
                .collect()
        } else {
            Vec::new()
        },
        error,
        feed,
        feed_active,
    }
    .into_response()
}

async fn issue_feed(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, .. } = post;
    match s.app.issue_calendar_feed(&auth.actor).await {
        Ok(f) => render(&s, &auth, Params { view: Some("list".into()), ..Default::default() }, f.url).await,
        Err(e) => super::app_error(Some(Nav::of(&auth)), e),
    }
}

async fn revoke_feed(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, .. } = post;
    match s.app.revoke_calendar_feed(&auth.actor).await {
        Ok(()) => Redirect::to(&format!("/agent/changes?view={}", enc("list"))).into_response(),
        Err(e) => super::app_error(Some(Nav::of(&auth)), e),
    }
}
