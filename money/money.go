// Package money does the arithmetic of amounts in integer cents: checked sums, the value of hours of work at
// an hourly rate rounded half-up to the cent, and hours written as decimals. It never uses floating point,
// and it knows neither HTTP nor the database.
package money

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// MaxCents is the largest amount any one field may hold: $100 billion. Far above any loss, and low enough
// that a case's totals of up to 900,000 such amounts still fit in an int64.
const MaxCents int64 = 10_000_000_000_000

// MaxHundredths is the largest number of hours any one loss may claim, in hundredths of an hour (100,000
// hours).
const MaxHundredths int64 = 10_000_000

// ErrOverflow means a result does not fit in an int64 number of cents.
var ErrOverflow = errors.New("money: the amount is too large")

// Add returns a + b, or ErrOverflow.
func Add(a, b int64) (int64, error) {
	sum := a + b
	if (b > 0 && sum < a) || (b < 0 && sum > a) {
		return 0, ErrOverflow
	}
	return sum, nil
}

// TimeValue is the value in cents of hundredths hundredths of an hour at rateCents an hour: hours × rate,
// rounded half-up to the cent. Both must be non-negative.
func TimeValue(hundredths, rateCents int64) (int64, error) {
	if hundredths < 0 || rateCents < 0 {
		return 0, fmt.Errorf("money: negative hours or rate")
	}
	// hundredths × rate is in hundredths of a cent: add half a cent, then divide by 100, in 128 bits.
	hi, lo := bits.Mul64(uint64(hundredths), uint64(rateCents))
	lo, carry := bits.Add64(lo, 50, 0)
	hi += carry
	if hi >= 100 {
		return 0, ErrOverflow
	}
	q, _ := bits.Div64(hi, lo, 100)
	if q > math.MaxInt64 {
		return 0, ErrOverflow
	}
	return int64(q), nil
}

// ParseHours reads a number of hours written with at most two decimals ("12", "12.5", "0.25") as
// hundredths of an hour.
func ParseHours(s string) (int64, error) {
	whole, frac, dotted := strings.Cut(s, ".")
	if whole == "" || len(whole) > 9 || (dotted && (frac == "" || len(frac) > 2)) || !digits(whole) || !digits(frac) {
		return 0, fmt.Errorf("money: %q is not a number of hours with at most two decimals", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, err
	}
	return w*100 + f, nil
}

// FormatHours writes hundredths of an hour with two decimals, as "12.50".
func FormatHours(hundredths int64) string {
	return fmt.Sprintf("%d.%02d", hundredths/100, hundredths%100)
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
