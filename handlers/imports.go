package handlers

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/victimcsv"
)

// CreateVictimImport streams a CSV victim list, sealed, into document storage and starts importing it. The
// body is read here, not by the contract middleware, which would hold all 64 MiB in memory.
func (s *Server) CreateVictimImport(ctx context.Context, req api.CreateVictimImportRequestObject) (api.CreateVictimImportResponseObject, error) {
	ctx = requestContext(ctx)
	if s.documents == nil {
		return nil, errNoStorage
	}
	if req.Body == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	key := ""
	if req.Params.IdempotencyKey != nil {
		key = *req.Params.IdempotencyKey
	}
	imp, _, err := s.store.StartVictimImport(ctx, s.documents, req.CaseId.String(), key, bodyReader{req.Body})
	if err != nil {
		return nil, uploadError(ctx, err)
	}
	return api.CreateVictimImport202JSONResponse{
		Body:    victimImportBody(imp),
		Headers: api.CreateVictimImport202ResponseHeaders{Location: new("/api/v1/victim-imports/" + imp.ID)},
	}, nil
}

// GetVictimImport answers an import's progress, with its first errors.
func (s *Server) GetVictimImport(ctx context.Context, req api.GetVictimImportRequestObject) (api.GetVictimImportResponseObject, error) {
	imp, err := s.store.VictimImportByID(requestContext(ctx), req.ImportId.String())
	if err != nil {
		return nil, err
	}
	return api.GetVictimImport200JSONResponse{Body: victimImportBody(imp), Headers: api.GetVictimImport200ResponseHeaders{
		ETag: new(importETag(imp)),
	}}, nil
}

// ListVictimImports answers one page of a case's imports, newest first.
func (s *Server) ListVictimImports(ctx context.Context, req api.ListVictimImportsRequestObject) (api.ListVictimImportsResponseObject, error) {
	ctx = requestContext(ctx)
	limit, after := 0, ""
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	if req.Params.Cursor != nil {
		var err error
		if after, err = decodeCursor(*req.Params.Cursor); err != nil {
			return nil, err
		}
	}
	page, err := s.store.ListVictimImports(ctx, req.CaseId.String(), limit, after)
	if err != nil {
		return nil, err
	}
	out := api.ListVictimImports200JSONResponse{Items: make([]api.VictimImportSummary, len(page.Items)), NextCursor: nextCursor(page.NextAfterID)}
	for i, imp := range page.Items {
		out.Items[i] = victimImportSummary(imp)
	}
	return out, nil
}

// GetVictimImportErrors streams an import's whole error report as a CSV attachment, once the caller is known
// to see the import: up to 100,000 rows, never held whole.
func (s *Server) GetVictimImportErrors(ctx context.Context, req api.GetVictimImportErrorsRequestObject) (api.GetVictimImportErrorsResponseObject, error) {
	ctx = requestContext(ctx)
	id := req.ImportId.String()
	if _, err := s.store.VictimImportByID(ctx, id); err != nil {
		return nil, err
	}
	body, w := io.Pipe()
	go func() {
		w.CloseWithError(victimcsv.WriteReport(w, func(each func(victimcsv.Problem) error) error {
			return s.store.VictimImportErrors(ctx, id, each)
		}))
	}()
	return api.GetVictimImportErrors200TextcsvResponse{
		Body: body,
		Headers: api.GetVictimImportErrors200ResponseHeaders{
			ContentDisposition: new(`attachment; filename="import-` + id + `-errors.csv"`),
		},
	}, nil
}

// importETag names the state of an import, which changes as it goes, for pollers to compare.
func importETag(imp models.VictimImport) string {
	return fmt.Sprintf(`W/"%s-%d-%d-%d"`, imp.Status, imp.RowsTotal, imp.RowsDone, imp.ErrorCount)
}

func victimImportSummary(imp models.VictimImport) api.VictimImportSummary {
	out := api.VictimImportSummary{
		Id: uuid.MustParse(imp.ID), CaseId: uuid.MustParse(imp.CaseID), Status: api.VictimImportStatus(imp.Status),
		Source: api.VictimImportSummarySource(imp.Source), FileSizeBytes: imp.FileSizeBytes, RowsTotal: imp.RowsTotal,
		RowsDone: imp.RowsDone, Created: imp.VictimsCreated, LossesCreated: imp.LossesCreated, ErrorCount: imp.ErrorCount,
		CreatedAt: imp.CreatedAt, CreatedBy: imp.CreatedBy, Failure: nullable.NewNullNullable[api.VictimImportSummaryFailure](),
		FinishedAt: nullable.NewNullNullable[time.Time](),
	}
	if imp.Failure != "" {
		out.Failure = nullable.NewNullableWithValue(api.VictimImportSummaryFailure(imp.Failure))
	}
	if imp.FinishedAt != nil {
		out.FinishedAt = nullable.NewNullableWithValue(*imp.FinishedAt)
	}
	return out
}

func victimImportBody(imp models.VictimImport) api.VictimImport {
	sum := victimImportSummary(imp)
	out := api.VictimImport{
		Id: sum.Id, CaseId: sum.CaseId, Status: sum.Status, Source: api.VictimImportSource(sum.Source),
		FileSizeBytes: sum.FileSizeBytes, RowsTotal: sum.RowsTotal, RowsDone: sum.RowsDone, Created: sum.Created,
		LossesCreated: sum.LossesCreated, ErrorCount: sum.ErrorCount, CreatedAt: sum.CreatedAt, CreatedBy: sum.CreatedBy,
		FinishedAt: sum.FinishedAt, Failure: nullable.NewNullNullable[api.VictimImportFailure](),
		Errors: make([]api.ImportError, len(imp.Errors)),
	}
	if imp.Failure != "" {
		out.Failure = nullable.NewNullableWithValue(api.VictimImportFailure(imp.Failure))
	}
	for i, e := range imp.Errors {
		out.Errors[i] = api.ImportError{Line: e.Line, Column: e.Column, Message: e.Message}
	}
	return out
}
