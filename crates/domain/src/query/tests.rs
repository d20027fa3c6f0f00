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
    assert_eq!(q.text, vec![word("printer", false, true), word("out of paper", true, true), word("vpn", false, false)]);
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
fn a_lone_ticket_number_finds_that_ticket() {
    let number = |prefix: Option<&str>, seq| Value::Number { prefix: prefix.map(String::from), seq };
    assert_eq!(ok("INC-580").filters, vec![filter(Field::Number, Op::Eq, vec![number(Some("INC"), 580)], false, 0)]);
    assert_eq!(ok("  580 ").filters, vec![filter(Field::Number, Op::Eq, vec![number(None, 580)], false, 2)]);
    let sorted = ok("sort:-created inc-7");
    assert_eq!(sorted.filters, vec![filter(Field::Number, Op::Eq, vec![number(Some("INC"), 7)], false, 14)]);
    assert!(sorted.text.is_empty() && sorted.sort.is_some());
    // Next to other terms, quoted, negated or not a number, it stays text.
    assert_eq!(ok("error 404").text, vec![word("error", false, false), word("404", false, false)]);
    assert_eq!(ok("\"580\"").text, vec![word("580", true, false)]);
    assert_eq!(ok("-580").text, vec![word("580", false, true)]);
    assert_eq!(ok("status:open 580").text, vec![word("580", false, false)]);
    for text in ["0", "007x", "INC-0", "printer"] {
        assert!(ok(text).filters.is_empty(), "{text}");
    }
}

#[test]
fn control_characters_are_refused_where_they_are() {
    err_at("vpn\0drops", 3, 1, "control characters (U+0000)");
    err_at("\u{7}", 0, 1, "control characters (U+0007)");
    err_at("é \u{1b}[0m", 2, 1, "control characters");
    // Tabs and newlines are whitespace, not errors.
    assert_eq!(ok("vpn\tdrops\n").text.len(), 2);
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
        (op(), 0i64..5000, prop::sample::select(vec![('m', 60), ('h', 3600), ('d', 86_400), ('w', 604_800)])).prop_map(
            |(op, n, (unit, secs))| {
                let ago = Value::Ago(SignedDuration::from_secs(n * secs));
                (format!("created{op}-{n}{unit}"), Field::Created, vec![ago], false)
            }
        ),
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
        (op(), "[a-z0-9_]{1,10}", any::<i64>())
            .prop_map(|(op, key, n)| { (format!("cf.{key}{op}{n}"), Field::Custom(key), vec![Value::Int(n)], false) }),
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
