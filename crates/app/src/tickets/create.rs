//! Logging a ticket: from the portal (a requester for themselves), from an agent (on someone's
//! behalf, routed and prioritised), from the API, or by import.

use super::refs::{checked, Ref};
use super::{body_text, one_line, TicketView, DESCRIPTION_MAX, TITLE_MAX};
use crate::{App, AppError, Result};
use opsdesk_domain::ticket::{CustomFieldDef, Kind, Level, Priority, TicketNumber};
use opsdesk_domain::validation::Checks;
use opsdesk_domain::{Actor, FieldError, Role};
use opsdesk_store::outbox::NewEvent;
use opsdesk_store::tickets::{BulkChange, BulkSearchEntry, Ticket};
use opsdesk_store::{Ts, Tx};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// Input for a new ticket, as it arrives.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicket {
    #[schema(value_type = crate::schema::KindSchema)]
    pub kind: String,
    #[schema(
        max_length = 300,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 65536, pattern = r"^[^\u0000]*$")]
    pub description: String,
    /// 2 (medium) when absent.
    #[schema(value_type = Option<crate::schema::LevelSchema>)]
    pub impact: Option<i64>,
    /// 2 (medium) when absent.
    #[schema(value_type = Option<crate::schema::LevelSchema>)]
    pub urgency: Option<i64>,
    /// An explicit priority overrides the matrix; it needs `priority_reason`. Agents only.
    #[schema(value_type = Option<crate::schema::PrioritySchema>)]
    pub priority: Option<String>,
    pub priority_reason: Option<String>,
    pub category: Option<Ref>,
    pub desk: Option<Ref>,
    pub group: Option<Ref>,
    pub assignee: Option<Ref>,
    pub requester: Option<Ref>,
    #[serde(default)]
    pub custom_fields: Map<String, Value>,
    #[serde(default)]
    pub shared_with_organization: bool,
    #[serde(default)]
    pub watchers: Vec<Ref>,
    /// The id of this ticket in another system (imports are idempotent by it). Agents only.
    #[schema(min_length = 1, max_length = 200)]
    pub external_id: Option<String>,
    /// The kind's own fields (a problem's `root_cause`, `workaround`, `known_error`).
    #[schema(value_type = Option<crate::schema::DetailSchema>)]
    pub detail: Option<Map<String, Value>>,
    /// A change's own fields (changes only): type, template, planned window, plans, risk
    /// answers, affected CIs.
    pub change: Option<crate::changes::ChangeInput>,
}

/// Fields only agents may set when logging a ticket.
fn agent_only_fields(i: &CreateTicket) -> Vec<&'static str> {
    let mut f = Vec::new();
    if i.group.is_some() {
        f.push("group");
    }
    if i.assignee.is_some() {
        f.push("assignee");
    }
    if i.priority.is_some() {
        f.push("priority");
    }
    if !i.watchers.is_empty() {
        f.push("watchers");
    }
    if i.external_id.is_some() {
        f.push("external_id");
    }
    if i.detail.is_some() {
        f.push("detail");
    }
    f
}

impl App {
    #[tracing::instrument(skip(self, input), fields(kind = %input.kind))]
    pub async fn create_ticket(&self, actor: &Actor, input: CreateTicket) -> Result<TicketView> {
        self.create_ticket_at(actor, input, Ts::now()).await
    }

    pub(crate) async fn create_ticket_at(&self, actor: &Actor, input: CreateTicket, now: Ts) -> Result<TicketView> {
        match Kind::parse(&input.kind) {
            Ok(Kind::Change) => return self.create_change(actor, input).await,
            _ if input.change.is_some() => {
                return Err(FieldError::new("change", "not_applicable", "only a change has a change object").into())
            }
            _ => {}
        }
        let prepared = self.prepare_ticket(actor, input, now, &mut Lookups::default()).await?;
        let t = self.insert_grouped(actor, prepared, now).await?;
        self.with_detail(TicketView::from(&t)).await
    }

