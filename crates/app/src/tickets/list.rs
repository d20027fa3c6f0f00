//! Queues, views and search: the query language resolved against the desk's records (names to
//! ids, `me` to the asker), then run with the asker's visibility, so a list, a count and a
//! search show exactly the tickets the asker may see.

use super::TicketView;
use crate::{emit, App, AppError, Result};
use base64::Engine;
use opsdesk_domain::query::{self, Field, Op, QueryError, SortKey, Value};
use opsdesk_domain::ticket::{Kind, Status, TicketNumber};
use opsdesk_domain::{Actor, FieldError, Role};
use opsdesk_store::tickets::filter::{CmpOp, TextCol, TextTerm};
use opsdesk_store::tickets::{Col, Cond, SavedView, SortCol, TicketFilter};
use opsdesk_store::Ts;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What to list: a query, a page size, and the cursor of the previous page.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub q: String,
    pub limit: i64,
    pub after: Option<String>,
}

/// A page of tickets and the cursor of the next page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketPage {
    pub items: Vec<TicketView>,
    /// Pass as `after` for the next page; null on the last page.
    pub next: Option<String>,
}

/// A saved view as an agent writes it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewInput {
    #[schema(
        max_length = 120,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    /// A query in the ticket query language.
    pub query: String,
    /// Share with a group (its members see the view); without it the view is personal.
    pub group_id: Option<i64>,
    #[serde(default)]
    pub position: i64,
}

#[derive(Debug, Clone)]
pub struct ViewWithCount {
    pub view: SavedView,
    pub count: i64,
}

fn bad(e: &QueryError) -> AppError {
    AppError::Query(e.to_field_error())
}

fn at(position: usize, message: impl Into<String>) -> AppError {
    bad(&QueryError { position, length: 1, message: message.into() })
}

fn cmp(op: Op) -> Option<CmpOp> {
    match op {
        Op::Eq => None,
        Op::Lt => Some(CmpOp::Lt),
        Op::Le => Some(CmpOp::Le),
        Op::Gt => Some(CmpOp::Gt),
        Op::Ge => Some(CmpOp::Ge),
    }
}

fn encode_cursor(sort: SortCol, value: i64, id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{sort:?}:{value}:{id}"))
}

