-- +goose Up
-- The same step-up, token scope and password reset schema as postgres/00016_step_up_and_password_reset.sql,
-- in SQLite's types. SQLite cannot add NOT NULL to an existing column, so authenticated_at gets a placeholder
-- default that the update replaces at once.
ALTER TABLE sessions ADD COLUMN authenticated_at DATETIME NOT NULL DEFAULT '1970-01-01 00:00:00+00:00';
UPDATE sessions SET authenticated_at = created_at;

ALTER TABLE api_tokens ADD COLUMN access TEXT NOT NULL DEFAULT 'write' CHECK (access IN ('read', 'write'));
ALTER TABLE api_tokens ADD COLUMN sensitive BOOLEAN NOT NULL DEFAULT 0;

CREATE TABLE password_resets (
    user_id    TEXT PRIMARY KEY REFERENCES users (id),
    code_hash  TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL
);

-- +goose Down
DROP TABLE password_resets;
ALTER TABLE api_tokens DROP COLUMN sensitive;
ALTER TABLE api_tokens DROP COLUMN access;
ALTER TABLE sessions DROP COLUMN authenticated_at;
