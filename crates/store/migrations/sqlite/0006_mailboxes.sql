-- A desk's IMAP mailbox, polled by the worker: where it is, how to sign in (the password is a
-- secret the API never returns), the lease that keeps one session per mailbox across worker
-- processes, and what the last round saw.

CREATE TABLE desk_mailboxes (
    desk_id       INTEGER PRIMARY KEY REFERENCES service_desks (id) ON DELETE CASCADE,
    host          TEXT NOT NULL,
    port          INTEGER NOT NULL,
    -- none (loopback only), starttls or tls
    tls           TEXT NOT NULL,
    username      TEXT NOT NULL,
    password      TEXT NOT NULL,
    folder        TEXT NOT NULL DEFAULT 'INBOX',
    poll_secs     INTEGER NOT NULL DEFAULT 60,
    -- Bumped on every change, so running sessions notice and reconnect with the new settings.
    revision      INTEGER NOT NULL DEFAULT 1,
    lease_holder  TEXT,
    lease_until   INTEGER,
    last_poll_at  INTEGER,
    last_error    TEXT,
    last_error_at INTEGER,
    updated_at    INTEGER NOT NULL
);
