-- +goose Up
-- The restitution ledger. Jurisdiction profiles gain their interest terms and priority classes; an order
-- copies them when it is entered, so that editing a profile never rewrites an order's history. Orders, their
-- defendants and lines, and the ledger's entries and allocations are append-only: a correction is a new
-- entry (a reversal, an adjustment), never an edit. Money is integer cents; a day is a date.
ALTER TABLE jurisdictions
    ADD COLUMN interest_mode    text NOT NULL DEFAULT 'none' CHECK (interest_mode IN ('none', 'fixed', 'per_order')),
    ADD COLUMN annual_rate_bps  integer CHECK (annual_rate_bps BETWEEN 0 AND 10000),
    ADD COLUMN threshold_cents  bigint NOT NULL DEFAULT 0 CHECK (threshold_cents BETWEEN 0 AND 10000000000000),
    ADD COLUMN waiver_days      integer NOT NULL DEFAULT 0 CHECK (waiver_days BETWEEN 0 AND 3650),
    -- A JSON array of arrays of victim kinds, highest priority first.
    ADD COLUMN priority_classes text NOT NULL
        DEFAULT '[["individual","business"],["insurer","compensation_fund"],["government"]]',
    ADD COLUMN updated_at       timestamptz,
    ADD COLUMN version          bigint NOT NULL DEFAULT 1,
    ADD CHECK ((interest_mode = 'fixed') = (annual_rate_bps IS NOT NULL));

UPDATE jurisdictions SET interest_mode = 'fixed', annual_rate_bps = 800 WHERE code = 'us-co';
UPDATE jurisdictions SET interest_mode = 'per_order', threshold_cents = 250000, waiver_days = 15 WHERE code = 'us-federal';

CREATE TABLE restitution_orders (
    id                    uuid PRIMARY KEY,
    case_id               uuid NOT NULL REFERENCES cases (id),
    ordered_on            date NOT NULL,
    jurisdiction          text NOT NULL REFERENCES jurisdictions (code),
    -- The terms copied from the profile (and, for per-order profiles, the rate set in the order).
    interest_mode         text NOT NULL CHECK (interest_mode IN ('none', 'fixed', 'per_order')),
    annual_rate_bps       integer NOT NULL CHECK (annual_rate_bps BETWEEN 0 AND 10000),
    threshold_cents       bigint NOT NULL CHECK (threshold_cents >= 0),
    waiver_days           integer NOT NULL CHECK (waiver_days >= 0),
    priority_classes      text NOT NULL,
    court_order_reference text,
    created_at            timestamptz NOT NULL,
    created_by            uuid,             -- NULL for the system
    UNIQUE (id, case_id)
);
CREATE INDEX restitution_orders_case_id_idx ON restitution_orders (case_id, id);

CREATE TABLE restitution_order_defendants (
    order_id     uuid NOT NULL,
    case_id      uuid NOT NULL,
    defendant_id uuid NOT NULL,
    PRIMARY KEY (order_id, defendant_id),
    FOREIGN KEY (order_id, case_id) REFERENCES restitution_orders (id, case_id),
    FOREIGN KEY (defendant_id, case_id) REFERENCES defendants (id, case_id)
);

CREATE TABLE restitution_lines (
    order_id      uuid NOT NULL,
    case_id       uuid NOT NULL,
    victim_id     uuid NOT NULL,
    -- The victim's kind when the order was entered: it decides the line's priority for good.
    victim_kind   text NOT NULL
        CHECK (victim_kind IN ('individual', 'business', 'government', 'insurer', 'compensation_fund')),
    ordered_cents bigint NOT NULL CHECK (ordered_cents BETWEEN 1 AND 10000000000000),
    PRIMARY KEY (order_id, victim_id),
    FOREIGN KEY (order_id, case_id) REFERENCES restitution_orders (id, case_id),
    FOREIGN KEY (victim_id, case_id) REFERENCES victims (id, case_id)
);
CREATE INDEX restitution_lines_victim_id_idx ON restitution_lines (victim_id);

