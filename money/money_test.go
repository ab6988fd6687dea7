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
