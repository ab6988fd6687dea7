package migrations_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/documents"
	"github.com/impactledger/impactledger/jobs"
	"github.com/impactledger/impactledger/migrations"
	"github.com/impactledger/impactledger/models"
)

// TestServiceRoleCannotRewriteTheRecord migrates a schema as its owner, grants a role of its own to the
// service (twice, over an earlier broader grant), and checks that the role holds exactly what the service
// needs; that the service works normally as that role (a case, a statement, an order, a payment and its
// reversal, and a victim import run by the job queue); and that the role can neither change the schema
// (drop a trigger, alter, drop or create a table, turn triggers off) nor change, delete or empty a row of
// the audit trail or the ledger.
func TestServiceRoleCannotRewriteTheRecord(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Skip("does not apply to SQLite, which has no database roles: whoever can open the file can change anything in it; its append-only triggers are its protection")
	})
	pgURL := dbtest.PostgresURL(t)
	if pgURL == "" {
		return // as with dbtest.Each: PostgreSQL runs with TEST_DATABASE_URL, which CI always sets
	}
	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		ownerCfg, serviceCfg, role := dbtest.PostgresWithServiceRole(t, pgURL)
		ownerDB := openDB(t, ownerCfg)
		if _, err := migrations.Up(ctx, ownerDB, models.Postgres); err != nil {
			t.Fatal(err)
		}
		var schema string
		if err := ownerDB.QueryRow("SELECT current_schema()").Scan(&schema); err != nil {
			t.Fatal(err)
		}
		grantee := pgx.Identifier{role}.Sanitize()
		// An earlier grant of everything, which GrantApp must take back.
		for _, stmt := range []string{
			"GRANT ALL ON audit_events, restitution_entries, cases TO " + grantee,
			"GRANT CREATE ON SCHEMA " + pgx.Identifier{schema}.Sanitize() + " TO " + grantee,
		} {
			if _, err := ownerDB.Exec(stmt); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			if err := migrations.GrantApp(ctx, ownerDB, role); err != nil {
				t.Fatal(err)
			}
		}
		// As instances starting together do.
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if err := migrations.GrantApp(ctx, ownerDB, role); err != nil {
					t.Errorf("granting at the same time as others: %v", err)
				}
			})
		}
		wg.Wait()
		if err := migrations.GrantApp(ctx, ownerDB, ownerRole(t, ownerDB)); !errors.Is(err, migrations.ErrServiceIsOwner) {
			t.Fatalf("granting to the owner itself: %v; want ErrServiceIsOwner", err)
		}
		checkExactPrivileges(t, ownerDB, role, schema)
		if r, err := migrations.RoleOf(ctx, ownerDB); err != nil || !r.Privileged() {
			t.Errorf("the owner's role reads as %+v, %v; want it privileged", r, err)
		}

		service, err := models.Open(ctx, serviceCfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { service.Close() })
		serviceDB, err := service.SQLDB()
		if err != nil {
			t.Fatal(err)
		}
		if r, err := migrations.RoleOf(ctx, serviceDB); err != nil || r.Privileged() || r.Name != role {
			t.Fatalf("the service's role reads as %+v, %v; want %s, owning nothing", r, err, role)
		}
		if err := migrations.Current(ctx, serviceDB, models.Postgres); err != nil {
			t.Fatalf("readiness as the service's role: %v", err)
		}
		workAsTheService(t, service)

		before := rowCounts(t, ownerDB)
		// What a compromised service would try, and what it needs ownership (or a superuser) for.
		attempts := []string{
			"DROP TRIGGER audit_events_no_update ON audit_events",
			"ALTER TABLE audit_events DISABLE TRIGGER USER",
			"ALTER TABLE restitution_entries ADD COLUMN note text",
			"DROP TABLE restitution_allocations",
			"CREATE TABLE shadow_entries (id uuid)",
			"CREATE TRIGGER cases_shadow BEFORE UPDATE ON cases FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
			"SET session_replication_role = replica",
			"REINDEX INDEX river_job_kind",
			"INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, true)",
			"DELETE FROM goose_db_version",
		}
		for _, table := range migrations.AppendOnlyTables() {
			col := firstColumn(t, ownerDB, table)
			attempts = append(attempts,
				fmt.Sprintf("UPDATE %s SET %s = %s", table, col, col),
				"DELETE FROM "+table,
				"TRUNCATE "+table,
				fmt.Sprintf("INSERT INTO %s SELECT * FROM %s ON CONFLICT ON CONSTRAINT %s_pkey DO UPDATE SET %s = excluded.%s",
					table, table, table, col, col))
		}
		for _, stmt := range attempts {
			_, err := serviceDB.Exec(stmt)
			var pg *pgconn.PgError
			if !errors.As(err, &pg) || pg.Code != "42501" {
				t.Errorf("as the service's role, %s: %v; want permission denied (42501)", stmt, err)
			}
		}
		if after := rowCounts(t, ownerDB); !maps.Equal(before, after) {
			t.Errorf("rows changed: before %v, after %v", before, after)
		}
		if _, err := service.VerifyAudit(ctx, nil); err != nil {
			t.Errorf("audit verify as the service's role: %v", err)
		}
	})
}

