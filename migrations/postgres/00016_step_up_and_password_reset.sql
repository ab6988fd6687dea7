-- +goose Up
-- Step-up re-authentication (CJIS IA-11): when the session last proved its password, and its second factor
-- where the account has one. Sign-in counts as proof at its time, so sessions open now carry their sign-in.
ALTER TABLE sessions ADD COLUMN authenticated_at timestamptz;
UPDATE sessions SET authenticated_at = created_at;
ALTER TABLE sessions ALTER COLUMN authenticated_at SET NOT NULL;

-- API token scopes: 'read' tokens may only read; 'write' tokens may change data; 'sensitive' adds the
-- actions that need a recent re-authentication. Tokens made before scopes existed could change data, so
-- they stay 'write', and none becomes 'sensitive'.
ALTER TABLE api_tokens ADD COLUMN access text NOT NULL DEFAULT 'write' CHECK (access IN ('read', 'write'));
ALTER TABLE api_tokens ADD COLUMN sensitive boolean NOT NULL DEFAULT false;

-- One-time password reset codes an administrator issues: at most one per account (a new reset replaces the
-- old code), stored only as a hash, used at most once (the row is deleted when used) and before expires_at.
CREATE TABLE password_resets (
    user_id    uuid PRIMARY KEY REFERENCES users (id),
    code_hash  text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE password_resets;
ALTER TABLE api_tokens DROP COLUMN sensitive;
ALTER TABLE api_tokens DROP COLUMN access;
ALTER TABLE sessions DROP COLUMN authenticated_at;
