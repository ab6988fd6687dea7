package handlers

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/money"
	"github.com/impactledger/impactledger/restitution"
)

// GetRestitutionRequest suggests an order's lines from the case's verified losses.
func (s *Server) GetRestitutionRequest(ctx context.Context, req api.GetRestitutionRequestRequestObject) (api.GetRestitutionRequestResponseObject, error) {
	r, err := s.store.RestitutionRequestOf(requestContext(ctx), req.CaseId.String())
	if err != nil {
		return nil, err
	}
	out := api.GetRestitutionRequest200JSONResponse{CaseId: req.CaseId, Jurisdiction: r.Jurisdiction, Lines: make([]api.RestitutionRequestLine, len(r.Lines))}
	for i, l := range r.Lines {
		out.Lines[i] = api.RestitutionRequestLine{VictimId: uuid.MustParse(l.VictimID), VictimName: l.Name, VictimKind: api.VictimKind(l.Kind),
			AmountCents: l.AmountCents, Basis: api.RestitutionRequestLineBasis(l.Basis)}
		out.TotalCents += l.AmountCents
	}
	return out, nil
}

// CreateRestitutionOrder enters an order with the terms of its jurisdiction profile.
func (s *Server) CreateRestitutionOrder(ctx context.Context, req api.CreateRestitutionOrderRequestObject) (api.CreateRestitutionOrderResponseObject, error) {
	ctx = requestContext(ctx)
	b := req.Body
	no := models.NewRestitutionOrder{OrderedOn: models.DateOf(b.OrderedOn.Time), Jurisdiction: valueOr(b.Jurisdiction),
		CourtOrderReference: valueOr(b.CourtOrderReference), DefendantIDs: make([]string, len(b.DefendantIds)),
		Lines: make([]models.NewOrderLine, len(b.Lines))}
	if b.InterestRateBps != nil {
		no.InterestRateBps = new(int64(*b.InterestRateBps))
	}
	for i, d := range b.DefendantIds {
		no.DefendantIDs[i] = d.String()
	}
	for i, l := range b.Lines {
		no.Lines[i] = models.NewOrderLine{VictimID: l.VictimId.String(), AmountCents: l.AmountCents}
	}
	o, err := s.store.CreateRestitutionOrder(ctx, req.CaseId.String(), no)
	if err != nil {
		return nil, err
	}
	st, err := s.store.RestitutionOrderByID(ctx, o.ID, o.OrderedOn, models.LinePage{})
	if err != nil {
		return nil, err
	}
	return api.CreateRestitutionOrder201JSONResponse{Body: orderBody(st),
		Headers: api.CreateRestitutionOrder201ResponseHeaders{Location: new("/api/v1/restitution-orders/" + o.ID)}}, nil
}

// caseInReach answers models.ErrNotFound unless the case exists and the caller may see it.
func (s *Server) caseInReach(ctx context.Context, caseID string) error {
	_, err := s.store.CaseByID(requestContext(ctx), caseID)
	return err
}

// asOf is the day a view is asked for: the as_of parameter, or today.
func (s *Server) asOf(d *openapi_types.Date) models.Date {
	if d != nil {
		return models.DateOf(d.Time)
	}
	return s.store.Today()
}

// GetRestitutionOrder answers an order with its lines' balances as of a day.
func (s *Server) GetRestitutionOrder(ctx context.Context, req api.GetRestitutionOrderRequestObject) (api.GetRestitutionOrderResponseObject, error) {
	page := models.LinePage{Limit: valueOr(req.Params.Limit)}
	if req.Params.Cursor != nil {
		var err error
		if page.AfterVictimID, err = decodeCursor(*req.Params.Cursor); err != nil {
			return nil, err
		}
	}
	st, err := s.store.RestitutionOrderByID(requestContext(ctx), req.OrderId.String(), s.asOf(req.Params.AsOf), page)
	if err != nil {
		return nil, err
	}
	// The answer changes with the day asked about, the page, and each entry posted.
	tag := fmt.Sprintf(`W/"%s-%d-%s-%d-%d"`, st.Order.ID, st.LastSeq, st.Balance.AsOf, st.First, st.Last)
	return api.GetRestitutionOrder200JSONResponse{Body: orderBody(st), Headers: api.GetRestitutionOrder200ResponseHeaders{ETag: &tag}}, nil
}

