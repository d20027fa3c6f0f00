//! The hand-written part of the OpenAPI document: operations whose handlers are not yet
//! annotated with `#[utoipa::path]`. `super::document` takes from here only the paths the
//! generated document lacks (and the schemas they need), so each converted route leaves this
//! file's description unused; delete its entry here when converting it.

use serde_json::{json, Map, Value};

mod approvals;
mod kb;
mod mail;

pub(super) const INTRO: &str = "The JSON API of Opsdesk, the IT service management platform.\n\n\
* **Authentication**: an API token as `Authorization: Bearer <token>` (scripts), or the session \
cookie `opsdesk_session` set by `POST /api/v1/auth/login` (browsers), which must echo the session's \
CSRF token in `X-CSRF-Token` on every POST, PUT, PATCH and DELETE.\n\
* **Errors** are `application/problem+json` (RFC 9457) with a stable `code` and, when input was \
wrong, every wrong field in `errors`.\n\
* **Bodies are strict**: an unknown field, a missing required field or a value of the wrong type \
answers 422 `invalid_body`.\n\
* **Lists** answer `{\"items\": [...], \"next\": cursor}`; pass `next` as `after` to get the \
following page, until `next` is null. `limit` is 1 to 500 (50 by default).\n\
* **Times** are RFC 3339 in UTC. Every answer carries an `X-Request-Id` to quote when reporting a \
problem.\n\
* Records the caller may not see answer exactly like missing ones: 404.";

/// The whole document.
pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Opsdesk API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": INTRO,
            "license": { "name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later" },
        },
        "servers": [{ "url": "/", "description": "The server that serves this document." }],
        "tags": tags(),
        "security": read_security(),
        "paths": paths(),
        "components": {
            "schemas": schemas(),
            "responses": responses(),
            "parameters": parameters(),
            "headers": headers(),
            "securitySchemes": security_schemes(),
        },
    })
}

pub(super) fn tags() -> Value {
    let tag = |name: &str, description: &str| json!({ "name": name, "description": description });
    Value::Array(vec![
        tag("auth", "Signing in and out with a browser session."),
        tag("me", "The caller's own profile."),
        tag("users", "People: listed by agents and admins, managed by admins."),
        tag("organizations", "Organisations of requesters."),
        tag("groups", "Groups of agents and their members."),
        tag("tokens", "API tokens: the caller's own, and (for admins) anyone's."),
        tag("tickets", "Incidents, service requests, problems and tasks, with their timeline."),
        tag("approvals", "Approvals of tickets: stages, decisions, delegates, templates and waits."),
        tag("desk configuration", "Service desks, categories, custom fields, the priority matrix and settings."),
        tag("cmdb", "The CMDB: classes, configuration items, relationships, impact analysis, history and inventory."),
        tag("views", "Saved ticket queries of agents, personal or shared with a group."),
        tag("sla", "Service level management: business calendars, SLA policies, ticket SLAs and the report."),
        tag("audit", "The security audit log, for admins."),
        tag("jobs", "The background job queue, for operators."),
        tag("kb", "Knowledge articles: lifecycle, versions, search, suggestions, feedback and deflections."),
        tag("mail", "The email channel: desk addresses and templates, held messages, a ticket's mail."),
        tag("operations", "Health, readiness, metrics and this document."),
    ])
}

// ---------------------------------------------------------------------------------------------
// Schema helpers

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn int() -> Value {
    json!({ "type": "integer", "format": "int64" })
}

fn int_or_null() -> Value {
    json!({ "type": ["integer", "null"], "format": "int64" })
}

fn string() -> Value {
    json!({ "type": "string" })
}

fn string_or_null() -> Value {
    json!({ "type": ["string", "null"] })
}

fn boolean() -> Value {
    json!({ "type": "boolean" })
}

fn time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

fn time_or_null() -> Value {
    json!({ "type": ["string", "null"], "format": "date-time" })
}

