//! Changing a ticket's fields, with optimistic concurrency: a stale version is refused with
//! the current state, never silently overwritten. Every changed field leaves a history row.

use super::refs::{checked, Ref};
use super::{body_text, one_line, TicketView, DESCRIPTION_MAX, TITLE_MAX};
use crate::{emit, App, AppError, Result};
use opsdesk_domain::ticket::{CustomFieldDef, Kind, Level, Priority};
use opsdesk_domain::validation::Checks;
use opsdesk_domain::{Actor, FieldError, Role};
use opsdesk_store::tickets::Ticket;
use opsdesk_store::Ts;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// A partial update. Absent fields stay; `null` clears a clearable field.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTicket {
    #[schema(
        max_length = 300,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub title: Option<String>,
    #[schema(max_length = 65536, pattern = r"^[^\u0000]*$")]
    pub description: Option<String>,
    #[schema(value_type = Option<crate::schema::LevelSchema>)]
    pub impact: Option<i64>,
    #[schema(value_type = Option<crate::schema::LevelSchema>)]
    pub urgency: Option<i64>,
    /// `"P1"` overrides the matrix (with `priority_reason`); `null` returns to the matrix.
    #[serde(default, deserialize_with = "crate::nullable")]
    #[schema(value_type = Option<crate::schema::PrioritySchema>)]
    pub priority: Option<Option<String>>,
    pub priority_reason: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "crate::nullable")]
    #[schema(value_type = Option<Ref>)]
    pub category: Option<Option<Ref>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "crate::nullable")]
    #[schema(value_type = Option<Ref>)]
    pub group: Option<Option<Ref>>,
    /// `null` unassigns.
    #[serde(default, deserialize_with = "crate::nullable")]
    #[schema(value_type = Option<Ref>)]
    pub assignee: Option<Option<Ref>>,
    pub requester: Option<Ref>,
    /// Merged into the current values; `null` clears one.
    pub custom_fields: Option<Map<String, Value>>,
    pub shared_with_organization: Option<bool>,
    /// The kind's own fields (a problem's `root_cause`, `workaround`, `known_error`); absent
    /// fields stay, `null` clears.
    #[schema(value_type = Option<crate::schema::DetailSchema>)]
    pub detail: Option<Map<String, Value>>,
}

fn text(v: Option<i64>) -> Option<String> {
    v.map(|x| x.to_string())
}