    /// Validates and resolves a new ticket without writing anything.
    pub(crate) async fn prepare_ticket(
        &self,
        actor: &Actor,
        input: CreateTicket,
        now: Ts,
        lookups: &mut Lookups,
    ) -> Result<PreparedTicket> {
        let is_requester = actor.role == Role::Requester;
        if is_requester {
            let forbidden = agent_only_fields(&input);
            if !forbidden.is_empty() {
                return Err(AppError::Invalid(opsdesk_domain::Invalid(
                    forbidden
                        .into_iter()
                        .map(|f| FieldError::new(f, "not_allowed", "requesters cannot set this"))
                        .collect(),
                )));
            }
        }
        let mut c = Checks::new();
        let kind = c.take(Kind::parse(&input.kind));
        let kind = match kind {
            Some(k) if k.def().child && lookups.parent.is_none() => {
                c.push(FieldError::new(
                    "kind",
                    "child_kind",
                    format!("a {k} is created under its parent ticket: POST /api/v1/tickets/{{id}}/tasks"),
                ));
                None
            }
            k => k,
        };
        let detail = match (kind, &input.detail) {
            (Some(k), Some(patch)) => match k.def().detail.apply(&Map::new(), patch) {
                Ok(d) => Some(d),
                Err(inv) => {
                    inv.0.into_iter().for_each(|e| c.push(e));
                    None
                }
            },
            _ => None,
        };
        let title = c.take(one_line(&input.title, "title", TITLE_MAX));
        let description = c.take(body_text(&input.description, "description", DESCRIPTION_MAX));
        let impact = c.take(Level::parse(input.impact.unwrap_or(2), "impact"));
        let urgency = c.take(Level::parse(input.urgency.unwrap_or(2), "urgency"));
        let priority_override = match input.priority.as_deref() {
            Some(p) => {
                let parsed = c.take(Priority::parse(p));
                let reason = input.priority_reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
                if reason.is_none() {
                    c.push(FieldError::new("priority_reason", "required", "overriding the priority needs a reason"));
                }
                parsed.zip(reason.map(str::to_string))
            }
            None => None,
        };
        if let Some(e) = input.external_id.as_deref() {
            if e.is_empty() || e.len() > 200 {
                c.push(FieldError::new("external_id", "invalid", "external_id has 1 to 200 characters"));
            }
        }
        // References, each checked so that all errors come back at once.
        let desk = checked(&mut c, lookups.desk(self, input.desk.as_ref()).await)?;
        let requester = match (&input.requester, actor.user_id) {
            (Some(r), _) if !is_requester => {
                checked(&mut c, self.resolve_user(r, "requester").await)?.map(Requester::of)
            }
            (Some(r), me) => match self.resolve_user(r, "requester").await {
                Ok(u) if Some(u.id) == me => Some(Requester::of(u)),
                Err(e) if !matches!(e, AppError::Invalid(_)) => return Err(e),
                _ => {
                    c.push(FieldError::new("requester", "not_allowed", "requesters log tickets for themselves"));
                    None
                }
            },
            // The actor was read (and found active) when the request was authenticated, or is
            // the sender of a mail: its user and organisation are the requester's, without
            // reading the user again (a new sender's account is not stored yet anyway).
            (None, Some(me)) => match lookups.pending_requester.as_ref().filter(|u| u.id == me) {
                Some(u) => Some(Requester::of(u.clone())),
                None => Some(Requester { id: me, organization_id: actor.organization_id }),
            },
            (None, None) => {
                c.push(FieldError::new("requester", "required", "a requester is required"));
                None
            }
        };
        let group_id = match &input.group {
            Some(r) => checked(&mut c, self.resolve_group(r, "group").await)?,
            None => desk.as_ref().and_then(|d| d.default_group_id),
        };
        let assignee = match &input.assignee {
            Some(r) => checked(&mut c, self.resolve_agent(r, "assignee").await)?,
            None => None,
        };
        let category_id = match (&input.category, &desk) {
            (Some(r), Some(d)) => checked(&mut c, self.resolve_category(r, d.id).await)?,
            _ => None,
        };
        let mut watcher_ids = Vec::new();
        for w in &input.watchers {
            if let Some(u) = checked(&mut c, self.resolve_user(w, "watchers").await)? {
                watcher_ids.push(u.id);
            }
        }
        let custom = match (&desk, kind) {
            (Some(d), Some(k)) => {
                let defs = lookups.custom_fields(self, d.id, k).await?;
                match CustomFieldDef::apply_all(&defs, &Map::new(), &input.custom_fields) {
                    Ok(m) => {
                        checked(&mut c, self.check_user_fields(&defs, &m).await)?;
                        Some(m)
                    }
                    Err(inv) => {
                        inv.0.into_iter().for_each(|e| c.push(e));
                        None
                    }
                }
            }
            _ => None,
        };
        if let Some(a) = &assignee {
            checked(&mut c, self.check_assignment(group_id, a.id).await)?;
        }
        c.finish()?;
        let (
            Some(kind),
            Some(title),
            Some(description),
            Some(impact),
            Some(urgency),
            Some(desk),
            Some(requester),
            Some(custom),
        ) = (kind, title, description, impact, urgency, desk, requester, custom)
        else {
            return Err(AppError::Internal("validated ticket input is incomplete".into()));
        };

        let priority = match &priority_override {
            Some((p, _)) => *p,
            None => lookups.matrix(self).await?.priority(impact, urgency),
        };
        // Assigning a new incident is what moves it to "assigned".
        let status = match (kind.def().assignment, &assignee) {
            (Some((_, assigned)), Some(_)) => assigned,
            _ => kind.initial_status(),
        };
        let draft = Ticket {
            id: 0,
            number: String::new(),
            kind,
            desk_id: desk.id,
            title,
            description,
            status,
            is_open: status.is_open(),
            hold_reason: None,
            impact: impact.get() as i64,
            urgency: urgency.get() as i64,
            priority: priority.get() as i64,
            priority_override_reason: priority_override.map(|(_, r)| r),
            category_id,
            requester_id: requester.id,
            organization_id: requester.organization_id,
            shared_with_organization: input.shared_with_organization,
            group_id,
            assignee_id: assignee.as_ref().map(|a| a.id),
            custom_fields: Value::Object(custom).to_string(),
            external_id: input.external_id.clone(),
            version: 1,
            created_at: now,
            updated_at: now,
            resolved_at: None,
            closed_at: None,
            sla_due_at: opsdesk_store::sla::NO_DUE,
            parent_id: lookups.parent,
        };
        Ok(PreparedTicket { ticket: draft, watcher_ids, detail, after_ids: Vec::new() })
    }

