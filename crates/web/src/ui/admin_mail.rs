//! The admin page of a desk's email channel (`/admin/desks/{id}/mail`): the address, sender
//! name and stranger policy, the notification templates (each showing the built-in text and
//! resettable to it), and the IMAP mailbox with the worker's last poll and last error. Two
//! forms, so a refused mailbox does not lose typed templates and the reverse; a refused form
//! comes back with what was typed and each field error next to its field.

use super::admin::{admin, done, failed, Done};
use super::form::{FieldErrors, Fields};
use super::{admin_only, app_error, FormPost, Nav};
use crate::WebState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use opsdesk_app::auth::Authenticated;
use opsdesk_app::mail::{DeskMailInput, DeskMailView, MailboxInput, MailboxView, DEFAULT_POLL_SECS};
use opsdesk_app::AppError;
use opsdesk_mail::template::{Notice, Template as MailTemplate};
use std::collections::BTreeMap;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/admin/desks/{id}/mail", get(page).post(save_settings))
        .route("/admin/desks/{id}/mail/mailbox", post(save_mailbox))
        .route("/admin/desks/{id}/mail/mailbox/delete", post(delete_mailbox))
}

/// One notification template in the form, with the built-in text beside it.
pub struct TemplateRow {
    pub key: &'static str,
    pub label: &'static str,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub customised: bool,
    pub builtin: MailTemplate,
}

pub struct SettingsForm {
    pub address: String,
    pub from_name: String,
    pub strangers: String,
    pub templates: Vec<TemplateRow>,
}

fn label(n: Notice) -> &'static str {
    match n {
        Notice::Created => "Ticket created (acknowledgement to the requester)",
        Notice::Reply => "Public reply (to the requester and watchers)",
        Notice::Assigned => "Assignment (to the agent)",
        Notice::Resolved => "Resolution (to the requester)",
    }
}

impl SettingsForm {
    fn of(v: Option<&DeskMailView>) -> SettingsForm {
        let templates = Notice::ALL
            .into_iter()
            .map(|n| {
                let builtin = n.default_template();
                let current = v.and_then(|v| v.templates.get(&n)).cloned().unwrap_or_else(|| builtin.clone());
                TemplateRow {
                    key: n.as_str(),
                    label: label(n),
                    subject: current.subject,
                    text: current.text,
                    html: current.html.unwrap_or_default(),
                    customised: v.is_some_and(|v| v.customised.contains(&n)),
                    builtin,
                }
            })
            .collect();
        SettingsForm {
            address: v.map(|v| v.address.clone()).unwrap_or_default(),
            from_name: v.and_then(|v| v.from_name.clone()).unwrap_or_default(),
            strangers: v.map(|v| v.strangers.as_str().to_string()).unwrap_or_else(|| "hold".into()),
            templates,
        }
    }

    /// What was posted; a template whose fields were not posted at all stays as stored.
    fn typed(f: &Fields, stored: Option<&DeskMailView>) -> SettingsForm {
        let current = SettingsForm::of(stored);
        let templates = Notice::ALL
            .into_iter()
            .zip(current.templates)
            .map(|(n, kept)| {
                let k = n.as_str();
                let reset = f.has(&format!("templates.{k}.reset"));
                if !reset && !f.has(&format!("templates.{k}.subject")) {
                    return kept;
                }
                let builtin = n.default_template();
                let (subject, text, html) = if reset {
                    (builtin.subject.clone(), builtin.text.clone(), builtin.html.clone().unwrap_or_default())
                } else {
                    (
                        f.raw(&format!("templates.{k}.subject")).to_string(),
                        f.raw(&format!("templates.{k}.text")).replace("\r\n", "\n"),
                        f.raw(&format!("templates.{k}.html")).replace("\r\n", "\n"),
                    )
                };
                let customised = subject != builtin.subject
                    || text != builtin.text
                    || html.trim() != builtin.html.as_deref().unwrap_or("").trim();
                TemplateRow { key: k, label: label(n), subject, text, html, customised, builtin }
            })
            .collect();
        SettingsForm {
            address: f.raw("address").into(),
            from_name: f.raw("from_name").into(),
            strangers: f.raw("strangers").into(),
            templates,
        }
    }

