package models_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/migrations"
	"github.com/impactledger/impactledger/models"
)

// appendOnlyRewrites says, for each append-only table, which column an attacker would change and how, so
// that a REPLACE that got through would show as a changed row and not only as a missing error. An empty
// entry is a table with no column outside its keys, whose replacement would look the same.
var appendOnlyRewrites = map[string][2]string{
	"audit_events":                 {"action", "'victim.read'"},
	"statement_revisions":          {"language", "'xx'"},
	"restitution_orders":           {"court_order_reference", "'rewritten'"},
	"restitution_order_defendants": {},
	"restitution_lines":            {"ordered_cents", "ordered_cents + 1"},
	"restitution_entries":          {"amount_cents", "amount_cents + 1"},
	"restitution_allocations":      {"principal_cents", "principal_cents + 1"},
}

// TestAppendOnlyTablesRefuseEveryRewrite makes real rows in every append-only table through the store, then
// tries each way SQL has of changing or removing one: UPDATE, DELETE, on SQLite INSERT OR REPLACE and
// REPLACE INTO (which delete the row in the way without firing delete triggers), an upsert, and on
// PostgreSQL TRUNCATE and MERGE. REPLACE and the upsert are tried once per unique key, with a row that
// conflicts on that key alone. Each must be refused as append-only, and the table must be unchanged.
func TestAppendOnlyTablesRefuseEveryRewrite(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		seedAppendOnlyRows(t, s)
		db := rawDB(t, s)
		d := s.Dialect()
		merge := false
		if d == models.Postgres {
			var version int
			if err := db.QueryRow("SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
				t.Fatal(err)
			}
			merge = version >= 150000
		}
		for _, table := range migrations.AppendOnlyTables() {
			t.Run(table, func(t *testing.T) {
				rewrite, ok := appendOnlyRewrites[table]
				if !ok {
					t.Fatalf("%s is append-only but appendOnlyRewrites does not say how to rewrite it", table)
				}
				cols := tableColumns(t, db, d, table)
				keys := uniqueKeys(t, db, d, table)
				pk := keys[0]
				before := tableRows(t, db, table, cols)
				if len(before) == 0 {
					t.Fatalf("the store made no %s row to try", table)
				}
				// Each attempt runs in a transaction that is rolled back, so that one that gets through shows on
				// its own and leaves the next attempts the same rows to work on.
				try := func(name, query string, args ...any) {
					t.Helper()
					tx, err := db.Begin()
					if err != nil {
						t.Fatal(err)
					}
					defer tx.Rollback()
					_, err = tx.Exec(bindArgs(d, query), args...)
					if err == nil || !strings.Contains(err.Error(), "append-only") {
						t.Errorf("%s was not refused as append-only: %v\n%s", name, err, query)
					}
					if err == nil {
						if after := tableRows(t, tx, table, cols); !slices.Equal(after, before) {
							t.Errorf("%s changed %s:\nbefore %q\nafter  %q", name, table, before, after)
						}
					}
					tx.Rollback()
					if after := tableRows(t, db, table, cols); !slices.Equal(after, before) {
						t.Fatalf("%s changed %s after its rollback", name, table)
					}
				}

				where, target := targetRow(t, db, table, cols, pk, pk)
				set := rewrite
				if set[0] == "" {
					set = [2]string{cols[len(cols)-1].name, cols[len(cols)-1].name}
				}
				try("UPDATE", fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s", table, set[0], set[1], where), target...)
				try("DELETE", fmt.Sprintf("DELETE FROM %s WHERE %s", table, where), target...)
				if d == models.SQLite {
					try("UPDATE OR REPLACE", fmt.Sprintf("UPDATE OR REPLACE %s SET %s = %s WHERE %s", table, set[0], set[1], where), target...)
				}
				if d == models.Postgres {
					try("TRUNCATE", "TRUNCATE "+table+" CASCADE")
					if merge {
						try("MERGE … UPDATE", fmt.Sprintf("MERGE INTO %s USING (SELECT 1) AS src ON %s WHEN MATCHED THEN UPDATE SET %s = %s",
							table, where, set[0], set[1]), target...)
						try("MERGE … DELETE", fmt.Sprintf("MERGE INTO %s USING (SELECT 1) AS src ON %s WHEN MATCHED THEN DELETE", table, where), target...)
					}
				}

				for _, key := range keys {
					if supersetOfAnother(key, keys) {
						continue // a row that takes it takes the smaller key too
					}
					where, target := targetRow(t, db, table, cols, pk, key)
					names, exprs := make([]string, len(cols)), make([]string, len(cols))
					for i, c := range cols {
						names[i], exprs[i] = c.name, c.name
						switch {
						case slices.Contains(key, c.name):
						case breaksAnotherKey(c, key, keys, cols):
							exprs[i] = c.fresh(d)
						case c.name == rewrite[0]:
							exprs[i] = rewrite[1]
						}
					}
					row := fmt.Sprintf("%s (%s) SELECT %s FROM %s WHERE %s", table, strings.Join(names, ", "), strings.Join(exprs, ", "), table, where)
					on := "(" + strings.Join(key, ", ") + ")"
					if d == models.SQLite {
						try("INSERT OR REPLACE on "+on, "INSERT OR REPLACE INTO "+row, target...)
						try("REPLACE INTO on "+on, "REPLACE INTO "+row, target...)
					}
					upd := rewrite[0]
					if upd == "" {
						upd = key[0]
						for _, c := range cols {
							if !slices.Contains(key, c.name) {
								upd = c.name
								break
							}
						}
					}
					try("INSERT … ON CONFLICT DO UPDATE on "+on,
						fmt.Sprintf("INSERT INTO %s ON CONFLICT %s DO UPDATE SET %s = excluded.%s", row, on, upd, upd), target...)
				}
			})
		}
	})
}

