//! Outgoing mail as bytes: multipart text and HTML, Message-ID, In-Reply-To and References
//! set so that replies thread back, `Auto-Submitted: auto-generated` on automatic mail, and our
//! loop header. Header values are stripped of CR/LF before they go anywhere near a header.

use crate::address::Mailbox;
use crate::LOOP_HEADER;
use mail_builder::headers::address::Address;
use mail_builder::headers::raw::Raw;
use mail_builder::MessageBuilder;

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub from: Mailbox,
    pub to: Mailbox,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Without angle brackets.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// Notifications are automatic; a human's reply relayed by mail would not be.
    pub auto_generated: bool,
    /// Unix seconds for the Date header.
    pub date: i64,
}

impl Outgoing {
    /// An automatic message to one person, not in any thread: its HTML part is the text's.
    pub fn notice(
        from: Mailbox,
        to: Mailbox,
        subject: String,
        text: String,
        message_id: String,
        date: i64,
    ) -> Outgoing {
        Outgoing {
            from,
            to,
            html: crate::template::text_to_html(&text),
            subject,
            text,
            message_id,
            in_reply_to: None,
            references: vec![],
            auto_generated: true,
            date,
        }
    }
}

/// A fresh Message-ID (without brackets) in our domain.
pub fn new_message_id(domain: &str) -> String {
    let domain = if domain.is_empty() { "opsdesk.invalid" } else { domain };
    format!("opsdesk.{}@{}", uuid::Uuid::new_v4().simple(), one_line(domain))
}

/// A header-safe version of `s`: one line, no control characters.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn mailbox(m: &Mailbox) -> Address<'static> {
    let name = m.name.as_deref().map(one_line).filter(|n| !n.is_empty());
    Address::new_address(name, one_line(&m.address))
}

/// The message as RFC 5322 bytes.
pub fn build(o: &Outgoing) -> Vec<u8> {
    let mut b = MessageBuilder::new()
        .from(mailbox(&o.from))
        .to(mailbox(&o.to))
        .subject(one_line(&o.subject))
        .message_id(one_line(&o.message_id))
        .date(o.date)
        .header(LOOP_HEADER, Raw::new(one_line(&o.from.address)))
        .text_body(o.text.clone())
        .html_body(o.html.clone());
    if let Some(irt) = &o.in_reply_to {
        b = b.in_reply_to(one_line(irt));
    }
    if !o.references.is_empty() {
        b = b.references(o.references.iter().map(|r| one_line(r)).collect::<Vec<String>>());
    }
    if o.auto_generated {
        b = b.header("Auto-Submitted", Raw::new("auto-generated")).header("X-Auto-Response-Suppress", Raw::new("All"));
    }
    // Writing to a Vec cannot fail.
    b.write_to_vec().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    fn sample() -> Outgoing {
        Outgoing {
            from: Mailbox { address: "help@desk.test".into(), name: Some("IT\r\nBcc: evil@x.test".into()) },
            to: Mailbox { address: "kim@example.test".into(), name: Some("Kim Lee".into()) },
            subject: "Re: [INC-1] VPN\r\nBcc: evil@x.test".into(),
            text: "Hello".into(),
            html: "<p>Hello</p>".into(),
            message_id: "opsdesk.abc@desk.test".into(),
            in_reply_to: Some("orig@example.test".into()),
            references: vec!["first@example.test".into(), "orig@example.test".into()],
            auto_generated: true,
            date: 1_780_000_000,
        }
    }

    #[test]
    fn threading_and_automatic_headers_are_set() {
        let raw = build(&sample());
        let m = MessageParser::default().parse(&raw).expect("parses");
        assert_eq!(m.message_id(), Some("opsdesk.abc@desk.test"));
        assert_eq!(m.in_reply_to().as_text(), Some("orig@example.test"));
        let refs: Vec<&str> = m.references().as_text_list().unwrap_or_default().iter().map(|c| c.as_ref()).collect();
        assert_eq!(refs, vec!["first@example.test", "orig@example.test"]);
        assert_eq!(m.header_raw("Auto-Submitted").map(str::trim), Some("auto-generated"));
        assert!(m.header_raw(LOOP_HEADER).is_some());
        assert_eq!(m.body_text(0).as_deref().map(str::trim), Some("Hello"));
        assert!(m.body_html(0).is_some_and(|h| h.contains("<p>Hello</p>")));
    }

    #[test]
    fn cr_lf_never_reaches_a_header() {
        let raw = String::from_utf8(build(&sample())).expect("ascii");
        assert!(!raw.lines().any(|l| l.to_ascii_lowercase().starts_with("bcc:")), "{raw}");
        let m = MessageParser::default().parse(raw.as_bytes()).expect("parses");
        assert!(m.bcc().is_none());
        assert_eq!(m.subject(), Some("Re: [INC-1] VPN Bcc: evil@x.test"));
    }
}