    /// Only templates that differ from the built-in text are stored, so an untouched one keeps
    /// following the built-in text.
    fn input(&self) -> DeskMailInput {
        let templates: BTreeMap<String, MailTemplate> = self
            .templates
            .iter()
            .filter(|t| t.customised)
            .map(|t| {
                let html = Some(t.html.clone()).filter(|h| !h.trim().is_empty());
                (t.key.to_string(), MailTemplate { subject: t.subject.clone(), text: t.text.clone(), html })
            })
            .collect();
        DeskMailInput {
            address: self.address.clone(),
            from_name: Some(self.from_name.clone()).filter(|n| !n.trim().is_empty()),
            strangers: Some(self.strangers.clone()).filter(|s| !s.is_empty()),
            templates,
        }
    }
}

pub struct MailboxForm {
    pub configured: bool,
    pub host: String,
    pub port: String,
    pub tls: String,
    pub username: String,
    pub password_set: bool,
    pub folder: String,
    pub poll_secs: String,
}

impl MailboxForm {
    fn of(v: Option<&MailboxView>) -> MailboxForm {
        match v {
            Some(v) => MailboxForm {
                configured: true,
                host: v.host.clone(),
                port: v.port.to_string(),
                tls: v.tls.as_str().into(),
                username: v.username.clone(),
                password_set: v.password_set,
                folder: v.folder.clone(),
                poll_secs: v.poll_secs.to_string(),
            },
            None => MailboxForm {
                configured: false,
                host: String::new(),
                port: String::new(),
                tls: "tls".into(),
                username: String::new(),
                password_set: false,
                folder: "INBOX".into(),
                poll_secs: DEFAULT_POLL_SECS.to_string(),
            },
        }
    }

    fn typed(f: &Fields, stored: Option<&MailboxView>) -> MailboxForm {
        MailboxForm {
            configured: stored.is_some(),
            host: f.raw("host").into(),
            port: f.raw("port").into(),
            tls: f.raw("tls").into(),
            username: f.raw("username").into(),
            password_set: stored.is_some_and(|m| m.password_set),
            folder: f.raw("folder").into(),
            poll_secs: f.raw("poll_secs").into(),
        }
    }
}

