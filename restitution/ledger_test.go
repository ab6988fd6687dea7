package restitution

import (
	"testing"
	"time"
)

func day(t *testing.T, s string) Day {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return DayOf(d)
}

var (
	colorado = func(on Day) Terms { return Terms{OrderedOn: on, RateBps: 800, Classes: StatutoryClasses} }
	federal  = func(on Day, bps int64) Terms {
		return Terms{OrderedOn: on, RateBps: bps, ThresholdCents: 250_000, WaiverDays: 15, Classes: StatutoryClasses}
	}
)

// pay allocates a payment as the store does and appends it to the ledger.
func pay(t *testing.T, l *Ledger, on Day, amount int64) Entry {
	t.Helper()
	allocs, unapplied, err := l.Allocate(on, amount)
	if err != nil {
		t.Fatal(err)
	}
	e := Entry{Kind: Payment, On: on, Seq: int64(len(l.Entries) + 1), AmountCents: amount, Allocations: allocs, UnappliedCents: unapplied}
	l.Entries = append(l.Entries, e)
	return e
}

func TestWorkedExamples(t *testing.T) {
	jan1 := day(t, "2025-01-01")
	t.Run("us-co: 8% simple from the order date", func(t *testing.T) {
		l := Ledger{Terms: colorado(jan1), Lines: []Line{{VictimID: "a", Kind: Individual, OrderedCents: 1_000_000}}}
		pay(t, &l, day(t, "2025-07-01"), 200_000)
		b := l.AsOf(day(t, "2026-01-01"))
		line := b.Lines[0]
		if got := line.PrincipalOutstandingCents(); got != 800_000 {
			t.Errorf("principal outstanding %d, want 800000", got)
		}
		if got := line.InterestOutstandingCents(); got != 71_934 {
			t.Errorf("interest outstanding %d, want 71934", got)
		}
	})
	t.Run("us-federal: $2,500.00 accrues nothing", func(t *testing.T) {
		l := Ledger{Terms: federal(jan1, 500), Lines: []Line{{VictimID: "a", Kind: Individual, OrderedCents: 250_000}}}
		if got := l.AsOf(day(t, "2030-01-01")).Lines[0].InterestAccruedCents; got != 0 {
			t.Errorf("interest %d, want 0", got)
		}
		l.Lines[0].OrderedCents = 250_001
		if got := l.AsOf(day(t, "2030-01-01")).Lines[0].InterestAccruedCents; got == 0 {
			t.Error("$2,500.01 accrued nothing")
		}
	})
	t.Run("us-federal: paid in full before the 15th day accrues nothing", func(t *testing.T) {
		l := Ledger{Terms: federal(jan1, 500), Lines: []Line{{VictimID: "a", Kind: Individual, OrderedCents: 1_000_000}}}
		e := pay(t, &l, day(t, "2025-01-10"), 1_000_000)
		b := l.AsOf(day(t, "2026-01-01"))
		if !b.InterestWaived || b.Lines[0].BalanceCents() != 0 || e.UnappliedCents != 0 {
			t.Errorf("waived %v, balance %d, unapplied %d", b.InterestWaived, b.Lines[0].BalanceCents(), e.UnappliedCents)
		}
	})
	t.Run("us-federal: paid in full on 2025-03-01 owes $80.82", func(t *testing.T) {
		l := Ledger{Terms: federal(jan1, 500), Lines: []Line{{VictimID: "a", Kind: Individual, OrderedCents: 1_000_000}}}
		pay(t, &l, day(t, "2025-03-01"), 1_000_000)
		b := l.AsOf(day(t, "2026-01-01"))
		if got := b.Lines[0]; got.PrincipalOutstandingCents() != 0 || got.InterestOutstandingCents() != 8_082 {
			t.Errorf("principal %d, interest %d, want 0 and 8082", got.PrincipalOutstandingCents(), got.InterestOutstandingCents())
		}
	})
	t.Run("the 15th day itself is too late", func(t *testing.T) {
		l := Ledger{Terms: federal(jan1, 500), Lines: []Line{{VictimID: "a", Kind: Individual, OrderedCents: 1_000_000}}}
		pay(t, &l, day(t, "2025-01-15"), 1_000_000)
		if b := l.AsOf(day(t, "2025-01-16")); !b.InterestWaived {
			t.Error("paid on the 14th day after the order: not waived")
		}
		l.Entries = nil
		pay(t, &l, day(t, "2025-01-16"), 1_000_000)
		if b := l.AsOf(day(t, "2025-02-01")); b.InterestWaived || b.Lines[0].InterestOutstandingCents() != 2_055 {
			t.Errorf("paid on the 15th day: waived %v, interest %d, want 2055", b.InterestWaived, b.Lines[0].InterestOutstandingCents())
		}
	})
	t.Run("$1,000 against $600, $900 and $1,400,000 by class", func(t *testing.T) {
		l := Ledger{Terms: colorado(jan1), Lines: []Line{
			{VictimID: "county", Kind: Government, OrderedCents: 140_000_000},
			{VictimID: "person", Kind: Individual, OrderedCents: 60_000},
			{VictimID: "shop", Kind: Business, OrderedCents: 90_000},
		}}
		allocs, unapplied, err := l.Allocate(jan1, 100_000)
		if err != nil {
			t.Fatal(err)
		}
		want := []Allocation{{VictimID: "person", PrincipalCents: 40_000}, {VictimID: "shop", PrincipalCents: 60_000}}
		if len(allocs) != 2 || allocs[0] != want[1] && allocs[0] != want[0] || unapplied != 0 {
			t.Fatalf("allocations %+v, unapplied %d, want %+v", allocs, unapplied, want)
		}
		got := map[string]int64{}
		for _, a := range allocs {
			got[a.VictimID] = a.PrincipalCents
		}
		if got["person"] != 40_000 || got["shop"] != 60_000 || got["county"] != 0 {
			t.Errorf("allocated %v", got)
		}
	})
}

