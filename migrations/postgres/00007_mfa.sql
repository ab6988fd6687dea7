-- +goose Up
-- Two-factor sign-in (CJIS IA-2). TOTP secrets are stored only sealed with the 'global' data key, bound to
-- the column and the account's row. mfa_last_step is the last 30-second step accepted, so that no code
-- works twice. Recovery codes are stored as SHA-256 hashes and used at most once.
ALTER TABLE users ADD COLUMN mfa_secret text;
ALTER TABLE users ADD COLUMN mfa_pending_secret text;
ALTER TABLE users ADD COLUMN mfa_enabled_at timestamptz;
ALTER TABLE users ADD COLUMN mfa_last_step bigint;

-- Whether the session passed two-factor sign-in, or set it up while signed in.
ALTER TABLE sessions ADD COLUMN mfa boolean NOT NULL DEFAULT false;

CREATE TABLE recovery_codes (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id),
    code_hash  text NOT NULL,
    created_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE UNIQUE INDEX recovery_codes_user_code_idx ON recovery_codes (user_id, code_hash);

-- +goose Down
DROP TABLE recovery_codes;
ALTER TABLE sessions DROP COLUMN mfa;
ALTER TABLE users DROP COLUMN mfa_last_step;
ALTER TABLE users DROP COLUMN mfa_enabled_at;
ALTER TABLE users DROP COLUMN mfa_pending_secret;
ALTER TABLE users DROP COLUMN mfa_secret;
