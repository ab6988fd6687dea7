-- +goose Up
-- Jurisdiction profiles are data, not code: the restitution ledger will give them interest terms and
-- priority classes. Cases refer to them by code.
CREATE TABLE jurisdictions (
    code       text PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO jurisdictions (code, name) VALUES
    ('us-co', 'Colorado'),
    ('us-federal', 'United States (federal)');

CREATE TABLE cases (
    id                uuid PRIMARY KEY,
    court_case_number text NOT NULL,
    caption           text NOT NULL,
    court             text NOT NULL,
    jurisdiction      text NOT NULL REFERENCES jurisdictions (code),
    status            text NOT NULL DEFAULT 'intake'
        CHECK (status IN ('intake', 'charged', 'convicted', 'sentenced', 'closed', 'on_appeal')),
    sentencing_date   date,
    notes             text NOT NULL DEFAULT '',
    -- Lower-cased caption and case number, folded in Go so that both databases match Unicode alike.
    search_key        text NOT NULL,
    -- Lower-cased court and case number: a court case number is unique within its court, whatever the case.
    court_key         text NOT NULL UNIQUE,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    version           bigint NOT NULL DEFAULT 1
);

CREATE INDEX cases_status_id_idx ON cases (status, id);

-- +goose Down
DROP TABLE cases;
DROP TABLE jurisdictions;