// ListRestitutionOrders answers one page of a case's orders with their totals today.
func (s *Server) ListRestitutionOrders(ctx context.Context, req api.ListRestitutionOrdersRequestObject) (api.ListRestitutionOrdersResponseObject, error) {
	after := ""
	if req.Params.Cursor != nil {
		var err error
		if after, err = decodeCursor(*req.Params.Cursor); err != nil {
			return nil, err
		}
	}
	page, err := s.store.ListRestitutionOrders(requestContext(ctx), req.CaseId.String(), s.asOf(nil), valueOr(req.Params.Limit), after)
	if err != nil {
		return nil, err
	}
	out := api.ListRestitutionOrders200JSONResponse{Items: make([]api.RestitutionOrderSummary, len(page.Items)), NextCursor: nextCursor(page.NextAfterID)}
	for i, st := range page.Items {
		o := st.Order
		out.Items[i] = api.RestitutionOrderSummary{Id: uuid.MustParse(o.ID), OrderedOn: openapi_types.Date{Time: o.OrderedOn.Time()},
			Jurisdiction: o.Jurisdiction, DefendantIds: uuids(o.DefendantIDs), CourtOrderReference: optionalText(o.CourtOrderReference),
			LineCount: len(o.Lines), Totals: restitutionTotals(sumLines(st.Balance.Lines)), UnappliedCreditCents: st.Balance.UnappliedCents}
	}
	return out, nil
}

func uuids(ids []string) []openapi_types.UUID {
	out := make([]openapi_types.UUID, len(ids))
	for i, id := range ids {
		out[i] = uuid.MustParse(id)
	}
	return out
}

func optionalText(s string) nullable.Nullable[string] {
	if s == "" {
		return nullable.NewNullNullable[string]()
	}
	return nullable.NewNullableWithValue(s)
}

func optionalID(s string) nullable.Nullable[openapi_types.UUID] {
	if s == "" {
		return nullable.NewNullNullable[openapi_types.UUID]()
	}
	return nullable.NewNullableWithValue(uuid.MustParse(s))
}

func sumLines(lines []restitution.LineBalance) models.Totals {
	var t models.Totals
	for _, l := range lines {
		t.Add(l)
	}
	return t
}

func restitutionTotals(t models.Totals) api.RestitutionTotals {
	return api.RestitutionTotals{OrderedCents: t.OrderedCents, AdjustedCents: t.AdjustedCents, PrincipalPaidCents: t.PrincipalPaidCents,
		PrincipalOutstandingCents: t.PrincipalOutstandingCents(), InterestAccruedCents: t.InterestAccruedCents,
		InterestPaidCents: t.InterestPaidCents, InterestOutstandingCents: t.InterestOutstandingCents(), BalanceCents: t.BalanceCents(),
		DisbursedCents: t.DisbursedCents, UndisbursedCents: t.UndisbursedCents, OverDisbursedCents: t.OverDisbursedCents}
}

func lineBody(l restitution.LineBalance, name string) api.RestitutionLine {
	t := restitutionTotals(sumLines([]restitution.LineBalance{l}))
	return api.RestitutionLine{VictimId: uuid.MustParse(l.VictimID), VictimName: name, VictimKind: api.VictimKind(l.Kind),
		OrderedCents: t.OrderedCents, AdjustedCents: t.AdjustedCents, PrincipalPaidCents: t.PrincipalPaidCents,
		PrincipalOutstandingCents: t.PrincipalOutstandingCents, InterestAccruedCents: t.InterestAccruedCents,
		InterestPaidCents: t.InterestPaidCents, InterestOutstandingCents: t.InterestOutstandingCents, BalanceCents: t.BalanceCents,
		DisbursedCents: t.DisbursedCents, UndisbursedCents: t.UndisbursedCents, OverDisbursedCents: t.OverDisbursedCents}
}