fn array(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

fn or_null(s: Value) -> Value {
    json!({ "oneOf": [s, { "type": "null" }] })
}

fn enumeration(values: &[&str]) -> Value {
    json!({ "type": "string", "enum": values })
}

/// `s` with a description. A `$ref` cannot carry siblings in every tool, so it is wrapped.
fn doc(s: Value, description: &str) -> Value {
    let mut s = if s.get("$ref").is_some() { json!({ "allOf": [s] }) } else { s };
    if let Some(o) = s.as_object_mut() {
        o.insert("description".into(), Value::String(description.into()));
    }
    s
}

fn with(mut s: Value, key: &str, value: Value) -> Value {
    if let Some(o) = s.as_object_mut() {
        o.insert(key.into(), value);
    }
    s
}

fn properties(fields: Vec<(&str, Value)>) -> (Vec<String>, Map<String, Value>) {
    let names = fields.iter().map(|(k, _)| k.to_string()).collect();
    (names, fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// A record the API answers with: every field is always present (`null` when empty).
fn record(description: &str, fields: Vec<(&str, Value)>) -> Value {
    let (names, props) = properties(fields);
    json!({ "type": "object", "description": description, "required": names, "properties": props })
}

/// A request body: strict, unknown fields are rejected.
fn input(description: &str, required: &[&str], fields: Vec<(&str, Value)>) -> Value {
    let (_, props) = properties(fields);
    json!({
        "type": "object",
        "description": description,
        "required": required,
        "properties": props,
        "additionalProperties": false,
    })
}

/// A page of `item`s and the cursor of the next page.
fn listing(item: &str, paged: bool) -> Value {
    let next = if paged {
        doc(string_or_null(), "Pass as `after` for the next page; null on the last page.")
    } else {
        doc(json!({ "type": "null" }), "Always null: this list has one page.")
    };
    record(&format!("{item} records."), vec![("items", array(schema(item))), ("next", next)])
}

// ---------------------------------------------------------------------------------------------
// Schemas

const STATUSES: [&str; 15] = [
    "new",
    "assigned",
    "in_progress",
    "on_hold",
    "resolved",
    "closed",
    "cancelled",
    "submitted",
    "awaiting_approval",
    "fulfilling",
    "fulfilled",
    "rejected",
    "assessed",
    "root_cause_analysis",
    "known_error",
];

const HOLD_REASONS: [&str; 4] = ["awaiting_requester", "awaiting_vendor", "awaiting_change", "other"];

fn schemas() -> Value {
    let mut s = Map::new();
    let mut add = |name: &str, v: Value| {
        s.insert(name.to_string(), v);
    };
    // Errors.
    add(
        "FieldError",
        record(
            "One thing wrong with one input field.",
            vec![
                ("field", doc(string(), "Path of the field: `email`, `custom_fields.cost`, `cells.0.2`.")),
                ("code", doc(string(), "Stable, machine-readable: `required`, `too_long`, `taken`, `unknown`, ...")),
                ("message", doc(string(), "For people.")),
            ],
        ),
    );
    add(
        "Problem",
        json!({
            "type": "object",
            "description": "An error answer (RFC 9457), served as `application/problem+json`.",
            "required": ["type", "title", "status", "code", "detail"],
            "properties": {
                "type": doc(json!({ "type": "string", "format": "uri" }), "`urn:opsdesk:problem:<code>`."),
                "title": doc(string(), "The HTTP reason phrase of `status`."),
                "status": doc(json!({ "type": "integer" }), "The HTTP status code."),
                "code": doc(string(), "Stable, machine-readable: `not_found`, `validation_failed`, ..."),
                "detail": doc(string(), "What went wrong, for people."),
                "errors": doc(array(schema("FieldError")), "Every wrong input field, when input was wrong."),
                "current": doc(schema("Ticket"), "With `stale_version` (412): the ticket as it is now."),
                "allowed": doc(array(string()), "With `illegal_transition` (422): the statuses allowed now."),
            },
        }),
    );
    // Shared value types.
    add(
        "Ref",
        json!({
            "description": "A reference by id, or by name: a user by email; a group, desk or organization by name; \
                            a category by name or `Parent/Child` path; a ticket by number (`INC-1042`).",
            "oneOf": [int(), string()],
        }),
    );
    add("Kind", doc(enumeration(&["incident", "service_request", "problem"]), "What a ticket is."));
    add(
        "Status",
        doc(
            enumeration(&STATUSES),
            "Incidents: new, assigned, in_progress, on_hold, resolved, closed, cancelled. Service requests: \
             submitted, awaiting_approval, fulfilling, fulfilled, closed, rejected, cancelled. Problems: new, \
             assessed, root_cause_analysis, known_error, resolved, closed.",
        ),
    );
    add("Priority", doc(enumeration(&["P1", "P2", "P3", "P4", "P5"]), "P1 (most urgent) to P5."));
    add("Level", json!({ "type": "integer", "minimum": 1, "maximum": 3, "description": "1 high, 2 medium, 3 low." }));
    // Identities.
    add(
        "User",
        record(
            "A person: a requester, an agent or an admin.",
            vec![
                ("id", int()),
                ("email", json!({ "type": "string", "format": "email" })),
                ("name", string()),
                ("role", enumeration(&["requester", "agent", "admin"])),
                ("time_zone", doc(string(), "IANA time zone name, such as `Europe/Paris`.")),
                ("locale", doc(string(), "Language tag, such as `en`.")),
                ("organization_id", int_or_null()),
                ("active", doc(boolean(), "Deactivated users cannot sign in; their tokens stop working.")),
                ("sees_all_groups", doc(boolean(), "An agent who sees the tickets of every group.")),
                ("created_at", time()),
                ("updated_at", time()),
            ],
        ),
    );
    add(
        "Organization",
        record("An organisation of requesters.", vec![("id", int()), ("name", string()), ("created_at", time())]),
    );
    add(
        "Group",
        record(
            "A group of agents, where tickets are worked.",
            vec![
                ("id", int()),
                ("name", string()),
                ("description", string()),
                ("lead_user_id", int_or_null()),
                ("created_at", time()),
            ],
        ),
    );
    add(
        "GroupMember",
        record(
            "A member of a group.",
            vec![("user_id", int()), ("email", string()), ("name", string()), ("added_at", time())],
        ),
    );
    add(
        "GroupWithMembers",
        record("A group and its members.", vec![("group", schema("Group")), ("members", array(schema("GroupMember")))]),
    );
    add(
        "ApiToken",
        record(
            "An API token; its secret is never shown again after issue.",
            vec![
                ("id", int()),
                ("user_id", int()),
                ("name", string()),
                ("prefix", doc(string(), "The first characters of the secret, to tell tokens apart.")),
                ("created_at", time()),
                ("last_used_at", time_or_null()),
                ("revoked_at", time_or_null()),
            ],
        ),
    );
    add(
        "IssuedToken",
        record(
            "A token just issued.",
            vec![
                ("token", schema("ApiToken")),
                ("secret", doc(string(), "Send as `Authorization: Bearer <secret>`. Shown in this answer only.")),
            ],
        ),
    );
    add(
        "Session",
        record(
            "A new browser session; the cookie itself is in `Set-Cookie`.",
            vec![
                ("user", schema("User")),
                ("csrf_token", doc(string(), "Echo in `X-CSRF-Token` on every write with this session.")),
                ("expires_at", time()),
            ],
        ),
    );
    add(
        "Me",
        record(
            "The caller.",
            vec![
                ("user", schema("User")),
                ("group_ids", array(int())),
                ("csrf_token", doc(string_or_null(), "The session's CSRF token; null when called with an API token.")),
            ],
        ),
    );
    add("UserEnvelope", record("A user.", vec![("user", schema("User"))]));
    add(
        "AuditEntry",
        record(
            "One security-relevant event.",
            vec![
                ("id", int()),
                ("at", time()),
                ("action", doc(string(), "`login.succeeded`, `user.role_changed`, `token.issued`, ...")),
                ("actor_user_id", int_or_null()),
                ("subject_user_id", int_or_null()),
                ("email", string_or_null()),
                ("ip", string_or_null()),
                ("detail", doc(json!({}), "Details of the action, as JSON.")),
            ],
        ),
    );
    add(
        "Job",
        record(
            "A background job.",
            vec![
                ("id", int()),
                ("kind", string()),
                ("state", enumeration(&["queued", "running", "done", "dead"])),
                ("attempts", int()),
                ("max_attempts", int()),
                ("run_at", time()),
                ("leased_by", string_or_null()),
                ("last_error", string_or_null()),
                ("unique_key", string_or_null()),
                ("created_at", time()),
                ("updated_at", time()),
                ("finished_at", time_or_null()),
            ],
        ),
    );
    ticket_schemas(&mut add);
    sla_schemas(&mut add);
    config_schemas(&mut add);
    input_schemas(&mut add);
    kb::schemas(&mut add);
    for (item, paged) in [
        ("User", true),
        ("Organization", true),
        ("Group", true),
        ("AuditEntry", true),
        ("Job", true),
        ("ApiToken", false),
        ("Comment", false),
        ("ServiceDesk", false),
        ("Category", false),
        ("CustomFieldDef", false),
        ("SavedViewWithCount", false),
    ] {
        add(&format!("{item}Page"), listing(item, paged));
    }
    add("TicketPage", listing("Ticket", true));
    mail::schemas(&mut add);
    approvals::schemas(&mut add);
    add("Health", record("The process is up.", vec![("status", enumeration(&["ok"]))]));
    add(
        "Readiness",
        record(
            "Whether the process can do its job.",
            vec![
                ("status", enumeration(&["ready", "unavailable"])),
                ("database", doc(string(), "The backend (`sqlite`, `postgres`), or `unreachable`.")),
            ],
        ),
    );
    Value::Object(s)
}

fn ticket_schemas(add: &mut impl FnMut(&str, Value)) {
    let hold_reasons: Vec<Value> = HOLD_REASONS.iter().map(|r| json!(r)).chain([Value::Null]).collect();
    add(
        "Ticket",
        record(
            "A ticket as the API shows it. `version` is also its ETag.",
            vec![
                ("id", int()),
                (
                    "number",
                    with(doc(string(), "`INC-`, `REQ-` or `PRB-` and a sequence."), "examples", json!(["INC-1042"])),
                ),
                ("kind", schema("Kind")),
                ("desk_id", int()),
                ("title", string()),
                ("description", string()),
                ("status", schema("Status")),
                ("status_class", doc(enumeration(&["open", "resolved", "closed"]), "Coarse state, for queues.")),
                ("hold_reason", doc(json!({ "type": ["string", "null"], "enum": hold_reasons }), "Set while on hold.")),
                ("impact", schema("Level")),
                ("urgency", schema("Level")),
                ("priority", doc(schema("Priority"), "From the priority matrix, unless overridden by hand.")),
                ("priority_override_reason", doc(string_or_null(), "Set when the priority was overridden.")),
                ("category_id", int_or_null()),
                ("requester_id", int()),
                ("organization_id", doc(int_or_null(), "The requester's organisation.")),
                ("shared_with_organization", doc(boolean(), "Visible to the requester's whole organisation.")),
                ("group_id", int_or_null()),
                ("assignee_id", int_or_null()),
                ("custom_fields", doc(json!({ "type": "object" }), "Values by custom field key.")),
                ("external_id", doc(string_or_null(), "The id of this ticket in another system.")),
                ("version", doc(int(), "Increases with every change.")),
                ("created_at", time()),
                ("updated_at", time()),
                ("resolved_at", time_or_null()),
                ("closed_at", time_or_null()),
            ],
        ),
    );
    // `sla` is on a single ticket's read only, so it is not among the required fields.
    add(
        "TicketWithSla",
        json!({ "allOf": [schema("Ticket"), {
            "type": "object",
            "properties": { "sla": doc(array(schema("SlaTarget")), "The ticket's SLA targets (GET of one ticket).") },
        }] }),
    );
    add(
        "Comment",
        record(
            "A public reply or an internal note (agents only).",
            vec![
                ("id", int()),
                ("ticket_id", int()),
                ("author_id", int_or_null()),
                ("body", string()),
                ("public", doc(boolean(), "false for an internal note, never shown to requesters.")),
                ("source", doc(string(), "Where it came from: `web`, `transition`, `merge`, ...")),
                ("created_at", time()),
            ],
        ),
    );
    add(
        "Attachment",
        record(
            "A file attached to a ticket.",
            vec![
                ("id", int()),
                ("ticket_id", int()),
                ("comment_id", int_or_null()),
                ("filename", string()),
                ("content_type", string()),
                ("size", doc(int(), "In bytes.")),
                ("public", doc(boolean(), "false: internal, never shown to requesters.")),
                ("uploaded_by", int_or_null()),
                ("created_at", time()),
            ],
        ),
    );
    add(
        "Link",
        record(
            "A link between two tickets. `child_of` is stored as `parent_of` from the parent.",
            vec![
                ("id", int()),
                ("source_id", int()),
                ("target_id", int()),
                ("link_type", enumeration(&["caused_by", "duplicate_of", "parent_of", "related"])),
                ("created_at", time()),
            ],
        ),
    );
    add(
        "HistoryEntry",
        record(
            "One change of one field.",
            vec![
                ("id", int()),
                ("actor_id", int_or_null()),
                ("field", string()),
                ("old_value", string_or_null()),
                ("new_value", string_or_null()),
                ("created_at", time()),
            ],
        ),
    );
    add(
        "Watcher",
        record(
            "Someone notified of a ticket's changes.",
            vec![("user_id", int()), ("name", string()), ("email", string())],
        ),
    );
    add(
        "Timeline",
        record(
            "Everything on a ticket besides its fields, filtered for the caller (requesters see no internal \
             notes, history or watchers).",
            vec![
                ("comments", array(schema("Comment"))),
                ("attachments", array(schema("Attachment"))),
                ("history", array(schema("HistoryEntry"))),
                ("links", array(schema("Link"))),
                ("watchers", array(schema("Watcher"))),
            ],
        ),
    );
    add(
        "TicketTimeline",
        record("A ticket and its timeline.", vec![("ticket", schema("Ticket")), ("timeline", schema("Timeline"))]),
    );
}

fn config_schemas(add: &mut impl FnMut(&str, Value)) {
    add(
        "ServiceDesk",
        record(
            "A service desk.",
            vec![("id", int()), ("name", string()), ("default_group_id", int_or_null()), ("created_at", time())],
        ),
    );
    add(
        "Category",
        record(
            "A ticket category of a desk; two levels.",
            vec![("id", int()), ("desk_id", int()), ("parent_id", int_or_null()), ("name", string())],
        ),
    );
    let field_type = enumeration(&["text", "number", "date", "select", "multi_select", "user", "boolean"]);
    add(
        "CustomFieldDef",
        record(
            "A custom field of a desk and ticket kind.",
            vec![
                ("key", doc(string(), "What API clients and the query language (`cf.<key>`) use.")),
                ("label", string()),
                ("field_type", field_type.clone()),
                ("required", boolean()),
                ("options", doc(array(string()), "The choices of a select or multi_select.")),
            ],
        ),
    );
    add(
        "PriorityMatrix",
        json!({
            "type": "object",
            "description": "`cells[impact - 1][urgency - 1]` is the priority. Higher impact or urgency never \
                            gives a lower priority.",
            "required": ["cells"],
            "properties": {
                "cells": array(json!({
                    "type": "array", "items": schema("Priority"), "minItems": 3, "maxItems": 3,
                })),
            },
        }),
    );
    add(
        "TicketSettings",
        json!({
            "type": "object",
            "description": "Desk-wide ticket settings.",
            "required": ["auto_close_after_secs", "attachment_max_bytes"],
            "properties": {
                "auto_close_after_secs": doc(
                    json!({ "type": "integer", "minimum": 1, "maximum": 31_622_400 }),
                    "Resolved tickets close by themselves after this long without a reply.",
                ),
                "attachment_max_bytes": doc(
                    json!({ "type": "integer", "minimum": 1, "maximum": 536_870_912 }),
                    "Largest attachment accepted.",
                ),
            },
            "additionalProperties": false,
        }),
    );
    add(
        "SavedView",
        record(
            "A saved ticket query: personal (`owner_user_id`) or shared with a group (`group_id`).",
            vec![
                ("id", int()),
                ("name", string()),
                ("query", doc(string(), "In the ticket query language (see `q` of GET /api/v1/tickets).")),
                ("owner_user_id", int_or_null()),
                ("group_id", int_or_null()),
                ("position", int()),
                ("created_at", time()),
            ],
        ),
    );
    add(
        "SavedViewWithCount",
        json!({
            "allOf": [
                schema("SavedView"),
                {
                    "type": "object",
                    "required": ["count"],
                    "properties": { "count": doc(int(), "Tickets it matches now.") },
                },
            ],
        }),
    );
    add(
        "CustomFieldInput",
        input(
            "A custom field definition; the key is in the path.",
            &["label", "field_type"],
            vec![
                ("label", string()),
                ("field_type", field_type),
                ("required", with(boolean(), "default", json!(false))),
                ("options", doc(array(string()), "The choices of a select or multi_select.")),
                ("position", with(doc(int(), "Order among the desk's fields."), "default", json!(0))),
            ],
        ),
    );
    add(
        "DeskInput",
        input(
            "A service desk. On update, an absent `default_group` removes it.",
            &["name"],
            vec![("name", string()), ("default_group", or_null(schema("Ref")))],
        ),
    );
    add(
        "CategoryInput",
        input(
            "A category; `parent_id` names a top-level category of the same desk.",
            &["name"],
            vec![("name", doc(string(), "One line, no `/`.")), ("parent_id", int_or_null())],
        ),
    );
    add(
        "ViewInput",
        input(
            "A saved view.",
            &["name", "query"],
            vec![
                ("name", string()),
                ("query", doc(string(), "In the ticket query language; checked when saved.")),
                ("group_id", doc(int_or_null(), "Share with one of your groups; absent: a personal view.")),
                ("position", with(int(), "default", json!(0))),
            ],
        ),
    );
}

fn input_schemas(add: &mut impl FnMut(&str, Value)) {
    add("Login", input("Credentials.", &["email", "password"], vec![("email", string()), ("password", string())]));
    let password = json!({ "type": "string", "minLength": 10, "description": "At least 10 characters." });
    add(
        "UpdateMe",
        input(
            "Changes to the caller's own profile; absent fields stay.",
            &[],
            vec![("name", string()), ("time_zone", string()), ("locale", string()), ("password", password.clone())],
        ),
    );
    let role = enumeration(&["requester", "agent", "admin"]);
    add(
        "CreateUser",
        input(
            "A new user.",
            &["email", "name", "role"],
            vec![
                ("email", json!({ "type": "string", "format": "email" })),
                ("name", string()),
                ("role", role.clone()),
                ("password", doc(password.clone(), "Without one, the user cannot sign in with a password.")),
                ("time_zone", with(string(), "default", json!("UTC"))),
                ("locale", with(string(), "default", json!("en"))),
                ("organization_id", int_or_null()),
            ],
        ),
    );
    add(
        "UpdateUser",
        input(
            "A partial update; absent fields stay. Only admins change role, organization, active and \
             sees_all_groups. Changing the role, deactivating or a new password ends the user's sessions.",
            &[],
            vec![
                ("name", string()),
                ("role", role),
                ("time_zone", string()),
                ("locale", string()),
                ("organization_id", doc(int_or_null(), "null removes the organization.")),
                ("active", boolean()),
                ("sees_all_groups", boolean()),
                ("password", password),
            ],
        ),
    );
    add("CreateOrganization", input("A new organization.", &["name"], vec![("name", string())]));
    add(
        "CreateGroup",
        input(
            "A new group.",
            &["name"],
            vec![
                ("name", string()),
                ("description", with(string(), "default", json!(""))),
                ("lead_user_id", doc(int_or_null(), "An agent or admin.")),
            ],
        ),
    );
    add(
        "IssueToken",
        input("A token to issue.", &["name"], vec![("name", doc(string(), "1 to 100 characters, one line."))]),
    );
    add(
        "CreateTicket",
        input(
            "A new ticket. Requesters log tickets for themselves and cannot set group, assignee, priority, \
             watchers or external_id.",
            &["kind", "title"],
            vec![
                ("kind", doc(enumeration(&["incident", "service_request", "problem"]), "`request` is accepted too.")),
                ("title", json!({ "type": "string", "maxLength": 300, "description": "One line." })),
                ("description", json!({ "type": "string", "maxLength": 65_536, "default": "" })),
                ("impact", with(schema("Level"), "default", json!(2))),
                ("urgency", with(schema("Level"), "default", json!(2))),
                ("priority", doc(schema("Priority"), "Overrides the priority matrix; needs `priority_reason`.")),
                ("priority_reason", string()),
                ("category", doc(schema("Ref"), "A category of the desk.")),
                ("desk", doc(schema("Ref"), "Default: the first desk.")),
                ("group", doc(schema("Ref"), "Default: the desk's default group.")),
                ("assignee", doc(schema("Ref"), "An agent; a new incident with an assignee starts as assigned.")),
                ("requester", doc(schema("Ref"), "Default: the caller.")),
                ("custom_fields", doc(json!({ "type": "object" }), "Values by key, as defined for the desk and kind.")),
                ("shared_with_organization", with(boolean(), "default", json!(false))),
                ("watchers", array(schema("Ref"))),
                (
                    "external_id",
                    json!({
                        "type": "string", "minLength": 1, "maxLength": 200,
                        "description": "The id in another system; a second ticket with it answers 409.",
                    }),
                ),
            ],
        ),
    );
    add(
        "UpdateTicket",
        input(
            "A partial update: absent fields stay, `null` clears a clearable field. Requesters may change only \
             `shared_with_organization` of their own tickets. Moving to another group keeps the assignee only if \
             they are a member there.",
            &[],
            vec![
                ("title", json!({ "type": "string", "maxLength": 300 })),
                ("description", json!({ "type": "string", "maxLength": 65_536 })),
                ("impact", schema("Level")),
                ("urgency", schema("Level")),
                (
                    "priority",
                    doc(
                        or_null(schema("Priority")),
                        "Overrides the matrix (with `priority_reason`); null returns to it.",
                    ),
                ),
                ("priority_reason", string()),
                ("category", or_null(schema("Ref"))),
                ("group", or_null(schema("Ref"))),
                ("assignee", or_null(schema("Ref"))),
                ("requester", schema("Ref")),
                ("custom_fields", doc(json!({ "type": "object" }), "Merged into the current values.")),
                ("shared_with_organization", boolean()),
            ],
        ),
    );
    add(
        "TransitionInput",
        input(
            "A move through the ticket's lifecycle. Requesters may only confirm (close) or reopen their resolved \
             ticket, or cancel their open one.",
            &["to"],
            vec![
                ("to", doc(schema("Status"), "The new status; it must be allowed from the current one.")),
                ("comment", doc(string(), "Added to the ticket with the transition.")),
                (
                    "public",
                    with(
                        doc(boolean(), "Whether `comment` is a public reply or an internal note."),
                        "default",
                        json!(true),
                    ),
                ),
                ("hold_reason", doc(enumeration(&HOLD_REASONS), "Required when `to` is on_hold.")),
                (
                    "resolve_linked_incidents",
                    with(
                        doc(boolean(), "Resolving a problem: also resolve the open incidents `caused_by` it."),
                        "default",
                        json!(false),
                    ),
                ),
            ],
        ),
    );
    add(
        "NewComment",
        input(
            "A reply or an internal note. A requester's reply to their resolved ticket reopens it.",
            &["body"],
            vec![
                ("body", json!({ "type": "string", "minLength": 1, "maxLength": 65_536 })),
                ("public", with(doc(boolean(), "false: an internal note (agents only)."), "default", json!(true))),
            ],
        ),
    );
    add(
        "LinkInput",
        input(
            "A link to another ticket the caller works. `duplicate_of` merges: the duplicate is cancelled with a \
             note and its requester watches the survivor.",
            &["type", "target"],
            vec![
                ("type", enumeration(&["caused_by", "duplicate_of", "parent_of", "child_of", "related"])),
                ("target", doc(schema("Ref"), "The other ticket, by id or number.")),
            ],
        ),
    );
    add(
        "WatcherInput",
        input("A watcher to add.", &["user"], vec![("user", doc(schema("Ref"), "An active user, by id or email."))]),
    );
    add(
        "AttachmentUpload",
        json!({
            "type": "object",
            "required": ["file"],
            "properties": {
                "file": {
                    "type": "string", "contentMediaType": "application/octet-stream", "description": "The file.",
                },
                "public": {
                    "type": "string", "enum": ["true", "false"], "default": "true",
                    "description": "`false`: an internal attachment (agents only).",
                },
            },
        }),
    );
}

// ---------------------------------------------------------------------------------------------
// Shared responses, parameters, headers and security

/// Problem answers an operation can give, each a shared response in `components.responses`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Fail {
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    Stale,
    TooLarge,
    MediaType,
    Invalid,
    Throttled,
}

impl Fail {
    pub(super) const ALL: [Fail; 10] = [
        Fail::BadRequest,
        Fail::Unauthenticated,
        Fail::Forbidden,
        Fail::NotFound,
        Fail::Conflict,
        Fail::Stale,
        Fail::TooLarge,
        Fail::MediaType,
        Fail::Invalid,
        Fail::Throttled,
    ];

    pub(super) fn status(self) -> &'static str {
        match self {
            Fail::BadRequest => "400",
            Fail::Unauthenticated => "401",
            Fail::Forbidden => "403",
            Fail::NotFound => "404",
            Fail::Conflict => "409",
            Fail::Stale => "412",
            Fail::TooLarge => "413",
            Fail::MediaType => "415",
            Fail::Invalid => "422",
            Fail::Throttled => "429",
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Fail::BadRequest => "BadRequest",
            Fail::Unauthenticated => "Unauthenticated",
            Fail::Forbidden => "Forbidden",
            Fail::NotFound => "NotFound",
            Fail::Conflict => "Conflict",
            Fail::Stale => "PreconditionFailed",
            Fail::TooLarge => "ContentTooLarge",
            Fail::MediaType => "UnsupportedMediaType",
            Fail::Invalid => "UnprocessableContent",
            Fail::Throttled => "TooManyRequests",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Fail::BadRequest => {
                "`malformed_json`: the body is not JSON; `invalid_query`: an unreadable or unknown query parameter, \
                 or a ticket query that does not parse (`errors` points at it); `invalid_cursor`: `after` is not a \
                 cursor of this list; `invalid_if_match`; `invalid_multipart`."
            }
            Fail::Unauthenticated => {
                "`unauthenticated`: no credentials, or an unknown, revoked or expired token or session; \
                 `bad_credentials`: a wrong email or password."
            }
            Fail::Forbidden => {
                "`forbidden`: the caller's role does not allow this; `csrf_failed`: a write with a session cookie \
                 but without its `X-CSRF-Token`; `foreign_origin`: a cookie write from another site."
            }
            Fail::NotFound => "`not_found`: no such record, or one the caller may not see.",
            Fail::Conflict => {
                "`conflict` or a specific code (`duplicate_external_id`, `link_exists`, `concurrent_change`, \
                 `job_not_dead`): the change clashes with the current state."
            }
            Fail::Stale => {
                "`stale_version`: `If-Match` names an older version; nothing was changed. `current` holds the \
                 ticket as it is now."
            }
            Fail::TooLarge => {
                "`body_too_large`: the body exceeds what the endpoint reads (1 MiB for JSON); `file_too_large`: \
                 the file exceeds `attachment_max_bytes` of the ticket settings."
            }
            Fail::MediaType => "`unsupported_media_type`: send the body as `application/json`.",
            Fail::Invalid => {
                "`invalid_body`: a missing or unknown field, or a value of the wrong type; `validation_failed`: \
                 values that break a rule, each in `errors`; `illegal_transition`: with the allowed statuses in \
                 `allowed`."
            }
            Fail::Throttled => "`too_many_attempts`: too many failed sign-ins; retry after `Retry-After` seconds.",
        }
    }
}

fn problem_content() -> Value {
    json!({ "application/problem+json": { "schema": schema("Problem") } })
}

pub(super) fn responses() -> Value {
    let mut r = Map::new();
    for f in Fail::ALL {
        let mut response = json!({ "description": f.description(), "content": problem_content() });
        let header = match f {
            Fail::Unauthenticated => Some(("WWW-Authenticate", "`Bearer realm=\"opsdesk\"`.")),
            Fail::Throttled => Some(("Retry-After", "Seconds to wait.")),
            _ => None,
        };
        if let Some((name, description)) = header {
            response["headers"] = json!({ name: { "description": description, "schema": string() } });
        }
        r.insert(f.name().into(), response);
    }
    r.insert(
        "Unexpected".into(),
        json!({
            "description": "`internal` (500): a failure on the server's side, logged with the request id; \
                            it never carries the failure's text.",
            "content": problem_content(),
        }),
    );
    r.insert(
        "Unavailable".into(),
        json!({
            "description": "`database_unavailable` (503): the database cannot be reached; retry after \
                            `Retry-After` seconds.",
            "headers": { "Retry-After": { "description": "Seconds to wait before retrying.", "schema": { "type": "integer", "minimum": 1 } } },
            "content": problem_content(),
        }),
    );
    Value::Object(r)
}

pub(super) fn parameters() -> Value {
    json!({
        "TicketId": {
            "name": "id", "in": "path", "required": true, "schema": string(),
            "description": "The ticket's id (`42`) or number (`INC-1042`).",
        },
        "Limit": {
            "name": "limit", "in": "query", "required": false,
            "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 50 },
            "description": "Page size; out-of-range values are clamped.",
        },
        "After": {
            "name": "after", "in": "query", "required": false, "schema": string(),
            "description": "The `next` cursor of the previous page.",
        },
        "IfMatch": {
            "name": "If-Match", "in": "header", "required": false, "schema": string(),
            "description": "The ETag of the ticket as last read (`\"7\"`; a `W/` prefix is ignored). If the \
                            ticket has changed since, nothing is changed and the answer is 412 `stale_version` \
                            with the current ticket. Absent or `*`: apply whatever the version.",
        },
    })
}

pub(super) fn headers() -> Value {
    json!({
        "ETag": {
            "description": "The ticket's version as an entity tag (`\"7\"`); send it back in `If-Match`.",
            "schema": string(),
        },
        "Location": { "description": "The URL of the new ticket.", "schema": string() },
        "SetSessionCookie": {
            "description": "`opsdesk_session=...; HttpOnly; SameSite=Lax; Path=/` (`Secure` over HTTPS).",
            "schema": string(),
        },
    })
}

pub(super) fn security_schemes() -> Value {
    json!({
        "bearerToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token, sent as `Authorization: Bearer <token>`. Issue one at \
                            POST /api/v1/me/tokens; tokens of deactivated users stop working. No CSRF token is \
                            needed. When this header is present, any cookie is ignored.",
        },
        "sessionCookie": {
            "type": "apiKey",
            "in": "cookie",
            "name": "opsdesk_session",
            "description": "The browser session set by POST /api/v1/auth/login (HTTP-only, SameSite=Lax). Every \
                            POST, PUT, PATCH and DELETE with it must also send `X-CSRF-Token` (see \
                            `csrfToken`), and an `Origin` header, if any, must name this host; otherwise 403.",
        },
        "csrfToken": {
            "type": "apiKey",
            "in": "header",
            "name": "X-CSRF-Token",
            "description": "The session's CSRF token: `csrf_token` of the login answer or of GET /api/v1/me. \
                            Required with the session cookie on every write.",
        },
    })
}

