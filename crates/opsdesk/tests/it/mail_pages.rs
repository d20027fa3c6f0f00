//! The agents' mail pages over HTTP with a cookie session, on both databases: held mail
//! (escaped preview, raw download, release into the ticket or as a new one, discard, CSRF,
//! permissions as the API's) and the ticket page's "Mail" section with a failed delivery.

use crate::both_backends;
use crate::helpers::*;
use crate::mail::{corpus, reply};
use opsdesk::server::Role;
use opsdesk_app::mail::{DeskMailInput, MailConfig, Outcome};
use opsdesk_domain::Actor;
use serde_json::json;
use std::time::Duration;

const PASSWORD: &str = "a long enough password";

/// Posts a form, with the session's CSRF token unless `csrf` is false; follows the redirect.
async fn form(c: &Client, path: &str, csrf: bool) -> (u16, String, String) {
    let token = c.csrf.clone().unwrap_or_default();
    let pairs: Vec<(&str, &str)> = if csrf { vec![("csrf", token.as_str())] } else { vec![] };
    let res = c.http.post(format!("{}{path}", c.base)).form(&pairs).send().await.expect("post");
    let status = res.status().as_u16();
    let url = format!("{}?{}", res.url().path(), res.url().query().unwrap_or(""));
    (status, url, res.text().await.expect("body"))
}

/// A server whose notifications go to a closed port, so every send fails and is retried.
async fn server(db: &TestDb) -> TestServer {
    let mail = MailConfig {
        sender_limit: 2,
        smtp_url: Some(format!("smtp://127.0.0.1:{}", free_port())),
        ..MailConfig::default()
    };
    let server = db.start_with_mail(Role::All, false, mail).await;
    let input =
        DeskMailInput { address: "help@desk.test".into(), strangers: Some("hold".into()), ..Default::default() };
    server.app().put_desk_mail(&Actor::system(), 1, input).await.expect("desk mail");
    server
}

