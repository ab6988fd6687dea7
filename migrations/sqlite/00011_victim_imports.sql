-- +goose Up
-- The same victim imports as postgres/00011_victim_imports.sql, in SQLite's types; see there for how an
-- import's rows stay invisible until it succeeds, and why.
CREATE TABLE victim_imports (
    id              TEXT PRIMARY KEY,
    case_id         TEXT NOT NULL REFERENCES cases (id),
    status          TEXT NOT NULL DEFAULT 'validating'
        CHECK (status IN ('validating', 'importing', 'succeeded', 'failed')),
    source          TEXT NOT NULL CHECK (source IN ('upload', 'command_line')),
    file_size_bytes INTEGER NOT NULL CHECK (file_size_bytes >= 0),
    file_sha256     TEXT NOT NULL CHECK (length(file_sha256) = 64),
    idempotency_key TEXT,
    rows_total      INTEGER NOT NULL DEFAULT 0 CHECK (rows_total >= 0),
    rows_done       INTEGER NOT NULL DEFAULT 0 CHECK (rows_done >= 0),
    victims_created INTEGER NOT NULL DEFAULT 0 CHECK (victims_created >= 0),
    losses_created  INTEGER NOT NULL DEFAULT 0 CHECK (losses_created >= 0),
    error_count     INTEGER NOT NULL DEFAULT 0 CHECK (error_count >= 0),
    failure         TEXT,
    rolling_back    BOOLEAN NOT NULL DEFAULT 0,
    runs            INTEGER NOT NULL DEFAULT 0 CHECK (runs >= 0),
    worker_token    TEXT,
    heartbeat_at    DATETIME,
    nudged_at       DATETIME,
    created_at      DATETIME NOT NULL,
    created_by      TEXT NOT NULL,
    request_id      TEXT NOT NULL DEFAULT '',
    client_ip       TEXT NOT NULL DEFAULT '',
    finished_at     DATETIME,
    cleaned_at      DATETIME,
    CHECK ((status IN ('succeeded', 'failed')) = (finished_at IS NOT NULL)),
    CHECK (rolling_back = 0 OR status = 'importing')
) WITHOUT ROWID;
CREATE UNIQUE INDEX victim_imports_idempotency_key_idx ON victim_imports (created_by, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX victim_imports_case_id_idx ON victim_imports (case_id, id);
CREATE INDEX victim_imports_unfinished_idx ON victim_imports (status) WHERE cleaned_at IS NULL;

CREATE TABLE victim_import_errors (
    import_id   TEXT NOT NULL REFERENCES victim_imports (id),
    seq         INTEGER NOT NULL,
    line        INTEGER NOT NULL CHECK (line >= 1),
    column_name TEXT NOT NULL,
    message     TEXT NOT NULL,
    PRIMARY KEY (import_id, seq)
) WITHOUT ROWID;

ALTER TABLE victims ADD COLUMN import_id TEXT REFERENCES victim_imports (id);
ALTER TABLE losses ADD COLUMN import_id TEXT REFERENCES victim_imports (id);
CREATE INDEX victims_import_id_idx ON victims (import_id) WHERE import_id IS NOT NULL;
CREATE INDEX losses_import_id_idx ON losses (import_id) WHERE import_id IS NOT NULL;

-- +goose Down
DROP INDEX losses_import_id_idx;
DROP INDEX victims_import_id_idx;
ALTER TABLE losses DROP COLUMN import_id;
ALTER TABLE victims DROP COLUMN import_id;
DROP TABLE victim_import_errors;
DROP TABLE victim_imports;
