-- A desk's IMAP mailbox, polled by the worker: where it is, how to sign in (the password is a
-- secret the API never returns), the lease that keeps one session per mailbox across worker
-- processes, and what the last round saw.

CREATE TABLE desk_mailboxes (
    desk_id       BIGINT PRIMARY KEY REFERENCES service_desks (id) ON DELETE CASCADE,
    host          TEXT NOT NULL,
    port          BIGINT NOT NULL,
    -- none (loopback only), starttls or tls
    tls           TEXT NOT NULL,
    username      TEXT NOT NULL,
    password      TEXT NOT NULL,
    folder        TEXT NOT NULL DEFAULT 'INBOX',
    poll_secs     BIGINT NOT NULL DEFAULT 60,
    -- Bumped on every change, so running sessions notice and reconnect with the new settings.
    revision      BIGINT NOT NULL DEFAULT 1,
    lease_holder  TEXT,
    lease_until   BIGINT,
    last_poll_at  BIGINT,
    last_error    TEXT,
    last_error_at BIGINT,
    updated_at    BIGINT NOT NULL
);
