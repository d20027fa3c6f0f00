//! The ticket query language, one parser for the API, the search box and saved views:
//! `kind:incident status:open priority:P1,P2 created>-7d "vpn drops" -status:closed sort:-priority`.
//!
//! Filters are ANDed, the values of one filter are ORed. Errors point at the offending characters
//! by char offset (not byte offset) so a UI can underline them. Input is bounded in characters
//! and terms and scanned once, so hostile input costs linear time.

use crate::validation::FieldError;
use jiff::{civil::Date, SignedDuration, Timestamp};
use serde::{Serialize, Serializer};
use std::fmt;

/// A parsed query. An empty query matches every ticket the reader may see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Query {
    pub filters: Vec<Filter>,
    pub text: Vec<TextTerm>,
    pub sort: Option<Sort>,
}

impl Query {
    /// Longest accepted input, in characters.
    pub const MAX_CHARS: usize = 2000;
    /// Most terms (filters, words, phrases and the sort) in one query.
    pub const MAX_TERMS: usize = 50;
}

/// One `field:value` term. `position` is the char offset where the term starts (at its `-` when
/// negated), so callers can point at it later, e.g. when a status is unknown to the kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filter {
    pub field: Field,
    pub op: Op,
    pub values: Vec<Value>,
    pub negated: bool,
    pub position: usize,
}

/// What a filter looks at. Serialized as its canonical name (`organization`, `cf.cost`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    Kind,
    Status,
    Priority,
    Impact,
    Urgency,
    Group,
    Assignee,
    Requester,
    Category,
    Desk,
    Organization,
    Number,
    /// The parent of a task: `parent:REQ-12`.
    Parent,
    /// A configuration item the ticket names: `ci:db01` (name or id).
    Ci,
    /// A business service the ticket names: `service:Payroll`.
    Service,
    Created,
    Updated,
    Watcher,
    Has,
    Is,
    /// A custom field by key: lowercase ASCII letters, digits and underscores.
    Custom(String),
}

const KNOWN_FIELDS: &str = "kind, status, priority, impact, urgency, group, assignee, requester, category, desk, \
     organization (org), number, parent, ci, service, created, updated, watcher, has, is, cf.<key> and sort";

impl Field {
    /// The field for a lower-cased name, `org` included; custom fields are handled by the parser.
    fn from_name(lower: &str) -> Option<Field> {
        Some(match lower {
            "kind" => Field::Kind,
            "status" => Field::Status,
            "priority" => Field::Priority,
            "impact" => Field::Impact,
            "urgency" => Field::Urgency,
            "group" => Field::Group,
            "assignee" => Field::Assignee,
            "requester" => Field::Requester,
            "category" => Field::Category,
            "desk" => Field::Desk,
            "organization" | "org" => Field::Organization,
            "number" => Field::Number,
            "parent" => Field::Parent,
            "ci" => Field::Ci,
            "service" => Field::Service,
            "created" => Field::Created,
            "updated" => Field::Updated,
            "watcher" => Field::Watcher,
            "has" => Field::Has,
            "is" => Field::Is,
            _ => return None,
        })
    }

    /// The canonical name, as written in a query: `organization`, `cf.cost`.
    pub fn name(&self) -> String {
        let name = match self {
            Field::Kind => "kind",
            Field::Status => "status",
            Field::Priority => "priority",
            Field::Impact => "impact",
            Field::Urgency => "urgency",
            Field::Group => "group",
            Field::Assignee => "assignee",
            Field::Requester => "requester",
            Field::Category => "category",
            Field::Desk => "desk",
            Field::Organization => "organization",
            Field::Number => "number",
            Field::Parent => "parent",
            Field::Ci => "ci",
            Field::Service => "service",
            Field::Created => "created",
            Field::Updated => "updated",
            Field::Watcher => "watcher",
            Field::Has => "has",
            Field::Is => "is",
            Field::Custom(key) => return format!("cf.{key}"),
        };
        name.to_string()
    }

