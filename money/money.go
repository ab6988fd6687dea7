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

// Reasons ParseDollars refuses an amount. None of them quotes the amount, so that they can be shown to
// people and written to logs about files of victims' losses.
var (
	ErrNotDollars     = errors.New("must be an amount in dollars such as 1234.56 or 1,234.56")
	ErrNegative       = errors.New("must not be negative")
	ErrTooManyCents   = errors.New("must have at most two decimal places (whole cents)")
	ErrAboveMaxAmount = fmt.Errorf("must be at most %s", FormatDollars(MaxCents))
)

// ParseDollars reads an amount of dollars as people and spreadsheets write it ("1234", "1234.5",
// "1,234.56", "$1,234.56", with spaces around) as exact cents, without floating point. Thousands separators
// must group by three. It refuses negative amounts, fractions of a cent (nothing is rounded) and amounts
// above MaxCents, each with its own error.
func ParseDollars(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-") || (strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")")) {
		return 0, ErrNegative
	}
	s = strings.TrimSpace(strings.TrimPrefix(s, "$"))
	whole, frac, dotted := strings.Cut(s, ".")
	if dotted && (frac == "" || !digits(frac)) {
		return 0, ErrNotDollars
	}
	if len(frac) > 2 {
		return 0, ErrTooManyCents
	}
	if strings.Contains(whole, ",") {
		groups := strings.Split(whole, ",")
		for i, g := range groups {
			if (i == 0 && (len(g) < 1 || len(g) > 3)) || (i > 0 && len(g) != 3) {
				return 0, ErrNotDollars
			}
		}
		whole = strings.Join(groups, "")
	}
	if whole == "" || !digits(whole) {
		return 0, ErrNotDollars
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 12 { // MaxCents is $100,000,000,000.00: twelve digits of dollars
		return 0, ErrAboveMaxAmount
	}
	var cents int64
	for _, r := range whole {
		cents = cents*10 + int64(r-'0')
	}
	for len(frac) < 2 {
		frac += "0"
	}
	cents = cents*100 + int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	if cents > MaxCents {
		return 0, ErrAboveMaxAmount
	}
	return cents, nil
}

// FormatDollars writes cents as dollars with thousands separators: 123456 is "$1,234.56".
func FormatDollars(cents int64) string {
	sign := ""
	u := uint64(cents)
	if cents < 0 {
		sign, u = "-", uint64(-(cents+1))+1
	}
	whole := strconv.FormatUint(u/100, 10)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s$%s.%02d", sign, b.String(), u%100)
}

// FormatDecimal writes cents as a plain decimal number of dollars, for files other programs read: 123456 is
// "1234.56" and -5 is "-0.05".
func FormatDecimal(cents int64) string {
	sign := ""
	u := uint64(cents)
	if cents < 0 {
		sign, u = "-", uint64(-(cents+1))+1
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}
