-- Every delivery attempt of an outbound message with its error, kept after a retry
-- succeeds: the message row only holds the latest state, which a quick retry overwrites.

CREATE TABLE mail_deliveries (
    id          INTEGER PRIMARY KEY,
    mail_id     INTEGER NOT NULL REFERENCES mail_messages (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    -- `sent` or `failed`.
    outcome     TEXT NOT NULL,
    error       TEXT,
    at          INTEGER NOT NULL,
    UNIQUE (mail_id, attempt)
);