func orderBody(st models.OrderStatement) api.RestitutionOrder {
	o, b := st.Order, st.Balance
	out := api.RestitutionOrder{Id: uuid.MustParse(o.ID), CaseId: uuid.MustParse(o.CaseID), OrderedOn: openapi_types.Date{Time: o.OrderedOn.Time()},
		Jurisdiction: o.Jurisdiction, Terms: api.OrderTerms{InterestMode: api.InterestMode(o.Terms.InterestMode), AnnualRateBps: int(o.Terms.RateBps),
			ThresholdCents: o.Terms.ThresholdCents, WaivedIfPrincipalPaidWithinDays: int(o.Terms.WaiverDays), PriorityClasses: priorityClasses(o.Terms.Classes)},
		InterestWaived: b.InterestWaived, DefendantIds: uuids(o.DefendantIDs), CourtOrderReference: optionalText(o.CourtOrderReference),
		CreatedAt: o.CreatedAt, AsOf: openapi_types.Date{Time: b.AsOf.Time()}, LineCount: len(b.Lines),
		Lines: make([]api.RestitutionLine, 0, st.Last-st.First), LinesNextCursor: nextCursor(st.NextAfterVictimID),
		Totals: restitutionTotals(sumLines(b.Lines)), UnappliedCreditCents: b.UnappliedCents}
	for i := st.First; i < st.Last; i++ {
		out.Lines = append(out.Lines, lineBody(b.Lines[i], o.Lines[i].VictimName))
	}
	return out
}

func allocationsBody(as []restitution.Allocation) []api.Allocation {
	out := make([]api.Allocation, len(as))
	for i, a := range as {
		out[i] = api.Allocation{VictimId: uuid.MustParse(a.VictimID), PrincipalCents: a.PrincipalCents, InterestCents: a.InterestCents}
	}
	return out
}

func paymentBody(e models.LedgerEntry) api.Payment {
	return api.Payment{Id: uuid.MustParse(e.ID), OrderId: uuid.MustParse(e.OrderID), AmountCents: e.AmountCents,
		ReceivedOn: openapi_types.Date{Time: e.EffectiveOn.Time()}, PayerDefendantId: uuid.MustParse(e.PayerDefendantID),
		Method: api.PaymentMethod(e.Method), Reference: optionalText(e.Reference), Allocations: allocationsBody(e.Allocations),
		UnappliedCents: e.UnappliedCents, ReversedBy: optionalID(e.ReversedBy), CreatedAt: e.CreatedAt}
}

func entryBody(e models.LedgerEntry) api.LedgerEntry {
	return api.LedgerEntry{Id: uuid.MustParse(e.ID), OrderId: uuid.MustParse(e.OrderID), Seq: e.Seq, Kind: api.LedgerEntryKind(e.Kind),
		EffectiveOn: openapi_types.Date{Time: e.EffectiveOn.Time()}, AmountCents: e.AmountCents, UnappliedCents: e.UnappliedCents,
		VictimId: optionalID(e.VictimID), PayerDefendantId: optionalID(e.PayerDefendantID), Method: optionalText(e.Method),
		Reference: optionalText(e.Reference), Reason: optionalText(e.Reason), ReversesId: optionalID(e.ReversesID),
		ReversedBy: optionalID(e.ReversedBy), PrincipalCents: e.PrincipalCents, InterestCents: e.InterestCents,
		AllocationCount: e.AllocationCount, Allocations: allocationsBody(e.Allocations), CreatedAt: e.CreatedAt}
}

// GetLedgerEntry answers one entry with all its allocations.
func (s *Server) GetLedgerEntry(ctx context.Context, req api.GetLedgerEntryRequestObject) (api.GetLedgerEntryResponseObject, error) {
	e, err := s.store.LedgerEntryByID(requestContext(ctx), req.EntryId.String())
	if err != nil {
		return nil, err
	}
	// An entry never changes but for being reversed.
	return api.GetLedgerEntry200JSONResponse{Body: entryBody(e), Headers: api.GetLedgerEntry200ResponseHeaders{
		ETag: new(fmt.Sprintf(`"%s-%s"`, e.ID, cmp.Or(e.ReversedBy, "standing")))}}, nil
}

