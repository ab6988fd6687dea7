package handlers_test

import (
	"context"
	"encoding/csv"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

// ledgerCase is a case with one defendant and named victims, for restitution tests.
type ledgerCase struct {
	t         *testing.T
	c         *client
	caseID    string
	defendant string
	victims   map[string]string // name → ID
}

// newLedgerCase makes a case in jurisdiction with one defendant and a victim per name → kind.
func newLedgerCase(t *testing.T, c *client, jurisdiction string, victims map[string]string) *ledgerCase {
	t.Helper()
	kase, _ := createCase(t, c, map[string]any{"court_case_number": "25CR" + uuid.NewString()[:8], "caption": "People v. Ledger",
		"court": "Mesa County District Court", "jurisdiction": jurisdiction})
	lc := &ledgerCase{t: t, c: c, caseID: kase.Id.String(), victims: map[string]string{}}
	lc.defendant = lc.create("/api/v1/cases/"+lc.caseID+"/defendants", map[string]any{"name": "Dana Defendant"})
	for name, kind := range victims {
		lc.victims[name] = lc.create("/api/v1/cases/"+lc.caseID+"/victims", map[string]any{"kind": kind, "name": name})
	}
	return lc
}

func (lc *ledgerCase) create(path string, body any) string {
	lc.t.Helper()
	res := lc.c.do("POST", path, body)
	if res.StatusCode != http.StatusCreated {
		lc.t.Fatalf("POST %s: %d %s", path, res.StatusCode, res.Body)
	}
	var made struct {
		ID string `json:"id"`
	}
	res.JSON(lc.t, &made)
	return made.ID
}

// order enters an order on orderedOn with amounts by victim name; extra fields (such as interest_rate_bps)
// are added to the body.
func (lc *ledgerCase) order(orderedOn string, amounts map[string]int64, extra map[string]any) string {
	lc.t.Helper()
	body := map[string]any{"ordered_on": orderedOn, "defendant_ids": []string{lc.defendant}, "court_order_reference": "Judgment, docket 42"}
	lines := []map[string]any{}
	for name, cents := range amounts {
		lines = append(lines, map[string]any{"victim_id": lc.victims[name], "amount_cents": cents})
	}
	body["lines"] = lines
	for k, v := range extra {
		body[k] = v
	}
	return lc.create("/api/v1/cases/"+lc.caseID+"/restitution-orders", body)
}

// moneyKey is a new Idempotency-Key header, which every request that moves money carries.
func moneyKey() []string { return []string{"Idempotency-Key", uuid.NewString()} }

func (lc *ledgerCase) payment(amount int64, on string) map[string]any {
	return map[string]any{"amount_cents": amount, "received_on": on, "payer_defendant_id": lc.defendant, "method": "check", "reference": "Check 1001"}
}

// pay records a payment and returns it.
func (lc *ledgerCase) pay(orderID string, amount int64, on string) api.Payment {
	lc.t.Helper()
	res := lc.c.do("POST", "/api/v1/restitution-orders/"+orderID+"/payments", lc.payment(amount, on), moneyKey()...)
	if res.StatusCode != http.StatusCreated {
		lc.t.Fatalf("paying: %d %s", res.StatusCode, res.Body)
	}
	var p api.Payment
	res.JSON(lc.t, &p)
	return p
}

// state reads the order as of a day.
func (lc *ledgerCase) state(orderID, asOf string) api.RestitutionOrder {
	lc.t.Helper()
	res := lc.c.do("GET", "/api/v1/restitution-orders/"+orderID+"?as_of="+asOf, nil)
	if res.StatusCode != http.StatusOK {
		lc.t.Fatalf("reading the order: %d %s", res.StatusCode, res.Body)
	}
	var o api.RestitutionOrder
	res.JSON(lc.t, &o)
	return o
}

// line is the order's line of the victim named name.
func (lc *ledgerCase) line(o api.RestitutionOrder, name string) api.RestitutionLine {
	lc.t.Helper()
	for _, l := range o.Lines {
		if l.VictimId.String() == lc.victims[name] {
			return l
		}
	}
	lc.t.Fatalf("the order has no line for %s", name)
	return api.RestitutionLine{}
}

func TestRestitutionWorkedExamples(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		t.Run("us-co: 8% simple interest from the order date", func(t *testing.T) {
			lc := newLedgerCase(t, c.as(t), "us-co", map[string]string{"Ann": "individual"})
			order := lc.order("2025-01-01", map[string]int64{"Ann": 1_000_000}, nil)
			lc.pay(order, 200_000, "2025-07-01")
			o := lc.state(order, "2026-01-01")
			if o.Terms.AnnualRateBps != 800 || o.Terms.InterestMode != api.InterestFixed {
				t.Errorf("terms %+v", o.Terms)
			}
			if l := lc.line(o, "Ann"); l.PrincipalOutstandingCents != 800_000 || l.InterestOutstandingCents != 71_934 || l.BalanceCents != 871_934 {
				t.Errorf("principal %d, interest %d, balance %d; want 800000, 71934, 871934", l.PrincipalOutstandingCents, l.InterestOutstandingCents, l.BalanceCents)
			}
		})
		t.Run("us-federal: $2,500.00 accrues nothing", func(t *testing.T) {
			lc := newLedgerCase(t, c.as(t), "us-federal", map[string]string{"Ann": "individual"})
			order := lc.order("2025-01-01", map[string]int64{"Ann": 250_000}, map[string]any{"interest_rate_bps": 500})
			if l := lc.line(lc.state(order, "2026-06-01"), "Ann"); l.InterestAccruedCents != 0 || l.BalanceCents != 250_000 {
				t.Errorf("interest %d, balance %d", l.InterestAccruedCents, l.BalanceCents)
			}
		})
		t.Run("us-federal: paid in full on 2025-01-10 accrues nothing", func(t *testing.T) {
			lc := newLedgerCase(t, c.as(t), "us-federal", map[string]string{"Ann": "individual"})
			order := lc.order("2025-01-01", map[string]int64{"Ann": 1_000_000}, map[string]any{"interest_rate_bps": 500})
			lc.pay(order, 1_000_000, "2025-01-10")
			o := lc.state(order, "2026-01-01")
			if l := lc.line(o, "Ann"); !o.InterestWaived || l.InterestAccruedCents != 0 || l.BalanceCents != 0 {
				t.Errorf("waived %v, interest %d, balance %d", o.InterestWaived, l.InterestAccruedCents, l.BalanceCents)
			}
		})
		t.Run("us-federal: paid in full on 2025-03-01 owes $80.82", func(t *testing.T) {
			lc := newLedgerCase(t, c.as(t), "us-federal", map[string]string{"Ann": "individual"})
			order := lc.order("2025-01-01", map[string]int64{"Ann": 1_000_000}, map[string]any{"interest_rate_bps": 500})
			lc.pay(order, 1_000_000, "2025-03-01")
			if l := lc.line(lc.state(order, "2026-01-01"), "Ann"); l.PrincipalOutstandingCents != 0 || l.InterestOutstandingCents != 8_082 {
				t.Errorf("principal %d, interest %d; want 0 and 8082", l.PrincipalOutstandingCents, l.InterestOutstandingCents)
			}
		})
		t.Run("$1,000 against $600, $900 and $1,400,000 allocates $400 / $600 / $0", func(t *testing.T) {
			lc := newLedgerCase(t, c.as(t), "us-co", map[string]string{"Ann": "individual", "Shop": "business", "Mesa County": "government"})
			order := lc.order("2025-01-01", map[string]int64{"Ann": 60_000, "Shop": 90_000, "Mesa County": 140_000_000}, nil)
			p := lc.pay(order, 100_000, "2025-01-01")
			got := map[string]int64{}
			for _, a := range p.Allocations {
				got[a.VictimId.String()] = a.PrincipalCents + a.InterestCents
			}
			if got[lc.victims["Ann"]] != 40_000 || got[lc.victims["Shop"]] != 60_000 || got[lc.victims["Mesa County"]] != 0 || p.UnappliedCents != 0 {
				t.Errorf("allocations %+v, unapplied %d", p.Allocations, p.UnappliedCents)
			}
		})
	})
}

func TestRestitutionLedgerRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		lc := newLedgerCase(t, c, "us-co", map[string]string{"Ann": "individual", "Acme Insurance": "insurer"})
		order := lc.order("2025-01-01", map[string]int64{"Ann": 100_000, "Acme Insurance": 50_000}, nil)
		path := "/api/v1/restitution-orders/" + order

		t.Run("a dry run allocates and records nothing", func(t *testing.T) {
			res := c.do("POST", path+"/payments?dry_run=true", lc.payment(120_000, "2025-02-01"), moneyKey()...)
			var preview api.PaymentPreview
			res.JSON(t, &preview)
			if res.StatusCode != http.StatusOK || len(preview.Allocations) != 2 || preview.Allocations[0].PrincipalCents+preview.Allocations[1].PrincipalCents != 120_000 {
				t.Fatalf("%d %s", res.StatusCode, res.Body)
			}
			if o := lc.state(order, "2025-02-01"); o.Totals.PrincipalPaidCents != 0 {
				t.Errorf("a dry run paid %d", o.Totals.PrincipalPaidCents)
			}
		})
		first := lc.pay(order, 120_000, "2025-02-01")
		t.Run("individuals are paid before insurers", func(t *testing.T) {
			o := lc.state(order, "2025-02-01")
			if ann, ins := lc.line(o, "Ann"), lc.line(o, "Acme Insurance"); ann.PrincipalPaidCents != 100_000 || ins.PrincipalPaidCents != 20_000 {
				t.Errorf("Ann %d, insurer %d", ann.PrincipalPaidCents, ins.PrincipalPaidCents)
			}
		})
		t.Run("a payment dated before the latest is refused with the reason", func(t *testing.T) {
			res := c.do("POST", path+"/payments", lc.payment(100, "2025-01-15"), moneyKey()...)
			if p := res.Problem(t); res.StatusCode != http.StatusConflict || !strings.Contains(p.Detail, "2025-02-01") {
				t.Errorf("%d %s", res.StatusCode, res.Body)
			}
		})
		t.Run("the payer must be liable on the order", func(t *testing.T) {
			other := lc.create("/api/v1/cases/"+lc.caseID+"/defendants", map[string]any{"name": "Not On The Order"})
			body := lc.payment(100, "2025-02-01")
			body["payer_defendant_id"] = other
			res := c.do("POST", path+"/payments", body, moneyKey()...)
			if p := res.Problem(t); res.StatusCode != http.StatusUnprocessableEntity || p.Errors["payer_defendant_id"] == "" {
				t.Errorf("%d %s", res.StatusCode, res.Body)
			}
		})
		t.Run("disbursements never exceed what was applied", func(t *testing.T) {
			res := c.do("POST", path+"/disbursements", map[string]any{"victim_id": lc.victims["Ann"], "amount_cents": 100_001, "paid_on": "2025-02-03", "method": "check"}, moneyKey()...)
			if p := res.Problem(t); res.StatusCode != http.StatusUnprocessableEntity || p.Errors["amount_cents"] == "" {
				t.Errorf("%d %s", res.StatusCode, res.Body)
			}
			if res := c.do("POST", path+"/disbursements", map[string]any{"victim_id": lc.victims["Ann"], "amount_cents": 60_000, "paid_on": "2025-02-03", "method": "check"}, moneyKey()...); res.StatusCode != http.StatusCreated {
				t.Errorf("%d %s", res.StatusCode, res.Body)
			}
		})
		t.Run("a line may not drop below what was paid", func(t *testing.T) {
			res := c.do("POST", path+"/adjustments", map[string]any{"victim_id": lc.victims["Ann"], "delta_cents": -1, "effective_on": "2025-02-05", "reason": "Amended"}, moneyKey()...)
			if p := res.Problem(t); res.StatusCode != http.StatusUnprocessableEntity || p.Errors["delta_cents"] == "" {
				t.Errorf("%d %s", res.StatusCode, res.Body)
			}
			res = c.do("POST", path+"/adjustments", map[string]any{"victim_id": lc.victims["Acme Insurance"], "delta_cents": -10_000, "effective_on": "2025-02-05", "reason": "Amended judgment"}, moneyKey()...)
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("%d %s", res.StatusCode, res.Body)
			}
			if l := lc.line(lc.state(order, "2025-02-05"), "Acme Insurance"); l.AdjustedCents != -10_000 || l.PrincipalOutstandingCents != 20_000 {
				t.Errorf("adjusted %d, outstanding %d", l.AdjustedCents, l.PrincipalOutstandingCents)
			}
		})
		t.Run("a reversal is effective on the payment's day and shows over-disbursement", func(t *testing.T) {
			res := c.do("POST", "/api/v1/payments/"+first.Id.String()+"/reverse", map[string]any{"reason": "Check returned unpaid"}, moneyKey()...)
			var reversed api.Payment
			res.JSON(t, &reversed)
			if res.StatusCode != http.StatusOK || reversed.ReversedBy.IsNull() {
				t.Fatalf("%d %s", res.StatusCode, res.Body)
			}
			if res := c.do("POST", "/api/v1/payments/"+first.Id.String()+"/reverse", map[string]any{"reason": "again"}, moneyKey()...); res.StatusCode != http.StatusConflict {
				t.Errorf("reversing twice: %d %s", res.StatusCode, res.Body)
			}
			o := lc.state(order, "2026-01-01")
			ann := lc.line(o, "Ann")
			// The whole year of interest on $1,000 at 8%: the reversal put the principal back from 2025-02-01.
			if ann.PrincipalOutstandingCents != 100_000 || ann.InterestAccruedCents != 8_000 || ann.OverDisbursedCents != 60_000 || ann.UndisbursedCents != 0 {
				t.Errorf("Ann after the reversal: %+v", ann)
			}
			if o.Totals.OverDisbursedCents != 60_000 {
				t.Errorf("order over-disbursed %d", o.Totals.OverDisbursedCents)
			}
		})
		t.Run("refunds never exceed the unapplied credit", func(t *testing.T) {
			p := lc.pay(order, 500_000, "2025-03-01")
			if p.UnappliedCents <= 0 {
				t.Fatalf("no credit: %+v", p)
			}
			res := c.do("POST", path+"/refunds", map[string]any{"amount_cents": p.UnappliedCents + 1, "paid_on": "2025-03-02"}, moneyKey()...)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%d %s", res.StatusCode, res.Body)
			}
			if res := c.do("POST", path+"/refunds", map[string]any{"amount_cents": p.UnappliedCents, "paid_on": "2025-03-02"}, moneyKey()...); res.StatusCode != http.StatusCreated {
				t.Errorf("%d %s", res.StatusCode, res.Body)
			}
			if o := lc.state(order, "2025-03-02"); o.UnappliedCreditCents != 0 {
				t.Errorf("credit after the refund %d", o.UnappliedCreditCents)
			}
		})
		t.Run("the ledger lists and exports every entry", func(t *testing.T) {
			res := c.do("GET", path+"/entries?kind=payment", nil)
			var page api.LedgerEntryList
			res.JSON(t, &page)
			if len(page.Items) != 2 || page.Items[0].ReversedBy.IsNull() || page.Items[0].Reference.MustGet() != "Check 1001" {
				t.Errorf("payments: %s", res.Body)
			}
			res = c.do("GET", path+"/ledger.csv", nil)
			rows, err := csv.NewReader(strings.NewReader(string(res.Body))).ReadAll()
			if err != nil || res.StatusCode != http.StatusOK || rows[0][0] != "seq" || len(rows) < 7 {
				t.Fatalf("%d %v %q", res.StatusCode, err, rows)
			}
			if strings.Contains(string(res.Body), "Check 1001") || strings.Contains(string(res.Body), "returned unpaid") {
				t.Error("the export carries typed text")
			}
		})
		t.Run("the victim and case views agree with the order", func(t *testing.T) {
			o := lc.state(order, "2026-01-01")
			res := c.do("GET", "/api/v1/victims/"+lc.victims["Ann"]+"/restitution?as_of=2026-01-01", nil)
			var v api.VictimRestitution
			res.JSON(t, &v)
			if ann := lc.line(o, "Ann"); v.Totals.BalanceCents != ann.BalanceCents || len(v.Orders) != 1 || len(v.Entries) < 3 {
				t.Errorf("victim view %s", res.Body)
			}
			res = c.do("GET", "/api/v1/cases/"+lc.caseID+"/restitution?as_of=2026-01-01", nil)
			var cr api.CaseRestitution
			res.JSON(t, &cr)
			if cr.Totals != o.Totals || cr.UnappliedCreditCents != o.UnappliedCreditCents || len(cr.ByClass) != 3 || len(cr.ByVictim.Items) != 2 || len(cr.Timeline) == 0 {
				t.Errorf("case view %s", res.Body)
			}
			last := cr.Timeline[len(cr.Timeline)-1]
			if last.CollectedCents != cr.CollectedCents || cr.CollectedCents != o.Totals.PrincipalPaidCents+o.Totals.InterestPaidCents+o.UnappliedCreditCents {
				t.Errorf("collected %d, timeline %+v, order %+v", cr.CollectedCents, last, o.Totals)
			}
		})
	})
}

func TestRestitutionIdempotencyKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		lc := newLedgerCase(t, c, "us-co", map[string]string{"Ann": "individual"})
		order := lc.order("2025-01-01", map[string]int64{"Ann": 100_000}, nil)
		path := "/api/v1/restitution-orders/" + order + "/payments"
		before := c.do("GET", "/api/v1/restitution-orders/"+order+"?as_of=2025-02-01", nil).Header.Get("ETag")
		first := c.do("POST", path, lc.payment(1_000, "2025-02-01"), "Idempotency-Key", "pay-1")
		again := c.do("POST", path, lc.payment(1_000, "2025-02-01"), "Idempotency-Key", "pay-1")
		if first.StatusCode != http.StatusCreated || again.StatusCode != http.StatusCreated || string(first.Body) != string(again.Body) {
			t.Errorf("repeat: %d %s / %d %s", first.StatusCode, first.Body, again.StatusCode, again.Body)
		}
		if res := c.do("POST", path, lc.payment(2_000, "2025-02-01"), "Idempotency-Key", "pay-1"); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("another body: %d %s", res.StatusCode, res.Body)
		}
		if o := lc.state(order, "2025-02-01"); o.Totals.PrincipalPaidCents != 1_000 {
			t.Errorf("paid %d; want one payment of 1000", o.Totals.PrincipalPaidCents)
		}
		if after := c.do("GET", "/api/v1/restitution-orders/"+order+"?as_of=2025-02-01", nil).Header.Get("ETag"); before == "" || after == before {
			t.Errorf("the order's ETag %q before the payment and %q after", before, after)
		}
	})
}

