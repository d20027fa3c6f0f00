//! What kind of message arrived, from its headers alone: a person writing, or a machine
//! (auto-replies, lists, bounces, our own mail coming back). Mail from a machine is recorded
//! and may be threaded, but nothing automatic ever answers it.

use crate::address::is_mail_system;
use serde::Serialize;

/// The header facts classification looks at, as parsed from a message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Signals {
    /// `Auto-Submitted` (RFC 3834), lower-cased.
    pub auto_submitted: Option<String>,
    /// `Precedence`, lower-cased.
    pub precedence: Option<String>,
    pub has_list_id: bool,
    /// `Return-Path: <>`: the null sender of bounces and other automatic mail.
    pub null_return_path: bool,
    /// `Content-Type: multipart/report` (DSNs, read receipts, feedback reports).
    pub multipart_report: bool,
    /// Our own `X-Opsdesk-Loop` header (any Opsdesk's outgoing mail).
    pub loop_header: bool,
    /// Vendor auto-reply markers: `X-Autoreply`, `X-Autorespond`, `X-Auto-Response-Suppress`
    /// with `All`/`OOF`, Microsoft's `X-MS-Exchange-Generated-Message-Source`.
    pub vendor_autoreply: bool,
}

/// What a message is, for the pipeline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Classification {
    /// Never answer it automatically (no acknowledgement, no notification in reply to it).
    pub automatic: bool,
    /// Our own mail coming back: dropped (recorded, not posted).
    pub ours: bool,
    /// Why, for the record (`auto_submitted`, `precedence_bulk`, ...).
    pub reasons: Vec<&'static str>,
}

/// Classifies a message by its signals, its sender, and the addresses that are ours.
pub fn classify(s: &Signals, from: Option<&str>, our_addresses: &[String]) -> Classification {
    let mut reasons = Vec::new();
    if s.auto_submitted.as_deref().is_some_and(|v| v.split(';').next().unwrap_or("").trim() != "no") {
        reasons.push("auto_submitted");
    }
    if s.precedence.as_deref().is_some_and(|p| matches!(p.trim(), "bulk" | "list" | "junk" | "auto_reply")) {
        reasons.push("precedence");
    }
    if s.has_list_id {
        reasons.push("list");
    }
    if s.null_return_path {
        reasons.push("null_return_path");
    }
    if s.multipart_report {
        reasons.push("report");
    }
    if s.loop_header {
        reasons.push("loop_header");
    }
    if s.vendor_autoreply {
        reasons.push("autoreply");
    }
    let from = from.unwrap_or("");
    if from.is_empty() {
        reasons.push("no_sender");
    } else if is_mail_system(from) {
        reasons.push("mail_system");
    }
    let ours = !from.is_empty() && our_addresses.iter().any(|a| a == from);
    if ours {
        reasons.push("own_address");
    }
    Classification { automatic: !reasons.is_empty(), ours, reasons }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person() -> Signals {
        Signals::default()
    }

    #[test]
    fn a_person_may_be_answered() {
        let c = classify(&person(), Some("kim@example.test"), &[]);
        assert!(!c.automatic && !c.ours, "{c:?}");
    }

    #[test]
    fn auto_submitted_other_than_no_is_automatic() {
        for v in ["auto-replied", "auto-generated", "auto-notified; owner-email=x@y"] {
            let s = Signals { auto_submitted: Some(v.into()), ..person() };
            assert!(classify(&s, Some("kim@example.test"), &[]).automatic, "{v}");
        }
        let s = Signals { auto_submitted: Some("no".into()), ..person() };
        assert!(!classify(&s, Some("kim@example.test"), &[]).automatic);
    }

    #[test]
    fn bulk_list_junk_reports_and_daemons_are_automatic() {
        for p in ["bulk", "list", "junk"] {
            let s = Signals { precedence: Some(p.into()), ..person() };
            assert_eq!(classify(&s, Some("a@example.test"), &[]).reasons, vec!["precedence"]);
        }
        assert!(classify(&Signals { null_return_path: true, ..person() }, Some("a@example.test"), &[]).automatic);
        assert!(classify(&Signals { multipart_report: true, ..person() }, Some("a@example.test"), &[]).automatic);
        assert!(classify(&Signals { has_list_id: true, ..person() }, Some("a@example.test"), &[]).automatic);
        assert!(classify(&person(), Some("mailer-daemon@example.test"), &[]).automatic);
        assert!(classify(&person(), None, &[]).automatic);
    }

    #[test]
    fn our_own_address_is_ours_and_loop_header_is_automatic() {
        let ours = vec!["help@desk.test".to_string()];
        let c = classify(&person(), Some("help@desk.test"), &ours);
        assert!(c.ours && c.automatic);
        let c = classify(&Signals { loop_header: true, ..person() }, Some("vendor@example.test"), &ours);
        assert!(c.automatic && !c.ours);
    }
}
