-- +goose Up
-- Append-only tables refuse REPLACE. The update and delete triggers are not enough on SQLite: INSERT OR
-- REPLACE (and REPLACE INTO) resolves a conflict on a primary or unique key by deleting the row in the way,
-- and fires no delete trigger for it unless recursive_triggers is on, a per-connection setting that another
-- connection need not share. A BEFORE INSERT trigger runs before any conflict is resolved, whatever the
-- connection's pragmas, so each of these refuses an insert whose primary key or any unique key is taken.
-- An upsert (INSERT … ON CONFLICT DO UPDATE) would meet the update trigger anyway; it is refused here first.
-- A plain INSERT with a taken key, refused by the key itself before, is now refused with this message.
--
-- Each condition is one probe of the index behind that key. restitution_allocations takes a row per line a
-- payment touches (about 98,000 on an order of 100,000 lines), so its check is a single primary-key probe.
-- Keys whose columns may be NULL never conflict on NULL, as in the index, because NULL = NULL is not true.
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events
WHEN EXISTS (SELECT 1 FROM audit_events WHERE seq = NEW.seq)
  OR EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: REPLACE refused (a row with this key exists)');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER statement_revisions_no_replace BEFORE INSERT ON statement_revisions
WHEN EXISTS (SELECT 1 FROM statement_revisions WHERE id = NEW.id)
  OR EXISTS (SELECT 1 FROM statement_revisions WHERE statement_id = NEW.statement_id AND number = NEW.number)
BEGIN
    SELECT RAISE(ABORT, 'statement_revisions is append-only: REPLACE refused (a row with this key exists)');
END;
-- +goose StatementEnd
-- UNIQUE (id, case_id) needs no probe of its own: a row taking it takes id too.
-- +goose StatementBegin
CREATE TRIGGER restitution_orders_no_replace BEFORE INSERT ON restitution_orders
WHEN EXISTS (SELECT 1 FROM restitution_orders WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'restitution_orders is append-only: REPLACE refused (a row with this key exists)');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER restitution_order_defendants_no_replace BEFORE INSERT ON restitution_order_defendants
WHEN EXISTS (SELECT 1 FROM restitution_order_defendants WHERE order_id = NEW.order_id AND defendant_id = NEW.defendant_id)
BEGIN
    SELECT RAISE(ABORT, 'restitution_order_defendants is append-only: REPLACE refused (a row with this key exists)');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER restitution_lines_no_replace BEFORE INSERT ON restitution_lines
WHEN EXISTS (SELECT 1 FROM restitution_lines WHERE order_id = NEW.order_id AND victim_id = NEW.victim_id)
BEGIN
    SELECT RAISE(ABORT, 'restitution_lines is append-only: REPLACE refused (a row with this key exists)');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER restitution_entries_no_replace BEFORE INSERT ON restitution_entries
WHEN EXISTS (SELECT 1 FROM restitution_entries WHERE id = NEW.id)
  OR EXISTS (SELECT 1 FROM restitution_entries WHERE order_id = NEW.order_id AND seq = NEW.seq)
  OR EXISTS (SELECT 1 FROM restitution_entries WHERE created_by = NEW.created_by AND idempotency_key = NEW.idempotency_key)
  OR EXISTS (SELECT 1 FROM restitution_entries WHERE reverses_id = NEW.reverses_id)
BEGIN
    SELECT RAISE(ABORT, 'restitution_entries is append-only: REPLACE refused (a row with this key exists)');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER restitution_allocations_no_replace BEFORE INSERT ON restitution_allocations
WHEN EXISTS (SELECT 1 FROM restitution_allocations WHERE entry_id = NEW.entry_id AND victim_id = NEW.victim_id)
BEGIN
    SELECT RAISE(ABORT, 'restitution_allocations is append-only: REPLACE refused (a row with this key exists)');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER restitution_allocations_no_replace;
DROP TRIGGER restitution_entries_no_replace;
DROP TRIGGER restitution_lines_no_replace;
DROP TRIGGER restitution_order_defendants_no_replace;
DROP TRIGGER restitution_orders_no_replace;
DROP TRIGGER statement_revisions_no_replace;
DROP TRIGGER audit_events_no_replace;