// TestMoneyNeedsAnIdempotencyKey sends each request that moves money (payments, dry runs included, refunds,
// adjustments, disbursements, reversals) without an Idempotency-Key, and with an empty one: each is refused
// with 428 and a problem saying to send one, and the ledger is unchanged.
func TestMoneyNeedsAnIdempotencyKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newClient(t, s).signedIn(models.RoleClerk)
		lc := newLedgerCase(t, newAdminClient(t, s), "us-co", map[string]string{"Ann": "individual"})
		lc.c = c
		order := lc.order("2025-01-01", map[string]int64{"Ann": 100_000}, nil)
		paid := lc.pay(order, 150_000, "2025-02-01") // leaves $500 of credit to refund
		path := "/api/v1/restitution-orders/" + order
		entries := func() int {
			var page api.LedgerEntryList
			c.do("GET", path+"/entries", nil).JSON(t, &page)
			return len(page.Items)
		}
		before := entries()
		for _, req := range []struct {
			path string
			body any
		}{
			{path + "/payments", lc.payment(1_000, "2025-02-02")},
			{path + "/payments?dry_run=true", lc.payment(1_000, "2025-02-02")},
			{path + "/refunds", map[string]any{"amount_cents": 100, "paid_on": "2025-02-02"}},
			{path + "/adjustments", map[string]any{"victim_id": lc.victims["Ann"], "delta_cents": 100, "effective_on": "2025-02-02", "reason": "Amended"}},
			{path + "/disbursements", map[string]any{"victim_id": lc.victims["Ann"], "amount_cents": 100, "paid_on": "2025-02-02", "method": "check"}},
			{"/api/v1/payments/" + paid.Id.String() + "/reverse", map[string]any{"reason": "Check returned unpaid"}},
		} {
			for _, headers := range [][]string{nil, {"Idempotency-Key", ""}} {
				res := c.do("POST", req.path, req.body, headers...)
				p := res.Problem(t)
				if res.StatusCode != http.StatusPreconditionRequired || p.Type != "https://impactledger.org/problems/idempotency-key-required" ||
					!strings.Contains(p.Detail, "Idempotency-Key") || p.Errors["Idempotency-Key"] != "is required" {
					t.Errorf("POST %s with %q: %d %s; want 428 asking for an Idempotency-Key", req.path, headers, res.StatusCode, res.Body)
				}
			}
		}
		if after := entries(); after != before {
			t.Errorf("the ledger went from %d entries to %d", before, after)
		}
	})
}

// TestReversalRetriedWithTheSameKeyReversesOnce reverses a payment, then sends the same reversal again with
// the same Idempotency-Key, as a client does when the first answer was lost: the same answer comes back and
// the ledger holds one reversal. The same key with another reason, or for another payment, is 422.
func TestReversalRetriedWithTheSameKeyReversesOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		lc := newLedgerCase(t, c, "us-co", map[string]string{"Ann": "individual"})
		order := lc.order("2025-01-01", map[string]int64{"Ann": 100_000}, nil)
		first, second := lc.pay(order, 10_000, "2025-02-01"), lc.pay(order, 20_000, "2025-02-02")
		reverse := func(payment api.Payment, reason, key string) response {
			return c.do("POST", "/api/v1/payments/"+payment.Id.String()+"/reverse", map[string]any{"reason": reason}, "Idempotency-Key", key)
		}
		res := reverse(first, "Check returned unpaid", "reverse-1")
		again := reverse(first, "Check returned unpaid", "reverse-1")
		var p api.Payment
		res.JSON(t, &p)
		if res.StatusCode != http.StatusOK || again.StatusCode != http.StatusOK || string(again.Body) != string(res.Body) || p.ReversedBy.IsNull() {
			t.Fatalf("reversed: %d %s; again: %d %s", res.StatusCode, res.Body, again.StatusCode, again.Body)
		}
		for _, retry := range []response{reverse(first, "Check returned, twice", "reverse-1"), reverse(second, "Check returned unpaid", "reverse-1")} {
			if p := retry.Problem(t); retry.StatusCode != http.StatusUnprocessableEntity || p.Errors["Idempotency-Key"] == "" {
				t.Errorf("the key again with another request: %d %s", retry.StatusCode, retry.Body)
			}
		}
		var reversals api.LedgerEntryList
		c.do("GET", "/api/v1/restitution-orders/"+order+"/entries?kind=reversal", nil).JSON(t, &reversals)
		if len(reversals.Items) != 1 {
			t.Errorf("%d reversals; want 1", len(reversals.Items))
		}
		if o := lc.state(order, "2025-03-01"); o.Totals.PrincipalPaidCents != 20_000 {
			t.Errorf("principal paid %d; want the second payment's 20000 alone", o.Totals.PrincipalPaidCents)
		}
		// A new key is a new request: the payment is reversed already.
		if res := reverse(first, "Check returned unpaid", "reverse-2"); res.StatusCode != http.StatusConflict {
			t.Errorf("a second reversal: %d %s", res.StatusCode, res.Body)
		}
	})
}