    /// Whether `<`, `<=`, `>` and `>=` make sense: times, ranks, numbers and custom fields.
    pub fn allows_comparison(&self) -> bool {
        matches!(
            self,
            Field::Created
                | Field::Updated
                | Field::Priority
                | Field::Impact
                | Field::Urgency
                | Field::Number
                | Field::Custom(_)
        )
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

/// How a filter compares: `:` is equality (or membership for lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    /// The operator as written in a query.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => ":",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One value of a filter, interpreted for its field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Value {
    /// Kept as written, without quotes; statuses and kinds stay text because only the caller
    /// knows each kind's lifecycle.
    Text(String),
    /// The reader (`assignee:me`).
    Me,
    /// Nobody (`assignee:none`).
    None,
    /// An integer custom field value.
    Int(i64),
    /// P1..P5 as 1..5.
    Priority(u8),
    /// Impact or urgency, 1 (high) to 3 (low).
    Level(u8),
    /// That long before now (`-7d`); always positive.
    Ago(SignedDuration),
    Date(Date),
    Timestamp(Timestamp),
    /// A ticket number, `INC-1042` (prefix upper-cased) or a bare `1042`.
    Number {
        prefix: Option<String>,
        seq: i64,
    },
}

/// A full-text term: a bare word, or a quoted phrase matched as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextTerm {
    pub text: String,
    pub phrase: bool,
    pub negated: bool,
}

/// The requested ordering (`sort:-created`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    Priority,
    Created,
    Updated,
    Number,
    Status,
    /// The SLA due time.
    Due,
    Relevance,
}

impl SortKey {
    fn from_name(lower: &str) -> Option<SortKey> {
        Some(match lower {
            "priority" => SortKey::Priority,
            "created" => SortKey::Created,
            "updated" => SortKey::Updated,
            "number" => SortKey::Number,
            "status" => SortKey::Status,
            "due" => SortKey::Due,
            "relevance" => SortKey::Relevance,
            _ => return None,
        })
    }
}

/// Why a query was rejected, and where: `position` and `length` are in chars, 0-based.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("at column {}: {}", .position + 1, .message)]
pub struct QueryError {
    pub position: usize,
    pub length: usize,
    pub message: String,
}

impl QueryError {
    fn new(position: usize, length: usize, message: impl Into<String>) -> Self {
        QueryError { position, length, message: message.into() }
    }

    /// The error as a validation error of the `q` parameter, column included.
    pub fn to_field_error(&self) -> FieldError {
        FieldError::new("q", "invalid_query", self.to_string())
    }
}

/// Parses a query; see the module documentation for the language.
pub fn parse(input: &str) -> Result<Query, QueryError> {
    let total = input.chars().count();
    if total > Query::MAX_CHARS {
        let message = format!("a query has at most {} characters", Query::MAX_CHARS);
        return Err(QueryError::new(Query::MAX_CHARS, total - Query::MAX_CHARS, message));
    }
    // A NUL or another control character has no meaning in a query and breaks the full-text
    // engines downstream (FTS5 reads NUL as the end of its string; PostgreSQL refuses it).
    if let Some((at, c)) = input.chars().enumerate().find(|(_, c)| c.is_control() && !c.is_whitespace()) {
        let message = format!("a query cannot contain control characters (U+{:04X})", u32::from(c));
        return Err(QueryError::new(at, 1, message));
    }
    let mut parser = Parser { chars: input.chars().collect(), pos: 0 };
    let mut query = Query::default();
    let mut terms = 0;
    loop {
        parser.skip_whitespace();
        if parser.pos >= total {
            lone_number(&mut query, &parser.chars);
            return Ok(query);
        }
        terms += 1;
        if terms > Query::MAX_TERMS {
            let message = format!("a query has at most {} terms", Query::MAX_TERMS);
            return Err(QueryError::new(parser.pos, total - parser.pos, message));
        }
        parser.term(&mut query)?;
    }
}

/// A query that is only a ticket number (`INC-580`, `580`; a sort may come with it) finds that
/// ticket: the number becomes a `number:` filter. Next to other terms it stays a word, so
/// `error 404` still searches text.
fn lone_number(query: &mut Query, chars: &[char]) {
    let [word] = query.text.as_slice() else { return };
    if word.phrase || word.negated || !query.filters.is_empty() {
        return;
    }
    let Some(value) = number(&word.text) else { return };
    let text: Vec<char> = word.text.chars().collect();
    let position = chars.windows(text.len()).position(|w| w == text.as_slice()).unwrap_or(0);
    query.text.clear();
    query.filters.push(Filter { field: Field::Number, op: Op::Eq, values: vec![value], negated: false, position });
}

