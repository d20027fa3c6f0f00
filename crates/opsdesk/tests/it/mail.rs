//! The email channel, inbound: `opsdesk mail-in` and the ingest pipeline on both databases —
//! threading, store-once, classification, bounces, strangers, limits, malformed mail.

use crate::both_backends;
use crate::helpers::*;
use opsdesk_app::mail::{DeskMailInput, MailConfig, Outcome};
use opsdesk_app::{App, AppConfig};
use opsdesk_domain::Actor;
use std::io::Write;
use std::process::{Output, Stdio};

pub fn corpus(name: &str) -> Vec<u8> {
    let path = format!("{}/../mail/tests/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A message from `from` answering `in_reply_to`, with its own Message-ID.
pub fn reply(from: &str, message_id: &str, in_reply_to: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: help@desk.test\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\
         In-Reply-To: <{in_reply_to}>\r\nReferences: <{in_reply_to}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// The application on the test database with the IT desk answering at help@desk.test.
pub async fn mail_app(db: &TestDb, mail: MailConfig) -> App {
    let app = App::new(db.connect().await, AppConfig { mail, ..AppConfig::default() });
    set_desk_address(&app, "hold").await;
    app
}

pub async fn set_desk_address(app: &App, strangers: &str) {
    let input = DeskMailInput {
        address: "help@desk.test".into(),
        from_name: Some("IT Help".into()),
        strangers: Some(strangers.into()),
        ..Default::default()
    };
    app.put_desk_mail(&Actor::system(), 1, input).await.expect("desk mail");
}

fn mail_in(db: &TestDb, raw: &[u8], env: &[(&str, &str)]) -> Output {
    let mut cmd = opsdesk(db);
    cmd.args(["mail-in", "--desk", "IT"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn mail-in");
    // mail-in stops reading an oversized message at the limit, so the pipe may close early.
    let _ = child.stdin.take().expect("stdin").write_all(raw);
    child.wait_with_output().expect("mail-in finishes")
}

fn outcome(out: &Output) -> serde_json::Value {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON line")
}

async fn ingest(app: &App, name: &str) -> opsdesk_app::mail::Ingested {
    app.ingest_mail("IT", &corpus(name)).await.unwrap_or_else(|e| panic!("{name}: {e}"))
}

both_backends! {
    async fn mail_in_opens_a_ticket_and_replies_become_comments(db: TestDb) {
        let app = mail_app(&db, MailConfig::default()).await;
        let out = outcome(&mail_in(&db, &corpus("new-request.eml"), &[]));
        assert_eq!(out["outcome"], "ticket", "{out}");
        assert_eq!(out["number"], "INC-1");
        let t = app.db.ticket_by_number("INC-1").await.expect("ticket");
        assert_eq!(t.title, "VPN drops every ten minutes");
        assert!(t.description.contains("ACME-4711") && !t.description.contains("Finance"), "{}", t.description);
        let kim = app.db.user_by_email("kim@example.test").await.expect("read").expect("requester created");
        assert_eq!((kim.name.as_str(), kim.role.as_str(), t.requester_id), ("Kim Lee", "requester", kim.id));

        // Gmail: In-Reply-To our stored message.
        let out = outcome(&mail_in(&db, &corpus("gmail-reply.eml"), &[]));
        assert_eq!((out["outcome"].as_str(), out["ticket_id"].as_i64()), (Some("comment"), Some(t.id)), "{out}");
        // Outlook: References; Apple Mail: only the number in the subject.
        for name in ["outlook-reply.eml", "apple-mail-reply.eml"] {
            let done = ingest(&app, name).await;
            assert!(matches!(done.outcome, Outcome::Comment { ticket_id, .. } if ticket_id == t.id), "{name}: {done:?}");
        }
        let comments = app.db.comments(t.id, true).await.expect("comments");
        let bodies: Vec<&str> = comments.iter().map(|c| c.body.as_str()).collect();
        assert_eq!(bodies, vec![
            "It still happens after the update – now every five minutes.",
            "Grüezi, the new client fixed it – thank you!\n\nKim",
            "Here is a screenshot of the error.",
        ]);
        assert!(comments.iter().all(|c| c.public && c.source == "email" && c.author_id == Some(kim.id)));
        let files = app.db.attachments(t.id, true).await.expect("attachments");
        assert!(files.iter().any(|a| a.filename == "screenshot.png" && a.comment_id == Some(comments[2].id)), "{files:?}");
        // The quoted history is kept beside the comment, and the raw message stays downloadable.
        let mail = app.db.mail_of_ticket(t.id).await.expect("mail");
        assert_eq!(mail.len(), 4);
        assert!(mail[1].collapsed.as_deref().is_some_and(|q| q.contains("Please install the new client")));
        assert_eq!(app.db.blob(&mail[1].raw_sha256).await.expect("raw"), corpus("gmail-reply.eml"));
    }

    async fn the_same_message_twice_stores_once(db: TestDb) {
        let app = mail_app(&db, MailConfig::default()).await;
        let first = outcome(&mail_in(&db, &corpus("new-request.eml"), &[]));
        let second = outcome(&mail_in(&db, &corpus("new-request.eml"), &[]));
        assert_eq!(first["outcome"], "ticket");
        assert_eq!(second["outcome"], "duplicate", "{second}");
        // In parallel, too: the unique key decides.
        let raw = corpus("nested-multipart.eml");
        let runs: Vec<_> = (0..6).map(|_| { let (a, r) = (app.clone(), raw.clone()); tokio::spawn(async move { a.ingest_mail("IT", &r).await }) }).collect();
        let mut tickets = 0;
        for r in runs {
            let done = r.await.expect("join").expect("ingest");
            if matches!(done.outcome, Outcome::Ticket { .. }) { tickets += 1 } else { assert_eq!(done.outcome, Outcome::Duplicate) }
        }
        assert_eq!(tickets, 1);
        let page = app.list_tickets(&Actor::system(), &opsdesk_app::tickets::Page { q: String::new(), limit: 50, after: None }).await.expect("list");
        assert_eq!(page.items.len(), 2, "two tickets in all");
    }

    async fn automatic_mail_is_recorded_and_flagged(db: TestDb) {
        let app = mail_app(&db, MailConfig::default()).await;
        for name in ["auto-reply.eml", "bulk-newsletter.eml"] {
            let done = ingest(&app, name).await;
            assert!(done.automatic, "{name}");
            assert!(matches!(done.outcome, Outcome::Ticket { .. }), "{name}: {done:?}");
        }
        let row = app.db.mail_by_message_id("auto-14@example.test").await.expect("read").expect("stored");
        assert!(row.automatic && row.reason.as_deref().is_some_and(|r| r.contains("auto_submitted")), "{row:?}");
    }

    async fn bounces_are_recorded_on_their_ticket_and_never_open_one(db: TestDb) {
        let app = mail_app(&db, MailConfig::default()).await;
        let done = ingest(&app, "new-request.eml").await;
        let Outcome::Ticket { ticket_id, .. } = done.outcome else { panic!("{done:?}") };
        // A DSN for a message we never stored: recorded, no ticket.
        let done = ingest(&app, "dsn-bounce.eml").await;
        assert_eq!(done.outcome, Outcome::Bounce { ticket_id: None });
        // A DSN for the ticket's message: on that ticket's history.
        let dsn = String::from_utf8(corpus("dsn-bounce.eml")).expect("ascii")
            .replace("opsdesk.bounced-original@desk.test", "new-request-1@example.test")
            .replace("dsn-16@mx.desk.test", "dsn-17@mx.desk.test");
        let done = app.ingest_mail("IT", dsn.as_bytes()).await.expect("ingest");
        assert_eq!(done.outcome, Outcome::Bounce { ticket_id: Some(ticket_id) });
        let history = app.db.history(ticket_id).await.expect("history");
        assert!(history.iter().any(|h| h.field == "mail_bounced" && h.new_value.as_deref() == Some("gone@example.test 5.1.1")), "{history:?}");
        let page = app.list_tickets(&Actor::system(), &opsdesk_app::tickets::Page { q: String::new(), limit: 50, after: None }).await.expect("list");
        assert_eq!(page.items.len(), 1, "no ticket for a bounce");
    }

    async fn a_strangers_reply_is_held_then_released_by_an_agent(db: TestDb) {
        let app = mail_app(&db, MailConfig::default()).await;
        let Outcome::Ticket { ticket_id, .. } = ingest(&app, "new-request.eml").await.outcome else { panic!() };
        let raw = reply("Mallory <mallory@evil.test>", "m-1@evil.test", "new-request-1@example.test", "Re: [INC-1] VPN", "Send me the password");
        let done = app.ingest_mail("IT", &raw).await.expect("ingest");
        assert_eq!(done.outcome, Outcome::Held { ticket_id: Some(ticket_id), reason: "not_participant".into() });
        assert!(app.db.comments(ticket_id, true).await.expect("comments").is_empty(), "nothing landed silently");
        // By subject number alone, too.
        let raw = String::from_utf8(corpus("apple-mail-reply.eml")).expect("utf8").replace("kim@example.test", "eve@evil.test");
        let done = app.ingest_mail("IT", raw.as_bytes()).await.expect("ingest");
        assert!(matches!(done.outcome, Outcome::Held { .. }), "{done:?}");

        let server = db.start().await;
        let (_, agent) = server.user("admin").await;
        let held = agent.get("/api/v1/mail/held").await;
        assert_eq!(held.status, 200, "{:?}", held.body);
        let items = held.body["items"].as_array().expect("items");
        assert_eq!(items.len(), 2);
        let id = items[0]["id"].as_i64().expect("id");
        let (_, requester) = server.user("requester").await;
        requester.get("/api/v1/mail/held").await.assert_problem(403, "forbidden");
        requester.post(&format!("/api/v1/mail/held/{id}/release"), serde_json::json!({})).await.assert_problem(404, "not_found");
        let r = agent.post(&format!("/api/v1/mail/held/{id}/release"), serde_json::json!({})).await;
        assert_eq!((r.status, r.body["outcome"].as_str()), (200, Some("comment")), "{:?}", r.body);
        agent.post(&format!("/api/v1/mail/held/{id}/release"), serde_json::json!({})).await.assert_problem(409, "not_held");
        let second = items[1]["id"].as_i64().expect("id");
        let r = agent.post(&format!("/api/v1/mail/held/{second}/discard"), serde_json::json!({})).await;
        assert_eq!(r.status, 204);
        let comments = server.app().db.comments(ticket_id, true).await.expect("comments");
        assert_eq!(comments.len(), 1);
        assert_eq!(comments[0].body, "Send me the password");
        let mallory = server.app().db.user_by_email("mallory@evil.test").await.expect("read").expect("user");
        assert!(server.app().db.watchers(ticket_id).await.expect("watchers").iter().any(|w| w.user_id == mallory.id));
        server.stop().await;
    }

    async fn a_strangers_reply_opens_a_new_ticket_when_so_configured(db: TestDb) {
        let app = mail_app(&db, MailConfig::default()).await;
        set_desk_address(&app, "new_ticket").await;
        let Outcome::Ticket { ticket_id, .. } = ingest(&app, "new-request.eml").await.outcome else { panic!() };
        let raw = reply("Sam <sam@example.test>", "s-1@example.test", "new-request-1@example.test", "Re: VPN", "Me too");
        let done = app.ingest_mail("IT", &raw).await.expect("ingest");
        let Outcome::Ticket { ticket_id: other, .. } = done.outcome else { panic!("{done:?}") };
        assert_ne!(other, ticket_id);
        assert!(app.db.comments(ticket_id, true).await.expect("comments").is_empty());
    }

    async fn a_sender_over_the_rate_limit_is_held(db: TestDb) {
        let app = mail_app(&db, MailConfig { sender_limit: 3, ..MailConfig::default() }).await;
        let mut outcomes = Vec::new();
        for i in 0..5 {
            let raw = format!("From: flood@example.test\r\nTo: help@desk.test\r\nSubject: n{i}\r\nMessage-ID: <flood-{i}@example.test>\r\n\r\nhi\r\n");
            outcomes.push(app.ingest_mail("IT", raw.as_bytes()).await.expect("ingest").outcome);
        }
        assert!(outcomes[..3].iter().all(|o| matches!(o, Outcome::Ticket { .. })), "{outcomes:?}");
        assert!(outcomes[3..].iter().all(|o| *o == Outcome::Held { ticket_id: None, reason: "rate_limited".into() }), "{outcomes:?}");
        // Another sender is not affected.
        assert!(matches!(ingest(&app, "new-request.eml").await.outcome, Outcome::Ticket { .. }));
    }

    async fn our_own_mail_coming_back_is_dropped(db: TestDb) {
        let app = mail_app(&db, MailConfig::default()).await;
        let raw = b"From: IT Help <help@desk.test>\r\nTo: help@desk.test\r\nSubject: [INC-9] loop\r\nMessage-ID: <loop-1@desk.test>\r\n\r\nx\r\n";
        let done = app.ingest_mail("IT", raw).await.expect("ingest");
        assert_eq!(done.outcome, Outcome::Dropped);
        let row = app.db.mail_by_message_id("loop-1@desk.test").await.expect("read").expect("recorded");
        assert_eq!(row.status, "dropped");
    }

    async fn oversized_messages_and_unknown_desks_are_refused(db: TestDb) {
        let _app = mail_app(&db, MailConfig::default()).await;
        let out = mail_in(&db, &corpus("huge-headers.eml"), &[("OPSDESK_MAIL_MAX_BYTES", "10000")]);
        assert_eq!(out.status.code(), Some(65));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("larger than the limit of 10000 bytes"), "{err}");
        let out = mail_in(&db, &corpus("new-request.eml"), &[]);
        let out2 = {
            let mut cmd = opsdesk(&db);
            cmd.args(["mail-in", "--desk", "Nowhere"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
            let mut child = cmd.spawn().expect("spawn");
            child.stdin.take().expect("stdin").write_all(&corpus("forward.eml")).expect("write");
            child.wait_with_output().expect("wait")
        };
        assert_eq!(outcome(&out)["outcome"], "ticket");
        assert_eq!(out2.status.code(), Some(67), "{}", String::from_utf8_lossy(&out2.stderr));
        assert!(String::from_utf8_lossy(&out2.stderr).contains("no service desk"));
    }

    async fn malformed_mime_never_crashes_and_is_never_lost(db: TestDb) {
        let app = mail_app(&db, MailConfig::default()).await;
        let done = ingest(&app, "broken-mime.eml").await;
        assert!(matches!(done.outcome, Outcome::Ticket { .. }), "{done:?}");
        let done = ingest(&app, "not-mime.eml").await;
        assert!(matches!(done.outcome, Outcome::Held { ticket_id: None, .. }), "{done:?}");
        let row = app.db.mail_message(done.mail_id.expect("stored")).await.expect("row");
        assert_eq!(app.db.blob(&row.raw_sha256).await.expect("raw"), corpus("not-mime.eml"));
    }

    async fn the_whole_corpus_ingests_with_sanitised_html_and_clean_names(db: TestDb) {
        let app = mail_app(&db, MailConfig::default()).await;
        let dir = format!("{}/../mail/tests/corpus", env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<String> = std::fs::read_dir(&dir).expect("dir").map(|e| e.expect("entry").file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        for name in &names {
            ingest(&app, name).await;
        }
        let html = app.db.mail_by_message_id("html-only-6@example.test").await.expect("read").expect("row").html.expect("html");
        assert!(!html.contains("<script") && !html.contains("onload") && !html.contains("tracker.test"), "{html}");
        let t = app.db.mail_by_message_id("unicode-att-11@example.test").await.expect("read").expect("row").ticket_id.expect("ticket");
        let files: Vec<String> = app.db.attachments(t, true).await.expect("files").into_iter().map(|a| a.filename).collect();
        assert!(files.contains(&"Protokoll über „VPN“.txt".to_string()), "{files:?}");
        assert!(files.contains(&"passwd".to_string()) && files.iter().all(|f| !f.contains('/') && !f.contains('\u{202e}')), "{files:?}");
    }
}

/// Records a migration this binary does not have, as a newer opsdesk would.
async fn apply_future_migration(db: &TestDb) {
    let sql = "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
               VALUES (99991231000000, 'from a newer opsdesk', TRUE, $1, 0)";
    let checksum = vec![0u8; 48];
    match db.backend {
        opsdesk_store::Backend::Sqlite => {
            let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&db.url).await.expect("connect");
            sqlx::query(sql).bind(checksum).execute(&mut c).await.expect("insert");
        }
        opsdesk_store::Backend::Postgres => {
            let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url).await.expect("connect");
            sqlx::query(sql).bind(checksum).execute(&mut c).await.expect("insert");
        }
    }
}

both_backends! {
    async fn mail_in_migrates_a_database_that_is_behind(db: TestDb) {
        // Nothing applied yet: mail-in's schema check falls back to the migrator.
        let out = outcome(&mail_in(&db, &corpus("new-request.eml"), &[]));
        assert_eq!(out["outcome"], "ticket", "{out}");
        let handle = db.connect().await;
        assert_eq!(handle.ticket_by_number("INC-1").await.expect("ticket").title, "VPN drops every ten minutes");
        // Up to date now: the next message takes the one-query path.
        let out = outcome(&mail_in(&db, &corpus("gmail-reply.eml"), &[]));
        assert_eq!(out["outcome"], "comment", "{out}");
    }

    async fn mail_in_defers_mail_when_the_schema_is_newer_than_it_knows(db: TestDb) {
        let _app = mail_app(&db, MailConfig::default()).await;
        apply_future_migration(&db).await;
        let out = mail_in(&db, &corpus("new-request.eml"), &[]);
        assert_eq!(out.status.code(), Some(75), "{}", String::from_utf8_lossy(&out.stderr));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("temporary failure") && err.contains("newer than this opsdesk knows"), "{err}");
        let handle = opsdesk_store::Db::connect(&db.options()).await.expect("connect");
        assert!(handle.mail_by_message_id("new-request-1@example.test").await.expect("read").is_none());
    }
}
