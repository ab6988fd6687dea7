package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

// TestPasswordHashingWaitsForASlot checks that every password hash the store makes (a new account's, an
// administrator's reset, a password set with a reset code) runs within the bound on concurrent hashes, so
// that a flood of them cannot take every core: with every slot taken, each waits, and gives up when its
// request's deadline passes.
func TestPasswordHashingWaitsForASlot(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		sys := dbtest.System()
		dana := mustCreateUser(t, s, "dana@mesa.gov", models.RoleAdvocate)
		code, _, err := s.ResetPassword(sys, dana.ID)
		if err != nil {
			t.Fatal(err)
		}
		fay := mustCreateUser(t, s, "fay@mesa.gov", models.RoleClerk)
		hashes := map[string]func(ctx context.Context) error{
			"CreateUser": func(ctx context.Context) error {
				_, err := s.CreateUser(ctx, models.NewUser{Email: "eli@mesa.gov", DisplayName: "Eli", Role: models.RoleClerk,
					Password: goodPassword})
				return err
			},
			"ResetPassword": func(ctx context.Context) error {
				_, _, err := s.ResetPassword(ctx, fay.ID)
				return err
			},
			"SetPasswordWithCode": func(ctx context.Context) error {
				return s.SetPasswordWithCode(ctx, "dana@mesa.gov", code, "a brand new passphrase")
			},
		}
		release := s.HoldHashSlotsForTest()
		for name, hash := range hashes {
			ctx, cancel := context.WithTimeout(sys, 200*time.Millisecond)
			err := hash(ctx)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s with every hashing slot taken: %v; want it to wait until the deadline", name, err)
			}
		}
		release()
		if err := s.SetPasswordWithCode(sys, "dana@mesa.gov", code, "a brand new passphrase"); err != nil {
			t.Errorf("the code once a slot is free: %v", err)
		}
	})
}

// TestResetPasswordRefusesOnesOwn checks that an administrator cannot reset their own password, which would
// sign them out with nothing but a code (their own is changed with the current one), whichever way the
// store is called; the command line, acting as the system, may reset anyone's.
func TestResetPasswordRefusesOnesOwn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ada := mustCreateUser(t, s, "ada@mesa.gov", models.RoleAdmin)
		asAda := models.WithActor(dbtest.System(), models.Actor{Type: models.ActorUser, ID: ada.ID, Role: models.RoleAdmin})
		_, _, err := s.ResetPassword(asAda, ada.ID)
		var conflict *models.ConflictError
		if !errors.As(err, &conflict) || conflict.Detail == "" {
			t.Fatalf("an administrator resetting their own password: %v; want a conflict", err)
		}
		if _, _, _, err := s.SignIn(dbtest.System(), "ada@mesa.gov", goodPassword, models.SecondFactor{}); err != nil {
			t.Errorf("the refused reset changed the password: %v", err)
		}
		dana := mustCreateUser(t, s, "dana@mesa.gov", models.RoleAdvocate)
		if _, _, err := s.ResetPassword(asAda, dana.ID); err != nil {
			t.Errorf("resetting someone else's password: %v", err)
		}
		if _, _, err := s.ResetPassword(dbtest.System(), ada.ID); err != nil {
			t.Errorf("the system resetting an administrator's password: %v", err)
		}
	})
}
