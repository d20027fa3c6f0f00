-- Change management: each change's type, schedule, risk and conflict override beside its
-- ticket; templates for standard changes; blackout (freeze) windows; the maintenance windows
-- of CIs; the desks' risk questionnaires; the approval stages per change type and risk
-- class; and the tokens of the personal calendar feeds.

CREATE TABLE change_templates (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,
    change_type          TEXT NOT NULL CHECK (change_type IN ('standard', 'normal', 'emergency')),
    description          TEXT NOT NULL DEFAULT '',
    implementation_plan  TEXT,
    backout_plan         TEXT,
    test_plan            TEXT,
    risk_answers         TEXT NOT NULL DEFAULT '{}',
    tasks                TEXT NOT NULL DEFAULT '[]',
    active               BOOLEAN NOT NULL DEFAULT 1,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);

CREATE TABLE changes (
    ticket_id        INTEGER PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    change_type      TEXT NOT NULL CHECK (change_type IN ('standard', 'normal', 'emergency')),
    template_id      INTEGER REFERENCES change_templates (id) ON DELETE SET NULL,
    planned_start    INTEGER,
    planned_end      INTEGER,
    -- planned_end - planned_start, so that the overlap search can bound its index range by
    -- the longest window.
    window_len       INTEGER,
    actual_start     INTEGER,
    actual_end       INTEGER,
    risk_answers     TEXT NOT NULL DEFAULT '{}',
    risk_score       INTEGER NOT NULL DEFAULT 0,
    risk_class       TEXT NOT NULL DEFAULT 'low',
    risk_factors     TEXT NOT NULL DEFAULT '[]',
    override_reason  TEXT,
    override_keys    TEXT,
    override_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    override_at      INTEGER,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX changes_planned_start ON changes (planned_start);
CREATE INDEX changes_window_len ON changes (window_len);
CREATE INDEX changes_template ON changes (template_id);

CREATE TABLE change_blackouts (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    -- NULL freezes every change; else a JSON array of CI ids (services included).
    ci_ids      TEXT,
    created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX change_blackouts_window ON change_blackouts (starts_at, ends_at);

CREATE TABLE ci_maintenance_windows (
    ci_id       INTEGER PRIMARY KEY REFERENCES cis (id) ON DELETE CASCADE,
    spec        TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE change_questionnaires (
    desk_id     INTEGER PRIMARY KEY REFERENCES service_desks (id) ON DELETE CASCADE,
    spec        TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- NULL risk class means any class of that type; the most specific policy wins.
CREATE TABLE change_approval_policies (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    change_type  TEXT NOT NULL CHECK (change_type IN ('standard', 'normal', 'emergency')),
    risk_class   TEXT,
    stages       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX change_approval_policies_unique
    ON change_approval_policies (change_type, COALESCE(risk_class, '*'));

CREATE TABLE calendar_feeds (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);
