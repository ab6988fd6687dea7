package handlers

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/money"
)

// ListLosses answers one page of a victim's losses, newest first.
func (s *Server) ListLosses(ctx context.Context, req api.ListLossesRequestObject) (api.ListLossesResponseObject, error) {
	ctx = requestContext(ctx)
	p := req.Params
	limit, after, err := pageParams(p.Limit, p.Cursor)
	if err != nil {
		return nil, err
	}
	f := models.LossFilter{Limit: limit, AfterID: after, IncludeVoided: valueOr(p.IncludeVoided)}
	if p.Category != nil {
		f.Category = models.LossCategory(*p.Category)
	}
	if p.Status != nil {
		f.Status = models.LossStatus(*p.Status)
	}
	page, err := s.store.ListLosses(ctx, req.VictimId.String(), f)
	if err != nil {
		return nil, err
	}
	out := api.ListLosses200JSONResponse{Items: make([]api.Loss, len(page.Items)), NextCursor: nextCursor(page.NextAfterID)}
	for i, l := range page.Items {
		out.Items[i] = lossBody(l)
	}
	return out, nil
}

// CreateLoss records a claimed loss of a victim.
func (s *Server) CreateLoss(ctx context.Context, req api.CreateLossRequestObject) (api.CreateLossResponseObject, error) {
	ctx = requestContext(ctx)
	b := req.Body
	if b == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	nl := models.NewLoss{
		Category:        models.LossCategory(b.Category),
		ClaimedCents:    b.ClaimedCents,
		VerifiedCents:   b.VerifiedCents,
		ReimbursedCents: valueOr(b.ReimbursedCents),
		ReimbursedBy:    valueOr(b.ReimbursedBy),
		ChargeCount:     b.ChargeCount,
		HourlyRateCents: b.HourlyRateCents,
		Description:     valueOr(b.Description),
		IncurredOn:      dateOf(b.IncurredOn),
	}
	if b.DefendantId != nil {
		nl.DefendantID = b.DefendantId.String()
	}
	if b.Hours != nil {
		h, err := hoursIn(*b.Hours)
		if err != nil {
			return nil, err
		}
		nl.HoursHundredths = &h
	}
	l, err := s.store.CreateLoss(ctx, req.VictimId.String(), nl)
	if err != nil {
		return nil, err
	}
	return api.CreateLoss201JSONResponse{
		Body:    lossBody(l),
		Headers: api.CreateLoss201ResponseHeaders{Location: new("/api/v1/losses/" + l.ID), ETag: new(etag(l.Version))},
	}, nil
}

// GetLoss answers one loss, voided or not, with its documents and ETag.
func (s *Server) GetLoss(ctx context.Context, req api.GetLossRequestObject) (api.GetLossResponseObject, error) {
	l, err := s.store.LossByID(requestContext(ctx), req.LossId.String())
	if err != nil {
		return nil, err
	}
	return api.GetLoss200JSONResponse{Body: lossBody(l), Headers: api.GetLoss200ResponseHeaders{ETag: new(etag(l.Version))}}, nil
}

// UpdateLoss applies a JSON merge patch to a loss whose ETag the caller names in If-Match.
func (s *Server) UpdateLoss(ctx context.Context, req api.UpdateLossRequestObject) (api.UpdateLossResponseObject, error) {
	ctx = requestContext(ctx)
	id := req.LossId.String()
	b := req.JSONBody
	if b == nil {
		b = req.ApplicationMergePatchPlusJSONBody
	}
	if b == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	// Whether the loss is visible comes first, so that preconditions never tell a caller about a loss it
	// cannot see.
	current, err := s.store.LossVersion(ctx, id)
	if err != nil {
		return nil, err
	}
	version, err := ifMatch(req.Params.IfMatch, current)
	if err != nil {
		return nil, err
	}
	u := models.LossUpdate{
		ClaimedCents:    optional(b.ClaimedCents),
		ReimbursedCents: optional(b.ReimbursedCents),
		ReimbursedBy:    optional(b.ReimbursedBy),
		Description:     optional(b.Description),
		VerifiedCents:   clearableValue(b.VerifiedCents),
		ChargeCount:     clearableValue(b.ChargeCount),
		HourlyRateCents: clearableValue(b.HourlyRateCents),
	}
	if b.Category != nil {
		u.Category = models.Some(models.LossCategory(*b.Category))
	}
	if b.Status != nil {
		u.Status = models.Some(models.LossStatus(*b.Status))
	}
	if b.DefendantId.IsSpecified() {
		u.DefendantID = models.Some("")
		if d, err := b.DefendantId.Get(); err == nil {
			u.DefendantID = models.Some(d.String())
		}
	}
	if b.Hours.IsSpecified() {
		var h *int64
		if text, err := b.Hours.Get(); err == nil {
			n, err := hoursIn(text)
			if err != nil {
				return nil, err
			}
			h = &n
		}
		u.HoursHundredths = models.Some(h)
	}
	if b.IncurredOn.IsSpecified() {
		u.IncurredOn = models.Some(dateIn(b.IncurredOn))
	}
	l, err := s.store.UpdateLoss(ctx, id, version, u)
	if err != nil {
		return nil, err
	}
	return api.UpdateLoss200JSONResponse{Body: lossBody(l), Headers: api.UpdateLoss200ResponseHeaders{ETag: new(etag(l.Version))}}, nil
}