impl App {
    /// Applies `input` if the ticket is still at `expected_version` (when given).
    #[tracing::instrument(skip(self, input))]
    pub async fn update_ticket(
        &self,
        actor: &Actor,
        id_or_number: &str,
        expected_version: Option<i64>,
        input: UpdateTicket,
    ) -> Result<TicketView> {
        let current = self.find_ticket(actor, id_or_number).await?;
        if actor.role == Role::Requester {
            let only_sharing = input.title.is_none()
                && input.description.is_none()
                && input.impact.is_none()
                && input.urgency.is_none()
                && input.priority.is_none()
                && input.category.is_none()
                && input.group.is_none()
                && input.assignee.is_none()
                && input.requester.is_none()
                && input.custom_fields.is_none()
                && input.detail.is_none();
            if !only_sharing || actor.user_id != Some(current.requester_id) {
                return Err(AppError::Forbidden);
            }
        } else if !actor.can_work_ticket(&current.access()) {
            return Err(AppError::Forbidden);
        }

        let mut c = Checks::new();
        let title = input.title.as_deref().map(|t| one_line(t, "title", TITLE_MAX)).and_then(|r| c.take(r));
        let description =
            input.description.as_deref().map(|d| body_text(d, "description", DESCRIPTION_MAX)).and_then(|r| c.take(r));
        let impact = input.impact.map(|v| Level::parse(v, "impact")).and_then(|r| c.take(r));
        let urgency = input.urgency.map(|v| Level::parse(v, "urgency")).and_then(|r| c.take(r));
        let priority = match &input.priority {
            Some(Some(p)) => {
                let parsed = c.take(Priority::parse(p));
                let reason =
                    input.priority_reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
                if reason.is_none() {
                    c.push(FieldError::new("priority_reason", "required", "overriding the priority needs a reason"));
                }
                Some(parsed.zip(reason))
            }
            Some(None) => Some(None),
            None => None,
        };
        let category = match &input.category {
            Some(Some(r)) => checked(&mut c, self.resolve_category(r, current.desk_id).await)?.map(Some),
            Some(None) => Some(None),
            None => None,
        };
        let group = match &input.group {
            Some(Some(r)) => checked(&mut c, self.resolve_group(r, "group").await)?.map(Some),
            Some(None) => Some(None),
            None => None,
        };
        let assignee = match &input.assignee {
            Some(Some(r)) => checked(&mut c, self.resolve_agent(r, "assignee").await)?.map(|u| Some(u.id)),
            Some(None) => Some(None),
            None => None,
        };
        let requester = match &input.requester {
            Some(r) => checked(&mut c, self.resolve_user(r, "requester").await)?,
            None => None,
        };
        let defs = self.custom_fields(current.desk_id, current.kind).await?;
        c.finish()?;
        let matrix = self.priority_matrix().await?;

        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let before = tx.ticket_for_update(current.id).await?;
        if expected_version.is_some_and(|v| v != before.version) {
            return Err(AppError::Stale(Box::new(TicketView::from(&before))));
        }
        let mut after = before.clone();
        if let Some(t) = title {
            after.title = t;
        }
        if let Some(d) = description {
            after.description = d;
        }
        if let Some(i) = impact {
            after.impact = i.get() as i64;
        }
        if let Some(u) = urgency {
            after.urgency = u.get() as i64;
        }
        if let Some(cat) = category {
            after.category_id = cat;
        }
        if let Some(s) = input.shared_with_organization {
            after.shared_with_organization = s;
        }
        if let Some(u) = &requester {
            after.requester_id = u.id;
            after.organization_id = u.organization_id;
        }
        if let Some(changes) = &input.custom_fields {
            let existing: Map<String, Value> =
                opsdesk_store::stored_json(&format!("custom fields of ticket {}", before.id), &before.custom_fields)?;
            let merged = CustomFieldDef::apply_all(&defs, &existing, changes)?;
            self.check_user_fields(&defs, &merged).await?;
            after.custom_fields = Value::Object(merged).to_string();
        }
        match priority {
            Some(Some((p, reason))) => {
                after.priority = p.get() as i64;
                after.priority_override_reason = Some(reason);
            }
            Some(None) => after.priority_override_reason = None,
            None => {}
        }
        if after.priority_override_reason.is_none() {
            let (i, u) = (Level::parse(after.impact, "impact")?, Level::parse(after.urgency, "urgency")?);
            after.priority = matrix.priority(i, u).get() as i64;
        }
        if let Some(g) = group {
            after.group_id = g;
            // Moving a ticket to another group hands it over: the agent stays only if they are
            // a member there too.
            if assignee.is_none() {
                if let (Some(a), Some(g)) = (after.assignee_id, g) {
                    if !self.db.group_ids_of(a).await?.contains(&g) {
                        after.assignee_id = None;
                    }
                }
            }
        }
        if let Some(a) = assignee {
            if let Some(a) = a {
                self.check_assignment(after.group_id, a).await?;
            }
            after.assignee_id = a;
        }
        follow_assignment(&mut after);
        after.updated_at = now;

        let mut changes = diff(&before, &after);
        let mut detail = None;
        if let Some(patch) = &input.detail {
            let old = tx.ticket_detail(before.id).await?;
            let spec = &before.kind.def().detail;
            let new = spec.apply(&old, patch)?;
            let old = spec.complete(&old);
            for f in spec.fields {
                let (x, y) = (old.get(f.name), new.get(f.name));
                if x != y {
                    changes.push((f.name, x.map(detail_text), y.map(detail_text)));
                }
            }
            if before.kind == Kind::Change {
                if let Some(caused) = crate::changes::review::check(&mut tx, before.id, patch, &old, &new).await? {
                    changes.push((crate::changes::review::REVIEW_INCIDENTS, None, Some(caused)));
                }
            }
            detail = Some(new);
        }
        if changes.is_empty() {
            return self.with_detail(TicketView::from(&before)).await;
        }
        let Some(stored) = tx.update_ticket(&after).await? else {
            let fresh = self.db.ticket(before.id).await?;
            return Err(AppError::Stale(Box::new(TicketView::from(&fresh))));
        };
        if let Some(d) = &detail {
            tx.put_ticket_detail(stored.id, d).await?;
        }
        let spec = &stored.kind.def().detail;
        for (field, old, new) in &changes {
            let field = match spec.fields.iter().any(|f| f.name == *field) {
                true => format!("detail.{field}"),
                false => field.to_string(),
            };
            tx.record_change(stored.id, actor.user_id, &field, old.as_deref(), new.as_deref(), now).await?;
        }
        crate::sla::track::track(&mut tx, actor, &stored, crate::sla::track::Change::Updated { before: &before }, now)
            .await?;
        if before.title != stored.title || before.description != stored.description {
            let text = self.db.public_search_text(stored.id, &stored.title, &stored.description).await?;
            tx.reindex_ticket_public(stored.id, &text).await?;
        }
        let fields: Vec<&str> = changes.iter().map(|(f, _, _)| *f).collect();
        emit(&mut tx, "ticket.updated", format!("ticket:{}", stored.id), actor, json!({ "fields": fields }), now)
            .await?;
        tx.commit().await?;
        self.with_detail(TicketView::from(&stored)).await
    }
}

