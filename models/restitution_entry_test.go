package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

// TestEveryEntryAPersonPostsNeedsAKey checks the ledger's own rule, whatever door a request comes through: a
// person's payment, refund, adjustment, disbursement and reversal each need an idempotency key, and a
// reversal repeated with its key reverses once.
func TestEveryEntryAPersonPostsNeedsAKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		clerk := mustCreateUser(t, s, "clerk@mesa.gov", models.RoleClerk)
		ctx := models.WithActor(context.Background(), models.Actor{Type: models.ActorUser, ID: clerk.ID, Role: models.RoleClerk})
		caseID, defendantID := caseWithDefendant(t, ctx, s, "25CR7")
		v, err := s.CreateVictim(ctx, caseID, models.NewVictim{Kind: models.VictimIndividual, Name: "Ann"})
		if err != nil {
			t.Fatal(err)
		}
		on := date(t, "2025-02-01")
		o, err := s.CreateRestitutionOrder(ctx, caseID, models.NewRestitutionOrder{OrderedOn: date(t, "2025-01-01"), DefendantIDs: []string{defendantID},
			Lines: []models.NewOrderLine{{VictimID: v.ID, AmountCents: 10_000}}})
		if err != nil {
			t.Fatal(err)
		}
		payment := models.NewPayment{AmountCents: 20_000, ReceivedOn: on, PayerDefendantID: defendantID, Method: "check"}
		p, _, err := s.RecordPayment(ctx, o.ID, "pay-1", payment)
		if err != nil {
			t.Fatal(err)
		}
		for what, post := range map[string]func(key string) error{
			"payment": func(key string) error { _, _, err := s.RecordPayment(ctx, o.ID, key, payment); return err },
			"refund": func(key string) error {
				_, _, err := s.RecordRefund(ctx, o.ID, key, models.NewRefund{AmountCents: 100, PaidOn: on})
				return err
			},
			"adjustment": func(key string) error {
				_, _, err := s.RecordAdjustment(ctx, o.ID, key, models.NewAdjustment{VictimID: v.ID, DeltaCents: 100, EffectiveOn: on, Reason: "Amended"})
				return err
			},
			"disbursement": func(key string) error {
				_, _, err := s.RecordDisbursement(ctx, o.ID, key, models.NewDisbursement{VictimID: v.ID, AmountCents: 100, PaidOn: on, Method: "check"})
				return err
			},
			"reversal": func(key string) error {
				_, err := s.ReversePayment(ctx, p.ID, key, "Check returned unpaid")
				return err
			},
		} {
			if err := post(""); !errors.Is(err, models.ErrIdempotencyKeyRequired) {
				t.Errorf("a %s without a key: %v", what, err)
			}
		}
		first, err := s.ReversePayment(ctx, p.ID, "reverse-1", "Check returned unpaid")
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.ReversePayment(ctx, p.ID, "reverse-1", "Check returned unpaid")
		if err != nil || again.ReversedBy != first.ReversedBy || first.ReversedBy == "" {
			t.Fatalf("reversed by %q, then %q (%v)", first.ReversedBy, again.ReversedBy, err)
		}
		var reused models.IdempotencyKeyReusedError
		if _, err := s.ReversePayment(ctx, p.ID, "reverse-1", "Another reason"); !errors.As(err, &reused) {
			t.Errorf("the key with another reason: %v", err)
		}
		entries, err := s.LedgerEntries(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 || entries[1].Kind != models.EntryKind("reversal") {
			t.Errorf("the ledger holds %d entries; want the payment and one reversal", len(entries))
		}
	})
}