    /// User-typed custom field values must name active users.
    pub(crate) async fn check_user_fields(&self, defs: &[CustomFieldDef], values: &Map<String, Value>) -> Result<()> {
        let mut c = Checks::new();
        for def in defs.iter().filter(|d| d.field_type == opsdesk_domain::ticket::CustomFieldType::User) {
            if let Some(id) = values.get(&def.key).and_then(Value::as_i64) {
                if !crate::error::found(self.db.user(id).await)?.is_some_and(|u| u.active) {
                    c.push(FieldError::new(format!("custom_fields.{}", def.key), "unknown", "no such active user"));
                }
            }
        }
        Ok(c.finish()?)
    }
}

/// Who a new ticket is for, as far as the ticket row cares.
struct Requester {
    id: i64,
    organization_id: Option<i64>,
}

impl Requester {
    fn of(u: opsdesk_store::users::User) -> Self {
        Requester { id: u.id, organization_id: u.organization_id }
    }
}

/// A validated ticket, ready to insert.
#[derive(Debug, Clone)]
pub(crate) struct PreparedTicket {
    pub ticket: Ticket,
    pub watcher_ids: Vec<i64>,
    /// The kind's detail record, when the input gave one.
    pub detail: Option<Map<String, Value>>,
    /// The tasks a new task waits for.
    pub after_ids: Vec<i64>,
}

impl PreparedTicket {
    /// Points the ticket at the requester it was prepared for, once that one is stored.
    pub(crate) fn with_requester(mut self, u: &opsdesk_store::users::User) -> Self {
        self.ticket.requester_id = u.id;
        self.ticket.organization_id = u.organization_id;
        self
    }
}

/// Inserts a prepared ticket: number, row, history, SLA clocks, search entry, watchers and
/// event (a batch of one; see [`insert_prepared_batch`]).
pub(crate) async fn insert_prepared(tx: &mut Tx, actor: &Actor, p: PreparedTicket, now: Ts) -> Result<Ticket> {
    let mut written = insert_prepared_batch(tx, &[(actor, &p, now)]).await?;
    written.pop().ok_or_else(|| AppError::Internal("inserting a ticket returned none".into()))
}

const CREATED: &str = "ticket.created";

fn created_payload(t: &Ticket) -> Value {
    json!({ "number": t.number, "kind": t.kind, "priority": t.priority, "group_id": t.group_id, "parent_id": t.parent_id })
}