/// A value as written, before it is interpreted for its field.
struct RawValue {
    text: String,
    quoted: bool,
    position: usize,
    length: usize,
}

impl RawValue {
    fn invalid(&self, message: impl Into<String>) -> QueryError {
        QueryError::new(self.position, self.length, message)
    }
}

/// The part of a filter term before its values (`-status:`), for pointing at its pieces.
struct Head {
    start: usize,
    negated: bool,
    name_start: usize,
    op: Op,
    op_start: usize,
    op_end: usize,
}

impl Head {
    fn at_op(&self, message: impl Into<String>) -> QueryError {
        QueryError::new(self.op_start, self.op_end - self.op_start, message)
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(c);
        self.pos += usize::from(hit);
        hit
    }

    fn at_term_end(&self) -> bool {
        self.peek().is_none_or(char::is_whitespace)
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn stray_quote(&self) -> QueryError {
        QueryError::new(self.pos, 1, "a quote may only begin a term or a value; quote the whole text")
    }

    /// One term: a phrase, a word, a filter or the sort.
    fn term(&mut self, query: &mut Query) -> Result<(), QueryError> {
        let start = self.pos;
        let negated = self.eat('-');
        if self.peek() == Some('"') {
            let text = self.quoted()?;
            if !self.at_term_end() {
                return Err(QueryError::new(self.pos, 1, "expected a space after the closing quote"));
            }
            // `""` asks for nothing; dropping it beats failing while someone is still typing.
            if !text.trim().is_empty() {
                query.text.push(TextTerm { text, phrase: true, negated });
            }
            return Ok(());
        }
        let name_start = self.pos;
        let name = self.take_while(|c| !c.is_whitespace() && !matches!(c, ':' | '<' | '>' | '"'));
        match self.peek() {
            Some('"') => Err(self.stray_quote()),
            Some(c) if !c.is_whitespace() => {
                let op_start = self.pos;
                let op = self.operator();
                let head = Head { start, negated, name_start, op, op_start, op_end: self.pos };
                self.filter(query, &head, &name)
            }
            // A lone `-` excludes nothing.
            _ if name.is_empty() => Ok(()),
            _ => {
                query.text.push(TextTerm { text: name, phrase: false, negated });
                Ok(())
            }
        }
    }

    fn operator(&mut self) -> Op {
        let first = self.peek();
        self.pos += 1;
        match first {
            Some('>') if self.eat('=') => Op::Ge,
            Some('>') => Op::Gt,
            Some('<') if self.eat('=') => Op::Le,
            Some('<') => Op::Lt,
            _ => Op::Eq,
        }
    }

    fn filter(&mut self, query: &mut Query, head: &Head, name: &str) -> Result<(), QueryError> {
        let op = head.op;
        if name.is_empty() {
            return Err(head.at_op(format!("`{op}` needs a field name before it")));
        }
        if name.eq_ignore_ascii_case("sort") {
            return self.sort(query, head);
        }
        let field = parse_field(name, head.name_start)?;
        if op != Op::Eq && !field.allows_comparison() {
            return Err(head.at_op(format!(
                "`{op}` cannot be used with `{field}`; only created, updated, priority, impact, urgency, \
                 number and custom fields compare"
            )));
        }
        let raws = self.values(&field.name(), head)?;
        if let (Op::Lt | Op::Le | Op::Gt | Op::Ge, Some(second)) = (op, raws.get(1)) {
            return Err(second.invalid(format!("`{op}` compares with one value, not a list")));
        }
        let values = raws.iter().map(|raw| interpret(&field, raw)).collect::<Result<_, _>>()?;
        query.filters.push(Filter { field, op, values, negated: head.negated, position: head.start });
        Ok(())
    }

    fn sort(&mut self, query: &mut Query, head: &Head) -> Result<(), QueryError> {
        let start = head.start;
        if head.negated {
            return Err(QueryError::new(start, 1, "a sort cannot be negated; write sort:-key for descending order"));
        }
        if head.op != Op::Eq {
            return Err(head.at_op("a sort is written sort:key or sort:-key"));
        }
        let raws = self.values("sort", head)?;
        if query.sort.is_some() {
            return Err(QueryError::new(start, self.pos - start, "only one sort term is allowed"));
        }
        let raw = match raws.as_slice() {
            [raw] => raw,
            [_, second, ..] => return Err(second.invalid("a sort takes one key")),
            [] => return Err(QueryError::new(start, self.pos - start, "empty value for `sort`")),
        };
        let (descending, key) = match raw.text.strip_prefix('-') {
            Some(key) => (true, key),
            None => (false, raw.text.as_str()),
        };
        let key = SortKey::from_name(&key.to_ascii_lowercase()).ok_or_else(|| {
            raw.invalid(format!(
                "unknown sort key `{key}`; sort keys are priority, created, updated, number, status, due and relevance"
            ))
        })?;
        query.sort = Some(Sort { key, descending });
        Ok(())
    }

    /// A comma-separated list of values; the `field:` span is blamed when nothing follows it.
    fn values(&mut self, label: &str, head: &Head) -> Result<Vec<RawValue>, QueryError> {
        let mut values = Vec::new();
        loop {
            let position = self.pos;
            let quoted = self.peek() == Some('"');
            let text = if quoted {
                self.quoted()?
            } else {
                let text = self.take_while(|c| !c.is_whitespace() && !matches!(c, ',' | '"'));
                if self.peek() == Some('"') {
                    return Err(self.stray_quote());
                }
                text
            };
            let length = self.pos - position;
            let more = self.peek() == Some(',');
            if !more && !self.at_term_end() {
                return Err(QueryError::new(self.pos, 1, "expected `,` or a space after the closing quote"));
            }
            if text.trim().is_empty() {
                let in_list = format!("empty value in the list for `{label}`");
                return Err(if quoted {
                    QueryError::new(position, length, format!("empty value for `{label}`"))
                } else if more {
                    QueryError::new(self.pos, 1, in_list)
                } else if values.is_empty() {
                    QueryError::new(
                        head.name_start,
                        head.op_end - head.name_start,
                        format!("empty value for `{label}`; write {label}:value"),
                    )
                } else {
                    QueryError::new(position - 1, 1, in_list)
                });
            }
            values.push(RawValue { text, quoted, position, length });
            if !more {
                return Ok(values);
            }
            self.pos += 1;
        }
    }

    /// A double-quoted string at the cursor. `\"` and `\\` are escapes; any other backslash is
    /// kept, so `"C:\temp"` means what it says.
    fn quoted(&mut self) -> Result<String, QueryError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                '"' => return Ok(out),
                '\\' => match self.peek() {
                    Some(escaped @ ('"' | '\\')) => {
                        out.push(escaped);
                        self.pos += 1;
                    }
                    _ => out.push(c),
                },
                _ => out.push(c),
            }
        }
        Err(QueryError::new(open, self.pos - open, "unterminated quote; close it with `\"`"))
    }
}

