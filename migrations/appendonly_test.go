package migrations_test

import (
	"context"
	"slices"
	"testing"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/migrations"
	"github.com/impactledger/impactledger/models"
)

// TestAppendOnlyTablesAreDeclared keeps AppendOnlyTables equal to the tables that the migrations make
// append-only (those with a trigger that refuses a change as "append-only"), so that a new append-only table
// is neither left writable by the service's role on PostgreSQL nor left out of the tests that try to rewrite
// each one. It also checks that each such table refuses every kind of change: UPDATE and DELETE, TRUNCATE on
// PostgreSQL, and an insert over an existing row (REPLACE) on SQLite.
func TestAppendOnlyTablesAreDeclared(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		db, d := sqlDB(t, s)
		// One row per append-only trigger: its table and the events it fires BEFORE.
		query := `SELECT c.relname::text, (t.tgtype & 16) <> 0, (t.tgtype & 8) <> 0, (t.tgtype & 32) <> 0, (t.tgtype & 4) <> 0
			FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
			JOIN pg_proc p ON p.oid = t.tgfoid
			WHERE n.nspname = current_schema() AND NOT t.tgisinternal AND (t.tgtype & 2) <> 0
			  AND p.prosrc LIKE '%append-only%'`
		if d == models.SQLite {
			query = `SELECT tbl_name, sql LIKE '%BEFORE UPDATE ON%', sql LIKE '%BEFORE DELETE ON%', 0, sql LIKE '%BEFORE INSERT ON%'
				FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%append-only%'`
		}
		rows, err := db.QueryContext(context.Background(), query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		type refusals struct{ update, delete, truncate, insert bool }
		found := map[string]refusals{}
		for rows.Next() {
			var table string
			var r refusals
			if err := rows.Scan(&table, &r.update, &r.delete, &r.truncate, &r.insert); err != nil {
				t.Fatal(err)
			}
			had := found[table]
			found[table] = refusals{had.update || r.update, had.delete || r.delete, had.truncate || r.truncate, had.insert || r.insert}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		var tables []string
		for table, r := range found {
			tables = append(tables, table)
			if !r.update || !r.delete {
				t.Errorf("%s refuses some changes as append-only but not UPDATE and DELETE both: %+v", table, r)
			}
			if d == models.Postgres && !r.truncate {
				t.Errorf("%s is append-only but has no trigger refusing TRUNCATE", table)
			}
			if d == models.SQLite && !r.insert {
				t.Errorf("%s is append-only but has no BEFORE INSERT trigger refusing REPLACE", table)
			}
		}
		slices.Sort(tables)
		if want := migrations.AppendOnlyTables(); !slices.Equal(tables, want) {
			t.Errorf("the migrations make %v append-only; migrations.AppendOnlyTables declares %v", tables, want)
		}
	})
}
