-- +goose Up
-- The same two-factor sign-in columns and table as postgres/00007_mfa.sql, in SQLite's types.
ALTER TABLE users ADD COLUMN mfa_secret TEXT;
ALTER TABLE users ADD COLUMN mfa_pending_secret TEXT;
ALTER TABLE users ADD COLUMN mfa_enabled_at DATETIME;
ALTER TABLE users ADD COLUMN mfa_last_step INTEGER;

ALTER TABLE sessions ADD COLUMN mfa BOOLEAN NOT NULL DEFAULT 0;

CREATE TABLE recovery_codes (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    code_hash  TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    used_at    DATETIME
);
CREATE UNIQUE INDEX recovery_codes_user_code_idx ON recovery_codes (user_id, code_hash);

-- +goose Down
DROP TABLE recovery_codes;
ALTER TABLE sessions DROP COLUMN mfa;
ALTER TABLE users DROP COLUMN mfa_last_step;
ALTER TABLE users DROP COLUMN mfa_enabled_at;
ALTER TABLE users DROP COLUMN mfa_pending_secret;
ALTER TABLE users DROP COLUMN mfa_secret;
