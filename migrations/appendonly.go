package migrations

import "slices"

// appendOnlyTables are the tables whose rows are never changed or removed once written: the audit trail,
// statement revisions and the restitution ledger. Triggers in the migrations refuse UPDATE, DELETE, REPLACE
// and TRUNCATE on them, and on PostgreSQL the service's role may only read and insert them (GrantApp), so
// that a rewrite needs both the owner's password and dropping a trigger. A test keeps this list equal to the
// tables that carry the triggers, so that a new append-only table cannot be left writable.
var appendOnlyTables = []string{
	"audit_events",
	"restitution_allocations",
	"restitution_entries",
	"restitution_lines",
	"restitution_order_defendants",
	"restitution_orders",
	"statement_revisions",
}

// AppendOnlyTables returns the names of the append-only tables, sorted.
func AppendOnlyTables() []string { return slices.Clone(appendOnlyTables) }