func TestRestitutionProfilesAreCopied(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		lc := newLedgerCase(t, c, "us-co", map[string]string{"Ann": "individual"})
		order := lc.order("2025-01-01", map[string]int64{"Ann": 1_000_000}, nil)
		before := lc.state(order, "2026-01-01")
		res := c.do("PUT", "/api/v1/jurisdictions/us-co", map[string]any{"name": "Colorado", "interest": map[string]any{
			"mode": "fixed", "annual_rate_bps": 1200, "threshold_cents": 0, "waived_if_principal_paid_within_days": 0},
			"priority_classes": [][]string{{"government"}, {"individual", "business"}, {"insurer", "compensation_fund"}}})
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", res.StatusCode, res.Body)
		}
		if after := lc.state(order, "2026-01-01"); after.Totals != before.Totals || after.Terms.AnnualRateBps != 800 {
			t.Errorf("editing the profile changed the order: %+v → %+v", before.Terms, after.Terms)
		}
		if o := lc.state(lc.order("2025-01-01", map[string]int64{"Ann": 1_000_000}, nil), "2025-01-01"); o.Terms.AnnualRateBps != 1200 || o.Terms.PriorityClasses[0][0] != api.VictimGovernment {
			t.Errorf("a new order has %+v", o.Terms)
		}
		for name, body := range map[string]map[string]any{
			"a fixed profile without a rate": {"name": "X", "interest": map[string]any{"mode": "fixed", "threshold_cents": 0, "waived_if_principal_paid_within_days": 0},
				"priority_classes": [][]string{{"individual", "business", "insurer", "compensation_fund", "government"}}},
			"classes missing a kind": {"name": "X", "interest": map[string]any{"mode": "none", "threshold_cents": 0, "waived_if_principal_paid_within_days": 0},
				"priority_classes": [][]string{{"individual", "business"}}},
		} {
			if res := c.do("PUT", "/api/v1/jurisdictions/xx-bad", body); res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d %s", name, res.StatusCode, res.Body)
			}
		}
		if res := c.do("POST", "/api/v1/cases/"+lc.caseID+"/restitution-orders", map[string]any{"ordered_on": "2025-01-01", "jurisdiction": "us-federal",
			"defendant_ids": []string{lc.defendant}, "lines": []map[string]any{{"victim_id": lc.victims["Ann"], "amount_cents": 1}}}); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("a federal order without a rate: %d %s", res.StatusCode, res.Body)
		}
	})
}

func TestRestitutionRequestSuggestsLines(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		lc := newLedgerCase(t, c, "us-co", map[string]string{"Ann": "individual", "Acme Insurance": "insurer"})
		loss := lc.create("/api/v1/victims/"+lc.victims["Ann"]+"/losses", map[string]any{"category": "fraudulent_charges", "claimed_cents": 50_000,
			"verified_cents": 45_000, "reimbursed_cents": 30_000, "reimbursed_by": "  ACME   insurance "})
		lc.create("/api/v1/victims/"+lc.victims["Ann"]+"/losses", map[string]any{"category": "lost_wages", "claimed_cents": 9_999})
		etag := c.do("GET", "/api/v1/losses/"+loss, nil).Header.Get("ETag")
		if res := c.do("PATCH", "/api/v1/losses/"+loss, map[string]any{"status": "verified"}, "If-Match", etag); res.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", res.StatusCode, res.Body)
		}
		res := c.do("GET", "/api/v1/cases/"+lc.caseID+"/restitution-request", nil)
		var r api.RestitutionRequest
		res.JSON(t, &r)
		if len(r.Lines) != 2 || r.Lines[0].VictimId.String() != lc.victims["Ann"] || r.Lines[0].AmountCents != 15_000 ||
			r.Lines[1].AmountCents != 30_000 || r.Lines[1].Basis != api.Reimbursements || r.TotalCents != 45_000 {
			t.Errorf("%s", res.Body)
		}
	})
}

func TestRestitutionLedgerIsAppendOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		lc := newLedgerCase(t, c, "us-co", map[string]string{"Ann": "individual"})
		order := lc.order("2025-01-01", map[string]int64{"Ann": 100_000}, nil)
		lc.pay(order, 1_000, "2025-02-01")
		db, err := s.SQLDB()
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range []string{
			"UPDATE restitution_allocations SET principal_cents = 0",
			"DELETE FROM restitution_allocations",
			"UPDATE restitution_entries SET amount_cents = 1",
			"DELETE FROM restitution_entries",
			"UPDATE restitution_lines SET ordered_cents = 1",
			"DELETE FROM restitution_lines",
			"UPDATE restitution_orders SET court_order_reference = 'x'",
			"DELETE FROM restitution_order_defendants",
		} {
			if _, err := db.ExecContext(context.Background(), stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v", stmt, err)
			}
		}
	})
}

