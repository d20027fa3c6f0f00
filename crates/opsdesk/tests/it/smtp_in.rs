//! The inbound SMTP listener (`serve --smtp-listen`), with lettre as the client on both
//! databases: 250 only once the message is stored, 550 for an address that is no desk's,
//! 552 over the size limit, 451 while the store fails; and the protocol's edges by hand.

use crate::both_backends;
use crate::helpers::*;
use crate::mail::{reply, set_desk_address};
use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use opsdesk_app::mail::MailConfig;
use std::net::SocketAddr;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn new_request(message_id: &str) -> Vec<u8> {
    format!(
        "From: Kim Lee <kim@example.test>\r\nTo: help@desk.test\r\nSubject: Laptop will not boot\r\n\
         Message-ID: <{message_id}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIt beeps three times.\r\n.dotted line\r\n"
    )
    .into_bytes()
}

async fn send(
    addr: SocketAddr,
    to: &str,
    raw: &[u8],
) -> Result<lettre::transport::smtp::response::Response, lettre::transport::smtp::Error> {
    let smtp = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string()).port(addr.port()).build();
    let envelope = Envelope::new(Some("kim@example.test".parse().expect("from")), vec![to.parse().expect("to")])
        .expect("envelope");
    smtp.send_raw(&envelope, raw).await
}

fn code(e: &lettre::transport::smtp::Error) -> String {
    e.status().map(|c| c.to_string()).unwrap_or_else(|| format!("no status: {e}"))
}

async fn start(db: &TestDb, mail: MailConfig) -> (TestServer, SocketAddr) {
    let server = db
        .start_custom(|c| {
            c.mail = mail;
            c.smtp_listen = Some("127.0.0.1:0".into());
        })
        .await;
    set_desk_address(server.app(), "hold").await;
    let addr = server.running.as_ref().and_then(|r| r.smtp_addr).expect("the SMTP listener runs");
    (server, addr)
}

/// One SMTP exchange by hand: the reply lines to each line sent.
struct Raw {
    r: BufReader<tokio::net::tcp::OwnedReadHalf>,
    w: tokio::net::tcp::OwnedWriteHalf,
}

impl Raw {
    async fn connect(addr: SocketAddr) -> (Raw, String) {
        let (r, w) = tokio::net::TcpStream::connect(addr).await.expect("connect").into_split();
        let mut raw = Raw { r: BufReader::new(r), w };
        let greeting = raw.reply().await;
        (raw, greeting)
    }

    /// A whole (possibly multi-line) reply.
    async fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            self.r.read_line(&mut line).await.expect("read");
            all.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return all;
            }
        }
    }

    async fn say(&mut self, line: &str) -> String {
        self.w.write_all(line.as_bytes()).await.expect("write");
        self.w.write_all(b"\r\n").await.expect("write");
        self.reply().await
    }
}