/// A kind with an assignment rule moves between its unassigned and assigned statuses as the
/// assignee is set or cleared (an incident's new and assigned).
pub(crate) fn follow_assignment(t: &mut Ticket) {
    if let Some((unassigned, assigned)) = t.kind.def().assignment {
        match (t.status, t.assignee_id) {
            (s, Some(_)) if s == unassigned => t.status = assigned,
            (s, None) if s == assigned => t.status = unassigned,
            _ => {}
        }
    }
}

/// A detail value as history text.
fn detail_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The fields that differ, as (name, old, new) text for the history.
pub(crate) fn diff(a: &Ticket, b: &Ticket) -> Vec<(&'static str, Option<String>, Option<String>)> {
    let mut out = Vec::new();
    let mut cmp = |name: &'static str, x: Option<String>, y: Option<String>| {
        if x != y {
            out.push((name, x, y));
        }
    };
    cmp("title", Some(a.title.clone()), Some(b.title.clone()));
    cmp("description", Some(a.description.clone()), Some(b.description.clone()));
    cmp("status", Some(a.status.to_string()), Some(b.status.to_string()));
    cmp("hold_reason", a.hold_reason.clone(), b.hold_reason.clone());
    cmp("impact", text(Some(a.impact)), text(Some(b.impact)));
    cmp("urgency", text(Some(a.urgency)), text(Some(b.urgency)));
    cmp("priority", Some(format!("P{}", a.priority)), Some(format!("P{}", b.priority)));
    cmp("priority_override_reason", a.priority_override_reason.clone(), b.priority_override_reason.clone());
    cmp("category_id", text(a.category_id), text(b.category_id));
    cmp("requester_id", text(Some(a.requester_id)), text(Some(b.requester_id)));
    cmp(
        "shared_with_organization",
        Some(a.shared_with_organization.to_string()),
        Some(b.shared_with_organization.to_string()),
    );
    cmp("group_id", text(a.group_id), text(b.group_id));
    cmp("assignee_id", text(a.assignee_id), text(b.assignee_id));
    cmp("custom_fields", Some(a.custom_fields.clone()), Some(b.custom_fields.clone()));
    out
}