/// Inserts prepared tickets (each with who logged it and when) with a few multi-row statements
/// for all of them, in the order given. Fails as a whole (the group commit then writes them
/// one by one).
pub(crate) async fn insert_prepared_batch(tx: &mut Tx, items: &[(&Actor, &PreparedTicket, Ts)]) -> Result<Vec<Ticket>> {
    let mut external_ids = std::collections::HashSet::new();
    for (_, p, _) in items {
        if let Some(ext) = &p.ticket.external_id {
            if !external_ids.insert(ext.as_str()) || tx.ticket_id_by_external_id(ext).await?.is_some() {
                return Err(AppError::Conflict {
                    code: "duplicate_external_id",
                    message: format!("a ticket with external_id {ext:?} exists"),
                });
            }
        }
    }
    let mut drafts: Vec<Ticket> = items.iter().map(|(_, p, _)| p.ticket.clone()).collect();
    // Numbers per kind, ascending in the order the tickets came.
    let mut kinds: Vec<Kind> = Vec::new();
    for t in &drafts {
        if !kinds.contains(&t.kind) {
            kinds.push(t.kind);
        }
    }
    for kind in kinds {
        let of_kind: Vec<usize> = (0..drafts.len()).filter(|&i| drafts[i].kind == kind).collect();
        let seqs = tx.reserve_ticket_seqs(kind, of_kind.len()).await?;
        for (i, seq) in of_kind.into_iter().zip(seqs) {
            drafts[i].number = TicketNumber { kind, seq }.to_string();
        }
    }
    // Drafts are prepared at version 1 with `updated_at` = `created_at`: only the id is new.
    let ids = tx.insert_tickets_bulk(&drafts).await?;
    for (t, id) in drafts.iter_mut().zip(ids) {
        t.id = id;
    }
    let changes: Vec<BulkChange> = drafts
        .iter()
        .zip(items)
        .map(|(t, (actor, _, now))| BulkChange {
            ticket_id: t.id,
            actor_id: actor.user_id,
            field: "created",
            old_value: None,
            new_value: Some(t.number.clone()),
            created_at: *now,
        })
        .collect();
    tx.record_changes_bulk(&changes).await?;
    let created: Vec<(Option<i64>, &Ticket, Ts)> =
        drafts.iter().zip(items).map(|(t, (actor, _, now))| (actor.user_id, t, *now)).collect();
    crate::sla::track::track_created(tx, &created).await?;
    let entries: Vec<BulkSearchEntry> = drafts
        .iter()
        .map(|t| BulkSearchEntry {
            ticket_id: t.id,
            public_text: format!("{}\n{}", t.title, t.description),
            internal_text: String::new(),
        })
        .collect();
    tx.index_tickets_bulk(&entries).await?;
    for (t, (_, p, _)) in drafts.iter().zip(items) {
        for w in &p.watcher_ids {
            tx.add_watcher(t.id, *w).await?;
        }
        if let Some(d) = &p.detail {
            tx.put_ticket_detail(t.id, d).await?;
        }
        if !p.after_ids.is_empty() {
            tx.insert_task_order(t.id, &p.after_ids).await?;
        }
    }
    let events: Vec<(NewEvent<'_>, Ts)> = drafts
        .iter()
        .zip(items)
        .map(|(t, (actor, _, now))| {
            let e = NewEvent {
                kind: CREATED,
                subject: format!("ticket:{}", t.id),
                actor_user_id: actor.user_id,
                payload: created_payload(t),
            };
            (e, *now)
        })
        .collect();
    tx.emit_events(&events).await?;
    Ok(drafts)
}

/// Configuration read once per batch rather than once per ticket (imports, demo data).
#[derive(Default)]
pub(crate) struct Lookups {
    desks: Option<Vec<opsdesk_store::tickets::ServiceDesk>>,
    matrix: Option<opsdesk_domain::ticket::PriorityMatrix>,
    fields: std::collections::HashMap<(i64, Kind), Vec<CustomFieldDef>>,
    /// A requester who is inserted in the same transaction as the ticket (a new sender of
    /// mail): not in the database yet, so it is taken from here instead of being looked up.
    pending_requester: Option<opsdesk_store::users::User>,
    /// The parent of a task being prepared (only tasks have one).
    pub(crate) parent: Option<i64>,
}

impl Lookups {
    /// Lookups for a task under `parent_id`.
    pub(crate) fn for_child_of(parent_id: i64) -> Self {
        Lookups { parent: Some(parent_id), ..Default::default() }
    }

    /// Lookups for a ticket whose requester is stored in the same transaction.
    pub(crate) fn with_pending_requester(u: opsdesk_store::users::User) -> Self {
        Lookups { pending_requester: Some(u), ..Default::default() }
    }

    async fn desk(&mut self, app: &App, r: Option<&Ref>) -> Result<opsdesk_store::tickets::ServiceDesk> {
        if self.desks.is_none() {
            self.desks = Some(app.db.desks().await?);
        }
        let desks = self.desks.as_deref().unwrap_or_default();
        let found = match r {
            None => desks.first(),
            Some(Ref::Id(id)) => desks.iter().find(|d| d.id == *id),
            Some(Ref::Name(n)) => desks.iter().find(|d| d.name.eq_ignore_ascii_case(n.trim())),
        };
        found.cloned().ok_or_else(|| FieldError::new("desk", "unknown", "no such service desk").into())
    }

    async fn matrix(&mut self, app: &App) -> Result<opsdesk_domain::ticket::PriorityMatrix> {
        if self.matrix.is_none() {
            self.matrix = Some(app.priority_matrix().await?);
        }
        Ok(self.matrix.clone().unwrap_or_default())
    }

    async fn custom_fields(&mut self, app: &App, desk_id: i64, kind: Kind) -> Result<Vec<CustomFieldDef>> {
        if let Some(defs) = self.fields.get(&(desk_id, kind)) {
            return Ok(defs.clone());
        }
        let defs = app.custom_fields(desk_id, kind).await?;
        self.fields.insert((desk_id, kind), defs.clone());
        Ok(defs)
    }
}
