-- +goose Up
-- Staff accounts and their server-side sessions.
CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL,
    -- The lower-cased email: unique, so that sign-in ignores letter case.
    email_key     text NOT NULL UNIQUE,
    display_name  text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'supervisor', 'advocate', 'prosecutor', 'clerk')),
    active        boolean NOT NULL DEFAULT true,
    password_hash text NOT NULL,
    -- Set when too many sign-ins fail (CJIS AC-7); cleared by an administrator or when the lockout ends.
    locked_at     timestamptz,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    version       bigint NOT NULL DEFAULT 1
);

-- A session is stored only as the SHA-256 of its token; the token itself lives in the browser's cookie.
CREATE TABLE sessions (
    id           uuid PRIMARY KEY,
    token_hash   text NOT NULL UNIQUE,
    user_id      uuid NOT NULL REFERENCES users (id),
    -- The role at sign-in: a session whose user's role has changed since is over.
    role         text NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

-- Recent failed sign-ins, counted per account and per client address over a sliding window. Kept here, not
-- in memory, so that every instance of the service counts the same failures.
CREATE TABLE login_failures (
    id          uuid PRIMARY KEY,
    -- SHA-256 of the lower-cased email tried, so that a password typed into the email field is not kept.
    email_hash  text NOT NULL,
    client_ip   text NOT NULL,
    occurred_at timestamptz NOT NULL
);
CREATE INDEX login_failures_email_hash_idx ON login_failures (email_hash, occurred_at);
CREATE INDEX login_failures_occurred_at_idx ON login_failures (occurred_at);
CREATE INDEX login_failures_client_ip_idx ON login_failures (client_ip, occurred_at);

-- +goose Down
DROP TABLE login_failures;
DROP TABLE sessions;
DROP TABLE users;