func TestLeapDayAccrues(t *testing.T) {
	// 2024 has 366 days; each accrues 1/365 of a year.
	l := Ledger{Terms: Terms{OrderedOn: day(t, "2024-01-01"), RateBps: 10_000}, Lines: []Line{{VictimID: "a", Kind: Individual, OrderedCents: 36_500}}}
	if got := l.AsOf(day(t, "2025-01-01")).Lines[0].InterestAccruedCents; got != 36_600 {
		t.Errorf("a year with 29 February at 100%%: %d, want 36600", got)
	}
}

func TestLargestRemainderTiesToLowerID(t *testing.T) {
	l := Ledger{Terms: colorado(0), Lines: []Line{
		{VictimID: "c", Kind: Individual, OrderedCents: 100},
		{VictimID: "a", Kind: Business, OrderedCents: 100},
		{VictimID: "b", Kind: Individual, OrderedCents: 100},
	}}
	allocs, _, _ := l.Allocate(0, 100)
	got := map[string]int64{}
	for _, a := range allocs {
		got[a.VictimID] = a.PrincipalCents
	}
	if got["a"] != 34 || got["b"] != 33 || got["c"] != 33 {
		t.Errorf("100 cents over three equal lines: %v, want a 34, b 33, c 33", got)
	}
}

func TestReversalIsBackdated(t *testing.T) {
	jan1 := day(t, "2025-01-01")
	l := Ledger{Terms: colorado(jan1), Lines: []Line{{VictimID: "a", Kind: Individual, OrderedCents: 1_000_000}}}
	p := pay(t, &l, day(t, "2025-07-01"), 200_000)
	undo := Entry{Kind: Reversal, On: p.On, Seq: 9, AmountCents: p.AmountCents, UnappliedCents: -p.UnappliedCents}
	for _, a := range p.Allocations {
		undo.Allocations = append(undo.Allocations, Allocation{VictimID: a.VictimID, PrincipalCents: -a.PrincipalCents, InterestCents: -a.InterestCents})
	}
	l.Entries = append(l.Entries, undo)
	b := l.AsOf(day(t, "2026-01-01"))
	// A year of 8% on $10,000: 365 days exactly.
	if b.Lines[0].PrincipalOutstandingCents() != 1_000_000 || b.Lines[0].InterestOutstandingCents() != 80_000 {
		t.Errorf("after the reversal: principal %d, interest %d", b.Lines[0].PrincipalOutstandingCents(), b.Lines[0].InterestOutstandingCents())
	}
}
