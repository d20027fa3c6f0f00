//! The document is the API's contract: a snapshot shows every change to it as a diff, and the
//! checks below hold it to OpenAPI 3.1's rules that a generator could still get wrong.

use super::*;
use std::collections::BTreeSet;

/// Every `$ref` in `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get("$ref") {
                out.push(r.clone());
            }
            o.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if METHODS.contains(&method.as_str()) {
                out.push((path.clone(), method.clone(), op.clone()));
            }
        }
    }
    out
}

/// `cargo insta review` (or `INSTA_UPDATE=always cargo test -p opsdesk-web`) accepts a change.
#[test]
fn document_snapshot() {
    insta::assert_json_snapshot!("openapi", document());
}

#[test]
fn document_is_openapi_3_1_and_every_ref_resolves() {
    let doc: Value = serde_json::from_str(serialized()).expect("the served document is JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "Opsdesk API");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(doc["info"]["description"].as_str().is_some_and(|d| d.contains("problem+json")));
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 100, "the document uses shared components");
    let dangling: Vec<_> = all
        .iter()
        .filter(|r| !(r.starts_with("#/components/") && doc.pointer(&r[1..]).is_some_and(|t| !t.is_null())))
        .collect();
    assert!(dangling.is_empty(), "references to missing components: {dangling:?}");
}

#[test]
fn operations_are_well_formed() {
    let doc = document();
    let mut ids = BTreeSet::new();
    let schemes = doc["components"]["securitySchemes"].as_object().expect("security schemes");
    for (path, method, o) in operations(&doc) {
        let id = o["operationId"].as_str().expect("operationId");
        assert!(ids.insert(id.to_string()), "operationId {id} is used twice");
        assert!(o["summary"].as_str().is_some_and(|s| !s.is_empty()), "{method} {path} has a summary");
        assert!(o["tags"].as_array().is_some_and(|t| !t.is_empty()), "{method} {path} has a tag");
        let codes = o["responses"].as_object().expect("responses");
        assert!(codes.keys().any(|c| c.starts_with('2')), "{method} {path} has a success answer");
        for code in codes.keys() {
            let ok =
                code == "default" || (code.len() == 3 && code.parse::<u16>().is_ok_and(|c| (100..600).contains(&c)));
            assert!(ok, "{method} {path}: response key {code}");
        }
        let security = o.get("security").unwrap_or(&doc["security"]);
        for req in security.as_array().expect("security") {
            for scheme in req.as_object().expect("requirement").keys() {
                assert!(schemes.contains_key(scheme), "{method} {path} names scheme {scheme}");
            }
        }
        // Every `{name}` of the template is declared as a path parameter, and nothing else is.
        let own = o["parameters"].as_array().cloned().unwrap_or_default();
        let shared = doc["paths"][&path]["parameters"].as_array().cloned().unwrap_or_default();
        let declared: BTreeSet<String> = shared
            .iter()
            .chain(own.iter())
            .map(|p| match p.get("$ref").and_then(Value::as_str) {
                Some(r) => doc.pointer(&r[1..]).cloned().unwrap_or_default(),
                None => p.clone(),
            })
            .filter(|p| p["in"] == "path")
            .inspect(|p| assert_eq!(p["required"], true, "{method} {path}: path parameters are required"))
            .filter_map(|p| p["name"].as_str().map(str::to_string))
            .collect();
        let in_template: BTreeSet<String> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_string)
            .collect();
        assert_eq!(declared, in_template, "path parameters of {method} {path}");
        // Problem answers are problem+json, and a database outage is described everywhere.
        let tags = o["tags"].as_array().cloned().unwrap_or_default();
        if !tags.iter().any(|t| t == OPERATIONS) {
            assert!(codes.contains_key("503") && codes.contains_key("default"), "{method} {path}: 503 and 500");
        }
    }
    assert!(ids.len() > 70, "only {} operations", ids.len());
}

/// The validation rules the server applies are in the schemas.
#[test]
fn schemas_carry_the_rules() {
    let doc = document();
    let s = &doc["components"]["schemas"];
    let create = &s["CreateUser"];
    assert_eq!(create["additionalProperties"], false, "{create}");
    let required: BTreeSet<&str> =
        create["required"].as_array().expect("required").iter().filter_map(Value::as_str).collect();
    assert_eq!(required, BTreeSet::from(["email", "name", "role"]));
    assert_eq!(create["properties"]["name"]["maxLength"], 200);
    assert_eq!(create["properties"]["email"]["format"], "email");
    assert_eq!(create["properties"]["password"]["minLength"], 10);
    let roles: Vec<&str> = s["Role"]["enum"].as_array().expect("roles").iter().filter_map(Value::as_str).collect();
    assert_eq!(roles, opsdesk_domain::Role::ALL.map(|r| r.as_str()));
}

#[test]
fn the_mailbox_view_has_no_password() {
    let doc = document();
    let view = &doc["components"]["schemas"]["DeskMailbox"]["properties"];
    assert!(view["password_set"].is_object() && view.get("password").is_none(), "{view:?}");
}

#[test]
fn ticket_schemas_follow_the_domain() {
    use opsdesk_domain::ticket::Kind;
    let doc = document();
    let s = &doc["components"]["schemas"];
    let strings = |v: &Value| -> Vec<String> {
        v.as_array().expect("array").iter().filter_map(Value::as_str).map(str::to_string).collect()
    };
    assert_eq!(strings(&s["Kind"]["enum"]), Kind::ALL.map(|k| k.as_str().to_string()));
    let statuses = strings(&s["Status"]["enum"]);
    for k in Kind::ALL {
        for st in k.statuses() {
            assert!(statuses.contains(&st.as_str().to_string()), "{} of {}", st.as_str(), k.as_str());
        }
    }
    let create = &s["CreateTicket"];
    assert_eq!(create["additionalProperties"], false);
    assert_eq!(strings(&create["required"]), ["kind", "title"]);
    assert_eq!(create["properties"]["title"]["maxLength"], 300);
    assert_eq!(create["properties"]["description"]["maxLength"], 65536);
    assert_eq!((s["Level"]["minimum"].as_i64(), s["Level"]["maximum"].as_i64()), (Some(1), Some(3)));
    assert_eq!(strings(&s["Priority"]["enum"]), ["P1", "P2", "P3", "P4", "P5"]);
    // A stale update names its 412; a ticket answer carries its ETag.
    let update = &doc["paths"]["/api/v1/tickets/{id}"]["patch"];
    assert!(update["responses"]["412"].is_object() && update["responses"]["200"]["headers"]["ETag"].is_object());
    // Lists are `{items, next}`.
    let page = &s["Listing_User"];
    assert_eq!(strings(&page["required"]), ["items"]);
    assert_eq!(page["properties"]["items"]["items"]["required"][0], "id", "{page}");
    assert!(page["properties"]["next"].is_object(), "{page}");
}