// seedAppendOnlyRows fills every append-only table through the store, as an administrator (so that entries
// carry who made them and their idempotency keys): a statement with two revisions, an order of two lines,
// a payment and its reversal, another payment with an idempotency key, their allocations, and the audit
// events of all of it.
func seedAppendOnlyRows(t *testing.T, s *models.Store) {
	t.Helper()
	admin, err := s.CreateUser(dbtest.System(), models.NewUser{Email: "ada@mesa.gov", DisplayName: "Ada Admin",
		Role: models.RoleAdmin, Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	ctx := models.WithActor(context.Background(), models.Actor{Type: models.ActorUser, ID: admin.ID, Role: models.RoleAdmin})
	c, err := s.CreateCase(ctx, mesaCase("22CR371"))
	if err != nil {
		t.Fatal(err)
	}
	def, err := s.CreateDefendant(ctx, c.ID, models.NewDefendant{Name: "Tina Peters"})
	if err != nil {
		t.Fatal(err)
	}
	jane, err := s.CreateVictim(ctx, c.ID, janeRoe())
	if err != nil {
		t.Fatal(err)
	}
	shop, err := s.CreateVictim(ctx, c.ID, models.NewVictim{Kind: models.VictimBusiness, Name: "Orchard Hardware"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.CreateStatement(ctx, jane.ID, statementText())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateStatement(ctx, st.ID, st.Version, models.StatementUpdate{Emotional: models.Some("A second draft.")}); err != nil {
		t.Fatal(err)
	}
	o, err := s.CreateRestitutionOrder(ctx, c.ID, models.NewRestitutionOrder{OrderedOn: date(t, "2025-01-01"),
		DefendantIDs: []string{def.ID}, CourtOrderReference: "22CR371 order of restitution",
		Lines: []models.NewOrderLine{{VictimID: jane.ID, AmountCents: 150_000}, {VictimID: shop.ID, AmountCents: 90_000}}})
	if err != nil {
		t.Fatal(err)
	}
	bounced, _, err := s.RecordPayment(ctx, o.ID, "payment-1", models.NewPayment{AmountCents: 60_000, ReceivedOn: date(t, "2025-02-03"),
		PayerDefendantID: def.ID, Method: "check", Reference: "check 1001"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReversePayment(ctx, bounced.ID, "reversal-1", "the check bounced"); err != nil {
		t.Fatal(err)
	}
	// The newest entry, which the rewrites pick, is one that no reversal points at.
	if _, _, err := s.RecordPayment(ctx, o.ID, "payment-2", models.NewPayment{AmountCents: 45_000, ReceivedOn: date(t, "2025-03-03"),
		PayerDefendantID: def.ID, Method: "eft"}); err != nil {
		t.Fatal(err)
	}
}

// tableColumn is one column of a table and its declared type.
type tableColumn struct{ name, typ string }

// fresh is an SQL expression giving the column a value no row has, keeping NULL as NULL (NULL takes no key).
func (c tableColumn) fresh(d models.Dialect) string {
	v := c.name + " || '-other'"
	switch t := strings.ToLower(c.typ); {
	case strings.Contains(t, "int"):
		v = c.name + " + 1000000"
	case t == "uuid":
		v = "gen_random_uuid()"
	}
	return "CASE WHEN " + c.name + " IS NULL THEN NULL ELSE " + v + " END"
}

func tableColumns(t *testing.T, db *sql.DB, d models.Dialect, table string) []tableColumn {
	t.Helper()
	query := `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`
	if d == models.SQLite {
		query = `SELECT name, type FROM pragma_table_info(?) ORDER BY cid`
	}
	rows, err := db.Query(query, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []tableColumn
	for rows.Next() {
		var c tableColumn
		if err := rows.Scan(&c.name, &c.typ); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil || len(cols) == 0 {
		t.Fatalf("columns of %s: %v, %v", table, cols, err)
	}
	return cols
}

// uniqueKeys lists the table's primary key, first, and its other unique keys, each as its columns.
func uniqueKeys(t *testing.T, db *sql.DB, d models.Dialect, table string) [][]string {
	t.Helper()
	// One row per column of a key: whether the key is the primary one, the key's name, the column, and its
	// place in the key.
	query := `SELECT i.indisprimary, i.indexrelid::regclass::text, a.attname::text, k.ord
		FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		WHERE i.indrelid = $1::regclass AND i.indisunique
		ORDER BY 1 DESC, 2, 4`
	if d == models.SQLite {
		// A rowid table's INTEGER PRIMARY KEY has no index of its own; every other key has one.
		query = `SELECT 1, '', name, pk FROM pragma_table_info(?1) WHERE pk > 0
			UNION ALL
			SELECT 0, l.name, i.name, i.seqno FROM pragma_index_list(?1) l JOIN pragma_index_info(l.name) i
			WHERE l."unique" AND l.origin <> 'pk'
			ORDER BY 1 DESC, 2, 4`
	}
	rows, err := db.Query(query, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var keys [][]string
	last := "\x00"
	for rows.Next() {
		var primary bool
		var name, col string
		var ord int
		if err := rows.Scan(&primary, &name, &col, &ord); err != nil {
			t.Fatal(err)
		}
		if name != last || len(keys) == 0 {
			keys = append(keys, nil)
			last = name
		}
		keys[len(keys)-1] = append(keys[len(keys)-1], col)
	}
	if err := rows.Err(); err != nil || len(keys) == 0 {
		t.Fatalf("keys of %s: %v, %v", table, keys, err)
	}
	return keys
}

// tableRows is every row of the table as text, sorted: what "unchanged" is compared on.
func tableRows(t *testing.T, db interface {
	Query(string, ...any) (*sql.Rows, error)
}, table string, cols []tableColumn) []string {
	t.Helper()
	casts := make([]string, len(cols))
	for i, c := range cols {
		casts[i] = "CAST(" + c.name + " AS TEXT)"
	}
	rows, err := db.Query("SELECT " + strings.Join(casts, ", ") + " FROM " + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = "NULL"
			if v.Valid {
				parts[i] = strconv.Quote(v.String)
			}
		}
		out = append(out, strings.Join(parts, ","))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// targetRow picks the newest row (the last by primary key) whose key columns are all set, and returns a
// condition naming it by its primary key, with the condition's arguments.
func targetRow(t *testing.T, db *sql.DB, table string, cols []tableColumn, pk, key []string) (string, []any) {
	t.Helper()
	conds, set := make([]string, len(pk)), make([]string, len(key))
	for i, c := range pk {
		conds[i] = "CAST(" + c + " AS TEXT) = ?"
	}
	for i, c := range key {
		set[i] = c + " IS NOT NULL"
	}
	casts := make([]string, len(pk))
	for i, c := range pk {
		casts[i] = "CAST(" + c + " AS TEXT)"
	}
	vals := make([]string, len(pk))
	ptrs := make([]any, len(pk))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	err := db.QueryRow("SELECT " + strings.Join(casts, ", ") + " FROM " + table + " WHERE " + strings.Join(set, " AND ") +
		" ORDER BY " + strings.Join(casts, " DESC, ") + " DESC LIMIT 1").Scan(ptrs...)
	if err != nil {
		t.Fatalf("no %s row has (%s) set to try it on: %v", table, strings.Join(key, ", "), err)
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return strings.Join(conds, " AND "), args
}

func supersetOfAnother(key []string, keys [][]string) bool {
	for _, other := range keys {
		if len(other) < len(key) && !slices.ContainsFunc(other, func(c string) bool { return !slices.Contains(key, c) }) {
			return true
		}
	}
	return false
}

// breaksAnotherKey reports whether c is the column changed to keep a row that takes key from also taking
// some other key: for each other key that does not contain key, its first integer column outside key, or
// else its last column outside key.
func breaksAnotherKey(c tableColumn, key []string, keys [][]string, cols []tableColumn) bool {
	for _, other := range keys {
		if !slices.ContainsFunc(key, func(k string) bool { return !slices.Contains(other, k) }) {
			continue // other contains key: a row taking key may take it too
		}
		var outside []string
		for _, o := range other {
			if !slices.Contains(key, o) {
				outside = append(outside, o)
			}
		}
		pick := outside[len(outside)-1]
		for _, o := range outside {
			i := slices.IndexFunc(cols, func(tc tableColumn) bool { return tc.name == o })
			if i >= 0 && strings.Contains(strings.ToLower(cols[i].typ), "int") {
				pick = o
				break
			}
		}
		if pick == c.name {
			return true
		}
	}
	return false
}

// bindArgs writes ? placeholders as PostgreSQL's $1, $2, …
func bindArgs(d models.Dialect, q string) string {
	if d != models.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
