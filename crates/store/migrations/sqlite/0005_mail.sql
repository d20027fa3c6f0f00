-- The email channel: each desk's inbound address, stranger policy and notification
-- templates; every message in and out, once per Message-ID, with its raw bytes kept.

CREATE TABLE desk_mail (
    desk_id     INTEGER PRIMARY KEY REFERENCES service_desks (id) ON DELETE CASCADE,
    address     TEXT NOT NULL UNIQUE,
    from_name   TEXT,
    strangers   TEXT NOT NULL DEFAULT 'hold',
    templates   TEXT NOT NULL DEFAULT '{}',
    updated_at  INTEGER NOT NULL
);

CREATE TABLE mail_messages (
    id           INTEGER PRIMARY KEY,
    -- The unique key that makes the same message twice store once, in parallel too.
    message_id   TEXT NOT NULL UNIQUE,
    direction    TEXT NOT NULL,
    desk_id      INTEGER REFERENCES service_desks (id) ON DELETE SET NULL,
    ticket_id    INTEGER REFERENCES tickets (id) ON DELETE SET NULL,
    comment_id   INTEGER REFERENCES comments (id) ON DELETE SET NULL,
    sender       TEXT,
    recipient    TEXT,
    subject      TEXT NOT NULL,
    status       TEXT NOT NULL,
    reason       TEXT,
    automatic    BOOLEAN NOT NULL,
    raw_sha256   TEXT NOT NULL REFERENCES blobs (sha256),
    size         INTEGER NOT NULL,
    html         TEXT,
    collapsed    TEXT,
    notice       TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX mail_messages_ticket ON mail_messages (ticket_id, id);
CREATE INDEX mail_messages_sender ON mail_messages (sender, created_at);
CREATE INDEX mail_messages_status ON mail_messages (status, id);