pub(super) fn read_security() -> Value {
    json!([{ "bearerToken": [] }, { "sessionCookie": [] }])
}

pub(super) fn write_security() -> Value {
    json!([{ "bearerToken": [] }, { "sessionCookie": [], "csrfToken": [] }])
}

// ---------------------------------------------------------------------------------------------
// Operations

/// One operation, built up and then finished for its method by `item`.
struct Op {
    fields: Map<String, Value>,
    responses: Map<String, Value>,
    params: Vec<Value>,
}

fn op(tag: &str, id: &str, summary: &str) -> Op {
    let mut fields = Map::new();
    fields.insert("tags".into(), json!([tag]));
    fields.insert("operationId".into(), json!(id));
    fields.insert("summary".into(), json!(summary));
    Op { fields, responses: Map::new(), params: Vec::new() }
}

impl Op {
    fn about(mut self, description: &str) -> Self {
        self.fields.insert("description".into(), json!(description));
        self
    }

    fn param(mut self, p: Value) -> Self {
        self.params.push(p);
        self
    }

    fn params(mut self, ps: impl IntoIterator<Item = Value>) -> Self {
        self.params.extend(ps);
        self
    }

    /// A request body other than JSON.
    fn request(mut self, body: Value) -> Self {
        self.fields.insert("requestBody".into(), body);
        self
    }

