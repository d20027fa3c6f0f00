//! The portal's service catalog: browse the items offered to the requester by category or
//! search, open an item's page with its form rendered from the definition, and order it.
//! Conditional fields are shown and hidden by `app.js` with the server's rules (`show_if`
//! as data attributes); without script every field is shown and the server drops the answers
//! of the hidden ones. Wrong answers come back inline, next to their field.

use super::form::FieldErrors;
use super::{app_error, signed_in, FormPost, Nav};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::CookieJar;
use opsdesk_app::catalog::{CatalogCategoryView, CatalogItemView, ItemQuery, OrderInput};
use opsdesk_app::AppError;
use opsdesk_domain::catalog::{FieldType, FormField};
use serde::Deserialize;
use serde_json::{Map, Value};

pub fn router() -> Router<WebState> {
    Router::new().route("/portal/catalog", get(browse)).route("/portal/catalog/{id}", get(item_page).post(order))
}

/// An item as a card of the catalog.
struct Card {
    id: i64,
    title: String,
    description: String,
    price: String,
    delivery: String,
}

impl Card {
    fn of(i: &CatalogItemView) -> Card {
        Card {
            id: i.id,
            title: i.title.clone(),
            description: i.description.clone(),
            price: i.price.map(|p| format!("{p:.2}")).unwrap_or_default(),
            delivery: match i.delivery_days {
                Some(1) => "1 day".into(),
                Some(d) => format!("{d} days"),
                None => String::new(),
            },
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/catalog.html")]
struct CatalogPage {
    nav: Nav,
    q: String,
    category: Option<i64>,
    /// `(id, name, chosen)`.
    categories: Vec<(i64, String, bool)>,
    items: Vec<Card>,
}

/// A hand-edited address with a category that is not a number shows every category.
#[derive(Deserialize)]
struct BrowseParams {
    q: Option<String>,
    category: Option<String>,
}

async fn browse(State(s): State<WebState>, jar: CookieJar, uri: Uri, Query(p): Query<BrowseParams>) -> Response {
    let auth = match signed_in(&s, &jar, &uri).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let q: String = p.q.unwrap_or_default().chars().filter(|c| *c != '\0').take(200).collect();
    let category = p.category.and_then(|c| c.trim().parse::<i64>().ok());
    let query = ItemQuery { q: Some(q.clone()), desk: None, category };
    let items = match s.app.catalog_items(&auth.actor, &query).await {
        Ok(i) => i,
        Err(e) => return app_error(Some(Nav::of(&auth)), e),
    };
    let categories = match s.app.catalog_categories(&auth.actor, None).await {
        Ok(c) => c,
        Err(e) => return app_error(Some(Nav::of(&auth)), e),
    };
    let items = items.iter().filter(|i| i.published).map(Card::of).collect();
    let categories =
        categories.into_iter().map(|c: CatalogCategoryView| (c.id, c.name, Some(c.id) == category)).collect();
    CatalogPage { nav: Nav::of(&auth), q, category, categories, items }.into_response()
}

/// One field of the form as the template draws it.
struct FieldRow {
    key: String,
    label: String,
    /// `text`, `textarea`, `number`, `date`, `select`, `multiselect`, `checkbox`, `user`,
    /// `attachment`.
    kind: &'static str,
    required: bool,
    help: String,
    /// `(option, chosen)`.
    options: Vec<(String, bool)>,
    value: String,
    checked: bool,
    min: String,
    max: String,
    max_length: String,
    /// The `show_if` as data attributes: the other field's key and the value as JSON.
    show_field: String,
    show_equals: String,
    errors: Vec<String>,
}

fn kind(t: FieldType) -> &'static str {
    match t {
        FieldType::Text => "text",
        FieldType::Textarea => "textarea",
        FieldType::Number => "number",
        FieldType::Date => "date",
        FieldType::Select => "select",
        FieldType::Multiselect => "multiselect",
        FieldType::Checkbox => "checkbox",
        FieldType::User => "user",
        FieldType::Attachment => "attachment",
    }
}

fn rows(form: &[FormField], given: &super::form::Fields, errors: &FieldErrors) -> Vec<FieldRow> {
    form.iter()
        .map(|f| {
            let name = format!("a_{}", f.key);
            let chosen = given.all(&name);
            FieldRow {
                key: f.key.clone(),
                label: f.label.clone(),
                kind: kind(f.field_type),
                required: f.required,
                help: f.help.clone().unwrap_or_default(),
                options: f.options.iter().map(|o| (o.clone(), chosen.contains(&o.as_str()))).collect(),
                value: given.raw(&name).to_string(),
                checked: given.has(&name),
                min: f.min.map(|m| m.to_string()).unwrap_or_default(),
                max: f.max.map(|m| m.to_string()).unwrap_or_default(),
                max_length: f.max_length.map(|m| m.to_string()).unwrap_or_default(),
                show_field: f.show_if.as_ref().map(|s| s.field.clone()).unwrap_or_default(),
                show_equals: f.show_if.as_ref().map(|s| s.equals.to_json().to_string()).unwrap_or_default(),
                errors: errors.at(&format!("answers.{}", f.key)).into_iter().map(str::to_string).collect(),
            }
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/catalog_item.html")]
struct ItemPage {
    nav: Nav,
    item: CatalogItemView,
    card: Card,
    fields: Vec<FieldRow>,
    requested_for: String,
    requested_for_errors: Vec<String>,
    error: Option<String>,
}

async fn item_page(State(s): State<WebState>, jar: CookieJar, uri: Uri, Path(id): Path<i64>) -> Response {
    let auth = match signed_in(&s, &jar, &uri).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match s.app.catalog_item(&auth.actor, id).await {
        Ok(item) => {
            let fields = rows(&item.form, &Default::default(), &FieldErrors::default());
            let card = Card::of(&item);
            let nav = Nav::of(&auth);
            ItemPage {
                nav,
                item,
                card,
                fields,
                requested_for: String::new(),
                requested_for_errors: vec![],
                error: None,
            }
            .into_response()
        }
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}

/// The form's fields as the API's answers: each typed as its field wants; a value that does
/// not read as its type is passed as typed, so the server names it.
fn answers_of(form: &[FormField], fields: &super::form::Fields) -> Map<String, Value> {
    let mut out = Map::new();
    for f in form {
        let name = format!("a_{}", f.key);
        let raw = fields.raw(&name).trim();
        let v = match f.field_type {
            FieldType::Checkbox => Value::Bool(fields.has(&name)),
            FieldType::Multiselect => Value::Array(fields.all(&name).into_iter().map(Value::from).collect()),
            FieldType::Attachment => continue,
            _ if raw.is_empty() => continue,
            // Whole numbers stay whole (`32`, not `32.0`).
            FieldType::Number | FieldType::User => match raw.parse::<f64>() {
                Ok(n) if n.fract() == 0.0 && n.abs() < 9e15 => Value::from(n as i64),
                Ok(n) => serde_json::Number::from_f64(n).map(Value::Number).unwrap_or(Value::from(raw)),
                Err(_) => Value::from(raw),
            },
            _ => Value::from(raw),
        };
        out.insert(f.key.clone(), v);
    }
    out
}

async fn order(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let item = match s.app.catalog_item(&auth.actor, id).await {
        Ok(i) => i,
        Err(e) => return app_error(Some(Nav::of(&auth)), e),
    };
    let requested_for = fields.get("requested_for").map(str::to_string);
    let mut answers = answers_of(&item.form, &fields);
    // People are typed as email addresses here; the API takes their ids.
    for f in item.form.iter().filter(|f| f.field_type == FieldType::User) {
        if let Some(Value::String(email)) = answers.get(&f.key) {
            if let Ok(Some(u)) = s.app.db.user_by_email(&email.trim().to_lowercase()).await {
                answers.insert(f.key.clone(), Value::from(u.id));
            }
        }
    }
    let input = OrderInput { answers, requested_for: requested_for.clone().map(opsdesk_app::tickets::Ref::Name) };
    match s.app.order_catalog_item(&auth.actor, id, input).await {
        Ok(r) => Redirect::to(&format!("/portal/tickets/{}", r.number)).into_response(),
        Err(AppError::Invalid(inv)) => {
            let errors = FieldErrors(inv.0.iter().map(|e| (e.field.clone(), e.message.clone())).collect());
            let card = Card::of(&item);
            let page = ItemPage {
                nav: Nav::of(&auth),
                fields: rows(&item.form, &fields, &errors),
                requested_for: requested_for.unwrap_or_default(),
                requested_for_errors: errors.at("requested_for").into_iter().map(str::to_string).collect(),
                error: Some("Some answers need your attention.".into()),
                item,
                card,
            };
            (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
        }
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}
