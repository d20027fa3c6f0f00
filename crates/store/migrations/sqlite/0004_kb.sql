-- Knowledge management: articles and their versions, the search index of the versions people
-- can find (the live one and the newest one), feedback, views, deflections, searches that
-- found nothing, articles linked to tickets as solutions, and article attachments.

CREATE TABLE kb_articles (
    id                   INTEGER PRIMARY KEY,
    desk_id              INTEGER NOT NULL REFERENCES service_desks (id),
    owner_id             INTEGER REFERENCES users (id) ON DELETE SET NULL,
    state                TEXT NOT NULL,
    head_version         INTEGER NOT NULL,
    live_version         INTEGER,
    review_by            INTEGER,
    -- The review_by instant the owner was last reminded of, so each date reminds once.
    review_reminded_for  INTEGER,
    views                INTEGER NOT NULL DEFAULT 0,
    helpful              INTEGER NOT NULL DEFAULT 0,
    not_helpful          INTEGER NOT NULL DEFAULT 0,
    deflections          INTEGER NOT NULL DEFAULT 0,
    version              INTEGER NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    published_at         INTEGER
);
CREATE INDEX kb_articles_state ON kb_articles (state, id);
CREATE INDEX kb_articles_desk ON kb_articles (desk_id, id);
CREATE INDEX kb_articles_review ON kb_articles (review_by) WHERE review_by IS NOT NULL;
CREATE INDEX kb_articles_views ON kb_articles (views DESC, id);

CREATE TABLE kb_versions (
    id          INTEGER PRIMARY KEY,
    article_id  INTEGER NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    title       TEXT NOT NULL,
    summary     TEXT NOT NULL,
    body        TEXT NOT NULL,
    body_text   TEXT NOT NULL,
    visibility  TEXT NOT NULL,
    tags        TEXT NOT NULL,
    categories  TEXT NOT NULL,
    note        TEXT NOT NULL,
    author_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    is_live     BOOLEAN NOT NULL DEFAULT 0,
    is_head     BOOLEAN NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    UNIQUE (article_id, number)
);

CREATE TABLE kb_version_tags (
    version_id  INTEGER NOT NULL REFERENCES kb_versions (id) ON DELETE CASCADE,
    tag         TEXT NOT NULL,
    PRIMARY KEY (version_id, tag)
);
CREATE INDEX kb_version_tags_tag ON kb_version_tags (tag, version_id);

CREATE TABLE kb_version_categories (
    version_id   INTEGER NOT NULL REFERENCES kb_versions (id) ON DELETE CASCADE,
    category_id  INTEGER NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    PRIMARY KEY (version_id, category_id)
);
CREATE INDEX kb_version_categories_category ON kb_version_categories (category_id, version_id);

-- One entry per findable version (rowid = kb_versions.id), ranked by bm25 with the title
-- weighted most.
CREATE VIRTUAL TABLE kb_search USING fts5 (title, summary, tags, body, tokenize = 'porter unicode61 remove_diacritics 2');

-- Every word ever indexed, with the number of indexed versions that had it: the vocabulary
-- that mistyped query words are corrected against.
CREATE TABLE kb_terms (
    term  TEXT PRIMARY KEY,
    docs  INTEGER NOT NULL
);

CREATE TABLE kb_history (
    id          INTEGER PRIMARY KEY,
    article_id  INTEGER NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    actor_id    INTEGER,
    field       TEXT NOT NULL,
    old_value   TEXT,
    new_value   TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX kb_history_article ON kb_history (article_id, id);

CREATE TABLE kb_feedback (
    id          INTEGER PRIMARY KEY,
    article_id  INTEGER NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    helpful     BOOLEAN NOT NULL,
    comment     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (article_id, user_id)
);

CREATE TABLE kb_deflections (
    id          INTEGER PRIMARY KEY,
    article_id  INTEGER NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    query       TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX kb_deflections_created ON kb_deflections (created_at);

-- Searches that found nothing, by their normalised words: which articles are missing.
CREATE TABLE kb_missed_searches (
    words       TEXT PRIMARY KEY,
    last_query  TEXT NOT NULL,
    times       INTEGER NOT NULL,
    last_at     INTEGER NOT NULL
);

CREATE TABLE kb_ticket_links (
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    article_id  INTEGER NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    linked_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, article_id)
);
CREATE INDEX kb_ticket_links_article ON kb_ticket_links (article_id);

CREATE TABLE kb_attachments (
    id            INTEGER PRIMARY KEY,
    article_id    INTEGER NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    sha256        TEXT NOT NULL REFERENCES blobs (sha256),
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    uploaded_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX kb_attachments_article ON kb_attachments (article_id, id);
