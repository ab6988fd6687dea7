package models_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/totp"
)

// enrol turns two-factor sign-in on for u at the clock's time and answers the secret and recovery codes.
func enrol(t *testing.T, s *models.Store, clk *clock, u models.User) (string, []string) {
	t.Helper()
	secret, err := s.StartMFAEnrollment(dbtest.System(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.Code(secret, totp.Step(clk.Now()))
	codes, _, err := s.ConfirmMFAEnrollment(dbtest.System(), u.ID, "", code)
	if err != nil {
		t.Fatal(err)
	}
	return secret, codes
}

// TestTOTPSecretsAreSealed reads the secret as stored: it is not there in plain text, and moved to another
// account's row it does not open.
func TestTOTPSecretsAreSealed(t *testing.T) {
	clk := &clock{}
	clk.Set(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	dbtest.EachWith(t, clk.use, func(t *testing.T, s *models.Store) {
		dana := mustCreateUser(t, s, "dana@mesa.gov", models.RoleAdvocate)
		eve := mustCreateUser(t, s, "eve@mesa.gov", models.RoleAdvocate)
		secret, _ := enrol(t, s, clk, dana)
		enrol(t, s, clk, eve)
		db := rawDB(t, s)
		var stored string
		if err := db.QueryRow(rebindQ(s, "SELECT mfa_secret FROM users WHERE id = ?"), dana.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored == "" || strings.Contains(stored, secret) || strings.Contains(stored, strings.ToLower(secret)) {
			t.Fatalf("the TOTP secret is stored as %q", stored)
		}
		if _, err := db.Exec(rebindQ(s, "UPDATE users SET mfa_secret = ? WHERE id = ?"), stored, eve.ID); err != nil {
			t.Fatal(err)
		}
		clk.Add(totp.Period)
		code, _ := totp.Code(secret, totp.Step(clk.Now()))
		if _, _, _, err := s.SignIn(dbtest.System(), "eve@mesa.gov", goodPassword, models.SecondFactor{TOTPCode: code}); err == nil {
			t.Fatal("dana's secret, copied into eve's row, signed eve in")
		}
	})
}

// TestACodeWorksOnce races sign-ins that offer one code: exactly one gets in, however they interleave.
func TestACodeWorksOnce(t *testing.T) {
	clk := &clock{}
	clk.Set(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	dbtest.EachWith(t, clk.use, func(t *testing.T, s *models.Store) {
		for round, useRecovery := range []bool{false, true} {
			email := fmt.Sprintf("dana%d@mesa.gov", round)
			secret, recovery := enrol(t, s, clk, mustCreateUser(t, s, email, models.RoleAdvocate))
			clk.Add(totp.Period)
			code, _ := totp.Code(secret, totp.Step(clk.Now()))
			second := models.SecondFactor{TOTPCode: code}
			if useRecovery {
				second = models.SecondFactor{RecoveryCode: recovery[0]}
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			results := map[string]int{}
			for range 4 {
				wg.Go(func() {
					_, _, _, err := s.SignIn(dbtest.System(), email, goodPassword, second)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						results["in"]++
					case errors.Is(err, models.ErrMFARefused):
						results["refused"]++
					default:
						t.Errorf("sign-in: %v", err)
					}
				})
			}
			wg.Wait()
			if results["in"] != 1 || results["refused"] != 3 {
				t.Fatalf("four sign-ins with one code %+v: %v", second, results)
			}
		}
	})
}
