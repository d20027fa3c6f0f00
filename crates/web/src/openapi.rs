//! The OpenAPI 3.1 document of the JSON API, served at `GET /api/v1/openapi.json`.
//!
//! Generated, not written: each resource's router is a utoipa-axum `OpenApiRouter` whose
//! handlers are registered with `routes!`, which needs the handler's `#[utoipa::path]`, so a
//! route cannot exist without its description; request and answer bodies are the app layer's
//! types with `ToSchema`, so the schemas carry the rules the server enforces. `finish` then
//! adds what every operation shares (security, the problem answers a body or a credential can
//! cause, 503 and 500; see `components`), so a handler's attribute names only what is
//! particular to it. Nothing in the document is written by hand apart from prose.

use crate::WebState;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

mod components;
pub(crate) mod fails;

/// The tag of operations that answer plain bodies, not problem+json (health, metrics, this).
pub(crate) const OPERATIONS: &str = "operations";

/// The empty document every router starts from: title, version, introduction, tags.
pub(crate) fn base() -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{InfoBuilder, LicenseBuilder, OpenApiBuilder};
    let info = InfoBuilder::new()
        .title("Opsdesk API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(components::INTRO))
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
    use utoipa::openapi::{Components, ServerBuilder};
    let (_, mut generated) = api_router().split_for_parts();
    generated.servers =
        Some(vec![ServerBuilder::new().url("/").description(Some("The server that serves this document.")).build()]);
    generated.tags = Some(components::tags());
    let c = generated.components.get_or_insert_with(Components::new);
    c.schemas.extend(components::problem_schemas());
    c.responses.extend(components::responses().into_iter().map(|(name, r)| (name.to_string(), r.into())));
    c.security_schemes.extend(components::security_schemes().into_iter().map(|(name, s)| (name.to_string(), s.into())));
    let doc = serde_json::to_value(&generated).unwrap_or_else(|_| json!({}));
    finish(doc)
}

fn finish(mut doc: Value) -> Value {
    doc["security"] = components::read_security();
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
            op["security"] = if writes { components::write_security() } else { components::read_security() };
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

#[cfg(test)]
mod tests;