// CreatePayment records a payment and its allocation, or with dry_run answers the allocation alone.
func (s *Server) CreatePayment(ctx context.Context, req api.CreatePaymentRequestObject) (api.CreatePaymentResponseObject, error) {
	ctx = requestContext(ctx)
	b := req.Body
	p := models.NewPayment{AmountCents: b.AmountCents, ReceivedOn: models.DateOf(b.ReceivedOn.Time), PayerDefendantID: b.PayerDefendantId.String(),
		Method: string(b.Method), Reference: valueOr(b.Reference)}
	if valueOr(req.Params.DryRun) {
		e, err := s.store.PreviewPayment(ctx, req.OrderId.String(), p)
		if err != nil {
			return nil, err
		}
		return api.CreatePayment200JSONResponse{AmountCents: e.AmountCents, ReceivedOn: b.ReceivedOn,
			Allocations: allocationsBody(e.Allocations), UnappliedCents: e.UnappliedCents}, nil
	}
	e, _, err := s.store.RecordPayment(ctx, req.OrderId.String(), req.Params.IdempotencyKey, p)
	if err != nil {
		return nil, err
	}
	return api.CreatePayment201JSONResponse{Body: paymentBody(e),
		Headers: api.CreatePayment201ResponseHeaders{Location: new(entryLocation(e))}}, nil
}

func entryLocation(e models.LedgerEntry) string { return "/api/v1/ledger-entries/" + e.ID }

// CreateRefund refunds unapplied credit to the payer.
func (s *Server) CreateRefund(ctx context.Context, req api.CreateRefundRequestObject) (api.CreateRefundResponseObject, error) {
	b := req.Body
	e, _, err := s.store.RecordRefund(requestContext(ctx), req.OrderId.String(), req.Params.IdempotencyKey,
		models.NewRefund{AmountCents: b.AmountCents, PaidOn: models.DateOf(b.PaidOn.Time), Reference: valueOr(b.Reference)})
	if err != nil {
		return nil, err
	}
	return api.CreateRefund201JSONResponse{Body: entryBody(e), Headers: api.CreateRefund201ResponseHeaders{Location: new(entryLocation(e))}}, nil
}

// CreateAdjustment amends a line of the order.
func (s *Server) CreateAdjustment(ctx context.Context, req api.CreateAdjustmentRequestObject) (api.CreateAdjustmentResponseObject, error) {
	b := req.Body
	e, _, err := s.store.RecordAdjustment(requestContext(ctx), req.OrderId.String(), req.Params.IdempotencyKey,
		models.NewAdjustment{VictimID: b.VictimId.String(), DeltaCents: b.DeltaCents, EffectiveOn: models.DateOf(b.EffectiveOn.Time), Reason: b.Reason})
	if err != nil {
		return nil, err
	}
	return api.CreateAdjustment201JSONResponse{Body: entryBody(e), Headers: api.CreateAdjustment201ResponseHeaders{Location: new(entryLocation(e))}}, nil
}

// CreateDisbursement records money sent to a victim.
func (s *Server) CreateDisbursement(ctx context.Context, req api.CreateDisbursementRequestObject) (api.CreateDisbursementResponseObject, error) {
	b := req.Body
	e, _, err := s.store.RecordDisbursement(requestContext(ctx), req.OrderId.String(), req.Params.IdempotencyKey,
		models.NewDisbursement{VictimID: b.VictimId.String(), AmountCents: b.AmountCents, PaidOn: models.DateOf(b.PaidOn.Time),
			Method: string(b.Method), Reference: valueOr(b.Reference)})
	if err != nil {
		return nil, err
	}
	return api.CreateDisbursement201JSONResponse{Body: entryBody(e), Headers: api.CreateDisbursement201ResponseHeaders{Location: new(entryLocation(e))}}, nil
}

