-- Emailed password-reset links. Only the SHA-256 of a link's random token is kept. A user has
-- at most one live link: issuing a new one revokes the others (`revoked_at`), using one sets
-- `used_at`, and a link past `expires_at` is refused.
CREATE TABLE password_resets (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    revoked_at  INTEGER
);
CREATE INDEX password_resets_user ON password_resets (user_id);
