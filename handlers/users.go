package handlers

import (
	"context"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/models"
)

// ListUsers answers every staff account.
func (s *Server) ListUsers(ctx context.Context, _ api.ListUsersRequestObject) (api.ListUsersResponseObject, error) {
	users, err := s.store.ListUsers(requestContext(ctx))
	if err != nil {
		return nil, err
	}
	out := api.ListUsers200JSONResponse{Items: make([]api.User, len(users))}
	for i, u := range users {
		out.Items[i] = s.userBody(u)
	}
	return out, nil
}

// CreateUser creates a staff account, with a password the caller chooses: it needs a recent
// re-authentication (x-reauthentication: true), since the new account could be the caller's way into any
// role.
func (s *Server) CreateUser(ctx context.Context, req api.CreateUserRequestObject) (api.CreateUserResponseObject, error) {
	if req.Body == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	b := req.Body
	u, err := s.store.CreateUser(requestContext(ctx), models.NewUser{Email: b.Email, DisplayName: b.DisplayName,
		Role: models.Role(b.Role), Password: b.Password})
	if err != nil {
		return nil, err
	}
	return api.CreateUser201JSONResponse{Body: s.userBody(u),
		Headers: api.CreateUser201ResponseHeaders{Location: new("/api/v1/users/" + u.ID), ETag: new(etag(u.Version))}}, nil
}

// GetUser answers one staff account with its ETag.
func (s *Server) GetUser(ctx context.Context, req api.GetUserRequestObject) (api.GetUserResponseObject, error) {
	u, err := s.store.UserByID(requestContext(ctx), req.UserId.String())
	if err != nil {
		return nil, err
	}
	return api.GetUser200JSONResponse{Body: s.userBody(u), Headers: api.GetUser200ResponseHeaders{ETag: new(etag(u.Version))}}, nil
}

// UpdateUser changes an account's name, role or whether it is active, at the version its If-Match names.
// Changing the role, disabling the account or enabling it again needs a recent re-authentication
// (x-reauthentication: conditional): enabling gives back every power the account's role has, as a role
// change would. What counts as a change is judged against the version If-Match pins, so the judgement holds
// for the version the store then changes.
func (s *Server) UpdateUser(ctx context.Context, req api.UpdateUserRequestObject) (api.UpdateUserResponseObject, error) {
	ctx = requestContext(ctx)
	b := req.JSONBody
	if b == nil {
		b = req.ApplicationMergePatchPlusJSONBody
	}
	if b == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	current, err := s.store.UserByID(ctx, req.UserId.String())
	if err != nil {
		return nil, err
	}
	roleChange := b.Role != nil && models.Role(*b.Role) != current.Role
	activeChange := b.Active != nil && *b.Active != current.Active
	if roleChange || activeChange {
		if err := s.stepUpFor(ctx); err != nil {
			return nil, err
		}
	}
	version, err := ifMatch(req.Params.IfMatch, current.Version)
	if err != nil {
		return nil, err
	}
	u := models.UserUpdate{DisplayName: optional(b.DisplayName), Active: optional(b.Active)}
	if b.Role != nil {
		u.Role = models.Some(models.Role(*b.Role))
	}
	user, err := s.store.UpdateUser(ctx, current.ID, version, u)
	if err != nil {
		return nil, err
	}
	return api.UpdateUser200JSONResponse{Body: s.userBody(user), Headers: api.UpdateUser200ResponseHeaders{ETag: new(etag(user.Version))}}, nil
}

// UnlockUser lifts a sign-in lockout; it needs a recent re-authentication (x-reauthentication: true), since it
// lets whoever was guessing the account's password carry on.
func (s *Server) UnlockUser(ctx context.Context, req api.UnlockUserRequestObject) (api.UnlockUserResponseObject, error) {
	user, err := s.store.UnlockUser(requestContext(ctx), req.UserId.String())
	if err != nil {
		return nil, err
	}
	return api.UnlockUser200JSONResponse(s.userBody(user)), nil
}
