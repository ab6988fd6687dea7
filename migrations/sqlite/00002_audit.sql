-- +goose Up
-- The same audit trail as postgres/00002_audit.sql, in SQLite's types.
CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    occurred_at DATETIME NOT NULL,
    actor_type  TEXT NOT NULL CHECK (actor_type IN ('user', 'victim', 'system', 'anonymous')),
    actor_id    TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_id   TEXT NOT NULL DEFAULT '',
    case_id     TEXT,
    outcome     TEXT NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
    request_id  TEXT NOT NULL DEFAULT '',
    client_ip   TEXT NOT NULL DEFAULT '',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_events_case_id_seq_idx ON audit_events (case_id, seq);
CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at);

CREATE TABLE audit_chain (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_chain (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused');
END;
-- +goose StatementEnd
-- Timestamps are stored as 'YYYY-MM-DD HH:MM:SS…' text in UTC, so they compare with datetime() as text.
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN OLD.occurred_at >= datetime('now', '-365 days')
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_chain;
DROP TABLE audit_events;
