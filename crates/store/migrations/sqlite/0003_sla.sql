-- Service level management: business calendars, SLA policies, per-ticket clocks with their
-- append-only event history, the warnings and breaches fired (once each), and in-app
-- notifications.

-- Business calendars, stored as the validated spec (JSON). The built-in 24x7 calendar is
-- not a row: a policy without calendar_id uses it.
CREATE TABLE sla_calendars (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    spec        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- SLA policies in evaluation order (position, id); the first match wins.
CREATE TABLE sla_policies (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    position     INTEGER NOT NULL,
    spec         TEXT NOT NULL,
    calendar_id  INTEGER REFERENCES sla_calendars (id),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX sla_policies_order ON sla_policies (position, id);

-- One clock per ticket and target (next-response clocks: one per requester reply). The
-- policy in force is copied (`policy_spec`) so later edits do not change running clocks.
-- `next_check_at`: the earliest unfired warning or the due instant of a running clock;
-- NULL otherwise. The worker finds due clocks through its index alone.
CREATE TABLE sla_clocks (
    id                INTEGER PRIMARY KEY,
    ticket_id         INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    target            TEXT NOT NULL,
    policy_id         INTEGER REFERENCES sla_policies (id) ON DELETE SET NULL,
    policy_name       TEXT NOT NULL,
    policy_spec       TEXT NOT NULL,
    calendar_id       INTEGER,
    initial_secs      INTEGER NOT NULL,
    target_secs       INTEGER NOT NULL,
    state             TEXT NOT NULL,
    breached          BOOLEAN NOT NULL DEFAULT 0,
    due_at            INTEGER,
    cycle             INTEGER NOT NULL DEFAULT 0,
    cycle_started_at  INTEGER NOT NULL,
    next_check_at     INTEGER,
    started_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX sla_clocks_ticket ON sla_clocks (ticket_id, id);
CREATE INDEX sla_clocks_next_check ON sla_clocks (next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX sla_clocks_started ON sla_clocks (started_at);

-- Every clock event, append-only: the audit trail of a ticket's SLA.
CREATE TABLE sla_clock_events (
    id           INTEGER PRIMARY KEY,
    clock_id     INTEGER NOT NULL REFERENCES sla_clocks (id) ON DELETE CASCADE,
    ticket_id    INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    event        TEXT NOT NULL,
    at           INTEGER NOT NULL,
    target_secs  INTEGER,
    actor_id     INTEGER,
    note         TEXT
);
CREATE INDEX sla_clock_events_clock ON sla_clock_events (clock_id, id);
CREATE INDEX sla_clock_events_ticket ON sla_clock_events (ticket_id, id);
CREATE TRIGGER sla_clock_events_no_update BEFORE UPDATE ON sla_clock_events
BEGIN SELECT RAISE(ABORT, 'sla_clock_events is append-only'); END;

-- A warning (threshold = percent) or breach (threshold = 100) fired for a clock in one
-- planning cycle. The unique key makes each fire exactly once, whichever worker gets there.
CREATE TABLE sla_escalations (
    id         INTEGER PRIMARY KEY,
    clock_id   INTEGER NOT NULL REFERENCES sla_clocks (id) ON DELETE CASCADE,
    cycle      INTEGER NOT NULL,
    threshold  INTEGER NOT NULL,
    fired_at   INTEGER NOT NULL,
    actions    TEXT NOT NULL,
    UNIQUE (clock_id, cycle, threshold)
);

-- In-app notifications (there is no mail channel yet).
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ticket_id   INTEGER REFERENCES tickets (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    read_at     INTEGER
);
CREATE INDEX notifications_user ON notifications (user_id, id);

-- The nearest due instant of a ticket's running clocks, for `sort:due`; the largest integer
-- when no clock runs, so the ordering is a plain index scan with those tickets last.
ALTER TABLE tickets ADD COLUMN sla_due_at INTEGER NOT NULL DEFAULT 9223372036854775807;
CREATE INDEX tickets_sla_due ON tickets (sla_due_at, id);