fn parse_field(name: &str, position: usize) -> Result<Field, QueryError> {
    let lower = name.to_ascii_lowercase();
    let length = name.chars().count();
    if let Some(key) = lower.strip_prefix("cf.") {
        let valid = !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        return if valid {
            Ok(Field::Custom(key.to_string()))
        } else {
            let message = format!("invalid custom field `{name}`; write cf.<key> with letters, digits and underscores");
            Err(QueryError::new(position, length, message))
        };
    }
    Field::from_name(&lower).ok_or_else(|| {
        QueryError::new(position, length, format!("unknown field `{name}`; known fields are {KNOWN_FIELDS}"))
    })
}

/// Reads a value for its field. Quoting keeps `me`, `none` and custom values as literal text.
fn interpret(field: &Field, raw: &RawValue) -> Result<Value, QueryError> {
    let s = raw.text.as_str();
    let keyword = |k: &str| !raw.quoted && s.eq_ignore_ascii_case(k);
    match field {
        Field::Priority => {
            priority(s).ok_or_else(|| raw.invalid(format!("invalid priority `{s}`; priority is P1 to P5")))
        }
        Field::Impact | Field::Urgency => level(s)
            .ok_or_else(|| raw.invalid(format!("invalid {field} `{s}`; {field} is 1 (high), 2 (medium) or 3 (low)"))),
        Field::Created | Field::Updated => moment(raw),
        Field::Number | Field::Parent => {
            number(s).ok_or_else(|| raw.invalid(format!("invalid ticket number `{s}`; write it like INC-1042 or 1042")))
        }
        Field::Assignee | Field::Requester | Field::Watcher if keyword("me") => Ok(Value::Me),
        Field::Assignee if keyword("none") => Ok(Value::None),
        Field::Requester | Field::Watcher if keyword("none") => Err(raw.invalid(format!(
            "`none` only applies to assignee; write -has:{field} for none, or quote \"none\" to search for the text"
        ))),
        Field::Custom(_) if !raw.quoted => Ok(custom(s)),
        _ => Ok(Value::Text(raw.text.clone())),
    }
}

