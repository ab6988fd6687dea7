package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

const goodPassword = "correct horse battery staple"

func mustCreateUser(t *testing.T, s *models.Store, email string, role models.Role) models.User {
	t.Helper()
	u, err := s.CreateUser(dbtest.System(), models.NewUser{Email: email, DisplayName: "Dana Advocate", Role: role, Password: goodPassword})
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

func TestCreateUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		u := mustCreateUser(t, s, "Dana@Mesa.gov", models.RoleAdvocate)
		if u.PasswordHash == "" || u.PasswordHash == goodPassword || !u.Active {
			t.Fatalf("created %+v", u)
		}
		var conflict *models.ConflictError
		if _, err := s.CreateUser(dbtest.System(), models.NewUser{Email: "dana@mesa.gov", DisplayName: "D", Role: models.RoleClerk, Password: goodPassword}); !errors.As(err, &conflict) {
			t.Fatalf("same email in other letter case: %v; want a conflict", err)
		}
		_, err := s.CreateUser(dbtest.System(), models.NewUser{Email: "Dana <dana@x.gov>", DisplayName: " ", Role: "judge", Password: "password1234"})
		var invalid *models.ValidationError
		if !errors.As(err, &invalid) {
			t.Fatalf("invalid user: %v", err)
		}
		for _, f := range []string{"email", "display_name", "role", "password"} {
			if invalid.Fields[f] == "" {
				t.Errorf("no error for %s: %v", f, invalid.Fields)
			}
		}
	})
}

// clock is a test clock the store reads through Config.Now.
type clock struct{ now atomic.Pointer[time.Time] }

func (c *clock) Now() time.Time         { return *c.now.Load() }
func (c *clock) Set(t time.Time)        { c.now.Store(&t) }
func (c *clock) Add(d time.Duration)    { c.Set(c.Now().Add(d)) }
func (c *clock) use(cfg *models.Config) { cfg.Now = c.Now }