both_backends! {
    async fn agents_review_held_mail_on_a_page(db: TestDb) {
        let server = server(&db).await;
        let app = server.app();
        let (admin_user, admin_api) = server.user("admin").await;
        let (net_user, _) = server.user("agent").await;
        let (hr_user, _) = server.user("agent").await;
        let (req_user, _) = server.user("requester").await;
        let network = admin_api.post("/api/v1/groups", json!({"name": "Network"})).await.body["id"].as_i64().expect("group");
        let hr = admin_api.post("/api/v1/groups", json!({"name": "HR"})).await.body["id"].as_i64().expect("group");
        for (g, u) in [(network, net_user.id), (hr, hr_user.id)] {
            let r = admin_api.send(reqwest::Method::PUT, &format!("/api/v1/groups/{g}/members/{u}"), None).await;
            assert!(r.status < 300, "{:?}", r.body);
        }
        let Outcome::Ticket { ticket_id, number } = app.ingest_mail("IT", &corpus("new-request.eml")).await.expect("ingest").outcome else { panic!() };
        let r = admin_api.patch(&format!("/api/v1/tickets/{ticket_id}"), json!({"group": network})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);

        // Two strangers' replies to the ticket, one with markup in subject and text.
        let evil = reply("Mallory <mallory@evil.test>", "m-1@evil.test", "new-request-1@example.test", "Re: <script>alert(1)</script>", "Click <b onclick=x>here</b> & send the password");
        let held = app.ingest_mail("IT", &evil).await.expect("ingest");
        assert!(matches!(held.outcome, Outcome::Held { .. }), "{held:?}");
        let first = held.mail_id.expect("stored");
        let other = reply("Eve <eve@evil.test>", "e-1@evil.test", "new-request-1@example.test", "Re: VPN", "me too");
        let second = app.ingest_mail("IT", &other).await.expect("ingest").mail_id.expect("stored");
        // A sender over the limit: held without a ticket, for admins.
        let mut unticketed = 0;
        for i in 0..3 {
            let raw = format!("From: flood@example.test\r\nTo: help@desk.test\r\nSubject: flood {i}\r\nMessage-ID: <fl-{i}@example.test>\r\n\r\nhello {i}\r\n");
            let done = app.ingest_mail("IT", raw.as_bytes()).await.expect("ingest");
            if matches!(done.outcome, Outcome::Held { ticket_id: None, .. }) { unticketed = done.mail_id.expect("stored") }
        }
        assert!(unticketed > 0);

        // The Network agent: both replies, escaped, with the count in the navigation.
        let net = session_with(&server, &net_user.email, PASSWORD).await;
        let (status, html) = page(&net, "/agent/mail/held").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains(&format!("id=\"held-{first}\"")) && html.contains(&format!("id=\"held-{second}\"")), "{html}");
        assert!(!html.contains(&format!("id=\"held-{unticketed}\"")), "a message of no ticket is for admins");
        assert!(!html.contains("<script>alert(1)") && html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{html}");
        assert!(html.contains("Click &#60;b onclick=x&#62;here&#60;/b&#62; &#38; send the password"), "{html}");
        assert!(html.contains("mallory@evil.test") && html.contains("sender is not a participant of the ticket"));
        assert!(html.contains(&format!("Release into {number}")) && html.contains(&format!("href=\"/agent/mail/{first}/raw\"")));
        assert!(html.contains("id=\"held-count\">2<"), "{html}");
        let (_, queue) = page(&net, "/agent").await;
        assert!(queue.contains("id=\"held-count\">2<"), "the queue's navigation counts held mail");

        // The raw message, as a download.
        let res = net.http.get(format!("{}/agent/mail/{first}/raw", net.base)).send().await.expect("raw");
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "message/rfc822");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        assert!(res.headers()["content-disposition"].to_str().expect("ascii").starts_with("attachment"));
        assert_eq!(res.bytes().await.expect("body").to_vec(), evil);

        // The HR agent and a requester may not see or act on them.
        let hr_s = session_with(&server, &hr_user.email, PASSWORD).await;
        let (status, html) = page(&hr_s, "/agent/mail/held").await;
        assert_eq!(status, 200);
        assert!(!html.contains(&format!("id=\"held-{first}\"")) && html.contains("No held mail."), "{html}");
        assert_eq!(form(&hr_s, &format!("/agent/mail/held/{first}/release"), true).await.0, 404);
        assert_eq!(form(&hr_s, &format!("/agent/mail/held/{first}/discard"), true).await.0, 404);
        assert_eq!(page(&hr_s, &format!("/agent/mail/{first}/raw")).await.0, 404);
        let req = session_with(&server, &req_user.email, PASSWORD).await;
        assert_eq!(page(&req, "/agent/mail/held").await.0, 403);
        assert_eq!(form(&req, &format!("/agent/mail/held/{first}/release"), true).await.0, 404);
        assert_eq!(page(&req, &format!("/agent/mail/{first}/raw")).await.0, 404);

        // No CSRF token: refused, nothing changes.
        assert_eq!(form(&net, &format!("/agent/mail/held/{first}/release"), false).await.0, 403);
        assert_eq!(form(&net, &format!("/agent/mail/held/{second}/discard"), false).await.0, 403);
        assert_eq!(app.db.mail_message(first).await.expect("row").status, "held");

        // Release into the ticket, then discard the other.
        let (status, url, html) = form(&net, &format!("/agent/mail/held/{first}/release"), true).await;
        assert_eq!(status, 200, "{html}");
        assert!(url.starts_with("/agent/mail/held?done=released"), "{url}");
        assert!(html.contains(&format!("Released into {number}.")), "{html}");
        let comments = app.db.comments(ticket_id, true).await.expect("comments");
        assert_eq!(comments.len(), 1);
        assert_eq!(comments[0].body, "Click <b onclick=x>here</b> & send the password");
        assert_eq!(form(&net, &format!("/agent/mail/held/{first}/release"), true).await.0, 422, "released once");
        let (status, _, html) = form(&net, &format!("/agent/mail/held/{second}/discard"), true).await;
        assert_eq!(status, 200);
        assert!(html.contains("Discarded.") && html.contains("No held mail."), "{html}");
        assert_eq!(app.db.mail_message(second).await.expect("row").status, "discarded");

        // An admin releases the message of no ticket as a new ticket.
        let admin = session_with(&server, &admin_user.email, PASSWORD).await;
        let (_, html) = page(&admin, "/agent/mail/held").await;
        assert!(html.contains(&format!("id=\"held-{unticketed}\"")) && html.contains("Release as new ticket"), "{html}");
        assert!(html.contains("sender is over the message limit"));
        let (status, url, _) = form(&admin, &format!("/agent/mail/held/{unticketed}/release"), true).await;
        assert_eq!(status, 200);
        let released = app.db.mail_message(unticketed).await.expect("row");
        let new_ticket = app.db.ticket(released.ticket_id.expect("a new ticket")).await.expect("ticket");
        assert!(url.ends_with(&format!("ticket={}", new_ticket.number)), "{url}");
        assert_eq!(new_ticket.title, "flood 2");
        server.stop().await;
    }

    async fn the_ticket_page_shows_its_mail_and_failed_deliveries(db: TestDb) {
        let server = server(&db).await;
        let app = server.app();
        let (admin_user, admin_api) = server.user("admin").await;
        let (agent_user, _) = server.user("agent").await;
        let Outcome::Ticket { number, .. } = app.ingest_mail("IT", &corpus("new-request.eml")).await.expect("ingest").outcome else { panic!() };
        // Owned by a group the agent is not in (a ticket without a group is every agent's).
        let g = admin_api.post("/api/v1/groups", serde_json::json!({"name": "Facilities"})).await.body["id"].as_i64().expect("group");
        let r = admin_api.patch(&format!("/api/v1/tickets/{number}"), serde_json::json!({"group": g})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        app.ingest_mail("IT", &corpus("gmail-reply.eml")).await.expect("reply");
        let admin = session_with(&server, &admin_user.email, PASSWORD).await;
        // The acknowledgement cannot be delivered (nothing listens on the SMTP port).
        // Waits for the failed attempt in the delivery history, which stays there while the
        // retries go on (the message's own status moves on, so it is not polled for).
        let html = eventually(Duration::from_secs(20), "a failed delivery on the ticket page", || {
            let admin = &admin;
            let path = format!("/agent/tickets/{number}");
            async move {
                let (_, html) = page(admin, &path).await;
                html.contains("class=\"delivery failed\"").then_some(html)
            }
        })
        .await;
        let section = &html[html.find("id=\"mail\"").expect("a Mail section")..];
        let section = &section[..section.find("</section>").expect("end")];
        assert!(section.contains("VPN drops every ten minutes") && section.contains("kim@example.test"), "{section}");
        assert!(section.contains("in ←") && section.contains("out →"), "{section}");
        assert!(section.contains("class=\"alert mail-error\""), "the last delivery error is shown: {section}");
        let mail = app.db.mail_of_ticket(app.db.ticket_by_number(&number).await.expect("t").id).await.expect("mail");
        assert!(mail.len() >= 3, "{mail:?}");
        for m in &mail {
            assert!(section.contains(&format!("href=\"/agent/mail/{}/raw\"", m.id)), "{section}");
        }
        let out = mail.iter().find(|m| m.direction == "out").expect("an outbound message");
        let res = admin.http.get(format!("{}/agent/mail/{}/raw", admin.base, out.id)).send().await.expect("raw");
        assert_eq!(res.status(), 200);
        // An agent outside the ticket's reach gets the ticket page's answer, and no raw mail.
        let agent = session_with(&server, &agent_user.email, PASSWORD).await;
        assert_eq!(page(&agent, &format!("/agent/tickets/{number}")).await.0, 404);
        assert_eq!(page(&agent, &format!("/agent/mail/{}/raw", out.id)).await.0, 404);
        server.stop().await;
    }
}
