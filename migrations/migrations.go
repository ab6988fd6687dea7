// Package migrations owns the database schema: numbered goose SQL migrations, embedded in the binary, with
// one folder per dialect holding the same schema under the same numbers.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/impactledger/impactledger/models"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// FS returns the migration files of one dialect.
func FS(d models.Dialect) (fs.FS, error) {
	switch d {
	case models.Postgres, models.SQLite:
		return fs.Sub(files, string(d))
	default:
		return nil, fmt.Errorf("migrations: unknown dialect %q", d)
	}
}

// NewProvider returns a goose provider that applies this dialect's migrations to db.
func NewProvider(db *sql.DB, d models.Dialect) (*goose.Provider, error) {
	fsys, err := FS(d)
	if err != nil {
		return nil, err
	}
	gd := goose.DialectPostgres
	if d == models.SQLite {
		gd = goose.DialectSQLite3
	}
	return goose.NewProvider(gd, db, fsys, goose.WithGoMigrations(riverMigration(d)))
}

// RiverSchemaVersion is the version of River's own schema (its job queue tables) that migration 12 brings the
// database to: the newest version of the River release in go.mod. A River upgrade whose release has newer
// schema versions needs a new migration that migrates River on to them; TestRiverSchemaIsNewest fails until
// one exists.
const RiverSchemaVersion = 8

// riverMigrationVersion is the goose version of the migration that installs River's schema. It is a Go
// migration, not a file: River's tables are River's, made by River's own migrator, which keeps its version
// in river_migration. On PostgreSQL it runs outside a goose transaction, because River applies one
// transaction per version: PostgreSQL cannot use an enum value in the transaction that added it, and River's
// versions 4 and 6 do exactly that. On SQLite it runs inside goose's transaction, which holds the one
// writing connection.
const riverMigrationVersion = 12

func riverMigration(d models.Dialect) *goose.Migration {
	run := func(direction rivermigrate.Direction, target int) *goose.GoFunc {
		opts := &rivermigrate.MigrateOpts{TargetVersion: target}
		if d == models.SQLite {
			return &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
				m, err := rivermigrate.New(riversqlite.New(nil), nil)
				if err != nil {
					return fmt.Errorf("migrations: River's migrator: %w", err)
				}
				// River deprecates migrating in one transaction because PostgreSQL cannot use an enum value in
				// the transaction that added it; SQLite has no such limit, and goose's transaction holds its one
				// writing connection, so River must use that transaction or wait forever for another.
				//lint:ignore SA1019 see above: one transaction is right on SQLite.
				if _, err := m.MigrateTx(ctx, tx, direction, opts); err != nil {
					return fmt.Errorf("migrations: River's schema: %w", err)
				}
				return nil
			}}
		}
		return &goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error {
			m, err := rivermigrate.New(riverdatabasesql.New(db), nil)
			if err != nil {
				return fmt.Errorf("migrations: River's migrator: %w", err)
			}
			if _, err := m.Migrate(ctx, direction, opts); err != nil {
				return fmt.Errorf("migrations: River's schema: %w", err)
			}
			return nil
		}}
	}
	return goose.NewGoMigration(riverMigrationVersion,
		run(rivermigrate.DirectionUp, RiverSchemaVersion),
		run(rivermigrate.DirectionDown, -1))
}

// NewestRiverSchemaVersion is the newest schema version the linked River release knows, for the test that
// keeps RiverSchemaVersion current.
func NewestRiverSchemaVersion(d models.Dialect) (int, error) {
	var versions []rivermigrate.Migration
	switch d {
	case models.Postgres:
		m, err := rivermigrate.New(riverdatabasesql.New(nil), nil)
		if err != nil {
			return 0, err
		}
		versions = m.AllVersions()
	case models.SQLite:
		m, err := rivermigrate.New(riversqlite.New(nil), nil)
		if err != nil {
			return 0, err
		}
		versions = m.AllVersions()
	default:
		return 0, fmt.Errorf("migrations: unknown dialect %q", d)
	}
	if len(versions) == 0 {
		return 0, nil
	}
	return versions[len(versions)-1].Version, nil
}

// Up applies every pending migration.
func Up(ctx context.Context, db *sql.DB, d models.Dialect) ([]*goose.MigrationResult, error) {
	p, err := NewProvider(db, d)
	if err != nil {
		return nil, err
	}
	return p.Up(ctx)
}

// Current reports an error unless every embedded migration has been applied, so that readiness can refuse
// traffic from an instance whose schema is behind its code.
func Current(ctx context.Context, db *sql.DB, d models.Dialect) error {
	p, err := NewProvider(db, d)
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("migrations: reading schema version: %w", err)
	}
	if pending {
		return fmt.Errorf("migrations: the database schema is behind; run `impactledger migrate up`")
	}
	return nil
}
