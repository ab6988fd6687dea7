package handlers_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/handlers"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/totp"
)

// clock is a store clock that tests move, so that a session's proof of password can grow old.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time         { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Add(d time.Duration)    { c.offset.Add(int64(d)) }
func (c *clock) use(cfg *models.Config) { cfg.Now = c.Now }
func (c *clock) reset()                 { c.offset.Store(0) }
func (c *clock) code(t *testing.T, secret string, offset int64) string {
	t.Helper()
	code, err := totp.Code(secret, totp.Step(c.Now())+offset)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// userETag reads an account's ETag, as a client does before changing it.
func (c *client) userETag(id string) string {
	c.t.Helper()
	res := c.do("GET", "/api/v1/users/"+id, nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("ETag") == "" {
		c.t.Fatalf("reading user %s: %d %s", id, res.StatusCode, res.Body)
	}
	return res.Header.Get("ETag")
}

// patchUser changes an account at the version just read.
func (c *client) patchUser(id string, body any) response {
	c.t.Helper()
	return c.do("PATCH", "/api/v1/users/"+id, body, "If-Match", c.userETag(id))
}

// reauthenticate proves c's password again, and carries on with the session token it renews.
func (c *client) reauthenticate(fields map[string]string) response {
	c.t.Helper()
	res := c.do("POST", "/api/v1/auth/reauthenticate", fields)
	if res.StatusCode == http.StatusOK {
		c.adopt(res)
	}
	return res
}

// adopt takes up the session token and CSRF token that res renewed, as a browser and the UI do.
func (c *client) adopt(res response) {
	c.t.Helper()
	var body struct {
		CsrfToken string `json:"csrf_token"`
	}
	res.JSON(c.t, &body)
	cookie := ""
	for _, ck := range res.Cookies() {
		if ck.Name == "il_session" && ck.MaxAge > 0 {
			cookie = ck.Name + "=" + ck.Value
		}
	}
	if cookie == "" || body.CsrfToken == "" {
		c.t.Fatalf("%s renewed no session token: Set-Cookie %q, body %s", res.Request.URL.Path, res.Header.Values("Set-Cookie"), res.Body)
	}
	if cookie == c.cookie || body.CsrfToken == c.csrf {
		c.t.Fatalf("%s answered the session token it had", res.Request.URL.Path)
	}
	c.cookie, c.csrf = cookie, body.CsrfToken
}

// ledger is a case with a victim (with an SSN), a restitution order, and a payment that leaves money to
// disburse to the victim and credit to refund.
type ledger struct {
	victim, defendant, order, payment string
}

func newLedger(t *testing.T, admin *client) ledger {
	t.Helper()
	c, _ := createCase(t, admin, peters)
	id := func(res response) string {
		var made struct {
			ID string `json:"id"`
		}
		res.JSON(t, &made)
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("%d %s", res.StatusCode, res.Body)
		}
		return made.ID
	}
	var l ledger
	l.victim = id(admin.do("POST", "/api/v1/cases/"+c.Id.String()+"/victims",
		map[string]any{"kind": "individual", "name": "Jane Roe", "ssn": "078-05-1120"}))
	l.defendant = id(admin.do("POST", "/api/v1/cases/"+c.Id.String()+"/defendants", map[string]any{"name": "Defendant"}))
	l.order = id(admin.do("POST", "/api/v1/cases/"+c.Id.String()+"/restitution-orders", map[string]any{"ordered_on": "2025-01-01",
		"defendant_ids": []string{l.defendant}, "lines": []map[string]any{{"victim_id": l.victim, "amount_cents": 100_000}}}))
	pay := func() string {
		return id(admin.do("POST", "/api/v1/restitution-orders/"+l.order+"/payments", map[string]any{"amount_cents": 200_000,
			"received_on": "2025-02-01", "payer_defendant_id": l.defendant, "method": "check"}, "Idempotency-Key", uuid.NewString()))
	}
	pay()
	l.payment = pay()
	return l
}

// stepUpCalls are the requests that need a recent re-authentication, each made fresh for every call.
func stepUpCalls(t *testing.T, s *models.Store, admin *client, l ledger) map[string]func(c *client, headers ...string) response {
	newUser := func() models.User {
		u, err := s.CreateUser(dbtest.System(), models.NewUser{Email: "u-" + uuid.NewString()[:8] + "@mesa.gov",
			DisplayName: "Someone", Role: models.RoleClerk, Password: staffPassword})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	etag := func(u models.User) string { return fmt.Sprintf(`"%d"`, u.Version) }
	return map[string]func(c *client, headers ...string) response{
		"change a role": func(c *client, h ...string) response {
			u := newUser()
			return c.do("PATCH", "/api/v1/users/"+u.ID, map[string]any{"role": "advocate"}, append(h, "If-Match", etag(u))...)
		},
		"disable an account": func(c *client, h ...string) response {
			u := newUser()
			return c.do("PATCH", "/api/v1/users/"+u.ID, map[string]any{"active": false}, append(h, "If-Match", etag(u))...)
		},
		"enable a disabled account": func(c *client, h ...string) response {
			u := newUser()
			if _, err := s.UpdateUser(dbtest.System(), u.ID, u.Version, models.UserUpdate{Active: models.Some(false)}); err != nil {
				t.Fatal(err)
			}
			return c.do("PATCH", "/api/v1/users/"+u.ID, map[string]any{"active": true}, append(h, "If-Match", fmt.Sprintf(`"%d"`, u.Version+1))...)
		},
		"create an account": func(c *client, h ...string) response {
			return c.do("POST", "/api/v1/users", map[string]any{"email": "new-" + uuid.NewString()[:8] + "@mesa.gov",
				"display_name": "Someone new", "role": "admin", "password": staffPassword}, h...)
		},
		"unlock an account": func(c *client, h ...string) response {
			return c.do("POST", "/api/v1/users/"+newUser().ID+"/unlock", nil, h...)
		},
		"reset two-factor sign-in": func(c *client, h ...string) response {
			return c.do("POST", "/api/v1/users/"+newUser().ID+"/reset-mfa", nil, h...)
		},
		"reset a password": func(c *client, h ...string) response {
			return c.do("POST", "/api/v1/users/"+newUser().ID+"/password-reset", nil, h...)
		},
		"reveal an SSN": func(c *client, h ...string) response {
			return c.do("GET", "/api/v1/victims/"+l.victim+"?reveal=ssn", nil, h...)
		},
		"record a disbursement": func(c *client, h ...string) response {
			return c.do("POST", "/api/v1/restitution-orders/"+l.order+"/disbursements", map[string]any{"victim_id": l.victim,
				"amount_cents": 1, "paid_on": "2025-02-02", "method": "check"}, append(h, "Idempotency-Key", uuid.NewString())...)
		},
		"record a refund": func(c *client, h ...string) response {
			return c.do("POST", "/api/v1/restitution-orders/"+l.order+"/refunds", map[string]any{"amount_cents": 1,
				"paid_on": "2025-02-02"}, append(h, "Idempotency-Key", uuid.NewString())...)
		},
		"reverse a payment": func(c *client, h ...string) response {
			// Each reversal needs a payment of its own; the first one reversed stays reversed.
			res := admin.do("POST", "/api/v1/restitution-orders/"+l.order+"/payments", map[string]any{"amount_cents": 100,
				"received_on": "2025-02-03", "payer_defendant_id": l.defendant, "method": "check"}, "Idempotency-Key", uuid.NewString())
			var p struct {
				ID string `json:"id"`
			}
			res.JSON(t, &p)
			return c.do("POST", "/api/v1/payments/"+p.ID+"/reverse", map[string]any{"reason": "Bounced."}, append(h, "Idempotency-Key", uuid.NewString())...)
		},
	}
}

// TestReauthenticationGuardsSensitiveActions checks each action that needs a step-up: refused with 401
// reauthentication-required once the session's proof of password is over 15 minutes old, and accepted after
// POST /auth/reauthenticate, whose failures count towards the lockout.
func TestReauthenticationGuardsSensitiveActions(t *testing.T) {
	clk := &clock{}
	dbtest.EachWith(t, clk.use, func(t *testing.T, s *models.Store) {
		clk.reset()
		base := newClient(t, s)
		admin := base.signedIn(models.RoleAdmin)
		l := newLedger(t, admin)
		calls := stepUpCalls(t, s, admin, l)

		// Signing in counts as proof: a fresh session may.
		for name, call := range calls {
			if res := call(admin); res.StatusCode >= 300 {
				t.Errorf("%s right after signing in: %d %s", name, res.StatusCode, res.Body)
			}
		}
		clk.Add(14 * time.Minute)
		if res := calls["reveal an SSN"](admin); res.StatusCode != http.StatusOK {
			t.Errorf("14 minutes after signing in: %d %s", res.StatusCode, res.Body)
		}
		clk.Add(2 * time.Minute)
		for name, call := range calls {
			res := call(admin)
			if res.StatusCode != http.StatusUnauthorized || res.Problem(t).Type != "https://impactledger.org/problems/reauthentication-required" {
				t.Errorf("%s 16 minutes after signing in: %d %s; want 401 reauthentication-required", name, res.StatusCode, res.Body)
			}
		}
		// What needs no step-up goes on: reading a victim without the SSN, renaming, and naming the role and
		// activity an account already has.
		if r := admin.do("GET", "/api/v1/victims/"+l.victim, nil); r.StatusCode != http.StatusOK {
			t.Errorf("reading a victim with a stale proof: %d", r.StatusCode)
		}
		if r := admin.patchUser(admin.user.ID, map[string]any{"display_name": "Renamed", "role": "admin", "active": true}); r.StatusCode != http.StatusOK {
			t.Errorf("renaming with a stale proof: %d %s", r.StatusCode, r.Body)
		}

		wrong := admin.reauthenticate(map[string]string{"password": "not the password at all"})
		wantProblem(t, wrong, http.StatusUnauthorized, "invalid-credentials")
		ok := admin.reauthenticate(map[string]string{"password": staffPassword})
		var proof api.Reauthentication
		ok.JSON(t, &proof)
		if ok.StatusCode != http.StatusOK || proof.ValidUntil.Sub(proof.AuthenticatedAt) != 15*time.Minute {
			t.Fatalf("reauthenticate: %d %s", ok.StatusCode, ok.Body)
		}
		for name, call := range calls {
			if res := call(admin); res.StatusCode >= 300 {
				t.Errorf("%s after re-authenticating: %d %s", name, res.StatusCode, res.Body)
			}
		}
		// Audited, successes and failures, with no password in sight.
		for outcome, want := range map[models.Outcome]int{models.OutcomeSuccess: 1, models.OutcomeFailure: 1} {
			page, err := s.ListAuditEvents(dbtest.System(), models.AuditFilter{Action: "auth.reauthenticate", Outcome: outcome})
			if err != nil || len(page.Items) != want || page.Items[0].ObjectID != admin.user.ID {
				t.Errorf("auth.reauthenticate %s events: %+v %v", outcome, page.Items, err)
			}
		}

		// A conditional step-up judges the change against the version If-Match names: the same role is no change.
		clk.Add(16 * time.Minute)
		subject, _ := s.CreateUser(dbtest.System(), models.NewUser{Email: "same@mesa.gov", DisplayName: "Same",
			Role: models.RoleClerk, Password: staffPassword})
		if r := admin.patchUser(subject.ID, map[string]any{"role": "clerk", "active": true}); r.StatusCode != http.StatusOK {
			t.Errorf("setting the role an account has, with a stale proof: %d %s", r.StatusCode, r.Body)
		}
		// A token cannot re-authenticate: only a person at a browser can.
		tok := admin.newToken(t, map[string]any{"name": "script", "scopes": []string{"write"}})
		script := *base
		wantProblem(t, script.do("POST", "/api/v1/auth/reauthenticate", map[string]string{"password": staffPassword},
			"Authorization", "Bearer "+tok.Token), http.StatusForbidden, "session-required")
	})
}

// TestReauthenticationWithTwoFactors checks that an account with two-factor sign-in re-authenticates with
// its password and a code, that codes are never accepted twice, and that wrong ones count towards the
// lockout, whose lock ends the session that reached it.
func TestReauthenticationWithTwoFactors(t *testing.T) {
	clk := &clock{}
	dbtest.EachWith(t, clk.use, func(t *testing.T, s *models.Store) {
		clk.reset()
		base := newClient(t, s)
		admin := base.signedIn(models.RoleAdmin)
		secret, recovery := admin.enrol()
		clk.Add(16 * time.Minute)
		subject, _ := s.CreateUser(dbtest.System(), models.NewUser{Email: "grace@mesa.gov", DisplayName: "Grace",
			Role: models.RoleClerk, Password: staffPassword})
		reset := func() response { return admin.do("POST", "/api/v1/users/"+subject.ID+"/reset-mfa", nil) }
		wantProblem(t, reset(), http.StatusUnauthorized, "reauthentication-required")

		// The password alone is the first step; it is not counted, and proves nothing yet.
		for range models.MaxAccountFailures + 1 {
			wantProblem(t, admin.reauthenticate(map[string]string{"password": staffPassword}), http.StatusUnauthorized, "mfa-required")
		}
		wantProblem(t, reset(), http.StatusUnauthorized, "reauthentication-required")
		code := clk.code(t, secret, 1)
		if r := admin.reauthenticate(map[string]string{"password": staffPassword, "totp_code": code}); r.StatusCode != http.StatusOK {
			t.Fatalf("with the password and a code: %d %s", r.StatusCode, r.Body)
		}
		if r := reset(); r.StatusCode != http.StatusOK {
			t.Fatalf("after re-authenticating with two factors: %d %s", r.StatusCode, r.Body)
		}
		clk.Add(16 * time.Minute)
		wantProblem(t, admin.reauthenticate(map[string]string{"password": staffPassword, "totp_code": code}), http.StatusUnauthorized, "mfa-required")
		if r := admin.reauthenticate(map[string]string{"password": staffPassword, "recovery_code": recovery[0]}); r.StatusCode != http.StatusOK {
			t.Fatalf("with a recovery code: %d %s", r.StatusCode, r.Body)
		}

		// Wrong codes lock the account like wrong passwords at sign-in; the lock ends this session (whoever holds
		// it does not have the second factor), and the right code then gets the same refusal as a wrong password.
		clk.Add(16 * time.Minute)
		other := base.signedIn(models.RoleAdmin)
		for range models.MaxAccountFailures - 1 {
			wantProblem(t, admin.reauthenticate(map[string]string{"password": staffPassword, "totp_code": wrongCode(clk.code(t, secret, 2))}),
				http.StatusUnauthorized, "mfa-required")
		}
		wantProblem(t, admin.reauthenticate(map[string]string{"password": staffPassword, "totp_code": wrongCode(clk.code(t, secret, 2))}),
			http.StatusUnauthorized, "mfa-required")
		wantProblem(t, admin.do("GET", "/api/v1/auth/me", nil), http.StatusUnauthorized, "unauthenticated")
		res, _ := admin.login(map[string]string{"email": admin.user.Email, "password": staffPassword, "totp_code": clk.code(t, secret, 2)})
		wantProblem(t, res, http.StatusUnauthorized, "invalid-credentials")
		var users api.UserList
		other.do("GET", "/api/v1/users", nil).JSON(t, &users)
		for _, u := range users.Items {
			if u.Id.String() == admin.user.ID && !u.Locked {
				t.Error("wrong codes at re-authentication did not lock the account")
			}
		}
	})
}

// newToken makes an API token with c's session and answers it.
func (c *client) newToken(t *testing.T, body map[string]any) api.NewToken {
	t.Helper()
	res := c.do("POST", "/api/v1/auth/tokens", body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("creating a token %v: %d %s", body, res.StatusCode, res.Body)
	}
	var tok api.NewToken
	res.JSON(t, &tok)
	return tok
}

// TestTokenScopes checks that a read token only reads, a write token is refused the actions that need a
// step-up, and a sensitive token may take them but only comes from a freshly re-authenticated session and
// lives 30 days at most.
func TestTokenScopes(t *testing.T) {
	clk := &clock{}
	dbtest.EachWith(t, clk.use, func(t *testing.T, s *models.Store) {
		clk.reset()
		base := newClient(t, s)
		admin := base.signedIn(models.RoleAdmin)
		l := newLedger(t, admin)
		calls := stepUpCalls(t, s, admin, l)
		bearer := func(tok api.NewToken) []string { return []string{"Authorization", "Bearer " + tok.Token} }
		script := *base

		read := admin.newToken(t, map[string]any{"name": "reports"})
		if fmt.Sprint(read.Scopes) != "[read]" {
			t.Errorf("a token made without scopes has %v; want [read]", read.Scopes)
		}
		if r := script.do("GET", "/api/v1/cases", nil, bearer(read)...); r.StatusCode != http.StatusOK {
			t.Errorf("read token reading: %d", r.StatusCode)
		}
		wantProblem(t, script.do("POST", "/api/v1/cases", peters, bearer(read)...), http.StatusForbidden, "read-only-token")
		wantProblem(t, script.do("PATCH", "/api/v1/users/"+admin.user.ID, map[string]any{"display_name": "X"}, bearer(read)...),
			http.StatusForbidden, "read-only-token")

		write := admin.newToken(t, map[string]any{"name": "sync", "scopes": []string{"write"}})
		if r := script.do("POST", "/api/v1/cases", map[string]any{"court_case_number": "W1", "caption": "People v. Write",
			"court": "Mesa", "jurisdiction": "us-co"}, bearer(write)...); r.StatusCode != http.StatusCreated {
			t.Errorf("write token creating a case: %d %s", r.StatusCode, r.Body)
		}
		for name, call := range calls {
			res := call(&script, bearer(write)...)
			if res.StatusCode != http.StatusForbidden || res.Problem(t).Type != "https://impactledger.org/problems/sensitive-scope-required" {
				t.Errorf("write token may %s: %d %s", name, res.StatusCode, res.Body)
			}
		}
		// Refusals are audited, at most one event a minute for one caller: the first is written, the others
		// are counted into the next, a minute on.
		refusals := 2 + len(calls)
		denied, _ := s.ListAuditEvents(dbtest.System(), models.AuditFilter{Action: "access.denied", ActorID: admin.user.ID})
		if len(denied.Items) != 1 {
			t.Errorf("%d refusal events within a minute; want 1", len(denied.Items))
		}
		clk.Add(time.Minute + time.Second)
		wantProblem(t, script.do("POST", "/api/v1/cases", peters, bearer(read)...), http.StatusForbidden, "read-only-token")
		denied, _ = s.ListAuditEvents(dbtest.System(), models.AuditFilter{Action: "access.denied", ActorID: admin.user.ID})
		if len(denied.Items) != 2 || !strings.Contains(denied.Items[0].Detail, fmt.Sprintf(`"count":%d`, refusals)) {
			t.Errorf("the next minute's event: %+v; want one counting %d refusals", denied.Items, refusals)
		}

		// Bad scopes.
		for _, scopes := range [][]string{{"read", "write"}, {"sensitive"}, {}, {"write", "write"}, {"admin"}} {
			res := admin.do("POST", "/api/v1/auth/tokens", map[string]any{"name": "bad", "scopes": scopes})
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("scopes %v: %d %s", scopes, res.StatusCode, res.Body)
			}
		}

		// Sensitive only from a session that proved its password within 15 minutes.
		clk.Add(16 * time.Minute)
		sensitiveBody := map[string]any{"name": "disbursements", "scopes": []string{"write", "sensitive"}}
		wantProblem(t, admin.do("POST", "/api/v1/auth/tokens", sensitiveBody), http.StatusUnauthorized, "reauthentication-required")
		if r := admin.reauthenticate(map[string]string{"password": staffPassword}); r.StatusCode != http.StatusOK {
			t.Fatalf("reauthenticate: %d %s", r.StatusCode, r.Body)
		}
		res := admin.do("POST", "/api/v1/auth/tokens", map[string]any{"name": "long", "scopes": []string{"write", "sensitive"}, "expires_in_days": 31})
		if res.StatusCode != http.StatusUnprocessableEntity || res.Problem(t).Errors["expires_in_days"] == "" {
			t.Errorf("a sensitive token for 31 days: %d %s", res.StatusCode, res.Body)
		}
		sensitive := admin.newToken(t, sensitiveBody)
		if fmt.Sprint(sensitive.Scopes) != "[write sensitive]" || sensitive.ExpiresAt.Sub(sensitive.CreatedAt) != 30*24*time.Hour {
			t.Errorf("sensitive token: scopes %v, lifetime %s; want [write sensitive] and 30 days", sensitive.Scopes,
				sensitive.ExpiresAt.Sub(sensitive.CreatedAt))
		}
		// The token is not the session: it keeps its powers after the session's proof grows old.
		clk.Add(16 * time.Minute)
		for name, call := range calls {
			if res := call(&script, bearer(sensitive)...); res.StatusCode >= 300 {
				t.Errorf("sensitive token may not %s: %d %s", name, res.StatusCode, res.Body)
			}
		}
		readSensitive := func() api.NewToken {
			if r := admin.reauthenticate(map[string]string{"password": staffPassword}); r.StatusCode != http.StatusOK {
				t.Fatalf("reauthenticate: %d", r.StatusCode)
			}
			return admin.newToken(t, map[string]any{"name": "ssn lookups", "scopes": []string{"read", "sensitive"}, "expires_in_days": 1})
		}()
		if r := calls["reveal an SSN"](&script, bearer(readSensitive)...); r.StatusCode != http.StatusOK {
			t.Errorf("read and sensitive token revealing an SSN: %d %s", r.StatusCode, r.Body)
		}
		wantProblem(t, calls["record a refund"](&script, bearer(readSensitive)...), http.StatusForbidden, "read-only-token")

		// The list shows each token's scopes.
		var list api.TokenList
		admin.do("GET", "/api/v1/auth/tokens", nil).JSON(t, &list)
		got := map[string]string{}
		for _, tk := range list.Items {
			got[tk.Name] = fmt.Sprint(tk.Scopes)
		}
		if got["reports"] != "[read]" || got["sync"] != "[write]" || got["disbursements"] != "[write sensitive]" {
			t.Errorf("listed scopes: %v", got)
		}
	})
}

// TestChangePassword checks the self-service change: the current password is needed (and wrong ones are
// counted), the new one follows the rules, other sessions end and this one goes on, and the account's API
// tokens are revoked, since whoever knew the old password could have made them.
func TestChangePassword(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		base := newClient(t, s)
		dana := base.signedIn(models.RoleAdvocate)
		_, elsewhere := dana.login(map[string]string{"email": dana.user.Email, "password": staffPassword})
		tokens := []api.NewToken{dana.newToken(t, map[string]any{"name": "script", "scopes": []string{"write"}}),
			dana.newToken(t, map[string]any{"name": "ssn lookups", "scopes": []string{"read", "sensitive"}})}
		bearer := *base
		change := func(current, next string) response {
			res := dana.do("POST", "/api/v1/auth/password", map[string]string{"current_password": current, "new_password": next})
			if res.StatusCode == http.StatusOK {
				dana.adopt(res)
			}
			return res
		}
		const next = "a brand new passphrase"

		for _, tc := range []struct{ current, next, field string }{
			{"not my password at all", next, "current_password"},
			{staffPassword, "password1234", "new_password"},
			{staffPassword, "short", "new_password"},
			{staffPassword, staffPassword, "new_password"},
		} {
			res := change(tc.current, tc.next)
			if res.StatusCode != http.StatusUnprocessableEntity || res.Problem(t).Errors[tc.field] == "" {
				t.Errorf("change %q → %q: %d %s; want 422 on %s", tc.current, tc.next, res.StatusCode, res.Body, tc.field)
			}
		}
		if r := change(staffPassword, next); r.StatusCode != http.StatusOK {
			t.Fatalf("change: %d %s", r.StatusCode, r.Body)
		}
		if r := dana.do("GET", "/api/v1/auth/me", nil); r.StatusCode != http.StatusOK {
			t.Errorf("the session that changed the password: %d", r.StatusCode)
		}
		wantProblem(t, elsewhere.do("GET", "/api/v1/auth/me", nil), http.StatusUnauthorized, "unauthenticated")
		for _, tok := range tokens {
			wantProblem(t, bearer.do("GET", "/api/v1/cases", nil, "Authorization", "Bearer "+tok.Token), http.StatusUnauthorized, "invalid-token")
		}
		var live api.TokenList
		dana.do("GET", "/api/v1/auth/tokens", nil).JSON(t, &live)
		if len(live.Items) != 0 {
			t.Errorf("tokens listed after the change: %+v", live.Items)
		}
		res, _ := dana.login(map[string]string{"email": dana.user.Email, "password": staffPassword})
		wantProblem(t, res, http.StatusUnauthorized, "invalid-credentials")
		if res, _ := dana.login(map[string]string{"email": dana.user.Email, "password": next}); res.StatusCode != http.StatusOK {
			t.Errorf("sign-in with the new password: %d %s", res.StatusCode, res.Body)
		}
		page, _ := s.ListAuditEvents(dbtest.System(), models.AuditFilter{Action: "user.password_change"})
		if len(page.Items) != 2 || page.Items[0].Outcome != models.OutcomeSuccess || page.Items[0].ObjectID != dana.user.ID {
			t.Errorf("audit of the change (one failure, one success): %+v", page.Items)
		}

		// Wrong current passwords count towards the lockout; the lock ends the session that reached it.
		for range models.MaxAccountFailures {
			change("not my password at all", "another new passphrase")
		}
		wantProblem(t, dana.do("GET", "/api/v1/auth/me", nil), http.StatusUnauthorized, "unauthenticated")
		res, _ = dana.login(map[string]string{"email": dana.user.Email, "password": next})
		wantProblem(t, res, http.StatusUnauthorized, "invalid-credentials")

		// Only from a browser session.
		admin := base.signedIn(models.RoleAdmin)
		tok := admin.newToken(t, map[string]any{"name": "script", "scopes": []string{"write"}})
		script := *base
		wantProblem(t, script.do("POST", "/api/v1/auth/password", map[string]string{"current_password": staffPassword, "new_password": next},
			"Authorization", "Bearer "+tok.Token), http.StatusForbidden, "session-required")
	})
}

