-- +goose Up
-- The same restitution ledger as postgres/00013_restitution.sql, in SQLite's types; see there for what each
-- column holds and why the ledger is append-only. Dates are YYYY-MM-DD text.
ALTER TABLE jurisdictions ADD COLUMN interest_mode TEXT NOT NULL DEFAULT 'none'
    CHECK (interest_mode IN ('none', 'fixed', 'per_order'));
ALTER TABLE jurisdictions ADD COLUMN annual_rate_bps INTEGER
    CHECK (annual_rate_bps BETWEEN 0 AND 10000 AND (interest_mode = 'fixed') = (annual_rate_bps IS NOT NULL));
ALTER TABLE jurisdictions ADD COLUMN threshold_cents INTEGER NOT NULL DEFAULT 0
    CHECK (threshold_cents BETWEEN 0 AND 10000000000000);
ALTER TABLE jurisdictions ADD COLUMN waiver_days INTEGER NOT NULL DEFAULT 0 CHECK (waiver_days BETWEEN 0 AND 3650);
ALTER TABLE jurisdictions ADD COLUMN priority_classes TEXT NOT NULL
    DEFAULT '[["individual","business"],["insurer","compensation_fund"],["government"]]';
ALTER TABLE jurisdictions ADD COLUMN updated_at DATETIME;
ALTER TABLE jurisdictions ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

UPDATE jurisdictions SET interest_mode = 'fixed', annual_rate_bps = 800 WHERE code = 'us-co';
UPDATE jurisdictions SET interest_mode = 'per_order', threshold_cents = 250000, waiver_days = 15 WHERE code = 'us-federal';

CREATE TABLE restitution_orders (
    id                    TEXT PRIMARY KEY,
    case_id               TEXT NOT NULL REFERENCES cases (id),
    ordered_on            TEXT NOT NULL,
    jurisdiction          TEXT NOT NULL REFERENCES jurisdictions (code),
    interest_mode         TEXT NOT NULL CHECK (interest_mode IN ('none', 'fixed', 'per_order')),
    annual_rate_bps       INTEGER NOT NULL CHECK (annual_rate_bps BETWEEN 0 AND 10000),
    threshold_cents       INTEGER NOT NULL CHECK (threshold_cents >= 0),
    waiver_days           INTEGER NOT NULL CHECK (waiver_days >= 0),
    priority_classes      TEXT NOT NULL,
    court_order_reference TEXT,
    created_at            DATETIME NOT NULL,
    created_by            TEXT,
    UNIQUE (id, case_id)
) WITHOUT ROWID;
CREATE INDEX restitution_orders_case_id_idx ON restitution_orders (case_id, id);

CREATE TABLE restitution_order_defendants (
    order_id     TEXT NOT NULL,
    case_id      TEXT NOT NULL,
    defendant_id TEXT NOT NULL,
    PRIMARY KEY (order_id, defendant_id),
    FOREIGN KEY (order_id, case_id) REFERENCES restitution_orders (id, case_id),
    FOREIGN KEY (defendant_id, case_id) REFERENCES defendants (id, case_id)
) WITHOUT ROWID;

CREATE TABLE restitution_lines (
    order_id      TEXT NOT NULL,
    case_id       TEXT NOT NULL,
    victim_id     TEXT NOT NULL,
    victim_kind   TEXT NOT NULL
        CHECK (victim_kind IN ('individual', 'business', 'government', 'insurer', 'compensation_fund')),
    ordered_cents INTEGER NOT NULL CHECK (ordered_cents BETWEEN 1 AND 10000000000000),
    PRIMARY KEY (order_id, victim_id),
    FOREIGN KEY (order_id, case_id) REFERENCES restitution_orders (id, case_id),
    FOREIGN KEY (victim_id, case_id) REFERENCES victims (id, case_id)
) WITHOUT ROWID;
CREATE INDEX restitution_lines_victim_id_idx ON restitution_lines (victim_id);