fn decode_cursor(sort: SortCol, cursor: &str) -> Result<(i64, i64)> {
    let bad = || {
        AppError::Query(FieldError::new("after", "invalid_cursor", "after is a cursor returned as next by this list"))
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let mut parts = text.split(':');
    match (parts.next(), parts.next().and_then(|v| v.parse().ok()), parts.next().and_then(|v| v.parse().ok())) {
        (Some(s), Some(v), Some(i)) if s == format!("{sort:?}") => Ok((v, i)),
        _ => Err(bad()),
    }
}

impl App {
    /// One page of the tickets matching `page.q` that the actor may see.
    pub async fn list_tickets(&self, actor: &Actor, page: &Page) -> Result<TicketPage> {
        let mut filter = self.resolve_query(actor, &page.q).await?;
        filter.limit = page.limit.clamp(1, 500);
        if let Some(c) = &page.after {
            filter.after = Some(decode_cursor(filter.sort, c)?);
        }
        let tickets = self.db.list_tickets(&filter).await?;
        let next = match tickets.last() {
            Some(t) if tickets.len() as i64 == filter.limit => {
                Some(encode_cursor(filter.sort, filter.sort.value_of(t), t.id))
            }
            _ => None,
        };
        Ok(TicketPage { items: tickets.iter().map(TicketView::from).collect(), next })
    }

    pub async fn count_tickets(&self, actor: &Actor, q: &str) -> Result<i64> {
        let filter = self.resolve_query(actor, q).await?;
        Ok(self.db.count_tickets(&filter).await?)
    }

    /// Parses the query language and resolves it for `actor`.
    pub async fn resolve_query(&self, actor: &Actor, q: &str) -> Result<TicketFilter> {
        let parsed = query::parse(q).map_err(|e| bad(&e))?;
        let now = Ts::now();
        let mut conds = Vec::new();
        for f in &parsed.filters {
            let pos = f.position;
            let op = cmp(f.op);
            let c = match (&f.field, op) {
                (Field::Kind, None) => {
                    let mut kinds = Vec::new();
                    for v in &f.values {
                        let k = Kind::parse(&text_of(v)).map_err(|e| at(pos, e.message))?;
                        kinds.push(k.as_str().to_string());
                    }
                    Cond::Text { col: TextCol::Kind, values: kinds, negated: f.negated }
                }
                (Field::Status, None) => {
                    let mut any = Vec::new();
                    let mut names = Vec::new();
                    for v in &f.values {
                        match text_of(v).to_ascii_lowercase().as_str() {
                            "open" => any.push(Cond::Open(true)),
                            other => {
                                names.push(Status::parse(other).map_err(|e| at(pos, e.message))?.as_str().to_string())
                            }
                        }
                    }
                    if !names.is_empty() {
                        any.push(Cond::Text { col: TextCol::Status, values: names, negated: false });
                    }
                    Cond::Any { conds: any, negated: f.negated }
                }
                (Field::Priority | Field::Impact | Field::Urgency, op) => {
                    let col = match f.field {
                        Field::Priority => Col::Priority,
                        Field::Impact => Col::Impact,
                        _ => Col::Urgency,
                    };
                    let nums: Vec<i64> = f
                        .values
                        .iter()
                        .map(|v| match v {
                            Value::Priority(p) | Value::Level(p) => Ok(*p as i64),
                            _ => Err(at(pos, "expected a priority or level")),
                        })
                        .collect::<Result<_>>()?;
                    match op {
                        Some(op) => Cond::Cmp { col, op, value: nums[0] },
                        None => Cond::Int { col, values: nums, negated: f.negated },
                    }
                }
                (Field::Group, None) => {
                    let mut ids = Vec::new();
                    for v in &f.values {
                        ids.push(match v {
                            Value::Int(i) => *i,
                            v => self
                                .db
                                .group_by_name(&text_of(v))
                                .await?
                                .map(|g| g.id)
                                .ok_or_else(|| at(pos, format!("no group named {:?}", text_of(v))))?,
                        });
                    }
                    Cond::Int { col: Col::GroupId, values: ids, negated: f.negated }
                }
                (Field::Assignee | Field::Requester | Field::Watcher, None) => {
                    let mut ids = Vec::new();
                    let mut none = false;
                    for v in &f.values {
                        match v {
                            Value::Me => ids.push(actor.user_id.unwrap_or(0)),
                            Value::None => none = true,
                            Value::Int(i) => ids.push(*i),
                            v => {
                                let email = text_of(v).to_lowercase();
                                let u = self
                                    .db
                                    .user_by_email(&email)
                                    .await?
                                    .ok_or_else(|| at(pos, format!("no user with the email {email:?}")))?;
                                ids.push(u.id);
                            }
                        }
                    }
                    let col = if f.field == Field::Assignee { Col::AssigneeId } else { Col::RequesterId };
                    if f.field == Field::Watcher {
                        Cond::Watcher { user_ids: ids, negated: f.negated }
                    } else {
                        let mut any = Vec::new();
                        if !ids.is_empty() {
                            any.push(Cond::Int { col, values: ids, negated: false });
                        }
                        if none {
                            any.push(Cond::Null { col, negated: false });
                        }
                        Cond::Any { conds: any, negated: f.negated }
                    }
                }
                (Field::Category, None) => {
                    let cats = self.db.categories(None).await?;
                    let mut ids = Vec::new();
                    for v in &f.values {
                        let want = text_of(v);
                        let hits: Vec<i64> = cats
                            .iter()
                            .filter(|c| c.name.eq_ignore_ascii_case(&want) || c.id.to_string() == want)
                            .map(|c| c.id)
                            .collect();
                        if hits.is_empty() {
                            return Err(at(pos, format!("no category named {want:?}")));
                        }
                        // A top-level category includes its subcategories.
                        for h in hits {
                            ids.push(h);
                            ids.extend(cats.iter().filter(|c| c.parent_id == Some(h)).map(|c| c.id));
                        }
                    }
                    Cond::Int { col: Col::CategoryId, values: ids, negated: f.negated }
                }
                (Field::Desk, None) => {
                    let desks = self.db.desks().await?;
                    let mut ids = Vec::new();
                    for v in &f.values {
                        let want = text_of(v);
                        let d = desks
                            .iter()
                            .find(|d| d.name.eq_ignore_ascii_case(&want) || d.id.to_string() == want)
                            .ok_or_else(|| at(pos, format!("no service desk named {want:?}")))?;
                        ids.push(d.id);
                    }
                    Cond::Int { col: Col::DeskId, values: ids, negated: f.negated }
                }
                (Field::Organization, None) => {
                    let mut ids = Vec::new();
                    for v in &f.values {
                        let want = text_of(v);
                        let o = self
                            .db
                            .organization_by_name(&want)
                            .await?
                            .ok_or_else(|| at(pos, format!("no organization named {want:?}")))?;
                        ids.push(o.id);
                    }
                    Cond::Int { col: Col::OrganizationId, values: ids, negated: f.negated }
                }
                (Field::Number, None) => {
                    let mut numbers = Vec::new();
                    for v in &f.values {
                        match v {
                            Value::Number { prefix: Some(p), seq } => numbers.push(format!("{p}-{seq}")),
                            Value::Number { prefix: None, seq } | Value::Int(seq) => numbers
                                .extend(Kind::ALL.iter().map(|k| TicketNumber { kind: *k, seq: *seq }.to_string())),
                            _ => return Err(at(pos, "expected a ticket number such as INC-1042")),
                        }
                    }
                    Cond::Text { col: TextCol::Number, values: numbers, negated: f.negated }
                }
                (Field::Parent, None) => {
                    let mut ids = Vec::new();
                    for v in &f.values {
                        match v {
                            Value::Number { prefix: Some(p), seq } => {
                                match self.db.ticket_by_number(&format!("{p}-{seq}")).await {
                                    Ok(t) => ids.push(t.id),
                                    Err(opsdesk_store::StoreError::NotFound) => {
                                        return Err(at(pos, format!("no ticket numbered {p}-{seq}")))
                                    }
                                    Err(e) => return Err(e.into()),
                                }
                            }
                            Value::Number { prefix: None, seq } | Value::Int(seq) => ids.push(*seq),
                            _ => return Err(at(pos, "expected a ticket number such as REQ-12")),
                        }
                    }
                    Cond::Int { col: Col::ParentId, values: ids, negated: f.negated }
                }
                (Field::Ci | Field::Service, None) => {
                    let class = (f.field == Field::Service).then_some(opsdesk_domain::cmdb::BUSINESS_SERVICE);
                    let mut ids = Vec::new();
                    for v in &f.values {
                        let want = text_of(v);
                        let found = match want.parse::<i64>() {
                            Ok(id) => vec![id],
                            Err(_) => self.db.ci_ids_named(&want, class).await?,
                        };
                        if found.is_empty() {
                            let what = if class.is_some() { "business service" } else { "configuration item" };
                            return Err(at(pos, format!("no {what} named {want:?}")));
                        }
                        ids.extend(found);
                    }
                    Cond::Ci { ci_ids: ids, negated: f.negated }
                }
                (Field::Created | Field::Updated, op) => {
                    let col = if f.field == Field::Created { Col::CreatedAt } else { Col::UpdatedAt };
                    let (start, end) = match f.values.first() {
                        Some(Value::Ago(d)) => {
                            let t = now.0.checked_sub(*d).map_err(|_| at(pos, "that is too long ago"))?;
                            (Ts(t), None)
                        }
                        Some(Value::Date(d)) => {
                            let start =
                                d.to_zoned(jiff::tz::TimeZone::UTC).map_err(|_| at(pos, "invalid date"))?.timestamp();
                            (Ts(start), Some(Ts(start).plus(std::time::Duration::from_secs(86_400))))
                        }
                        Some(Value::Timestamp(t)) => (Ts(*t), None),
                        _ => return Err(at(pos, "expected -7d, a date or a timestamp")),
                    };
                    let relative = matches!(f.values.first(), Some(Value::Ago(_)));
                    match (op, end) {
                        // `created:-7d` means "within the last 7 days".
                        (None, _) if relative => Cond::Cmp { col, op: CmpOp::Ge, value: start.micros() },
                        (None, Some(end)) => Cond::Any {
                            conds: vec![
                                Cond::Cmp { col, op: CmpOp::Lt, value: start.micros() },
                                Cond::Cmp { col, op: CmpOp::Ge, value: end.micros() },
                            ],
                            negated: !f.negated,
                        },
                        (None, None) => Cond::Cmp { col, op: CmpOp::Ge, value: start.micros() },
                        (Some(op), _) => Cond::Cmp { col, op, value: start.micros() },
                    }
                }
                (Field::Has, None) => {
                    let mut any = Vec::new();
                    for v in &f.values {
                        any.push(match text_of(v).as_str() {
                            "attachment" | "attachments" => Cond::HasAttachment(true),
                            "assignee" => Cond::Null { col: Col::AssigneeId, negated: true },
                            "category" => Cond::Null { col: Col::CategoryId, negated: true },
                            "group" => Cond::Null { col: Col::GroupId, negated: true },
                            other => {
                                return Err(at(
                                    pos,
                                    format!("has: takes attachment, assignee, category or group, not {other:?}"),
                                ))
                            }
                        });
                    }
                    Cond::Any { conds: any, negated: f.negated }
                }
                (Field::Is, None) => {
                    let mut any = Vec::new();
                    for v in &f.values {
                        any.push(match text_of(v).as_str() {
                            "open" => Cond::Open(true),
                            "closed" | "done" => Cond::Open(false),
                            "unassigned" => Cond::Null { col: Col::AssigneeId, negated: false },
                            "assigned" => Cond::Null { col: Col::AssigneeId, negated: true },
                            other => {
                                return Err(at(
                                    pos,
                                    format!("is: takes open, closed, assigned or unassigned, not {other:?}"),
                                ))
                            }
                        });
                    }
                    Cond::Any { conds: any, negated: f.negated }
                }
                (Field::Custom(key), None) => Cond::Custom {
                    key: key.trim_start_matches("cf.").to_string(),
                    values: f.values.iter().map(text_of).collect(),
                    negated: f.negated,
                },
                (Field::Custom(key), Some(op)) => {
                    let value = match f.values.first() {
                        Some(Value::Int(i)) => *i as f64,
                        Some(v) => text_of(v).parse::<f64>().map_err(|_| at(pos, "comparisons need a number"))?,
                        None => return Err(at(pos, "a value is required")),
                    };
                    Cond::CustomCmp { key: key.trim_start_matches("cf.").to_string(), op, value }
                }
                (field, Some(_)) => return Err(at(pos, format!("{} cannot be compared with < or >", field.name()))),
            };
            conds.push(c);
        }
        let (sort, descending) = match parsed.sort {
            // Newest first: ids grow with creation, and id order lets search stop early.
            None => (SortCol::Id, true),
            Some(s) => (
                match s.key {
                    SortKey::Priority => SortCol::Priority,
                    SortKey::Created => SortCol::Created,
                    SortKey::Updated => SortCol::Updated,
                    // Nearest due first; tickets without a running clock last.
                    SortKey::Due => SortCol::Due,
                    SortKey::Number | SortKey::Relevance | SortKey::Status => SortCol::Id,
                },
                s.descending,
            ),
        };
        Ok(TicketFilter {
            visibility: actor.ticket_visibility(),
            conds,
            text: parsed
                .text
                .iter()
                .map(|t| TextTerm { text: t.text.clone(), phrase: t.phrase, negated: t.negated })
                .collect(),
            search_internal: actor.sees_internal_notes(),
            sort,
            descending,
            after: None,
            limit: 50,
        })
    }

    /// The views an agent sees (their own and their groups'), each with its live count.
    pub async fn views(&self, actor: &Actor) -> Result<Vec<ViewWithCount>> {
        let Some(user_id) = actor.user_id else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for view in self.db.views_for(user_id, &actor.group_ids).await? {
            let count = match self.resolve_query(actor, &view.query).await {
                Ok(f) => self.db.count_tickets(&f).await?,
                Err(_) => 0,
            };
            out.push(ViewWithCount { view, count });
        }
        Ok(out)
    }

    pub async fn create_view(&self, actor: &Actor, input: ViewInput) -> Result<SavedView> {
        let Some(user_id) = actor.user_id else { return Err(AppError::Forbidden) };
        if actor.role == Role::Requester {
            return Err(AppError::Forbidden);
        }
        let name = super::one_line(&input.name, "name", 120)?;
        query::parse(&input.query).map_err(|e| AppError::from(e.to_field_error().at("query")))?;
        self.resolve_query(actor, &input.query).await.map_err(|e| match e {
            AppError::Query(f) => AppError::from(f.at("query")),
            other => other,
        })?;
        if let Some(g) = input.group_id {
            let member = actor.group_ids.contains(&g);
            if !(member || actor.role == Role::Admin) {
                return Err(FieldError::new("group_id", "not_a_member", "share views only with your own groups").into());
            }
            if crate::error::found(self.db.group(g).await)?.is_none() {
                return Err(FieldError::new("group_id", "unknown", "no such group").into());
            }
        }
        let owner = if input.group_id.is_some() { None } else { Some(user_id) };
        let now = Ts::now();
        let mut tx = self.db.begin().await?;
        let v = tx.insert_view(&name, input.query.trim(), owner, input.group_id, input.position, now).await?;
        emit(&mut tx, "view.created", format!("view:{}", v.id), actor, json!({}), now).await?;
        tx.commit().await?;
        Ok(v)
    }

    pub async fn delete_view(&self, actor: &Actor, id: i64) -> Result<()> {
        let v = self.db.view(id).await?;
        let mine = v.owner_user_id.is_some() && v.owner_user_id == actor.user_id;
        let group_admin = v.group_id.is_some_and(|g| actor.group_ids.contains(&g)) || actor.role == Role::Admin;
        if !(mine || (v.owner_user_id.is_none() && group_admin)) {
            return Err(AppError::NotFound);
        }
        let mut tx = self.db.begin().await?;
        tx.delete_view(id).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        Value::Me => "me".into(),
        Value::None => "none".into(),
        Value::Int(i) => i.to_string(),
        Value::Priority(p) => format!("P{p}"),
        Value::Level(l) => l.to_string(),
        Value::Date(d) => d.to_string(),
        Value::Timestamp(t) => t.to_string(),
        Value::Ago(d) => format!("{d:?}"),
        Value::Number { prefix, seq } => match prefix {
            Some(p) => format!("{p}-{seq}"),
            None => seq.to_string(),
        },
    }
}
