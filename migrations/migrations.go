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
	return goose.NewProvider(gd, db, fsys)
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
