package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/models"
)

// sessionCookie names the cookie that carries a session token.
const sessionCookie = "il_session"

// signedIn is who a request is signed in as: by session cookie (token is the session's), or by API token
// (token is empty).
type signedIn struct {
	// actor is who the request acts for, and what the access policy decides by.
	actor models.Actor
	user  models.User
	token string
	// sessionID names the session, when signed in by cookie.
	sessionID string
	// mfa is set when the session passed two-factor sign-in or set it up.
	mfa bool
	// recent is set when the session proved its password (and second factor) within
	// models.ReauthenticationWindow: it may take the actions that need a step-up.
	recent bool
	// viaToken is set when signed in by API token; readOnly and sensitive are that token's scopes.
	viaToken  bool
	readOnly  bool
	sensitive bool
}

type signedInKey struct{}

// signedInAs returns the account a request is signed in as, if any.
func signedInAs(ctx context.Context) (signedIn, bool) {
	who, ok := ctx.Value(signedInKey{}).(signedIn)
	return who, ok
}

// withSession resolves the session cookie of API requests to an account, and holds unsafe requests made
// with it to the CSRF token: SameSite=Strict already keeps other sites' requests from carrying the cookie,
// and the token is a second lock for browsers or proxies that get that wrong. With requireMFA, a session
// that has not passed two-factor sign-in may do nothing but set it up.
func withSession(store Store, requireMFA bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !isAPIPath(c.Request.URL.Path) {
			c.Next()
			return
		}
		if scheme, bearer, ok := strings.Cut(c.GetHeader("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
			withToken(c, store, strings.TrimSpace(bearer))
			return
		}
		cookie, err := c.Request.Cookie(sessionCookie)
		if err != nil || cookie.Value == "" {
			c.Next()
			return
		}
		ctx := c.Request.Context()
		user, sess, err := store.SessionUser(ctx, cookie.Value)
		switch {
		case errors.Is(err, models.ErrNoSession):
			c.Header("Set-Cookie", sessionCookieHeader("", -1))
			c.Next()
			return
		case err != nil:
			writeError(c, err)
			return
		}
		if unsafeMethod(c.Request.Method) && c.Request.URL.Path != "/api/v1/auth/login" &&
			subtle.ConstantTimeCompare([]byte(c.GetHeader("X-CSRF-Token")), []byte(csrfToken(cookie.Value))) != 1 {
			// Refused as the account the cookie names, so that the refusal is audited (and logged) as theirs.
			c.Request = c.Request.WithContext(models.WithActor(ctx, sess.Actor))
			writeProblem(c, newProblem(http.StatusForbidden, "csrf", "Missing or wrong CSRF token",
				"Requests that change data must send the csrf_token of your session as X-CSRF-Token."))
			return
		}
		ctx = models.WithActor(ctx, sess.Actor)
		if requireMFA && !sess.MFA && !mfaSetUpPath(c.Request.URL.Path) {
			c.Request = c.Request.WithContext(ctx)
			writeProblem(c, newProblem(http.StatusForbidden, "mfa-enrollment-required", "Set up two-factor sign-in first",
				"This service requires two-factor sign-in. Set it up on your account page, then carry on."))
			return
		}
		ctx = context.WithValue(ctx, signedInKey{}, signedIn{actor: sess.Actor, user: user, token: cookie.Value,
			sessionID: sess.ID, mfa: sess.MFA, recent: sess.Recent})
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}

// mfaSetUpPath reports whether a session that must still set up two-factor sign-in may call path: to see
// who it is, to set it up (and re-authenticate for it, when the sign-in is over 15 minutes old), and to sign
// out or in again.
func mfaSetUpPath(path string) bool {
	switch path {
	case "/api/v1/auth/me", "/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/auth/reauthenticate",
		"/api/v1/auth/mfa/enrollment", "/api/v1/auth/mfa/enrollment/confirm":
		return true
	}
	return false
}

// withToken signs a request in with an API token. A token is sent deliberately by a script, never attached
// by a browser on its own, so it needs no CSRF token; a bad one is refused outright.
func withToken(c *gin.Context, store Store, secret string) {
	user, tok, err := store.TokenUser(c.Request.Context(), secret)
	switch {
	case errors.Is(err, models.ErrNoSession):
		c.Header("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeProblem(c, newProblem(http.StatusUnauthorized, "invalid-token", "Invalid API token",
			"The API token is unknown, revoked or expired, or its account is disabled."))
		return
	case err != nil:
		writeError(c, err)
		return
	}
	actor := models.Actor{Type: models.ActorUser, ID: user.ID, Role: user.Role}
	ctx := models.WithActor(c.Request.Context(), actor)
	c.Request = c.Request.WithContext(context.WithValue(ctx, signedInKey{}, signedIn{actor: actor, user: user, viaToken: true,
		readOnly: tok.Access != models.TokenWrite, sensitive: tok.Sensitive}))
	c.Next()
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// csrfToken derives a session's CSRF token from its session token, so that nothing more need be stored.
func csrfToken(sessionToken string) string {
	mac := hmac.New(sha256.New, []byte(sessionToken))
	mac.Write([]byte("impactledger csrf token"))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// sessionCookieHeader renders the session cookie; maxAge < 0 deletes it. It is Secure always: browsers treat
// http://localhost and 127.0.0.1 as secure, so local development works too.
func sessionCookieHeader(token string, maxAge int) string {
	c := http.Cookie{Name: sessionCookie, Value: token, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: true,
		SameSite: http.SameSiteStrictMode}
	return c.String()
}

// renewedCookie renders the session cookie for a session's new token, for the answers that renew it.
func renewedCookie(token string) *string {
	return new(sessionCookieHeader(token, int(models.SessionLifetime.Seconds())))
}

// Login signs a staff member in. Any session the browser already had ends, so that a session token is
// never carried across a sign-in.
func (s *Server) Login(ctx context.Context, req api.LoginRequestObject) (api.LoginResponseObject, error) {
	ctx = requestContext(ctx)
	if req.Body == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	if previous, ok := signedInAs(ctx); ok {
		if err := s.store.SignOut(ctx, previous.token); err != nil {
			return nil, err
		}
	}
	second := models.SecondFactor{TOTPCode: deref(req.Body.TotpCode), RecoveryCode: deref(req.Body.RecoveryCode)}
	user, sess, token, err := s.store.SignIn(ctx, req.Body.Email, req.Body.Password, second)
	switch {
	case errors.Is(err, models.ErrBadCredentials):
		return nil, newProblem(http.StatusUnauthorized, "invalid-credentials", "Sign-in failed",
			"The email or password is wrong, or the account is disabled.")
	case err != nil:
		return nil, secondFactorProblem(err)
	}
	return api.Login200JSONResponse{
		Body: api.SessionInfo{User: s.userBody(user), CsrfToken: csrfToken(token),
			MfaEnrollmentRequired: s.requireMFA && !sess.MFA},
		Headers: api.Login200ResponseHeaders{SetCookie: renewedCookie(token)},
	}, nil
}

// secondFactorProblem answers a missing or refused second factor, and passes any other error on.
func secondFactorProblem(err error) error {
	switch {
	case errors.Is(err, models.ErrMFARequired):
		return newProblem(http.StatusUnauthorized, "mfa-required", "Enter the code from your authenticator app",
			"This account signs in with two factors: send the current code from its authenticator app as totp_code, "+
				"or one of its recovery codes as recovery_code.")
	case errors.Is(err, models.ErrMFARefused):
		return newProblem(http.StatusUnauthorized, "mfa-required", "The code was not accepted",
			"The code is wrong, has expired, or was already used. Wait for the next code from the authenticator app, "+
				"or use an unused recovery code.")
	}
	return err
}

// Logout ends the request's session.
func (s *Server) Logout(ctx context.Context, _ api.LogoutRequestObject) (api.LogoutResponseObject, error) {
	ctx = requestContext(ctx)
	who, ok := signedInAs(ctx)
	if !ok || who.token == "" {
		return nil, notSignedIn()
	}
	if err := s.store.SignOut(ctx, who.token); err != nil {
		return nil, err
	}
	return api.Logout204Response{Headers: api.Logout204ResponseHeaders{SetCookie: new(sessionCookieHeader("", -1))}}, nil
}

// GetMe answers the signed-in account and its CSRF token, so that a reloaded page can carry on.
func (s *Server) GetMe(ctx context.Context, _ api.GetMeRequestObject) (api.GetMeResponseObject, error) {
	who, ok := signedInAs(requestContext(ctx))
	if !ok {
		return nil, notSignedIn()
	}
	csrf := ""
	if who.token != "" {
		csrf = csrfToken(who.token)
	}
	return api.GetMe200JSONResponse{User: s.userBody(who.user), CsrfToken: csrf,
		MfaEnrollmentRequired: s.requireMFA && who.token != "" && !who.mfa}, nil
}

func notSignedIn() *Problem {
	return newProblem(http.StatusUnauthorized, "unauthenticated", "Not signed in",
		"Sign in first; your session may have ended.")
}

func (s *Server) userBody(u models.User) api.User {
	return api.User{
		Locked:      s.store.Locked(u),
		Id:          uuid.MustParse(u.ID),
		Email:       u.Email,
		DisplayName: u.DisplayName,
		Role:        api.Role(u.Role),
		Active:      u.Active,
		MfaEnabled:  u.MFAEnabled(),
		CreatedAt:   u.CreatedAt.UTC(),
		UpdatedAt:   u.UpdatedAt.UTC(),
		Version:     u.Version,
	}
}
