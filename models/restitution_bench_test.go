package models_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

// ledgerBench is a case with one defendant and an order over many victims, for the restitution benchmarks.
type ledgerBench struct {
	s       *models.Store
	caseID  string
	orderID string
	victims []string
}

// newLedgerBench enters an order of lines lines (every tenth victim a business, every hundredth a
// government, every fiftieth an insurer) of $100 to $199.99 each, ordered 2025-01-01 in Colorado.
func newLedgerBench(b *testing.B, s *models.Store, lines int) ledgerBench {
	b.Helper()
	ctx := dbtest.System()
	caseID, defendantID := caseWithDefendant(b, ctx, s, fmt.Sprint("BENCH-", lines))
	kinds := make([]models.VictimKind, lines)
	for i := range kinds {
		switch {
		case i%100 == 99:
			kinds[i] = models.VictimGovernment
		case i%50 == 49:
			kinds[i] = models.VictimInsurer
		case i%10 == 9:
			kinds[i] = models.VictimBusiness
		default:
			kinds[i] = models.VictimIndividual
		}
	}
	victims, err := s.SeedVictimsForTest(ctx, caseID, kinds)
	if err != nil {
		b.Fatal(err)
	}
	no := models.NewRestitutionOrder{OrderedOn: date(b, "2025-01-01"), DefendantIDs: []string{defendantID}, Lines: make([]models.NewOrderLine, lines)}
	for i, v := range victims {
		no.Lines[i] = models.NewOrderLine{VictimID: v, AmountCents: int64(10_000 + i%10_000)}
	}
	o, err := s.CreateRestitutionOrder(ctx, caseID, no)
	if err != nil {
		b.Fatal(err)
	}
	return ledgerBench{s: s, caseID: caseID, orderID: o.ID, victims: victims}
}

func date(tb testing.TB, s string) models.Date {
	tb.Helper()
	d, err := models.ParseDate(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// BenchmarkRestitutionPayment100kLines records one payment on an order of 100,000 lines, large enough that every
// line of the first class gets a share: reading the order and its ledger, allocating, and writing about
// 87,000 allocations. The target is under a second on PostgreSQL.
func BenchmarkRestitutionPayment100kLines(b *testing.B) {
	dbtest.EachB(b, func(b *testing.B, s *models.Store) {
		lb := newLedgerBench(b, s, 100_000)
		ctx := dbtest.System()
		o, err := s.RestitutionOrderByID(ctx, lb.orderID, date(b, "2025-01-01"), models.LinePage{})
		if err != nil {
			b.Fatal(err)
		}
		payer := o.Order.DefendantIDs[0]
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			_, _, err := s.RecordPayment(ctx, lb.orderID, fmt.Sprint("bench-", i), models.NewPayment{AmountCents: 10_000_000, ReceivedOn: date(b, "2025-06-01"),
				PayerDefendantID: payer, Method: "eft"})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRestitutionVictimSummary10kEntries reads one victim's restitution over an order with 10,000 payments, each
// touching the victim's line.
func BenchmarkRestitutionVictimSummary10kEntries(b *testing.B) {
	dbtest.EachB(b, func(b *testing.B, s *models.Store) {
		lb := newLedgerBench(b, s, 3)
		ctx := dbtest.System()
		if err := s.SeedPaymentsForTest(ctx, lb.orderID, 10_000, 3); err != nil {
			b.Fatal(err)
		}
		asOf := date(b, "2055-01-01")
		b.ResetTimer()
		for b.Loop() {
			v, err := s.VictimRestitutionOf(ctx, lb.victims[0], asOf)
			if err != nil {
				b.Fatal(err)
			}
			if len(v.Entries) != 10_000 {
				b.Fatalf("%d entries", len(v.Entries))
			}
		}
	})
}

// BenchmarkRestitutionCaseSummary100kLines sums a case whose order has 100,000 lines and one payment over all of them:
// in all, by class, one page of victims, and the timeline.
func BenchmarkRestitutionCaseSummary100kLines(b *testing.B) {
	dbtest.EachB(b, func(b *testing.B, s *models.Store) {
		lb := newLedgerBench(b, s, 100_000)
		ctx := dbtest.System()
		if err := s.SeedPaymentsForTest(ctx, lb.orderID, 1, 10_000_000); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			c, err := s.CaseRestitutionOf(ctx, lb.caseID, date(b, "2026-01-01"), 50, "")
			if err != nil {
				b.Fatal(err)
			}
			if c.Totals.PrincipalPaidCents != 10_000_000 {
				b.Fatalf("paid %d", c.Totals.PrincipalPaidCents)
			}
		}
	})
}

// caseWithDefendant creates, as ctx's caller, a Mesa County case numbered number with one defendant.
func caseWithDefendant(tb testing.TB, ctx context.Context, s *models.Store, number string) (caseID, defendantID string) {
	tb.Helper()
	kase, err := s.CreateCase(ctx, mesaCase(number))
	if err != nil {
		tb.Fatal(err)
	}
	d, err := s.CreateDefendant(ctx, kase.ID, models.NewDefendant{Name: "Dana Defendant"})
	if err != nil {
		tb.Fatal(err)
	}
	return kase.ID, d.ID
}

// BenchmarkRestitutionEnterOrder250kLines enters an order of 250,000 lines and reads its first page back, as
// createRestitutionOrder does, and reports how far that took the live Go heap (peak-live-MiB, sampled after a
// collection every few milliseconds).
func BenchmarkRestitutionEnterOrder250kLines(b *testing.B) {
	dbtest.EachB(b, func(b *testing.B, s *models.Store) {
		ctx := dbtest.System()
		caseID, defendantID := caseWithDefendant(b, ctx, s, "BENCH-ENTER")
		kinds := make([]models.VictimKind, 250_000)
		for i := range kinds {
			kinds[i] = models.VictimIndividual
		}
		victims, err := s.SeedVictimsForTest(ctx, caseID, kinds)
		if err != nil {
			b.Fatal(err)
		}
		no := models.NewRestitutionOrder{OrderedOn: date(b, "2025-01-01"), DefendantIDs: []string{defendantID}, Lines: make([]models.NewOrderLine, len(victims))}
		for i, v := range victims {
			no.Lines[i] = models.NewOrderLine{VictimID: v, AmountCents: int64(10_000 + i%10_000)}
		}
		var peak uint64
		b.ResetTimer()
		for b.Loop() {
			peak = max(peak, dbtest.LiveHeapPeak(func() {
				o, err := s.CreateRestitutionOrder(ctx, caseID, no)
				if err == nil {
					_, err = s.RestitutionOrderByID(ctx, o.ID, o.OrderedOn, models.LinePage{})
				}
				if err != nil {
					b.Fatal(err)
				}
			}))
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-live-MiB")
	})
}
