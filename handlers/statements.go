package handlers

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/models"
)

// defaultTextPageSize is the page size of lists whose items carry statement text, when none is asked for.
const defaultTextPageSize = 10

// ListStatements answers one page of a victim's statements, newest first.
func (s *Server) ListStatements(ctx context.Context, req api.ListStatementsRequestObject) (api.ListStatementsResponseObject, error) {
	ctx = requestContext(ctx)
	limit, after, err := textPage(req.Params.Limit, req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	page, err := s.store.ListStatements(ctx, req.VictimId.String(), limit, after)
	if err != nil {
		return nil, err
	}
	out := api.ListStatements200JSONResponse{Items: make([]api.Statement, len(page.Items)), NextCursor: nextCursor(page.NextAfterID)}
	for i, st := range page.Items {
		out.Items[i] = statementBody(st)
	}
	return out, nil
}

// CreateStatement starts a victim's impact statement as a draft.
func (s *Server) CreateStatement(ctx context.Context, req api.CreateStatementRequestObject) (api.CreateStatementResponseObject, error) {
	ctx = requestContext(ctx)
	b := req.Body
	if b == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	text := models.StatementText{
		Language:           valueOr(b.Language),
		Delivery:           models.Delivery(valueOr(b.Delivery)),
		RestitutionRequest: valueOr(b.RestitutionRequestText),
	}
	if sec := b.Sections; sec != nil {
		text.Sections = models.Sections{
			Emotional: valueOr(sec.Emotional), Physical: valueOr(sec.Physical),
			Financial: valueOr(sec.Financial), Other: valueOr(sec.Other),
		}
	}
	st, err := s.store.CreateStatement(ctx, req.VictimId.String(), text)
	if err != nil {
		return nil, err
	}
	return api.CreateStatement201JSONResponse{
		Body:    statementBody(st),
		Headers: api.CreateStatement201ResponseHeaders{Location: new("/api/v1/statements/" + st.ID), ETag: new(etag(st.Version))},
	}, nil
}

// GetStatement answers one statement as of its current revision, with its final revision.
func (s *Server) GetStatement(ctx context.Context, req api.GetStatementRequestObject) (api.GetStatementResponseObject, error) {
	ctx = requestContext(ctx)
	st, err := s.store.StatementByID(ctx, req.StatementId.String())
	if err != nil {
		return nil, err
	}
	return api.GetStatement200JSONResponse{Body: statementBody(st), Headers: api.GetStatement200ResponseHeaders{ETag: new(etag(st.Version))}}, nil
}

// UpdateStatement applies a JSON merge patch to a statement whose ETag the caller names in If-Match, saving
// a new revision.
func (s *Server) UpdateStatement(ctx context.Context, req api.UpdateStatementRequestObject) (api.UpdateStatementResponseObject, error) {
	ctx = requestContext(ctx)
	id := req.StatementId.String()
	b := req.JSONBody
	if b == nil {
		b = req.ApplicationMergePatchPlusJSONBody
	}
	if b == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	// Whether the statement is visible comes first, so that preconditions never tell a caller about a
	// statement it cannot see; the version alone is read, so that this check is not a read of its text.
	current, err := s.store.StatementVersion(ctx, id)
	if err != nil {
		return nil, err
	}
	version, err := ifMatch(req.Params.IfMatch, current)
	if err != nil {
		return nil, err
	}
	u := models.StatementUpdate{
		Language:           optional(b.Language),
		RestitutionRequest: clearable(b.RestitutionRequestText),
	}
	if b.Delivery != nil {
		u.Delivery = models.Some(models.Delivery(*b.Delivery))
	}
	if sec := b.Sections; sec != nil {
		u.Emotional, u.Physical = clearable(sec.Emotional), clearable(sec.Physical)
		u.Financial, u.Other = clearable(sec.Financial), clearable(sec.Other)
	}
	st, err := s.store.UpdateStatement(ctx, id, version, u)
	if err != nil {
		return nil, err
	}
	return api.UpdateStatement200JSONResponse{Body: statementBody(st), Headers: api.UpdateStatement200ResponseHeaders{ETag: new(etag(st.Version))}}, nil
}

// ListStatementRevisions answers one page of a statement's revisions, newest first, each with its text.
func (s *Server) ListStatementRevisions(ctx context.Context, req api.ListStatementRevisionsRequestObject) (api.ListStatementRevisionsResponseObject, error) {
	ctx = requestContext(ctx)
	limit, after, err := textPage(req.Params.Limit, req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	page, err := s.store.ListStatementRevisions(ctx, req.StatementId.String(), limit, after)
	if err != nil {
		return nil, err
	}
	out := api.ListStatementRevisions200JSONResponse{Items: make([]api.StatementRevision, len(page.Items)), NextCursor: nextCursor(page.NextAfterID)}
	for i, rev := range page.Items {
		out.Items[i] = revisionBody(rev)
	}
	return out, nil
}

// SubmitStatement submits a draft statement.
func (s *Server) SubmitStatement(ctx context.Context, req api.SubmitStatementRequestObject) (api.SubmitStatementResponseObject, error) {
	ctx = requestContext(ctx)
	id := req.StatementId.String()
	version, err := s.optionalIfMatch(ctx, id, req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	st, err := s.store.SubmitStatement(ctx, id, version)
	if err != nil {
		return nil, err
	}
	return api.SubmitStatement200JSONResponse{Body: statementBody(st), Headers: api.SubmitStatement200ResponseHeaders{ETag: new(etag(st.Version))}}, nil
}

// FinalizeStatement finalizes a submitted statement.
func (s *Server) FinalizeStatement(ctx context.Context, req api.FinalizeStatementRequestObject) (api.FinalizeStatementResponseObject, error) {
	ctx = requestContext(ctx)
	id := req.StatementId.String()
	version, err := s.optionalIfMatch(ctx, id, req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	st, err := s.store.FinalizeStatement(ctx, id, version)
	if err != nil {
		return nil, err
	}
	return api.FinalizeStatement200JSONResponse{Body: statementBody(st), Headers: api.FinalizeStatement200ResponseHeaders{ETag: new(etag(st.Version))}}, nil
}

// optionalIfMatch honours an action's If-Match when one is sent: it answers the version the action must
// find (0 for any), after checking that the statement is visible, so that a precondition never tells a
// caller about a statement it cannot see. "*" matches any version.
func (s *Server) optionalIfMatch(ctx context.Context, id string, header *string) (int64, error) {
	if header == nil || strings.TrimSpace(*header) == "" || strings.TrimSpace(*header) == "*" {
		return 0, nil
	}
	current, err := s.store.StatementVersion(ctx, id)
	if err != nil {
		return 0, err
	}
	return ifMatch(header, current)
}

// textPage reads the page parameters of a list whose items carry statement text.
func textPage(limit *int, cursor *string) (int, string, error) {
	n := defaultTextPageSize
	if limit != nil {
		n = *limit
	}
	after := ""
	if cursor != nil {
		var err error
		if after, err = decodeCursor(*cursor); err != nil {
			return 0, "", err
		}
	}
	return n, after, nil
}

func statementBody(st models.Statement) api.Statement {
	out := api.Statement{
		Id:                     uuid.MustParse(st.ID),
		CaseId:                 uuid.MustParse(st.CaseID),
		VictimId:               uuid.MustParse(st.VictimID),
		Status:                 api.StatementStatus(st.Status),
		Revision:               st.Revision,
		FinalRevision:          nullable.NewNullNullable[int](),
		Language:               st.Language,
		Delivery:               api.StatementDelivery(st.Delivery),
		Sections:               sectionsBody(st.Sections),
		RestitutionRequestText: nullString(st.RestitutionRequest),
		CreatedAt:              st.CreatedAt.UTC(),
		UpdatedAt:              st.UpdatedAt.UTC(),
		Version:                st.Version,
	}
	if st.Final != nil {
		out.FinalRevision = nullable.NewNullableWithValue(st.Final.Number)
		out.Final = new(revisionBody(*st.Final))
	}
	return out
}

func revisionBody(rev models.StatementRevision) api.StatementRevision {
	out := api.StatementRevision{
		Number:                 rev.Number,
		Status:                 api.StatementStatus(rev.Status),
		Language:               rev.Language,
		Delivery:               api.StatementDelivery(rev.Delivery),
		Sections:               sectionsBody(rev.Sections),
		RestitutionRequestText: nullString(rev.RestitutionRequest),
		CreatedAt:              rev.CreatedAt.UTC(),
		CreatedBy:              nullable.NewNullNullable[openapi_types.UUID](),
	}
	if by, err := uuid.Parse(rev.CreatedBy); err == nil {
		out.CreatedBy = nullable.NewNullableWithValue(by)
	}
	return out
}

func sectionsBody(s models.Sections) api.StatementSections {
	return api.StatementSections{
		Emotional: nullString(s.Emotional), Physical: nullString(s.Physical),
		Financial: nullString(s.Financial), Other: nullString(s.Other),
	}
}
