package handlers

import (
	"context"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/totp"
)

// mfaIssuer names the service in authenticator apps.
const mfaIssuer = "ImpactLedger"

// StartMfaEnrollment makes a new authenticator secret for the caller, to be confirmed with a code.
func (s *Server) StartMfaEnrollment(ctx context.Context, _ api.StartMfaEnrollmentRequestObject) (api.StartMfaEnrollmentResponseObject, error) {
	ctx = requestContext(ctx)
	who, err := browserOnly(ctx, "set up two-factor sign-in")
	if err != nil {
		return nil, err
	}
	secret, err := s.store.StartMFAEnrollment(ctx, who.user.ID)
	if err != nil {
		return nil, err
	}
	return api.StartMfaEnrollment200JSONResponse{Secret: secret, OtpauthUri: totp.URI(secret, mfaIssuer, who.user.Email)}, nil
}

// ConfirmMfaEnrollment turns two-factor sign-in on with a code from the authenticator app, and answers the
// recovery codes; the session goes on under a new token.
func (s *Server) ConfirmMfaEnrollment(ctx context.Context, req api.ConfirmMfaEnrollmentRequestObject) (api.ConfirmMfaEnrollmentResponseObject, error) {
	ctx = requestContext(ctx)
	who, err := browserOnly(ctx, "set up two-factor sign-in")
	if err != nil {
		return nil, err
	}
	if req.Body == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	codes, token, err := s.store.ConfirmMFAEnrollment(ctx, who.user.ID, who.sessionID, req.Body.Code)
	if err != nil {
		return nil, err
	}
	return api.ConfirmMfaEnrollment200JSONResponse{Body: api.RecoveryCodes{RecoveryCodes: codes, CsrfToken: csrfToken(token)},
		Headers: api.ConfirmMfaEnrollment200ResponseHeaders{SetCookie: renewedCookie(token)}}, nil
}

// ResetUserMfa turns a user's two-factor sign-in off, for a lost authenticator.
func (s *Server) ResetUserMfa(ctx context.Context, req api.ResetUserMfaRequestObject) (api.ResetUserMfaResponseObject, error) {
	user, err := s.store.ResetMFA(requestContext(ctx), req.UserId.String())
	if err != nil {
		return nil, err
	}
	return api.ResetUserMfa200JSONResponse(s.userBody(user)), nil
}

// deref returns what p points to, or the zero value.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