fn priority(s: &str) -> Option<Value> {
    match s.strip_prefix(['P', 'p'])?.as_bytes() {
        [d @ b'1'..=b'5'] => Some(Value::Priority(d - b'0')),
        _ => None,
    }
}

fn level(s: &str) -> Option<Value> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "high" => Some(Value::Level(1)),
        "2" | "medium" => Some(Value::Level(2)),
        "3" | "low" => Some(Value::Level(3)),
        _ => None,
    }
}

/// About a century: anything older predates the desk, and the bound keeps `now - ago` in range.
const MAX_AGO_SECS: i64 = 36_525 * 86_400;

/// `7d` (the part after the `-`) as a duration: digits and one unit of m, h, d or w.
fn ago(s: &str) -> Option<SignedDuration> {
    let unit = s.chars().last()?;
    let digits = s.strip_suffix(unit)?;
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let unit_secs = match unit {
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    let secs = digits.parse::<i64>().ok()?.checked_mul(unit_secs)?;
    (secs <= MAX_AGO_SECS).then(|| SignedDuration::from_secs(secs))
}

fn is_date_shape(s: &str) -> bool {
    s.len() == 10 && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() })
}

fn moment(raw: &RawValue) -> Result<Value, QueryError> {
    let s = raw.text.as_str();
    if let Some(rest) = s.strip_prefix('-') {
        return ago(rest).map(Value::Ago).ok_or_else(|| {
            raw.invalid(format!(
                "invalid relative time `{s}`; write a number and a unit (m, h, d or w) up to 100 years, like -7d"
            ))
        });
    }
    if is_date_shape(s) {
        return s.parse().map(Value::Date).map_err(|_| raw.invalid(format!("`{s}` is not a calendar date")));
    }
    if let Ok(t) = s.parse() {
        return Ok(Value::Timestamp(t));
    }
    if ago(s).is_some() {
        return Err(raw.invalid(format!("`{s}` has no direction; write -{s} for {s} ago")));
    }
    Err(raw.invalid(format!(
        "invalid time `{s}`; write a relative time like -7d, a date like 2026-01-31 or a timestamp like \
         2026-01-31T10:00:00Z"
    )))
}

fn number(s: &str) -> Option<Value> {
    let (prefix, seq) = match s.split_once('-') {
        Some((p, seq)) if (1..=10).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()) => {
            (Some(p.to_ascii_uppercase()), seq)
        }
        Some(_) => return None,
        None => (None, s),
    };
    if seq.is_empty() || seq.len() > 18 || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seq = seq.parse().ok()?;
    (seq > 0).then_some(Value::Number { prefix, seq })
}

/// Integers and dates become typed values only when they read back identically, so `007` stays text.
fn custom(s: &str) -> Value {
    if let Ok(n) = s.parse::<i64>() {
        if n.to_string() == s {
            return Value::Int(n);
        }
    }
    if is_date_shape(s) {
        if let Ok(d) = s.parse::<Date>() {
            return Value::Date(d);
        }
    }
    Value::Text(s.to_string())
}

#[cfg(test)]
mod tests;
