package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/handlers"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/totp"
)

// startEnrolment begins two-factor set-up for c's account and answers the secret.
func (c *client) startEnrolment() string {
	c.t.Helper()
	res := c.do("POST", "/api/v1/auth/mfa/enrollment", nil)
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("starting enrolment: %d %s", res.StatusCode, res.Body)
	}
	var e api.MfaEnrollment
	res.JSON(c.t, &e)
	return e.Secret
}

// enrolmentCode starts two-factor set-up and answers the code that confirms it, as an app would show it.
func (c *client) enrolmentCode() string {
	c.t.Helper()
	return codeAt(c.t, c.startEnrolment(), 0)
}

// codeAt is the TOTP code of secret offset steps from now.
func codeAt(t testing.TB, secret string, offset int64) string {
	t.Helper()
	code, err := totp.Code(secret, totp.Step(time.Now())+offset)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// enrol turns two-factor sign-in on for c's account and answers its secret and recovery codes.
func (c *client) enrol() (string, []string) {
	c.t.Helper()
	secret := c.startEnrolment()
	res := c.do("POST", "/api/v1/auth/mfa/enrollment/confirm", map[string]string{"code": codeAt(c.t, secret, 0)})
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("confirming enrolment: %d %s", res.StatusCode, res.Body)
	}
	c.adopt(res)
	var codes api.RecoveryCodes
	res.JSON(c.t, &codes)
	return secret, codes.RecoveryCodes
}

// login posts a sign-in with the fields given and answers the response; on success the returned client is
// signed in with the new session.
func (c *client) login(fields map[string]string) (response, *client) {
	c.t.Helper()
	anon := *c
	anon.cookie, anon.csrf = "", ""
	res := anon.do("POST", "/api/v1/auth/login", fields)
	if res.StatusCode != http.StatusOK {
		return res, nil
	}
	var info api.SessionInfo
	res.JSON(c.t, &info)
	signed := anon
	signed.csrf = info.CsrfToken
	for _, ck := range res.Cookies() {
		if ck.Name == "il_session" {
			signed.cookie = ck.Name + "=" + ck.Value
		}
	}
	return res, &signed
}

func wantProblem(t *testing.T, res response, status int, slug string) {
	t.Helper()
	if res.StatusCode != status {
		t.Fatalf("status %d; want %d %s: %s", res.StatusCode, status, slug, res.Body)
	}
	if p := res.Problem(t); p.Type != "https://impactledger.org/problems/"+slug {
		t.Fatalf("problem type %q; want %s", p.Type, slug)
	}
}

func TestMFAEnrolmentAndSignIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		dana := newClient(t, s).signedIn(models.RoleAdvocate)
		creds := map[string]string{"email": dana.user.Email, "password": staffPassword}

		secret := dana.startEnrolment()
		if len(secret) != 32 {
			t.Fatalf("secret %q: want 160 bits in base32", secret)
		}
		res := dana.do("POST", "/api/v1/auth/mfa/enrollment", nil)
		var e api.MfaEnrollment
		res.JSON(t, &e)
		uri, err := url.Parse(e.OtpauthUri)
		if err != nil || uri.Scheme != "otpauth" || uri.Host != "totp" || uri.Query().Get("secret") != e.Secret ||
			uri.Query().Get("issuer") != "ImpactLedger" || !strings.Contains(uri.Path, dana.user.Email) {
			t.Fatalf("otpauth URI %q", e.OtpauthUri)
		}
		secret = e.Secret // starting again replaced the first secret

		// Until confirmed, nothing changes at sign-in.
		if res, _ := dana.login(creds); res.StatusCode != http.StatusOK {
			t.Fatalf("sign-in before confirming: %d %s", res.StatusCode, res.Body)
		}
		wrong := dana.do("POST", "/api/v1/auth/mfa/enrollment/confirm", map[string]string{"code": codeAt(t, secret, 5)})
		wantProblem(t, wrong, http.StatusUnprocessableEntity, "validation")
		if wrong.Problem(t).Errors["code"] == "" {
			t.Fatalf("a wrong code names no field: %s", wrong.Body)
		}
		enrolmentCode := codeAt(t, secret, 0)
		res = dana.do("POST", "/api/v1/auth/mfa/enrollment/confirm", map[string]string{"code": enrolmentCode})
		if res.StatusCode != http.StatusOK {
			t.Fatalf("confirming: %d %s", res.StatusCode, res.Body)
		}
		dana.adopt(res)
		var rc api.RecoveryCodes
		res.JSON(t, &rc)
		seen := map[string]bool{}
		for _, code := range rc.RecoveryCodes {
			seen[code] = true
		}
		if len(seen) != 10 {
			t.Fatalf("recovery codes %v: want ten different ones", rc.RecoveryCodes)
		}
		wantProblem(t, dana.do("POST", "/api/v1/auth/mfa/enrollment", nil), http.StatusConflict, "conflict")
		var me api.SessionInfo
		dana.do("GET", "/api/v1/auth/me", nil).JSON(t, &me)
		if !me.User.MfaEnabled || me.MfaEnrollmentRequired {
			t.Fatalf("after enrolment: %+v", me)
		}

		// The password alone is no longer enough, and neither is a wrong, stale or replayed code.
		res, _ = dana.login(creds)
		wantProblem(t, res, http.StatusUnauthorized, "mfa-required")
		for _, code := range []string{wrongCode(codeAt(t, secret, 1)), codeAt(t, secret, -3), enrolmentCode} {
			res, _ = dana.login(with(creds, "totp_code", code))
			wantProblem(t, res, http.StatusUnauthorized, "mfa-required")
		}
		next := codeAt(t, secret, 1)
		res, signed := dana.login(with(creds, "totp_code", next))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("sign-in with the next code: %d %s", res.StatusCode, res.Body)
		}
		if r := signed.do("GET", "/api/v1/cases", nil); r.StatusCode != http.StatusOK {
			t.Fatalf("signed in with two factors: %d %s", r.StatusCode, r.Body)
		}
		res, _ = dana.login(with(creds, "totp_code", next))
		wantProblem(t, res, http.StatusUnauthorized, "mfa-required")

		// A recovery code works once, however it is typed.
		typed := strings.ToLower(strings.ReplaceAll(rc.RecoveryCodes[3], "-", " "))
		if res, _ := dana.login(with(creds, "recovery_code", typed)); res.StatusCode != http.StatusOK {
			t.Fatalf("sign-in with a recovery code: %d %s", res.StatusCode, res.Body)
		}
		res, _ = dana.login(with(creds, "recovery_code", rc.RecoveryCodes[3]))
		wantProblem(t, res, http.StatusUnauthorized, "mfa-required")
		// A right code with a wrong password is still a wrong password.
		res, _ = dana.login(map[string]string{"email": dana.user.Email, "password": "not the password", "recovery_code": rc.RecoveryCodes[4]})
		wantProblem(t, res, http.StatusUnauthorized, "invalid-credentials")
		if res, _ := dana.login(with(creds, "recovery_code", rc.RecoveryCodes[4])); res.StatusCode != http.StatusOK {
			t.Fatalf("the recovery code offered with a wrong password was used up: %d %s", res.StatusCode, res.Body)
		}
	})
}

// Wrong second factors count towards the lockout like wrong passwords, so a stolen password cannot be used
// to guess codes.
func TestWrongCodesLockTheAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		dana := newClient(t, s).signedIn(models.RoleAdvocate)
		secret, _ := dana.enrol()
		creds := map[string]string{"email": dana.user.Email, "password": staffPassword}
		// The first step of a two-factor sign-in, the password alone, guesses nothing and is not counted.
		for range models.MaxAccountFailures + 1 {
			res, _ := dana.login(creds)
			wantProblem(t, res, http.StatusUnauthorized, "mfa-required")
		}
		for range models.MaxAccountFailures {
			res, _ := dana.login(with(creds, "totp_code", wrongCode(codeAt(t, secret, 1))))
			wantProblem(t, res, http.StatusUnauthorized, "mfa-required")
		}
		res, _ := dana.login(with(creds, "totp_code", codeAt(t, secret, 1)))
		wantProblem(t, res, http.StatusUnauthorized, "invalid-credentials")
	})
}

