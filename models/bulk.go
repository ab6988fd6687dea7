package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// bulkRows are rows of one GORM model laid out for a bulk insert: its table, its columns, and each row's
// values in their order. They come from the model's own schema, so that they cannot drift from it.
type bulkRows struct {
	table   string
	columns []string
	values  [][]any
}

// bulkRowsOf lays out rows, a slice of a GORM model.
func (s *Store) bulkRowsOf(rows any) (bulkRows, error) {
	v := reflect.ValueOf(rows)
	if v.Kind() != reflect.Slice {
		return bulkRows{}, fmt.Errorf("models: bulk rows must be a slice, not %T", rows)
	}
	stmt := &gorm.Statement{DB: s.write}
	if err := stmt.Parse(reflect.New(v.Type().Elem()).Interface()); err != nil {
		return bulkRows{}, err
	}
	var fields []*schema.Field
	out := bulkRows{table: stmt.Schema.Table}
	for _, f := range stmt.Schema.Fields {
		if f.DBName != "" && f.Creatable {
			fields = append(fields, f)
			out.columns = append(out.columns, f.DBName)
		}
	}
	ctx := context.Background()
	out.values = make([][]any, v.Len())
	for i := range v.Len() {
		row := v.Index(i)
		values := make([]any, len(fields))
		for j, f := range fields {
			value, _ := f.ValueOf(ctx, row)
			if valuer, ok := value.(driver.Valuer); ok && !isNilPointer(value) {
				var err error
				if value, err = valuer.Value(); err != nil {
					return bulkRows{}, err
				}
			}
			values[j] = value
		}
		out.values[i] = values
	}
	return out, nil
}

func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// sqliteRowsPerInsert is how many rows one INSERT carries on SQLite. Its driver parses every statement it
// runs, prepared or not, so fewer statements save parsing, yet very long ones bind slowly: 20,000 victims
// with losses took 4.3 s a row at a time, 3.4 s 32 to a statement and 4.3 s 64 to a statement.
const sqliteRowsPerInsert = 32

// insertRows inserts rows in tx, sqliteRowsPerInsert to a statement.
func insertRows(ctx context.Context, tx *sql.Tx, rows bulkRows) error {
	if len(rows.values) == 0 {
		return nil
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(rows.columns)), ",") + ")"
	head := "INSERT INTO " + rows.table + " (" + strings.Join(rows.columns, ", ") + ") VALUES "
	var full string
	args := make([]any, 0, sqliteRowsPerInsert*len(rows.columns))
	for start := 0; start < len(rows.values); start += sqliteRowsPerInsert {
		batch := rows.values[start:min(start+sqliteRowsPerInsert, len(rows.values))]
		query := full
		if len(batch) < sqliteRowsPerInsert || full == "" {
			query = head + strings.TrimSuffix(strings.Repeat(one+",", len(batch)), ",")
			if len(batch) == sqliteRowsPerInsert {
				full = query
			}
		}
		args = args[:0]
		for _, values := range batch {
			args = append(args, values...)
		}
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return translateSQLiteError(err)
		}
	}
	return nil
}

// translateSQLiteError gives a uniqueness failure of a raw statement the meaning GORM gives it elsewhere.
func translateSQLiteError(err error) error {
	if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") {
		return fmt.Errorf("%w: %w", gorm.ErrDuplicatedKey, err)
	}
	return err
}

// inPgxTx runs fn in a PostgreSQL transaction on a connection of the store's pool, with pgx itself, for
// what database/sql cannot do: COPY.
func (s *Store) inPgxTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	sqlDB, err := s.write.DB()
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("models: the PostgreSQL driver connection is a %T, not pgx's", driverConn)
		}
		err := pgx.BeginFunc(ctx, c.Conn(), fn)
		var pg *pgconn.PgError
		if errors.As(err, &pg) && pg.Code == "23505" {
			return fmt.Errorf("%w: %w", gorm.ErrDuplicatedKey, err)
		}
		return err
	})
}

// copyRows writes rows into their table in tx with COPY.
func copyRows(ctx context.Context, tx pgx.Tx, rows bulkRows) error {
	if len(rows.values) == 0 {
		return nil
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{rows.table}, rows.columns, pgx.CopyFromRows(rows.values))
	return err
}
