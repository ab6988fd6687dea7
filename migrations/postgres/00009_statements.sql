-- +goose Up
-- Victim impact statements and their revisions.
--
-- A statement belongs to a victim (and, through it, to the victim's case, whose ID is kept here too so that
-- access is decided the same way as for every other record of a case). The statement row holds no text:
-- every save (creating, editing, submitting, finalizing) appends a revision, and the text lives only in the
-- revisions, sealed (AES-256-GCM under the case's data key, bound to table, column and the revision's ID, so
-- that a value copied to another revision does not open). NULL means the section is empty.
--
-- `revision` is the number of the current revision; `final_revision` the number of the last revision that
-- was finalized, the one exhibits use, which stays when a final statement is edited into a new draft.
CREATE TABLE statements (
    id             uuid PRIMARY KEY,
    case_id        uuid NOT NULL REFERENCES cases (id),
    victim_id      uuid NOT NULL REFERENCES victims (id),
    language       text NOT NULL DEFAULT 'en',
    delivery       text NOT NULL DEFAULT 'written' CHECK (delivery IN ('written', 'oral', 'both')),
    status         text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'final')),
    revision       integer NOT NULL CHECK (revision >= 1),
    final_revision integer CHECK (final_revision >= 1 AND final_revision <= revision),
    created_at     timestamptz NOT NULL,
    created_by     uuid REFERENCES users (id), -- NULL when the system made it
    updated_at     timestamptz NOT NULL,
    updated_by     uuid REFERENCES users (id),
    version        bigint NOT NULL DEFAULT 1
);
CREATE INDEX statements_victim_id_idx ON statements (victim_id, id);
CREATE INDEX statements_case_id_idx ON statements (case_id, id);

-- Append-only: a revision is never changed or removed (the triggers below refuse it).
CREATE TABLE statement_revisions (
    id                       uuid PRIMARY KEY,
    statement_id             uuid NOT NULL REFERENCES statements (id),
    number                   integer NOT NULL CHECK (number >= 1),
    status                   text NOT NULL CHECK (status IN ('draft', 'submitted', 'final')),
    language                 text NOT NULL,
    delivery                 text NOT NULL CHECK (delivery IN ('written', 'oral', 'both')),
    emotional                text,             -- sealed
    physical                 text,             -- sealed
    financial                text,             -- sealed
    other                    text,             -- sealed
    restitution_request_text text,             -- sealed
    created_at               timestamptz NOT NULL,
    created_by               uuid REFERENCES users (id),
    UNIQUE (statement_id, number)
);

-- +goose StatementBegin
CREATE FUNCTION statement_revisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'statement_revisions is append-only: % refused', TG_OP;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER statement_revisions_no_update BEFORE UPDATE ON statement_revisions
    FOR EACH ROW EXECUTE FUNCTION statement_revisions_append_only();
CREATE TRIGGER statement_revisions_no_delete BEFORE DELETE ON statement_revisions
    FOR EACH ROW EXECUTE FUNCTION statement_revisions_append_only();
CREATE TRIGGER statement_revisions_no_truncate BEFORE TRUNCATE ON statement_revisions
    FOR EACH STATEMENT EXECUTE FUNCTION statement_revisions_append_only();

-- +goose Down
DROP TABLE statement_revisions;
DROP TABLE statements;
DROP FUNCTION statement_revisions_append_only();