// TestRestitutionConcurrency checks that entries on one order queue: payments posted at once all apply, once
// each; one Idempotency-Key sent by many at once records one payment; disbursements at once never overdraw.
func TestRestitutionConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		lc := newLedgerCase(t, c, "us-co", map[string]string{"Ann": "individual", "Shop": "business"})
		order := lc.order("2025-01-01", map[string]int64{"Ann": 10_000_000, "Shop": 5_000_000}, nil)
		path := "/api/v1/restitution-orders/" + order
		at := func(n int, fn func(i int) response) []response {
			out := make([]response, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { out[i] = fn(i) })
			}
			wg.Wait()
			return out
		}
		for i, res := range at(50, func(i int) response {
			return c.do("POST", path+"/payments", lc.payment(int64(100+i), "2025-02-01"), moneyKey()...)
		}) {
			if res.StatusCode != http.StatusCreated {
				t.Errorf("payment %d: %d %s", i, res.StatusCode, res.Body)
			}
		}
		want := int64(50*100 + 49*50/2)
		if o := lc.state(order, "2025-02-01"); o.Totals.PrincipalPaidCents != want {
			t.Errorf("50 payments paid %d; want %d", o.Totals.PrincipalPaidCents, want)
		}
		ids := map[string]bool{}
		for _, res := range at(50, func(int) response {
			return c.do("POST", path+"/payments", lc.payment(7_777, "2025-02-02"), "Idempotency-Key", "one-key")
		}) {
			var p api.Payment
			res.JSON(t, &p)
			if res.StatusCode != http.StatusCreated {
				t.Errorf("%d %s", res.StatusCode, res.Body)
			}
			ids[p.Id.String()] = true
		}
		if len(ids) != 1 {
			t.Errorf("one key made %d payments", len(ids))
		}
		o := lc.state(order, "2025-02-02")
		if o.Totals.PrincipalPaidCents != want+7_777 {
			t.Errorf("paid %d; want %d", o.Totals.PrincipalPaidCents, want+7_777)
		}
		ann := lc.line(o, "Ann")
		created := 0
		for _, res := range at(100, func(int) response {
			return c.do("POST", path+"/disbursements", map[string]any{"victim_id": lc.victims["Ann"], "amount_cents": ann.UndisbursedCents / 40,
				"paid_on": "2025-02-03", "method": "eft"}, moneyKey()...)
		}) {
			switch res.StatusCode {
			case http.StatusCreated:
				created++
			case http.StatusUnprocessableEntity:
			default:
				t.Errorf("%d %s", res.StatusCode, res.Body)
			}
		}
		after := lc.line(lc.state(order, "2025-02-03"), "Ann")
		if created != 40 || after.DisbursedCents != 40*(ann.UndisbursedCents/40) || after.DisbursedCents > after.PrincipalPaidCents+after.InterestPaidCents {
			t.Errorf("%d disbursements of %d: disbursed %d of %d applied", created, ann.UndisbursedCents/40, after.DisbursedCents, after.PrincipalPaidCents+after.InterestPaidCents)
		}
	})
}

// TestRestitutionBackdatedOutflows checks that money paid out on a day was there on that day: a disbursement
// or refund dated before the payment that brought the money in is refused, even once the money has come.
func TestRestitutionBackdatedOutflows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		lc := newLedgerCase(t, c, "us-co", map[string]string{"Ann": "individual"})
		order := lc.order("2025-01-01", map[string]int64{"Ann": 10_000}, nil)
		path := "/api/v1/restitution-orders/" + order
		lc.pay(order, 10_100, "2025-01-01") // 100 of credit, before any interest
		if res := c.do("POST", path+"/refunds", map[string]any{"amount_cents": 100, "paid_on": "2025-01-05"}, moneyKey()...); res.StatusCode != http.StatusCreated {
			t.Fatalf("%d %s", res.StatusCode, res.Body)
		}
		lc.pay(order, 100, "2025-01-10") // 100 of credit again
		if res := c.do("POST", path+"/refunds", map[string]any{"amount_cents": 100, "paid_on": "2025-01-02"}, moneyKey()...); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("a refund that would overdraw 2025-01-05: %d %s", res.StatusCode, res.Body)
		}
		second := lc.order("2025-01-01", map[string]int64{"Ann": 10_000}, nil)
		lc.pay(second, 5_000, "2025-01-10")
		if res := c.do("POST", "/api/v1/restitution-orders/"+second+"/disbursements", map[string]any{"victim_id": lc.victims["Ann"],
			"amount_cents": 5_000, "paid_on": "2025-01-05", "method": "check"}, moneyKey()...); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("a disbursement dated before the payment: %d %s", res.StatusCode, res.Body)
		}
		if o := lc.state(second, "2025-01-07"); o.Totals.OverDisbursedCents != 0 {
			t.Errorf("over-disbursed %d with no reversal", o.Totals.OverDisbursedCents)
		}
		for _, day := range []string{"2025-01-03", "2025-01-07", "2025-01-12"} {
			if o := lc.state(order, day); o.UnappliedCreditCents < 0 || o.Totals.OverDisbursedCents != 0 {
				t.Errorf("as of %s: credit %d, over-disbursed %d", day, o.UnappliedCreditCents, o.Totals.OverDisbursedCents)
			}
		}
	})
}

