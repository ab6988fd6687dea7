-- +goose Up
-- Intake: victims, defendants with their charges, and hearings, each belonging to a case.
--
-- Sensitive values are stored only sealed (AES-256-GCM under the case's data key, bound to table, column
-- and row): the text columns marked "sealed" hold ciphertext, NULL when the value is absent. Victims' names
-- are kept in the clear: CONVENTIONS does not list names among the values to encrypt, advocates search them
-- by any part (search_key, folded in Go like cases'), and clerks address mail with them; what makes a name
-- dangerous in an identity-theft case (SSN, birth date, contact details) is sealed.
--
-- Duplicates are found without decrypting: ssn_index and name_dob_index are blind indexes (HMAC-SHA-256
-- under the 'blind-index' data key, with the case's ID in the input, so that one SSN in two cases gives two
-- unrelated values). They are unique, NULLs aside, which backs the application's duplicate check against
-- races.
CREATE TABLE victims (
    id                    uuid PRIMARY KEY,
    case_id               uuid NOT NULL REFERENCES cases (id),
    kind                  text NOT NULL
        CHECK (kind IN ('individual', 'business', 'government', 'insurer', 'compensation_fund')),
    name                  text NOT NULL,
    -- The name in Unicode normal form C, case-folded, spaces collapsed: what ?q= searches.
    search_key            text NOT NULL,
    is_minor              boolean NOT NULL DEFAULT false,
    date_of_birth         text,                -- sealed YYYY-MM-DD
    ssn                   text,                -- sealed, nine digits
    ssn_last4             text,                -- in the clear, for display (CONVENTIONS §3)
    ssn_index             text,
    name_dob_index        text,
    email                 text,                -- sealed
    phone                 text,                -- sealed, E.164
    mailing_address       text,                -- sealed JSON {line1, line2, city, state, postal_code}
    address_confidential  boolean NOT NULL DEFAULT false,
    preferred_language    text NOT NULL DEFAULT 'en',
    interpreter_needed    boolean NOT NULL DEFAULT false,
    wants_to_be_heard     text NOT NULL DEFAULT 'none'
        CHECK (wants_to_be_heard IN ('written', 'oral', 'both', 'none')),
    -- A JSON array of channel names.
    notification_channels text NOT NULL DEFAULT '[]',
    status                text NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'declined', 'unreachable')),
    notes                 text NOT NULL,       -- sealed, even when empty
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    version               bigint NOT NULL DEFAULT 1
);
CREATE INDEX victims_case_id_idx ON victims (case_id, id);
CREATE UNIQUE INDEX victims_ssn_index_idx ON victims (case_id, ssn_index);
CREATE UNIQUE INDEX victims_name_dob_index_idx ON victims (case_id, name_dob_index);

CREATE TABLE defendants (
    id            uuid PRIMARY KEY,
    case_id       uuid NOT NULL REFERENCES cases (id),
    name          text NOT NULL,
    date_of_birth text,                        -- sealed YYYY-MM-DD
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    version       bigint NOT NULL DEFAULT 1
);
CREATE INDEX defendants_case_id_idx ON defendants (case_id, id);

-- Charges are edited through their defendant, whose version covers them; their own version counts their
-- changes for what later refers to a charge (losses).
CREATE TABLE charges (
    id           uuid PRIMARY KEY,
    defendant_id uuid NOT NULL REFERENCES defendants (id),
    count_number integer NOT NULL CHECK (count_number >= 1),
    statute      text NOT NULL,
    description  text NOT NULL DEFAULT '',
    disposition  text NOT NULL DEFAULT 'pending'
        CHECK (disposition IN ('pending', 'convicted', 'pleaded', 'acquitted', 'dismissed')),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    version      bigint NOT NULL DEFAULT 1,
    UNIQUE (defendant_id, count_number)
);

CREATE TABLE hearings (
    id         uuid PRIMARY KEY,
    case_id    uuid NOT NULL REFERENCES cases (id),
    kind       text NOT NULL
        CHECK (kind IN ('arraignment', 'plea', 'trial', 'sentencing', 'restitution', 'other')),
    starts_at  timestamptz NOT NULL,
    location   text NOT NULL DEFAULT '',
    status     text NOT NULL DEFAULT 'scheduled'
        CHECK (status IN ('scheduled', 'held', 'continued', 'cancelled')),
    notes      text NOT NULL,                  -- sealed, even when empty
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version    bigint NOT NULL DEFAULT 1
);
CREATE INDEX hearings_case_id_starts_at_idx ON hearings (case_id, starts_at, id);

-- +goose Down
DROP TABLE hearings;
DROP TABLE charges;
DROP TABLE defendants;
DROP TABLE victims;