// ReversePayment reverses a payment on its own day; a retry with the same Idempotency-Key answers the payment
// again and reverses nothing more.
func (s *Server) ReversePayment(ctx context.Context, req api.ReversePaymentRequestObject) (api.ReversePaymentResponseObject, error) {
	e, err := s.store.ReversePayment(requestContext(ctx), req.PaymentId.String(), req.Params.IdempotencyKey, req.Body.Reason)
	if err != nil {
		return nil, err
	}
	return api.ReversePayment200JSONResponse(paymentBody(e)), nil
}

// ListLedgerEntries answers one page of an order's entries as posted.
func (s *Server) ListLedgerEntries(ctx context.Context, req api.ListLedgerEntriesRequestObject) (api.ListLedgerEntriesResponseObject, error) {
	f := models.EntryFilter{Limit: valueOr(req.Params.Limit)}
	if req.Params.Kind != nil {
		f.Kind = restitution.EntryKind(*req.Params.Kind)
	}
	if req.Params.VictimId != nil {
		f.VictimID = req.Params.VictimId.String()
	}
	if req.Params.Cursor != nil {
		raw, err := base64.RawURLEncoding.DecodeString(*req.Params.Cursor)
		seq, perr := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || perr != nil || seq < 0 {
			return nil, badRequest("The cursor is not one this server issued.", map[string]string{"cursor": "is invalid"})
		}
		f.AfterSeq = seq
	}
	page, err := s.store.ListLedgerEntries(requestContext(ctx), req.OrderId.String(), f)
	if err != nil {
		return nil, err
	}
	out := api.ListLedgerEntries200JSONResponse{Items: make([]api.LedgerEntry, len(page.Items)), NextCursor: nullable.NewNullNullable[string]()}
	for i, e := range page.Items {
		out.Items[i] = entryBody(e)
	}
	if page.NextAfterSeq > 0 {
		out.NextCursor = nullable.NewNullableWithValue(base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(page.NextAfterSeq, 10))))
	}
	return out, nil
}

// GetLedgerCSV answers the order's ledger as a CSV attachment, one row per entry and victim it touched.
func (s *Server) GetLedgerCSV(ctx context.Context, req api.GetLedgerCSVRequestObject) (api.GetLedgerCSVResponseObject, error) {
	entries, err := s.store.LedgerEntries(requestContext(ctx), req.OrderId.String())
	if err != nil {
		return nil, err
	}
	body, w := io.Pipe()
	go func() { w.CloseWithError(writeLedgerCSV(w, entries)) }()
	return api.GetLedgerCSV200TextcsvResponse{Body: body, Headers: api.GetLedgerCSV200ResponseHeaders{
		ContentDisposition: new(`attachment; filename="restitution-order-` + req.OrderId.String() + `-ledger.csv"`)}}, nil
}

// writeLedgerCSV writes entries as the ledger export: only IDs, kinds, dates, amounts and methods, so no
// cell can carry text a person typed (and so no spreadsheet formula).
func writeLedgerCSV(w io.Writer, entries []models.LedgerEntry) error {
	out := csv.NewWriter(w)
	if err := out.Write([]string{"seq", "entry_id", "kind", "effective_on", "amount", "victim_id", "principal", "interest", "unapplied", "method", "reverses"}); err != nil {
		return err
	}
	dollars := func(c int64) string { return money.FormatDecimal(c) }
	for _, e := range entries {
		head := []string{strconv.FormatInt(e.Seq, 10), e.ID, string(e.Kind), e.EffectiveOn.String(), dollars(e.AmountCents)}
		tail := []string{e.Method, e.ReversesID}
		if len(e.Allocations) == 0 {
			if err := out.Write(append(append(head, e.VictimID, "", "", dollars(e.UnappliedCents)), tail...)); err != nil {
				return err
			}
		}
		for i, a := range e.Allocations {
			unapplied := ""
			if i == 0 {
				unapplied = dollars(e.UnappliedCents)
			}
			if err := out.Write(append(append(head, a.VictimID, dollars(a.PrincipalCents), dollars(a.InterestCents), unapplied), tail...)); err != nil {
				return err
			}
		}
	}
	out.Flush()
	return out.Error()
}

