-- +goose Up
-- The same API tokens as postgres/00005_api_tokens.sql, in SQLite's types.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL,
    last_used_at DATETIME,
    revoked_at   DATETIME
);
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id, created_at);

-- +goose Down
DROP TABLE api_tokens;
