//! The email channel, outbound: notifications rendered from the desk's templates, threaded
//! back to the ticket, sent through the job queue to a loopback SMTP sink, retried on
//! failure, and never in answer to a machine.

use crate::both_backends;
use crate::helpers::*;
use crate::mail::{corpus, reply, set_desk_address};
use crate::smtp_sink::{Delivered, SmtpSink};
use opsdesk::server::Role;
use opsdesk_app::mail::{MailConfig, Outcome};
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

pub async fn server_with_sink(db: &TestDb) -> (TestServer, SmtpSink) {
    let sink = SmtpSink::start().await;
    let mail = MailConfig {
        smtp_url: Some(sink.url.clone()),
        base_url: Some("https://desk.example.test".into()),
        ..MailConfig::default()
    };
    let server = db.start_with_mail(Role::All, false, mail).await;
    set_desk_address(server.app(), "hold").await;
    (server, sink)
}

/// Waits until `n` messages have reached `to`, and returns them.
pub async fn delivered(sink: &SmtpSink, to: &str, n: usize) -> Vec<Delivered> {
    eventually(WAIT, &format!("{n} messages to {to}"), || {
        let got = sink.to(to);
        async move { (got.len() >= n).then_some(got) }
    })
    .await
}

/// Waits until the outbox and every mail job are done.
async fn settled(server: &TestServer) {
    let db = server.app().db.clone();
    eventually(WAIT, "mail jobs to finish", || {
        let db = db.clone();
        async move {
            let pending = db.has_pending_events().await.ok()?;
            let mut busy = false;
            for state in ["queued", "running"] {
                busy |= db.jobs(Some(state), None, 500).await.ok()?.iter().any(|j| j.kind.starts_with("mail."));
            }
            (!pending && !busy).then_some(())
        }
    })
    .await
}

fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    raw.lines().find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':'))).map(str::trim)
}

