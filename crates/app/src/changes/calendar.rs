//! The change calendar: changes whose planned window falls in a range, filtered by desk, CI,
//! service, type and status, with the blackouts of the range; and a personal iCalendar feed
//! read with a revocable token (calendar programs cannot sign in). Each change carries the
//! kinds of conflict it has at a glance (see [`opsdesk_domain::change::marks`]), and a
//! calendar filtered to CIs shows their maintenance windows.

use super::scan::{blackout, calendar};
use super::settings::BlackoutView;
use crate::cmdb::require_agent;
use crate::{App, AppError, Result};
use opsdesk_domain::change::{calendar_marks, Booked, Window};
use opsdesk_domain::cmdb::{Direction, Edge, RelType, Walk};
use opsdesk_domain::ticket::{Kind, TicketAccess};
use opsdesk_domain::{Actor, FieldError};
use opsdesk_store::changes::{holds_window, Reader, ScheduledChange};
use opsdesk_store::Ts;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// At most this many changes in one calendar answer.
const CALENDAR_LIMIT: i64 = 10_000;
/// The longest range one calendar answer covers.
const MAX_RANGE_DAYS: i64 = 400;
/// Every status a change on the calendar may be in: drafts too (their owner plans around
/// them), though only submitted changes hold their window against others.
const CALENDAR_STATUSES: &str =
    "'draft', 'assessment', 'awaiting_approval', 'scheduled', 'implementing', 'review', 'failed', 'closed'";
/// At most this many maintenance windows in one calendar answer.
const MAINTENANCE_LIMIT: usize = 2_000;

#[derive(Debug, Clone, Default)]
pub struct CalendarQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    /// Words and filters: `type:normal`, `status:scheduled`, `desk:IT`, `ci:42` or `ci:db-01`,
    /// `service:Payroll`; other words match the number or title.
    pub q: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ChangeCalendarItem)]
pub struct CalendarItemView {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub status: String,
    #[serde(rename = "type")]
    pub change_type: String,
    pub risk_class: String,
    pub desk_id: i64,
    pub assignee_id: Option<i64>,
    #[schema(value_type = String, format = DateTime)]
    pub planned_start: Ts,
    #[schema(value_type = String, format = DateTime)]
    pub planned_end: Ts,
    /// The kinds of conflict the change has, judged at a glance on the range: another
    /// submitted change on the same CI or a CI linked directly, its assignee booked
    /// elsewhere, a blackout, a CI's maintenance window. The change's own conflict check
    /// (`GET /api/v1/changes/{id}/conflicts`) looks deeper and names each one.
    pub conflicts: Vec<String>,
}

/// A stretch of a CI's maintenance window within the calendar's range.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ChangeCalendarMaintenance)]
pub struct MaintenanceSlotView {
    pub ci_id: i64,
    pub ci_name: String,
    #[schema(value_type = String, format = DateTime)]
    pub start: Ts,
    #[schema(value_type = String, format = DateTime)]
    pub end: Ts,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ChangeCalendar)]
pub struct CalendarView {
    #[schema(value_type = String, format = DateTime)]
    pub from: Ts,
    #[schema(value_type = String, format = DateTime)]
    pub to: Ts,
    pub items: Vec<CalendarItemView>,
    pub blackouts: Vec<BlackoutView>,
    /// The maintenance windows of the CIs a `ci:` filter names, within the range (at most
    /// 2,000); empty without that filter.
    pub maintenance: Vec<MaintenanceSlotView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedTokenView {
    /// Shown once: the feed's address carries it. Issuing a new one revokes the old.
    pub token: Option<String>,
    /// `/api/v1/changes/calendar.ics?token=…`
    pub url: Option<String>,
    pub active: bool,
}

/// A parsed `q`.
#[derive(Debug, Default)]
struct Filter {
    types: Vec<String>,
    statuses: Vec<String>,
    desks: Vec<String>,
    cis: Vec<String>,
    services: Vec<String>,
    words: Vec<String>,
}

fn parse_q(q: &str) -> std::result::Result<Filter, FieldError> {
    let mut f = Filter::default();
    for token in q.split_whitespace() {
        match token.split_once(':') {
            Some(("type", v)) => f.types.push(v.to_ascii_lowercase()),
            Some(("status", v)) => f.statuses.push(v.to_ascii_lowercase()),
            Some(("desk", v)) => f.desks.push(v.to_string()),
            Some(("ci", v)) => f.cis.push(v.to_string()),
            Some(("service", v)) => f.services.push(v.to_string()),
            Some((k, _)) if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphabetic()) => {
                return Err(FieldError::new(
                    "q",
                    "unknown_filter",
                    format!("the calendar filters on type, status, desk, ci and service, not {k:?}"),
                ))
            }
            _ => f.words.push(token.to_lowercase()),
        }
    }
    Ok(f)
}

