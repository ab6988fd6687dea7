package handlers

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/models"
)

// ListCases answers one page of cases, newest first.
func (s *Server) ListCases(ctx context.Context, req api.ListCasesRequestObject) (api.ListCasesResponseObject, error) {
	f := models.CaseFilter{Limit: models.DefaultPageSize}
	if req.Params.Q != nil {
		f.Query = *req.Params.Q
	}
	if req.Params.Status != nil {
		f.Status = models.CaseStatus(*req.Params.Status)
	}
	if req.Params.Limit != nil {
		f.Limit = *req.Params.Limit
	}
	if req.Params.Cursor != nil {
		after, err := decodeCursor(*req.Params.Cursor)
		if err != nil {
			return nil, err
		}
		f.AfterID = after
	}
	page, err := s.store.ListCases(ctx, f)
	if err != nil {
		return nil, err
	}
	out := api.ListCases200JSONResponse{Items: make([]api.Case, len(page.Items)), NextCursor: nextCursor(page.NextAfterID)}
	for i, c := range page.Items {
		out.Items[i] = caseBody(c)
	}
	return out, nil
}

// CreateCase opens a case.
func (s *Server) CreateCase(ctx context.Context, req api.CreateCaseRequestObject) (api.CreateCaseResponseObject, error) {
	b := req.Body
	if b == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	nc := models.NewCase{
		CourtCaseNumber: b.CourtCaseNumber,
		Caption:         b.Caption,
		Court:           b.Court,
		Jurisdiction:    b.Jurisdiction,
		SentencingDate:  dateIn(b.SentencingDate),
	}
	if b.Status != nil {
		nc.Status = models.CaseStatus(*b.Status)
	}
	if b.Notes != nil {
		nc.Notes = *b.Notes
	}
	c, err := s.store.CreateCase(ctx, nc)
	if err != nil {
		return nil, err
	}
	return api.CreateCase201JSONResponse{
		Body:    caseBody(c),
		Headers: api.CreateCase201ResponseHeaders{Location: new("/api/v1/cases/" + c.ID), ETag: new(etag(c.Version))},
	}, nil
}

// GetCase answers one case with its ETag.
func (s *Server) GetCase(ctx context.Context, req api.GetCaseRequestObject) (api.GetCaseResponseObject, error) {
	c, err := s.store.CaseByID(ctx, req.CaseId.String())
	if err != nil {
		return nil, err
	}
	return api.GetCase200JSONResponse{Body: caseBody(c), Headers: api.GetCase200ResponseHeaders{ETag: new(etag(c.Version))}}, nil
}

// UpdateCase applies a JSON merge patch to a case whose ETag the caller names in If-Match.
func (s *Server) UpdateCase(ctx context.Context, req api.UpdateCaseRequestObject) (api.UpdateCaseResponseObject, error) {
	id := req.CaseId.String()
	b := req.JSONBody
	if b == nil {
		b = req.ApplicationMergePatchPlusJSONBody
	}
	if b == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	version, err := s.ifMatchVersion(ctx, req.Params.IfMatch, func() error {
		_, err := s.store.CaseByID(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	u := models.CaseUpdate{
		CourtCaseNumber: optional(b.CourtCaseNumber),
		Caption:         optional(b.Caption),
		Court:           optional(b.Court),
		Jurisdiction:    optional(b.Jurisdiction),
		Notes:           optional(b.Notes),
	}
	if b.Status != nil {
		u.Status = models.Some(models.CaseStatus(*b.Status))
	}
	if b.SentencingDate.IsSpecified() {
		u.SentencingDate = models.Some(dateIn(b.SentencingDate))
	}
	c, err := s.store.UpdateCase(ctx, id, version, u)
	if err != nil {
		return nil, err
	}
	return api.UpdateCase200JSONResponse{Body: caseBody(c), Headers: api.UpdateCase200ResponseHeaders{ETag: new(etag(c.Version))}}, nil
}

// ifMatchVersion reads the version an If-Match header names. When the header is missing it first runs
// exists, so that a caller learns nothing about a record it may not see from a 428.
func (s *Server) ifMatchVersion(ctx context.Context, header *string, exists func() error) (int64, error) {
	if header == nil || strings.TrimSpace(*header) == "" {
		if err := exists(); err != nil {
			return 0, err
		}
		return 0, newProblem(http.StatusPreconditionRequired, "if-match-required", "If-Match is required",
			"Send the ETag you read in an If-Match header, so that you cannot overwrite someone else's change.")
	}
	tag := strings.TrimPrefix(strings.TrimSpace(*header), "W/")
	v, err := strconv.ParseInt(strings.Trim(tag, `"`), 10, 64)
	if err != nil || v < 1 {
		// A tag this server never issued cannot be current.
		if err := exists(); err != nil {
			return 0, err
		}
		return 0, models.ErrVersionMismatch
	}
	return v, nil
}

// etag renders a version as a strong entity tag.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

func caseBody(c models.Case) api.Case {
	out := api.Case{
		Id:              uuid.MustParse(c.ID),
		CourtCaseNumber: c.CourtCaseNumber,
		Caption:         c.Caption,
		Court:           c.Court,
		Jurisdiction:    c.Jurisdiction,
		Status:          api.CaseStatus(c.Status),
		SentencingDate:  dateOut(c.SentencingDate),
		Notes:           c.Notes,
		CreatedAt:       c.CreatedAt.UTC(),
		UpdatedAt:       c.UpdatedAt.UTC(),
		Version:         c.Version,
	}
	return out
}

// dateIn converts an optional, nullable contract date; absent and null both give nil.
func dateIn(d nullable.Nullable[openapi_types.Date]) *models.Date {
	v, err := d.Get()
	if err != nil {
		return nil
	}
	md := models.DateOf(v.Time)
	return &md
}

func dateOut(d *models.Date) nullable.Nullable[openapi_types.Date] {
	if d == nil {
		return nullable.NewNullNullable[openapi_types.Date]()
	}
	return nullable.NewNullableWithValue(openapi_types.Date{Time: d.Time()})
}

func optional[T any](p *T) models.Optional[T] {
	if p == nil {
		return models.Optional[T]{}
	}
	return models.Some(*p)
}

// Cursors are opaque to clients; today they wrap the last ID of the previous page.
func nextCursor(afterID string) nullable.Nullable[string] {
	if afterID == "" {
		return nullable.NewNullNullable[string]()
	}
	return nullable.NewNullableWithValue(base64.RawURLEncoding.EncodeToString([]byte(afterID)))
}

func decodeCursor(cursor string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || uuid.Validate(string(raw)) != nil {
		return "", badRequest("The cursor is not one this server issued.", map[string]string{"cursor": "is invalid"})
	}
	return string(raw), nil
}
