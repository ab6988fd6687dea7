package money_test

import (
	"errors"
	"math"
	"testing"

	"github.com/impactledger/impactledger/money"
)

func TestTimeValueRoundsHalfUpToTheCent(t *testing.T) {
	for _, tc := range []struct {
		hundredths, rate, want int64
	}{
		{1250, 7500, 93750}, // 12.5 h at $75.00: $937.50
		{1, 150, 2},         // 0.01 h at $1.50 = 1.5 cents: half-up to 2
		{1, 149, 1},         // 1.49 cents: down to 1
		{3, 50, 2},          // 1.5 cents: 2
		{33, 1, 0},          // 0.33 cents: 0
		{50, 1, 1},          // 0.5 cents: 1
		{0, 999999, 0},      // no hours
		{money.MaxHundredths, money.MaxCents, money.MaxHundredths * (money.MaxCents / 100)},
	} {
		got, err := money.TimeValue(tc.hundredths, tc.rate)
		if err != nil || got != tc.want {
			t.Errorf("TimeValue(%d, %d) = %d, %v; want %d", tc.hundredths, tc.rate, got, err, tc.want)
		}
	}
	if _, err := money.TimeValue(math.MaxInt64, math.MaxInt64); !errors.Is(err, money.ErrOverflow) {
		t.Errorf("a product past int64: %v; want ErrOverflow", err)
	}
}

func TestAddRefusesOverflow(t *testing.T) {
	if s, err := money.Add(money.MaxCents, money.MaxCents); err != nil || s != 2*money.MaxCents {
		t.Fatalf("Add = %d, %v", s, err)
	}
	if _, err := money.Add(math.MaxInt64, 1); !errors.Is(err, money.ErrOverflow) {
		t.Fatalf("MaxInt64 + 1: %v", err)
	}
	if _, err := money.Add(math.MinInt64, -1); !errors.Is(err, money.ErrOverflow) {
		t.Fatalf("MinInt64 - 1: %v", err)
	}
}

func TestHours(t *testing.T) {
	for in, want := range map[string]int64{"12": 1200, "12.5": 1250, "0.25": 25, "0.05": 5, "100000": 10000000} {
		got, err := money.ParseHours(in)
		if err != nil || got != want {
			t.Errorf("ParseHours(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", ".5", "1.", "1.234", "-1", "1e3", "1,5", " 1", "0x10", "1.5.0", "1234567890"} {
		if _, err := money.ParseHours(bad); err == nil {
			t.Errorf("ParseHours(%q) accepted", bad)
		}
	}
	if got := money.FormatHours(1250); got != "12.50" {
		t.Errorf("FormatHours(1250) = %q", got)
	}
	if got := money.FormatHours(5); got != "0.05" {
		t.Errorf("FormatHours(5) = %q", got)
	}
}

func TestParseDollars(t *testing.T) {
	for _, tc := range []struct {
		in    string
		cents int64
		err   error
	}{
		{"0", 0, nil},
		{"1234", 123400, nil},
		{"1234.5", 123450, nil},
		{"1234.56", 123456, nil},
		{"1,234.56", 123456, nil},
		{"$1,234.56", 123456, nil},
		{" $ 12.00 ", 1200, nil},
		{"0.07", 7, nil},
		{"007.10", 710, nil},
		{"12,345,678.90", 1234567890, nil},
		{"100,000,000,000.00", money.MaxCents, nil},
		{"100000000000.01", 0, money.ErrAboveMaxAmount},
		{"999999999999999999999", 0, money.ErrAboveMaxAmount},
		{"1234.567", 0, money.ErrTooManyCents},
		{"0.001", 0, money.ErrTooManyCents},
		{"-5", 0, money.ErrNegative},
		{"(5.00)", 0, money.ErrNegative},
		{"", 0, money.ErrNotDollars},
		{"$", 0, money.ErrNotDollars},
		{"1.", 0, money.ErrNotDollars},
		{".5", 0, money.ErrNotDollars},
		{"12,34", 0, money.ErrNotDollars},
		{"1,2345", 0, money.ErrNotDollars},
		{",123", 0, money.ErrNotDollars},
		{"1234,567.00", 0, money.ErrNotDollars},
		{"1.234,56", 0, money.ErrNotDollars},
		{"1e3", 0, money.ErrNotDollars},
		{"12 34", 0, money.ErrNotDollars},
		{"١٢٣", 0, money.ErrNotDollars},
		{"USD 5", 0, money.ErrNotDollars},
	} {
		got, err := money.ParseDollars(tc.in)
		if err != tc.err || (err == nil && got != tc.cents) {
			t.Errorf("money.ParseDollars(%q) = %d, %v; want %d, %v", tc.in, got, err, tc.cents, tc.err)
		}
	}
}

// TestParseDollarsRoundTrips checks every amount written by money.FormatDollars reads back exactly.
func TestParseDollarsRoundTrips(t *testing.T) {
	for _, cents := range []int64{0, 1, 9, 10, 99, 100, 101, 99999, 100000, 123456789, 999999999999, money.MaxCents} {
		s := money.FormatDollars(cents)
		got, err := money.ParseDollars(s)
		if err != nil || got != cents {
			t.Errorf("money.ParseDollars(money.FormatDollars(%d) = %q) = %d, %v", cents, s, got, err)
		}
	}
	if got := money.FormatDollars(-123456); got != "-$1,234.56" {
		t.Errorf("money.FormatDollars(-123456) = %q", got)
	}
}

func FuzzParseDollars(f *testing.F) {
	for _, s := range []string{"1,234.56", "$0.07", "12", "1.5", "-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cents, err := money.ParseDollars(s)
		if err != nil {
			return
		}
		if cents < 0 || cents > money.MaxCents {
			t.Fatalf("money.ParseDollars(%q) = %d, outside 0..MaxCents", s, cents)
		}
		if again, err := money.ParseDollars(money.FormatDollars(cents)); err != nil || again != cents {
			t.Fatalf("money.ParseDollars(%q) = %d does not round-trip: %v", s, cents, err)
		}
	})
}