fn access(c: &ScheduledChange) -> TicketAccess {
    TicketAccess {
        kind: Kind::Change,
        requester_id: c.requester_id,
        organization_id: c.organization_id,
        shared_with_organization: c.shared_with_organization,
        group_id: c.group_id,
        assignee_id: c.assignee_id,
    }
}

/// Chooses which of a calendar's changes get their conflict marks: a page marks only those it
/// shows (marking reads around each marked change). Given the changes, it answers one flag each.
pub type MarkChoice<'a> = &'a (dyn Fn(&[CalendarItemView]) -> Vec<bool> + Sync);

impl App {
    /// The change calendar of a range (default: this month), every change marked.
    pub async fn change_calendar(&self, actor: &Actor, q: &CalendarQuery) -> Result<CalendarView> {
        self.change_calendar_marking(actor, q, &|items| vec![true; items.len()]).await
    }

    /// The change calendar with conflict marks on the changes `mark` chooses.
    pub async fn change_calendar_marking(
        &self,
        actor: &Actor,
        q: &CalendarQuery,
        mark: MarkChoice<'_>,
    ) -> Result<CalendarView> {
        require_agent(actor)?;
        let mut c = opsdesk_domain::validation::Checks::new();
        let now = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::UTC);
        let month_start = now.date().first_of_month().to_zoned(jiff::tz::TimeZone::UTC).map(|z| Ts(z.timestamp()));
        let from = match q.from.as_deref() {
            Some(f) => c.take(crate::instant_or_date(f, "from")),
            None => month_start.ok(),
        };
        let to = match q.to.as_deref() {
            Some(t) => c.take(crate::instant_or_date(t, "to")),
            None => from.map(|f| Ts(f.0 + jiff::SignedDuration::from_hours(24 * 31))),
        };
        let filter = match q.q.as_deref() {
            Some(raw) => c.take(parse_q(raw)),
            None => Some(Filter::default()),
        };
        if let (Some(f), Some(t)) = (from, to) {
            if t <= f {
                c.push(FieldError::new("to", "before_start", "to is after from"));
            } else if t.micros() - f.micros() > MAX_RANGE_DAYS * 86_400_000_000 {
                c.push(FieldError::new("to", "too_long", format!("a calendar covers at most {MAX_RANGE_DAYS} days")));
            }
        }
        c.finish()?;
        let (Some(from), Some(to), Some(filter)) = (from, to, filter) else {
            return Err(AppError::Internal("validated calendar query is incomplete".into()));
        };
        let (items, blackouts) = self.calendar_items(actor, from, to, &filter, mark).await?;
        let maintenance = self.maintenance_slots(&filter, from, to).await?;
        Ok(CalendarView { from, to, items, blackouts: blackouts.iter().map(BlackoutView::from).collect(), maintenance })
    }

    /// The CIs named by `ci:` filters, by id or name.
    async fn named_cis(&self, names: &[String]) -> Result<Vec<i64>> {
        let mut out = Vec::new();
        for name in names {
            match name.parse::<i64>() {
                Ok(id) => out.push(id),
                Err(_) => out.extend(self.db.ci_ids_named(&name.to_lowercase(), None).await?),
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// The maintenance windows of the CIs the filter names, within the range.
    async fn maintenance_slots(&self, f: &Filter, from: Ts, to: Ts) -> Result<Vec<MaintenanceSlotView>> {
        let cis = self.named_cis(&f.cis).await?;
        let mut r = Reader::Db(&self.db);
        let windows = r.maintenance_windows(&cis).await?;
        let with_window: Vec<i64> = windows.iter().map(|(id, _)| *id).collect();
        let names: HashMap<i64, String> = r.nodes(&with_window).await?.into_iter().map(|n| (n.id, n.name)).collect();
        let mut out = Vec::new();
        for (ci, spec) in windows {
            let left = MAINTENANCE_LIMIT - out.len();
            for (start, end) in calendar(&spec)?.working_intervals(from.0, to.0, left) {
                let ci_name = names.get(&ci).cloned().unwrap_or_default();
                out.push(MaintenanceSlotView { ci_id: ci, ci_name, start: Ts(start), end: Ts(end) });
            }
        }
        out.sort_by_key(|m| (m.start, m.ci_id));
        Ok(out)
    }

    /// The changes of the range the actor sees and the filter keeps, with the conflict marks
    /// of those `mark` chooses, and the blackouts of the range.
    async fn calendar_items(
        &self,
        actor: &Actor,
        from: Ts,
        to: Ts,
        f: &Filter,
        mark: MarkChoice<'_>,
    ) -> Result<(Vec<CalendarItemView>, Vec<opsdesk_store::changes::BlackoutRow>)> {
        let mut r = Reader::Db(&self.db);
        let rows = r.changes_overlapping_many(from, to, CALENDAR_STATUSES, CALENDAR_LIMIT).await?;
        let blackouts = r.blackouts_overlapping(from, to).await?;
        let desks = self.db.desks().await?;
        let desk_ids: Vec<i64> = f
            .desks
            .iter()
            .filter_map(|d| {
                desks.iter().find(|x| x.name.eq_ignore_ascii_case(d) || x.id.to_string() == *d).map(|x| x.id)
            })
            .collect();
        if !f.desks.is_empty() && desk_ids.is_empty() {
            return Ok((Vec::new(), blackouts));
        }
        // CIs a change must touch: the named ones, and everything the named services depend on.
        let mut wanted: Option<HashSet<i64>> = None;
        if !f.cis.is_empty() {
            wanted.get_or_insert_with(HashSet::new).extend(self.named_cis(&f.cis).await?);
        }
        for name in &f.services {
            let services = match name.parse::<i64>() {
                Ok(id) => vec![id],
                Err(_) => self.db.ci_ids_named(&name.to_lowercase(), Some("business_service")).await?,
            };
            if services.is_empty() {
                wanted.get_or_insert_with(HashSet::new);
            }
            for service in services {
                let mut w = Walk::new(service, Direction::Upstream, super::scan::SERVICE_DEPTH, Vec::new());
                while !w.frontier().is_empty() {
                    let rows = r.edges_touching(w.frontier(), false).await?;
                    w.advance(rows.into_iter().filter_map(|e| {
                        Some(Edge {
                            id: e.id,
                            source: e.source_id,
                            rel: RelType::parse(&e.rel).ok()?,
                            target: e.target_id,
                        })
                    }));
                }
                wanted.get_or_insert_with(HashSet::new).extend(w.nodes().into_iter().map(|(id, _)| id));
            }
        }
        // The filters on CIs need the CIs of every change in the range.
        let mut cis_of: HashMap<i64, Vec<i64>> = HashMap::new();
        if wanted.is_some() {
            let ids: Vec<i64> = rows.iter().map(|c| c.ticket_id).collect();
            for (t, ci) in r.change_cis(&ids).await? {
                cis_of.entry(t).or_default().push(ci);
            }
        }
        let mut items: Vec<CalendarItemView> = rows
            .iter()
            .filter(|c| actor.can_see_ticket(&access(c)))
            .filter(|c| f.types.is_empty() || f.types.contains(&c.change_type))
            .filter(|c| f.statuses.is_empty() || f.statuses.contains(&c.status))
            .filter(|c| desk_ids.is_empty() || desk_ids.contains(&c.desk_id))
            .filter(|c| {
                wanted
                    .as_ref()
                    .is_none_or(|w| cis_of.get(&c.ticket_id).is_some_and(|cis| cis.iter().any(|ci| w.contains(ci))))
            })
            .filter(|c| {
                let hay = format!("{} {}", c.number, c.title).to_lowercase();
                f.words.iter().all(|w| hay.contains(w.as_str()))
            })
            .map(|c| CalendarItemView {
                id: c.ticket_id,
                number: c.number.clone(),
                title: c.title.clone(),
                status: c.status.clone(),
                change_type: c.change_type.clone(),
                risk_class: c.risk_class.clone(),
                desk_id: c.desk_id,
                assignee_id: c.assignee_id,
                planned_start: c.planned_start,
                planned_end: c.planned_end,
                conflicts: Vec::new(),
            })
            .collect();
        let chosen: Vec<i64> = items.iter().zip(mark(&items)).filter(|(_, m)| *m).map(|(i, _)| i.id).collect();
        let mut marked = marks(&mut r, &rows, &chosen, &blackouts).await?;
        for item in &mut items {
            item.conflicts = marked.remove(&item.id).unwrap_or_default();
        }
        Ok((items, blackouts))
    }

    /// Issues the caller's calendar feed token, revoking the one before.
    pub async fn issue_calendar_feed(&self, actor: &Actor) -> Result<FeedTokenView> {
        require_agent(actor)?;
        let user = actor.user_id.ok_or(AppError::Forbidden)?;
        let token = crate::secrets::random_token("ocf_");
        let mut tx = self.db.begin().await?;
        tx.put_calendar_feed(user, Some(&crate::secrets::token_hash(&token)), Ts::now()).await?;
        tx.commit().await?;
        let url = format!("/api/v1/changes/calendar.ics?token={token}");
        Ok(FeedTokenView { token: Some(token), url: Some(url), active: true })
    }

    pub async fn revoke_calendar_feed(&self, actor: &Actor) -> Result<()> {
        let user = actor.user_id.ok_or(AppError::Forbidden)?;
        let mut tx = self.db.begin().await?;
        tx.put_calendar_feed(user, None, Ts::now()).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn calendar_feed_state(&self, actor: &Actor) -> Result<FeedTokenView> {
        let user = actor.user_id.ok_or(AppError::Forbidden)?;
        Ok(FeedTokenView { token: None, url: None, active: self.db.has_calendar_feed(user).await? })
    }

    /// The iCalendar feed of a token's owner: the changes they see from 30 days ago to 180
    /// days ahead, and the blackouts. An unknown or revoked token is not found.
    pub async fn calendar_feed(&self, token: &str) -> Result<String> {
        let user =
            self.db.calendar_feed_user(&crate::secrets::token_hash(token.trim())).await?.ok_or(AppError::NotFound)?;
        let (actor, _) = self.actor_for(user).await?;
        if actor.role == opsdesk_domain::Role::Requester {
            return Err(AppError::NotFound);
        }
        let now = Ts::now();
        let from = Ts(now.0 - jiff::SignedDuration::from_hours(24 * 30));
        let to = Ts(now.0 + jiff::SignedDuration::from_hours(24 * 180));
        let (items, blackouts) =
            self.calendar_items(&actor, from, to, &Filter::default(), &|i| vec![false; i.len()]).await?;
        Ok(ics(&items, &blackouts, now))
    }
}

fn ics_time(t: Ts) -> String {
    t.0.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// Writes the feed with the icalendar crate (escaping and line folding are its job).
fn ics(items: &[CalendarItemView], blackouts: &[opsdesk_store::changes::BlackoutRow], now: Ts) -> String {
    use icalendar::{Calendar, Component, Event};
    let mut cal = Calendar::new();
    cal.name("Opsdesk changes");
    for c in items {
        let mut e = Event::new();
        e.uid(&format!("change-{}@opsdesk", c.id))
            .summary(&format!("{} {}", c.number, c.title))
            .description(&format!("{} change, {} risk, {}", c.change_type, c.risk_class.replace('_', " "), c.status))
            .add_property("DTSTAMP", ics_time(now))
            .add_property("DTSTART", ics_time(c.planned_start))
            .add_property("DTEND", ics_time(c.planned_end))
            .add_property("CATEGORIES", "Change");
        cal.push(e.done());
    }
    for b in blackouts {
        let mut e = Event::new();
        e.uid(&format!("blackout-{}@opsdesk", b.id))
            .summary(&format!("Blackout: {}", b.name))
            .add_property("DTSTAMP", ics_time(now))
            .add_property("DTSTART", ics_time(b.starts_at))
            .add_property("DTEND", ics_time(b.ends_at))
            .add_property("CATEGORIES", "Blackout");
        cal.push(e.done());
    }
    cal.done().to_string()
}

/// The conflict marks of the `chosen` changes, judged against all of the range's changes (the
/// ones the reader cannot see included: a mark names no other change), on the direct links
/// between CIs.
async fn marks(
    r: &mut Reader<'_>,
    rows: &[ScheduledChange],
    chosen: &[i64],
    blackouts: &[opsdesk_store::changes::BlackoutRow],
) -> Result<HashMap<i64, Vec<String>>> {
    if chosen.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<i64> = rows.iter().map(|c| c.ticket_id).collect();
    let (pairs, links) = if chosen.len() * 4 >= rows.len() {
        // Most of the range: every change's CIs and the links among them.
        let pairs = r.change_cis(&ids).await?;
        let links = r.links_among(&distinct(pairs.iter().map(|p| p.1))).await?;
        (pairs, links)
    } else {
        // A few (a page's shown changes): their CIs, the CIs linked to those, and the range's
        // changes on any of them, which are all the changes the chosen ones can conflict with.
        let ours = r.change_cis(chosen).await?;
        let our_cis = distinct(ours.iter().map(|p| p.1));
        let links = r.links_touching(&our_cis).await?;
        let related = distinct(our_cis.iter().copied().chain(links.iter().flat_map(|(a, b)| [*a, *b])));
        let mut pairs = r.tickets_on_cis(&related, &ids).await?;
        pairs.extend(ours);
        pairs.sort_unstable();
        pairs.dedup();
        (pairs, links)
    };
    let mut cis_of: HashMap<i64, Vec<i64>> = HashMap::new();
    for (t, ci) in &pairs {
        cis_of.entry(*t).or_default().push(*ci);
    }
    let chosen_cis = distinct(chosen.iter().filter_map(|t| cis_of.get(t)).flatten().copied());
    let mut maintenance = HashMap::new();
    for (ci, spec) in r.maintenance_windows(&chosen_cis).await? {
        maintenance.insert(ci, calendar(&spec)?);
    }
    let booked: Vec<Booked> = rows
        .iter()
        .map(|c| Booked {
            window: Window { start: c.planned_start.0, end: c.planned_end.0 },
            ci_ids: cis_of.get(&c.ticket_id).cloned().unwrap_or_default(),
            assignee_id: c.assignee_id,
            holds: holds_window(&c.status),
        })
        .collect();
    let blackouts: Vec<_> = blackouts.iter().map(blackout).collect();
    let wanted: HashSet<i64> = chosen.iter().copied().collect();
    Ok(calendar_marks(&booked, &links, &blackouts, &maintenance)
        .into_iter()
        .zip(rows)
        .filter(|(_, c)| wanted.contains(&c.ticket_id))
        .map(|(kinds, c)| (c.ticket_id, kinds.into_iter().map(|k| k.as_str().to_string()).collect()))
        .collect())
}

fn distinct(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut v: Vec<i64> = ids.collect();
    v.sort_unstable();
    v.dedup();
    v
}
