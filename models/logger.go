package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// slowQuery is how long a statement may take before it is logged as slow.
const slowQuery = 250 * time.Millisecond

// gormLogger routes GORM's log lines to slog without ever including a statement's parameter values or a
// driver's error text, either of which may carry a victim's name, birth date or account number.
type gormLogger struct{ log *slog.Logger }

func newGormLogger(log *slog.Logger) *gormLogger { return &gormLogger{log: log} }

// LogMode is part of logger.Interface; the level is slog's to decide.
func (l *gormLogger) LogMode(logger.LogLevel) logger.Interface { return l }

// Info is part of logger.Interface; GORM's informational lines are dropped.
func (l *gormLogger) Info(context.Context, string, ...any) {}

// Warn is part of logger.Interface; GORM's warnings carry no values worth hiding and are few.
func (l *gormLogger) Warn(ctx context.Context, msg string, _ ...any) {
	l.log.WarnContext(ctx, "gorm warning", "msg", msg)
}

// Error is part of logger.Interface; arguments may hold values, so only the format is kept.
func (l *gormLogger) Error(ctx context.Context, msg string, _ ...any) {
	l.log.ErrorContext(ctx, "gorm error", "msg", msg)
}

// explainedPlaceholder is how GORM renders a PostgreSQL placeholder when it has no value to fill in: $1$.
var explainedPlaceholder = regexp.MustCompile(`\$(\d+)\$`)

// statement returns the SQL of a trace with its placeholders as written.
func statement(fc func() (string, int64)) (string, int64) {
	sql, rows := fc()
	return explainedPlaceholder.ReplaceAllString(sql, "$$$1"), rows
}

// ParamsFilter makes GORM hand Trace the statement with placeholders instead of values filled in.
func (l *gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

// Trace logs failed and slow statements, leaving out the expected errors.
func (l *gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	switch {
	case err != nil && !expected(err):
		sql, _ := statement(fc)
		l.log.ErrorContext(ctx, "database statement failed", "request_id", requestOf(ctx).ID, "sql", sql,
			"error_class", ErrorClass(err), "duration_ms", elapsed.Milliseconds())
	case elapsed > slowQuery:
		sql, rows := statement(fc)
		l.log.WarnContext(ctx, "slow database statement", "request_id", requestOf(ctx).ID, "sql", sql,
			"rows", rows, "duration_ms", elapsed.Milliseconds())
	}
}

// expected reports errors that are answers rather than failures: a missing record, a uniqueness or
// reference rule doing its job (the Store turns those into domain errors), or a request the client cancelled.
func expected(err error) bool {
	return errors.Is(err, gorm.ErrRecordNotFound) || errors.Is(err, gorm.ErrDuplicatedKey) ||
		errors.Is(err, gorm.ErrForeignKeyViolated) || errors.Is(err, context.Canceled)
}

// ErrorClass names an error without its text, which may quote values: PostgreSQL's SQLSTATE, or a fixed
// word. Log it instead of the error.
func ErrorClass(err error) string {
	var pg *pgconn.PgError
	switch {
	case errors.As(err, &pg):
		return "sqlstate " + pg.Code
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline exceeded"
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return "duplicate key"
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return "foreign key violated"
	case errors.Is(err, context.Canceled):
		return "canceled"
	default:
		return fmt.Sprintf("%T", err)
	}
}

var passwordInURL = regexp.MustCompile(`(://[^:/@\s]*:)[^@\s]*@`)
var passwordKeyword = regexp.MustCompile(`(?i)(password=)\S+`)

// ScrubPassword returns a connection URL or error text with any password replaced by xxxxx, for logging.
func ScrubPassword(s string) string {
	s = passwordInURL.ReplaceAllString(s, "${1}xxxxx@")
	return passwordKeyword.ReplaceAllString(s, "${1}xxxxx")
}
