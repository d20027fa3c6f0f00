//! The email channel's part of the OpenAPI document: desk mail settings and templates, held
//! messages, and a ticket's mail.

use super::{
    array, boolean, doc, enumeration, input, int, int_or_null, item, listing, op, param_ref, path_id, record, schema,
    string, string_or_null, time, time_or_null, Fail,
};
use serde_json::{json, Map, Value};

const NOTICES: [&str; 4] = ["created", "reply", "assigned", "resolved"];

pub(super) fn schemas(add: &mut impl FnMut(&str, Value)) {
    add(
        "MailTemplate",
        input(
            "A notification template. `{{ placeholder }}` fields: ticket.number, ticket.title, ticket.status, \
             ticket.url, desk.name, requester.name, agent.name, comment.body, author.name. Values are inserted \
             once, never evaluated, and escaped in HTML.",
            &["subject", "text"],
            vec![
                ("subject", string()),
                ("text", string()),
                ("html", doc(string_or_null(), "Without it the HTML part is the text in paragraphs.")),
            ],
        ),
    );
    let templates = |d: &str| {
        doc(
            json!({ "type": "object", "propertyNames": enumeration(&NOTICES), "additionalProperties": schema("MailTemplate") }),
            d,
        )
    };
    add(
        "DeskMail",
        record(
            "A desk's mail settings with every template in effect.",
            vec![
                ("desk_id", int()),
                ("address", doc(string(), "Mail to it becomes tickets of this desk; notifications leave from it.")),
                ("from_name", string_or_null()),
                ("strangers", enumeration(&["hold", "new_ticket"])),
                ("templates", templates("Every notice's template, built-in unless customised.")),
                ("customised", array(enumeration(&NOTICES))),
                ("updated_at", time()),
            ],
        ),
    );
    add(
        "DeskMailInput",
        input(
            "A desk's mail settings. Templates left out use the built-in text.",
            &["address"],
            vec![
                ("address", string()),
                ("from_name", string_or_null()),
                ("strangers", doc(enumeration(&["hold", "new_ticket"]), "What a non-participant's reply does.")),
                ("templates", templates("Replacement templates by notice.")),
            ],
        ),
    );
    add(
        "MailMessage",
        record(
            "A message in or out, stored once per Message-ID.",
            vec![
                ("id", int()),
                ("message_id", string()),
                ("direction", enumeration(&["in", "out"])),
                ("desk_id", int_or_null()),
                ("ticket_id", int_or_null()),
                ("comment_id", int_or_null()),
                ("sender", string_or_null()),
                ("recipient", string_or_null()),
                ("subject", string()),
                (
                    "status",
                    enumeration(&[
                        "ticket",
                        "comment",
                        "held",
                        "bounce",
                        "dropped",
                        "released",
                        "discarded",
                        "queued",
                        "sent",
                        "failed",
                    ]),
                ),
                ("reason", doc(string_or_null(), "Why it is held, dropped, automatic, or the last delivery error.")),
                ("automatic", doc(boolean(), "Sent by a machine; never answered automatically.")),
                ("size", int()),
                ("collapsed", doc(string_or_null(), "Quoted history and signature, collapsed in the timeline.")),
                ("notice", string_or_null()),
                ("attempts", int()),
                ("created_at", time()),
                ("updated_at", time()),
            ],
        ),
    );
    add(
        "DeskMailbox",
        record(
            "A desk's IMAP mailbox, polled by the worker, with the status of its last round. The password is \
             never returned.",
            vec![
                ("desk_id", int()),
                ("host", string()),
                ("port", int()),
                ("tls", doc(enumeration(&["none", "starttls", "tls"]), "`none` only for a loopback host.")),
                ("username", string()),
                ("password_set", doc(boolean(), "Whether a password is stored.")),
                ("folder", string()),
                ("poll_secs", doc(int(), "Seconds between polls when the server has no IDLE.")),
                ("last_poll_at", doc(time_or_null(), "When the worker last finished a round.")),
                (
                    "last_error",
                    doc(
                        string_or_null(),
                        "The last connection or sign-in failure, or the last refused message (too large, invalid; \
                         flagged `$OpsdeskRefused` and left in the folder).",
                    ),
                ),
                ("last_error_at", time_or_null()),
                ("updated_at", time()),
            ],
        ),
    );
    add(
        "DeskMailboxInput",
        input(
            "A desk's IMAP mailbox. Without `password` the stored one is kept (required the first time).",
            &["host", "username"],
            vec![
                ("host", string()),
                ("port", doc(int(), "Default 993 with tls, 143 otherwise.")),
                ("tls", doc(enumeration(&["none", "starttls", "tls"]), "Default tls; none only for a loopback host.")),
                ("username", string()),
                ("password", doc(string(), "Write-only.")),
                ("folder", doc(string(), "Default INBOX.")),
                ("poll_secs", doc(int(), "5 to 86400, default 60.")),
            ],
        ),
    );
    add("MailMessagePage", listing("MailMessage", true));
    add(
        "MailOutcome",
        record(
            "Where a released message went.",
            vec![
                ("outcome", enumeration(&["ticket", "comment"])),
                ("ticket_id", int()),
                ("number", doc(string(), "For a new ticket.")),
                ("comment_id", doc(int(), "For a comment.")),
            ],
        ),
    );
}