// resetCode is the shape of an administrator's reset code: four groups of five letters and digits.
var resetCode = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$`)

// TestPasswordResetByAdministrator checks the reset: a code shown once, stored hashed, working once and for 24
// hours, a new reset replacing an old code, the account's sessions and tokens ended, failures answered alike
// and counted, and two-factor sign-in still needed afterwards.
func TestPasswordResetByAdministrator(t *testing.T) {
	clk := &clock{}
	dbtest.EachWith(t, clk.use, func(t *testing.T, s *models.Store) {
		clk.reset()
		base := newClient(t, s)
		admin := base.signedIn(models.RoleAdmin)
		dana := base.signedIn(models.RoleAdvocate)
		secret, _ := dana.enrol()
		tok := dana.newToken(t, map[string]any{"name": "script"})
		issue := func(id string) string {
			t.Helper()
			res := admin.do("POST", "/api/v1/users/"+id+"/password-reset", nil)
			var out api.PasswordResetCode
			res.JSON(t, &out)
			if res.StatusCode != http.StatusOK || !resetCode.MatchString(out.Code) ||
				out.ExpiresAt.Sub(clk.Now()) < 23*time.Hour || out.ExpiresAt.Sub(clk.Now()) > 24*time.Hour {
				t.Fatalf("reset: %d %s", res.StatusCode, res.Body)
			}
			return out.Code
		}
		first := issue(dana.user.ID)
		wantProblem(t, dana.do("GET", "/api/v1/auth/me", nil), http.StatusUnauthorized, "unauthenticated")
		script := *base
		if r := script.do("GET", "/api/v1/cases", nil, "Authorization", "Bearer "+tok.Token); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("the account's token after a reset: %d", r.StatusCode)
		}
		res, _ := dana.login(map[string]string{"email": dana.user.Email, "password": staffPassword, "totp_code": clk.code(t, secret, 1)})
		wantProblem(t, res, http.StatusUnauthorized, "invalid-credentials")

		// Stored only as a hash.
		db, err := s.SQLDB()
		if err != nil {
			t.Fatal(err)
		}
		var stored string
		if err := db.QueryRow("SELECT code_hash FROM password_resets").Scan(&stored); err != nil {
			t.Fatal(err)
		}
		bare := strings.ReplaceAll(first, "-", "")
		if strings.Contains(stored, first) || strings.Contains(strings.ToUpper(stored), bare) || len(stored) != 64 {
			t.Errorf("the code is stored as %q", stored)
		}

		// A new reset replaces the first code.
		second := issue(dana.user.ID)
		use := func(email, code, pw string) response {
			return base.do("POST", "/api/v1/auth/password-reset", map[string]string{"email": email, "code": code, "new_password": pw},
				"X-Request-ID", "same")
		}
		const next = "my fresh passphrase"
		refused := use(dana.user.Email, first, next)
		wantProblem(t, refused, http.StatusUnauthorized, "invalid-reset-code")
		for name, r := range map[string]response{
			"unknown email": use("nobody@mesa.gov", second, next),
			"wrong code":    use(dana.user.Email, "AAAAA-BBBBB-CCCCC-DDDDD", next),
		} {
			if string(r.Body) != string(refused.Body) || r.StatusCode != refused.StatusCode {
				t.Errorf("%s answers %d %s; a replaced code %d %s", name, r.StatusCode, r.Body, refused.StatusCode, refused.Body)
			}
		}
		// A new password that breaks the rules is said so before the code is looked at (and does not use it).
		weak := use(dana.user.Email, second, "password1234")
		if weak.StatusCode != http.StatusUnprocessableEntity || weak.Problem(t).Errors["new_password"] == "" {
			t.Errorf("weak new password: %d %s", weak.StatusCode, weak.Body)
		}
		typed := strings.ToLower(strings.ReplaceAll(second, "-", " "))
		if r := use(dana.user.Email, typed, next); r.StatusCode != http.StatusNoContent {
			t.Fatalf("setting the password with the code: %d %s", r.StatusCode, r.Body)
		}
		if r := use(dana.user.Email, second, "yet another passphrase"); string(r.Body) != string(refused.Body) {
			t.Errorf("the code used a second time: %d %s", r.StatusCode, r.Body)
		}
		// The second factor stays: the new password alone is only the first step.
		res, _ = dana.login(map[string]string{"email": dana.user.Email, "password": next})
		wantProblem(t, res, http.StatusUnauthorized, "mfa-required")
		if res, _ := dana.login(map[string]string{"email": dana.user.Email, "password": next, "totp_code": clk.code(t, secret, 1)}); res.StatusCode != http.StatusOK {
			t.Fatalf("sign-in with the new password and a code: %d %s", res.StatusCode, res.Body)
		}

		// Codes expire after 24 hours.
		expiring := issue(dana.user.ID)
		clk.Add(24*time.Hour + time.Minute)
		admin = base.signedIn(models.RoleAdmin) // the first administrator's session ran out meanwhile
		if r := use(dana.user.Email, expiring, next); string(r.Body) != string(refused.Body) {
			t.Errorf("an expired code: %d %s", r.StatusCode, r.Body)
		}
		// Wrong passwords, which anyone who knows the email can send, do not stop the code; wrong codes count on
		// the code, and five of them void it.
		right := issue(dana.user.ID)
		for range models.MaxAccountFailures {
			res, _ := dana.login(map[string]string{"email": dana.user.Email, "password": "someone guessing"})
			wantProblem(t, res, http.StatusUnauthorized, "invalid-credentials")
		}
		if r := use(dana.user.Email, right, next); r.StatusCode != http.StatusNoContent {
			t.Errorf("the right code after five wrong passwords: %d %s", r.StatusCode, r.Body)
		}
		right = issue(dana.user.ID)
		for range models.MaxAccountFailures {
			use(dana.user.Email, "AAAAA-BBBBB-CCCCC-DDDDD", next)
		}
		if r := use(dana.user.Email, right, next); string(r.Body) != string(refused.Body) {
			t.Errorf("the right code after five wrong ones: %d %s", r.StatusCode, r.Body)
		}

		// One's own password is changed on one's account page, not reset.
		wantProblem(t, admin.do("POST", "/api/v1/users/"+admin.user.ID+"/password-reset", nil), http.StatusConflict, "conflict")
		wantProblem(t, admin.do("POST", "/api/v1/users/"+uuid.NewString()+"/password-reset", nil), http.StatusNotFound, "not-found")
		page, _ := s.ListAuditEvents(dbtest.System(), models.AuditFilter{Action: "user.password_reset"})
		if len(page.Items) != 5 || page.Items[0].ObjectID != dana.user.ID {
			t.Errorf("audit of the resets: %+v", page.Items)
		}
	})
}

// TestResetMFARevokesTokens checks that resetting an account's two-factor sign-in also revokes its API
// tokens, which sessions that passed the lost factor made.
func TestResetMFARevokesTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		base := newClient(t, s)
		admin := base.signedIn(models.RoleAdmin)
		dana := base.signedIn(models.RoleAdvocate)
		dana.enrol()
		tok := dana.newToken(t, map[string]any{"name": "script"})
		script := *base
		if r := script.do("GET", "/api/v1/cases", nil, "Authorization", "Bearer "+tok.Token); r.StatusCode != http.StatusOK {
			t.Fatalf("the token before the reset: %d", r.StatusCode)
		}
		if r := admin.do("POST", "/api/v1/users/"+dana.user.ID+"/reset-mfa", nil); r.StatusCode != http.StatusOK {
			t.Fatalf("reset: %d %s", r.StatusCode, r.Body)
		}
		wantProblem(t, script.do("GET", "/api/v1/cases", nil, "Authorization", "Bearer "+tok.Token), http.StatusUnauthorized, "invalid-token")
	})
}

// TestUpdateUserNeedsIfMatch checks that changing an account takes If-Match like every update: 428 without
// it, 412 with a stale one, and an ETag on every read and change of an account.
func TestUpdateUserNeedsIfMatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		base := newClient(t, s)
		admin := base.signedIn(models.RoleAdmin)
		dana := base.signedIn(models.RoleAdvocate)
		path := "/api/v1/users/" + dana.user.ID
		rename := map[string]any{"display_name": "Dana R."}

		wantProblem(t, admin.do("PATCH", path, rename), http.StatusPreconditionRequired, "if-match-required")
		read := admin.do("GET", path, nil)
		if read.StatusCode != http.StatusOK || read.Header.Get("ETag") != `"1"` {
			t.Fatalf("GET user: %d, ETag %q", read.StatusCode, read.Header.Get("ETag"))
		}
		changed := admin.do("PATCH", path, rename, "If-Match", `"1"`)
		if changed.StatusCode != http.StatusOK || changed.Header.Get("ETag") != `"2"` {
			t.Fatalf("PATCH with the current ETag: %d, ETag %q %s", changed.StatusCode, changed.Header.Get("ETag"), changed.Body)
		}
		wantProblem(t, admin.do("PATCH", path, map[string]any{"display_name": "Dana Reyes"}, "If-Match", `"1"`),
			http.StatusPreconditionFailed, "stale-version")
		if u, _ := s.UserByID(dbtest.System(), dana.user.ID); u.DisplayName != "Dana R." {
			t.Errorf("a stale change went through: %q", u.DisplayName)
		}
		// Whether the account exists comes first.
		wantProblem(t, admin.do("PATCH", "/api/v1/users/"+uuid.NewString(), rename, "If-Match", `"1"`), http.StatusNotFound, "not-found")
		created := admin.do("POST", "/api/v1/users", map[string]any{"email": "eli@mesa.gov", "display_name": "Eli",
			"role": "clerk", "password": staffPassword})
		if created.StatusCode != http.StatusCreated || created.Header.Get("ETag") != `"1"` {
			t.Errorf("created account: %d, ETag %q", created.StatusCode, created.Header.Get("ETag"))
		}
	})
}

// TestStepUpIsDeclaredAndDocumented checks the contract's side: every operation that declares
// x-reauthentication documents its 401 as ReauthenticationRequired, and the operations the step-up policy
// names declare it.
func TestStepUpIsDeclaredAndDocumented(t *testing.T) {
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"updateUser": "conditional", "createToken": "conditional", "resetUserMfa": "true", "resetUserPassword": "true",
		"createUser": "true", "unlockUser": "true", "startMfaEnrollment": "true", "confirmMfaEnrollment": "true",
		"getVictim": "map[when-query:map[reveal:ssn]]", "createDisbursement": "true", "createRefund": "true",
		"reversePayment": "true",
	}
	got := map[string]string{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			declared, ok := op.Extensions["x-reauthentication"]
			if !ok {
				continue
			}
			got[strings.ToLower(op.OperationID)] = fmt.Sprint(declared)
			if r := op.Responses.Status(http.StatusUnauthorized); r == nil || r.Ref != "#/components/responses/ReauthenticationRequired" {
				t.Errorf("%s declares x-reauthentication but does not document 401 reauthentication-required", op.OperationID)
			}
		}
	}
	for id, declared := range want {
		if got[strings.ToLower(id)] != declared {
			t.Errorf("%s declares x-reauthentication %q; want %q", id, got[strings.ToLower(id)], declared)
		}
	}
	if len(got) != len(want) {
		t.Errorf("operations declaring x-reauthentication: %v; want %v", got, want)
	}
}

// TestMFAEnrolmentNeedsARecentProof checks that setting up two-factor sign-in needs the password from within
// 15 minutes, so that a session cookie stolen an hour ago cannot enrol its own authenticator and lock the
// owner out, and that turning it on ends the account's other sessions, which never passed it. Where it is
// required, the set-up right after signing in needs nothing more, and a session that took longer may
// re-authenticate to finish it.
func TestMFAEnrolmentNeedsARecentProof(t *testing.T) {
	clk := &clock{}
	dbtest.EachWith(t, clk.use, func(t *testing.T, s *models.Store) {
		clk.reset()
		base := newClient(t, s)
		dana := base.signedIn(models.RoleAdvocate)
		_, elsewhere := dana.login(map[string]string{"email": dana.user.Email, "password": staffPassword})
		clk.Add(16 * time.Minute)
		wantProblem(t, dana.do("POST", "/api/v1/auth/mfa/enrollment", nil), http.StatusUnauthorized, "reauthentication-required")
		wantProblem(t, dana.do("POST", "/api/v1/auth/mfa/enrollment/confirm", map[string]string{"code": "123456"}),
			http.StatusUnauthorized, "reauthentication-required")
		if u, _ := s.UserByID(dbtest.System(), dana.user.ID); u.MFAPendingSecret != nil {
			t.Fatal("a stale session started an enrolment")
		}
		if r := dana.reauthenticate(map[string]string{"password": staffPassword}); r.StatusCode != http.StatusOK {
			t.Fatalf("reauthenticate: %d %s", r.StatusCode, r.Body)
		}
		secret := dana.startEnrolment()
		confirmed := dana.do("POST", "/api/v1/auth/mfa/enrollment/confirm", map[string]string{"code": clk.code(t, secret, 0)})
		if confirmed.StatusCode != http.StatusOK {
			t.Fatalf("confirming after re-authenticating: %d %s", confirmed.StatusCode, confirmed.Body)
		}
		dana.adopt(confirmed)
		if r := dana.do("GET", "/api/v1/auth/me", nil); r.StatusCode != http.StatusOK {
			t.Errorf("the session that turned two-factor sign-in on: %d", r.StatusCode)
		}
		wantProblem(t, elsewhere.do("GET", "/api/v1/auth/me", nil), http.StatusUnauthorized, "unauthenticated")

		// Required: the set-up right after signing in goes through; later, the session re-authenticates first.
		forced := newClient(t, s, func(c *handlers.Config) { c.RequireMFA = true })
		eli := forced.signedIn(models.RoleClerk)
		eli.enrolAt(t, clk)
		ada := forced.signedIn(models.RoleAdmin)
		clk.Add(16 * time.Minute)
		wantProblem(t, ada.do("POST", "/api/v1/auth/mfa/enrollment", nil), http.StatusUnauthorized, "reauthentication-required")
		if r := ada.reauthenticate(map[string]string{"password": staffPassword}); r.StatusCode != http.StatusOK {
			t.Fatalf("a session that must still set up two-factor sign-in re-authenticating: %d %s", r.StatusCode, r.Body)
		}
		ada.enrolAt(t, clk)
		if r := ada.do("GET", "/api/v1/cases", nil); r.StatusCode != http.StatusOK {
			t.Errorf("after the set-up: %d %s", r.StatusCode, r.Body)
		}
	})
}

// enrolAt turns two-factor sign-in on for c's account by the store's clock clk.
func (c *client) enrolAt(t *testing.T, clk *clock) {
	t.Helper()
	secret := c.startEnrolment()
	r := c.do("POST", "/api/v1/auth/mfa/enrollment/confirm", map[string]string{"code": clk.code(t, secret, 0)})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("confirming enrolment: %d %s", r.StatusCode, r.Body)
	}
	c.adopt(r)
}

// TestSessionTokenIsRenewed checks that every new proof a session gives (re-authenticating, changing the
// password, turning two-factor sign-in on) gives it a new session token, with a new CSRF token, so that a copy
// of the cookie taken before is not raised by the owner's proof, nor survives the password change.
func TestSessionTokenIsRenewed(t *testing.T) {
	clk := &clock{}
	dbtest.EachWith(t, clk.use, func(t *testing.T, s *models.Store) {
		clk.reset()
		dana := newClient(t, s).signedIn(models.RoleAdvocate)
		// In this order: re-authenticating with the password alone needs the password that the change replaces,
		// and an account without two-factor sign-in.
		for _, step := range []struct {
			name  string
			prove func() response
		}{
			{"re-authenticating", func() response { return dana.reauthenticate(map[string]string{"password": staffPassword}) }},
			{"changing the password", func() response {
				res := dana.do("POST", "/api/v1/auth/password", map[string]string{"current_password": staffPassword,
					"new_password": "a brand new passphrase"})
				dana.adopt(res)
				return res
			}},
			{"turning two-factor sign-in on", func() response {
				secret := dana.startEnrolment()
				res := dana.do("POST", "/api/v1/auth/mfa/enrollment/confirm", map[string]string{"code": clk.code(t, secret, 0)})
				dana.adopt(res)
				return res
			}},
		} {
			name, prove := step.name, step.prove
			stolen := *dana
			if res := prove(); res.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d %s", name, res.StatusCode, res.Body)
			}
			wantProblem(t, stolen.do("GET", "/api/v1/auth/me", nil), http.StatusUnauthorized, "unauthenticated")
			var me api.SessionInfo
			if r := dana.do("GET", "/api/v1/auth/me", nil); r.StatusCode != http.StatusOK {
				t.Fatalf("the renewed session after %s: %d %s", name, r.StatusCode, r.Body)
			} else if r.JSON(t, &me); me.CsrfToken != dana.csrf {
				t.Errorf("after %s the session's CSRF token is not the one answered", name)
			}
			// The new CSRF token is the one that counts: unsafe requests with it pass, with the old one not.
			if r := dana.do("POST", "/api/v1/auth/tokens", map[string]any{"name": "after " + name}); r.StatusCode != http.StatusCreated {
				t.Errorf("an unsafe request after %s: %d %s", name, r.StatusCode, r.Body)
			}
		}
	})
}

// TestALockoutLeavesTheOwnersSession checks that when someone else's wrong guesses have locked an account, its
// owner's right password, at a re-authentication or a password change, is refused like any attempt on a
// locked account but does not end the owner's own session: only a session's own wrong password or code does.
func TestALockoutLeavesTheOwnersSession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		base := newClient(t, s)
		dana := base.signedIn(models.RoleAdvocate)
		for range models.MaxAccountFailures {
			res, _ := base.login(map[string]string{"email": dana.user.Email, "password": "someone guessing"})
			wantProblem(t, res, http.StatusUnauthorized, "invalid-credentials")
		}
		if u, _ := s.UserByID(dbtest.System(), dana.user.ID); u.LockedAt == nil {
			t.Fatal("the guesses did not lock the account")
		}
		wantProblem(t, dana.reauthenticate(map[string]string{"password": staffPassword}), http.StatusUnauthorized, "invalid-credentials")
		if r := dana.do("GET", "/api/v1/auth/me", nil); r.StatusCode != http.StatusOK {
			t.Fatalf("the owner's session after a right password at re-authentication: %d %s", r.StatusCode, r.Body)
		}
		changed := dana.do("POST", "/api/v1/auth/password", map[string]string{"current_password": staffPassword,
			"new_password": "a brand new passphrase"})
		if changed.StatusCode != http.StatusUnprocessableEntity || changed.Problem(t).Errors["current_password"] == "" {
			t.Fatalf("a password change on a locked account: %d %s", changed.StatusCode, changed.Body)
		}
		if r := dana.do("GET", "/api/v1/auth/me", nil); r.StatusCode != http.StatusOK {
			t.Fatalf("the owner's session after a right password at a password change: %d %s", r.StatusCode, r.Body)
		}
		// The session's own wrong password, on the locked account, still ends it.
		wantProblem(t, dana.reauthenticate(map[string]string{"password": "not the password at all"}), http.StatusUnauthorized, "invalid-credentials")
		wantProblem(t, dana.do("GET", "/api/v1/auth/me", nil), http.StatusUnauthorized, "unauthenticated")
	})
}

// TestCookieRefusalsAreDocumented checks that every operation a session cookie can be refused at documents
// its 403: unsafe requests without the session's X-CSRF-Token (all but signing in), and, where two-factor
// sign-in is required, every request of a session that has not set it up but those that set it up. Public
// operations are among them: a browser sends its cookie to them too.
func TestCookieRefusalsAreDocumented(t *testing.T) {
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !strings.HasPrefix(path, "/api/v1/") {
				continue // The session is looked at only under /api/v1.
			}
			csrf := method != http.MethodGet && method != http.MethodHead && op.OperationID != "Login"
			enrolment := !slices.Contains([]string{"/api/v1/auth/me", "/api/v1/auth/login", "/api/v1/auth/logout",
				"/api/v1/auth/reauthenticate", "/api/v1/auth/mfa/enrollment", "/api/v1/auth/mfa/enrollment/confirm"}, path)
			if (csrf || enrolment) && op.Responses.Status(http.StatusForbidden) == nil {
				t.Errorf("%s %s (%s) can answer 403 to a session cookie but does not document it", method, path, op.OperationID)
			}
		}
	}
}

// TestResetWithCodeRefusesACookieWithoutCSRF checks the 403 that setting a password with a reset code answers
// a browser that is signed in and sends its cookie without the CSRF token, against the contract.
func TestResetWithCodeRefusesACookieWithoutCSRF(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		dana := newClient(t, s).signedIn(models.RoleAdvocate)
		wantProblem(t, dana.do("POST", "/api/v1/auth/password-reset", map[string]string{"email": dana.user.Email,
			"code": "AAAAA-BBBBB-CCCCC-DDDDD", "new_password": "a brand new passphrase"}, "X-CSRF-Token", ""), http.StatusForbidden, "csrf")
	})
}
