-- +goose Up
-- Bulk imports of victim lists (a breached organisation's notification list, as CSV), all or nothing.
--
-- An import's rows are written straight into victims and losses, in short transactions of a few hundred rows,
-- tagged with import_id. Until the import's status is 'succeeded' they are invisible: the store reads victims
-- and losses only through a filter that hides rows of imports not yet succeeded. Publishing is then one
-- update of one victim_imports row, however many rows the file had, so that SQLite's single writer is never
-- held for long. An import that fails after writing rows deletes them again (rolling_back) before it says
-- 'failed'. The unique blind indexes of victims cover hidden rows too, so that duplicates are refused
-- however an import and a person at a keyboard interleave.
--
-- The uploaded file is stored sealed in document storage under the import's ID while the import runs, and
-- removed when it ends (cleaned_at). The work runs as a River job; worker_token and heartbeat_at say which
-- worker holds the import, so that a job River runs twice never imports twice, and a watchdog hands an
-- import whose worker died (no heartbeat) to a new job.
CREATE TABLE victim_imports (
    id              uuid PRIMARY KEY,
    case_id         uuid NOT NULL REFERENCES cases (id),
    status          text NOT NULL DEFAULT 'validating'
        CHECK (status IN ('validating', 'importing', 'succeeded', 'failed')),
    -- 'upload': the file is sealed in document storage; 'command_line': read from a local file by the CLI.
    source          text NOT NULL CHECK (source IN ('upload', 'command_line')),
    file_size_bytes bigint NOT NULL CHECK (file_size_bytes >= 0),
    file_sha256     text NOT NULL CHECK (length(file_sha256) = 64),
    -- The Idempotency-Key the upload came with, unique per uploader.
    idempotency_key text,
    rows_total      integer NOT NULL DEFAULT 0 CHECK (rows_total >= 0),
    -- Rows checked while validating; rows written while importing, which is where a new worker resumes.
    rows_done       integer NOT NULL DEFAULT 0 CHECK (rows_done >= 0),
    victims_created integer NOT NULL DEFAULT 0 CHECK (victims_created >= 0),
    losses_created  integer NOT NULL DEFAULT 0 CHECK (losses_created >= 0),
    error_count     integer NOT NULL DEFAULT 0 CHECK (error_count >= 0),
    -- Why an import failed when the file was not at fault ('server_error', 'stopped'); NULL otherwise.
    failure         text,
    rolling_back    boolean NOT NULL DEFAULT false,
    -- How many runs have claimed the import: one that keeps dying (a file that crashes its worker) is failed.
    runs            integer NOT NULL DEFAULT 0 CHECK (runs >= 0),
    worker_token    text,
    heartbeat_at    timestamptz,
    nudged_at       timestamptz,
    created_at      timestamptz NOT NULL,
    created_by      text NOT NULL,
    -- The upload's request, for the audit event the import records when it ends.
    request_id      text NOT NULL DEFAULT '',
    client_ip       text NOT NULL DEFAULT '',
    finished_at     timestamptz,
    cleaned_at      timestamptz,
    CHECK ((status IN ('succeeded', 'failed')) = (finished_at IS NOT NULL)),
    CHECK (rolling_back = false OR status = 'importing')
);
CREATE UNIQUE INDEX victim_imports_idempotency_key_idx ON victim_imports (created_by, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX victim_imports_case_id_idx ON victim_imports (case_id, id);
CREATE INDEX victim_imports_unfinished_idx ON victim_imports (status) WHERE cleaned_at IS NULL;

-- What is wrong with a file, by line (1-based, the header is line 1) and column; never a cell's value.
CREATE TABLE victim_import_errors (
    import_id   uuid NOT NULL REFERENCES victim_imports (id),
    seq         integer NOT NULL,
    line        integer NOT NULL CHECK (line >= 1),
    column_name text NOT NULL,
    message     text NOT NULL,
    PRIMARY KEY (import_id, seq)
);

ALTER TABLE victims ADD COLUMN import_id uuid REFERENCES victim_imports (id);
ALTER TABLE losses ADD COLUMN import_id uuid REFERENCES victim_imports (id);
CREATE INDEX victims_import_id_idx ON victims (import_id) WHERE import_id IS NOT NULL;
CREATE INDEX losses_import_id_idx ON losses (import_id) WHERE import_id IS NOT NULL;

-- +goose Down
DROP INDEX losses_import_id_idx;
DROP INDEX victims_import_id_idx;
ALTER TABLE losses DROP COLUMN import_id;
ALTER TABLE victims DROP COLUMN import_id;
DROP TABLE victim_import_errors;
DROP TABLE victim_imports;
