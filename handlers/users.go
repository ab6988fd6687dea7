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

// CreateUser creates a staff account.
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
		Headers: api.CreateUser201ResponseHeaders{Location: new("/api/v1/users/" + u.ID)}}, nil
}

// UpdateUser changes an account's name, role or whether it is active.
func (s *Server) UpdateUser(ctx context.Context, req api.UpdateUserRequestObject) (api.UpdateUserResponseObject, error) {
	b := req.JSONBody
	if b == nil {
		b = req.ApplicationMergePatchPlusJSONBody
	}
	if b == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	u := models.UserUpdate{DisplayName: optional(b.DisplayName), Active: optional(b.Active)}
	if b.Role != nil {
		u.Role = models.Some(models.Role(*b.Role))
	}
	user, err := s.store.UpdateUser(requestContext(ctx), req.UserId.String(), u)
	if err != nil {
		return nil, err
	}
	return api.UpdateUser200JSONResponse(s.userBody(user)), nil
}

// UnlockUser lifts a sign-in lockout.
func (s *Server) UnlockUser(ctx context.Context, req api.UnlockUserRequestObject) (api.UnlockUserResponseObject, error) {
	user, err := s.store.UnlockUser(requestContext(ctx), req.UserId.String())
	if err != nil {
		return nil, err
	}
	return api.UnlockUser200JSONResponse(s.userBody(user)), nil
}