// TestRestitutionShowsMinorsAsInitialsToProsecutors checks that the ledger's views name a minor as the
// victim's own page does for a prosecutor (Fed. R. Crim. P. 49.1): by initials.
func TestRestitutionShowsMinorsAsInitialsToProsecutors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		lc := newLedgerCase(t, c, "us-co", map[string]string{"Ann": "individual"})
		child := lc.create("/api/v1/cases/"+lc.caseID+"/victims", map[string]any{"kind": "individual", "name": "Mary Child", "is_minor": true})
		lc.victims["Mary Child"] = child
		loss := lc.create("/api/v1/victims/"+child+"/losses", map[string]any{"category": "other", "claimed_cents": 5_000, "verified_cents": 5_000})
		etag := c.do("GET", "/api/v1/losses/"+loss, nil).Header.Get("ETag")
		if res := c.do("PATCH", "/api/v1/losses/"+loss, map[string]any{"status": "verified"}, "If-Match", etag); res.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", res.StatusCode, res.Body)
		}
		order := lc.order("2025-01-01", map[string]int64{"Ann": 1_000, "Mary Child": 5_000}, nil)
		prosecutor := c.signedIn(models.RoleProsecutor)
		team := []map[string]string{{"user_id": c.user.ID}, {"user_id": prosecutor.user.ID}}
		if res := c.do("PUT", "/api/v1/cases/"+lc.caseID+"/team", map[string]any{"members": team}); res.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", res.StatusCode, res.Body)
		}
		for _, path := range []string{"/api/v1/restitution-orders/" + order, "/api/v1/cases/" + lc.caseID + "/restitution",
			"/api/v1/victims/" + child + "/restitution", "/api/v1/cases/" + lc.caseID + "/restitution-request"} {
			res := prosecutor.do("GET", path, nil)
			if res.StatusCode != http.StatusOK || strings.Contains(string(res.Body), "Mary") || !strings.Contains(string(res.Body), `"M. C."`) {
				t.Errorf("GET %s as a prosecutor: %d %s", path, res.StatusCode, res.Body)
			}
			if res := c.do("GET", path, nil); !strings.Contains(string(res.Body), "Mary Child") {
				t.Errorf("GET %s as an administrator: %s", path, res.Body)
			}
		}
	})
}

// TestRestitutionBigOrderReads checks what keeps big orders cheap to read: lines come a page at a time with
// the whole order's totals, ledger lists leave allocations out unless filtered by victim, one entry reads
// whole, and a victim's view replays that victim's line alone yet agrees with the order, waiver included.
func TestRestitutionBigOrderReads(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		lc := newLedgerCase(t, c, "us-federal", map[string]string{"Ann": "individual", "Bo": "individual", "Cy": "business"})
		order := lc.order("2025-01-01", map[string]int64{"Ann": 100_000, "Bo": 200_000, "Cy": 300_000}, map[string]any{"interest_rate_bps": 500})
		path := "/api/v1/restitution-orders/" + order
		res := c.do("POST", path+"/payments", lc.payment(600_000, "2025-01-10"), moneyKey()...)
		var p api.Payment
		res.JSON(t, &p)
		if res.StatusCode != http.StatusCreated || res.Header.Get("Location") != "/api/v1/ledger-entries/"+p.Id.String() || len(p.Allocations) != 3 {
			t.Fatalf("%d %v %s", res.StatusCode, res.Header, res.Body)
		}

		full := lc.state(order, "2026-01-01")
		if full.LineCount != 3 || len(full.Lines) != 3 || !full.LinesNextCursor.IsNull() || !full.InterestWaived {
			t.Fatalf("the whole order: %+v", full)
		}
		var lines []api.RestitutionLine
		for cursor := ""; ; {
			res := c.do("GET", path+"?as_of=2026-01-01&limit=2"+cursor, nil)
			var o api.RestitutionOrder
			res.JSON(t, &o)
			if o.Totals != full.Totals || o.LineCount != 3 || len(o.Lines) > 2 {
				t.Fatalf("a page: %s", res.Body)
			}
			lines = append(lines, o.Lines...)
			next, err := o.LinesNextCursor.Get()
			if err != nil {
				break
			}
			cursor = "&cursor=" + next
		}
		if len(lines) != 3 || lines[0] != full.Lines[0] || lines[2] != full.Lines[2] {
			t.Errorf("paged lines %+v; want %+v", lines, full.Lines)
		}

		res = c.do("GET", path+"/entries", nil)
		var page api.LedgerEntryList
		res.JSON(t, &page)
		if len(page.Items) != 1 || len(page.Items[0].Allocations) != 0 || page.Items[0].AllocationCount != 3 || page.Items[0].PrincipalCents != 600_000 {
			t.Errorf("the list: %s", res.Body)
		}
		res = c.do("GET", path+"/entries?victim_id="+lc.victims["Bo"], nil)
		res.JSON(t, &page)
		if len(page.Items) != 1 || len(page.Items[0].Allocations) != 1 || page.Items[0].Allocations[0].PrincipalCents != 200_000 {
			t.Errorf("the list for Bo: %s", res.Body)
		}
		res = c.do("GET", "/api/v1/ledger-entries/"+p.Id.String(), nil)
		var entry api.LedgerEntry
		res.JSON(t, &entry)
		if res.StatusCode != http.StatusOK || len(entry.Allocations) != 3 || res.Header.Get("ETag") == "" {
			t.Errorf("one entry: %d %s", res.StatusCode, res.Body)
		}

		for name, id := range lc.victims {
			res := c.do("GET", "/api/v1/victims/"+id+"/restitution?as_of=2026-01-01", nil)
			var v api.VictimRestitution
			res.JSON(t, &v)
			want := lc.line(full, name)
			if len(v.Orders) != 1 || v.Orders[0].Line != want || v.Totals.BalanceCents != 0 || v.Totals.InterestAccruedCents != 0 {
				t.Errorf("%s's view %s; the order's line %+v", name, res.Body, want)
			}
		}
	})
}

