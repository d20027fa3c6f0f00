//! Compiling a resolved ticket filter (from the query language, after the application has
//! turned names into ids) into SQL for either backend: allow-listed columns, bound values only.

use super::{ticket_cols, Ticket};
use crate::{Backend, Db, Result};
use opsdesk_domain::ticket::{Kind, Visibility};

/// Integer columns a filter or sort may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Id,
    Priority,
    Impact,
    Urgency,
    GroupId,
    AssigneeId,
    RequesterId,
    CategoryId,
    DeskId,
    OrganizationId,
    ParentId,
    CreatedAt,
    UpdatedAt,
}

impl Col {
    fn sql(self) -> &'static str {
        match self {
            Col::Id => "t.id",
            Col::Priority => "t.priority",
            Col::Impact => "t.impact",
            Col::Urgency => "t.urgency",
            Col::GroupId => "t.group_id",
            Col::AssigneeId => "t.assignee_id",
            Col::RequesterId => "t.requester_id",
            Col::CategoryId => "t.category_id",
            Col::ParentId => "t.parent_id",
            Col::DeskId => "t.desk_id",
            Col::OrganizationId => "t.organization_id",
            Col::CreatedAt => "t.created_at",
            Col::UpdatedAt => "t.updated_at",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextCol {
    Kind,
    Status,
    Number,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    fn sql(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// One condition; all of a filter's conditions must hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Int {
        col: Col,
        values: Vec<i64>,
        negated: bool,
    },
    Text {
        col: TextCol,
        values: Vec<String>,
        negated: bool,
    },
    Null {
        col: Col,
        negated: bool,
    },
    Open(bool),
    Cmp {
        col: Col,
        op: CmpOp,
        value: i64,
    },
    Watcher {
        user_ids: Vec<i64>,
        negated: bool,
    },
    HasAttachment(bool),
    /// The ticket names one of these configuration items.
    Ci {
        ci_ids: Vec<i64>,
        negated: bool,
    },
    /// A custom field's value equals one of these (as text; a multi-select contains one).
    Custom {
        key: String,
        values: Vec<String>,
        negated: bool,
    },
    CustomCmp {
        key: String,
        op: CmpOp,
        value: f64,
    },
    /// At least one of these holds (`status:open,resolved`), or none does when negated.
    Any {
        conds: Vec<Cond>,
        negated: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortCol {
    Priority,
    Created,
    Updated,
    Id,
    /// The nearest due instant of the running SLA clocks (`sla_due_at`).
    Due,
}

impl SortCol {
    fn sql(self) -> &'static str {
        match self {
            SortCol::Priority => "t.priority",
            SortCol::Created => "t.created_at",
            SortCol::Updated => "t.updated_at",
            SortCol::Id => "t.id",
            SortCol::Due => "t.sla_due_at",
        }
    }

    /// The sort value of a ticket, for the next page's cursor.
    pub fn value_of(self, t: &Ticket) -> i64 {
        match self {
            SortCol::Due => t.sla_due_at,
            SortCol::Priority => t.priority,
            SortCol::Created => t.created_at.micros(),
            SortCol::Updated => t.updated_at.micros(),
            SortCol::Id => t.id,
        }
    }
}

/// A full-text term: a word or a quoted phrase, possibly excluded.
#[derive(Debug, Clone, PartialEq)]
pub struct TextTerm {
    pub text: String,
    pub phrase: bool,
    pub negated: bool,
}

/// Everything a ticket list needs: who is asking, what to match, how to order, where to
/// continue.
#[derive(Debug, Clone)]
pub struct TicketFilter {
    pub visibility: Visibility,
    pub conds: Vec<Cond>,
    pub text: Vec<TextTerm>,
    /// Whether text search may match internal notes (never for requesters).
    pub search_internal: bool,
    pub sort: SortCol,
    pub descending: bool,
    /// Continue after this (sort value, id).
    pub after: Option<(i64, i64)>,
    pub limit: i64,
}

pub enum Arg {
    I(i64),
    F(f64),
    T(String),
    B(bool),
}

/// SQL text with its bound arguments, numbered `$1`, `$2`, ... in order.
#[derive(Default)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    pub fn ints(&mut self, values: &[i64]) -> String {
        values.iter().map(|v| self.arg(Arg::I(*v))).collect::<Vec<_>>().join(", ")
    }

    pub fn texts(&mut self, values: &[String]) -> String {
        values.iter().map(|v| self.arg(Arg::T(v.clone()))).collect::<Vec<_>>().join(", ")
    }
}

#[macro_export]
#[doc(hidden)]
macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        use $crate::tickets::filter::Arg;
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::I(v) => q.bind(*v),
                Arg::F(v) => q.bind(*v),
                Arg::T(v) => q.bind(v.as_str()),
                Arg::B(v) => q.bind(*v),
            };
        }
        q
    }};
}