both_backends! {
    async fn the_acknowledgement_threads_back_and_a_reply_to_it_lands(db: TestDb) {
        let (server, sink) = server_with_sink(&db).await;
        let app = server.app();
        let done = app.ingest_mail("IT", &corpus("new-request.eml")).await.expect("ingest");
        let Outcome::Ticket { ticket_id, .. } = done.outcome else { panic!("{done:?}") };
        let ack = delivered(&sink, "kim@example.test", 1).await.remove(0);
        assert_eq!(ack.from, "help@desk.test");
        let m = ack.parsed();
        assert_eq!(m.subject, "[INC-1] VPN drops every ten minutes");
        assert_eq!(m.in_reply_to, vec!["new-request-1@example.test"]);
        assert_eq!(m.references, vec!["new-request-1@example.test"]);
        assert!(m.text.contains("logged it as INC-1") && m.text.contains("Kim Lee"), "{}", m.text);
        assert!(m.html.as_deref().is_some_and(|h| h.contains("INC-1")), "multipart text and HTML");
        let raw = ack.text();
        assert_eq!(header(&raw, "Auto-Submitted"), Some("auto-generated"));
        assert!(header(&raw, "X-Opsdesk-Loop").is_some());
        assert!(m.from.as_ref().is_some_and(|f| f.name.as_deref() == Some("IT Help")));

        // Kim answers the acknowledgement: it threads by our Message-ID.
        let answer = reply("Kim Lee <kim@example.test>", "kim-2@example.test", &m.message_id, &format!("Re: {}", m.subject), "Still broken.");
        let done = app.ingest_mail("IT", &answer).await.expect("ingest");
        assert!(matches!(done.outcome, Outcome::Comment { ticket_id: t, .. } if t == ticket_id), "{done:?}");
        settled(&server).await;
        // Her own reply draws no mail back to her.
        assert_eq!(sink.to("kim@example.test").len(), 1);
        let out = app.db.mail_of_ticket(ticket_id).await.expect("mail");
        assert!(out.iter().any(|r| r.direction == "out" && r.status == "sent" && r.notice.as_deref() == Some("created")));
        server.stop().await;
    }

    async fn an_auto_reply_draws_no_answer(db: TestDb) {
        let (server, sink) = server_with_sink(&db).await;
        let app = server.app();
        let auto = app.ingest_mail("IT", &corpus("auto-reply.eml")).await.expect("ingest");
        let Outcome::Ticket { ticket_id, .. } = auto.outcome else { panic!("{auto:?}") };
        app.ingest_mail("IT", &corpus("bulk-newsletter.eml")).await.expect("ingest");
        app.ingest_mail("IT", &corpus("new-request.eml")).await.expect("ingest");
        delivered(&sink, "kim@example.test", 1).await;
        settled(&server).await;
        assert!(sink.to("sam@example.test").is_empty(), "no acknowledgement of an auto-reply");
        assert!(sink.to("news@vendor.test").is_empty(), "no acknowledgement of bulk mail");
        let out = app.db.mail_of_ticket(ticket_id).await.expect("mail");
        assert!(out.iter().all(|m| m.direction == "in"), "{out:?}");
        assert_eq!(sink.messages().len(), 1);
        server.stop().await;
    }

    async fn replies_assignment_and_resolution_notify_and_a_reply_reopens(db: TestDb) {
        let (server, sink) = server_with_sink(&db).await;
        let app = server.app();
        app.ingest_mail("IT", &corpus("new-request.eml")).await.expect("ingest");
        delivered(&sink, "kim@example.test", 1).await;
        let (_, admin) = server.user("admin").await;
        let (agent, _) = server.user("agent").await;
        let (watcher, _) = server.user("requester").await;
        let r = admin.post("/api/v1/tickets/INC-1/watchers", json!({ "user": watcher.id })).await;
        assert!(r.status < 300, "{:?}", r.body);
        let r = admin.post("/api/v1/tickets/INC-1/comments", json!({ "body": "Internal: check the VPN logs", "public": false })).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let r = admin.post("/api/v1/tickets/INC-1/comments", json!({ "body": "Please restart the client.", "public": true })).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let notice = delivered(&sink, "kim@example.test", 2).await.remove(1).parsed();
        assert_eq!(notice.subject, "Re: [INC-1] VPN drops every ten minutes");
        assert!(notice.text.contains("Please restart the client.") && !notice.text.contains("Internal"), "{}", notice.text);
        assert_eq!(notice.in_reply_to, vec!["new-request-1@example.test"]);
        assert!(notice.references.first().map(String::as_str) == Some("new-request-1@example.test"), "{:?}", notice.references);
        let to_watcher = delivered(&sink, &watcher.email, 1).await.remove(0).parsed();
        assert!(to_watcher.text.contains("Please restart the client."));

        let r = admin.patch("/api/v1/tickets/INC-1", json!({ "assignee": agent.id })).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let assigned = delivered(&sink, &agent.email, 1).await.remove(0).parsed();
        assert!(assigned.subject.contains("assigned to you"), "{}", assigned.subject);
        assert!(assigned.text.contains("https://desk.example.test/agent/tickets/INC-1"), "{}", assigned.text);

        let r = admin.post("/api/v1/tickets/INC-1/transitions", json!({ "to": "resolved", "comment": "New client rolled out." })).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let resolved = delivered(&sink, "kim@example.test", 3).await.remove(2).parsed();
        assert!(resolved.subject.contains("resolved") && resolved.text.contains("reopened"), "{}", resolved.text);

        // Replying to the resolution reopens the ticket.
        let answer = reply("kim@example.test", "kim-3@example.test", &resolved.message_id, "Re: resolved", "Not fixed for me.");
        let done = app.ingest_mail("IT", &answer).await.expect("ingest");
        assert!(matches!(done.outcome, Outcome::Comment { .. }), "{done:?}");
        let t = app.db.ticket_by_number("INC-1").await.expect("ticket");
        assert!(t.is_open, "reopened: {:?}", t.status);
        settled(&server).await;
        assert_eq!(sink.to("kim@example.test").len(), 3, "no notice of her own reply, none of the internal note");
        server.stop().await;
    }

    async fn a_failed_delivery_is_visible_on_the_ticket_and_retried(db: TestDb) {
        let (server, sink) = server_with_sink(&db).await;
        // The first attempt is refused; the retry gets through. The test then reads the
        // delivery history, which keeps the failure, instead of racing the retry for it.
        sink.refuse_next(1);
        let app = server.app();
        let done = app.ingest_mail("IT", &corpus("new-request.eml")).await.expect("ingest");
        let Outcome::Ticket { ticket_id, .. } = done.outcome else { panic!() };
        delivered(&sink, "kim@example.test", 1).await;
        settled(&server).await;
        assert_eq!(sink.stop_refusing(), 0, "the refusal was used");
        let (admin_user, admin) = server.user("admin").await;
        let r = admin.get("/api/v1/tickets/INC-1/mail").await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let out: Vec<&Value> = r.body["items"].as_array().expect("items").iter().filter(|m| m["direction"] == "out").collect();
        assert_eq!(out.len(), 1, "{out:?}");
        let m = out[0];
        assert_eq!((m["status"].as_str(), m["attempts"].as_i64()), (Some("sent"), Some(2)), "{m}");
        let tries = m["deliveries"].as_array().expect("deliveries");
        assert_eq!(tries.len(), 2, "{m}");
        assert_eq!((tries[0]["attempt"].as_i64(), tries[0]["outcome"].as_str()), (Some(1), Some("failed")), "{m}");
        assert!(tries[0]["error"].as_str().is_some_and(|e| e.contains("451")), "{m}");
        assert_eq!((tries[1]["attempt"].as_i64(), tries[1]["outcome"].as_str()), (Some(2), Some("sent")), "{m}");
        assert!(tries[1]["error"].is_null(), "{m}");
        let stored: Vec<_> = app.db.mail_of_ticket(ticket_id).await.expect("mail").into_iter().filter(|m| m.direction == "out").collect();
        assert_eq!(stored[0].id, m["id"].as_i64().expect("id"));

        // The ticket page's Mail section lists both attempts, the failure with its error.
        let browser = session_with(&server, &admin_user.email, "a long enough password").await;
        let (status, html) = page(&browser, "/agent/tickets/INC-1").await;
        assert_eq!(status, 200);
        let section = &html[html.find("id=\"mail\"").expect("mail section")..];
        assert!(section.contains("Attempt 1,") && section.contains("Attempt 2,"), "{section}");
        let first = &section[section.find("Attempt 1,").expect("attempt 1")..];
        assert!(first[..first.find("</li>").expect("li")].contains("451"), "{first}");

        let raw = admin.get(&format!("/api/v1/tickets/INC-1/mail/{}/raw", stored[0].id)).await;
        assert_eq!(raw.status, 200);
        assert_eq!(raw.content_type(), "message/rfc822");
        let (_, requester) = server.user("requester").await;
        requester.get("/api/v1/tickets/INC-1/mail").await.assert_problem(404, "not_found");
        server.stop().await;
    }

    async fn admins_edit_templates_per_desk_and_values_render_literally(db: TestDb) {
        let (server, sink) = server_with_sink(&db).await;
        let (_, admin) = server.user("admin").await;
        let (_, requester) = server.user("requester").await;
        let body = json!({
            "address": "Help@Desk.test",
            "from_name": "IT Help",
            "templates": { "created": { "subject": "Got it: {{ticket.title}}", "text": "Ref {{ ticket.number }} for {{requester.name}}" } },
        });
        requester.send(reqwest::Method::PUT, "/api/v1/desks/1/mail", Some(body.clone())).await.assert_problem(403, "forbidden");
        requester.get("/api/v1/desks/1/mail").await.assert_problem(403, "forbidden");
        let r = admin.send(reqwest::Method::PUT, "/api/v1/desks/1/mail", Some(body)).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["address"], "help@desk.test");
        assert_eq!(r.body["customised"], json!(["created"]));
        assert!(r.body["templates"]["resolved"]["text"].as_str().is_some_and(|t| t.contains("reopened")));
        let bad = json!({ "address": "help@desk.test", "templates": { "created": { "subject": "x", "text": "{{ticket.secret}}" }, "weekly": { "subject": "x", "text": "y" } } });
        let r = admin.send(reqwest::Method::PUT, "/api/v1/desks/1/mail", Some(bad)).await;
        r.assert_problem(422, "validation_failed");
        let fields: Vec<&str> = r.body["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
        assert!(fields.contains(&"templates.created.text") && fields.contains(&"templates.weekly"), "{fields:?}");
        admin.send(reqwest::Method::PUT, "/api/v1/desks/1/mail", Some(json!({ "address": "nope" }))).await.assert_problem(422, "validation_failed");

        let raw = b"From: Kim <kim@example.test>\r\nTo: help@desk.test\r\nSubject: {{7*7}} <b>bold</b>\r\nMessage-ID: <tpl-1@example.test>\r\n\r\nhi\r\n";
        server.app().ingest_mail("IT", raw).await.expect("ingest");
        let ack = delivered(&sink, "kim@example.test", 1).await.remove(0).parsed();
        assert_eq!(ack.subject, "Got it: {{7*7}} <b>bold</b>");
        assert_eq!(ack.text.trim(), "Ref INC-1 for Kim");
        server.stop().await;
    }
}

#[tokio::test]
async fn mail_in_exits_75_when_the_database_is_unreachable() {
    let port = free_port();
    let out = std::process::Command::new(opsdesk_bin())
        .env("OPSDESK_DATABASE_URL", format!("postgres://postgres@127.0.0.1:{port}/none"))
        .env("RUST_LOG", "off")
        .args(["mail-in", "--desk", "IT"])
        .stdin(
            std::fs::File::open(format!("{}/../mail/tests/corpus/new-request.eml", env!("CARGO_MANIFEST_DIR")))
                .expect("corpus"),
        )
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(75), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("temporary failure") && err.trim().lines().count() == 1, "{err}");
}
