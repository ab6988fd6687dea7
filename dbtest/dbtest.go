// Package dbtest gives tests real, empty databases: a fresh SQLite file in the test's temporary folder and,
// when TEST_DATABASE_URL names a PostgreSQL server, a fresh schema there, dropped when the test ends.
// Password hashing runs at its minimum work factor there, so that suites stay fast. It also holds the few
// helpers that tests and benchmarks of several packages share.
package dbtest

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver for the schema set-up connection

	"github.com/impactledger/impactledger/migrations"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/password"
	"github.com/impactledger/impactledger/sealing"
)

// PostgresURL returns TEST_DATABASE_URL. Under CI it must be set, so that no suite silently runs on SQLite
// alone.
func PostgresURL(t testing.TB) string {
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" && os.Getenv("CI") != "" {
		t.Fatal("CI is set but TEST_DATABASE_URL is not: the suites must run on PostgreSQL too")
	}
	return u
}

// Each runs fn once per database under test, as subtests named "sqlite" and "postgres", each with a fresh
// database at the current schema.
func Each(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	each(t, true, nil, fn)
}

// EachWith is Each with the database configuration edited first, for instance to capture its logs.
func EachWith(t *testing.T, edit func(*models.Config), fn func(t *testing.T, s *models.Store)) {
	each(t, true, edit, fn)
}

// EachEmpty is Each without migrations applied, for tests of the migrations themselves.
func EachEmpty(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	each(t, false, nil, fn)
}

func each(t *testing.T, migrate bool, edit func(*models.Config), fn func(t *testing.T, s *models.Store)) {
	t.Helper()
	run := func(name string, config func(t *testing.T) models.Config) {
		t.Run(name, func(t *testing.T) {
			cfg := config(t)
			if edit != nil {
				edit(&cfg)
			}
			fn(t, open(t, cfg, migrate && cfg.Dialect != models.SQLite))
		})
	}
	run("sqlite", func(t *testing.T) models.Config {
		if migrate {
			return MigratedSQLiteConfig(t)
		}
		return SQLiteConfig(t)
	})
	if u := PostgresURL(t); u != "" {
		run("postgres", func(t *testing.T) models.Config { return PostgresConfig(t, u) })
	}
}

// EachB is Each for benchmarks: fn runs once per database under test, as sub-benchmarks named "sqlite" and
// "postgres" (PostgreSQL with TEST_DATABASE_URL or BENCH_DATABASE_URL), each with a fresh database.
func EachB(b *testing.B, fn func(b *testing.B, s *models.Store)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, open(b, MigratedSQLiteConfig(b), false)) })
	u := cmp.Or(os.Getenv("BENCH_DATABASE_URL"), PostgresURL(b))
	if u != "" {
		b.Run("postgres", func(b *testing.B) { fn(b, open(b, PostgresConfig(b, u), true)) })
	}
}

// SQLite returns a migrated store on a new SQLite file.
func SQLite(t testing.TB) *models.Store { return open(t, MigratedSQLiteConfig(t), false) }

// migratedSQLite is an SQLite database at the current schema, migrated once per test binary and kept as
// bytes: migrating takes over a second per database under the race detector (the engine is Go code too),
// and a copy a millisecond.
var migratedSQLite = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "impactledger-dbtest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	entry, err := sealing.GenerateKEK(time.Now())
	if err != nil {
		return nil, err
	}
	keks, err := sealing.ParseKEKs(entry)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "template.db")
	s, err := models.Open(context.Background(), models.Config{Dialect: models.SQLite, DSN: path, Keys: keks})
	if err != nil {
		return nil, err
	}
	err = Migrate(s)
	if err == nil {
		// The copy must need no key of this template's: migrations make none.
		var keys int
		db, _ := s.SQLDB()
		if err = db.QueryRow("SELECT count(*) FROM data_keys").Scan(&keys); err == nil && keys != 0 {
			err = fmt.Errorf("dbtest: migrations made %d data keys", keys)
		}
		if err == nil {
			_, err = db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		}
	}
	if closeErr := s.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return nil, err
	}
	return os.ReadFile(path)
})