    /// A JSON request body; such bodies can also be malformed, too large or of the wrong type.
    fn body(mut self, name: &str) -> Self {
        let body = json!({ "required": true, "content": { "application/json": { "schema": schema(name) } } });
        self.fields.insert("requestBody".into(), body);
        self.fail(&[Fail::BadRequest, Fail::TooLarge, Fail::MediaType, Fail::Invalid])
    }

    fn answer(mut self, status: &str, response: Value) -> Self {
        self.responses.insert(status.into(), response);
        self
    }

    /// A JSON answer of the named schema.
    fn json(self, status: &str, description: &str, name: &str) -> Self {
        self.answer(status, json_response(description, schema(name)))
    }

    fn empty(self, description: &str) -> Self {
        self.answer("204", json!({ "description": description }))
    }

    fn fail(mut self, fails: &[Fail]) -> Self {
        for f in fails {
            let r = json!({ "$ref": format!("#/components/responses/{}", f.name()) });
            self.responses.insert(f.status().into(), r);
        }
        self
    }

    fn build(mut self, method: &str) -> Value {
        let writes = method != "get";
        // Every remaining hand-written operation needs credentials and answers problems.
        if writes {
            self = self.fail(&[Fail::Unauthenticated, Fail::Forbidden]);
            self.fields.insert("security".into(), write_security());
        } else {
            self = self.fail(&[Fail::Unauthenticated]);
        }
        self.responses.insert("default".into(), json!({ "$ref": "#/components/responses/Unexpected" }));
        if !self.params.is_empty() {
            self.fields.insert("parameters".into(), Value::Array(self.params));
        }
        self.fields.insert("responses".into(), Value::Object(self.responses));
        Value::Object(self.fields)
    }
}