CREATE TABLE restitution_entries (
    id                 TEXT PRIMARY KEY,
    order_id           TEXT NOT NULL REFERENCES restitution_orders (id),
    seq                INTEGER NOT NULL CHECK (seq >= 1),
    kind               TEXT NOT NULL CHECK (kind IN ('payment', 'reversal', 'refund', 'adjustment', 'disbursement')),
    effective_on       TEXT NOT NULL,
    amount_cents       INTEGER NOT NULL CHECK (amount_cents BETWEEN -10000000000000 AND 10000000000000 AND amount_cents <> 0),
    unapplied_cents    INTEGER NOT NULL DEFAULT 0,
    principal_cents    INTEGER NOT NULL DEFAULT 0,
    interest_cents     INTEGER NOT NULL DEFAULT 0,
    victim_id          TEXT,
    payer_defendant_id TEXT,
    method             TEXT,
    reference          TEXT,
    reason             TEXT,
    reverses_id        TEXT UNIQUE REFERENCES restitution_entries (id),
    idempotency_key    TEXT,
    request_hash       TEXT,
    created_at         DATETIME NOT NULL,
    created_by         TEXT,
    UNIQUE (order_id, seq),
    UNIQUE (created_by, idempotency_key),
    CHECK (kind = 'adjustment' OR amount_cents > 0),
    CHECK ((kind IN ('adjustment', 'disbursement')) = (victim_id IS NOT NULL)),
    CHECK ((kind = 'payment') = (payer_defendant_id IS NOT NULL)),
    CHECK ((kind = 'reversal') = (reverses_id IS NOT NULL)),
    CHECK (kind IN ('payment', 'reversal') OR unapplied_cents = 0),
    FOREIGN KEY (order_id, victim_id) REFERENCES restitution_lines (order_id, victim_id),
    FOREIGN KEY (order_id, payer_defendant_id) REFERENCES restitution_order_defendants (order_id, defendant_id)
) WITHOUT ROWID;

CREATE TABLE restitution_allocations (
    entry_id        TEXT NOT NULL,
    victim_id       TEXT NOT NULL,
    principal_cents INTEGER NOT NULL,
    interest_cents  INTEGER NOT NULL,
    PRIMARY KEY (entry_id, victim_id)
) WITHOUT ROWID;

CREATE TRIGGER restitution_orders_no_update BEFORE UPDATE ON restitution_orders
BEGIN SELECT RAISE(ABORT, 'restitution_orders is append-only: UPDATE refused'); END;
CREATE TRIGGER restitution_orders_no_delete BEFORE DELETE ON restitution_orders
BEGIN SELECT RAISE(ABORT, 'restitution_orders is append-only: DELETE refused'); END;
CREATE TRIGGER restitution_order_defendants_no_update BEFORE UPDATE ON restitution_order_defendants
BEGIN SELECT RAISE(ABORT, 'restitution_order_defendants is append-only: UPDATE refused'); END;
CREATE TRIGGER restitution_order_defendants_no_delete BEFORE DELETE ON restitution_order_defendants
BEGIN SELECT RAISE(ABORT, 'restitution_order_defendants is append-only: DELETE refused'); END;
CREATE TRIGGER restitution_lines_no_update BEFORE UPDATE ON restitution_lines
BEGIN SELECT RAISE(ABORT, 'restitution_lines is append-only: UPDATE refused'); END;
CREATE TRIGGER restitution_lines_no_delete BEFORE DELETE ON restitution_lines
BEGIN SELECT RAISE(ABORT, 'restitution_lines is append-only: DELETE refused'); END;
CREATE TRIGGER restitution_entries_no_update BEFORE UPDATE ON restitution_entries
BEGIN SELECT RAISE(ABORT, 'restitution_entries is append-only: UPDATE refused'); END;
CREATE TRIGGER restitution_entries_no_delete BEFORE DELETE ON restitution_entries
BEGIN SELECT RAISE(ABORT, 'restitution_entries is append-only: DELETE refused'); END;
CREATE TRIGGER restitution_allocations_no_update BEFORE UPDATE ON restitution_allocations
BEGIN SELECT RAISE(ABORT, 'restitution_allocations is append-only: UPDATE refused'); END;
CREATE TRIGGER restitution_allocations_no_delete BEFORE DELETE ON restitution_allocations
BEGIN SELECT RAISE(ABORT, 'restitution_allocations is append-only: DELETE refused'); END;

-- +goose Down
DROP TABLE restitution_allocations;
DROP TABLE restitution_entries;
DROP TABLE restitution_lines;
DROP TABLE restitution_order_defendants;
DROP TABLE restitution_orders;
ALTER TABLE jurisdictions DROP COLUMN version;
ALTER TABLE jurisdictions DROP COLUMN updated_at;
ALTER TABLE jurisdictions DROP COLUMN priority_classes;
ALTER TABLE jurisdictions DROP COLUMN waiver_days;
ALTER TABLE jurisdictions DROP COLUMN threshold_cents;
ALTER TABLE jurisdictions DROP COLUMN annual_rate_bps;
ALTER TABLE jurisdictions DROP COLUMN interest_mode;
