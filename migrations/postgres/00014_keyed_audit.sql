-- +goose Up
-- The audit chain becomes keyed: each event's hash is an HMAC-SHA256 under an audit key the database never
-- holds in the clear, so that someone who can write to the database can no longer rewrite an event and
-- recompute the hashes after it. key_id names the key that chained each event ('' for the events written
-- before this migration, which keep their plain SHA-256 and are sealed by a checkpoint event the service
-- appends at its next start). detail is a small JSON object of IDs, codes, field names and counts, never
-- personal data; it is text, not jsonb, because the hash covers it byte for byte and jsonb would rewrite it.
-- Adding a column with a constant default rewrites no row, so the append-only triggers do not fire.
ALTER TABLE audit_events
    ADD COLUMN key_id text NOT NULL DEFAULT '',
    ADD COLUMN detail text NOT NULL DEFAULT '';

-- The chain head is keyed too: mac is an HMAC of (seq, hash) under the key that chained the latest event, so
-- that the head cannot be wound back to an earlier event to hide the events after it.
ALTER TABLE audit_chain
    ADD COLUMN key_id text NOT NULL DEFAULT '',
    ADD COLUMN mac    text NOT NULL DEFAULT '';

-- How many refusals each actor met since their latest access.denied event: a signed-in caller's refusals
-- are audited at most once a minute per actor, each event counting the refusals it stands for. Kept in the
-- database, updated in the transaction of the append, so that every instance counts against one limit.
CREATE TABLE audit_denial_counters (
    actor_type    text NOT NULL,
    actor_id      text NOT NULL,
    -- When the actor's latest access.denied event was appended; NULL before the first.
    last_event_at timestamptz,
    -- Refusals since that event that wrote no event of their own.
    suppressed    bigint NOT NULL DEFAULT 0 CHECK (suppressed >= 0),
    PRIMARY KEY (actor_type, actor_id)
);

-- +goose Down
DROP TABLE audit_denial_counters;
ALTER TABLE audit_chain DROP COLUMN mac, DROP COLUMN key_id;
ALTER TABLE audit_events DROP COLUMN detail, DROP COLUMN key_id;