fn json_response(description: &str, s: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": s } } })
}

fn param_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/parameters/{name}") })
}

fn path_id(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "schema": int(), "description": description })
}

fn query(name: &str, description: &str, s: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "schema": s, "description": description })
}

fn paging() -> [Value; 2] {
    [param_ref("Limit"), param_ref("After")]
}

/// Adds one path with its shared parameters and operations.
fn item(paths: &mut Map<String, Value>, path: &str, params: &[Value], ops: Vec<(&str, Op)>) {
    let mut it = Map::new();
    if !params.is_empty() {
        it.insert("parameters".into(), Value::Array(params.to_vec()));
    }
    for (method, o) in ops {
        it.insert(method.into(), o.build(method));
    }
    paths.insert(path.into(), Value::Object(it));
}

fn paths() -> Value {
    let mut p = Map::new();
    sla_paths(&mut p);
    kb::paths(&mut p);
    mail::paths(&mut p);
    approvals::paths(&mut p);
    Value::Object(p)
}

fn sla_schemas(add: &mut impl FnMut(&str, Value)) {
    let hours = json!({
        "type": "object",
        "description": "Working hours per weekday (`mon` ... `sun`), like `[\"09:00-12:30\", \"13:30-17:00\"]`; an \
                        end before the start is an overnight shift.",
        "additionalProperties": array(string()),
    });
    let calendar_fields = |extra: Vec<(&'static str, Value)>| {
        let mut f = vec![
            ("name", string()),
            ("time_zone", doc(string(), "IANA time zone name.")),
            ("hours", hours.clone()),
            ("holidays", doc(array(string()), "Dates (`2026-12-24`) or yearly month-days (`12-25`).")),
            ("twenty_four_seven", doc(boolean(), "Every instant is working time; no hours or holidays.")),
        ];
        f.extend(extra);
        f
    };
    add(
        "SlaCalendarInput",
        input(
            "A business calendar. Errors name the field: `time_zone`, `hours.mon[1]`, `holidays[2]`.",
            &["name", "time_zone"],
            calendar_fields(vec![]),
        ),
    );
    add(
        "SlaCalendar",
        record(
            "A business calendar. The built-in 24x7 calendar is listed with id 0 and `builtin: true`.",
            calendar_fields(vec![
                ("id", int()),
                ("builtin", boolean()),
                ("created_at", time_or_null()),
                ("updated_at", time_or_null()),
            ]),
        ),
    );
    add("SlaCalendarPage", listing("SlaCalendar", false));
    let conditions = json!({
        "type": "object",
        "additionalProperties": false,
        "description": "Every non-empty condition must hold; none means every ticket.",
        "properties": {
            "desk_ids": array(int()),
            "kinds": array(schema("Kind")),
            "priorities": array(schema("Priority")),
            "category_ids": array(int()),
            "organization_ids": array(int()),
            "custom_fields": { "type": "object", "description": "Custom field values that must be equal." },
        },
    });
    let targets = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["first_response", "resolution"],
        "description": "Business durations like `30m`, `4h`, `1h30m` or seconds.",
        "properties": { "first_response": string(), "resolution": string(), "next_response": string_or_null() },
    });
    let escalation = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["when", "action"],
        "properties": {
            "when": doc(string(), "`breach`, or one of the policy's warnings like `75%`."),
            "target": doc(or_null(enumeration(&["first_response", "next_response", "resolution"])), "Every target when absent."),
            "action": enumeration(&["notify_group", "notify_group_lead", "notify_user", "reassign_to_group", "raise_priority"]),
            "group_id": doc(int_or_null(), "For group actions; the ticket's group when absent (notify actions)."),
            "user_id": doc(int_or_null(), "For notify_user."),
        },
    });
    let policy_fields = |extra: Vec<(&'static str, Value)>| {
        let mut f = vec![
            ("name", string()),
            ("conditions", conditions.clone()),
            ("targets", targets.clone()),
            ("calendar_id", doc(int_or_null(), "A business calendar; the built-in 24x7 one when null or 0.")),
            (
                "warnings",
                doc(array(int()), "Percentages of a target at which to warn, ascending; [75, 90] by default."),
            ),
            (
                "pause_when",
                doc(array(string()), "Statuses that pause the clocks (`on_hold:awaiting_requester` by default)."),
            ),
            ("escalations", array(escalation.clone())),
            ("position", doc(int(), "Policies are tried in ascending position; the first match wins.")),
        ];
        f.extend(extra);
        f
    };
    add(
        "SlaPolicyInput",
        input(
            "An SLA policy. Errors name the field: `targets.resolution`, `conditions.kinds[1]`, \
             `escalations[0].group_id`. `position` absent: last on create, unchanged on update.",
            &["name", "targets"],
            policy_fields(vec![]),
        ),
    );
    add(
        "SlaPolicy",
        record("An SLA policy.", policy_fields(vec![("id", int()), ("created_at", time()), ("updated_at", time())])),
    );
    add("SlaPolicyPage", listing("SlaPolicy", false));
    add(
        "SlaTarget",
        record(
            "One SLA target of a ticket, evaluated now.",
            vec![
                ("clock_id", int()),
                ("target", enumeration(&["first_response", "next_response", "resolution"])),
                (
                    "state",
                    doc(
                        enumeration(&["running", "paused", "met", "breached", "cancelled"]),
                        "`breached`: still running after its due instant.",
                    ),
                ),
                ("due_at", doc(string_or_null(), "RFC 3339 in the caller's time zone while running; null otherwise.")),
                ("target_secs", doc(int(), "Business seconds.")),
                ("elapsed_secs", doc(int(), "Business seconds used.")),
                ("remaining_secs", doc(int(), "`target_secs - elapsed_secs`: negative once overdue.")),
                ("breached", doc(boolean(), "Missed: overdue, or met late.")),
                ("policy", doc(string_or_null(), "The policy's name; null for requesters.")),
            ],
        ),
    );
    add(
        "SlaClockEvent",
        record(
            "One event of a clock (the append-only SLA history).",
            vec![
                ("id", int()),
                ("clock_id", int()),
                ("ticket_id", int()),
                ("target", string()),
                ("event", enumeration(&["started", "paused", "resumed", "met", "reopened", "replanned", "cancelled"])),
                ("at", time()),
                ("target_secs", doc(int_or_null(), "The new target of a `replanned` event.")),
                ("actor_id", int_or_null()),
                ("note", string_or_null()),
            ],
        ),
    );
    add(
        "TicketSla",
        record(
            "A ticket's SLA targets and history.",
            vec![
                ("targets", array(schema("SlaTarget"))),
                ("history", doc(array(schema("SlaClockEvent")), "Empty for requesters.")),
            ],
        ),
    );
    add(
        "Notification",
        record(
            "An in-app notification (SLA warnings and breaches).",
            vec![
                ("id", int()),
                ("user_id", int()),
                ("ticket_id", int_or_null()),
                ("kind", doc(string(), "`sla.warning` or `sla.breached`.")),
                ("text", string()),
                ("created_at", time()),
                ("read_at", time_or_null()),
            ],
        ),
    );
    add("NotificationPage", listing("Notification", true));
    add(
        "SlaReportLine",
        record(
            "Clocks started in the period, for one group key and one target.",
            vec![
                ("key", doc(string(), "The policy name, priority (`P2`) or group name.")),
                ("target", string()),
                ("total", int()),
                ("met", doc(int(), "Met on time.")),
                ("breached", doc(int(), "Missed: met late or overdue.")),
                ("open", doc(int(), "Running or paused, not breached.")),
                ("cancelled", int()),
                (
                    "compliance_percent",
                    doc(json!({ "type": ["number", "null"] }), "met / (met + breached) x 100; null when neither."),
                ),
            ],
        ),
    );
    add(
        "SlaReport",
        record(
            "The SLA compliance report.",
            vec![
                ("from", time()),
                ("to", time()),
                ("group_by", enumeration(&["policy", "priority", "group"])),
                ("items", array(schema("SlaReportLine"))),
            ],
        ),
    );
}

