package migrations_test

import (
	"cmp"
	"context"
	"database/sql"
	"io/fs"
	"slices"
	"testing"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/migrations"
	"github.com/impactledger/impactledger/models"
)

// column is one column as both dialects can describe it.
type column struct {
	Table, Name string
	NotNull     bool
}

func TestDialectsHaveTheSameMigrationFiles(t *testing.T) {
	names := func(d models.Dialect) []string {
		fsys, err := migrations.FS(d)
		if err != nil {
			t.Fatal(err)
		}
		files, err := fs.Glob(fsys, "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	pg, lite := names(models.Postgres), names(models.SQLite)
	if len(pg) == 0 || !slices.Equal(pg, lite) {
		t.Fatalf("postgres has %v, sqlite has %v: each migration must exist for both, under the same name", pg, lite)
	}
}

func TestUpDownUpAndCurrent(t *testing.T) {
	dbtest.EachEmpty(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		db, d := sqlDB(t, s)
		if err := migrations.Current(ctx, db, d); err == nil {
			t.Fatal("an empty database reported its schema current")
		}
		p, err := migrations.NewProvider(db, d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("up: %v", err)
		}
		if err := migrations.Current(ctx, db, d); err != nil {
			t.Fatalf("after up: %v", err)
		}
		if _, err := p.DownTo(ctx, 0); err != nil {
			t.Fatalf("down to 0: %v", err)
		}
		if cols := columns(t, db, d); len(cols) != 0 {
			t.Fatalf("after down, tables remain: %v", cols)
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		if err := migrations.Current(ctx, db, d); err != nil {
			t.Fatalf("after up again: %v", err)
		}
	})
}

// TestDialectsProduceTheSameSchema applies both dialects' migrations and compares every table and column, so
// that a change made to one folder and forgotten in the other fails here.
func TestDialectsProduceTheSameSchema(t *testing.T) {
	pgURL := dbtest.PostgresURL(t)
	if pgURL == "" {
		t.Skip("TEST_DATABASE_URL is not set; the comparison needs PostgreSQL (CI always sets it)")
	}
	schemaOf := func(cfg models.Config) []column {
		s, err := models.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		db, d := sqlDB(t, s)
		if _, err := migrations.Up(context.Background(), db, d); err != nil {
			t.Fatal(err)
		}
		return columns(t, db, d)
	}
	lite := schemaOf(dbtest.SQLiteConfig(t))
	pg := schemaOf(dbtest.PostgresConfig(t, pgURL))
	if len(lite) == 0 {
		t.Fatal("no columns found")
	}
	for _, c := range lite {
		if !slices.Contains(pg, c) {
			t.Errorf("sqlite has %+v, postgres does not", c)
		}
	}
	for _, c := range pg {
		if !slices.Contains(lite, c) {
			t.Errorf("postgres has %+v, sqlite does not", c)
		}
	}
}

func sqlDB(t *testing.T, s *models.Store) (*sql.DB, models.Dialect) {
	db, err := s.SQLDB()
	if err != nil {
		t.Fatal(err)
	}
	return db, s.Dialect()
}

// columns lists the application's columns, sorted, leaving out goose's own bookkeeping table.
func columns(t *testing.T, db *sql.DB, d models.Dialect) []column {
	query := `SELECT table_name, column_name, is_nullable = 'NO' FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'`
	if d == models.SQLite {
		query = `SELECT m.name, p.name, p."notnull" <> 0 OR p.pk <> 0 FROM sqlite_master m
			JOIN pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'goose_db_version'`
	}
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.Table, &c.Name, &c.NotNull); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(cols, func(a, b column) int {
		return cmp.Or(cmp.Compare(a.Table, b.Table), cmp.Compare(a.Name, b.Name))
	})
	return cols
}

// TestRiverSchemaIsNewest fails when the River release in go.mod knows schema versions that the migrations do
// not apply: a River upgrade needs a new migration that brings River's tables to the new version.
func TestRiverSchemaIsNewest(t *testing.T) {
	for _, d := range []models.Dialect{models.Postgres, models.SQLite} {
		newest, err := migrations.NewestRiverSchemaVersion(d)
		if err != nil {
			t.Fatal(err)
		}
		if newest != migrations.RiverSchemaVersion {
			t.Errorf("%s: River knows schema version %d, the migrations apply %d: add a migration that runs River's migrator to %d",
				d, newest, migrations.RiverSchemaVersion, newest)
		}
	}
}
