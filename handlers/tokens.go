package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/models"
)

// browserOnly refuses what only a person at a browser may do to callers signed in with an API token: token
// management, so that a leaked token can neither mint successors that outlive it nor revoke its owner's
// other tokens, and two-factor set-up. what names the task for the message.
func browserOnly(ctx context.Context, what string) (signedIn, error) {
	who, _ := signedInAs(ctx)
	if who.token == "" {
		return who, newProblem(http.StatusForbidden, "session-required", "Sign in to "+what,
			"You can "+what+" only from a signed-in browser session, not with an API token.")
	}
	return who, nil
}

// ListTokens answers the caller's own API tokens, without their secrets.
func (s *Server) ListTokens(ctx context.Context, _ api.ListTokensRequestObject) (api.ListTokensResponseObject, error) {
	ctx = requestContext(ctx)
	who, err := browserOnly(ctx, "manage API tokens")
	if err != nil {
		return nil, err
	}
	tokens, err := s.store.ListTokens(ctx, who.user.ID)
	if err != nil {
		return nil, err
	}
	out := api.ListTokens200JSONResponse{Items: make([]api.Token, len(tokens))}
	for i, t := range tokens {
		out.Items[i] = api.Token{Id: uuid.MustParse(t.ID), Name: t.Name, Scopes: scopesOut(t), CreatedAt: t.CreatedAt.UTC(),
			ExpiresAt: t.ExpiresAt.UTC(), LastUsedAt: timeOut(t.LastUsedAt)}
	}
	return out, nil
}

// CreateToken makes an API token for the caller and shows its secret, this once. A token with the
// sensitive scope may take the actions that need a recent re-authentication, so only a session that has
// one may make it (x-reauthentication: conditional).
func (s *Server) CreateToken(ctx context.Context, req api.CreateTokenRequestObject) (api.CreateTokenResponseObject, error) {
	ctx = requestContext(ctx)
	if req.Body == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	who, err := browserOnly(ctx, "manage API tokens")
	if err != nil {
		return nil, err
	}
	nt, err := scopesIn(req.Body.Scopes)
	if err != nil {
		return nil, err
	}
	if nt.Sensitive {
		if err := s.stepUpFor(ctx); err != nil {
			return nil, err
		}
	}
	nt.Name, nt.Days = req.Body.Name, deref(req.Body.ExpiresInDays)
	t, secret, err := s.store.CreateToken(ctx, who.user.ID, nt)
	if err != nil {
		return nil, err
	}
	return api.CreateToken201JSONResponse{
		Body: api.NewToken{Id: uuid.MustParse(t.ID), Name: t.Name, Scopes: scopesOut(t), CreatedAt: t.CreatedAt.UTC(),
			ExpiresAt: t.ExpiresAt.UTC(), Token: secret},
		Headers: api.CreateToken201ResponseHeaders{Location: new("/api/v1/auth/tokens/" + t.ID)},
	}, nil
}

// scopesIn reads a token's requested scopes: exactly one of read and write, and sensitive or not; none
// given is read alone, the least a token can do.
func scopesIn(scopes *[]api.TokenScope) (models.NewToken, error) {
	if scopes == nil {
		return models.NewToken{Access: models.TokenRead}, nil
	}
	var nt models.NewToken
	accesses := 0
	for _, scope := range *scopes {
		switch scope {
		case api.TokenScopeRead:
			nt.Access, accesses = models.TokenRead, accesses+1
		case api.TokenScopeWrite:
			nt.Access, accesses = models.TokenWrite, accesses+1
		case api.TokenScopeSensitive:
			nt.Sensitive = true
		}
	}
	if accesses != 1 {
		return models.NewToken{}, &models.ValidationError{Fields: map[string]string{"scopes": "must hold exactly one of read and write"}}
	}
	return nt, nil
}

// scopesOut lists a token's scopes as the API names them.
func scopesOut(t models.APIToken) api.TokenScopes {
	out := api.TokenScopes{}
	for _, scope := range t.Scopes() {
		out = append(out, api.TokenScope(scope))
	}
	return out
}

// DeleteToken revokes one of the caller's tokens.
func (s *Server) DeleteToken(ctx context.Context, req api.DeleteTokenRequestObject) (api.DeleteTokenResponseObject, error) {
	ctx = requestContext(ctx)
	who, err := browserOnly(ctx, "manage API tokens")
	if err != nil {
		return nil, err
	}
	if err := s.store.RevokeToken(ctx, who.user.ID, req.TokenId.String()); err != nil {
		return nil, err
	}
	return api.DeleteToken204Response{}, nil
}

func timeOut(t *time.Time) nullable.Nullable[time.Time] {
	if t == nil {
		return nullable.NewNullNullable[time.Time]()
	}
	return nullable.NewNullableWithValue(t.UTC())
}
