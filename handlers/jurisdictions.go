package handlers

import (
	"context"

	"github.com/impactledger/impactledger/api"
)

// ListJurisdictions answers every jurisdiction profile a case may name.
func (s *Server) ListJurisdictions(ctx context.Context, _ api.ListJurisdictionsRequestObject) (api.ListJurisdictionsResponseObject, error) {
	js, err := s.store.ListJurisdictions(requestContext(ctx))
	if err != nil {
		return nil, err
	}
	out := api.ListJurisdictions200JSONResponse{Items: make([]api.Jurisdiction, len(js))}
	for i, j := range js {
		out.Items[i] = api.Jurisdiction{Code: j.Code, Name: j.Name}
	}
	return out, nil
}
