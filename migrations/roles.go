package migrations

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrServiceIsOwner means that GrantApp was asked to grant to the role that runs the migrations: there is
// nothing to grant, and the service would run as the owner.
var ErrServiceIsOwner = errors.New("migrations: the service's role is the role that runs migrations")

// grantLock is the advisory lock that GrantApp's transactions queue on.
const grantLock int64 = 0x696d7064

// readOnlyTables are the schema's version records, which the service only reads (readiness checks goose's);
// only migrations, run as the owner, write them.
var readOnlyTables = []string{"goose_db_version", "river_migration"}

// GrantApp gives the role the service connects as (DATABASE_URL's user) exactly what the service needs in
// the schema that db's connections use (the first schema on their search_path), and nothing else: USAGE on
// the schema; SELECT and INSERT on the append-only tables; SELECT on the version tables; SELECT, INSERT,
// UPDATE and DELETE on every other table (River's job tables and the audit chain's head among them); USAGE
// and SELECT on sequences. Whatever else the role held on them (TRUNCATE, REFERENCES, TRIGGER, CREATE on the
// schema) is revoked. The tables come from the catalog, so that those a later migration adds are covered.
//
// db must connect as the schema's owner (the role that ran the migrations), since only an owner can grant.
// It runs in one transaction, so another session sees the old grants or the new ones, and it is idempotent:
// run it after every migration. It refuses to grant to the owner itself, whose privileges a revoke would
// take away.
func GrantApp(ctx context.Context, db *sql.DB, role string) error {
	if role == "" {
		return errors.New("migrations: no role to grant to")
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrations: granting: %w", err)
	}
	defer tx.Rollback()
	// Instances starting at once each grant; two transactions changing one table's privileges at the same
	// time fail ("tuple concurrently updated"), so grants queue on a lock of their own.
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", grantLock); err != nil {
		return fmt.Errorf("migrations: granting: %w", err)
	}
	var owner string
	var schema sql.NullString
	if err := tx.QueryRowContext(ctx, "SELECT current_user, current_schema()").Scan(&owner, &schema); err != nil {
		return fmt.Errorf("migrations: granting: %w", err)
	}
	if role == owner {
		return ErrServiceIsOwner
	}
	if !schema.Valid {
		return errors.New("migrations: granting: no schema on the search_path exists")
	}
	rows, err := tx.QueryContext(ctx, `SELECT c.relname, c.relkind = 'S' FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'S')
		ORDER BY c.relname`)
	if err != nil {
		return fmt.Errorf("migrations: listing tables: %w", err)
	}
	var appendOnly, readOnly, readWrite, sequences []string
	for rows.Next() {
		var name string
		var sequence bool
		if err := rows.Scan(&name, &sequence); err != nil {
			rows.Close()
			return fmt.Errorf("migrations: listing tables: %w", err)
		}
		qualified := pgx.Identifier{schema.String, name}.Sanitize()
		switch {
		case sequence:
			sequences = append(sequences, qualified)
		case slices.Contains(appendOnlyTables, name):
			appendOnly = append(appendOnly, qualified)
		case slices.Contains(readOnlyTables, name):
			readOnly = append(readOnly, qualified)
		default:
			readWrite = append(readWrite, qualified)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("migrations: listing tables: %w", err)
	}
	grantee := pgx.Identifier{role}.Sanitize()
	on := func(kind string, names []string) string { return kind + " " + strings.Join(names, ", ") }
	schemaName := pgx.Identifier{schema.String}.Sanitize()
	stmts := []string{
		"REVOKE ALL ON SCHEMA " + schemaName + " FROM " + grantee,
		"GRANT USAGE ON SCHEMA " + schemaName + " TO " + grantee,
	}
	if tables := slices.Concat(appendOnly, readOnly, readWrite); len(tables) > 0 {
		// Revoking a table's privileges revokes its columns' too.
		stmts = append(stmts, "REVOKE ALL ON "+on("TABLE", tables)+" FROM "+grantee)
	}
	for _, g := range []struct {
		privileges string
		tables     []string
	}{
		{"SELECT, INSERT", appendOnly},
		{"SELECT", readOnly},
		{"SELECT, INSERT, UPDATE, DELETE", readWrite},
	} {
		if len(g.tables) > 0 {
			stmts = append(stmts, "GRANT "+g.privileges+" ON "+on("TABLE", g.tables)+" TO "+grantee)
		}
	}
	if len(sequences) > 0 {
		stmts = append(stmts,
			"REVOKE ALL ON "+on("SEQUENCE", sequences)+" FROM "+grantee,
			"GRANT USAGE, SELECT ON "+on("SEQUENCE", sequences)+" TO "+grantee)
	}
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migrations: granting to %s: %w", role, err)
		}
	}
	// A role that does not own a table may GRANT on it and get only a warning that nothing was granted: check
	// that the service can do what it needs, so that a wrong owner shows now rather than as failed requests.
	var missing []string
	for _, g := range []struct {
		fn         string
		privileges []string
		names      []string
	}{
		{"has_table_privilege", []string{"SELECT", "INSERT"}, appendOnly},
		{"has_table_privilege", []string{"SELECT"}, readOnly},
		{"has_table_privilege", []string{"SELECT", "INSERT", "UPDATE", "DELETE"}, readWrite},
		{"has_sequence_privilege", []string{"USAGE", "SELECT"}, sequences},
	} {
		// Each privilege on its own: given a list, these functions answer whether any one is held.
		checks := make([]string, len(g.privileges))
		for i, p := range g.privileges {
			checks[i] = fmt.Sprintf("%s($1, $2, '%s')", g.fn, p)
		}
		query := "SELECT " + strings.Join(checks, " AND ")
		for _, name := range g.names {
			var ok bool
			if err := tx.QueryRowContext(ctx, query, role, name).Scan(&ok); err != nil {
				return fmt.Errorf("migrations: checking grants: %w", err)
			}
			if !ok {
				missing = append(missing, name)
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("migrations: %s could not grant %s what it needs on %s: run the migrations as the role that owns them",
			owner, role, strings.Join(missing, ", "))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrations: granting: %w", err)
	}
	return nil
}

// Role describes the database role a connection uses, for the start-up warning about an over-privileged
// service.
type Role struct {
	// Name is the role's name.
	Name string
	// Superuser reports a superuser, which bypasses every privilege and can drop any trigger.
	Superuser bool
	// OwnedTables counts the tables in the connection's schema that the role owns, or whose owner's
	// privileges it has through membership: it could drop their triggers, alter or truncate them.
	OwnedTables int
}

// Privileged reports whether the role can undo what the database enforces: it is a superuser or can act as
// the owner of a table.
func (r Role) Privileged() bool { return r.Superuser || r.OwnedTables > 0 }

// RoleOf describes the PostgreSQL role db's connections use, in the schema they use.
func RoleOf(ctx context.Context, db *sql.DB) (Role, error) {
	var r Role
	err := db.QueryRowContext(ctx, `SELECT current_user, r.rolsuper,
		(SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND pg_has_role(current_user, c.relowner, 'USAGE'))
		FROM pg_roles r WHERE r.rolname = current_user`).Scan(&r.Name, &r.Superuser, &r.OwnedTables)
	if err != nil {
		return Role{}, fmt.Errorf("migrations: reading the database role: %w", err)
	}
	return r, nil
}
