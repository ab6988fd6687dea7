package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

const staffPassword = "correct horse battery staple"

// signIn signs in over HTTP and returns the Cookie header value and the CSRF token.
func signIn(t *testing.T, c *client, email string) (cookie, csrf string) {
	t.Helper()
	res := c.do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": staffPassword})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("sign-in: %d %s", res.StatusCode, res.Body)
	}
	var info api.SessionInfo
	res.JSON(t, &info)
	for _, ck := range res.Cookies() {
		if ck.Name == "il_session" {
			return ck.Name + "=" + ck.Value, info.CsrfToken
		}
	}
	t.Fatal("sign-in set no session cookie")
	return "", ""
}

func TestSignInOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newClient(t, s)
		u, err := s.CreateUser(dbtest.System(), models.NewUser{Email: "dana@mesa.gov", DisplayName: "Dana", Role: models.RoleAdvocate, Password: staffPassword})
		if err != nil {
			t.Fatal(err)
		}

		res := c.do("POST", "/api/v1/auth/login", map[string]string{"email": "Dana@Mesa.gov", "password": staffPassword})
		if res.StatusCode != http.StatusOK {
			t.Fatalf("sign-in: %d %s", res.StatusCode, res.Body)
		}
		setCookie := res.Header.Get("Set-Cookie")
		for _, attr := range []string{"il_session=", "HttpOnly", "Secure", "SameSite=Strict", "Path=/"} {
			if !strings.Contains(setCookie, attr) {
				t.Errorf("session cookie %q lacks %s", setCookie, attr)
			}
		}
		cookie, csrf := signIn(t, c, "dana@mesa.gov")

		var me api.SessionInfo
		meRes := c.do("GET", "/api/v1/auth/me", nil, "Cookie", cookie)
		meRes.JSON(t, &me)
		if meRes.StatusCode != http.StatusOK || me.User.Id.String() != u.ID || me.CsrfToken != csrf || me.User.Role != api.Advocate {
			t.Fatalf("me: %d %s", meRes.StatusCode, meRes.Body)
		}
		if strings.Contains(string(meRes.Body), "password") {
			t.Fatal("the account's password hash is in the response")
		}

		// Changes made with the cookie need the CSRF token; with it they are audited as the user's.
		if r := c.do("POST", "/api/v1/cases", peters, "Cookie", cookie); r.StatusCode != http.StatusForbidden {
			t.Fatalf("cookie without CSRF token: %d", r.StatusCode)
		}
		if r := c.do("POST", "/api/v1/cases", peters, "Cookie", cookie, "X-CSRF-Token", "forged"); r.StatusCode != http.StatusForbidden {
			t.Fatalf("cookie with a wrong CSRF token: %d", r.StatusCode)
		}
		created := c.do("POST", "/api/v1/cases", peters, "Cookie", cookie, "X-CSRF-Token", csrf)
		if created.StatusCode != http.StatusCreated {
			t.Fatalf("cookie with CSRF token: %d %s", created.StatusCode, created.Body)
		}
		page, _ := s.ListAuditEvents(dbtest.System(), models.AuditFilter{})
		events := page.Items
		if events[0].Action != "case.create" || events[0].ActorType != models.ActorUser || events[0].ActorID != u.ID {
			t.Fatalf("the case was not audited as the user's: %+v", events[0])
		}

		// Signing in again ends the session the browser had.
		second := c.do("POST", "/api/v1/auth/login", map[string]string{"email": "dana@mesa.gov", "password": staffPassword}, "Cookie", cookie)
		if second.StatusCode != http.StatusOK {
			t.Fatalf("second sign-in: %d", second.StatusCode)
		}
		if r := c.do("GET", "/api/v1/auth/me", nil, "Cookie", cookie); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("the session from before the second sign-in still works: %d", r.StatusCode)
		}

		// Sign-out needs the token too, and ends the session.
		cookie, csrf = signIn(t, c, "dana@mesa.gov")
		if r := c.do("POST", "/api/v1/auth/logout", nil, "Cookie", cookie); r.StatusCode != http.StatusForbidden {
			t.Fatalf("sign-out without CSRF token: %d", r.StatusCode)
		}
		out := c.do("POST", "/api/v1/auth/logout", nil, "Cookie", cookie, "X-CSRF-Token", csrf)
		if out.StatusCode != http.StatusNoContent || !strings.Contains(out.Header.Get("Set-Cookie"), "Max-Age=0") {
			t.Fatalf("sign-out: %d, Set-Cookie %q", out.StatusCode, out.Header.Get("Set-Cookie"))
		}
		if r := c.do("GET", "/api/v1/auth/me", nil, "Cookie", cookie); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("me after sign-out: %d", r.StatusCode)
		}
	})
}

