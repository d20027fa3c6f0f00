//! Desk IMAP mailboxes against a real Dovecot (started by `scripts/test`, see `scripts/dovecot`):
//! mail APPENDed to the folder becomes tickets and comments through the worker, once per
//! Message-ID; IDLE picks mail up at once; refused mail is flagged and left; a temporary store
//! failure leaves the message for the next round. Each test uses its own folder.

use crate::both_backends;
use crate::helpers::*;
use crate::mail::{corpus, reply, set_desk_address};
use async_imap::Session;
use futures_util::TryStreamExt;
use opsdesk_app::mail::MailConfig;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::net::TcpStream;

/// The test IMAP server and a folder of this test's own.
pub struct TestMailbox {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub folder: String,
}

impl TestMailbox {
    pub async fn new() -> TestMailbox {
        let addr = std::env::var("OPSDESK_TEST_IMAP_ADDR").expect(
            "mailbox tests need OPSDESK_TEST_IMAP_ADDR (and _USER, _PASSWORD); run ./scripts/test, which starts Dovecot",
        );
        let (host, port) = addr.rsplit_once(':').expect("OPSDESK_TEST_IMAP_ADDR is HOST:PORT");
        let mb = TestMailbox {
            host: host.into(),
            port: port.parse().expect("a port"),
            user: std::env::var("OPSDESK_TEST_IMAP_USER").expect("OPSDESK_TEST_IMAP_USER"),
            password: std::env::var("OPSDESK_TEST_IMAP_PASSWORD").expect("OPSDESK_TEST_IMAP_PASSWORD"),
            folder: format!("t{}", uuid::Uuid::new_v4().simple()),
        };
        let mut s = mb.session().await;
        s.create(&mb.folder).await.expect("create the test folder");
        let _ = s.logout().await;
        mb
    }

    async fn session(&self) -> Session<TcpStream> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port)).await.expect("connect to Dovecot");
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.expect("greeting").expect("greeting");
        client.login(&self.user, &self.password).await.map_err(|(e, _)| e).expect("login")
    }

    pub async fn append(&self, raw: &[u8]) {
        let mut s = self.session().await;
        s.append(&self.folder, None, None, raw).await.expect("APPEND");
        let _ = s.logout().await;
    }

    /// UIDs in the folder matching an IMAP search.
    pub async fn search(&self, query: &str) -> usize {
        let mut s = self.session().await;
        s.examine(&self.folder).await.expect("EXAMINE");
        let n = s.uid_search(query).await.expect("SEARCH").len();
        let _ = s.logout().await;
        n
    }

    /// Whether the message `uid`-th in the folder has these flags (as the server reports them).
    pub async fn flags(&self) -> Vec<String> {
        let mut s = self.session().await;
        s.examine(&self.folder).await.expect("EXAMINE");
        let fetched: Vec<_> = s.fetch("1:*", "FLAGS").await.expect("FETCH").try_collect().await.expect("FETCH");
        let flags = fetched.iter().flat_map(|f| f.flags().map(|fl| format!("{fl:?}"))).collect();
        let _ = s.logout().await;
        flags
    }

    /// The input of `PUT /desks/{id}/mailbox` for this folder.
    pub fn input(&self, poll_secs: i64) -> Value {
        json!({
            "host": self.host, "port": self.port, "tls": "none", "username": self.user,
            "password": self.password, "folder": self.folder, "poll_secs": poll_secs,
        })
    }
}

/// A new request to the IT desk's address.
fn request(message_id: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: Kim Lee <kim@example.test>\r\nTo: help@desk.test\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\
         Date: Wed, 02 Dec 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease help.\r\n"
    )
    .into_bytes()
}

async fn mailbox_status(admin: &Client) -> Value {
    let r = admin.get("/api/v1/desks/1/mailbox").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

/// Waits until the worker finished a round on the mailbox (its session is up).
async fn first_round(admin: &Client) {
    eventually(Duration::from_secs(20), "the first round on the mailbox", || async {
        let b = mailbox_status(admin).await;
        b["last_poll_at"].is_string().then_some(())
    })
    .await;
}

async fn tickets(app: &opsdesk_app::App) -> Vec<opsdesk_store::tickets::Ticket> {
    let mut all = Vec::new();
    for n in 1..=5 {
        if let Ok(t) = app.db.ticket_by_number(&format!("INC-{n}")).await {
            all.push(t);
        }
    }
    all
}

async fn put(c: &Client, b: Value) -> Reply {
    c.send(reqwest::Method::PUT, "/api/v1/desks/1/mailbox", Some(b)).await
}

/// One statement straight on the test database, past the application.
pub async fn sql(db: &TestDb, statement: &str) {
    match db.backend {
        opsdesk_store::Backend::Sqlite => {
            let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&db.url).await.expect("connect");
            sqlx::query(statement).execute(&mut c).await.expect(statement);
        }
        opsdesk_store::Backend::Postgres => {
            let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url).await.expect("connect");
            sqlx::query(statement).execute(&mut c).await.expect(statement);
        }
    }
}