/// The worker's view of the mailbox, for display.
pub struct MailboxStatus {
    pub last_poll: String,
    pub last_error: Option<String>,
    pub last_error_at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/desk_mail.html")]
struct MailPage {
    nav: Nav,
    ok: Option<&'static str>,
    desk_id: i64,
    desk_name: String,
    settings: SettingsForm,
    errors: FieldErrors,
    mailbox: MailboxForm,
    mailbox_errors: FieldErrors,
    status: Option<MailboxStatus>,
}

/// The stored state of the page; `None` parts are not configured yet.
struct Stored {
    desk_name: String,
    mail: Option<DeskMailView>,
    mailbox: Option<MailboxView>,
}

async fn stored(s: &WebState, auth: &Authenticated, id: i64) -> Result<Stored, AppError> {
    let desk = s.app.desks().await?.into_iter().find(|d| d.id == id).ok_or(AppError::NotFound)?;
    let mail = match s.app.desk_mail(&auth.actor, id).await {
        Ok(m) => Some(m),
        Err(AppError::NotFound) => None,
        Err(e) => return Err(e),
    };
    let mailbox = match s.app.desk_mailbox(&auth.actor, id).await {
        Ok(m) => Some(m),
        Err(AppError::NotFound) => None,
        Err(e) => return Err(e),
    };
    Ok(Stored { desk_name: desk.name, mail, mailbox })
}

fn when(t: Option<opsdesk_store::Ts>) -> String {
    t.map(|t| t.0.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()).unwrap_or_else(|| "never".into())
}

#[allow(clippy::too_many_arguments)]
fn render(
    auth: &Authenticated,
    ok: Option<&'static str>,
    id: i64,
    st: &Stored,
    settings: SettingsForm,
    errors: FieldErrors,
    mailbox: MailboxForm,
    mailbox_errors: FieldErrors,
) -> Response {
    let status =
        if errors.is_empty() && mailbox_errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mailbox_status = st.mailbox.as_ref().map(|m| MailboxStatus {
        last_poll: when(m.last_poll_at),
        last_error: m.last_error.clone(),
        last_error_at: when(m.last_error_at),
    });
    let page = MailPage {
        nav: Nav::of(auth),
        ok,
        desk_id: id,
        desk_name: st.desk_name.clone(),
        settings,
        errors,
        mailbox,
        mailbox_errors,
        status: mailbox_status,
    };
    (status, page).into_response()
}

async fn page(State(s): State<WebState>, jar: CookieJar, uri: Uri, Path(id): Path<i64>, q: Query<Done>) -> Response {
    let auth = admin!(s, jar, uri);
    match stored(&s, &auth, id).await {
        Ok(st) => {
            let settings = SettingsForm::of(st.mail.as_ref());
            let mailbox = MailboxForm::of(st.mailbox.as_ref());
            render(&auth, q.message(), id, &st, settings, FieldErrors::default(), mailbox, FieldErrors::default())
        }
        Err(e) => app_error(Some(Nav::of(&auth)), e),
    }
}

async fn save_settings(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let current = match s.app.desk_mail(&auth.actor, id).await {
        Ok(m) => Some(m),
        Err(AppError::NotFound) => None,
        Err(e) => return failed(&auth, e),
    };
    let form = SettingsForm::typed(&fields, current.as_ref());
    match s.app.put_desk_mail(&auth.actor, id, form.input()).await {
        Ok(_) => done(&format!("/admin/desks/{id}/mail"), "saved"),
        Err(AppError::Invalid(inv)) => match stored(&s, &auth, id).await {
            Ok(st) => {
                let errors = FieldErrors::of_invalid(&inv.0, |_, _| None);
                let mailbox = MailboxForm::of(st.mailbox.as_ref());
                render(&auth, None, id, &st, form, errors, mailbox, FieldErrors::default())
            }
            Err(e) => failed(&auth, e),
        },
        Err(e) => failed(&auth, e),
    }
}

async fn save_mailbox(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, fields } = post;
    let mut errors = FieldErrors::default();
    let number = |name: &str, errors: &mut FieldErrors| match fields.get(name) {
        None => None,
        Some(v) => match v.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(name, "a whole number");
                None
            }
        },
    };
    let port = number("port", &mut errors);
    let poll_secs = number("poll_secs", &mut errors);
    let input = MailboxInput {
        host: fields.raw("host").into(),
        port,
        tls: fields.get("tls").map(str::to_string),
        username: fields.raw("username").into(),
        password: fields.get("password").map(str::to_string),
        folder: fields.get("folder").map(str::to_string),
        poll_secs,
    };
    let result =
        if errors.is_empty() { s.app.put_desk_mailbox(&auth.actor, id, input).await.map(|_| ()) } else { Ok(()) };
    match result {
        Ok(()) if errors.is_empty() => done(&format!("/admin/desks/{id}/mail"), "saved"),
        Ok(()) | Err(AppError::Invalid(_)) => {
            if let Err(AppError::Invalid(inv)) = &result {
                errors = FieldErrors::of_invalid(&inv.0, |_, _| None);
            }
            match stored(&s, &auth, id).await {
                Ok(st) => {
                    let mailbox = MailboxForm::typed(&fields, st.mailbox.as_ref());
                    let settings = SettingsForm::of(st.mail.as_ref());
                    render(&auth, None, id, &st, settings, FieldErrors::default(), mailbox, errors)
                }
                Err(e) => failed(&auth, e),
            }
        }
        Err(e) => failed(&auth, e),
    }
}

async fn delete_mailbox(State(s): State<WebState>, Path(id): Path<i64>, post: FormPost) -> Response {
    let FormPost { auth, .. } = post;
    match s.app.delete_desk_mailbox(&auth.actor, id).await {
        Ok(()) => done(&format!("/admin/desks/{id}/mail"), "removed"),
        Err(e) => failed(&auth, e),
    }
}
