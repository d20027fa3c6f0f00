//! The OpenAPI 3.1 document of the JSON API, served at `GET /api/v1/openapi.json`.
//!
//! Generated, not written: each resource's router is a utoipa-axum `OpenApiRouter` whose
//! handlers are registered with `routes!`, which needs the handler's `#[utoipa::path]`, so a
//! route cannot exist without its description; request and answer bodies are the app layer's
//! types with `ToSchema`, so the schemas carry the rules the server enforces. `finish` then
//! adds what every operation shares (security, the problem answers a body or a credential can
//! cause, 503 and 500), so a handler's attribute names only what is particular to it.

use crate::WebState;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::sync::OnceLock;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) mod fails;
mod legacy;

/// The tag of operations that answer plain bodies, not problem+json (health, metrics, this).
pub(crate) const OPERATIONS: &str = "operations";

/// The empty document every router starts from: title, version, introduction, tags.
pub(crate) fn base() -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{InfoBuilder, LicenseBuilder, OpenApiBuilder};
    let info = InfoBuilder::new()
        .title("Opsdesk API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(legacy::INTRO))
        .license(Some(LicenseBuilder::new().name("AGPL-3.0-or-later").identifier(Some("AGPL-3.0-or-later")).build()))
        .build();
    OpenApiBuilder::new().info(info).build()
}

/// Every route of the API with its description: the resources' routers, health and this
/// document.
pub(crate) fn api_router() -> OpenApiRouter<WebState> {
    OpenApiRouter::with_openapi(base())
        .merge(crate::routes::router())
        .merge(crate::routes::health::router())
        .merge(OpenApiRouter::new().routes(routes!(serve)))
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = OPERATIONS,
    operation_id = "openapi",
    summary = "This document",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document of this API.", body = Object)),
)]
async fn serve() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], serialized())
}

/// The document as served, built once per process.
fn serialized() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| document().to_string())
}

/// The whole document: generated from the routes, finished with what every operation shares.
pub fn document() -> Value {
    let (_, generated) = api_router().split_for_parts();
    let doc = serde_json::to_value(&generated).unwrap_or_else(|_| json!({}));
    finish(doc)
}

fn finish(mut doc: Value) -> Value {
    let hand = legacy::document();
    doc["servers"] = json!([{ "url": "/", "description": "The server that serves this document." }]);
    doc["tags"] = legacy::tags();
    doc["security"] = legacy::read_security();
    let components = doc["components"].as_object_mut().map(std::mem::take).unwrap_or_default();
    let mut components = Value::Object(components);
    components["responses"] = legacy::responses();
    components["parameters"] = legacy::parameters();
    components["headers"] = legacy::headers();
    components["securitySchemes"] = legacy::security_schemes();
    if !components["schemas"].is_object() {
        components["schemas"] = json!({});
    }
    doc["components"] = components;
    if !doc["paths"].is_object() {
        doc["paths"] = json!({});
    }
    take_unconverted(&mut doc, &hand);
    for item in doc["paths"].as_object_mut().into_iter().flat_map(|p| p.values_mut()) {
        for (method, op) in item.as_object_mut().into_iter().flatten() {
            if METHODS.contains(&method.as_str()) {
                shared_answers(method, op);
            }
        }
    }
    doc
}

pub(crate) const METHODS: [&str; 8] = ["get", "post", "put", "patch", "delete", "head", "options", "trace"];

fn response_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/responses/{name}") })
}

/// Security and the answers every operation of its kind can give. An operation declares
/// `security(())` when it is public, and the cookie alone when a session is optional.
fn shared_answers(method: &str, op: &mut Value) {
    let writes = method != "get" && method != "head";
    let problems = !op["tags"].as_array().is_some_and(|t| t.iter().any(|t| t == OPERATIONS));
    let add = |op: &mut Value, status: &str, name: &str| {
        if op["responses"].get(status).is_none() {
            op["responses"][status] = response_ref(name);
        }
    };
    match op.get("security").cloned() {
        None => {
            op["security"] = if writes { legacy::write_security() } else { legacy::read_security() };
            add(op, "401", "Unauthenticated");
            if writes {
                add(op, "403", "Forbidden");
            }
        }
        Some(Value::Array(reqs)) if reqs.iter().all(|r| r.as_object().is_some_and(Map::is_empty)) => {
            op["security"] = json!([]);
        }
        Some(_) => {}
    }
    let json_body = op.pointer("/requestBody/content/application~1json").is_some();
    if json_body {
        add(op, "400", "BadRequest");
        add(op, "413", "ContentTooLarge");
        add(op, "415", "UnsupportedMediaType");
        add(op, "422", "UnprocessableContent");
    }
    if problems {
        add(op, "503", "Unavailable");
        add(op, "default", "Unexpected");
    }
}

/// Adds the hand-written description of every route that is not generated yet, with the
/// schemas it refers to (and theirs), so that the served document stays complete while routes
/// are converted.
fn take_unconverted(doc: &mut Value, hand: &Value) {
    let generated: BTreeSet<String> = doc["paths"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default();
    if let Some(paths) = hand["paths"].as_object() {
        for (path, item) in paths {
            match doc["paths"].get_mut(path) {
                None => doc["paths"][path] = item.clone(),
                Some(existing) if generated.contains(path) => {
                    let shared = item["parameters"].as_array().cloned().unwrap_or_default();
                    for (method, op) in item.as_object().into_iter().flatten() {
                        if METHODS.contains(&method.as_str()) && existing.get(method).is_none() {
                            let mut op = op.clone();
                            let own = op["parameters"].as_array().cloned().unwrap_or_default();
                            let all: Vec<Value> = shared.iter().chain(own.iter()).cloned().collect();
                            if !all.is_empty() {
                                op["parameters"] = Value::Array(all);
                            }
                            existing[method] = op;
                        }
                    }
                }
                Some(_) => {}
            }
        }
    }
    // Pull the hand-written schemas the document refers to but does not define.
    loop {
        let mut wanted = Vec::new();
        refs(doc, &mut wanted);
        let missing: BTreeSet<String> = wanted
            .iter()
            .filter_map(|r| r.strip_prefix("#/components/schemas/"))
            .filter(|name| doc["components"]["schemas"].get(*name).is_none())
            .map(str::to_string)
            .collect();
        let mut added = false;
        for name in missing {
            if let Some(s) = hand["components"]["schemas"].get(&name) {
                doc["components"]["schemas"][&name] = s.clone();
                added = true;
            }
        }
        if !added {
            break;
        }
    }
}

/// Every `$ref` in `v`.
pub(crate) fn refs(v: &Value, out: &mut Vec<String>) {
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

#[cfg(test)]
mod tests;