pub(crate) fn visibility(sql: &mut Sql, v: &Visibility) -> Option<String> {
    match v {
        Visibility::All => None,
        Visibility::Agent { user_id, group_ids } => {
            let u = sql.arg(Arg::I(*user_id));
            // Tickets without a group are every agent's (see `Visibility::Agent`).
            let mine = format!("t.group_id IS NULL OR t.assignee_id = {u} OR t.requester_id = {u}");
            Some(if group_ids.is_empty() {
                format!("({mine})")
            } else {
                format!("(t.group_id IN ({}) OR {mine})", sql.ints(group_ids))
            })
        }
        Visibility::Requester { user_id, organization_id } => {
            let u = sql.arg(Arg::I(*user_id));
            let own = match organization_id {
                Some(o) => {
                    let o = sql.arg(Arg::I(*o));
                    format!("(t.requester_id = {u} OR (t.shared_with_organization AND t.organization_id = {o}))")
                }
                None => format!("t.requester_id = {u}"),
            };
            // Kinds that are internal work (tasks) stay out of requesters' lists and counts.
            let facing: Vec<&str> = Kind::ALL.iter().filter(|k| k.def().requester_facing).map(|k| k.as_str()).collect();
            let kinds: Vec<String> = facing.iter().map(|k| sql.arg(Arg::T(k.to_string()))).collect();
            Some(format!("({own} AND t.kind IN ({}))", kinds.join(", ")))
        }
    }
}

fn not(negated: bool) -> &'static str {
    if negated {
        "NOT "
    } else {
        ""
    }
}

fn cond(sql: &mut Sql, backend: Backend, c: &Cond) -> String {
    match c {
        Cond::Int { col, values, negated } => format!("{} {}IN ({})", col.sql(), not(*negated), sql.ints(values)),
        Cond::Text { col, values, negated } => {
            let col = match col {
                TextCol::Kind => "t.kind",
                TextCol::Status => "t.status",
                TextCol::Number => "t.number",
            };
            format!("{col} {}IN ({})", not(*negated), sql.texts(values))
        }
        Cond::Null { col, negated } => format!("{} IS {}NULL", col.sql(), not(*negated)),
        Cond::Open(open) => format!("t.is_open = {}", sql.arg(Arg::B(*open))),
        Cond::Cmp { col, op, value } => format!("{} {} {}", col.sql(), op.sql(), sql.arg(Arg::I(*value))),
        Cond::Watcher { user_ids, negated } => format!(
            "{}EXISTS (SELECT 1 FROM watchers w WHERE w.ticket_id = t.id AND w.user_id IN ({}))",
            not(*negated),
            sql.ints(user_ids)
        ),
        Cond::Ci { ci_ids, negated } => format!(
            "{}EXISTS (SELECT 1 FROM ticket_cis x WHERE x.ticket_id = t.id AND x.ci_id IN ({}))",
            not(*negated),
            sql.ints(ci_ids)
        ),
        Cond::HasAttachment(has) => {
            format!("{}EXISTS (SELECT 1 FROM attachments a WHERE a.ticket_id = t.id)", not(!*has))
        }
        Cond::Custom { key, values, negated } => {
            let vals = sql.texts(values);
            let any = match backend {
                Backend::Sqlite => {
                    let path = sql.arg(Arg::T(format!("$.{key}")));
                    format!(
                        "(CAST(json_extract(t.custom_fields, {path}) AS TEXT) IN ({vals}) OR EXISTS (SELECT 1 FROM \
                         json_each(t.custom_fields, {path}) j WHERE json_type(t.custom_fields, {path}) = 'array' \
                         AND j.value IN ({vals})))"
                    )
                }
                Backend::Postgres => {
                    let k = sql.arg(Arg::T(key.clone()));
                    format!(
                        "((t.custom_fields::jsonb ->> {k}) IN ({vals}) OR (jsonb_typeof(t.custom_fields::jsonb -> {k}) = \
                         'array' AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(t.custom_fields::jsonb -> {k}) j \
                         WHERE j IN ({vals}))))"
                    )
                }
            };
            format!("{}{any}", not(*negated))
        }
        Cond::Any { conds, negated } => {
            let parts: Vec<String> = conds.iter().map(|c| cond(sql, backend, c)).collect();
            format!("{}({})", not(*negated), if parts.is_empty() { "FALSE".into() } else { parts.join(" OR ") })
        }
        Cond::CustomCmp { key, op, value } => {
            let v = sql.arg(Arg::F(*value));
            match backend {
                Backend::Sqlite => {
                    let path = sql.arg(Arg::T(format!("$.{key}")));
                    format!("CAST(json_extract(t.custom_fields, {path}) AS REAL) {} {v}", op.sql())
                }
                Backend::Postgres => {
                    let k = sql.arg(Arg::T(key.clone()));
                    format!(
                        "(CASE WHEN jsonb_typeof(t.custom_fields::jsonb -> {k}) = 'number' \
                         THEN (t.custom_fields::jsonb ->> {k})::float8 END) {} {v}",
                        op.sql()
                    )
                }
            }
        }
    }
}

