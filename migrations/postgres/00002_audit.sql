-- +goose Up
-- The audit trail (CJIS AU-2/AU-3/AU-9): append-only, each row's hash chained to the row before it, so
-- that a changed or removed row shows. Rows hold IDs and codes, never names or other personal data.
CREATE TABLE audit_events (
    seq         bigint PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    occurred_at timestamptz NOT NULL,
    actor_type  text NOT NULL CHECK (actor_type IN ('user', 'victim', 'system', 'anonymous')),
    actor_id    text NOT NULL DEFAULT '',
    action      text NOT NULL,
    object_type text NOT NULL DEFAULT '',
    object_id   text NOT NULL DEFAULT '',
    case_id     uuid,
    outcome     text NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
    request_id  text NOT NULL DEFAULT '',
    client_ip   text NOT NULL DEFAULT '',
    prev_hash   text NOT NULL,
    hash        text NOT NULL
);
CREATE INDEX audit_events_case_id_seq_idx ON audit_events (case_id, seq);
CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at);

-- The head of the chain: one row, locked by each writer while it appends, so that appends form one line.
CREATE TABLE audit_chain (
    id   integer PRIMARY KEY CHECK (id = 1),
    seq  bigint NOT NULL,
    hash text NOT NULL
);
INSERT INTO audit_chain (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Rows are never changed; only rows older than 365 days may be purged.
-- +goose StatementBegin
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.occurred_at < now() - interval '365 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- +goose Down
DROP TABLE audit_chain;
DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
