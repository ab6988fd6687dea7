package models_test

import (
	"context"
	"errors"
	"slices"
	"strings"
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

// TestResetCodesAreCountedApart checks that wrong tries at a reset code are counted on the code, apart from the
// account's sign-ins: wrong passwords, which anyone who knows the email can send, do not stop the owner's
// code, and wrong codes void it after MaxResetCodeTries without locking the account's sign-in.
func TestResetCodesAreCountedApart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		sys := dbtest.System()
		const next = "a brand new passphrase"
		dana := mustCreateUser(t, s, "dana@mesa.gov", models.RoleAdvocate)
		code, _, err := s.ResetPassword(sys, dana.ID)
		if err != nil {
			t.Fatal(err)
		}
		for range models.MaxAccountFailures {
			if _, _, _, err := s.SignIn(sys, "dana@mesa.gov", "someone guessing", models.SecondFactor{}); !errors.Is(err, models.ErrBadCredentials) {
				t.Fatalf("a wrong password: %v", err)
			}
		}
		if err := s.SetPasswordWithCode(sys, "dana@mesa.gov", code, next); err != nil {
			t.Fatalf("the right code after %d wrong passwords: %v", models.MaxAccountFailures, err)
		}
		if _, _, _, err := s.SignIn(sys, "dana@mesa.gov", next, models.SecondFactor{}); err != nil {
			t.Errorf("signing in with the password the code set: %v", err)
		}

		const wrong = "AAAAA-BBBBB-CCCCC-DDDDD"
		code, _, _ = s.ResetPassword(sys, dana.ID)
		for range models.MaxResetCodeTries - 1 {
			if err := s.SetPasswordWithCode(sys, "dana@mesa.gov", wrong, next); !errors.Is(err, models.ErrBadResetCode) {
				t.Fatalf("a wrong code: %v", err)
			}
		}
		if err := s.SetPasswordWithCode(sys, "dana@mesa.gov", code, next); err != nil {
			t.Fatalf("the right code after %d wrong ones: %v", models.MaxResetCodeTries-1, err)
		}
		code, _, _ = s.ResetPassword(sys, dana.ID)
		for range models.MaxResetCodeTries {
			if err := s.SetPasswordWithCode(sys, "dana@mesa.gov", wrong, next); !errors.Is(err, models.ErrBadResetCode) {
				t.Fatalf("a wrong code: %v", err)
			}
		}
		if err := s.SetPasswordWithCode(sys, "dana@mesa.gov", code, next); !errors.Is(err, models.ErrBadResetCode) {
			t.Fatalf("the right code after %d wrong ones: %v; want it void", models.MaxResetCodeTries, err)
		}
		if u, _ := s.UserByID(sys, dana.ID); u.LockedAt != nil {
			t.Error("wrong reset codes locked the account's sign-in")
		}
		db, err := s.SQLDB()
		if err != nil {
			t.Fatal(err)
		}
		var left int
		if err := db.QueryRow("SELECT count(*) FROM password_resets").Scan(&left); err != nil || left != 0 {
			t.Errorf("%d reset codes stored after the last was voided (%v)", left, err)
		}

		// The address throttle still holds whoever sends codes from one place.
		from := models.WithRequest(sys, models.RequestInfo{ClientIP: "203.0.113.9", Actor: models.ActorOf(sys)})
		var throttled *models.ThrottledError
		for i := range models.MaxAddressFailures + 1 {
			err := s.SetPasswordWithCode(from, "nobody@mesa.gov", wrong, next)
			if i < models.MaxAddressFailures && !errors.Is(err, models.ErrBadResetCode) {
				t.Fatalf("try %d: %v", i+1, err)
			}
			if i == models.MaxAddressFailures && !errors.As(err, &throttled) {
				t.Fatalf("try %d from one address: %v; want it throttled", i+1, err)
			}
		}
	})
}

// TestResetCodeRefusalsLookAlike checks that a code offered for an unknown email runs the same statements as
// a wrong code for an account with a code pending, or without one, so that the time an answer takes does not
// tell which emails have accounts.
func TestResetCodeRefusalsLookAlike(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		sys := dbtest.System()
		dana := mustCreateUser(t, s, "dana@mesa.gov", models.RoleAdvocate)
		mustCreateUser(t, s, "eli@mesa.gov", models.RoleClerk)
		if _, _, err := s.ResetPassword(sys, dana.ID); err != nil {
			t.Fatal(err)
		}
		try := func(email string) []string {
			t.Helper()
			stop := s.RecordStatementsForTest()
			err := s.SetPasswordWithCode(sys, email, "AAAAA-BBBBB-CCCCC-DDDDD", "a brand new passphrase")
			ran := stop()
			if !errors.Is(err, models.ErrBadResetCode) {
				t.Fatalf("a wrong code for %s: %v", email, err)
			}
			return ran
		}
		try("nobody@mesa.gov") // the first of all may set things up that later ones find ready
		unknown := try("nobody@mesa.gov")
		for _, email := range []string{"dana@mesa.gov", "eli@mesa.gov"} {
			if ran := try(email); !slices.Equal(ran, unknown) {
				t.Errorf("a wrong code for %s ran\n  %s\nand for an unknown email\n  %s", email,
					strings.Join(ran, "\n  "), strings.Join(unknown, "\n  "))
			}
		}
	})
}