// TestRestitutionBounds checks the limits that keep every figure inside 64-bit integers: an order's total
// of at most $100 billion, adjustments included, and days to report as of within the years 1900 to 2200.
func TestRestitutionBounds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		lc := newLedgerCase(t, c, "us-co", map[string]string{"Ann": "individual", "Bo": "individual"})
		res := c.do("POST", "/api/v1/cases/"+lc.caseID+"/restitution-orders", map[string]any{"ordered_on": "2025-01-01",
			"defendant_ids": []string{lc.defendant}, "lines": []map[string]any{{"victim_id": lc.victims["Ann"], "amount_cents": 10_000_000_000_000},
				{"victim_id": lc.victims["Bo"], "amount_cents": 1}}})
		if p := res.Problem(t); res.StatusCode != http.StatusUnprocessableEntity || p.Errors["lines"] == "" {
			t.Errorf("an order over $100 billion: %d %s", res.StatusCode, res.Body)
		}
		order := lc.order("2025-01-01", map[string]int64{"Ann": 9_999_999_999_999, "Bo": 1}, nil)
		res = c.do("POST", "/api/v1/restitution-orders/"+order+"/adjustments", map[string]any{"victim_id": lc.victims["Bo"], "delta_cents": 1,
			"effective_on": "2025-02-01", "reason": "Amended"}, moneyKey()...)
		if p := res.Problem(t); res.StatusCode != http.StatusUnprocessableEntity || p.Errors["delta_cents"] == "" {
			t.Errorf("an adjustment past $100 billion: %d %s", res.StatusCode, res.Body)
		}
		for _, path := range []string{"/api/v1/restitution-orders/" + order, "/api/v1/cases/" + lc.caseID + "/restitution",
			"/api/v1/victims/" + lc.victims["Ann"] + "/restitution"} {
			if res := c.do("GET", path+"?as_of=9999-12-31", nil); res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("GET %s as of 9999-12-31: %d %s", path, res.StatusCode, res.Body)
			}
		}
		// The largest figures the bounds allow: $100 billion at 100% a year for three centuries.
		if res := c.do("PUT", "/api/v1/jurisdictions/xx-max", map[string]any{"name": "Maximum", "interest": map[string]any{"mode": "fixed",
			"annual_rate_bps": 10_000, "threshold_cents": 0, "waived_if_principal_paid_within_days": 0},
			"priority_classes": [][]string{{"individual", "business", "insurer", "compensation_fund", "government"}}}); res.StatusCode != http.StatusCreated {
			t.Fatalf("%d %s", res.StatusCode, res.Body)
		}
		big := lc.order("1900-01-01", map[string]int64{"Ann": 5_000_000_000_000, "Bo": 5_000_000_000_000}, map[string]any{"jurisdiction": "xx-max"})
		o := lc.state(big, "2200-12-31")
		// 109,937 days from 1900-01-01 to 2200-12-31: 5 × 10^12 × 109,937 / 365, rounded half-up.
		if want := int64(1_505_986_301_369_863); lc.line(o, "Ann").InterestAccruedCents != want || o.Totals.InterestAccruedCents != 2*want {
			t.Errorf("interest %d and %d; want %d each", lc.line(o, "Ann").InterestAccruedCents, o.Totals.InterestAccruedCents, want)
		}
	})
}

// TestRestitutionOrderLinesAreTheCaseVictims checks an order's lines against the case's victims: a victim
// given twice, one of another case and an unknown ID are each refused at their line, and an order's lines
// come back in the order of their victims' IDs, whatever order they were sent in.
func TestRestitutionOrderLinesAreTheCaseVictims(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		lc := newLedgerCase(t, c, "us-co", map[string]string{"Ann": "individual", "Bo": "business", "Cy": "government"})
		other := newLedgerCase(t, c, "us-co", map[string]string{"Di": "individual"})
		path := "/api/v1/cases/" + lc.caseID + "/restitution-orders"
		line := func(id string) map[string]any { return map[string]any{"victim_id": id, "amount_cents": 100} }
		res := c.do("POST", path, map[string]any{"ordered_on": "2025-01-01", "defendant_ids": []string{lc.defendant},
			"lines": []map[string]any{line(lc.victims["Bo"]), line(lc.victims["Ann"]), line(lc.victims["Bo"]), line(other.victims["Di"]),
				line(uuid.NewString()), line(lc.victims["Cy"])}})
		p := res.Problem(t)
		want := map[string]string{"lines.2.victim_id": "repeats the victim of another line; give each victim one line",
			"lines.3.victim_id": "is not a victim of this case", "lines.4.victim_id": "is not a victim of this case"}
		if res.StatusCode != http.StatusUnprocessableEntity || !maps.Equal(p.Errors, want) {
			t.Errorf("%d %v; want 422 %v", res.StatusCode, p.Errors, want)
		}
		order := lc.order("2025-01-01", map[string]int64{"Cy": 3, "Ann": 1, "Bo": 2}, nil)
		o := lc.state(order, "2025-01-01")
		ids := []string{lc.victims["Ann"], lc.victims["Bo"], lc.victims["Cy"]}
		slices.Sort(ids)
		for i, l := range o.Lines {
			if l.VictimId.String() != ids[i] {
				t.Fatalf("line %d is %s; want the lines in the order of their IDs, %v", i, l.VictimId, ids)
			}
		}
		if kinds := []api.VictimKind{lc.line(o, "Ann").VictimKind, lc.line(o, "Bo").VictimKind, lc.line(o, "Cy").VictimKind}; !slices.Equal(kinds,
			[]api.VictimKind{api.VictimIndividual, api.VictimBusiness, api.VictimGovernment}) {
			t.Errorf("kinds %v", kinds)
		}
	})
}