both_backends! {
    async fn smtp_mail_becomes_a_ticket_before_250_and_replies_comments(db: TestDb) {
        let (server, addr) = start(&db, MailConfig::default()).await;
        let r = send(addr, "help@desk.test", &new_request("smtp-1@example.test")).await.expect("250");
        assert_eq!(r.code().to_string(), "250");
        // 250 came after the commit: the ticket is there without waiting.
        let t = server.app().db.ticket_by_number("INC-1").await.expect("ticket at once");
        assert_eq!(t.title, "Laptop will not boot");
        assert!(t.description.contains("\n.dotted line"), "dot-stuffing undone: {:?}", t.description);

        let answer = reply("Kim Lee <kim@example.test>", "smtp-2@example.test", "smtp-1@example.test", "Re: Laptop", "Fixed itself.");
        send(addr, "help@desk.test", &answer).await.expect("250");
        let c = server.app().db.comments(t.id, true).await.expect("comments");
        assert_eq!(c.iter().filter(|c| c.body.contains("Fixed itself.")).count(), 1);

        // The same message again: 250 (it is stored), and still one ticket.
        send(addr, "help@desk.test", &new_request("smtp-1@example.test")).await.expect("250 for a duplicate");
        assert!(server.app().db.ticket_by_number("INC-2").await.is_err(), "no second ticket");

        // An address that is no desk's: 550, permanent.
        let e = send(addr, "nobody@desk.test", &new_request("smtp-3@example.test")).await.expect_err("refused");
        assert!(e.is_permanent(), "{e}");
        assert_eq!(code(&e), "550");
        server.stop().await;
    }

    async fn smtp_refuses_oversized_mail_and_answers_451_while_the_store_fails(db: TestDb) {
        let (server, addr) = start(&db, MailConfig { max_message_bytes: 4096, ..MailConfig::default() }).await;
        let mut big = new_request("smtp-big@example.test");
        big.extend(std::iter::repeat_n(b'y', 70).chain(*b"\r\n").cycle().take(8000));
        let e = send(addr, "help@desk.test", &big).await.expect_err("too large");
        assert_eq!(code(&e), "552", "{e}");

        crate::mailbox::sql(&db, "ALTER TABLE mail_messages RENAME TO mail_messages_away").await;
        let e = send(addr, "help@desk.test", &new_request("smtp-outage@example.test")).await.expect_err("temporary");
        assert!(e.is_transient(), "{e}");
        assert_eq!(code(&e), "451");
        crate::mailbox::sql(&db, "ALTER TABLE mail_messages_away RENAME TO mail_messages").await;
        // The sender retries, and now it is stored.
        send(addr, "help@desk.test", &new_request("smtp-outage@example.test")).await.expect("250 on retry");
        server.app().db.ticket_by_number("INC-1").await.expect("ticket");
        server.stop().await;
    }

    async fn smtp_speaks_the_protocol_and_bounds_its_input(db: TestDb) {
        let (server, addr) = start(&db, MailConfig { max_message_bytes: 4096, ..MailConfig::default() }).await;
        let (mut s, greeting) = Raw::connect(addr).await;
        assert!(greeting.starts_with("220 "), "{greeting}");
        assert!(s.say("MAIL FROM:<kim@example.test>").await.starts_with("503"), "EHLO comes first");
        let ehlo = s.say("EHLO client.example.test").await;
        assert!(ehlo.starts_with("250-") && ehlo.contains("SIZE 4096") && ehlo.contains("8BITMIME"), "{ehlo}");
        assert!(s.say("RCPT TO:<help@desk.test>").await.starts_with("503"), "MAIL comes first");
        assert!(s.say("MAIL FROM:<kim@example.test> SIZE=999999").await.starts_with("552"));
        assert!(s.say("MAIL FROM:<kim@example.test>").await.starts_with("250"));
        assert!(s.say("DATA").await.starts_with("503"), "RCPT comes first");
        assert!(s.say("RCPT TO:<stranger@elsewhere.test>").await.starts_with("550"));
        assert!(s.say("RCPT TO:<HELP@desk.test>").await.starts_with("250"), "addresses compare case-insensitively");
        assert!(s.say("NOOP").await.starts_with("250"));
        assert!(s.say("RSET").await.starts_with("250"));
        assert!(s.say("DATA").await.starts_with("503"), "RSET forgot the envelope");
        assert!(s.say("TURN").await.starts_with("502"));
        let long = format!("NOOP {}", "x".repeat(10_000));
        assert!(s.say(&long).await.starts_with("500"), "an overlong line is refused");
        assert!(s.say("NOOP").await.starts_with("250"), "and the session goes on");
        // An empty envelope sender (a bounce) is recorded as such, never as a request.
        assert!(s.say("MAIL FROM:<>").await.starts_with("250"));
        assert!(s.say("RCPT TO:<help@desk.test>").await.starts_with("250"));
        assert!(s.say("DATA").await.starts_with("354"));
        s.w.write_all(&new_request("smtp-bounce@example.test")).await.expect("write");
        let done = s.say(".").await;
        assert!(done.starts_with("250"), "{done}");
        let m = server.app().db.mail_by_message_id("smtp-bounce@example.test").await.expect("read").expect("stored");
        assert!(m.automatic, "an empty Return-Path marks automatic mail: {m:?}");
        assert!(s.say("QUIT").await.starts_with("221"));
        server.stop().await;
    }
}