CREATE TABLE restitution_entries (
    id                 uuid PRIMARY KEY,
    order_id           uuid NOT NULL REFERENCES restitution_orders (id),
    -- The order in which the order's entries were posted, from 1.
    seq                bigint NOT NULL CHECK (seq >= 1),
    kind               text NOT NULL CHECK (kind IN ('payment', 'reversal', 'refund', 'adjustment', 'disbursement')),
    effective_on       date NOT NULL,
    -- Positive for every kind but an adjustment, whose sign is its direction.
    amount_cents       bigint NOT NULL CHECK (amount_cents BETWEEN -10000000000000 AND 10000000000000 AND amount_cents <> 0),
    -- A payment's credit not applied to any line; a reversal's is the payment's, negated.
    unapplied_cents    bigint NOT NULL DEFAULT 0,
    -- The sums of the entry's allocations, so that one line's history needs no other line's allocations.
    principal_cents    bigint NOT NULL DEFAULT 0,
    interest_cents     bigint NOT NULL DEFAULT 0,
    victim_id          uuid,
    payer_defendant_id uuid,
    method             text,
    reference          text,             -- sealed
    reason             text,             -- sealed
    reverses_id        uuid UNIQUE REFERENCES restitution_entries (id),
    idempotency_key    text,
    -- HMAC-SHA-256 of the request under the case's data key, kept only with an idempotency key.
    request_hash       text,
    created_at         timestamptz NOT NULL,
    created_by         uuid,             -- NULL for the system
    UNIQUE (order_id, seq),
    UNIQUE (created_by, idempotency_key),
    CHECK (kind = 'adjustment' OR amount_cents > 0),
    CHECK ((kind IN ('adjustment', 'disbursement')) = (victim_id IS NOT NULL)),
    CHECK ((kind = 'payment') = (payer_defendant_id IS NOT NULL)),
    CHECK ((kind = 'reversal') = (reverses_id IS NOT NULL)),
    CHECK (kind IN ('payment', 'reversal') OR unapplied_cents = 0),
    FOREIGN KEY (order_id, victim_id) REFERENCES restitution_lines (order_id, victim_id),
    FOREIGN KEY (order_id, payer_defendant_id) REFERENCES restitution_order_defendants (order_id, defendant_id)
);

-- One row per line a payment (or its reversal) touched. A payment over 100,000 lines writes 100,000 rows in
-- one statement, so the table carries no foreign keys and no index but its key: each key check would lock
-- the same entry row 100,000 times and tripled the write (1.6 s against 0.4 s). The store writes
-- allocations only in the transaction that writes their entry, from the order's own lines, while it holds
-- the order locked; the ledger is append-only, so nothing can leave one dangling.
CREATE TABLE restitution_allocations (
    entry_id        uuid NOT NULL,
    victim_id       uuid NOT NULL,
    principal_cents bigint NOT NULL,
    interest_cents  bigint NOT NULL,
    PRIMARY KEY (entry_id, victim_id)
);

-- +goose StatementBegin
CREATE FUNCTION restitution_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER restitution_orders_append_only BEFORE UPDATE OR DELETE ON restitution_orders
    FOR EACH ROW EXECUTE FUNCTION restitution_append_only();
CREATE TRIGGER restitution_orders_no_truncate BEFORE TRUNCATE ON restitution_orders
    FOR EACH STATEMENT EXECUTE FUNCTION restitution_append_only();
CREATE TRIGGER restitution_order_defendants_append_only BEFORE UPDATE OR DELETE ON restitution_order_defendants
    FOR EACH ROW EXECUTE FUNCTION restitution_append_only();
CREATE TRIGGER restitution_order_defendants_no_truncate BEFORE TRUNCATE ON restitution_order_defendants
    FOR EACH STATEMENT EXECUTE FUNCTION restitution_append_only();
CREATE TRIGGER restitution_lines_append_only BEFORE UPDATE OR DELETE ON restitution_lines
    FOR EACH ROW EXECUTE FUNCTION restitution_append_only();
CREATE TRIGGER restitution_lines_no_truncate BEFORE TRUNCATE ON restitution_lines
    FOR EACH STATEMENT EXECUTE FUNCTION restitution_append_only();
CREATE TRIGGER restitution_entries_append_only BEFORE UPDATE OR DELETE ON restitution_entries
    FOR EACH ROW EXECUTE FUNCTION restitution_append_only();
CREATE TRIGGER restitution_entries_no_truncate BEFORE TRUNCATE ON restitution_entries
    FOR EACH STATEMENT EXECUTE FUNCTION restitution_append_only();
CREATE TRIGGER restitution_allocations_append_only BEFORE UPDATE OR DELETE ON restitution_allocations
    FOR EACH ROW EXECUTE FUNCTION restitution_append_only();
CREATE TRIGGER restitution_allocations_no_truncate BEFORE TRUNCATE ON restitution_allocations
    FOR EACH STATEMENT EXECUTE FUNCTION restitution_append_only();

-- +goose Down
DROP TABLE restitution_allocations;
DROP TABLE restitution_entries;
DROP TABLE restitution_lines;
DROP TABLE restitution_order_defendants;
DROP TABLE restitution_orders;
DROP FUNCTION restitution_append_only();
ALTER TABLE jurisdictions
    DROP COLUMN interest_mode, DROP COLUMN annual_rate_bps, DROP COLUMN threshold_cents, DROP COLUMN waiver_days,
    DROP COLUMN priority_classes, DROP COLUMN updated_at, DROP COLUMN version;
