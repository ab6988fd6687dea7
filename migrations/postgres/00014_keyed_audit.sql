-- +goose Up
-- The audit chain becomes keyed: each event's hash is an HMAC-SHA256 under an audit key the database never
-- holds in the clear, so that someone who can write to the database can no longer rewrite an event and
-- recompute the hashes after it. key_id names the key that chained each event ('' for the events written
-- before this migration, which keep their plain SHA-256 and are sealed by a checkpoint event the service
-- appends at its next start). detail is a small JSON object of IDs, codes, field names and counts, never
-- personal data; it is text, not jsonb, because the hash covers it byte for byte and jsonb would rewrite it.
-- prev_occurred_at is when the event before it occurred, keyed with the rest (NULL for the first event and the
-- events from before this migration): once that event is gone, it shows whether it was old enough for the
-- triggers to let it be purged, so that a trail cut short from the start shows. Adding a column with a
-- constant default, or none, rewrites no row, so the append-only triggers do not fire.
ALTER TABLE audit_events
    ADD COLUMN key_id           text NOT NULL DEFAULT '',
    ADD COLUMN detail           text NOT NULL DEFAULT '',
    ADD COLUMN prev_occurred_at timestamptz;

-- The chain head is keyed too: mac is an HMAC of (seq, hash, occurred_at) under the key that chained the
-- latest event, so that nobody but the service can move the head, and the time of its event, which the next
-- event keys as its prev_occurred_at, cannot be backdated.
ALTER TABLE audit_chain
    ADD COLUMN occurred_at timestamptz,
    ADD COLUMN key_id      text NOT NULL DEFAULT '',
    ADD COLUMN mac         text NOT NULL DEFAULT '';

-- How many refusals each actor met since their latest access.denied event: a signed-in caller's refusals,
-- and an address's attempts refused by the sign-in throttle (actor_type 'anonymous', actor_id the address),
-- are audited at most once a minute per actor, each event counting the refusals it stands for. Kept in the
-- database, so that every instance counts against one limit.
CREATE TABLE audit_denial_counters (
    actor_type    text NOT NULL,
    actor_id      text NOT NULL,
    -- When the actor's latest access.denied event was appended; NULL before the first.
    last_event_at timestamptz,
    -- Refusals since that event that wrote no event of their own.
    suppressed    bigint NOT NULL DEFAULT 0 CHECK (suppressed >= 0),
    -- What those refusals addressed, bounded, for the next event to list: JSON of operation, object type,
    -- object and case IDs (codes and IDs only), or ''.
    objects       text NOT NULL DEFAULT '',
    -- Set once objects can change no more, so that a wide scan's refusals are counted without reading it.
    objects_full  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (actor_type, actor_id)
);

-- +goose Down
DROP TABLE audit_denial_counters;
ALTER TABLE audit_chain DROP COLUMN mac, DROP COLUMN key_id, DROP COLUMN occurred_at;
ALTER TABLE audit_events DROP COLUMN prev_occurred_at, DROP COLUMN detail, DROP COLUMN key_id;
