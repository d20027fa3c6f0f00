//! An inbound message, parsed into what the pipeline needs. Parsing never fails: a message
//! the MIME parser cannot read becomes its raw text with a flag, so nothing is ever lost.

use crate::address::{clean_name, normalize, Mailbox};
use crate::classify::Signals;
use crate::sanitize::{sanitize, Budget};
use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// At most this many references are followed, the newest ones.
const MAX_REFERENCES: usize = 50;
/// At most this many recipients are considered for the desk address.
const MAX_RECIPIENTS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboundAttachment {
    pub filename: String,
    pub content_type: String,
    #[serde(skip)]
    pub data: Vec<u8>,
    /// Shown inside the HTML (`cid:`) rather than listed.
    pub inline: bool,
    pub content_id: Option<String>,
}

/// A delivery status notification: which message bounced, to whom, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bounce {
    /// Message-ID of the message that bounced, when the report carries it.
    pub original_message_id: Option<String>,
    pub recipient: Option<String>,
    pub status: Option<String>,
    pub action: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboundMail {
    /// Without angle brackets. Messages without one get `sha256-<hash of the raw bytes>`, so
    /// the same message twice still stores once.
    pub message_id: String,
    pub in_reply_to: Vec<String>,
    /// Oldest first, at most the newest 50.
    pub references: Vec<String>,
    pub from: Option<Mailbox>,
    /// To, Cc, Delivered-To, X-Original-To and Envelope-To addresses, normalised.
    pub recipients: Vec<String>,
    pub subject: String,
    /// The plain text: the text part, or the HTML part turned into text.
    pub text: String,
    /// The sanitised HTML part, if there was one within the sanitising budget.
    pub html: Option<String>,
    pub attachments: Vec<InboundAttachment>,
    pub signals: Signals,
    pub bounce: Option<Bounce>,
    /// The MIME structure could not be read; `text` is the raw message.
    pub malformed: bool,
}

impl InboundMail {
    /// Parses a raw RFC 5322 message. Never fails.
    pub fn parse(raw: &[u8]) -> InboundMail {
        match MessageParser::default().parse(raw) {
            Some(m) if !m.parts.is_empty() => from_message(&m, raw),
            _ => unreadable(raw),
        }
    }

    /// Every Message-ID this message refers to, newest first (In-Reply-To, then References
    /// from the end).
    pub fn referenced_ids(&self) -> Vec<String> {
        let mut out: Vec<String> = self.in_reply_to.clone();
        for r in self.references.iter().rev() {
            if !out.contains(r) {
                out.push(r.clone());
            }
        }
        out.truncate(MAX_REFERENCES);
        out
    }
}

fn synthetic_id(raw: &[u8]) -> String {
    format!("sha256-{}", hex::encode(Sha256::digest(raw)))
}

fn unreadable(raw: &[u8]) -> InboundMail {
    InboundMail {
        message_id: synthetic_id(raw),
        in_reply_to: vec![],
        references: vec![],
        from: None,
        recipients: vec![],
        subject: String::new(),
        text: String::from_utf8_lossy(raw).chars().filter(|c| *c != '\0').take(65_536).collect(),
        html: None,
        attachments: vec![],
        signals: Signals::default(),
        bounce: None,
        malformed: true,
    }
}

fn ids(v: &HeaderValue) -> Vec<String> {
    let list: Vec<String> = match v {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(l) => l.iter().map(|s| s.to_string()).collect(),
        _ => vec![],
    };
    list.into_iter()
        .map(|s| s.trim().trim_matches(['<', '>']).to_string())
        .filter(|s| !s.is_empty() && s.len() <= 998)
        .collect()
}

fn addresses(a: Option<&Address>, out: &mut Vec<String>) {
    if let Some(a) = a {
        for addr in a.iter().take(MAX_RECIPIENTS) {
            if let Some(n) = addr.address.as_deref().and_then(normalize) {
                if !out.contains(&n) && out.len() < MAX_RECIPIENTS {
                    out.push(n);
                }
            }
        }
    }
}

fn raw_header<'a>(m: &'a Message<'a>, name: &'a str) -> Option<&'a str> {
    m.header_raw(name).map(str::trim)
}

