-- +goose Up
-- The same keyed audit chain as postgres/00014_keyed_audit.sql, in SQLite's types. Adding columns with a
-- constant default rewrites no row, so the append-only triggers do not fire.
ALTER TABLE audit_events ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN detail TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN prev_occurred_at DATETIME;

ALTER TABLE audit_chain ADD COLUMN occurred_at DATETIME;
ALTER TABLE audit_chain ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_chain ADD COLUMN mac TEXT NOT NULL DEFAULT '';

CREATE TABLE audit_denial_counters (
    actor_type    TEXT NOT NULL,
    actor_id      TEXT NOT NULL,
    last_event_at DATETIME,
    suppressed    INTEGER NOT NULL DEFAULT 0 CHECK (suppressed >= 0),
    objects       TEXT NOT NULL DEFAULT '',
    objects_full  BOOLEAN NOT NULL DEFAULT 0,
    PRIMARY KEY (actor_type, actor_id)
);

-- +goose Down
DROP TABLE audit_denial_counters;
ALTER TABLE audit_chain DROP COLUMN mac;
ALTER TABLE audit_chain DROP COLUMN key_id;
ALTER TABLE audit_chain DROP COLUMN occurred_at;
ALTER TABLE audit_events DROP COLUMN prev_occurred_at;
ALTER TABLE audit_events DROP COLUMN detail;
ALTER TABLE audit_events DROP COLUMN key_id;
