//! The admin page of a desk's email channel over HTTP with a cookie session, on both
//! databases: it renders the settings, templates (with the built-in text) and mailbox status,
//! saves through its forms, resets a template, keeps the mailbox password secret, and shows
//! refused fields next to their input. The desks page links to it.

use crate::both_backends;
use crate::helpers::*;
use opsdesk_domain::Actor;

const PASSWORD: &str = "a long enough password";

/// The status and page after a form post (see `post_form`).
async fn form(c: &Client, path: &str, fields: &[(&str, &str)], csrf: bool) -> (u16, String) {
    let (status, _, html) = post_form(c, path, fields, csrf).await;
    (status, html)
}

both_backends! {
    async fn admins_set_a_desks_mail_templates_and_mailbox_through_the_page(db: TestDb) {
        // Web only: no worker connects to the made-up mailbox and overwrites its status.
        let server = db.start_with(opsdesk::server::Role::Web, false).await;
        let (admin, _) = server.user("admin").await;
        let (agent, _) = server.user("agent").await;
        let (c, r) = Client::browser(&server.base, &admin.email, PASSWORD).await;
        assert_eq!(r.status, 200, "{:?}", r.body);

        let (status, desks) = page(&c, "/admin/desks").await;
        assert_eq!(status, 200);
        assert!(desks.contains("href=\"/admin/desks/1/mail\""), "the desk page links to the mail page");
        let (status, html) = page(&c, "/admin/desks/1/mail").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("No mailbox is configured"), "{html}");
        let builtin = opsdesk_mail::template::Notice::Created.default_template();
        assert!(html.contains("Built-in text") && html.contains("built-in"), "built-in templates shown");

        // A refused address comes back with its error next to the field, and what was typed.
        let (status, html) = form(&c, "/admin/desks/1/mail", &[("address", "not an address"), ("from_name", "IT <b>Help</b>")], true).await;
        assert_eq!(status, 422, "{html}");
        assert!(!field_error(&html, "err-address").is_empty(), "{html}");
        assert!(html.contains("IT &#60;b&#62;Help&#60;/b&#62;"), "typed text is kept, escaped");
        // An unknown placeholder in a template: its field error.
        let (status, html) = form(&c, "/admin/desks/1/mail", &[
            ("address", "help@desk.test"),
            ("templates.created.subject", "We got it {{ ticket.nope }}"),
            ("templates.created.text", &builtin.text),
        ], true).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("unknown placeholders"), "{html}");

        // Saved: the address, and the created template customised; others stay built-in.
        let (status, html) = form(&c, "/admin/desks/1/mail", &[
            ("address", "help@desk.test"),
            ("from_name", "IT Help"),
            ("strangers", "new_ticket"),
            ("templates.created.subject", "Received: {{ ticket.number }}"),
            ("templates.created.text", "We have your request {{ ticket.number }}."),
            ("templates.created.html", ""),
        ], true).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Saved."), "{html}");
        let v = server.app().desk_mail(&Actor::system(), 1).await.expect("settings");
        assert_eq!(v.address, "help@desk.test");
        assert_eq!(v.strangers.as_str(), "new_ticket");
        assert_eq!(v.customised.iter().map(|n| n.as_str()).collect::<Vec<_>>(), vec!["created"]);
        assert!(html.contains("Received: {{ ticket.number }}") || html.contains("Received: {{ ticket.number }}".replace('{', "&#123;").as_str()), "{html}");

        // Reset to the built-in text.
        let (status, _) = form(&c, "/admin/desks/1/mail", &[
            ("address", "help@desk.test"),
            ("templates.created.subject", "Received: {{ ticket.number }}"),
            ("templates.created.text", "We have your request."),
            ("templates.created.reset", "on"),
        ], true).await;
        assert_eq!(status, 200);
        let v = server.app().desk_mail(&Actor::system(), 1).await.expect("settings");
        assert!(v.customised.is_empty(), "{:?}", v.customised);

        // The mailbox: refused fields, then saved; the password is never shown.
        let (status, html) = form(&c, "/admin/desks/1/mail/mailbox", &[
            ("host", "imap.example.com"), ("username", "help"), ("tls", "none"), ("port", "many"), ("password", "imap-secret-1"),
        ], true).await;
        assert_eq!(status, 422, "{html}");
        assert!(!field_error(&html, "err-mb-port").is_empty(), "{html}");
        let (status, html) = form(&c, "/admin/desks/1/mail/mailbox", &[
            ("host", "imap.example.com"), ("username", "help"), ("tls", "none"), ("password", "imap-secret-1"),
        ], true).await;
        assert_eq!(status, 422, "{html}");
        assert!(field_error(&html, "err-mb-tls").contains("loopback"), "{html}");
        assert!(!html.contains("imap-secret-1"), "the typed password is not echoed");
        let (status, html) = form(&c, "/admin/desks/1/mail/mailbox", &[
            ("host", "imap.example.com"), ("username", "help"), ("tls", "tls"), ("password", "imap-secret-1"), ("poll_secs", "120"),
        ], true).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("id=\"mb-password-set\""), "{html}");
        assert!(html.contains("id=\"mailbox-last-poll\">never"), "{html}");
        assert!(!html.contains("imap-secret-1"), "the password is never shown");
        // Saving without a password keeps it.
        let (status, _) = form(&c, "/admin/desks/1/mail/mailbox", &[
            ("host", "imap.example.com"), ("username", "help"), ("tls", "tls"), ("poll_secs", "90"),
        ], true).await;
        assert_eq!(status, 200);
        let m = server.app().db.mailbox(1).await.expect("read").expect("mailbox");
        assert_eq!((m.password.as_str(), m.poll_secs), ("imap-secret-1", 90));
        // The worker's errors show on the page.
        server.app().db.mailbox_failed(1, "cannot connect to imap.example.com:993: <refused>", opsdesk_store::Ts::now()).await.expect("record");
        let (_, html) = page(&c, "/admin/desks/1/mail").await;
        assert!(html.contains("cannot connect to imap.example.com:993: &#60;refused&#62;"), "{html}");

        // Without the CSRF token: refused, nothing changes.
        let (status, _) = form(&c, "/admin/desks/1/mail/mailbox/delete", &[], false).await;
        assert_eq!(status, 403);
        assert!(server.app().db.mailbox(1).await.expect("read").is_some());
        let (status, html) = form(&c, "/admin/desks/1/mail/mailbox/delete", &[], true).await;
        assert_eq!(status, 200, "{html}");
        assert!(server.app().db.mailbox(1).await.expect("read").is_none());

        // Agents do not get the page.
        let (a, _) = Client::browser(&server.base, &agent.email, PASSWORD).await;
        let (status, _) = page(&a, "/admin/desks/1/mail").await;
        assert!(status == 403 || status == 404, "agent got {status}");
        server.stop().await;
    }
}