fn sla_paths(p: &mut Map<String, Value>) {
    let id = |what: &str| path_id("id", what);
    item(
        p,
        "/api/v1/sla/calendars",
        &[],
        vec![
            (
                "get",
                op("sla", "listSlaCalendars", "List business calendars")
                    .about("Agents and admins. The built-in 24x7 calendar comes first, with id 0.")
                    .json("200", "The calendars.", "SlaCalendarPage")
                    .fail(&[Fail::Forbidden]),
            ),
            (
                "post",
                op("sla", "createSlaCalendar", "Create a business calendar")
                    .about("Admins.")
                    .body("SlaCalendarInput")
                    .json("201", "The new calendar.", "SlaCalendar"),
            ),
        ],
    );
    item(
        p,
        "/api/v1/sla/calendars/{id}",
        &[id("The calendar's id (0: the built-in 24x7 calendar).")],
        vec![
            (
                "get",
                op("sla", "getSlaCalendar", "Get a business calendar")
                    .json("200", "The calendar.", "SlaCalendar")
                    .fail(&[Fail::Forbidden, Fail::NotFound]),
            ),
            (
                "put",
                op("sla", "updateSlaCalendar", "Replace a business calendar")
                    .about("Admins. The built-in calendar answers 409 `builtin_calendar`.")
                    .body("SlaCalendarInput")
                    .json("200", "The calendar.", "SlaCalendar")
                    .fail(&[Fail::NotFound, Fail::Conflict]),
            ),
            (
                "delete",
                op("sla", "deleteSlaCalendar", "Delete a business calendar")
                    .about("Admins. A calendar a policy uses answers 409 `calendar_in_use`.")
                    .empty("The calendar is gone.")
                    .fail(&[Fail::NotFound, Fail::Conflict]),
            ),
        ],
    );
    item(
        p,
        "/api/v1/sla/policies",
        &[],
        vec![
            (
                "get",
                op("sla", "listSlaPolicies", "List SLA policies")
                    .about("Agents and admins, in evaluation order: the first policy that matches a ticket applies.")
                    .json("200", "The policies.", "SlaPolicyPage")
                    .fail(&[Fail::Forbidden]),
            ),
            (
                "post",
                op("sla", "createSlaPolicy", "Create an SLA policy")
                    .about("Admins. Applies to tickets created (or re-prioritised) from now on.")
                    .body("SlaPolicyInput")
                    .json("201", "The new policy.", "SlaPolicy"),
            ),
        ],
    );
    item(
        p,
        "/api/v1/sla/policies/{id}",
        &[id("The policy's id.")],
        vec![
            (
                "get",
                op("sla", "getSlaPolicy", "Get an SLA policy")
                    .json("200", "The policy.", "SlaPolicy")
                    .fail(&[Fail::Forbidden, Fail::NotFound]),
            ),
            (
                "put",
                op("sla", "updateSlaPolicy", "Replace or move an SLA policy")
                    .about("Admins. Running clocks keep the policy they started with until a priority change.")
                    .body("SlaPolicyInput")
                    .json("200", "The policy.", "SlaPolicy")
                    .fail(&[Fail::NotFound]),
            ),
            (
                "delete",
                op("sla", "deleteSlaPolicy", "Delete an SLA policy")
                    .about("Admins.")
                    .empty("The policy is gone.")
                    .fail(&[Fail::NotFound]),
            ),
        ],
    );
    item(
        p,
        "/api/v1/tickets/{id}/sla",
        &[param_ref("TicketId")],
        vec![(
            "get",
            op("sla", "getTicketSla", "A ticket's SLA")
                .about(
                    "Its targets, and for agents the history of every clock event. Requesters see the targets of \
                        the tickets they see, without policy names or history.",
                )
                .json("200", "The ticket's SLA.", "TicketSla")
                .fail(&[Fail::NotFound]),
        )],
    );
    item(
        p,
        "/api/v1/me/notifications",
        &[],
        vec![(
            "get",
            op("sla", "listMyNotifications", "One's notifications")
                .about("Newest first: SLA warnings and breaches addressed to the caller.")
                .params(paging())
                .json("200", "The notifications.", "NotificationPage")
                .fail(&[Fail::BadRequest]),
        )],
    );
    item(
        p,
        "/api/v1/reports/sla",
        &[],
        vec![(
            "get",
            op("sla", "slaReport", "SLA compliance report")
                .about(
                    "Agents (over the tickets they see) and admins: clocks started in [from, to), met and \
                        breached per target and per policy, priority or group.",
                )
                .params([
                    query("from", "RFC 3339 instant or date; 30 days before `to` by default.", string()),
                    query("to", "RFC 3339 instant or date; now by default.", string()),
                    query(
                        "group_by",
                        "policy (default), priority or group.",
                        enumeration(&["policy", "priority", "group"]),
                    ),
                    query("format", "json (default) or csv.", enumeration(&["json", "csv"])),
                ])
                .answer(
                    "200",
                    json!({
                        "description": "The report: JSON, or with `format=csv` CSV with a header row.",
                        "content": {
                            "application/json": { "schema": schema("SlaReport") },
                            "text/csv": { "schema": string() },
                        },
                    }),
                )
                .fail(&[Fail::BadRequest, Fail::Forbidden, Fail::Invalid]),
        )],
    );
}