// TestFailedSignInsLookAlike checks that an unknown email and a wrong password get the same answer, so that
// sign-in cannot be used to find out who has an account.
func TestFailedSignInsLookAlike(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newClient(t, s)
		if _, err := s.CreateUser(dbtest.System(), models.NewUser{Email: "dana@mesa.gov", DisplayName: "Dana", Role: models.RoleAdvocate, Password: staffPassword}); err != nil {
			t.Fatal(err)
		}
		answer := func(email, pw string) string {
			res := c.do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": pw}, "X-Request-ID", "same")
			if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("%s: %d", email, res.StatusCode)
			}
			res.Problem(t)
			return string(res.Body)
		}
		if unknown, wrong := answer("nobody@mesa.gov", staffPassword), answer("dana@mesa.gov", "wrong password!!"); unknown != wrong {
			t.Fatalf("unknown email and wrong password answer differently:\n%s\n%s", unknown, wrong)
		}
		if r := c.do("GET", "/api/v1/auth/me", nil); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("me without a session: %d", r.StatusCode)
		}
		// Text no account can have is a failed sign-in like any other, not a server error.
		for _, email := range []string{`a\u0000@mesa.gov`, `dana@mesa.gov\u202e`, "not an email"} {
			res := c.do("POST", "/api/v1/auth/login", `{"email":"`+email+`","password":"x"}`)
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("sign-in as %q: %d %s", email, res.StatusCode, res.Body)
			}
		}
	})
}

// TestLockedAccountsLookLikeWrongPasswords checks that a locked account gets the same answer as a wrong
// password, and that an address that keeps failing is held off with 429 and Retry-After.
func TestLockedAccountsLookLikeWrongPasswords(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newClient(t, s)
		for _, email := range []string{"dana@mesa.gov", "eli@mesa.gov"} {
			if _, err := s.CreateUser(dbtest.System(), models.NewUser{Email: email, DisplayName: "Staff", Role: models.RoleAdvocate, Password: staffPassword}); err != nil {
				t.Fatal(err)
			}
		}
		login := func(email, pw string) response {
			return c.do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": pw}, "X-Request-ID", "same")
		}
		for range 5 {
			login("dana@mesa.gov", "wrong password!!")
		}
		locked, wrong := login("dana@mesa.gov", staffPassword), login("eli@mesa.gov", "wrong password!!")
		if locked.StatusCode != http.StatusUnauthorized || string(locked.Body) != string(wrong.Body) {
			t.Fatalf("locked account answered %d %s; a wrong password %d %s", locked.StatusCode, locked.Body, wrong.StatusCode, wrong.Body)
		}
		for range models.MaxAddressFailures {
			login("nobody@mesa.gov", "wrong password!!")
		}
		held := login("eli@mesa.gov", staffPassword)
		if held.StatusCode != http.StatusTooManyRequests || held.Header.Get("Retry-After") == "" {
			t.Fatalf("after many failures from one address: %d, Retry-After %q", held.StatusCode, held.Header.Get("Retry-After"))
		}
		held.Problem(t)
	})
}