both_backends! {
    async fn mailbox_mail_becomes_tickets_and_comments_once_and_idle_picks_it_up_at_once(db: TestDb) {
        let mb = TestMailbox::new().await;
        // A heartbeat and a poll interval far beyond the test: only IDLE can pick the mail up
        // before the wait below runs out, however slow the machine.
        let server = db.start_custom(|c| c.worker.mailbox.heartbeat = Duration::from_secs(3600)).await;
        set_desk_address(server.app(), "hold").await;
        let (_, admin) = server.user("admin").await;
        let r = admin.send(reqwest::Method::PUT, "/api/v1/desks/1/mailbox", Some(mb.input(600))).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["password_set"], true, "{:?}", r.body);
        assert!(r.body.get("password").is_none(), "the password is never returned: {:?}", r.body);
        assert!(!r.body.to_string().contains(&mb.password), "{:?}", r.body);
        first_round(&admin).await;

        mb.append(&request("imap-new-1@example.test", "Printer on fire")).await;
        let t = eventually(Duration::from_secs(60), "the ticket from the mailbox (IDLE)", || async {
            server.app().db.ticket_by_number("INC-1").await.ok()
        })
        .await;
        assert_eq!(t.title, "Printer on fire");

        // The reply becomes a comment on it.
        mb.append(&reply("Kim Lee <kim@example.test>", "imap-reply-1@example.test", "imap-new-1@example.test",
            "Re: Printer on fire", "It is out now.")).await;
        let comments = eventually(Duration::from_secs(5), "the reply as a comment", || async {
            let c = server.app().db.comments(t.id, true).await.ok()?;
            c.iter().any(|c| c.body.contains("It is out now.")).then_some(c)
        })
        .await;
        assert_eq!(comments.iter().filter(|c| c.body.contains("It is out now.")).count(), 1);

        // The same message again (a resend, a second mailbox): stored once.
        mb.append(&request("imap-new-1@example.test", "Printer on fire")).await;
        eventually(Duration::from_secs(10), "the folder to be emptied", || async {
            (mb.search("ALL").await == 0).then_some(())
        })
        .await;
        assert_eq!(tickets(server.app()).await.len(), 1, "one ticket for one Message-ID");
        let c = server.app().db.comments(t.id, true).await.expect("comments");
        assert_eq!(c.iter().filter(|c| c.body.contains("It is out now.")).count(), 1);
        let status = mailbox_status(&admin).await;
        assert!(status["last_error"].is_null(), "{status}");
        server.stop().await;
    }

    async fn refused_mail_is_flagged_shown_and_not_fetched_again(db: TestDb) {
        let mb = TestMailbox::new().await;
        let mail = MailConfig { max_message_bytes: 4096, ..MailConfig::default() };
        let server = db.start_custom(|c| c.mail = mail).await;
        set_desk_address(server.app(), "hold").await;
        let (_, admin) = server.user("admin").await;
        let r = admin.send(reqwest::Method::PUT, "/api/v1/desks/1/mailbox", Some(mb.input(600))).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        first_round(&admin).await;

        let mut big = request("imap-big@example.test", "Huge attachment");
        big.extend(std::iter::repeat_n(b'x', 10_000));
        big.extend(b"\r\n");
        mb.append(&big).await;
        let status = eventually(Duration::from_secs(10), "the refusal on the mailbox status", || async {
            let b = mailbox_status(&admin).await;
            b["last_error"].as_str().is_some_and(|e| e.contains("refused") && e.contains("limit")).then_some(b)
        })
        .await;
        assert!(status["last_error_at"].is_string(), "{status}");
        // Left in the folder, seen and flagged, so no round fetches it again.
        assert_eq!(mb.search("ALL").await, 1);
        assert_eq!(mb.search("KEYWORD $OpsdeskRefused SEEN").await, 1, "flags: {:?}", mb.flags().await);
        assert!(tickets(server.app()).await.is_empty());

        // The mailbox keeps flowing: a normal message after it is ingested.
        mb.append(&corpus("new-request.eml")).await;
        eventually(Duration::from_secs(5), "the next message's ticket", || async {
            server.app().db.ticket_by_number("INC-1").await.ok()
        })
        .await;
        assert_eq!(tickets(server.app()).await.len(), 1);
        eventually(Duration::from_secs(5), "the settled message to leave the folder", || async {
            (mb.search("ALL").await == 1).then_some(())
        })
        .await;
        assert_eq!(mb.search("KEYWORD $OpsdeskRefused").await, 1);
        server.stop().await;
    }

    async fn mailboxes_over_tls_and_starttls_trust_the_configured_ca(db: TestDb) {
        let mb = TestMailbox::new().await;
        let need = "TLS mailbox tests need OPSDESK_TEST_IMAPS_ADDR and OPSDESK_TEST_IMAP_CA; run ./scripts/test";
        let ca = std::env::var("OPSDESK_TEST_IMAP_CA").expect(need);
        let tls_port: u16 = std::env::var("OPSDESK_TEST_IMAPS_ADDR").expect(need).rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok()).expect("OPSDESK_TEST_IMAPS_ADDR is HOST:PORT");
        let roots = opsdesk_worker::mailbox::certificates_in(std::path::Path::new(&ca)).expect("the test CA");
        let mut over_tls = mb.input(600);
        over_tls["host"] = json!("localhost");
        over_tls["port"] = json!(tls_port);
        over_tls["tls"] = json!("tls");

        // A server that does not trust the CA refuses the certificate and says so.
        let untrusting = db.start().await;
        set_desk_address(untrusting.app(), "hold").await;
        let (_, admin) = untrusting.user("admin").await;
        assert_eq!(put(&admin, over_tls.clone()).await.status, 200);
        mb.append(&request("imap-tls-1@example.test", "VPN over TLS")).await;
        let status = eventually(Duration::from_secs(20), "the TLS failure on the mailbox status", || async {
            let b = mailbox_status(&admin).await;
            b["last_error"].as_str().is_some_and(|e| e.contains("TLS with localhost failed")).then_some(b)
        })
        .await;
        assert!(status["last_error"].as_str().is_some_and(|e| e.contains("certificate")), "{status}");
        assert!(tickets(untrusting.app()).await.is_empty());
        untrusting.stop().await;

        // Trusting it: TLS from the first byte...
        let server = db.start_custom(|c| c.worker.mailbox.extra_roots = roots).await;
        let (_, admin) = server.user("admin").await;
        let t = eventually(Duration::from_secs(20), "the ticket fetched over TLS", || async {
            server.app().db.ticket_by_number("INC-1").await.ok()
        })
        .await;
        assert_eq!(t.title, "VPN over TLS");
        // ... and STARTTLS on the plain port.
        let mut starttls = mb.input(600);
        starttls["host"] = json!("localhost");
        starttls["tls"] = json!("starttls");
        assert_eq!(put(&admin, starttls).await.status, 200);
        mb.append(&request("imap-tls-2@example.test", "Printer over STARTTLS")).await;
        let t = eventually(Duration::from_secs(20), "the ticket fetched after STARTTLS", || async {
            server.app().db.ticket_by_number("INC-2").await.ok()
        })
        .await;
        assert_eq!(t.title, "Printer over STARTTLS");
        eventually(Duration::from_secs(10), "a clean mailbox status", || async {
            mailbox_status(&admin).await["last_error"].is_null().then_some(())
        })
        .await;
        server.stop().await;
    }

    async fn a_message_during_a_store_failure_waits_in_the_mailbox(db: TestDb) {
        let mb = TestMailbox::new().await;
        let server = db
            .start_custom(|c| {
                c.worker.mailbox.heartbeat = Duration::from_millis(500);
            })
            .await;
        set_desk_address(server.app(), "hold").await;
        let (_, admin) = server.user("admin").await;
        let r = admin.send(reqwest::Method::PUT, "/api/v1/desks/1/mailbox", Some(mb.input(600))).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        first_round(&admin).await;

        // The store loses the table the pipeline writes to: every ingest fails, temporarily.
        sql(&db, "ALTER TABLE mail_messages RENAME TO mail_messages_away").await;
        mb.append(&request("imap-during-outage@example.test", "Mail during an outage")).await;
        let status = eventually(Duration::from_secs(10), "the temporary failure on the status", || async {
            let b = mailbox_status(&admin).await;
            b["last_error"].as_str().is_some_and(|e| e.contains("temporary")).then_some(b)
        })
        .await;
        assert!(status["last_error"].as_str().is_some_and(|e| !e.contains(&mb.password)), "{status}");
        // Still there and still unseen: not marked, not deleted.
        assert_eq!(mb.search("UNSEEN").await, 1);

        sql(&db, "ALTER TABLE mail_messages_away RENAME TO mail_messages").await;
        let t = eventually(Duration::from_secs(10), "the ticket once the store is back", || async {
            server.app().db.ticket_by_number("INC-1").await.ok()
        })
        .await;
        assert_eq!(t.title, "Mail during an outage");
        eventually(Duration::from_secs(5), "the folder to be emptied", || async {
            (mb.search("ALL").await == 0).then_some(())
        })
        .await;
        eventually(Duration::from_secs(5), "the error to clear", || async {
            mailbox_status(&admin).await["last_error"].is_null().then_some(())
        })
        .await;
        server.stop().await;
    }

    async fn mailbox_settings_are_checked_and_admin_only(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (_, agent) = server.user("agent").await;
        admin.get("/api/v1/desks/1/mailbox").await.assert_problem(404, "not_found");
        let r = put(&admin, json!({ "host": "imap.example.com", "tls": "none", "username": "help", "password": "pw" })).await;
        r.assert_problem(422, "validation_failed");
        assert!(r.body.to_string().contains("\"tls\""), "{:?}", r.body);
        let r = put(&admin, json!({ "host": "imap.example.com", "username": "help", "port": 0, "poll_secs": 1 })).await;
        r.assert_problem(422, "validation_failed");
        for f in ["port", "poll_secs", "password"] {
            assert!(r.body.to_string().contains(&format!("\"{f}\"")), "{f}: {:?}", r.body);
        }
        let ok = json!({ "host": "imap.example.com", "username": "help", "password": "s3cret-imap" });
        put(&agent, ok.clone()).await.assert_problem(403, "forbidden");
        let r = put(&admin, ok).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!((r.body["port"].as_i64(), r.body["tls"].as_str(), r.body["folder"].as_str()), (Some(993), Some("tls"), Some("INBOX")));
        // Without a password the stored one stays.
        let r = put(&admin, json!({ "host": "imap.example.com", "username": "help2" })).await;
        assert_eq!((r.status, r.body["password_set"].as_bool()), (200, Some(true)), "{:?}", r.body);
        let stored = server.app().db.mailbox(1).await.expect("read").expect("stored");
        assert_eq!(stored.password, "s3cret-imap");
        assert!(!format!("{stored:?}").contains("s3cret"), "Debug hides the password");
        agent.get("/api/v1/desks/1/mailbox").await.assert_problem(403, "forbidden");
        let r = admin.send(reqwest::Method::DELETE, "/api/v1/desks/1/mailbox", None).await;
        assert_eq!(r.status, 204);
        admin.get("/api/v1/desks/1/mailbox").await.assert_problem(404, "not_found");
        server.stop().await;
    }

    async fn one_worker_at_a_time_holds_a_mailbox(db: TestDb) {
        let server = db.start_with(opsdesk::server::Role::Web, false).await;
        let (_, admin) = server.user("admin").await;
        let ok = json!({ "host": "imap.example.com", "username": "help", "password": "pw-123456" });
        assert_eq!(put(&admin, ok).await.status, 200);
        let d = server.app().db.clone();
        let now = opsdesk_store::Ts::now();
        let until = now.plus(Duration::from_secs(90));
        assert!(d.lease_mailbox(1, "worker-a", now, until).await.expect("lease"));
        assert!(!d.lease_mailbox(1, "worker-b", now, until).await.expect("lease"), "held by a");
        assert!(d.lease_mailbox(1, "worker-a", now, until).await.expect("renew"), "a renews");
        // Once a's lease has expired (a died), b takes over, and a cannot renew.
        let later = until.plus(Duration::from_secs(1));
        assert!(d.lease_mailbox(1, "worker-b", later, later.plus(Duration::from_secs(90))).await.expect("lease"));
        assert!(!d.lease_mailbox(1, "worker-a", later, later.plus(Duration::from_secs(90))).await.expect("lease"));
        // A released lease is free at once.
        d.release_mailbox(1, "worker-b").await.expect("release");
        assert!(d.lease_mailbox(1, "worker-a", later, later.plus(Duration::from_secs(90))).await.expect("lease"));
        server.stop().await;
    }
}
