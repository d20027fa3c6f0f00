//! The email pipeline's all-or-nothing rules on both databases: the per-sender limit holds
//! under parallel deliveries, and a new sender's account commits with their message or not
//! at all.

use crate::both_backends;
use crate::helpers::*;
use crate::mail::mail_app;
use opsdesk_app::mail::{MailConfig, Outcome};
use opsdesk_store::Backend;

fn flood(i: usize) -> Vec<u8> {
    format!(
        "From: Flood <flood@example.test>\r\nTo: help@desk.test\r\nSubject: n{i}\r\n\
         Message-ID: <par-flood-{i}@example.test>\r\n\r\nhi {i}\r\n"
    )
    .into_bytes()
}

/// Makes every ticket insert fail inside its transaction, after the message row and the
/// requester were written (a fault between the writes of one ingest).
async fn break_ticket_inserts(db: &TestDb, broken: bool) {
    use sqlx::{Connection, Executor};
    let sql: &[&str] = match (db.backend, broken) {
        (Backend::Sqlite, true) => {
            &["CREATE TRIGGER fail_tickets BEFORE INSERT ON tickets BEGIN SELECT RAISE(ABORT, 'injected fault'); END"]
        }
        (Backend::Sqlite, false) => &["DROP TRIGGER fail_tickets"],
        (Backend::Postgres, true) => &[
            "CREATE FUNCTION fail_tickets() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$",
            "CREATE TRIGGER fail_tickets BEFORE INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION fail_tickets()",
        ],
        (Backend::Postgres, false) => &["DROP TRIGGER fail_tickets ON tickets"],
    };
    match db.backend {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&db.url).await.expect("connect");
            for s in sql {
                c.execute(*s).await.expect("fault injection");
            }
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&db.url).await.expect("connect");
            for s in sql {
                c.execute(*s).await.expect("fault injection");
            }
        }
    }
}

both_backends! {
    async fn parallel_deliveries_from_one_sender_respect_the_limit(db: TestDb) {
        let app = mail_app(&db, MailConfig { sender_limit: 3, ..MailConfig::default() }).await;
        let runs: Vec<_> = (0..12)
            .map(|i| {
                let app = app.clone();
                tokio::spawn(async move { app.ingest_mail("IT", &flood(i)).await })
            })
            .collect();
        let (mut tickets, mut held) = (0, 0);
        for r in runs {
            match r.await.expect("join").expect("ingest").outcome {
                Outcome::Ticket { .. } => tickets += 1,
                Outcome::Held { ticket_id: None, reason } if reason == "rate_limited" => held += 1,
                other => panic!("unexpected outcome {other:?}"),
            }
        }
        assert_eq!((tickets, held), (3, 9), "exactly the limit posts, the rest is held");
        let flood_user = app.db.user_by_email("flood@example.test").await.expect("read").expect("one requester");
        let mail = app.db.mail_in_status("held", 0, 100).await.expect("held");
        assert_eq!(mail.len(), 9);
        assert!(mail.iter().all(|m| m.sender.as_deref() == Some("flood@example.test")));
        let page = app
            .list_tickets(&opsdesk_domain::Actor::system(), &opsdesk_app::tickets::Page { q: String::new(), limit: 50, after: None })
            .await
            .expect("list");
        assert_eq!(page.items.len(), 3);
        assert!(page.items.iter().all(|t| t.requester_id == flood_user.id));
    }

    async fn a_new_senders_account_commits_with_the_message_or_not_at_all(db: TestDb) {
        let app = mail_app(&db, MailConfig::default()).await;
        break_ticket_inserts(&db, true).await;
        let raw = crate::mail::corpus("new-request.eml");
        let err = app.ingest_mail("IT", &raw).await.expect_err("the ticket insert fails");
        assert!(!matches!(err, opsdesk_app::AppError::Invalid(_)), "a store error, temporary: {err:?}");
        assert_eq!(app.db.user_by_email("kim@example.test").await.expect("read"), None, "no user without a message");
        assert_eq!(app.db.mail_by_message_id("new-request-1@example.test").await.expect("read"), None);

        // The MTA retries once the fault is gone: one message, one ticket, one account.
        break_ticket_inserts(&db, false).await;
        let done = app.ingest_mail("IT", &raw).await.expect("retry");
        let Outcome::Ticket { ticket_id, .. } = done.outcome else { panic!("{done:?}") };
        let kim = app.db.user_by_email("kim@example.test").await.expect("read").expect("created with the message");
        assert_eq!(app.db.ticket(ticket_id).await.expect("ticket").requester_id, kim.id);
        let events = app.db.events_of(&format!("user:{}", kim.id)).await.expect("events");
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["user.created"], "the account's event is recorded once");
    }
}
