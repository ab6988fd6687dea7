package handlers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/models"
)

// ListAuditEvents answers one page of the audit trail, newest first.
func (s *Server) ListAuditEvents(ctx context.Context, req api.ListAuditEventsRequestObject) (api.ListAuditEventsResponseObject, error) {
	p := req.Params
	f := models.AuditFilter{}
	if p.ActorId != nil {
		f.ActorID = *p.ActorId
	}
	if p.CaseId != nil {
		f.CaseID = p.CaseId.String()
	}
	if p.Action != nil {
		f.Action = *p.Action
	}
	if p.Outcome != nil {
		f.Outcome = models.Outcome(*p.Outcome)
	}
	if p.From != nil {
		f.From = *p.From
	}
	if p.To != nil {
		f.To = *p.To
	}
	if p.Limit != nil {
		f.Limit = *p.Limit
	}
	if p.Cursor != nil {
		raw, err := base64.RawURLEncoding.DecodeString(*p.Cursor)
		seq, perr := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || perr != nil || seq < 1 {
			return nil, badRequest("The cursor is not one this server issued.", map[string]string{"cursor": "is invalid"})
		}
		f.BeforeSeq = seq
	}
	page, err := s.store.ListAuditEvents(requestContext(ctx), f)
	if err != nil {
		return nil, err
	}
	out := api.ListAuditEvents200JSONResponse{Items: make([]api.AuditEvent, len(page.Items)), NextCursor: nullable.NewNullNullable[string]()}
	for i, e := range page.Items {
		out.Items[i] = api.AuditEvent{
			Seq: e.Seq, Id: uuid.MustParse(e.ID), OccurredAt: e.OccurredAt.UTC(),
			ActorType: api.AuditEventActorType(e.ActorType), ActorId: e.ActorID, Action: e.Action,
			ObjectType: e.ObjectType, ObjectId: e.ObjectID, Outcome: api.AuditEventOutcome(e.Outcome),
			RequestId: e.RequestID, ClientIp: e.ClientIP, CaseId: nullable.NewNullNullable[uuid.UUID](),
			Detail: map[string]any{}, KeyId: e.KeyID,
		}
		if e.Detail != "" {
			// The store wrote it as a JSON object; a row that does not hold one (changed outside the service,
			// which audit verify reports) is shown without it rather than failing the whole page.
			var detail map[string]any
			if json.Unmarshal([]byte(e.Detail), &detail) == nil && detail != nil {
				out.Items[i].Detail = detail
			}
		}
		if e.CaseID != nil {
			out.Items[i].CaseId = nullable.NewNullableWithValue(uuid.MustParse(*e.CaseID))
		}
	}
	if page.NextBeforeSeq > 0 {
		out.NextCursor = nullable.NewNullableWithValue(base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(page.NextBeforeSeq, 10))))
	}
	return out, nil
}
