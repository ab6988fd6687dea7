-- +goose Up
-- The same statement tables as postgres/00009_statements.sql, in SQLite's types; see there for what is
-- sealed and why.
CREATE TABLE statements (
    id             TEXT PRIMARY KEY,
    case_id        TEXT NOT NULL REFERENCES cases (id),
    victim_id      TEXT NOT NULL REFERENCES victims (id),
    language       TEXT NOT NULL DEFAULT 'en',
    delivery       TEXT NOT NULL DEFAULT 'written' CHECK (delivery IN ('written', 'oral', 'both')),
    status         TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'final')),
    revision       INTEGER NOT NULL CHECK (revision >= 1),
    final_revision INTEGER CHECK (final_revision >= 1 AND final_revision <= revision),
    created_at     DATETIME NOT NULL,
    created_by     TEXT REFERENCES users (id),
    updated_at     DATETIME NOT NULL,
    updated_by     TEXT REFERENCES users (id),
    version        INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;
CREATE INDEX statements_victim_id_idx ON statements (victim_id, id);
CREATE INDEX statements_case_id_idx ON statements (case_id, id);

CREATE TABLE statement_revisions (
    id                       TEXT PRIMARY KEY,
    statement_id             TEXT NOT NULL REFERENCES statements (id),
    number                   INTEGER NOT NULL CHECK (number >= 1),
    status                   TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'final')),
    language                 TEXT NOT NULL,
    delivery                 TEXT NOT NULL CHECK (delivery IN ('written', 'oral', 'both')),
    emotional                TEXT,
    physical                 TEXT,
    financial                TEXT,
    other                    TEXT,
    restitution_request_text TEXT,
    created_at               DATETIME NOT NULL,
    created_by               TEXT REFERENCES users (id),
    UNIQUE (statement_id, number)
) WITHOUT ROWID;

-- +goose StatementBegin
CREATE TRIGGER statement_revisions_no_update BEFORE UPDATE ON statement_revisions
BEGIN
    SELECT RAISE(ABORT, 'statement_revisions is append-only: UPDATE refused');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER statement_revisions_no_delete BEFORE DELETE ON statement_revisions
BEGIN
    SELECT RAISE(ABORT, 'statement_revisions is append-only: DELETE refused');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE statement_revisions;
DROP TABLE statements;