func TestSignInAndSessions(t *testing.T) {
	clk := &clock{}
	clk.Set(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	dbtest.EachWith(t, clk.use, func(t *testing.T, s *models.Store) {
		ctx := dbtest.System()
		u := mustCreateUser(t, s, "dana@mesa.gov", models.RoleAdvocate)

		for name, try := range map[string][2]string{
			"unknown email":  {"nobody@mesa.gov", goodPassword},
			"wrong password": {"dana@mesa.gov", goodPassword + "!"},
		} {
			if _, _, _, err := s.SignIn(ctx, try[0], try[1], models.SecondFactor{}); !errors.Is(err, models.ErrBadCredentials) {
				t.Errorf("%s: %v; want ErrBadCredentials", name, err)
			}
		}
		got, _, token, err := s.SignIn(ctx, "DANA@mesa.gov", goodPassword, models.SecondFactor{})
		if err != nil || got.ID != u.ID || len(token) < 40 {
			t.Fatalf("SignIn: %+v %q %v", got, token, err)
		}
		if _, _, err := s.SessionUser(ctx, token); err != nil {
			t.Fatalf("fresh session: %v", err)
		}

		// Idle: 29 minutes between requests keeps it alive; 31 ends it.
		clk.Add(29 * time.Minute)
		if _, _, err := s.SessionUser(ctx, token); err != nil {
			t.Fatalf("after 29 idle minutes: %v", err)
		}
		clk.Add(31 * time.Minute)
		if _, _, err := s.SessionUser(ctx, token); !errors.Is(err, models.ErrNoSession) {
			t.Fatalf("after 31 idle minutes: %v; want ErrNoSession", err)
		}

		// Absolute: however busy, a session ends 12 hours after sign-in.
		_, _, token, _ = s.SignIn(ctx, "dana@mesa.gov", goodPassword, models.SecondFactor{})
		for range 12 * 3 {
			clk.Add(20 * time.Minute)
			if _, _, err := s.SessionUser(ctx, token); err != nil {
				t.Fatalf("busy session ended early at %s: %v", clk.Now(), err)
			}
		}
		clk.Add(time.Minute)
		if _, _, err := s.SessionUser(ctx, token); !errors.Is(err, models.ErrNoSession) {
			t.Fatalf("12 hours after sign-in: %v; want ErrNoSession", err)
		}

		// Disabling the account ends its sessions, and it can no longer sign in.
		_, _, token, _ = s.SignIn(ctx, "dana@mesa.gov", goodPassword, models.SecondFactor{})
		if u, err = s.UpdateUser(ctx, u.ID, u.Version, models.UserUpdate{Active: models.Some(false)}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionUser(ctx, token); !errors.Is(err, models.ErrNoSession) {
			t.Fatalf("after disabling: %v; want ErrNoSession", err)
		}
		if _, _, _, err := s.SignIn(ctx, "dana@mesa.gov", goodPassword, models.SecondFactor{}); !errors.Is(err, models.ErrBadCredentials) {
			t.Fatalf("disabled account signs in: %v", err)
		}

		// A role change ends sessions opened under the old role.
		if u, err = s.UpdateUser(ctx, u.ID, u.Version, models.UserUpdate{Active: models.Some(true)}); err != nil {
			t.Fatal(err)
		}
		_, _, token, _ = s.SignIn(ctx, "dana@mesa.gov", goodPassword, models.SecondFactor{})
		if _, err := rawDB(t, s).Exec("UPDATE users SET role = 'clerk'"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionUser(ctx, token); !errors.Is(err, models.ErrNoSession) {
			t.Fatalf("after a role change: %v; want ErrNoSession", err)
		}

		// Signing out ends the session.
		if _, err := rawDB(t, s).Exec("UPDATE users SET role = 'advocate'"); err != nil {
			t.Fatal(err)
		}
		_, _, token, _ = s.SignIn(ctx, "dana@mesa.gov", goodPassword, models.SecondFactor{})
		if err := s.SignOut(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionUser(ctx, token); !errors.Is(err, models.ErrNoSession) {
			t.Fatalf("after sign-out: %v; want ErrNoSession", err)
		}

		// Sign-ins are audited, failures too, and the chain holds.
		page, _ := s.ListAuditEvents(ctx, models.AuditFilter{Limit: 500})
		events := page.Items
		var ok, failed int
		for _, e := range events {
			if e.Action == "auth.sign_in" && e.Outcome == models.OutcomeSuccess {
				ok++
			}
			if e.Action == "auth.sign_in" && e.Outcome == models.OutcomeFailure {
				failed++
			}
		}
		if ok != 5 || failed != 3 {
			t.Errorf("audited %d successful and %d failed sign-ins; want 5 and 3", ok, failed)
		}
		if _, err := s.VerifyAudit(ctx, nil); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLockoutAfterFiveFailures(t *testing.T) {
	for _, minutes := range []int{30, 0} {
		t.Run(fmt.Sprintf("lockout %d minutes", minutes), func(t *testing.T) {
			clk := &clock{}
			clk.Set(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
			configure := func(cfg *models.Config) { clk.use(cfg); cfg.LockoutMinutes = &minutes }
			dbtest.EachWith(t, configure, func(t *testing.T, s *models.Store) {
				ctx := dbtest.System()
				u := mustCreateUser(t, s, "dana@mesa.gov", models.RoleAdvocate)
				for range 5 {
					clk.Add(time.Minute)
					if _, _, _, err := s.SignIn(ctx, "dana@mesa.gov", "not the password", models.SecondFactor{}); !errors.Is(err, models.ErrBadCredentials) {
						t.Fatal(err)
					}
				}
				// Locked: even the right password fails, and says nothing more than a wrong one would.
				if _, _, _, err := s.SignIn(ctx, "dana@mesa.gov", goodPassword, models.SecondFactor{}); !errors.Is(err, models.ErrBadCredentials) {
					t.Fatalf("locked account signs in: %v", err)
				}
				clk.Add(31 * time.Minute)
				_, _, _, err := s.SignIn(ctx, "dana@mesa.gov", goodPassword, models.SecondFactor{})
				if minutes == 30 && err != nil {
					t.Fatalf("after the lockout ran out: %v", err)
				}
				if minutes == 0 {
					if !errors.Is(err, models.ErrBadCredentials) {
						t.Fatalf("a lockout without expiry ran out: %v", err)
					}
					if _, err := s.UnlockUser(ctx, u.ID); err != nil {
						t.Fatal(err)
					}
					if _, _, _, err := s.SignIn(ctx, "dana@mesa.gov", goodPassword, models.SecondFactor{}); err != nil {
						t.Fatalf("after an administrator unlocked it: %v", err)
					}
				}
				// Failures spread wider than 15 minutes never add up to a lockout.
				for range 8 {
					clk.Add(4 * time.Minute)
					_, _, _, _ = s.SignIn(ctx, "dana@mesa.gov", "not the password", models.SecondFactor{})
					clk.Add(4 * time.Minute)
					if _, _, _, err := s.SignIn(ctx, "dana@mesa.gov", goodPassword, models.SecondFactor{}); err != nil {
						t.Fatalf("occasional failures locked the account: %v", err)
					}
				}
			})
		})
	}
}

func TestAddressThrottle(t *testing.T) {
	clk := &clock{}
	clk.Set(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	dbtest.EachWith(t, clk.use, func(t *testing.T, s *models.Store) {
		mustCreateUser(t, s, "dana@mesa.gov", models.RoleAdvocate)
		from := func(ip string) context.Context {
			return models.WithRequest(dbtest.System(), models.RequestInfo{ClientIP: ip})
		}
		for i := range models.MaxAddressFailures {
			clk.Add(time.Second)
			if _, _, _, err := s.SignIn(from("198.51.100.9"), fmt.Sprintf("guess%d@mesa.gov", i), "not the password", models.SecondFactor{}); !errors.Is(err, models.ErrBadCredentials) {
				t.Fatal(err)
			}
		}
		_, _, _, err := s.SignIn(from("198.51.100.9"), "dana@mesa.gov", goodPassword, models.SecondFactor{})
		var throttled *models.ThrottledError
		if !errors.As(err, &throttled) || throttled.RetryAfter <= 0 || throttled.RetryAfter > models.FailureWindow {
			t.Fatalf("the 51st attempt from one address: %v; want throttled", err)
		}
		if _, _, _, err := s.SignIn(from("203.0.113.5"), "dana@mesa.gov", goodPassword, models.SecondFactor{}); err != nil {
			t.Fatalf("another address is throttled too: %v", err)
		}
		clk.Add(throttled.RetryAfter)
		if _, _, _, err := s.SignIn(from("198.51.100.9"), "dana@mesa.gov", goodPassword, models.SecondFactor{}); err != nil {
			t.Fatalf("after Retry-After: %v", err)
		}
	})
}

// TestConcurrentGuessesCannotSlipPastTheLockout fires many wrong passwords at once: only the first five are
// weighed, the account locks exactly once, and the right password no longer opens it.
func TestConcurrentGuessesCannotSlipPastTheLockout(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		mustCreateUser(t, s, "dana@mesa.gov", models.RoleAdvocate)
		var wg sync.WaitGroup
		throttled := atomic.Int32{}
		for i := range 60 {
			wg.Go(func() {
				ctx := models.WithRequest(dbtest.System(), models.RequestInfo{ClientIP: "198.51.100.9"})
				_, _, _, err := s.SignIn(ctx, "dana@mesa.gov", fmt.Sprint("guess number ", i), models.SecondFactor{})
				var th *models.ThrottledError
				switch {
				case errors.As(err, &th):
					throttled.Add(1)
				case !errors.Is(err, models.ErrBadCredentials):
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := throttled.Load(); got != 60-models.MaxAddressFailures {
			t.Errorf("%d of 60 concurrent attempts from one address were throttled; want %d", got, 60-models.MaxAddressFailures)
		}
		other := models.WithRequest(dbtest.System(), models.RequestInfo{ClientIP: "203.0.113.5"})
		if _, _, _, err := s.SignIn(other, "dana@mesa.gov", goodPassword, models.SecondFactor{}); !errors.Is(err, models.ErrBadCredentials) {
			t.Fatalf("the right password after 50 concurrent guesses: %v; want the account locked", err)
		}
		page, _ := s.ListAuditEvents(dbtest.System(), models.AuditFilter{Limit: 500})
		events := page.Items
		locks := 0
		for _, e := range events {
			if e.Action == "user.lock" {
				locks++
			}
		}
		if locks != 1 {
			t.Errorf("%d user.lock events; want 1", locks)
		}
	})
}

// TestUserUpdateRecordsWhichFieldsChanged checks that user.update events name the fields a change touched,
// exactly, and never hold their values: a display name is personal data.
func TestUserUpdateRecordsWhichFieldsChanged(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		mustCreateUser(t, s, "ada@mesa.gov", models.RoleAdmin)
		u := mustCreateUser(t, s, "dana@mesa.gov", models.RoleAdvocate)
		for _, tc := range []struct {
			update models.UserUpdate
			want   string
		}{
			{models.UserUpdate{Role: models.Some(models.RoleSupervisor), Active: models.Some(false)}, `{"fields":["role","active"]}`},
			{models.UserUpdate{DisplayName: models.Some("Dana Q. Advocate"), Role: models.Some(models.RoleSupervisor)}, `{"fields":["display_name"]}`},
			{models.UserUpdate{Active: models.Some(true), DisplayName: models.Some("Dana Q. Advocate")}, `{"fields":["active"]}`},
			{models.UserUpdate{Active: models.Some(true)}, ""}, // nothing changed: no event
		} {
			updated, err := s.UpdateUser(ctx, u.ID, u.Version, tc.update)
			if err != nil {
				t.Fatal(err)
			}
			u = updated
			page, err := s.ListAuditEvents(ctx, models.AuditFilter{Action: "user.update"})
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if len(page.Items) != 3 {
					t.Fatalf("an update that changed nothing was recorded: %+v", page.Items[0])
				}
				continue
			}
			if e := page.Items[0]; e.ObjectID != u.ID || e.Detail != tc.want {
				t.Fatalf("after %+v: event %+v; want detail %s", tc.update, e, tc.want)
			}
			if strings.Contains(page.Items[0].Detail, "Dana") || strings.Contains(page.Items[0].Detail, "supervisor") {
				t.Fatalf("a value in the detail: %s", page.Items[0].Detail)
			}
		}
	})
}
