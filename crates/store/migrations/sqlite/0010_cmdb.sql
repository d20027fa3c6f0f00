-- The CMDB: classes with attribute schemas, configuration items with their identifiers, every
-- version of every item (for history and reads at a past instant), typed relationships that
-- are ended rather than deleted (for the same reason), the rules of which relationship types
-- may join which classes, who a business service is offered to, and the CIs of tickets.

CREATE TABLE ci_classes (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    builtin     BOOLEAN NOT NULL DEFAULT 0,
    schema      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- NULL class means any class.
CREATE TABLE ci_relationship_rules (
    id            INTEGER PRIMARY KEY,
    source_class  TEXT,
    rel           TEXT NOT NULL,
    target_class  TEXT,
    created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX ci_relationship_rules_unique
    ON ci_relationship_rules (COALESCE(source_class, '*'), rel, COALESCE(target_class, '*'));

CREATE TABLE cis (
    id            INTEGER PRIMARY KEY,
    class_id      INTEGER NOT NULL REFERENCES ci_classes (id),
    name          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('planned', 'live', 'maintenance', 'retired')),
    attributes    TEXT NOT NULL DEFAULT '{}',
    identifiers   TEXT NOT NULL DEFAULT '{}',
    version       INTEGER NOT NULL DEFAULT 1,
    -- The inventory source that last reported the item, and when.
    last_source   TEXT,
    last_seen_at  INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    deleted_at    INTEGER
);
CREATE INDEX cis_class ON cis (class_id, id);
CREATE INDEX cis_name ON cis (name, class_id);

-- One row per identifier an item carries (normalised), so reconciliation finds an item by any
-- of them; an identifier belongs to one item.
CREATE TABLE ci_identifiers (
    kind   TEXT NOT NULL,
    value  TEXT NOT NULL,
    ci_id  INTEGER NOT NULL REFERENCES cis (id) ON DELETE CASCADE,
    PRIMARY KEY (kind, value)
);
CREATE INDEX ci_identifiers_ci ON ci_identifiers (ci_id);

-- Every version of every item, the first included: what it was, from when, changed by whom.
CREATE TABLE ci_versions (
    ci_id          INTEGER NOT NULL REFERENCES cis (id) ON DELETE CASCADE,
    version        INTEGER NOT NULL,
    at             INTEGER NOT NULL,
    actor_user_id  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    source         TEXT NOT NULL,
    class_id       INTEGER NOT NULL,
    name           TEXT NOT NULL,
    status         TEXT NOT NULL,
    attributes     TEXT NOT NULL,
    identifiers    TEXT NOT NULL,
    deleted        BOOLEAN NOT NULL DEFAULT 0,
    PRIMARY KEY (ci_id, version)
);

-- Source depends on target. A removed relationship keeps its row with deleted_at set.
CREATE TABLE ci_relationships (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES cis (id),
    rel         TEXT NOT NULL,
    target_id   INTEGER NOT NULL REFERENCES cis (id),
    created_at  INTEGER NOT NULL,
    created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    deleted_at  INTEGER,
    deleted_by  INTEGER REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX ci_relationships_source ON ci_relationships (source_id);
CREATE INDEX ci_relationships_target ON ci_relationships (target_id);
CREATE UNIQUE INDEX ci_relationships_live ON ci_relationships (source_id, rel, target_id) WHERE deleted_at IS NULL;

-- Who a business service is offered to: an organisation, or everyone (NULL).
CREATE TABLE ci_service_offers (
    ci_id            INTEGER NOT NULL REFERENCES cis (id) ON DELETE CASCADE,
    organization_id  INTEGER REFERENCES organizations (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ci_service_offers_unique ON ci_service_offers (ci_id, COALESCE(organization_id, 0));

CREATE TABLE ticket_cis (
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    ci_id       INTEGER NOT NULL REFERENCES cis (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('affected', 'cause')),
    created_at  INTEGER NOT NULL,
    created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (ticket_id, ci_id)
);
CREATE INDEX ticket_cis_ci ON ticket_cis (ci_id, ticket_id);
