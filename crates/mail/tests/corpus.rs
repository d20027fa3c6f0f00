//! The corpus: messages in the shapes real clients produce, each parsed, classified and
//! collapsed as the pipeline would.

use opsdesk_mail::classify::classify;
use opsdesk_mail::quote::collapse;
use opsdesk_mail::InboundMail;

fn load(name: &str) -> InboundMail {
    let path = format!("{}/tests/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    InboundMail::parse(&raw)
}

fn ours() -> Vec<String> {
    vec!["help@desk.test".to_string()]
}

#[test]
fn every_corpus_message_parses_without_panicking() {
    let dir = format!("{}/tests/corpus", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus dir") {
        let path = entry.expect("entry").path();
        let raw = std::fs::read(&path).expect("read");
        let m = InboundMail::parse(&raw);
        assert!(!m.message_id.is_empty(), "{path:?}");
        n += 1;
    }
    assert!(n >= 18, "the corpus has {n} messages");
}

#[test]
fn a_new_request_is_from_a_person_to_the_desk() {
    let m = load("new-request.eml");
    assert_eq!(m.message_id, "new-request-1@example.test");
    let from = m.from.as_ref().expect("from");
    assert_eq!((from.address.as_str(), from.name.as_deref()), ("kim@example.test", Some("Kim Lee")));
    assert!(m.recipients.contains(&"help@desk.test".to_string()));
    assert_eq!(m.subject, "VPN drops every ten minutes");
    assert!(!classify(&m.signals, Some(&from.address), &ours()).automatic);
    let c = collapse(&m.text);
    assert!(c.visible.ends_with("Kim"), "{:?}", c.visible);
    assert!(c.collapsed.as_deref().is_some_and(|s| s.contains("Finance")));
}

#[test]
fn gmail_reply_threads_and_collapses_its_quote() {
    let m = load("gmail-reply.eml");
    assert_eq!(m.in_reply_to, vec!["new-request-1@example.test"]);
    assert_eq!(m.referenced_ids(), vec!["new-request-1@example.test"]);
    let c = collapse(&m.text);
    assert_eq!(c.visible, "It still happens after the update – now every five minutes.");
    assert!(m.html.as_deref().is_some_and(|h| h.contains("every five")));
}

#[test]
fn outlook_reply_decodes_windows_1252_and_collapses_the_header_block() {
    let m = load("outlook-reply.eml");
    assert_eq!(m.from.as_ref().map(|f| f.address.as_str()), Some("kim@example.test"));
    assert_eq!(m.referenced_ids()[0], "CAGmail-reply-2@mail.gmail.com");
    assert!(m.referenced_ids().contains(&"new-request-1@example.test".to_string()));
    let c = collapse(&m.text);
    assert!(c.visible.starts_with("Grüezi, the new client fixed it – thank you!"), "{:?}", c.visible);
    assert!(!c.visible.contains("Please install"));
    let html = m.html.expect("html");
    assert!(!html.contains("<style") && !html.contains("<meta"), "{html}");
}

#[test]
fn apple_mail_reply_has_an_inline_image_and_threads_by_subject() {
    let m = load("apple-mail-reply.eml");
    assert!(m.in_reply_to.is_empty() && m.references.is_empty());
    assert_eq!(opsdesk_mail::thread::number_in_subject(&m.subject).as_deref(), Some("INC-1"));
    let img = m.attachments.iter().find(|a| a.content_type == "image/png").expect("image");
    assert!(img.inline && img.content_id.as_deref() == Some("screenshot-1@example.test"));
    assert!(img.data.starts_with(b"\x89PNG"));
    assert!(m.html.as_deref().is_some_and(|h| h.contains("cid:screenshot-1@example.test")));
    assert_eq!(collapse(&m.text).visible, "Here is a screenshot of the error.");
}

#[test]
fn a_forward_keeps_the_forwarded_text_and_attaches_the_message() {
    let m = load("forward.eml");
    let c = collapse(&m.text);
    assert!(c.visible.contains("restarted on Monday"), "{:?}", c.visible);
    let eml = m.attachments.iter().find(|a| a.content_type == "message/rfc822").expect("attached message");
    assert!(String::from_utf8_lossy(&eml.data).contains("maint-77@vendor.test"));
}

#[test]
fn html_only_mail_is_sanitised_and_has_text() {
    let m = load("html-only.eml");
    assert!(m.text.contains("PRN-3") && m.text.contains("second"), "{:?}", m.text);
    let html = m.html.expect("html");
    for bad in ["<script", "onload", "<base", "<meta", "<form", "tracker.test", "javascript:"] {
        assert!(!html.contains(bad), "{bad} in {html}");
    }
    assert!(html.contains("https://kb.example.test/printers"));
}

#[test]
fn nested_multiparts_give_text_html_inline_image_and_attachment() {
    let m = load("nested-multipart.eml");
    assert_eq!(m.text.trim(), "Please order the laptop in the attached quote.");
    assert!(m.html.as_deref().is_some_and(|h| h.contains("<b>attached</b>")));
    let pdf = m.attachments.iter().find(|a| a.filename == "quote.pdf").expect("pdf");
    assert!(!pdf.inline && pdf.data.starts_with(b"%PDF"));
    assert!(m.attachments.iter().any(|a| a.inline && a.content_id.as_deref() == Some("logo@example.test")));
    assert!(m.recipients.contains(&"sam@example.test".to_string()));
}

#[test]
fn non_utf8_charsets_are_decoded() {
    let m = load("iso-8859-1.eml");
    assert_eq!(m.subject, "Drucker funktioniert nicht – Büro 12");
    assert_eq!(m.from.and_then(|f| f.name).as_deref(), Some("Jürgen Müller"));
    assert!(m.text.contains("Grüße, Jürgen"), "{:?}", m.text);
    let m = load("koi8-r.eml");
    assert_eq!(m.subject, "Проблема с почтой");
    assert!(m.text.contains("Не приходит почта"), "{:?}", m.text);
    let m = load("iso-2022-jp.eml");
    assert_eq!(m.subject, "メール");
    assert!(m.text.contains("メールが届きません"), "{:?}", m.text);
}

#[test]
fn attachment_names_in_unicode_and_dangerous_names_arrive_as_sent() {
    let m = load("unicode-attachment.eml");
    let names: Vec<&str> = m.attachments.iter().map(|a| a.filename.as_str()).collect();
    assert!(names.contains(&"Protokoll über „VPN“.txt"), "{names:?}");
    // The name is only displayed; the store cleans paths and direction marks (tested there).
    assert!(names.iter().any(|n| n.contains("passwd")), "{names:?}");
    assert!(names.iter().any(|n| n.contains('\u{202e}')), "{names:?}");
}

#[test]
fn broken_mime_keeps_what_it_can() {
    let m = load("broken-mime.eml");
    assert!(!m.malformed);
    assert_eq!(m.message_id, "broken-12@example.test");
    assert_eq!(m.subject, "Broken message");
    let m = load("not-mime.eml");
    assert!(m.message_id.starts_with("sha256-") || m.malformed, "{m:?}");
    assert!(m.from.is_none());
}

#[test]
fn huge_headers_are_bounded() {
    let m = load("huge-headers.eml");
    assert_eq!(m.message_id, "huge-13@example.test");
    assert!(m.references.len() <= 50 && m.references.last().map(String::as_str) == Some("ref-1999@example.test"));
    assert!(m.recipients.len() <= 200 && m.recipients[0] == "help@desk.test");
    assert!(m.text.contains("huge headers"));
}

#[test]
fn auto_replies_lists_and_bounces_are_automatic() {
    let m = load("auto-reply.eml");
    let c = classify(&m.signals, m.from.as_ref().map(|f| f.address.as_str()), &ours());
    assert!(c.automatic && c.reasons.contains(&"auto_submitted"), "{c:?}");
    let m = load("bulk-newsletter.eml");
    let c = classify(&m.signals, m.from.as_ref().map(|f| f.address.as_str()), &ours());
    assert!(c.reasons.contains(&"precedence") && c.reasons.contains(&"list"), "{c:?}");
    let m = load("dsn-bounce.eml");
    let c = classify(&m.signals, m.from.as_ref().map(|f| f.address.as_str()), &ours());
    assert!(c.reasons.contains(&"report") && c.reasons.contains(&"null_return_path"), "{c:?}");
    let b = m.bounce.expect("a bounce");
    assert_eq!(b.original_message_id.as_deref(), Some("opsdesk.bounced-original@desk.test"));
    assert_eq!(b.recipient.as_deref(), Some("gone@example.test"));
    assert_eq!(b.status.as_deref(), Some("5.1.1"));
    assert_eq!(b.action.as_deref(), Some("failed"));
}

#[test]
fn a_message_without_an_id_gets_a_stable_one() {
    let a = load("no-message-id.eml");
    let b = load("no-message-id.eml");
    assert!(a.message_id.starts_with("sha256-"));
    assert_eq!(a.message_id, b.message_id);
}