// workAsTheService does, through the store and the job queue connected as the service's role, what staff
// do every day, touching every kind of table: users, cases, victims, statements, the ledger, the audit
// trail, data keys, documents and River's tables.
func workAsTheService(t *testing.T, s *models.Store) {
	t.Helper()
	admin, err := s.CreateUser(context.Background(), models.NewUser{Email: "ada@mesa.gov", DisplayName: "Ada Admin",
		Role: models.RoleAdmin, Password: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := models.WithActor(context.Background(), models.Actor{Type: models.ActorUser, ID: admin.ID, Role: models.RoleAdmin})
	c, err := s.CreateCase(ctx, models.NewCase{CourtCaseNumber: "22CR371", Caption: "People v. Tina Peters",
		Court: "Mesa County District Court", Jurisdiction: "us-co", Notes: "sealed with the case's data key"})
	if err != nil {
		t.Fatal(err)
	}
	def, err := s.CreateDefendant(ctx, c.ID, models.NewDefendant{Name: "Tina Peters"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.CreateVictim(ctx, c.ID, models.NewVictim{Kind: models.VictimIndividual, Name: "Jane Roe", SSN: "123-45-6789"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.CreateStatement(ctx, v.ID, models.StatementText{Language: "en", Sections: models.Sections{Emotional: "I could not sleep."}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateStatement(ctx, st.ID, st.Version, models.StatementUpdate{Emotional: models.Some("I still cannot sleep.")}); err != nil {
		t.Fatal(err)
	}
	day := func(s string) models.Date {
		d, err := models.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	o, err := s.CreateRestitutionOrder(ctx, c.ID, models.NewRestitutionOrder{OrderedOn: day("2025-01-01"),
		DefendantIDs: []string{def.ID}, Lines: []models.NewOrderLine{{VictimID: v.ID, AmountCents: 150_000}}})
	if err != nil {
		t.Fatal(err)
	}
	pay, _, err := s.RecordPayment(ctx, o.ID, "payment-1", models.NewPayment{AmountCents: 60_000, ReceivedOn: day("2025-02-03"),
		PayerDefendantID: def.ID, Method: "check", Reference: "check 1001"})
	if err != nil {
		t.Fatalf("recording a payment as the service's role: %v", err)
	}
	if _, err := s.ReversePayment(ctx, pay.ID, "reversal-1", "the check bounced"); err != nil {
		t.Fatalf("reversing a payment as the service's role: %v", err)
	}
	if _, _, err := s.RecordPayment(ctx, o.ID, "payment-2", models.NewPayment{AmountCents: 40_000, ReceivedOn: day("2025-03-03"),
		PayerDefendantID: def.ID, Method: "eft"}); err != nil {
		t.Fatal(err)
	}
	state, err := s.RestitutionOrderByID(ctx, o.ID, day("2025-03-03"), models.LinePage{})
	if err != nil {
		t.Fatal(err)
	}
	if state.Balance.Totals().PrincipalPaidCents != 40_000 {
		t.Fatalf("principal paid %d; want 40000", state.Balance.Totals().PrincipalPaidCents)
	}

	// A victim import, worked by the job queue (River) as the service's role.
	docs, err := documents.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(jobs.Config{Store: s, Documents: docs, Logger: slog.New(slog.DiscardHandler), PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatalf("starting the job queue as the service's role: %v", err)
	}
	defer func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(stop); err != nil {
			t.Errorf("stopping the job queue: %v", err)
		}
	}()
	imp, _, err := s.StartVictimImport(ctx, docs, c.ID, "", strings.NewReader("kind,name,ssn\nindividual,Ann Example,123-45-6780\nbusiness,Orchard Hardware,\n"))
	if err != nil {
		t.Fatalf("starting an import as the service's role: %v", err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		imp, err = s.VictimImportByID(ctx, imp.ID)
		if err != nil {
			t.Fatal(err)
		}
		if imp.Finished() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the import did not finish as the service's role: %+v", imp)
		}
	}
	if imp.Status != models.ImportSucceeded || imp.VictimsCreated != 2 {
		t.Fatalf("import as the service's role: %+v", imp)
	}
}

// checkExactPrivileges compares every privilege the role holds in the schema with what GrantApp promises.
func checkExactPrivileges(t *testing.T, db *sql.DB, role, schema string) {
	t.Helper()
	rows, err := db.Query(`SELECT c.relname::text, c.relkind = 'S', pg_get_userbyid(c.relowner)::text FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'S')`, schema)
	if err != nil {
		t.Fatal(err)
	}
	type rel struct {
		name, owner string
		sequence    bool
	}
	var rels []rel
	for rows.Next() {
		var r rel
		if err := rows.Scan(&r.name, &r.sequence, &r.owner); err != nil {
			t.Fatal(err)
		}
		rels = append(rels, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(rels) < 20 {
		t.Fatalf("%d tables, %v", len(rels), err)
	}
	has := func(fn, object, privilege string) bool {
		var ok bool
		if err := db.QueryRow("SELECT "+fn+"($1, $2, $3)", role, object, privilege).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for _, r := range rels {
		if r.owner == role {
			t.Errorf("the service's role owns %s", r.name)
		}
		qualified := pgx.Identifier{schema, r.name}.Sanitize()
		if r.sequence {
			for _, p := range []string{"USAGE", "SELECT", "UPDATE"} {
				if got, want := has("has_sequence_privilege", qualified, p), p != "UPDATE"; got != want {
					t.Errorf("%s on sequence %s: %v; want %v", p, r.name, got, want)
				}
			}
			continue
		}
		want := []string{"SELECT", "INSERT", "UPDATE", "DELETE"}
		switch {
		case slices.Contains(migrations.AppendOnlyTables(), r.name):
			want = []string{"SELECT", "INSERT"}
		case r.name == "goose_db_version" || r.name == "river_migration":
			want = []string{"SELECT"}
		}
		for _, p := range []string{"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"} {
			if got := has("has_table_privilege", qualified, p); got != slices.Contains(want, p) {
				t.Errorf("%s on %s: %v; want %v", p, r.name, got, !got)
			}
		}
	}
	if !has("has_schema_privilege", schema, "USAGE") || has("has_schema_privilege", schema, "CREATE") {
		t.Errorf("on schema %s the role must have USAGE and not CREATE", schema)
	}
}

func openDB(t *testing.T, cfg models.Config) *sql.DB {
	t.Helper()
	s, err := models.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	db, _ := sqlDB(t, s)
	return db
}

func ownerRole(t *testing.T, db *sql.DB) string {
	t.Helper()
	var name string
	if err := db.QueryRow("SELECT current_user").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

func firstColumn(t *testing.T, db *sql.DB, table string) string {
	t.Helper()
	var col string
	if err := db.QueryRow(`SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position LIMIT 1`, table).Scan(&col); err != nil {
		t.Fatal(err)
	}
	return col
}

// rowCounts counts the rows of every append-only table and of goose's version table.
func rowCounts(t *testing.T, db *sql.DB) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, table := range append(migrations.AppendOnlyTables(), "goose_db_version") {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 && table != "goose_db_version" {
			t.Errorf("%s has no rows: the service made none to protect", table)
		}
		counts[table] = n
	}
	return counts
}
