//! The admin pages for ticket configuration: service desks (name, default group), their
//! categories and custom fields, and the impact × urgency priority matrix.

use super::admin::{admin, done, failed, Done};
use super::{admin_only, app_error, error_page, FormPost, Nav};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use opsdesk_app::tickets::{DeskInput, NewCategory, Ref};
use opsdesk_domain::ticket::{CustomFieldDef, CustomFieldType, Kind, Priority, PriorityMatrix};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/admin/desks", get(desks).post(create_desk))
        .route("/admin/desks/{id}", post(update_desk))
        .route("/admin/desks/{id}/categories", post(create_category))
        .route("/admin/desks/{id}/custom-fields", post(put_field))
        .route("/admin/desks/{id}/custom-fields/{kind}/{key}/delete", post(delete_field))
        .route("/admin/priority", get(matrix).post(save_matrix))
}

pub struct FieldRow {
    pub kind: String,
    pub key: String,
    pub label: String,
    pub field_type: String,
    pub required: bool,
    pub options: String,
}

pub struct DeskRow {
    pub id: i64,
    pub name: String,
    pub default_group: String,
    pub categories: Vec<(String, String)>,
    pub fields: Vec<FieldRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/desks.html")]
struct DesksPage {
    nav: Nav,
    ok: Option<&'static str>,
    desks: Vec<DeskRow>,
    groups: Vec<(String, String)>,
}

async fn desks(State(s): State<WebState>, jar: CookieJar, uri: Uri, q: Query<Done>) -> Response {
    let auth = admin!(s, jar, uri);
    let all = match s.app.desks().await {
        Ok(d) => d,
        Err(e) => return app_error(Some(Nav::of(&auth)), e),
    };
    let mut rows = Vec::new();
    for d in all {
        let cats = s.app.categories(Some(d.id)).await.unwrap_or_default();
        let categories = cats
            .iter()
            .map(|c| {
                let parent =
                    c.parent_id.and_then(|p| cats.iter().find(|x| x.id == p)).map(|p| format!("{} / ", p.name));
                (c.id.to_string(), format!("{}{}", parent.unwrap_or_default(), c.name))
            })
            .collect();
        let mut fields = Vec::new();
        for k in Kind::ALL {
            for f in s.app.custom_fields(d.id, k).await.unwrap_or_default() {
                fields.push(FieldRow {
                    kind: k.as_str().into(),
                    key: f.key,
                    label: f.label,
                    field_type: serde_json::to_value(f.field_type)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    required: f.required,
                    options: f.options.join(", "),
                });
            }
        }
        rows.push(DeskRow {
            id: d.id,
            name: d.name,
            default_group: d.default_group_id.map(|g| g.to_string()).unwrap_or_default(),
            categories,
            fields,
        });
    }
    let groups = s
        .app
        .groups(&auth.actor, 0, 500)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|g| (g.id.to_string(), g.name))
        .collect();
    DesksPage { nav: Nav::of(&auth), ok: q.message(), desks: rows, groups }.into_response()
}

fn desk_input(fields: &super::form::Fields) -> DeskInput {
    DeskInput {
        name: fields.raw("name").into(),
        default_group: fields.get("default_group").and_then(|g| g.parse().ok()).map(Ref::Id),
    }
}

async fn create_desk(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    match s.app.create_desk(&auth.actor, desk_input(&fields)).await {
        Ok(_) => done("/admin/desks", "created"),
        Err(e) => failed(&auth, e),
    }
}

async fn update_desk(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    match s.app.update_desk(&auth.actor, id, desk_input(&fields)).await {
        Ok(_) => done("/admin/desks", "saved"),
        Err(e) => failed(&auth, e),
    }
}

async fn create_category(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let input = NewCategory {
        name: fields.raw("name").into(),
        parent_id: fields.get("parent_id").and_then(|p| p.parse().ok()),
    };
    match s.app.create_category(&auth.actor, id, input).await {
        Ok(_) => done("/admin/desks", "created"),
        Err(e) => failed(&auth, e),
    }
}

async fn put_field(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let bad = |m: &str| error_page(StatusCode::UNPROCESSABLE_ENTITY, Some(Nav::of(&auth)), m);
    let Ok(kind) = Kind::parse(fields.get("kind").unwrap_or("")) else { return bad("Choose a ticket kind.") };
    let Ok(field_type) = CustomFieldType::parse(fields.get("field_type").unwrap_or("")) else {
        return bad("Choose a field type.");
    };
    let def = CustomFieldDef {
        key: fields.raw("key").trim().into(),
        label: fields.raw("label").trim().into(),
        field_type,
        required: fields.has("required"),
        options: fields
            .raw("options")
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_string)
            .collect(),
    };
    let position = fields.get("position").and_then(|p| p.parse().ok()).unwrap_or(0);
    match s.app.put_custom_field(&auth.actor, id, kind, def, position).await {
        Ok(_) => done("/admin/desks", "saved"),
        Err(e) => failed(&auth, e),
    }
}

async fn delete_field(
    State(s): State<WebState>,
    Path((id, kind, key)): Path<(i64, String, String)>,
    post: FormPost,
) -> Response {
    let FormPost { auth, .. } = post;
    let Ok(kind) = Kind::parse(&kind) else { return app_error(Some(Nav::of(&auth)), opsdesk_app::AppError::NotFound) };
    match s.app.delete_custom_field(&auth.actor, id, kind, &key).await {
        Ok(()) => done("/admin/desks", "removed"),
        Err(e) => failed(&auth, e),
    }
}

/// One cell of the matrix editor: its form name and current priority.
pub struct Cell {
    pub name: String,
    pub value: u8,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/matrix.html")]
struct MatrixPage {
    nav: Nav,
    ok: Option<&'static str>,
    rows: Vec<(String, Vec<Cell>)>,
}

const LEVELS: [&str; 3] = ["1 high", "2 medium", "3 low"];

async fn matrix(State(s): State<WebState>, jar: CookieJar, uri: Uri, q: Query<Done>) -> Response {
    let auth = admin!(s, jar, uri);
    let m = match s.app.priority_matrix().await {
        Ok(m) => m,
        Err(e) => return app_error(Some(Nav::of(&auth)), e),
    };
    let rows = (0..3)
        .map(|i| {
            let cells = (0..3).map(|u| Cell { name: format!("c{i}{u}"), value: m.cells[i][u].get() }).collect();
            (format!("Impact {}", LEVELS[i]), cells)
        })
        .collect();
    MatrixPage { nav: Nav::of(&auth), ok: q.message(), rows }.into_response()
}

async fn save_matrix(State(s): State<WebState>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let mut m = PriorityMatrix::default();
    for (i, row) in m.cells.iter_mut().enumerate() {
        for (u, cell) in row.iter_mut().enumerate() {
            let p = fields.get(&format!("c{i}{u}")).and_then(|v| v.parse::<u8>().ok()).and_then(Priority::new);
            match p {
                Some(p) => *cell = p,
                None => {
                    return error_page(StatusCode::UNPROCESSABLE_ENTITY, Some(Nav::of(&auth)), "Each cell is P1 to P5.")
                }
            }
        }
    }
    match s.app.set_priority_matrix(&auth.actor, m).await {
        Ok(_) => done("/admin/priority", "saved"),
        Err(e) => failed(&auth, e),
    }
}
