-- +goose Up
-- Data keys of the envelope encryption: one per case, and 'global' for data outside cases. Each is stored
-- wrapped by a key-encryption key from the environment, named by kek_id; rotation rewraps these rows and
-- never touches the data they seal.
CREATE TABLE data_keys (
    scope      text PRIMARY KEY,
    kek_id     text NOT NULL,
    wrapped    text NOT NULL,
    created_at timestamptz NOT NULL,
    rotated_at timestamptz
);
CREATE INDEX data_keys_kek_id_idx ON data_keys (kek_id);

-- +goose Down
DROP TABLE data_keys;