pub(super) fn paths(p: &mut Map<String, Value>) {
    let desk_id = path_id("id", "The desk's id.");
    item(
        p,
        "/api/v1/desks/{id}/mail",
        std::slice::from_ref(&desk_id),
        vec![
            (
                "get",
                op("mail", "getDeskMail", "A desk's mail settings")
                    .about("Agents and admins. 404 while the desk has no address.")
                    .json("200", "The settings and templates.", "DeskMail")
                    .fail(&[Fail::Forbidden, Fail::NotFound]),
            ),
            (
                "put",
                op("mail", "putDeskMail", "Set a desk's mail settings")
                    .about("Admins. Unknown placeholders in templates are field errors.")
                    .body("DeskMailInput")
                    .json("200", "The settings now in effect.", "DeskMail")
                    .fail(&[Fail::NotFound]),
            ),
        ],
    );
    item(
        p,
        "/api/v1/desks/{id}/mailbox",
        std::slice::from_ref(&desk_id),
        vec![
            (
                "get",
                op("mail", "getDeskMailbox", "A desk's IMAP mailbox and its status")
                    .about("Admins. 404 while the desk has none.")
                    .json("200", "The mailbox (without its password).", "DeskMailbox")
                    .fail(&[Fail::Forbidden, Fail::NotFound]),
            ),
            (
                "put",
                op("mail", "putDeskMailbox", "Set a desk's IMAP mailbox")
                    .about(
                        "Admins. The worker (role worker or all) connects within seconds, ingests unseen messages \
                         and deletes each once it is stored.",
                    )
                    .body("DeskMailboxInput")
                    .json("200", "The mailbox now in effect.", "DeskMailbox")
                    .fail(&[Fail::Forbidden, Fail::NotFound]),
            ),
            (
                "delete",
                op("mail", "deleteDeskMailbox", "Remove a desk's IMAP mailbox")
                    .about("Admins. The worker stops polling it.")
                    .empty("Removed.")
                    .fail(&[Fail::Forbidden, Fail::NotFound]),
            ),
        ],
    );
    item(
        p,
        "/api/v1/mail/held",
        &[],
        vec![(
            "get",
            op("mail", "listHeldMail", "Messages held for an agent")
                .about("Replies from non-participants and senders over the rate limit, of tickets the caller works.")
                .params([param_ref("Limit"), param_ref("After")])
                .json("200", "Held messages, oldest first.", "MailMessagePage")
                .fail(&[Fail::BadRequest, Fail::Forbidden]),
        )],
    );
    let mail_id = path_id("id", "The message's id.");
    item(
        p,
        "/api/v1/mail/held/{id}/release",
        std::slice::from_ref(&mail_id),
        vec![(
            "post",
            op("mail", "releaseHeldMail", "Post a held message")
                .about("Into its ticket as the sender's reply (the sender then watches it), or as a new ticket.")
                .json("200", "Where it went.", "MailOutcome")
                .fail(&[Fail::NotFound, Fail::Conflict, Fail::Invalid]),
        )],
    );
    item(
        p,
        "/api/v1/mail/held/{id}/discard",
        std::slice::from_ref(&mail_id),
        vec![(
            "post",
            op("mail", "discardHeldMail", "Discard a held message")
                .about("It stays stored, marked discarded.")
                .empty("Discarded.")
                .fail(&[Fail::NotFound, Fail::Conflict]),
        )],
    );
    let ticket = param_ref("TicketId");
    item(
        p,
        "/api/v1/tickets/{id}/mail",
        std::slice::from_ref(&ticket),
        vec![(
            "get",
            op("mail", "listTicketMail", "A ticket's mail in and out")
                .about("Agents who may work the ticket: delivery states, attempts and errors.")
                .json("200", "The messages, oldest first.", "MailMessagePage")
                .fail(&[Fail::Forbidden, Fail::NotFound]),
        )],
    );
    item(
        p,
        "/api/v1/tickets/{id}/mail/{mail_id}/raw",
        &[ticket, path_id("mail_id", "The message's id.")],
        vec![(
            "get",
            op("mail", "downloadRawMail", "Download a message as received or sent")
                .about("Agents. Always a download (`message/rfc822`, `Content-Disposition: attachment`).")
                .answer(
                    "200",
                    json!({
                        "description": "The raw RFC 5322 message.",
                        "content": { "message/rfc822": { "schema": { "type": "string", "format": "binary" } } },
                    }),
                )
                .fail(&[Fail::Forbidden, Fail::NotFound]),
        )],
    );
}
