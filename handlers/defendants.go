package handlers

import (
	"context"

	"github.com/google/uuid"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/models"
)

// ListDefendants answers one page of a case's defendants with their charges, newest first.
func (s *Server) ListDefendants(ctx context.Context, req api.ListDefendantsRequestObject) (api.ListDefendantsResponseObject, error) {
	ctx = requestContext(ctx)
	limit, after, err := pageParams(req.Params.Limit, req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	page, err := s.store.ListDefendants(ctx, req.CaseId.String(), limit, after)
	if err != nil {
		return nil, err
	}
	out := api.ListDefendants200JSONResponse{Items: make([]api.Defendant, len(page.Items)), NextCursor: nextCursor(page.NextAfterID)}
	for i, d := range page.Items {
		out.Items[i] = defendantBody(d)
	}
	return out, nil
}

// CreateDefendant adds a defendant, with the counts charged, to a case.
func (s *Server) CreateDefendant(ctx context.Context, req api.CreateDefendantRequestObject) (api.CreateDefendantResponseObject, error) {
	ctx = requestContext(ctx)
	b := req.Body
	if b == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	nd := models.NewDefendant{Name: b.Name, DateOfBirth: dateOf(b.DateOfBirth)}
	if b.Charges != nil {
		nd.Charges = chargesIn(*b.Charges)
	}
	d, err := s.store.CreateDefendant(ctx, req.CaseId.String(), nd)
	if err != nil {
		return nil, err
	}
	return api.CreateDefendant201JSONResponse{
		Body:    defendantBody(d),
		Headers: api.CreateDefendant201ResponseHeaders{Location: new("/api/v1/defendants/" + d.ID), ETag: new(etag(d.Version))},
	}, nil
}

// GetDefendant answers one defendant with its charges and ETag.
func (s *Server) GetDefendant(ctx context.Context, req api.GetDefendantRequestObject) (api.GetDefendantResponseObject, error) {
	d, err := s.store.DefendantByID(requestContext(ctx), req.DefendantId.String())
	if err != nil {
		return nil, err
	}
	return api.GetDefendant200JSONResponse{Body: defendantBody(d), Headers: api.GetDefendant200ResponseHeaders{ETag: new(etag(d.Version))}}, nil
}

// UpdateDefendant applies a JSON merge patch to a defendant whose ETag the caller names in If-Match;
// charges, when given, replace the list.
func (s *Server) UpdateDefendant(ctx context.Context, req api.UpdateDefendantRequestObject) (api.UpdateDefendantResponseObject, error) {
	ctx = requestContext(ctx)
	id := req.DefendantId.String()
	b := req.JSONBody
	if b == nil {
		b = req.ApplicationMergePatchPlusJSONBody
	}
	if b == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	current, err := s.store.DefendantByID(ctx, id)
	if err != nil {
		return nil, err
	}
	version, err := ifMatch(req.Params.IfMatch, current.Version)
	if err != nil {
		return nil, err
	}
	u := models.DefendantUpdate{Name: optional(b.Name)}
	if b.DateOfBirth.IsSpecified() {
		u.DateOfBirth = models.Some(dateIn(b.DateOfBirth))
	}
	if b.Charges != nil {
		u.Charges = models.Some(chargesIn(*b.Charges))
	}
	d, err := s.store.UpdateDefendant(ctx, id, version, u)
	if err != nil {
		return nil, err
	}
	return api.UpdateDefendant200JSONResponse{Body: defendantBody(d), Headers: api.UpdateDefendant200ResponseHeaders{ETag: new(etag(d.Version))}}, nil
}

func defendantBody(d models.Defendant) api.Defendant {
	out := api.Defendant{
		Id:        uuid.MustParse(d.ID),
		CaseId:    uuid.MustParse(d.CaseID),
		Name:      d.Name,
		Charges:   make([]api.Charge, len(d.Charges)),
		CreatedAt: d.CreatedAt.UTC(),
		UpdatedAt: d.UpdatedAt.UTC(),
		Version:   d.Version,
	}
	if !d.DOBWithheld {
		out.DateOfBirth = dateOut(d.DateOfBirth)
	}
	for i, c := range d.Charges {
		out.Charges[i] = api.Charge{Id: uuid.MustParse(c.ID), CountNumber: c.CountNumber, Statute: c.Statute,
			Description: c.Description, Disposition: api.Disposition(c.Disposition)}
	}
	return out
}

func chargesIn(in []api.ChargeInput) []models.NewCharge {
	out := make([]models.NewCharge, len(in))
	for i, c := range in {
		out[i] = models.NewCharge{CountNumber: c.CountNumber, Statute: c.Statute, Description: valueOr(c.Description),
			Disposition: models.Disposition(valueOr(c.Disposition))}
	}
	return out
}

// pageParams reads the paging parameters every list shares.
func pageParams(limit *int, cursor *string) (int, string, error) {
	n := valueOr(limit)
	if cursor == nil {
		return n, "", nil
	}
	after, err := decodeCursor(*cursor)
	return n, after, err
}
