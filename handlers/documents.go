package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/documents"
	"github.com/impactledger/impactledger/models"
)

// errNoStorage means the server was built without document storage.
var errNoStorage = errors.New("no document storage is configured")

// UploadDocument streams the multipart body's file part, sealed, into document storage and records it
// against the loss. The body is read here and not by the contract middleware, which would hold it whole in
// memory; nothing of the file is ever held whole.
func (s *Server) UploadDocument(ctx context.Context, req api.UploadDocumentRequestObject) (api.UploadDocumentResponseObject, error) {
	ctx = requestContext(ctx)
	if s.documents == nil {
		return nil, errNoStorage
	}
	if req.Body == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	part, err := req.Body.NextPart()
	switch {
	case errors.Is(err, io.EOF):
		p := newProblem(http.StatusUnprocessableEntity, "validation", "The request is invalid", "The body has no file part.")
		p.Errors = map[string]string{"file": "is required"}
		return nil, p
	case err != nil:
		return nil, uploadError(ctx, &bodyReadError{err})
	}
	defer part.Close()
	if part.FormName() != "file" {
		return nil, badRequest("The body's first part must be the file, named file.",
			map[string]string{truncate(part.FormName(), 64): "is not a part of this operation"})
	}
	d, err := s.store.AddDocument(ctx, s.documents, req.LossId.String(), part.FileName(), bodyReader{part})
	if err != nil {
		return nil, uploadError(ctx, err)
	}
	return api.UploadDocument201JSONResponse{
		Body:    documentBody(d),
		Headers: api.UploadDocument201ResponseHeaders{Location: new("/api/v1/documents/" + d.ID)},
	}, nil
}

// bodyReadError marks an error met reading the request body, as opposed to one storing the file.
type bodyReadError struct{ err error }

func (e *bodyReadError) Error() string { return "reading the upload: " + e.err.Error() }
func (e *bodyReadError) Unwrap() error { return e.err }

// bodyReader marks its read errors as bodyReadErrors.
type bodyReader struct{ r io.Reader }

func (b bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &bodyReadError{err}
	}
	return n, err
}

// uploadError explains a failed upload: a body over the limit is 413 (problemFor), one too slow 408 (its
// problem), a client that went away gets no answer, and a body that breaks off or is not well-formed
// multipart is 400. Anything else is the server's.
func uploadError(ctx context.Context, err error) error {
	var readErr *bodyReadError
	var oversized *http.MaxBytesError
	var refused *Problem
	// A body refused as it was read (too slow) has ended the request's context too, yet it is answered.
	if !errors.As(err, &readErr) || errors.As(err, &oversized) || errors.As(err, &refused) {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return badRequest("The upload could not be read: the body is malformed or was cut off.", nil)
}

// GetDocument answers a document's metadata.
func (s *Server) GetDocument(ctx context.Context, req api.GetDocumentRequestObject) (api.GetDocumentResponseObject, error) {
	d, err := s.store.DocumentByID(requestContext(ctx), req.DocumentId.String())
	if err != nil {
		return nil, err
	}
	return api.GetDocument200JSONResponse(documentBody(d)), nil
}

// GetDocumentContent streams a document's plaintext as an attachment.
func (s *Server) GetDocumentContent(ctx context.Context, req api.GetDocumentContentRequestObject) (api.GetDocumentContentResponseObject, error) {
	ctx = requestContext(ctx)
	if s.documents == nil {
		return nil, errNoStorage
	}
	d, content, err := s.store.OpenDocument(ctx, s.documents, req.DocumentId.String())
	if err != nil {
		return nil, err
	}
	return documentDownload{ctx: ctx, doc: d, content: content}, nil
}

// documentDownload writes a document as an attachment, streaming it from storage through its decryption.
type documentDownload struct {
	ctx     context.Context
	doc     models.Document
	content io.ReadCloser
}

// VisitGetDocumentContentResponse sends the file with the type found at upload, never sniffed again by the
// browser, under its safe name.
func (d documentDownload) VisitGetDocumentContentResponse(w http.ResponseWriter) error {
	defer d.content.Close()
	contentType := d.doc.MediaType
	if contentType == documents.Text {
		contentType += "; charset=utf-8" // checked to be UTF-8 at upload
	}
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": d.doc.FileName})
	if disposition == "" {
		disposition = "attachment"
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", disposition)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.FormatInt(d.doc.SizeBytes, 10))
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, d.content); err != nil {
		// The status is sent; cutting the body short (against its Content-Length) is all that is left.
		slog.ErrorContext(d.ctx, "document download broke off", "document_id", d.doc.ID, "error_class", models.ErrorClass(err))
		return err
	}
	return nil
}

// VoidDocument voids a document for the reason given.
func (s *Server) VoidDocument(ctx context.Context, req api.VoidDocumentRequestObject) (api.VoidDocumentResponseObject, error) {
	if req.Body == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	d, err := s.store.VoidDocument(requestContext(ctx), req.DocumentId.String(), req.Body.Reason)
	if err != nil {
		return nil, err
	}
	return api.VoidDocument200JSONResponse(documentBody(d)), nil
}

func documentBody(d models.Document) api.Document {
	out := api.Document{
		Id:         uuid.MustParse(d.ID),
		LossId:     uuid.MustParse(d.LossID),
		CaseId:     uuid.MustParse(d.CaseID),
		FileName:   d.FileName,
		MediaType:  api.DocumentMediaType(d.MediaType),
		SizeBytes:  d.SizeBytes,
		Sha256:     d.SHA256,
		CreatedAt:  d.CreatedAt.UTC(),
		CreatedBy:  d.CreatedBy,
		VoidedAt:   nullTime(d.VoidedAt),
		VoidReason: nullable.NewNullNullable[string](),
		VoidedBy:   nullable.NewNullNullable[string](),
	}
	if d.VoidedAt != nil {
		out.VoidReason = nullable.NewNullableWithValue(d.VoidReason)
		out.VoidedBy = nullable.NewNullableWithValue(d.VoidedBy)
	}
	return out
}
