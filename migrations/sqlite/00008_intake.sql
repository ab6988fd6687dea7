-- +goose Up
-- The same intake tables as postgres/00008_intake.sql, in SQLite's types; see there for what is sealed and
-- why. Booleans are integers 0 and 1.
CREATE TABLE victims (
    id                    TEXT PRIMARY KEY,
    case_id               TEXT NOT NULL REFERENCES cases (id),
    kind                  TEXT NOT NULL
        CHECK (kind IN ('individual', 'business', 'government', 'insurer', 'compensation_fund')),
    name                  TEXT NOT NULL,
    search_key            TEXT NOT NULL,
    is_minor              BOOLEAN NOT NULL DEFAULT 0,
    date_of_birth         TEXT,
    ssn                   TEXT,
    ssn_last4             TEXT,
    ssn_index             TEXT,
    name_dob_index        TEXT,
    email                 TEXT,
    phone                 TEXT,
    mailing_address       TEXT,
    address_confidential  BOOLEAN NOT NULL DEFAULT 0,
    preferred_language    TEXT NOT NULL DEFAULT 'en',
    interpreter_needed    BOOLEAN NOT NULL DEFAULT 0,
    wants_to_be_heard     TEXT NOT NULL DEFAULT 'none'
        CHECK (wants_to_be_heard IN ('written', 'oral', 'both', 'none')),
    notification_channels TEXT NOT NULL DEFAULT '[]',
    status                TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'declined', 'unreachable')),
    notes                 TEXT NOT NULL,
    created_at            DATETIME NOT NULL,
    updated_at            DATETIME NOT NULL,
    version               INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;
CREATE INDEX victims_case_id_idx ON victims (case_id, id);
CREATE UNIQUE INDEX victims_ssn_index_idx ON victims (case_id, ssn_index);
CREATE UNIQUE INDEX victims_name_dob_index_idx ON victims (case_id, name_dob_index);

CREATE TABLE defendants (
    id            TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases (id),
    name          TEXT NOT NULL,
    date_of_birth TEXT,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;
CREATE INDEX defendants_case_id_idx ON defendants (case_id, id);

CREATE TABLE charges (
    id           TEXT PRIMARY KEY,
    defendant_id TEXT NOT NULL REFERENCES defendants (id),
    count_number INTEGER NOT NULL CHECK (count_number >= 1),
    statute      TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    disposition  TEXT NOT NULL DEFAULT 'pending'
        CHECK (disposition IN ('pending', 'convicted', 'pleaded', 'acquitted', 'dismissed')),
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    UNIQUE (defendant_id, count_number)
) WITHOUT ROWID;

CREATE TABLE hearings (
    id         TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases (id),
    kind       TEXT NOT NULL
        CHECK (kind IN ('arraignment', 'plea', 'trial', 'sentencing', 'restitution', 'other')),
    starts_at  DATETIME NOT NULL,
    location   TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL DEFAULT 'scheduled'
        CHECK (status IN ('scheduled', 'held', 'continued', 'cancelled')),
    notes      TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;
CREATE INDEX hearings_case_id_starts_at_idx ON hearings (case_id, starts_at, id);

-- +goose Down
DROP TABLE hearings;
DROP TABLE charges;
DROP TABLE defendants;
DROP TABLE victims;
