package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/models"
)

// Reauthenticate proves the caller's password (and second factor) again, so that the session may take the
// actions that need a recent proof, under a new session token.
func (s *Server) Reauthenticate(ctx context.Context, req api.ReauthenticateRequestObject) (api.ReauthenticateResponseObject, error) {
	ctx = requestContext(ctx)
	if req.Body == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	who, err := browserOnly(ctx, "re-authenticate")
	if err != nil {
		return nil, err
	}
	second := models.SecondFactor{TOTPCode: deref(req.Body.TotpCode), RecoveryCode: deref(req.Body.RecoveryCode)}
	at, token, err := s.store.Reauthenticate(ctx, who.user.ID, who.sessionID, req.Body.Password, second)
	switch {
	case errors.Is(err, models.ErrBadCredentials):
		return nil, newProblem(http.StatusUnauthorized, "invalid-credentials", "The password is wrong",
			"The password is wrong, or the account is locked after too many failed attempts.")
	case errors.Is(err, models.ErrNoSession):
		return nil, notSignedIn()
	case err != nil:
		return nil, secondFactorProblem(err)
	}
	return api.Reauthenticate200JSONResponse{
		Body: api.Reauthentication{AuthenticatedAt: at.UTC(), ValidUntil: at.Add(models.ReauthenticationWindow).UTC(),
			CsrfToken: csrfToken(token)},
		Headers: api.Reauthenticate200ResponseHeaders{SetCookie: renewedCookie(token)},
	}, nil
}

// ChangePassword sets the caller's new password, given the current one, ends the account's other sessions
// and revokes its API tokens; this session goes on under a new token.
func (s *Server) ChangePassword(ctx context.Context, req api.ChangePasswordRequestObject) (api.ChangePasswordResponseObject, error) {
	ctx = requestContext(ctx)
	if req.Body == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	who, err := browserOnly(ctx, "change your password")
	if err != nil {
		return nil, err
	}
	token, err := s.store.ChangePassword(ctx, who.user.ID, who.sessionID, req.Body.CurrentPassword, req.Body.NewPassword)
	if err != nil {
		return nil, err
	}
	return api.ChangePassword200JSONResponse{Body: api.PasswordChanged{CsrfToken: csrfToken(token)},
		Headers: api.ChangePassword200ResponseHeaders{SetCookie: renewedCookie(token)}}, nil
}

// ResetUserPassword is an administrator's reset of another account's password (the store refuses one's own):
// it answers the one-time code the account's owner sets a new password with.
func (s *Server) ResetUserPassword(ctx context.Context, req api.ResetUserPasswordRequestObject) (api.ResetUserPasswordResponseObject, error) {
	ctx = requestContext(ctx)
	code, expires, err := s.store.ResetPassword(ctx, req.UserId.String())
	if err != nil {
		return nil, err
	}
	return api.ResetUserPassword200JSONResponse{Code: code, ExpiresAt: expires.UTC()}, nil
}

// ResetPasswordWithCode sets a new password with the code from an administrator's reset. Every refusal of
// the code gets the same answer, so that it tells nobody which accounts exist or have a reset pending.
func (s *Server) ResetPasswordWithCode(ctx context.Context, req api.ResetPasswordWithCodeRequestObject) (api.ResetPasswordWithCodeResponseObject, error) {
	ctx = requestContext(ctx)
	if req.Body == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	err := s.store.SetPasswordWithCode(ctx, req.Body.Email, req.Body.Code, req.Body.NewPassword)
	switch {
	case errors.Is(err, models.ErrBadResetCode):
		return nil, newProblem(http.StatusUnauthorized, "invalid-reset-code", "The reset code was not accepted",
			"The email address or the code is wrong, or the code was already used or has expired (codes work for "+
				"24 hours). Ask your administrator for a new code if this keeps happening.")
	case err != nil:
		return nil, err
	}
	return api.ResetPasswordWithCode204Response{}, nil
}
