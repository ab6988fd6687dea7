package handlers

import (
	"context"

	"github.com/google/uuid"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/models"
)

// ListHearings answers one page of a case's hearings, earliest first.
func (s *Server) ListHearings(ctx context.Context, req api.ListHearingsRequestObject) (api.ListHearingsResponseObject, error) {
	ctx = requestContext(ctx)
	limit, after, err := pageParams(req.Params.Limit, req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	page, err := s.store.ListHearings(ctx, req.CaseId.String(), limit, after)
	if err != nil {
		return nil, err
	}
	out := api.ListHearings200JSONResponse{Items: make([]api.Hearing, len(page.Items)), NextCursor: nextCursor(page.NextAfterID)}
	for i, h := range page.Items {
		out.Items[i] = hearingBody(h)
	}
	return out, nil
}

// CreateHearing schedules a hearing in a case.
func (s *Server) CreateHearing(ctx context.Context, req api.CreateHearingRequestObject) (api.CreateHearingResponseObject, error) {
	ctx = requestContext(ctx)
	b := req.Body
	if b == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	h, err := s.store.CreateHearing(ctx, req.CaseId.String(), models.NewHearing{
		Kind:     models.HearingKind(b.Kind),
		StartsAt: b.StartsAt,
		Location: valueOr(b.Location),
		Status:   models.HearingStatus(valueOr(b.Status)),
		Notes:    valueOr(b.Notes),
	})
	if err != nil {
		return nil, err
	}
	return api.CreateHearing201JSONResponse{
		Body:    hearingBody(h),
		Headers: api.CreateHearing201ResponseHeaders{Location: new("/api/v1/hearings/" + h.ID), ETag: new(etag(h.Version))},
	}, nil
}

// GetHearing answers one hearing with its ETag.
func (s *Server) GetHearing(ctx context.Context, req api.GetHearingRequestObject) (api.GetHearingResponseObject, error) {
	h, err := s.store.HearingByID(requestContext(ctx), req.HearingId.String())
	if err != nil {
		return nil, err
	}
	return api.GetHearing200JSONResponse{Body: hearingBody(h), Headers: api.GetHearing200ResponseHeaders{ETag: new(etag(h.Version))}}, nil
}

// UpdateHearing applies a JSON merge patch to a hearing whose ETag the caller names in If-Match.
func (s *Server) UpdateHearing(ctx context.Context, req api.UpdateHearingRequestObject) (api.UpdateHearingResponseObject, error) {
	ctx = requestContext(ctx)
	id := req.HearingId.String()
	b := req.JSONBody
	if b == nil {
		b = req.ApplicationMergePatchPlusJSONBody
	}
	if b == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	current, err := s.store.HearingByID(ctx, id)
	if err != nil {
		return nil, err
	}
	version, err := ifMatch(req.Params.IfMatch, current.Version)
	if err != nil {
		return nil, err
	}
	u := models.HearingUpdate{
		StartsAt: optional(b.StartsAt),
		Location: optional(b.Location),
		Notes:    optional(b.Notes),
	}
	if b.Kind != nil {
		u.Kind = models.Some(models.HearingKind(*b.Kind))
	}
	if b.Status != nil {
		u.Status = models.Some(models.HearingStatus(*b.Status))
	}
	h, err := s.store.UpdateHearing(ctx, id, version, u)
	if err != nil {
		return nil, err
	}
	return api.UpdateHearing200JSONResponse{Body: hearingBody(h), Headers: api.UpdateHearing200ResponseHeaders{ETag: new(etag(h.Version))}}, nil
}

func hearingBody(h models.Hearing) api.Hearing {
	out := api.Hearing{
		Id:        uuid.MustParse(h.ID),
		CaseId:    uuid.MustParse(h.CaseID),
		Kind:      api.HearingKind(h.Kind),
		StartsAt:  h.StartsAt.UTC(),
		Location:  h.Location,
		Status:    api.HearingStatus(h.Status),
		CreatedAt: h.CreatedAt.UTC(),
		UpdatedAt: h.UpdatedAt.UTC(),
		Version:   h.Version,
	}
	if !h.NotesWithheld {
		out.Notes = new(h.Notes)
	}
	return out
}
