-- +goose Up
-- The same staff accounts and sessions as postgres/00003_users.sql, in SQLite's types.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    email_key     TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'advocate', 'prosecutor', 'clerk')),
    active        BOOLEAN NOT NULL DEFAULT 1,
    password_hash TEXT NOT NULL,
    locked_at     DATETIME,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users (id),
    role         TEXT NOT NULL,
    created_at   DATETIME NOT NULL,
    last_seen_at DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE login_failures (
    id          TEXT PRIMARY KEY,
    email_hash  TEXT NOT NULL,
    client_ip   TEXT NOT NULL,
    occurred_at DATETIME NOT NULL
);
CREATE INDEX login_failures_email_hash_idx ON login_failures (email_hash, occurred_at);
CREATE INDEX login_failures_occurred_at_idx ON login_failures (occurred_at);
CREATE INDEX login_failures_client_ip_idx ON login_failures (client_ip, occurred_at);

-- +goose Down
DROP TABLE login_failures;
DROP TABLE sessions;
DROP TABLE users;