/// The WHERE clause (without the keyword) of a filter, ignoring sort and paging.
fn where_clause(sql: &mut Sql, backend: Backend, f: &TicketFilter, fts_driven: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(v) = visibility(sql, &f.visibility) {
        parts.push(v);
    }
    for c in &f.conds {
        parts.push(cond(sql, backend, c));
    }
    parts.extend(super::search::text_conditions(sql, backend, &f.text, f.search_internal, fts_driven));
    if parts.is_empty() {
        "TRUE".into()
    } else {
        parts.join(" AND ")
    }
}

impl Db {
    /// One page of tickets matching `f`.
    pub async fn list_tickets(&self, f: &TicketFilter) -> Result<Vec<Ticket>> {
        let backend = self.backend();
        let mut sql = Sql::default();
        // A search in id order on SQLite walks the FTS5 index newest first and stops after one
        // page, instead of collecting every match and sorting it: a common word matches a large
        // part of a big desk.
        let positives = super::search::positive_terms(&f.text);
        let fts_driven = backend == Backend::Sqlite && f.sort == SortCol::Id && !positives.is_empty();
        let (from, id_col, mut w) = if fts_driven {
            let m = sql.arg(Arg::T(super::search::fts5_expression(&positives, f.search_internal)));
            let rest = where_clause(&mut sql, backend, f, true);
            (
                "ticket_search JOIN tickets t ON t.id = ticket_search.rowid",
                "ticket_search.rowid",
                format!("ticket_search MATCH {m} AND {rest}"),
            )
        } else {
            ("tickets t", "t.id", where_clause(&mut sql, backend, f, false))
        };
        let col = f.sort.sql();
        let (cmp, dir) = if f.descending { ("<", "DESC") } else { (">", "ASC") };
        if let Some((value, id)) = f.after {
            let v = sql.arg(Arg::I(value));
            let i = sql.arg(Arg::I(id));
            w = if f.sort == SortCol::Id {
                format!("{w} AND {id_col} {cmp} {i}")
            } else {
                format!("{w} AND ({col} {cmp} {v} OR ({col} = {v} AND t.id {cmp} {i}))")
            };
        }
        let limit = sql.arg(Arg::I(f.limit));
        let order = if f.sort == SortCol::Id { format!("{id_col} {dir}") } else { format!("{col} {dir}, t.id {dir}") };
        let cols = ticket_cols!().split(", ").map(|c| format!("t.{c}")).collect::<Vec<_>>().join(", ");
        sql.text = format!("SELECT {cols} FROM {from} WHERE {w} ORDER BY {order} LIMIT {limit}");
        Ok(on_read!(self, |p| bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(p).await?))
    }

    /// How many tickets match `f` (sort and paging ignored).
    pub async fn count_tickets(&self, f: &TicketFilter) -> Result<i64> {
        let mut sql = Sql::default();
        let w = where_clause(&mut sql, self.backend(), f, false);
        sql.text = format!("SELECT COUNT(*) FROM tickets t WHERE {w}");
        let row: (i64,) = on_read!(self, |p| bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_one(p).await?);
        Ok(row.0)
    }
}
