-- +goose Up
-- The same data keys as postgres/00006_data_keys.sql, in SQLite's types.
CREATE TABLE data_keys (
    scope      TEXT PRIMARY KEY,
    kek_id     TEXT NOT NULL,
    wrapped    TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    rotated_at DATETIME
);
CREATE INDEX data_keys_kek_id_idx ON data_keys (kek_id);

-- +goose Down
DROP TABLE data_keys;