fn from_message(m: &Message, raw: &[u8]) -> InboundMail {
    let message_id = m
        .message_id()
        .map(|s| s.trim().trim_matches(['<', '>']).to_string())
        .filter(|s| !s.is_empty() && s.len() <= 998)
        .unwrap_or_else(|| synthetic_id(raw));
    let from = m.from().and_then(|a| a.first()).and_then(|a| {
        a.address
            .as_deref()
            .and_then(normalize)
            .map(|address| Mailbox { address, name: a.name.as_deref().and_then(clean_name) })
    });
    let mut recipients = Vec::new();
    addresses(m.to(), &mut recipients);
    addresses(m.cc(), &mut recipients);
    for h in ["Delivered-To", "X-Original-To", "Envelope-To"] {
        for v in m.header_values(h) {
            if let Some(n) = v.as_text().and_then(normalize) {
                if !recipients.contains(&n) {
                    recipients.push(n);
                }
            }
        }
    }
    let mut references = ids(m.references());
    if references.len() > MAX_REFERENCES {
        references.drain(..references.len() - MAX_REFERENCES);
    }
    let root_type = m.content_type();
    let is_report = root_type.is_some_and(|c| {
        c.ctype().eq_ignore_ascii_case("multipart") && c.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let signals = Signals {
        auto_submitted: raw_header(m, "Auto-Submitted").map(str::to_lowercase),
        precedence: raw_header(m, "Precedence").map(str::to_lowercase),
        has_list_id: m.header("List-Id").is_some() || m.header("List-Unsubscribe").is_some(),
        null_return_path: raw_header(m, "Return-Path").is_some_and(|r| r.trim_matches(['<', '>', ' ']).is_empty()),
        multipart_report: is_report,
        loop_header: m.header(crate::LOOP_HEADER).is_some(),
        vendor_autoreply: m.header("X-Autoreply").is_some()
            || m.header("X-Autorespond").is_some()
            || m.header("X-MS-Exchange-Generated-Message-Source").is_some()
            || raw_header(m, "X-Auto-Response-Suppress").is_some_and(|v| {
                let v = v.to_ascii_lowercase();
                v.contains("all") || v.contains("oof")
            }),
    };
    let text_parts: Vec<String> =
        (0..m.text_body_count()).filter_map(|i| m.body_text(i).map(|t| t.into_owned())).collect();
    let text = text_parts.join("\n").replace('\0', "");
    let html = m
        .html_bodies()
        .find(|p| matches!(p.body, PartType::Html(_)))
        .and_then(|p| p.text_contents())
        .and_then(|h| sanitize(h, Budget::default()));
    let mut attachments = Vec::new();
    for part in m.attachments() {
        let ct = part
            .content_type()
            .map(|c| match c.subtype() {
                Some(s) => format!("{}/{}", c.ctype(), s),
                None => c.ctype().to_string(),
            })
            .unwrap_or_else(|| "application/octet-stream".into())
            .to_ascii_lowercase();
        let is_message = matches!(part.body, PartType::Message(_));
        let filename = part
            .attachment_name()
            .map(str::to_string)
            .or_else(|| is_message.then(|| "forwarded-message.eml".to_string()))
            .unwrap_or_else(|| "attachment".into());
        let content_id = part.content_id().map(|c| c.trim_matches(['<', '>']).to_string());
        let inline = content_id.is_some() && part.content_disposition().is_none_or(|d| d.is_inline());
        attachments.push(InboundAttachment {
            filename,
            content_type: if ct.len() <= 100 && ct.is_ascii() { ct } else { "application/octet-stream".into() },
            data: part.contents().to_vec(),
            inline,
            content_id,
        });
    }
    let bounce = if is_report || from.as_ref().is_some_and(|f| crate::address::is_mail_system(&f.address)) {
        bounce_of(m)
    } else {
        None
    };
    InboundMail {
        message_id,
        in_reply_to: ids(m.in_reply_to()),
        references,
        from,
        recipients,
        subject: m.subject().map(crate::outbound::one_line).unwrap_or_default(),
        text,
        html,
        attachments,
        signals,
        bounce,
        malformed: false,
    }
}

/// A DSN's facts: the delivery-status fields and the bounced message's id (from an attached
/// message or its headers). A mail-system message without either is not a bounce.
fn bounce_of(m: &Message) -> Option<Bounce> {
    let mut b = Bounce { original_message_id: None, recipient: None, status: None, action: None };
    let mut is_dsn = false;
    for part in &m.parts {
        let Some(ct) = part.content_type() else { continue };
        let full = format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("")).to_ascii_lowercase();
        match full.as_str() {
            "message/delivery-status" | "message/global-delivery-status" => {
                is_dsn = true;
                let body = String::from_utf8_lossy(part.contents()).into_owned();
                for line in body.lines() {
                    let Some((k, v)) = line.split_once(':') else { continue };
                    let v = v.trim();
                    match k.trim().to_ascii_lowercase().as_str() {
                        "final-recipient" | "original-recipient" if b.recipient.is_none() => {
                            b.recipient = normalize(v.rsplit(';').next().unwrap_or(v));
                        }
                        "status" => b.status = Some(v.chars().take(20).collect()),
                        "action" => b.action = Some(v.to_ascii_lowercase().chars().take(20).collect()),
                        _ => {}
                    }
                }
            }
            "message/rfc822" | "message/global" => {
                if let PartType::Message(inner) = &part.body {
                    if let Some(id) = inner.message_id() {
                        b.original_message_id.get_or_insert_with(|| id.trim_matches(['<', '>']).to_string());
                    }
                }
                is_dsn = true;
            }
            "text/rfc822-headers" | "message/rfc822-headers" => {
                is_dsn = true;
                let body = String::from_utf8_lossy(part.contents()).into_owned();
                let id = body
                    .lines()
                    .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().trim_matches(['<', '>']).to_string());
                if let Some(id) = id.filter(|i| !i.is_empty()) {
                    b.original_message_id.get_or_insert(id);
                }
            }
            _ => {}
        }
    }
    if b.original_message_id.is_none() {
        b.original_message_id = ids(m.in_reply_to()).into_iter().next();
    }
    is_dsn.then_some(b)
}
