package handlers

import (
	"context"

	"github.com/google/uuid"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/models"
)

// GetCaseTeam answers the staff on a case's team.
func (s *Server) GetCaseTeam(ctx context.Context, req api.GetCaseTeamRequestObject) (api.GetCaseTeamResponseObject, error) {
	members, err := s.store.CaseTeam(requestContext(ctx), req.CaseId.String())
	if err != nil {
		return nil, err
	}
	return api.GetCaseTeam200JSONResponse(teamBody(members)), nil
}

// ListTeamCandidates answers the staff who may be put on a case's team.
func (s *Server) ListTeamCandidates(ctx context.Context, req api.ListTeamCandidatesRequestObject) (api.ListTeamCandidatesResponseObject, error) {
	members, err := s.store.TeamCandidates(requestContext(ctx), req.CaseId.String())
	if err != nil {
		return nil, err
	}
	return api.ListTeamCandidates200JSONResponse(teamBody(members)), nil
}

// SetCaseTeam replaces a case's team.
func (s *Server) SetCaseTeam(ctx context.Context, req api.SetCaseTeamRequestObject) (api.SetCaseTeamResponseObject, error) {
	if req.Body == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	ids := make([]string, len(req.Body.Members))
	for i, m := range req.Body.Members {
		ids[i] = m.UserId.String()
	}
	members, err := s.store.SetCaseTeam(requestContext(ctx), req.CaseId.String(), ids)
	if err != nil {
		return nil, err
	}
	return api.SetCaseTeam200JSONResponse(teamBody(members)), nil
}

func teamBody(members []models.TeamMember) api.CaseTeam {
	out := api.CaseTeam{Members: make([]api.TeamMember, len(members))}
	for i, m := range members {
		out.Members[i] = api.TeamMember{UserId: uuid.MustParse(m.UserID), DisplayName: m.DisplayName, Email: m.Email, Role: api.Role(m.Role)}
	}
	return out
}
