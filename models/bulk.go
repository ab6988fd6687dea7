package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

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
			plain, err := plainValue(value)
			if err != nil {
				return bulkRows{}, err
			}
			values[j] = plain
		}
		out.values[i] = values
	}
	return out, nil
}

// plainValue is v as one of the types drivers encode without reflection (nil, string, int64, bool,
// time.Time): a nil pointer is NULL, a pointer is what it points to, a named string type (a kind, a status)
// is a string, and a driver.Valuer (a Date) is its value. COPY on PostgreSQL spent most of its time on the
// rest.
func plainValue(v any) (any, error) {
	switch v := v.(type) {
	case nil, string, int64, bool, time.Time:
		return v, nil
	case driver.Valuer:
		if isNilPointer(v) {
			return nil, nil
		}
		return v.Value()
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil, nil
		}
		return plainValue(rv.Elem().Interface())
	}
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	}
	return v, nil
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
	uuids, err := uuidColumns(ctx, tx, rows.table)
	if err != nil {
		return err
	}
	// pgx encodes a UUID given as text by failing, then parsing it: given as 16 bytes, it just copies them.
	for j, column := range rows.columns {
		if !uuids[column] {
			continue
		}
		for _, values := range rows.values {
			if s, ok := values[j].(string); ok {
				u, err := uuid.Parse(s)
				if err != nil {
					return fmt.Errorf("models: %s.%s is not a UUID", rows.table, column)
				}
				values[j] = [16]byte(u)
			}
		}
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{rows.table}, rows.columns, pgx.CopyFromRows(rows.values))
	return err
}

// uuidColumnsOf caches, by table, which columns are of type uuid: the same in every schema.
var uuidColumnsOf sync.Map

func uuidColumns(ctx context.Context, tx pgx.Tx, table string) (map[string]bool, error) {
	if known, ok := uuidColumnsOf.Load(table); ok {
		return known.(map[string]bool), nil
	}
	rows, err := tx.Query(ctx, "SELECT column_name FROM information_schema.columns "+
		"WHERE table_schema = current_schema() AND table_name = $1 AND data_type = 'uuid'", table)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	columns := make(map[string]bool, len(names))
	for _, n := range names {
		columns[n] = true
	}
	uuidColumnsOf.Store(table, columns)
	return columns, nil
}

// bulkChunk is the most rows one bulk statement carries. A statement's rows are held three times over while
// it runs (as Go values, as the text that carries them, and as the database parses that text): 250,000
// order lines in one statement took some 200 MiB, in chunks of 10,000 a twenty-fifth of that, for a few
// more round trips.
const bulkChunk = 10_000

// insertMany inserts rows, a slice of a GORM model, in tx with one statement per bulkChunk rows, so that
// a payment spread over 100,000 lines is ten round trips instead of thousands. On PostgreSQL each column
// travels as one array parameter that unnest() turns back into rows (as fast as a plain INSERT ... SELECT,
// twice as fast as JSON); on SQLite the rows travel as one JSON array that json_each() unpacks.
func (s *Store) insertMany(tx *gorm.DB, rows any) error {
	if v := reflect.ValueOf(rows); v.Kind() == reflect.Slice && v.Len() > bulkChunk {
		for i := 0; i < v.Len(); i += bulkChunk {
			if err := s.insertMany(tx, v.Slice(i, min(i+bulkChunk, v.Len())).Interface()); err != nil {
				return err
			}
		}
		return nil
	}
	bulk, err := s.bulkRowsOf(rows)
	if err != nil || len(bulk.values) == 0 {
		return err
	}
	columns := strings.Join(bulk.columns, ", ")
	if s.dialect == Postgres {
		types, err := columnTypes(tx, bulk.table)
		if err != nil {
			return err
		}
		arrays := make([]any, len(bulk.columns))
		casts := make([]string, len(bulk.columns))
		for j, c := range bulk.columns {
			if arrays[j], err = arrayLiteral(bulk.values, j); err != nil {
				return err
			}
			casts[j] = fmt.Sprintf("?::text::%s[]", types[c])
		}
		query := fmt.Sprintf("INSERT INTO %s (%s) SELECT * FROM unnest(%s)", bulk.table, columns, strings.Join(casts, ", "))
		return tx.Exec(query, arrays...).Error
	}
	doc, err := json.Marshal(bulk.values)
	if err != nil {
		return err
	}
	picks := make([]string, len(bulk.columns))
	for j := range bulk.columns {
		picks[j] = fmt.Sprintf("value ->> '$[%d]'", j)
	}
	query := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM json_each(?)", bulk.table, columns, strings.Join(picks, ", "))
	return tx.Exec(query, string(doc)).Error
}

// arrayLiteral writes column j of values as a PostgreSQL array literal: every element quoted and escaped,
// NULL for nil.
func arrayLiteral(values [][]any, j int) (string, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, row := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		var text string
		switch v := row[j].(type) {
		case nil:
			b.WriteString("NULL")
			continue
		case string:
			text = v
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
			continue
		case bool:
			text = strconv.FormatBool(v)
		case time.Time:
			text = v.Format(time.RFC3339Nano)
		default:
			return "", fmt.Errorf("models: a bulk row holds a %T, which no column here takes", v)
		}
		b.WriteByte('"')
		if !strings.ContainsAny(text, `"\\`) {
			b.WriteString(text)
		} else {
			for _, r := range text {
				if r == '"' || r == '\\' {
					b.WriteByte('\\')
				}
				b.WriteRune(r)
			}
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}

// columnTypesOf caches, by table, the type of each column: the same in every schema.
var columnTypesOf sync.Map

func columnTypes(tx *gorm.DB, table string) (map[string]string, error) {
	if known, ok := columnTypesOf.Load(table); ok {
		return known.(map[string]string), nil
	}
	var cols []struct{ ColumnName, UdtName string }
	err := tx.Raw("SELECT column_name, udt_name FROM information_schema.columns "+
		"WHERE table_schema = current_schema() AND table_name = ?", table).Scan(&cols).Error
	if err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("models: table %s has no columns here", table)
	}
	types := make(map[string]string, len(cols))
	for _, c := range cols {
		types[c.ColumnName] = c.UdtName
	}
	columnTypesOf.Store(table, types)
	return types, nil
}
