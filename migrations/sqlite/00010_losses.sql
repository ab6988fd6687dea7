-- +goose Up
-- The same losses and documents tables as postgres/00010_losses.sql, in SQLite's types; see there for what
-- is sealed, the units of money and hours, and the foreign keys through the case.
CREATE UNIQUE INDEX victims_id_case_id_idx ON victims (id, case_id);
CREATE UNIQUE INDEX defendants_id_case_id_idx ON defendants (id, case_id);

CREATE TABLE losses (
    id                TEXT PRIMARY KEY,
    case_id           TEXT NOT NULL REFERENCES cases (id),
    victim_id         TEXT NOT NULL,
    category          TEXT NOT NULL
        CHECK (category IN ('fraudulent_charges', 'lost_wages', 'credit_monitoring', 'remediation_time',
            'legal_fees', 'counseling', 'travel_and_court_costs', 'postage_and_notary', 'property_or_equipment',
            'investigation_and_response', 'future_expense', 'other')),
    claimed_cents     INTEGER NOT NULL CHECK (claimed_cents BETWEEN 0 AND 10000000000000),
    verified_cents    INTEGER CHECK (verified_cents BETWEEN 0 AND 10000000000000),
    reimbursed_cents  INTEGER NOT NULL DEFAULT 0 CHECK (reimbursed_cents BETWEEN 0 AND 10000000000000),
    reimbursed_by     TEXT,
    defendant_id      TEXT,
    charge_count      INTEGER CHECK (charge_count >= 1),
    hours_hundredths  INTEGER CHECK (hours_hundredths BETWEEN 0 AND 10000000),
    hourly_rate_cents INTEGER CHECK (hourly_rate_cents BETWEEN 0 AND 10000000000000),
    description       TEXT NOT NULL,
    incurred_on       TEXT,
    status            TEXT NOT NULL DEFAULT 'claimed'
        CHECK (status IN ('claimed', 'verified', 'disputed', 'excluded', 'ordered')),
    voided_at         DATETIME,
    void_reason       TEXT,
    voided_by         TEXT,
    created_at        DATETIME NOT NULL,
    created_by        TEXT NOT NULL,
    updated_at        DATETIME NOT NULL,
    updated_by        TEXT NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    CHECK (reimbursed_cents <= COALESCE(verified_cents, claimed_cents)),
    CHECK ((hours_hundredths IS NULL) = (hourly_rate_cents IS NULL)),
    CHECK (charge_count IS NULL OR defendant_id IS NOT NULL),
    CHECK (status NOT IN ('verified', 'ordered') OR verified_cents IS NOT NULL),
    CHECK ((voided_at IS NULL) = (void_reason IS NULL)),
    FOREIGN KEY (victim_id, case_id) REFERENCES victims (id, case_id),
    FOREIGN KEY (defendant_id, case_id) REFERENCES defendants (id, case_id)
) WITHOUT ROWID;
CREATE INDEX losses_victim_id_idx ON losses (victim_id, id);
CREATE INDEX losses_case_id_idx ON losses (case_id);
CREATE UNIQUE INDEX losses_id_case_id_idx ON losses (id, case_id);

CREATE TABLE documents (
    id           TEXT PRIMARY KEY,
    loss_id      TEXT NOT NULL,
    case_id      TEXT NOT NULL REFERENCES cases (id),
    file_name    TEXT NOT NULL,
    media_type   TEXT NOT NULL CHECK (media_type IN ('application/pdf', 'image/png', 'image/jpeg', 'text/plain')),
    size_bytes   INTEGER NOT NULL CHECK (size_bytes BETWEEN 1 AND 26214400),
    sha256       TEXT NOT NULL CHECK (length(sha256) = 64),
    storage_name TEXT NOT NULL UNIQUE,
    created_at   DATETIME NOT NULL,
    created_by   TEXT NOT NULL,
    voided_at    DATETIME,
    void_reason  TEXT,
    voided_by    TEXT,
    CHECK ((voided_at IS NULL) = (void_reason IS NULL)),
    FOREIGN KEY (loss_id, case_id) REFERENCES losses (id, case_id)
) WITHOUT ROWID;
CREATE INDEX documents_loss_id_idx ON documents (loss_id, id);

-- +goose Down
DROP TABLE documents;
DROP TABLE losses;
DROP INDEX defendants_id_case_id_idx;
DROP INDEX victims_id_case_id_idx;