// MigratedSQLiteConfig is SQLiteConfig with the file already at the current schema, a copy of one migrated
// once per test binary.
func MigratedSQLiteConfig(t testing.TB) models.Config {
	t.Helper()
	template, err := migratedSQLite()
	if err != nil {
		t.Fatalf("migrating the SQLite template: %v", err)
	}
	cfg := SQLiteConfig(t)
	if err := os.WriteFile(cfg.DSN, template, 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// SQLiteConfig names a new SQLite file in the test's temporary folder.
func SQLiteConfig(t testing.TB) models.Config {
	return models.Config{Dialect: models.SQLite, DSN: filepath.Join(t.TempDir(), "impactledger.db"),
		PasswordIterations: password.MinIterations, Keys: NewKeys(t)}
}

// PostgresConfig creates a schema of its own on the server at serverURL, dropped when the test ends, and
// returns a configuration whose connections use it.
func PostgresConfig(t testing.TB, serverURL string) models.Config {
	t.Helper()
	admin, err := sql.Open("pgx", serverURL)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := "test_" + randomHex(8)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("creating schema on TEST_DATABASE_URL: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("dropping test schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(serverURL)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return models.Config{Dialect: models.Postgres, DSN: u.String(), MaxOpenConns: 8,
		PasswordIterations: password.MinIterations, Keys: NewKeys(t)}
}

// PostgresWithServiceRole creates on the server at serverURL a login role with a random name and password,
// dropped when the test ends, and then a schema of its own as PostgresConfig does. It returns the
// configuration of TEST_DATABASE_URL's role (the schema's owner, which runs migrations), the same
// configuration connecting as the new role instead (as the service would, once granted its privileges),
// and the new role's name. The connecting role needs CREATEROLE. The name starts with the connecting role's
// name, so that whoever made that role can tell the roles its tests made: CI drops any left behind.
func PostgresWithServiceRole(t testing.TB, serverURL string) (owner, service models.Config, role string) {
	t.Helper()
	admin, err := sql.Open("pgx", serverURL)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	var me string
	if err := admin.QueryRow("SELECT current_user").Scan(&me); err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	if len(me) > 50 {
		me = "impactledger_test" // role names end at 63 bytes
	}
	role, pw := me+"_svc_"+randomHex(4), randomHex(16)
	quoted := pgx.Identifier{role}.Sanitize()
	if _, err := admin.Exec("CREATE ROLE " + quoted + " LOGIN PASSWORD '" + pw + "'"); err != nil {
		t.Fatalf("creating a role on TEST_DATABASE_URL (its role needs CREATEROLE): %v", err)
	}
	// Registered before the schema is made, so that it runs after the schema is dropped: the role's
	// privileges go with the schema's tables, and a role that holds none can be dropped.
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP ROLE " + quoted); err == nil {
			return
		}
		// Something outside the schema still names the role: revoke it, where our role may.
		_, _ = admin.Exec("DROP OWNED BY " + quoted)
		if _, err := admin.Exec("DROP ROLE " + quoted); err != nil {
			t.Errorf("dropping the test role %s: %v", role, err)
		}
	})
	owner = PostgresConfig(t, serverURL)
	u, err := url.Parse(owner.DSN)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(role, pw)
	service = owner
	service.DSN = u.String()
	return owner, service, role
}

// Migrate brings a store's database to the current schema.
func Migrate(s *models.Store) error {
	db, err := s.SQLDB()
	if err != nil {
		return err
	}
	_, err = migrations.Up(context.Background(), db, s.Dialect())
	return err
}

func open(t testing.TB, cfg models.Config, migrate bool) *models.Store {
	t.Helper()
	ctx := context.Background()
	s, err := models.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("opening %s: %v", cfg.Dialect, err)
	}
	t.Cleanup(func() { s.Close() })
	if migrate {
		if err := Migrate(s); err != nil {
			t.Fatalf("migrating %s: %v", cfg.Dialect, err)
		}
	}
	return s
}

// NewKeys makes one fresh key-encryption key.
func NewKeys(t testing.TB) []sealing.KEK {
	t.Helper()
	entry, err := sealing.GenerateKEK(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keks, err := sealing.ParseKEKs(entry)
	if err != nil {
		t.Fatal(err)
	}
	return keks
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// System is a context acting as the service itself, which the access policy lets reach every case: what
// tests that call the store directly, outside any request, act as. A bare context.Background() names no
// caller and reaches nothing.
func System() context.Context { return models.AsSystem(context.Background(), "test") }