// VoidLoss voids a loss for the reason given; If-Match is optional.
func (s *Server) VoidLoss(ctx context.Context, req api.VoidLossRequestObject) (api.VoidLossResponseObject, error) {
	ctx = requestContext(ctx)
	id := req.LossId.String()
	if req.Body == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	current, err := s.store.LossVersion(ctx, id)
	if err != nil {
		return nil, err
	}
	version := int64(0)
	if req.Params.IfMatch != nil {
		if version, err = ifMatch(req.Params.IfMatch, current); err != nil {
			return nil, err
		}
	}
	l, err := s.store.VoidLoss(ctx, id, version, req.Body.Reason)
	if err != nil {
		return nil, err
	}
	return api.VoidLoss200JSONResponse{Body: lossBody(l), Headers: api.VoidLoss200ResponseHeaders{ETag: new(etag(l.Version))}}, nil
}

// GetLossSummary answers a case's loss totals by category, victim and kind of victim.
func (s *Server) GetLossSummary(ctx context.Context, req api.GetLossSummaryRequestObject) (api.GetLossSummaryResponseObject, error) {
	sum, err := s.store.LossSummaryOf(requestContext(ctx), req.CaseId.String())
	if err != nil {
		return nil, err
	}
	out := api.GetLossSummary200JSONResponse{
		CaseId:       uuid.MustParse(sum.CaseID),
		Totals:       totalsBody(sum.Totals),
		ByCategory:   make([]api.CategoryLossTotals, len(sum.ByCategory)),
		ByVictim:     make([]api.VictimLossTotals, len(sum.ByVictim)),
		ByVictimKind: make([]api.VictimKindLossTotals, len(sum.ByVictimKind)),
	}
	for i, c := range sum.ByCategory {
		out.ByCategory[i] = api.CategoryLossTotals{Category: api.LossCategory(c.Category), Totals: totalsBody(c.LossTotals)}
	}
	for i, v := range sum.ByVictim {
		out.ByVictim[i] = api.VictimLossTotals{VictimId: uuid.MustParse(v.VictimID), VictimKind: api.VictimKind(v.VictimKind),
			Totals: totalsBody(v.LossTotals)}
	}
	for i, k := range sum.ByVictimKind {
		out.ByVictimKind[i] = api.VictimKindLossTotals{VictimKind: api.VictimKind(k.VictimKind), Totals: totalsBody(k.LossTotals)}
	}
	return out, nil
}

func totalsBody(t models.LossTotals) api.LossTotals {
	return api.LossTotals{LossCount: t.Count, ClaimedCents: t.ClaimedCents, VerifiedCents: t.VerifiedCents,
		ReimbursedCents: t.ReimbursedCents, NetRequestedCents: t.NetRequestedCents}
}

func lossBody(l models.Loss) api.Loss {
	out := api.Loss{
		Id:              uuid.MustParse(l.ID),
		CaseId:          uuid.MustParse(l.CaseID),
		VictimId:        uuid.MustParse(l.VictimID),
		Category:        api.LossCategory(l.Category),
		ClaimedCents:    l.ClaimedCents,
		VerifiedCents:   nullValue(l.VerifiedCents),
		ReimbursedCents: l.ReimbursedCents,
		ReimbursedBy:    l.ReimbursedBy,
		DefendantId:     nullable.NewNullNullable[openapi_types.UUID](),
		ChargeCount:     nullValue(l.ChargeCount),
		Hours:           nullable.NewNullNullable[string](),
		HourlyRateCents: nullValue(l.HourlyRateCents),
		Description:     l.Description,
		IncurredOn:      dateOut(l.IncurredOn),
		Status:          api.LossStatus(l.Status),
		VoidedAt:        nullTime(l.VoidedAt),
		VoidReason:      nullable.NewNullNullable[string](),
		VoidedBy:        nullable.NewNullNullable[string](),
		Documents:       make([]api.Document, len(l.Documents)),
		CreatedAt:       l.CreatedAt.UTC(),
		CreatedBy:       l.CreatedBy,
		UpdatedAt:       l.UpdatedAt.UTC(),
		UpdatedBy:       l.UpdatedBy,
		Version:         l.Version,
	}
	if l.DefendantID != "" {
		out.DefendantId = nullable.NewNullableWithValue(uuid.MustParse(l.DefendantID))
	}
	if l.HoursHundredths != nil {
		out.Hours = nullable.NewNullableWithValue(money.FormatHours(*l.HoursHundredths))
	}
	if l.VoidedAt != nil {
		out.VoidReason = nullable.NewNullableWithValue(l.VoidReason)
		out.VoidedBy = nullable.NewNullableWithValue(l.VoidedBy)
	}
	for i, d := range l.Documents {
		out.Documents[i] = documentBody(d)
	}
	return out
}

// hoursIn reads hours as the contract writes them.
func hoursIn(text string) (int64, error) {
	h, err := money.ParseHours(text)
	if err != nil {
		return 0, &models.ValidationError{Fields: map[string]string{"hours": "must be a number of hours with at most two decimals, such as 12.5"}}
	}
	return h, nil
}

// clearableValue turns a nullable merge-patch value into an update: absent leaves the field alone, null
// clears it.
func clearableValue[T any](n nullable.Nullable[T]) models.Optional[*T] {
	if !n.IsSpecified() {
		return models.Optional[*T]{}
	}
	v, err := n.Get()
	if err != nil {
		return models.Some[*T](nil)
	}
	return models.Some(&v)
}

// nullValue renders an optional value: nil is null.
func nullValue[T any](p *T) nullable.Nullable[T] {
	if p == nil {
		return nullable.NewNullNullable[T]()
	}
	return nullable.NewNullableWithValue(*p)
}

func nullTime(t *time.Time) nullable.Nullable[time.Time] {
	if t == nil {
		return nullable.NewNullNullable[time.Time]()
	}
	return nullable.NewNullableWithValue(t.UTC())
}
