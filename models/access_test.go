package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

// TestAccessOfDecidesEveryKindOfCaller walks the access policy's decision for every kind of caller: the
// system, each staff role, a victim, and everything the policy does not know, which gets nothing.
func TestAccessOfDecidesEveryKindOfCaller(t *testing.T) {
	id := uuid.NewString()
	for _, tc := range []struct {
		name  string
		actor models.Actor
		want  models.Access
	}{
		{"system", models.Actor{Type: models.ActorSystem, ID: "cli"},
			models.Access{Reach: models.ReachAllCases, VictimView: models.ViewFull, Statements: models.StatementsWrite, ChangesTeams: true}},
		{"admin", models.Actor{Type: models.ActorUser, ID: id, Role: models.RoleAdmin},
			models.Access{Reach: models.ReachAllCases, UserID: id, VictimView: models.ViewFull, Statements: models.StatementsWrite, ChangesTeams: true}},
		{"supervisor", models.Actor{Type: models.ActorUser, ID: id, Role: models.RoleSupervisor},
			models.Access{Reach: models.ReachAllCases, UserID: id, VictimView: models.ViewFull, Statements: models.StatementsWrite, ChangesTeams: true}},
		{"advocate", models.Actor{Type: models.ActorUser, ID: id, Role: models.RoleAdvocate},
			models.Access{Reach: models.ReachTeams, UserID: id, VictimView: models.ViewFull, Statements: models.StatementsWrite, ChangesTeams: true}},
		{"prosecutor", models.Actor{Type: models.ActorUser, ID: id, Role: models.RoleProsecutor},
			models.Access{Reach: models.ReachTeams, UserID: id, VictimView: models.ViewRule49, Statements: models.StatementsRead}},
		{"clerk", models.Actor{Type: models.ActorUser, ID: id, Role: models.RoleClerk},
			models.Access{Reach: models.ReachAllCases, UserID: id, VictimView: models.ViewClerk}},
		{"victim", models.Actor{Type: models.ActorVictim, ID: id}, models.Access{Reach: models.ReachOwnVictim, VictimID: id}},
		{"a victim without a victim ID", models.Actor{Type: models.ActorVictim, ID: "me"}, models.Access{}},
		{"an unknown role", models.Actor{Type: models.ActorUser, ID: id, Role: "auditor"}, models.Access{}},
		{"no role", models.Actor{Type: models.ActorUser, ID: id}, models.Access{}},
		{"a staff member without an account ID", models.Actor{Type: models.ActorUser, ID: "", Role: models.RoleAdmin}, models.Access{}},
		{"an unknown kind of caller", models.Actor{Type: "robot", ID: id, Role: models.RoleAdmin}, models.Access{}},
		{"anonymous", models.Actor{Type: models.ActorAnonymous}, models.Access{}},
		{"no actor", models.Actor{}, models.Access{}},
	} {
		if got := models.AccessOf(tc.actor); got != tc.want {
			t.Errorf("%s: AccessOf = %+v; want %+v", tc.name, got, tc.want)
		}
	}
}

// TestContractRoleFollowsThePolicy: the request gate matches callers against the contract's x-roles by the
// role the policy grants, so a caller it grants nothing matches no operation.
func TestContractRoleFollowsThePolicy(t *testing.T) {
	id := uuid.NewString()
	for actor, want := range map[models.Actor]string{
		{Type: models.ActorUser, ID: id, Role: models.RoleClerk}:      "clerk",
		{Type: models.ActorUser, ID: id, Role: models.RoleProsecutor}: "prosecutor",
		{Type: models.ActorVictim, ID: id}:                            "victim",
		{Type: models.ActorUser, ID: id, Role: "auditor"}:             "",
		{Type: models.ActorUser, ID: "", Role: models.RoleAdmin}:      "",
		{Type: models.ActorVictim, ID: "me"}:                          "",
		{Type: models.ActorSystem, ID: "cli"}:                         "",
		{Type: "robot", ID: id, Role: models.RoleAdmin}:               "",
		{}: "",
	} {
		if got := models.ContractRole(actor); got != want {
			t.Errorf("ContractRole(%+v) = %q; want %q", actor, got, want)
		}
	}
}

