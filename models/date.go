package models

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// Date is a calendar date with no time of day or zone, such as a sentencing date.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate reads a YYYY-MM-DD date.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// Dates outside these years are refused: none is plausible in a case, and PostgreSQL and SQLite disagree at
// the edges (year 0, for one).
const (
	MinYear = 1900
	MaxYear = 2200
)

// checkDate records a problem with field when d is outside MinYear to MaxYear.
func checkDate(v *ValidationError, field string, d *Date) {
	if d != nil && (d.Year < MinYear || d.Year > MaxYear) {
		v.add(field, fmt.Sprintf("must be a date between the years %d and %d", MinYear, MaxYear))
	}
}

// Time returns midnight UTC at the start of d.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// String formats d as YYYY-MM-DD.
func (d Date) String() string { return d.Time().Format(time.DateOnly) }

// Value stores d as YYYY-MM-DD text, which both PostgreSQL's date type and SQLite accept.
func (d Date) Value() (driver.Value, error) { return d.String(), nil }

// Scan reads a date column, which drivers hand over as a time or as text.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*d = DateOf(v)
		return nil
	case string:
		return d.scanText(v)
	case []byte:
		return d.scanText(string(v))
	default:
		return fmt.Errorf("models.Date: cannot scan %T", src)
	}
}

func (d *Date) scanText(s string) error {
	if len(s) > len(time.DateOnly) {
		s = s[:len(time.DateOnly)]
	}
	parsed, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}
