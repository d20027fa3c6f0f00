-- Approvals for any record (a ticket today): ordered stages of approvers with a rule, each
-- decision recorded with who decided and for whom; signed single-use email links (hashes
-- only); reminders and escalations recorded once each; templates per desk and category;
-- users' managers and delegates.

ALTER TABLE users ADD COLUMN manager_id INTEGER REFERENCES users (id) ON DELETE SET NULL;

-- One delegate per person, for a window [starts_at, ends_at); ends_at NULL is open-ended.
CREATE TABLE user_delegates (
    user_id      INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    delegate_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    starts_at    INTEGER NOT NULL,
    ends_at      INTEGER,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX user_delegates_delegate ON user_delegates (delegate_id);

CREATE TABLE approval_templates (
    id           INTEGER PRIMARY KEY,
    desk_id      INTEGER NOT NULL REFERENCES service_desks (id) ON DELETE CASCADE,
    category_id  INTEGER REFERENCES categories (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    spec         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX approval_templates_scope ON approval_templates (desk_id, COALESCE(category_id, 0));

-- The record an approval belongs to is (subject_type, subject_id): 'ticket' and a ticket id.
CREATE TABLE approvals (
    id            INTEGER PRIMARY KEY,
    subject_type  TEXT NOT NULL,
    subject_id    INTEGER NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'cancelled')),
    template_id   INTEGER REFERENCES approval_templates (id) ON DELETE SET NULL,
    requested_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    finished_at   INTEGER
);
CREATE INDEX approvals_subject ON approvals (subject_type, subject_id, id);
CREATE INDEX approvals_pending ON approvals (id) WHERE state = 'pending';

CREATE TABLE approval_stages (
    id           INTEGER PRIMARY KEY,
    approval_id  INTEGER NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    rule         TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('waiting', 'pending', 'approved', 'rejected', 'skipped')),
    started_at   INTEGER,
    finished_at  INTEGER,
    UNIQUE (approval_id, position)
);
CREATE INDEX approval_stages_pending ON approval_stages (started_at) WHERE state = 'pending';

-- The people of a stage, resolved when the approval starts (group members, the manager).
CREATE TABLE approval_approvers (
    stage_id  INTEGER NOT NULL REFERENCES approval_stages (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source    TEXT NOT NULL,
    position  INTEGER NOT NULL,
    PRIMARY KEY (stage_id, user_id)
);
CREATE INDEX approval_approvers_user ON approval_approvers (user_id);

-- One decision per approver and stage; decided_by differs from approver_id when a delegate
-- decided on the approver's behalf.
CREATE TABLE approval_decisions (
    id           INTEGER PRIMARY KEY,
    stage_id     INTEGER NOT NULL REFERENCES approval_stages (id) ON DELETE CASCADE,
    approver_id  INTEGER NOT NULL REFERENCES users (id),
    decided_by   INTEGER NOT NULL REFERENCES users (id),
    decision     TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    comment      TEXT NOT NULL,
    via          TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (stage_id, approver_id)
);

-- Signed email links: only the SHA-256 of the token is stored.
CREATE TABLE approval_links (
    token_hash   TEXT PRIMARY KEY,
    stage_id     INTEGER NOT NULL REFERENCES approval_stages (id) ON DELETE CASCADE,
    approver_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
);
CREATE INDEX approval_links_stage ON approval_links (stage_id, approver_id);

-- Reminders and escalations sent, once per stage, approver and kind.
CREATE TABLE approval_nudges (
    stage_id     INTEGER NOT NULL REFERENCES approval_stages (id) ON DELETE CASCADE,
    approver_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('reminder', 'escalation')),
    sent_at      INTEGER NOT NULL,
    PRIMARY KEY (stage_id, approver_id, kind)
);
