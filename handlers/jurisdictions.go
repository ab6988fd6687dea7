package handlers

import (
	"context"

	"github.com/oapi-codegen/nullable"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/models"
)

// ListJurisdictions answers every jurisdiction profile a case may name.
func (s *Server) ListJurisdictions(ctx context.Context, _ api.ListJurisdictionsRequestObject) (api.ListJurisdictionsResponseObject, error) {
	js, err := s.store.ListJurisdictions(requestContext(ctx))
	if err != nil {
		return nil, err
	}
	out := api.ListJurisdictions200JSONResponse{Items: make([]api.Jurisdiction, len(js))}
	for i, j := range js {
		out.Items[i] = jurisdictionBody(j)
	}
	return out, nil
}

// GetJurisdiction answers one profile with its terms.
func (s *Server) GetJurisdiction(ctx context.Context, req api.GetJurisdictionRequestObject) (api.GetJurisdictionResponseObject, error) {
	j, err := s.store.JurisdictionByCode(requestContext(ctx), req.Code)
	if err != nil {
		return nil, err
	}
	return api.GetJurisdiction200JSONResponse{Body: jurisdictionBody(j),
		Headers: api.GetJurisdiction200ResponseHeaders{ETag: new(etag(j.Version))}}, nil
}

// PutJurisdiction replaces or creates a profile; orders already entered keep their own copy of its terms.
func (s *Server) PutJurisdiction(ctx context.Context, req api.PutJurisdictionRequestObject) (api.PutJurisdictionResponseObject, error) {
	b := req.Body
	u := models.JurisdictionUpdate{Name: b.Name, JurisdictionTerms: models.JurisdictionTerms{
		InterestMode: models.InterestMode(b.Interest.Mode), ThresholdCents: b.Interest.ThresholdCents,
		WaiverDays: int64(b.Interest.WaivedIfPrincipalPaidWithinDays), Classes: make([][]models.VictimKind, len(b.PriorityClasses)),
	}}
	if rate, err := b.Interest.AnnualRateBps.Get(); err == nil {
		u.AnnualRateBps = new(int64(rate))
	}
	for i, class := range b.PriorityClasses {
		for _, k := range class {
			u.Classes[i] = append(u.Classes[i], models.VictimKind(k))
		}
	}
	j, created, err := s.store.PutJurisdiction(requestContext(ctx), req.Code, u)
	if err != nil {
		return nil, err
	}
	if created {
		return api.PutJurisdiction201JSONResponse{Body: jurisdictionBody(j),
			Headers: api.PutJurisdiction201ResponseHeaders{Location: new("/api/v1/jurisdictions/" + j.Code)}}, nil
	}
	return api.PutJurisdiction200JSONResponse(jurisdictionBody(j)), nil
}

func jurisdictionBody(j models.Jurisdiction) api.Jurisdiction {
	out := api.Jurisdiction{Code: j.Code, Name: j.Name, Interest: api.InterestTerms{
		Mode: api.InterestMode(j.InterestMode), ThresholdCents: j.ThresholdCents,
		WaivedIfPrincipalPaidWithinDays: int(j.WaiverDays), AnnualRateBps: nullable.NewNullNullable[int](),
	}, PriorityClasses: priorityClasses(j.Classes)}
	if j.AnnualRateBps != nil {
		out.Interest.AnnualRateBps = nullable.NewNullableWithValue(int(*j.AnnualRateBps))
	}
	return out
}

func priorityClasses(classes [][]models.VictimKind) api.PriorityClasses {
	out := make(api.PriorityClasses, len(classes))
	for i, class := range classes {
		out[i] = make([]api.VictimKind, len(class))
		for k, kind := range class {
			out[i][k] = api.VictimKind(kind)
		}
	}
	return out
}
