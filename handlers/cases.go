package handlers

import (
	"context"
	"encoding/base64"
	"net/http"
	"regexp"
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
	ctx = requestContext(ctx)
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
	ctx = requestContext(ctx)
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
	ctx = requestContext(ctx)
	c, err := s.store.CaseByID(ctx, req.CaseId.String())
	if err != nil {
		return nil, err
	}
	return api.GetCase200JSONResponse{Body: caseBody(c), Headers: api.GetCase200ResponseHeaders{ETag: new(etag(c.Version))}}, nil
}

// UpdateCase applies a JSON merge patch to a case whose ETag the caller names in If-Match.
func (s *Server) UpdateCase(ctx context.Context, req api.UpdateCaseRequestObject) (api.UpdateCaseResponseObject, error) {
	ctx = requestContext(ctx)
	id := req.CaseId.String()
	b := req.JSONBody
	if b == nil {
		b = req.ApplicationMergePatchPlusJSONBody
	}
	if b == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	// Whether the case exists comes first, so that preconditions never tell a caller about a case it
	// cannot see.
	current, err := s.store.CaseByID(ctx, id)
	if err != nil {
		return nil, err
	}
	version, err := ifMatch(req.Params.IfMatch, current.Version)
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
	// The store checks the version again inside its transaction, so a change that lands in between still
	// gets 412.
	c, err := s.store.UpdateCase(ctx, id, version, u)
	if err != nil {
		return nil, err
	}
	return api.UpdateCase200JSONResponse{Body: caseBody(c), Headers: api.UpdateCase200ResponseHeaders{ETag: new(etag(c.Version))}}, nil
}

// entityTag is one entity tag of an If-Match list (RFC 9110 section 8.8.3).
var entityTag = regexp.MustCompile(`^(W/)?"([\x21\x23-\x7e]*)"$`)

// ifMatch checks an If-Match header against the current version and returns that version when one of its
// strong tags names it. Missing (or *, which would skip the check) is 428, malformed 400, stale 412.
func ifMatch(header *string, current int64) (int64, error) {
	value := ""
	if header != nil {
		value = strings.TrimSpace(*header)
	}
	if value == "" || value == "*" {
		return 0, newProblem(http.StatusPreconditionRequired, "if-match-required", "If-Match is required",
			"Send the ETag you read in an If-Match header, so that you cannot overwrite someone else's change.")
	}
	want := etag(current)
	matched := false
	for _, tag := range strings.Split(value, ",") {
		m := entityTag.FindStringSubmatch(strings.TrimSpace(tag))
		if m == nil {
			return 0, badRequest(`If-Match must list entity tags such as "3".`, map[string]string{"If-Match": "is not an entity tag"})
		}
		// Only a strong tag can match for a change (RFC 9110 section 13.1.1).
		if m[1] == "" && `"`+m[2]+`"` == want {
			matched = true
		}
	}
	if !matched {
		return 0, models.ErrVersionMismatch
	}
	return current, nil
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
	if err != nil || !models.ValidID(string(raw)) {
		return "", badRequest("The cursor is not one this server issued.", map[string]string{"cursor": "is invalid"})
	}
	return string(raw), nil
}
