-- +goose Up
-- Itemized losses of victims and the documents (receipts, statements, letters) attached to them. 00009 is
-- the impact statements' migration, made on another branch.
--
-- Money is integer cents (bigint), never floating point, each amount from 0 to 10^13 cents ($100 billion),
-- so that a case's totals cannot overflow a bigint. Hours of remediation time are integer hundredths of an
-- hour (hours_hundredths 1250 is 12.5 hours), with the hourly rate in cents; the application checks that
-- claimed_cents is their product rounded half-up to the cent.
--
-- Sealed (AES-256-GCM under the case's data key, bound to table, column and row): the description, who
-- reimbursed the loss, the reason a loss or document was voided, and a document's original file name. A
-- deleted loss or document is voided (voided_at, void_reason, voided_by), never erased.
--
-- A loss's victim and defendant must belong to the loss's case, and a document's loss to the document's
-- case: the foreign keys name the case too, against the unique (id, case_id) indexes made here.
CREATE UNIQUE INDEX victims_id_case_id_idx ON victims (id, case_id);
CREATE UNIQUE INDEX defendants_id_case_id_idx ON defendants (id, case_id);

CREATE TABLE losses (
    id                uuid PRIMARY KEY,
    case_id           uuid NOT NULL REFERENCES cases (id),
    victim_id         uuid NOT NULL,
    category          text NOT NULL
        CHECK (category IN ('fraudulent_charges', 'lost_wages', 'credit_monitoring', 'remediation_time',
            'legal_fees', 'counseling', 'travel_and_court_costs', 'postage_and_notary', 'property_or_equipment',
            'investigation_and_response', 'future_expense', 'other')),
    claimed_cents     bigint NOT NULL CHECK (claimed_cents BETWEEN 0 AND 10000000000000),
    verified_cents    bigint CHECK (verified_cents BETWEEN 0 AND 10000000000000),
    reimbursed_cents  bigint NOT NULL DEFAULT 0 CHECK (reimbursed_cents BETWEEN 0 AND 10000000000000),
    reimbursed_by     text,                    -- sealed; NULL when none
    defendant_id      uuid,
    -- The count_number of one of the defendant's charges; charges can be re-numbered, so it is no key.
    charge_count      integer CHECK (charge_count >= 1),
    hours_hundredths  bigint CHECK (hours_hundredths BETWEEN 0 AND 10000000),
    hourly_rate_cents bigint CHECK (hourly_rate_cents BETWEEN 0 AND 10000000000000),
    description       text NOT NULL,           -- sealed, even when empty
    incurred_on       date,
    status            text NOT NULL DEFAULT 'claimed'
        CHECK (status IN ('claimed', 'verified', 'disputed', 'excluded', 'ordered')),
    voided_at         timestamptz,
    void_reason       text,                    -- sealed
    voided_by         text,
    created_at        timestamptz NOT NULL,
    created_by        text NOT NULL,
    updated_at        timestamptz NOT NULL,
    updated_by        text NOT NULL,
    version           bigint NOT NULL DEFAULT 1,
    CHECK (reimbursed_cents <= COALESCE(verified_cents, claimed_cents)),
    CHECK ((hours_hundredths IS NULL) = (hourly_rate_cents IS NULL)),
    CHECK (charge_count IS NULL OR defendant_id IS NOT NULL),
    CHECK (status NOT IN ('verified', 'ordered') OR verified_cents IS NOT NULL),
    CHECK ((voided_at IS NULL) = (void_reason IS NULL)),
    FOREIGN KEY (victim_id, case_id) REFERENCES victims (id, case_id),
    FOREIGN KEY (defendant_id, case_id) REFERENCES defendants (id, case_id)
);
CREATE INDEX losses_victim_id_idx ON losses (victim_id, id);
CREATE INDEX losses_case_id_idx ON losses (case_id);
CREATE UNIQUE INDEX losses_id_case_id_idx ON losses (id, case_id);

-- A document's file is stored sealed under its storage_name (its ID) in the document storage, not here.
CREATE TABLE documents (
    id           uuid PRIMARY KEY,
    loss_id      uuid NOT NULL,
    case_id      uuid NOT NULL REFERENCES cases (id),
    file_name    text NOT NULL,                -- sealed
    media_type   text NOT NULL CHECK (media_type IN ('application/pdf', 'image/png', 'image/jpeg', 'text/plain')),
    size_bytes   bigint NOT NULL CHECK (size_bytes BETWEEN 1 AND 26214400),
    sha256       text NOT NULL CHECK (length(sha256) = 64),  -- hex SHA-256 of the plaintext
    storage_name text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    created_by   text NOT NULL,
    voided_at    timestamptz,
    void_reason  text,                         -- sealed
    voided_by    text,
    CHECK ((voided_at IS NULL) = (void_reason IS NULL)),
    FOREIGN KEY (loss_id, case_id) REFERENCES losses (id, case_id)
);
CREATE INDEX documents_loss_id_idx ON documents (loss_id, id);

-- +goose Down
DROP TABLE documents;
DROP TABLE losses;
DROP INDEX defendants_id_case_id_idx;
DROP INDEX victims_id_case_id_idx;
