-- Platform foundation: identities, access, audit, sessions, tokens, job queue and outbox.
-- Instants are INTEGER microseconds since the Unix epoch (UTC) on both backends.

CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id               INTEGER PRIMARY KEY,
    email            TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('requester', 'agent', 'admin')),
    time_zone        TEXT NOT NULL,
    locale           TEXT NOT NULL,
    password_hash    TEXT,
    organization_id  INTEGER REFERENCES organizations (id) ON DELETE SET NULL,
    active           BOOLEAN NOT NULL DEFAULT 1,
    sees_all_groups  BOOLEAN NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX users_organization ON users (organization_id);

CREATE TABLE groups (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL DEFAULT '',
    lead_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE group_members (
    group_id  INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at  INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token    TEXT NOT NULL,
    ip            TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    prefix        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY,
    at              INTEGER NOT NULL,
    action          TEXT NOT NULL,
    actor_user_id   INTEGER,
    subject_user_id INTEGER,
    email           TEXT,
    ip              TEXT,
    detail          TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_subject ON audit_log (subject_user_id, at);

-- The audit log is append-only: the database itself refuses to change or remove a row.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Failed logins per key (`account:<email>`, `address:<ip>`) within the current window.
CREATE TABLE login_throttle (
    key               TEXT PRIMARY KEY,
    failures          INTEGER NOT NULL,
    window_started_at INTEGER NOT NULL,
    locked_until      INTEGER
);

-- The job queue. `run_at` is the next instant the job may be claimed: for a queued job when it
-- is due, for a running job when its lease expires, so one index serves both.
CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL,
    run_at        INTEGER NOT NULL,
    leased_by     TEXT,
    last_error    TEXT,
    unique_key    TEXT UNIQUE,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    finished_at   INTEGER
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_state ON jobs (state, id);

-- The transactional outbox: one row per domain event, written in the same transaction as the
-- change it describes.
CREATE TABLE events (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL,
    subject        TEXT NOT NULL,
    actor_user_id  INTEGER,
    payload        TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    dispatched_at  INTEGER
);
CREATE INDEX events_pending ON events (id) WHERE dispatched_at IS NULL;

-- Runs of the queue probe (`opsdesk queue probe`): one row per execution, so an operator can
-- see that every job ran exactly once across workers.
CREATE TABLE probe_runs (
    id          INTEGER PRIMARY KEY,
    job_id      INTEGER NOT NULL,
    worker      TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX probe_runs_job ON probe_runs (job_id);
