-- +goose Up
-- The same schema as postgres/00001_cases.sql, in SQLite's types. UUIDs are text; timestamps are text that
-- the driver reads back as time values. Cases are stored in ID order (WITHOUT ROWID): lists walk IDs
-- newest first, and a search then reads the table itself instead of an index and the table by turns.
CREATE TABLE jurisdictions (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);

INSERT INTO jurisdictions (code, name) VALUES
    ('us-co', 'Colorado'),
    ('us-federal', 'United States (federal)');

CREATE TABLE cases (
    id                TEXT PRIMARY KEY,
    court_case_number TEXT NOT NULL,
    caption           TEXT NOT NULL,
    court             TEXT NOT NULL,
    jurisdiction      TEXT NOT NULL REFERENCES jurisdictions (code),
    status            TEXT NOT NULL DEFAULT 'intake'
        CHECK (status IN ('intake', 'charged', 'convicted', 'sentenced', 'closed', 'on_appeal')),
    sentencing_date   DATE,
    notes             TEXT NOT NULL DEFAULT '',
    search_key        TEXT NOT NULL,
    court_key         TEXT NOT NULL UNIQUE,
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;

CREATE INDEX cases_status_id_idx ON cases (status, id);

-- +goose Down
DROP TABLE cases;
DROP TABLE jurisdictions;
