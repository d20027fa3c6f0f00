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
    let mut parser = Parser { chars: input.chars().collect(), pos: 0 };
    let mut query = Query::default();
    let mut terms = 0;
    loop {
        parser.skip_whitespace();
        if parser.pos >= total {
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
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(input: &str) -> Query {
        parse(input).unwrap_or_else(|e| panic!("{input:?} failed: {e}"))
    }

    fn err(input: &str) -> QueryError {
        parse(input).expect_err(input)
    }

    /// Asserts the exact span (char offsets) of the error and part of its message.
    fn err_at(input: &str, position: usize, length: usize, message_part: &str) {
        let e = err(input);
        assert_eq!((e.position, e.length), (position, length), "{input:?}: {e}");
        assert!(e.message.contains(message_part), "{input:?}: {:?} lacks {message_part:?}", e.message);
    }

    fn single(input: &str) -> Filter {
        let q = ok(input);
        assert_eq!(q.filters.len(), 1, "{input:?}");
        q.filters.into_iter().next().unwrap()
    }

    fn values(input: &str) -> Vec<Value> {
        single(input).values
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    fn filter(field: Field, op: Op, values: Vec<Value>, negated: bool, position: usize) -> Filter {
        Filter { field, op, values, negated, position }
    }

    fn word(text: &str, phrase: bool, negated: bool) -> TextTerm {
        TextTerm { text: text.into(), phrase, negated }
    }

    #[test]
    fn the_architecture_example() {
        let q = ok(
            r#"kind:incident status:open priority:P1,P2 group:network assignee:me created>-7d "vpn drops" -status:closed sort:-priority"#,
        );
        assert_eq!(
            q.filters,
            vec![
                filter(Field::Kind, Op::Eq, vec![text("incident")], false, 0),
                filter(Field::Status, Op::Eq, vec![text("open")], false, 14),
                filter(Field::Priority, Op::Eq, vec![Value::Priority(1), Value::Priority(2)], false, 26),
                filter(Field::Group, Op::Eq, vec![text("network")], false, 41),
                filter(Field::Assignee, Op::Eq, vec![Value::Me], false, 55),
                filter(Field::Created, Op::Gt, vec![Value::Ago(SignedDuration::from_hours(7 * 24))], false, 67),
                filter(Field::Status, Op::Eq, vec![text("closed")], true, 91),
            ]
        );
        assert_eq!(q.text, vec![word("vpn drops", true, false)]);
        assert_eq!(q.sort, Some(Sort { key: SortKey::Priority, descending: true }));
    }

    #[test]
    fn empty_and_blank_input_mean_no_filters() {
        for input in ["", "   ", "\t\n ", "-", "\"\"", "- \"  \""] {
            assert_eq!(ok(input), Query::default(), "{input:?}");
        }
    }

    #[test]
    fn quoted_values_keep_spaces_commas_and_escapes() {
        assert_eq!(values(r#"group:"Service Desk""#), vec![text("Service Desk")]);
        assert_eq!(values(r#"group:"a,b",c"#), vec![text("a,b"), text("c")]);
        assert_eq!(values(r#"group:"say \"hi\" \\ bye""#), vec![text(r#"say "hi" \ bye"#)]);
        assert_eq!(values(r#"category:"C:\temp""#), vec![text(r"C:\temp")]);
        assert_eq!(values(r#"group:x,"y z""#), vec![text("x"), text("y z")]);
        assert_eq!(ok(r#""a \"b\"""#).text, vec![word(r#"a "b""#, true, false)]);
        // Quoting makes keywords and custom values literal text.
        assert_eq!(values(r#"assignee:"me""#), vec![text("me")]);
        assert_eq!(values(r#"requester:"none""#), vec![text("none")]);
        assert_eq!(values(r#"cf.code:"42""#), vec![text("42")]);
        // ... but the typed fields still parse.
        assert_eq!(values(r#"priority:"P3""#), vec![Value::Priority(3)]);
    }

    #[test]
    fn lists_are_alternatives() {
        assert_eq!(values("status:open,pending,on_hold"), vec![text("open"), text("pending"), text("on_hold")]);
        assert_eq!(values("impact:high,2"), vec![Value::Level(1), Value::Level(2)]);
        assert_eq!(values("assignee:me,none"), vec![Value::Me, Value::None]);
        assert_eq!(values("group:a:b"), vec![text("a:b")]);
    }

    #[test]
    fn negation_applies_to_filters_words_and_phrases() {
        let q = ok(r#"-status:closed -printer -"out of paper" vpn"#);
        assert_eq!(q.filters, vec![filter(Field::Status, Op::Eq, vec![text("closed")], true, 0)]);
        assert_eq!(
            q.text,
            vec![word("printer", false, true), word("out of paper", true, true), word("vpn", false, false)]
        );
        assert_eq!(ok("--x").text, vec![word("-x", false, true)]);
        assert_eq!(ok("a-b").text, vec![word("a-b", false, false)]);
    }

    #[test]
    fn field_names_are_case_insensitive_and_org_is_an_alias() {
        let f = single("STATUS:Open");
        assert_eq!((f.field, f.values), (Field::Status, vec![text("Open")]));
        assert_eq!(single("Org:acme").field, Field::Organization);
        assert_eq!(single("organization:acme").field, Field::Organization);
        assert_eq!(single("CF.Cost>5").field, Field::Custom("cost".into()));
        assert_eq!(single("Urgency:1").field, Field::Urgency);
        assert_eq!(single("UPDATED>-1d").field, Field::Updated);
        assert_eq!(Field::Organization.name(), "organization");
        assert_eq!(Field::Custom("cost".into()).name(), "cf.cost");
        assert_eq!(Field::Watcher.to_string(), "watcher");
        for name in ["kind", "status", "desk", "category", "watcher", "has", "is", "requester", "group"] {
            assert_eq!(single(&format!("{name}:x1")).field.name(), name);
        }
    }

    #[test]
    fn operators_parse_for_comparable_fields() {
        for (input, op) in
            [("priority<P3", Op::Lt), ("priority<=P3", Op::Le), ("priority>P3", Op::Gt), ("priority>=P3", Op::Ge)]
        {
            assert_eq!(single(input).op, op, "{input}");
        }
        for input in ["created>-1d", "updated<=2026-01-31", "impact<2", "urgency>=low", "number>1000", "cf.cost<5"] {
            assert_ne!(single(input).op, Op::Eq, "{input}");
        }
        assert_eq!(Op::Ge.to_string(), ">=");
    }

    #[test]
    fn operators_are_refused_for_other_fields_at_the_operator() {
        err_at("status>open", 6, 1, "`>` cannot be used with `status`");
        err_at("kind:incident group>=network", 19, 2, "`>=` cannot be used with `group`");
        err_at("-assignee<me", 9, 1, "`<` cannot be used with `assignee`");
        err_at("org<=acme", 3, 2, "`<=` cannot be used with `organization`");
        for field in ["kind", "category", "desk", "requester", "watcher", "has", "is"] {
            err_at(&format!("{field}>x"), field.len(), 1, "cannot be used");
        }
        err_at("priority>P1,P2", 12, 2, "one value, not a list");
    }

    #[test]
    fn unknown_fields_are_named_at_their_position() {
        err_at("foo:bar", 0, 3, "unknown field `foo`; known fields are kind, status");
        err_at("status:open -Bogus:x", 13, 5, "unknown field `Bogus`");
        err_at("https://example.org", 0, 5, "unknown field `https`");
        assert!(err("x:y").message.contains("organization (org)"));
        err_at(":x", 0, 1, "`:` needs a field name");
        err_at("a >5", 2, 1, "`>` needs a field name");
        err_at("-<=5", 1, 2, "`<=` needs a field name");
    }

    #[test]
    fn custom_fields_take_keys_and_typed_values() {
        assert_eq!(single("cf.cost>100").values, vec![Value::Int(100)]);
        assert_eq!(values("cf.delta:-5"), vec![Value::Int(-5)]);
        assert_eq!(values("cf.region:emea,apac"), vec![text("emea"), text("apac")]);
        assert_eq!(values("cf.code:007"), vec![text("007")]);
        assert_eq!(values("cf.ratio:1.5"), vec![text("1.5")]);
        assert_eq!(values("cf.go_live<2026-03-01"), vec![Value::Date(jiff::civil::date(2026, 3, 1))]);
        assert_eq!(values("cf.x:2026-02-30"), vec![text("2026-02-30")]);
        assert_eq!(single("cf.a_1:x").field, Field::Custom("a_1".into()));
        err_at("cf.:x", 0, 3, "invalid custom field `cf.`");
        err_at("cf.cost-center:x", 0, 14, "invalid custom field");
        err_at("cf.größe:x", 0, 8, "invalid custom field");
    }

    #[test]
    fn priorities_and_levels_are_ranged() {
        assert_eq!(values("priority:p1,P5"), vec![Value::Priority(1), Value::Priority(5)]);
        assert_eq!(values("urgency:HIGH,Medium,low,1,3"), [1, 2, 3, 1, 3].map(Value::Level).to_vec());
        err_at("priority:P9", 9, 2, "invalid priority `P9`; priority is P1 to P5");
        err_at("priority:P1,P0", 12, 2, "invalid priority `P0`");
        for bad in ["1", "P", "P10", "P+1", "high"] {
            err_at(&format!("priority:{bad}"), 9, bad.chars().count(), "invalid priority");
        }
        err_at("impact:7", 7, 1, "invalid impact `7`; impact is 1 (high), 2 (medium) or 3 (low)");
        err_at("urgency:0", 8, 1, "invalid urgency");
        err_at("impact:critical", 7, 8, "invalid impact");
    }

    #[test]
    fn people_take_me_none_or_text() {
        assert_eq!(values("assignee:ME"), vec![Value::Me]);
        assert_eq!(values("assignee:none"), vec![Value::None]);
        assert_eq!(values("requester:me"), vec![Value::Me]);
        assert_eq!(values("watcher:alice@example.org"), vec![text("alice@example.org")]);
        assert_eq!(values(r#"requester:"Ana María""#), vec![text("Ana María")]);
        err_at("requester:none", 10, 4, "`none` only applies to assignee");
        err_at("watcher:None", 8, 4, "-has:watcher");
    }

    #[test]
    fn relative_times_dates_and_timestamps() {
        let ago = |input: &str| values(input).remove(0);
        assert_eq!(ago("created>-30m"), Value::Ago(SignedDuration::from_mins(30)));
        assert_eq!(ago("created>-12h"), Value::Ago(SignedDuration::from_hours(12)));
        assert_eq!(ago("updated>-7d"), Value::Ago(SignedDuration::from_hours(168)));
        assert_eq!(ago("updated<-2w"), Value::Ago(SignedDuration::from_hours(336)));
        assert_eq!(ago("created>-0d"), Value::Ago(SignedDuration::ZERO));
        assert_eq!(ago("created>-5200w"), Value::Ago(SignedDuration::from_hours(5200 * 168)));
        assert_eq!(ago("created:2026-01-31"), Value::Date(jiff::civil::date(2026, 1, 31)));
        assert_eq!(ago("created>=2026-01-31T10:00:00Z"), Value::Timestamp("2026-01-31T10:00:00Z".parse().unwrap()));
        assert_eq!(ago("created<2026-01-31T12:00:00+02:00"), Value::Timestamp("2026-01-31T10:00:00Z".parse().unwrap()));
        err_at("created>-7x", 8, 3, "invalid relative time `-7x`");
        for bad in ["-d", "-7", "-7D", "-1.5h", "-7dd", "--7d", "-9999999999d", "-5300w", "-7д"] {
            err_at(&format!("created>{bad}"), 8, bad.chars().count(), "invalid relative time");
        }
        err_at("created:7d", 8, 2, "write -7d for 7d ago");
        err_at("updated:2026-02-30", 8, 10, "`2026-02-30` is not a calendar date");
        err_at("updated:2026-13-01", 8, 10, "not a calendar date");
        err_at("created>2026-01-31T10:00:00", 8, 19, "a timestamp like 2026-01-31T10:00:00Z");
        err_at("created:yesterday", 8, 9, "invalid time `yesterday`");
    }

    #[test]
    fn ticket_numbers() {
        let number = |prefix: Option<&str>, seq| Value::Number { prefix: prefix.map(String::from), seq };
        assert_eq!(values("number:INC-1042"), vec![number(Some("INC"), 1042)]);
        assert_eq!(values("number:inc-7,req-8"), vec![number(Some("INC"), 7), number(Some("REQ"), 8)]);
        assert_eq!(values("number>=1000"), vec![number(None, 1000)]);
        for bad in ["INC-0", "0", "INC-", "-5", "INC-12a", "INC--1", "I2-5", "99999999999999999999", "TOOLONGPREF-1"] {
            err_at(&format!("number:{bad}"), 7, bad.chars().count(), "invalid ticket number");
        }
    }

    #[test]
    fn sort_takes_one_key_and_direction() {
        assert_eq!(ok("sort:priority").sort, Some(Sort { key: SortKey::Priority, descending: false }));
        assert_eq!(ok("sort:-created").sort, Some(Sort { key: SortKey::Created, descending: true }));
        assert_eq!(ok("SORT:Due").sort, Some(Sort { key: SortKey::Due, descending: false }));
        for (name, key) in [
            ("updated", SortKey::Updated),
            ("number", SortKey::Number),
            ("status", SortKey::Status),
            ("relevance", SortKey::Relevance),
        ] {
            assert_eq!(ok(&format!("vpn sort:{name}")).sort.map(|s| s.key), Some(key));
        }
        assert_eq!(ok("vpn").sort, None);
        err_at("sort:priority x sort:-created", 16, 13, "only one sort term is allowed");
        err_at("sort:color", 5, 5, "unknown sort key `color`");
        err_at("sort:priority,created", 14, 7, "a sort takes one key");
        err_at("-sort:created", 0, 1, "a sort cannot be negated");
        err_at("sort>created", 4, 1, "sort:key or sort:-key");
        err_at("sort:", 0, 5, "empty value for `sort`");
    }

    #[test]
    fn empty_values_point_at_the_gap() {
        err_at("status:", 0, 7, "empty value for `status`; write status:value");
        err_at("kind:incident -status: x", 15, 7, "empty value for `status`");
        err_at("created>=", 0, 9, "empty value for `created`");
        err_at("status:a,,b", 9, 1, "empty value in the list for `status`");
        err_at("status:,a", 7, 1, "empty value in the list");
        err_at("status:a, b", 8, 1, "empty value in the list");
        err_at(r#"group:"""#, 6, 2, "empty value for `group`");
        err_at(r#"group:" ""#, 6, 3, "empty value for `group`");
    }

    #[test]
    fn quotes_must_be_closed_and_stand_alone() {
        err_at(r#"group:"Service Desk"#, 6, 13, "unterminated quote");
        err_at(r#"vpn "drops here"#, 4, 11, "unterminated quote");
        err_at(r#"x "a \" b"#, 2, 7, "unterminated quote");
        err_at(r#""a"b"#, 3, 1, "expected a space after the closing quote");
        err_at(r#"group:"a"b"#, 9, 1, "expected `,` or a space");
        err_at(r#"foo"bar""#, 3, 1, "a quote may only begin a term or a value");
        err_at(r#"group:net"work""#, 9, 1, "a quote may only begin");
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        err_at("ünïcödé wörds grüppe:x", 14, 6, "unknown field `grüppe`");
        err_at("🚀🚀 priority:P7", 12, 2, "invalid priority");
        let q = ok(r#"Zürich group:"Büro Zürich" 東京"#);
        assert_eq!(q.filters[0].position, 7);
        assert_eq!(q.filters[0].values, vec![text("Büro Zürich")]);
        assert_eq!(q.text, vec![word("Zürich", false, false), word("東京", false, false)]);
    }

    #[test]
    fn input_is_bounded() {
        assert!(parse(&"a".repeat(Query::MAX_CHARS)).is_ok());
        err_at(&"a".repeat(Query::MAX_CHARS + 1), 2000, 1, "at most 2000 characters");
        err_at(&"é".repeat(Query::MAX_CHARS + 5), 2000, 5, "at most 2000 characters");
        let fifty = vec!["x"; Query::MAX_TERMS].join(" ");
        assert_eq!(ok(&fifty).text.len(), 50);
        err_at(&format!("{fifty} status:open"), 100, 11, "at most 50 terms");
    }

    #[test]
    fn errors_display_the_column_and_become_field_errors() {
        let e = err("status:open foo:bar");
        assert_eq!(e.to_string(), format!("at column 13: {}", e.message));
        let fe = e.to_field_error();
        assert_eq!((fe.field.as_str(), fe.code), ("q", "invalid_query"));
        assert!(fe.message.starts_with("at column 13: unknown field `foo`"), "{}", fe.message);
    }

    #[test]
    fn has_and_is_stay_text() {
        let q = ok("has:attachment -is:unassigned is:open");
        assert_eq!(q.filters[0].values, vec![text("attachment")]);
        assert_eq!((q.filters[1].field.clone(), q.filters[1].negated), (Field::Is, true));
    }

    /// One valid filter term with the field and values it must parse to.
    fn valid_term() -> impl Strategy<Value = (String, Field, Vec<Value>, bool)> {
        let op = || prop::sample::select(vec![":", "<", "<=", ">", ">="]);
        prop_oneof![
            ("[a-z_]{1,12}", any::<bool>()).prop_map(|(v, neg)| {
                (format!("{}status:{v}", if neg { "-" } else { "" }), Field::Status, vec![text(&v)], neg)
            }),
            prop::collection::vec(1u8..=5, 1..4).prop_map(|ps| {
                let list = ps.iter().map(|p| format!("P{p}")).collect::<Vec<_>>().join(",");
                (format!("priority:{list}"), Field::Priority, ps.into_iter().map(Value::Priority).collect(), false)
            }),
            (op(), 0i64..5000, prop::sample::select(vec![('m', 60), ('h', 3600), ('d', 86_400), ('w', 604_800)]))
                .prop_map(|(op, n, (unit, secs))| {
                    let ago = Value::Ago(SignedDuration::from_secs(n * secs));
                    (format!("created{op}-{n}{unit}"), Field::Created, vec![ago], false)
                }),
            (op(), 1i16..9999, 1i8..=12, 1i8..=28).prop_map(|(op, y, m, d)| {
                let date = jiff::civil::date(y, m, d);
                (format!("updated{op}{date}"), Field::Updated, vec![Value::Date(date)], false)
            }),
            "[a-zA-Zé][a-zA-Z é\"\\\\,:<>-]{0,20}".prop_map(|v| {
                let quoted = v.replace('\\', "\\\\").replace('"', "\\\"");
                (format!("group:\"{quoted}\""), Field::Group, vec![text(&v)], false)
            }),
            (op(), "[A-Za-z]{1,10}", 1i64..1_000_000_000).prop_map(|(op, prefix, seq)| {
                let value = Value::Number { prefix: Some(prefix.to_ascii_uppercase()), seq };
                (format!("number{op}{prefix}-{seq}"), Field::Number, vec![value], false)
            }),
            (op(), "[a-z0-9_]{1,10}", any::<i64>()).prop_map(|(op, key, n)| {
                (format!("cf.{key}{op}{n}"), Field::Custom(key), vec![Value::Int(n)], false)
            }),
        ]
    }

    proptest! {
        #[test]
        fn never_panics_and_errors_stay_inside_the_input(s in "\\PC{0,300}") {
            if let Err(e) = parse(&s) {
                prop_assert!(e.position + e.length <= s.chars().count());
            }
        }

        #[test]
        fn never_panics_on_syntax_soup(s in "[a-z.:<>=,\"\\\\ \t-]{0,120}|(cf|created|sort|priority|number)[:<>=,\"\\\\ -]{0,10}[a-zA-Z0-9,\"-]{0,10}") {
            if let Err(e) = parse(&s) {
                prop_assert!(e.position + e.length <= s.chars().count());
                prop_assert!(!e.message.is_empty());
            }
        }

        #[test]
        fn valid_filter_strings_parse(terms in prop::collection::vec(valid_term(), 0..12), pad in " {0,3}") {
            let mut input = pad.clone();
            let mut starts = Vec::new();
            for (term, ..) in &terms {
                starts.push(input.chars().count());
                input.push_str(term);
                input.push(' ');
            }
            let q = parse(&input).map_err(|e| TestCaseError::fail(format!("{input:?}: {e}")))?;
            prop_assert_eq!(q.filters.len(), terms.len());
            for ((f, (_, field, values, negated)), start) in q.filters.iter().zip(&terms).zip(starts) {
                prop_assert_eq!(&f.field, field);
                prop_assert_eq!(&f.values, values);
                prop_assert_eq!(f.negated, *negated);
                prop_assert_eq!(f.position, start);
            }
        }
    }
}