// GetCaseRestitution answers a case's restitution as of a day.
func (s *Server) GetCaseRestitution(ctx context.Context, req api.GetCaseRestitutionRequestObject) (api.GetCaseRestitutionResponseObject, error) {
	after := ""
	if req.Params.Cursor != nil {
		var err error
		if after, err = decodeCursor(*req.Params.Cursor); err != nil {
			return nil, err
		}
	}
	day := s.asOf(req.Params.AsOf)
	c, err := s.store.CaseRestitutionOf(requestContext(ctx), req.CaseId.String(), day, valueOr(req.Params.Limit), after)
	if err != nil {
		return nil, err
	}
	out := api.GetCaseRestitution200JSONResponse{CaseId: req.CaseId, AsOf: openapi_types.Date{Time: day.Time()}, OrderCount: c.OrderCount,
		Totals: restitutionTotals(c.Totals), CollectedCents: c.CollectedCents, UnappliedCreditCents: c.UnappliedCents,
		ShareCollectedBps: int(c.ShareCollectedBps()), ByClass: make([]api.ClassTotals, len(c.ByClass)),
		Timeline: make([]api.TimelinePoint, len(c.Timeline))}
	for i, class := range c.ByClass {
		out.ByClass[i] = api.ClassTotals{Kinds: make([]api.VictimKind, len(class.Kinds)), CollectedCents: class.Totals.AllocatedCents(), Totals: restitutionTotals(class.Totals)}
		for k, kind := range class.Kinds {
			out.ByClass[i].Kinds[k] = api.VictimKind(kind)
		}
	}
	out.ByVictim.Items = make([]api.VictimRestitutionTotals, len(c.ByVictim))
	out.ByVictim.NextCursor = nextCursor(c.NextAfterID)
	for i, v := range c.ByVictim {
		out.ByVictim.Items[i] = api.VictimRestitutionTotals{VictimId: uuid.MustParse(v.VictimID), VictimName: v.Name, VictimKind: api.VictimKind(v.Kind), Totals: restitutionTotals(v.Totals)}
	}
	for i, p := range c.Timeline {
		out.Timeline[i] = api.TimelinePoint{Date: openapi_types.Date{Time: p.Date.Time()}, OrderedCents: p.OrderedCents,
			CollectedCents: p.CollectedCents, DisbursedCents: p.DisbursedCents}
	}
	return out, nil
}

// GetVictimRestitution answers a victim's restitution over every order, with the entries that touched it.
func (s *Server) GetVictimRestitution(ctx context.Context, req api.GetVictimRestitutionRequestObject) (api.GetVictimRestitutionResponseObject, error) {
	day := s.asOf(req.Params.AsOf)
	v, err := s.store.VictimRestitutionOf(requestContext(ctx), req.VictimId.String(), day)
	if err != nil {
		return nil, err
	}
	out := api.GetVictimRestitution200JSONResponse{VictimId: req.VictimId, AsOf: openapi_types.Date{Time: day.Time()},
		Totals: restitutionTotals(v.Totals), Orders: make([]api.VictimOrderLine, len(v.Orders)), Entries: make([]api.VictimLedgerEntry, len(v.Entries))}
	for i, o := range v.Orders {
		out.Orders[i] = api.VictimOrderLine{OrderId: uuid.MustParse(o.Order.ID), OrderedOn: openapi_types.Date{Time: o.Order.OrderedOn.Time()},
			CourtOrderReference: optionalText(o.Order.CourtOrderReference), Line: lineBody(o.Line, v.Name)}
	}
	for i, e := range v.Entries {
		out.Entries[i] = api.VictimLedgerEntry{EntryId: uuid.MustParse(e.EntryID), OrderId: uuid.MustParse(e.OrderID), Kind: api.LedgerEntryKind(e.Kind),
			EffectiveOn: openapi_types.Date{Time: e.EffectiveOn.Time()}, AmountCents: e.AmountCents, PrincipalCents: e.PrincipalCents, InterestCents: e.InterestCents}
	}
	return out, nil
}