func TestRequiredMFA(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		require := func(c *handlers.Config) { c.RequireMFA = true }
		anon := newClient(t, s, require)
		admin := anon.signedIn(models.RoleAdmin)
		var me api.SessionInfo
		admin.do("GET", "/api/v1/auth/me", nil).JSON(t, &me)
		if !me.MfaEnrollmentRequired {
			t.Fatalf("an account without two-factor sign-in where it is required: %+v", me)
		}
		// Until it is set up, the session may do nothing else: not even mint an API token.
		wantProblem(t, admin.do("GET", "/api/v1/cases", nil), http.StatusForbidden, "mfa-enrollment-required")
		wantProblem(t, admin.do("POST", "/api/v1/auth/tokens", map[string]any{"name": "script", "expires_in_days": 7}),
			http.StatusForbidden, "mfa-enrollment-required")
		wantProblem(t, admin.do("GET", "/api/v1/users", nil), http.StatusForbidden, "mfa-enrollment-required")

		admin.enrol()
		admin.do("GET", "/api/v1/auth/me", nil).JSON(t, &me)
		if me.MfaEnrollmentRequired || !me.User.MfaEnabled {
			t.Fatalf("after enrolment: %+v", me)
		}
		if r := admin.do("GET", "/api/v1/cases", nil); r.StatusCode != http.StatusOK {
			t.Fatalf("after enrolment: %d %s", r.StatusCode, r.Body)
		}
		res := admin.do("POST", "/api/v1/auth/tokens", map[string]any{"name": "script", "expires_in_days": 7, "scopes": []string{"write"}})
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("token from a session that passed two-factor sign-in: %d %s", res.StatusCode, res.Body)
		}
		var tok api.NewToken
		res.JSON(t, &tok)
		// Setting up two-factor sign-in is for a person at a browser, not for a script: not even one whose token
		// may take the actions that need a re-authentication.
		script := *anon
		r := script.do("POST", "/api/v1/auth/mfa/enrollment", nil, "Authorization", "Bearer "+tok.Token)
		wantProblem(t, r, http.StatusForbidden, "sensitive-scope-required")
		sensitive := admin.newToken(t, map[string]any{"name": "sensitive", "scopes": []string{"write", "sensitive"}})
		r = script.do("POST", "/api/v1/auth/mfa/enrollment", nil, "Authorization", "Bearer "+sensitive.Token)
		wantProblem(t, r, http.StatusForbidden, "session-required")
		if r := script.do("GET", "/api/v1/cases", nil, "Authorization", "Bearer "+tok.Token); r.StatusCode != http.StatusOK {
			t.Fatalf("the token: %d %s", r.StatusCode, r.Body)
		}

		// An admin resets a lost authenticator: the user's sessions end, and set-up is due at the next sign-in.
		dana := anon.signedIn(models.RoleAdvocate)
		danaSecret, _ := dana.enrol()
		res = admin.do("POST", "/api/v1/users/"+dana.user.ID+"/reset-mfa", nil)
		var after api.User
		res.JSON(t, &after)
		if res.StatusCode != http.StatusOK || after.MfaEnabled {
			t.Fatalf("reset: %d %s", res.StatusCode, res.Body)
		}
		wantProblem(t, dana.do("GET", "/api/v1/auth/me", nil), http.StatusUnauthorized, "unauthenticated")
		res, again := dana.login(map[string]string{"email": dana.user.Email, "password": staffPassword,
			"totp_code": codeAt(t, danaSecret, 1)})
		if res.StatusCode != http.StatusOK {
			t.Fatalf("sign-in after reset: %d %s", res.StatusCode, res.Body)
		}
		var info api.SessionInfo
		res.JSON(t, &info)
		if !info.MfaEnrollmentRequired {
			t.Fatalf("after a reset: %s", res.Body)
		}
		wantProblem(t, again.do("GET", "/api/v1/cases", nil), http.StatusForbidden, "mfa-enrollment-required")

		// The reset is audited (the authorization matrix checks that only admins may do it).
		page, err := s.ListAuditEvents(dbtest.System(), models.AuditFilter{Action: "user.mfa_reset", Limit: 10})
		if err != nil || len(page.Items) != 1 || page.Items[0].ObjectID != dana.user.ID {
			t.Fatalf("audit of the reset: %+v %v", page.Items, err)
		}
	})
}

// with returns a copy of m with k set to v.
func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for mk, mv := range m {
		if mk != k {
			out[mk] = mv
		}
	}
	return out
}

// wrongCode returns a six-digit code that differs from code.
func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+5)%10
	return string(b)
}
