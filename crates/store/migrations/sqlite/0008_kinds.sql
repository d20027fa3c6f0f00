-- Kinds as definitions: tasks live under a parent ticket and may wait for other tasks; each
-- kind keeps its own fields in a detail record beside the ticket core (a JSON object that the
-- kind's declaration validates).

ALTER TABLE tickets ADD COLUMN parent_id INTEGER REFERENCES tickets (id);
CREATE INDEX tickets_parent ON tickets (parent_id, is_open) WHERE parent_id IS NOT NULL;

CREATE TABLE ticket_details (
    ticket_id  INTEGER PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    data       TEXT NOT NULL
);

-- A task waits for the tasks it names (all under the same parent).
CREATE TABLE task_order (
    task_id   INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    after_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, after_id)
);
