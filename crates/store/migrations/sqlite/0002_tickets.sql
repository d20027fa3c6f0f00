-- The ticket core: service desks, categories, tickets of every kind, their timeline, history,
-- links, watchers, custom fields, saved views, and full-text search.

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE service_desks (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    default_group_id  INTEGER REFERENCES groups (id) ON DELETE SET NULL,
    created_at        INTEGER NOT NULL
);

CREATE TABLE categories (
    id          INTEGER PRIMARY KEY,
    desk_id     INTEGER NOT NULL REFERENCES service_desks (id) ON DELETE CASCADE,
    parent_id   INTEGER REFERENCES categories (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX categories_name ON categories (desk_id, COALESCE(parent_id, 0), name);

CREATE TABLE custom_field_defs (
    id          INTEGER PRIMARY KEY,
    desk_id     INTEGER NOT NULL REFERENCES service_desks (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    key         TEXT NOT NULL,
    definition  TEXT NOT NULL,
    position    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (desk_id, kind, key)
);

-- Ticket numbers per kind on SQLite (PostgreSQL uses sequences).
CREATE TABLE ticket_counters (
    kind  TEXT PRIMARY KEY,
    last  INTEGER NOT NULL
);

CREATE TABLE tickets (
    id                        INTEGER PRIMARY KEY,
    number                    TEXT NOT NULL UNIQUE,
    kind                      TEXT NOT NULL,
    desk_id                   INTEGER NOT NULL REFERENCES service_desks (id),
    title                     TEXT NOT NULL,
    description               TEXT NOT NULL,
    status                    TEXT NOT NULL,
    is_open                   BOOLEAN NOT NULL,
    hold_reason               TEXT,
    impact                    INTEGER NOT NULL,
    urgency                   INTEGER NOT NULL,
    priority                  INTEGER NOT NULL,
    priority_override_reason  TEXT,
    category_id               INTEGER REFERENCES categories (id) ON DELETE SET NULL,
    requester_id              INTEGER NOT NULL REFERENCES users (id),
    organization_id           INTEGER REFERENCES organizations (id) ON DELETE SET NULL,
    shared_with_organization  BOOLEAN NOT NULL DEFAULT 0,
    group_id                  INTEGER REFERENCES groups (id) ON DELETE SET NULL,
    assignee_id               INTEGER REFERENCES users (id) ON DELETE SET NULL,
    custom_fields             TEXT NOT NULL DEFAULT '{}',
    external_id               TEXT UNIQUE,
    version                   INTEGER NOT NULL,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL,
    resolved_at               INTEGER,
    closed_at                 INTEGER
);
CREATE INDEX tickets_queue ON tickets (group_id, is_open, priority, id);
CREATE INDEX tickets_open_priority ON tickets (is_open, priority, id);
CREATE INDEX tickets_requester ON tickets (requester_id, id);
CREATE INDEX tickets_organization ON tickets (organization_id, id) WHERE shared_with_organization;
CREATE INDEX tickets_assignee ON tickets (assignee_id, is_open, priority, id);
CREATE INDEX tickets_kind_status ON tickets (kind, status, id);
CREATE INDEX tickets_created ON tickets (created_at, id);
CREATE INDEX tickets_updated ON tickets (updated_at, id);
CREATE INDEX tickets_resolved ON tickets (status, resolved_at) WHERE resolved_at IS NOT NULL;

CREATE TABLE comments (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    author_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    body        TEXT NOT NULL,
    public      BOOLEAN NOT NULL,
    source      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX comments_ticket ON comments (ticket_id, id);

-- Attachment content, addressed by its SHA-256: the same file twice is stored once.
CREATE TABLE blobs (
    sha256      TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    data        BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE attachments (
    id            INTEGER PRIMARY KEY,
    ticket_id     INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    comment_id    INTEGER REFERENCES comments (id) ON DELETE SET NULL,
    sha256        TEXT NOT NULL REFERENCES blobs (sha256),
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    public        BOOLEAN NOT NULL,
    uploaded_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX attachments_ticket ON attachments (ticket_id, id);

-- One row per changed field of a ticket, with who and when.
CREATE TABLE ticket_history (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    actor_id    INTEGER,
    field       TEXT NOT NULL,
    old_value   TEXT,
    new_value   TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX ticket_history_ticket ON ticket_history (ticket_id, id);

CREATE TABLE ticket_links (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    target_id   INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    link_type   TEXT NOT NULL,
    created_by  INTEGER,
    created_at  INTEGER NOT NULL,
    UNIQUE (source_id, target_id, link_type)
);
CREATE INDEX ticket_links_target ON ticket_links (target_id, link_type);

CREATE TABLE watchers (
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (ticket_id, user_id)
);
CREATE INDEX watchers_user ON watchers (user_id);

CREATE TABLE saved_views (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    query          TEXT NOT NULL,
    owner_user_id  INTEGER REFERENCES users (id) ON DELETE CASCADE,
    group_id       INTEGER REFERENCES groups (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);
CREATE INDEX saved_views_owner ON saved_views (owner_user_id);
CREATE INDEX saved_views_group ON saved_views (group_id);

-- Full-text search: what a requester may search (title, description, public replies) apart
-- from internal notes, so a requester's search can never match a note.
CREATE VIRTUAL TABLE ticket_search USING fts5 (public_text, internal_text, tokenize = 'porter unicode61 remove_diacritics 2');

-- Every installation starts with an IT service desk.
INSERT INTO service_desks (name, created_at) VALUES ('IT', 0);
