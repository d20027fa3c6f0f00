//! A desk's mail settings, edited by admins: the inbound address (notifications leave from it
//! too), the sender name, what a stranger's reply does, and the notification templates.

use super::views::{MailTemplateSchema, NoticeSchema, StrangerPolicySchema};
use crate::{App, AppError, Result};
use opsdesk_domain::validation::Checks;
use opsdesk_domain::{Actor, FieldError, Permission};
use opsdesk_mail::template::{problems, Notice, Template};
use opsdesk_mail::thread::StrangerPolicy;
use opsdesk_store::mail::DeskMail;
use opsdesk_store::Ts;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A desk's mail settings. Templates left out use the built-in text.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DeskMailInput)]
pub struct DeskMailInput {
    /// An email address, unique among desks: mail to it becomes tickets of this desk, and
    /// notifications leave from it.
    #[schema(format = Email)]
    pub address: String,
    /// The sender's display name: one line of at most 120 characters; none when blank.
    #[serde(default)]
    #[schema(max_length = 120)]
    pub from_name: Option<String>,
    /// `hold` when absent.
    #[serde(default)]
    #[schema(value_type = Option<StrangerPolicySchema>)]
    pub strangers: Option<String>,
    /// Replacement templates by notice.
    #[serde(default)]
    #[schema(value_type = BTreeMap<NoticeSchema, MailTemplateSchema>)]
    pub templates: BTreeMap<String, Template>,
}

/// A desk's mail settings with every template in effect.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DeskMail)]
pub struct DeskMailView {
    pub desk_id: i64,
    /// Mail to it becomes tickets of this desk; notifications leave from it.
    pub address: String,
    pub from_name: Option<String>,
    #[schema(value_type = StrangerPolicySchema)]
    pub strangers: StrangerPolicy,
    /// Every notice's template, built-in unless customised.
    #[schema(value_type = BTreeMap<NoticeSchema, MailTemplateSchema>)]
    pub templates: BTreeMap<Notice, Template>,
    /// Which templates an admin replaced.
    #[schema(value_type = Vec<NoticeSchema>)]
    pub customised: Vec<Notice>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Ts,
}

impl DeskMailView {
    pub(crate) fn of(m: &DeskMail) -> crate::Result<DeskMailView> {
        let custom: BTreeMap<Notice, Template> =
            opsdesk_store::stored_json(&format!("mail templates of desk {}", m.desk_id), &m.templates)?;
        let templates = Notice::ALL
            .into_iter()
            .map(|n| (n, custom.get(&n).cloned().unwrap_or_else(|| n.default_template())))
            .collect();
        Ok(DeskMailView {
            desk_id: m.desk_id,
            address: m.address.clone(),
            from_name: m.from_name.clone(),
            strangers: StrangerPolicy::parse(&m.strangers).unwrap_or(StrangerPolicy::Hold),
            templates,
            customised: custom.keys().copied().collect(),
            updated_at: m.updated_at,
        })
    }
}

impl App {
    /// A desk's mail settings (agents and admins).
    pub async fn desk_mail(&self, actor: &Actor, desk_id: i64) -> Result<DeskMailView> {
        if actor.role == opsdesk_domain::Role::Requester {
            return Err(AppError::Forbidden);
        }
        self.db.desk(desk_id).await?;
        let m = self.db.desk_mail(desk_id).await?.ok_or(AppError::NotFound)?;
        DeskMailView::of(&m)
    }

    /// Sets a desk's mail settings (admins).
    #[tracing::instrument(skip(self, input))]
    pub async fn put_desk_mail(&self, actor: &Actor, desk_id: i64, input: DeskMailInput) -> Result<DeskMailView> {
        if !actor.can(Permission::ManageIdentities) {
            return Err(AppError::Forbidden);
        }
        self.db.desk(desk_id).await?;
        let mut c = Checks::new();
        let address = opsdesk_mail::address::normalize(&input.address);
        if address.is_none() {
            c.push(FieldError::new("address", "invalid", "address is not an email address"));
        }
        let from_name = match input.from_name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(n) => c.take(crate::tickets::one_line(n, "from_name", 120)),
            None => None,
        };
        let strangers = match input.strangers.as_deref() {
            None => Some(StrangerPolicy::Hold),
            Some(s) => {
                let p = StrangerPolicy::parse(s);
                if p.is_none() {
                    c.push(FieldError::new("strangers", "invalid", "strangers is hold or new_ticket"));
                }
                p
            }
        };
        let mut templates = BTreeMap::new();
        for (key, t) in &input.templates {
            let Some(notice) = Notice::parse(key) else {
                c.push(FieldError::new(
                    format!("templates.{key}"),
                    "unknown",
                    "templates are created, reply, assigned, resolved",
                ));
                continue;
            };
            for (part, text) in [("subject", Some(&t.subject)), ("text", Some(&t.text)), ("html", t.html.as_ref())] {
                let Some(text) = text else { continue };
                let bad = problems(text);
                if !bad.is_empty() {
                    c.push(FieldError::new(
                        format!("templates.{key}.{part}"),
                        "unknown_placeholder",
                        format!("unknown placeholders: {}", bad.join(", ")),
                    ));
                }
                if text.len() > 65_536 {
                    c.push(FieldError::new(format!("templates.{key}.{part}"), "too_long", "at most 64 KiB"));
                }
            }
            if t.subject.trim().is_empty() || t.subject.chars().any(char::is_control) {
                c.push(FieldError::new(
                    format!("templates.{key}.subject"),
                    "invalid",
                    "the subject is one line of text",
                ));
            }
            templates.insert(notice, t.clone());
        }
        c.finish()?;
        let (Some(address), Some(strangers)) = (address, strangers) else {
            return Err(AppError::Internal("validated input is incomplete".into()));
        };
        let row = DeskMail {
            desk_id,
            address,
            from_name,
            strangers: strangers.as_str().into(),
            templates: serde_json::to_string(&templates).map_err(|e| AppError::Internal(e.to_string()))?,
            updated_at: Ts::now(),
        };
        let mut tx = self.db.begin().await?;
        let stored =
            tx.put_desk_mail(&row).await.map_err(|e| AppError::taken(e, "address", "address", "this address"))?;
        crate::emit(
            &mut tx,
            "desk.mail_changed",
            format!("desk:{desk_id}"),
            actor,
            serde_json::json!({ "address": stored.address }),
            row.updated_at,
        )
        .await?;
        tx.commit().await?;
        DeskMailView::of(&stored)
    }
}