// TestCallersThePolicyDoesNotKnowReachNothing fills a case with one of everything, then calls every staff
// read of the store as callers who must reach nothing on the staff side — a victim of that very case (whose
// own record is the portal's to show), a staff account in a role the service does not know, a caller of an
// unknown kind, an anonymous request and work that names no caller at all — and checks that each answer is
// not found, forbidden or empty. Before the policy, anyone who was not an advocate or prosecutor saw it all.
func TestCallersThePolicyDoesNotKnowReachNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		sys := dbtest.System()
		c := mustCreate(t, s, mesaCase("22CR371"))
		victim, err := s.CreateVictim(sys, c.ID, janeRoe())
		if err != nil {
			t.Fatal(err)
		}
		defendant, err := s.CreateDefendant(sys, c.ID, models.NewDefendant{Name: "Tina Peters"})
		if err != nil {
			t.Fatal(err)
		}
		hearing, err := s.CreateHearing(sys, c.ID, models.NewHearing{Kind: models.HearingKind("sentencing"),
			StartsAt: time.Date(2025, 4, 1, 15, 0, 0, 0, time.UTC), Notes: "Bring the binder."})
		if err != nil {
			t.Fatal(err)
		}
		statement, err := s.CreateStatement(sys, victim.ID, statementText())
		if err != nil {
			t.Fatal(err)
		}
		verified := int64(40_000)
		loss, err := s.CreateLoss(sys, victim.ID, models.NewLoss{Category: models.LossCategory("credit_monitoring"),
			ClaimedCents: 40_000, VerifiedCents: &verified})
		if err != nil {
			t.Fatal(err)
		}
		ordered := date(t, "2025-01-10")
		order, err := s.CreateRestitutionOrder(sys, c.ID, models.NewRestitutionOrder{OrderedOn: ordered,
			DefendantIDs: []string{defendant.ID}, Lines: []models.NewOrderLine{{VictimID: victim.ID, AmountCents: 40_000}}})
		if err != nil {
			t.Fatal(err)
		}
		payment, _, err := s.RecordPayment(sys, order.ID, "", models.NewPayment{AmountCents: 10_000,
			ReceivedOn: date(t, "2025-02-01"), PayerDefendantID: defendant.ID, Method: "check"})
		if err != nil {
			t.Fatal(err)
		}
		asOf := date(t, "2025-03-01")

		callers := map[string]context.Context{
			"a victim of the case": models.WithActor(sys, models.Actor{Type: models.ActorVictim, ID: victim.ID}),
			"an unknown role":      models.WithActor(sys, models.Actor{Type: models.ActorUser, ID: uuid.NewString(), Role: "auditor"}),
			"an unknown kind":      models.WithActor(sys, models.Actor{Type: "robot", ID: uuid.NewString(), Role: models.RoleAdmin}),
			"anonymous":            models.WithActor(sys, models.Actor{Type: models.ActorAnonymous}),
			"no caller":            context.Background(),
		}
		for name, ctx := range callers {
			denied := func(what string, err error) {
				t.Helper()
				if !errors.Is(err, models.ErrNotFound) && !errors.Is(err, models.ErrForbidden) {
					t.Errorf("%s: %s answered %v; want not found or forbidden", name, what, err)
				}
			}
			if page, err := s.ListCases(ctx, models.CaseFilter{}); err != nil || len(page.Items) != 0 {
				t.Errorf("%s: ListCases = %d cases, %v; want none", name, len(page.Items), err)
			}
			_, err := s.CaseByID(ctx, c.ID)
			denied("CaseByID", err)
			_, err = s.CaseTeam(ctx, c.ID)
			denied("CaseTeam", err)
			_, err = s.CreateCase(ctx, mesaCase("22CR999"))
			denied("CreateCase", err)
			_, err = s.UpdateCase(ctx, c.ID, c.Version, models.CaseUpdate{Notes: models.Some("changed")})
			denied("UpdateCase", err)
			_, err = s.ListVictims(ctx, c.ID, models.VictimFilter{})
			denied("ListVictims", err)
			_, err = s.VictimByID(ctx, victim.ID, false)
			denied("VictimByID", err)
			_, err = s.VictimByID(ctx, victim.ID, true)
			denied("VictimByID revealing the SSN", err)
			_, err = s.CreateVictim(ctx, c.ID, models.NewVictim{Kind: models.VictimKind("individual"), Name: "New Victim"})
			denied("CreateVictim", err)
			_, err = s.DefendantByID(ctx, defendant.ID)
			denied("DefendantByID", err)
			_, err = s.ListDefendants(ctx, c.ID, 0, "")
			denied("ListDefendants", err)
			_, err = s.HearingByID(ctx, hearing.ID)
			denied("HearingByID", err)
			_, err = s.ListHearings(ctx, c.ID, 0, "")
			denied("ListHearings", err)
			_, err = s.StatementByID(ctx, statement.ID)
			denied("StatementByID", err)
			_, err = s.ListStatements(ctx, victim.ID, 0, "")
			denied("ListStatements", err)
			_, err = s.LossByID(ctx, loss.ID)
			denied("LossByID", err)
			_, err = s.ListLosses(ctx, victim.ID, models.LossFilter{})
			denied("ListLosses", err)
			_, err = s.LossSummaryOf(ctx, c.ID)
			denied("LossSummaryOf", err)
			_, err = s.ListVictimImports(ctx, c.ID, 0, "")
			denied("ListVictimImports", err)
			_, err = s.RestitutionRequestOf(ctx, c.ID)
			denied("RestitutionRequestOf", err)
			_, err = s.RestitutionOrderByID(ctx, order.ID, asOf, models.LinePage{})
			denied("RestitutionOrderByID", err)
			_, err = s.ListRestitutionOrders(ctx, c.ID, asOf, 0, "")
			denied("ListRestitutionOrders", err)
			_, err = s.LedgerEntryByID(ctx, payment.ID)
			denied("LedgerEntryByID", err)
			_, err = s.ListLedgerEntries(ctx, order.ID, models.EntryFilter{})
			denied("ListLedgerEntries", err)
			_, err = s.CaseRestitutionOf(ctx, c.ID, asOf, 0, "")
			denied("CaseRestitutionOf", err)
			_, err = s.VictimRestitutionOf(ctx, victim.ID, asOf)
			denied("VictimRestitutionOf", err)
			_, _, err = s.RecordPayment(ctx, order.ID, "payment-denied", models.NewPayment{AmountCents: 1, ReceivedOn: asOf,
				PayerDefendantID: defendant.ID, Method: "check"})
			denied("RecordPayment", err)
		}
	})
}
