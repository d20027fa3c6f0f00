-- The service catalog: categories per desk (ordered), items with their form, approval,
-- price, audience and fulfilment steps (published or draft, ordered), and the link from a
-- service request to the item it ordered, with the answers and the form they answer (a copy,
-- so a later edit of the item never changes what was asked).

CREATE TABLE catalog_categories (
    id           INTEGER PRIMARY KEY,
    desk_id      INTEGER NOT NULL REFERENCES service_desks (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    position     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (desk_id, name)
);

CREATE TABLE catalog_items (
    id                         INTEGER PRIMARY KEY,
    desk_id                    INTEGER NOT NULL REFERENCES service_desks (id) ON DELETE CASCADE,
    category_id                INTEGER REFERENCES catalog_categories (id) ON DELETE SET NULL,
    title                      TEXT NOT NULL,
    description                TEXT NOT NULL DEFAULT '',
    picture                    TEXT,
    form                       TEXT NOT NULL DEFAULT '[]',
    -- The approval's stages (references as ids), or NULL for none.
    approval                   TEXT,
    -- Prices in cents.
    approval_skip_below_cents  INTEGER,
    fulfilment                 TEXT NOT NULL DEFAULT '[]',
    price_cents                INTEGER,
    delivery_days              INTEGER,
    sla_policy_id              INTEGER REFERENCES sla_policies (id) ON DELETE SET NULL,
    -- {"organizations": [ids], "groups": [ids]}; both empty offers the item to everyone.
    audience                   TEXT NOT NULL DEFAULT '{}',
    published                  BOOLEAN NOT NULL DEFAULT 0,
    position                   INTEGER NOT NULL DEFAULT 0,
    version                    INTEGER NOT NULL DEFAULT 1,
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL
);
CREATE INDEX catalog_items_desk ON catalog_items (desk_id, position, id);
CREATE INDEX catalog_items_category ON catalog_items (category_id);

CREATE TABLE catalog_requests (
    ticket_id              INTEGER PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    item_id                INTEGER REFERENCES catalog_items (id) ON DELETE SET NULL,
    item_title             TEXT NOT NULL,
    form                   TEXT NOT NULL,
    answers                TEXT NOT NULL,
    fulfilment             TEXT NOT NULL,
    requested_for_id       INTEGER NOT NULL REFERENCES users (id),
    -- When its fulfilment tasks were created (once, on first entering fulfilment).
    fulfilment_started_at  INTEGER,
    created_at             INTEGER NOT NULL
);
CREATE INDEX catalog_requests_item ON catalog_requests (item_id);
CREATE INDEX catalog_requests_requested_for ON catalog_requests (requested_for_id);
