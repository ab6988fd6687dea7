package handlers

import (
	"context"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/models"
)

// ListVictims answers one page of a case's victims, newest first, each in the caller's view.
func (s *Server) ListVictims(ctx context.Context, req api.ListVictimsRequestObject) (api.ListVictimsResponseObject, error) {
	ctx = requestContext(ctx)
	p := req.Params
	f := models.VictimFilter{}
	if p.Q != nil {
		f.Query = *p.Q
	}
	if p.Kind != nil {
		f.Kind = models.VictimKind(*p.Kind)
	}
	if p.Status != nil {
		f.Status = models.VictimStatus(*p.Status)
	}
	if p.Limit != nil {
		f.Limit = *p.Limit
	}
	if p.Cursor != nil {
		after, err := decodeCursor(*p.Cursor)
		if err != nil {
			return nil, err
		}
		f.AfterID = after
	}
	page, err := s.store.ListVictims(ctx, req.CaseId.String(), f)
	if err != nil {
		return nil, err
	}
	out := api.ListVictims200JSONResponse{Items: make([]api.Victim, len(page.Items)), NextCursor: nextCursor(page.NextAfterID)}
	for i, v := range page.Items {
		out.Items[i] = victimBody(v)
	}
	return out, nil
}

// CreateVictim adds a victim to a case.
func (s *Server) CreateVictim(ctx context.Context, req api.CreateVictimRequestObject) (api.CreateVictimResponseObject, error) {
	ctx = requestContext(ctx)
	b := req.Body
	if b == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	nv := models.NewVictim{
		Kind:           models.VictimKind(b.Kind),
		Name:           b.Name,
		IsMinor:        valueOr(b.IsMinor),
		Email:          valueOr(b.Email),
		Phone:          valueOr(b.Phone),
		SSN:            valueOr(b.Ssn),
		MailingAddress: addressIn(b.MailingAddress),

		AddressConfidential: valueOr(b.AddressConfidential),
		PreferredLanguage:   valueOr(b.PreferredLanguage),
		InterpreterNeeded:   valueOr(b.InterpreterNeeded),
		WantsToBeHeard:      models.HeardBy(valueOr(b.WantsToBeHeard)),
		Status:              models.VictimStatus(valueOr(b.Status)),
		Notes:               valueOr(b.Notes),
		DateOfBirth:         dateOf(b.DateOfBirth),
	}
	if b.NotificationChannels != nil {
		nv.NotificationChannels = channelsIn(*b.NotificationChannels)
	}
	v, err := s.store.CreateVictim(ctx, req.CaseId.String(), nv)
	if err != nil {
		return nil, err
	}
	return api.CreateVictim201JSONResponse{
		Body:    victimBody(v),
		Headers: api.CreateVictim201ResponseHeaders{Location: new("/api/v1/victims/" + v.ID), ETag: new(etag(v.Version))},
	}, nil
}

// GetVictim answers one victim in the caller's view, with the full SSN when asked for and allowed.
func (s *Server) GetVictim(ctx context.Context, req api.GetVictimRequestObject) (api.GetVictimResponseObject, error) {
	ctx = requestContext(ctx)
	reveal := req.Params.Reveal != nil && *req.Params.Reveal == api.RevealSSN
	v, err := s.store.VictimByID(ctx, req.VictimId.String(), reveal)
	if err != nil {
		return nil, err
	}
	return api.GetVictim200JSONResponse{Body: victimBody(v), Headers: api.GetVictim200ResponseHeaders{ETag: new(etag(v.Version))}}, nil
}

// UpdateVictim applies a JSON merge patch to a victim whose ETag the caller names in If-Match.
func (s *Server) UpdateVictim(ctx context.Context, req api.UpdateVictimRequestObject) (api.UpdateVictimResponseObject, error) {
	ctx = requestContext(ctx)
	id := req.VictimId.String()
	b := req.JSONBody
	if b == nil {
		b = req.ApplicationMergePatchPlusJSONBody
	}
	if b == nil {
		return nil, badRequest("The request body is required.", nil)
	}
	// Whether the victim is visible comes first, so that preconditions never tell a caller about a victim it
	// cannot see; the version alone is read, so that this check is not a read of the victim's record.
	current, err := s.store.VictimVersion(ctx, id)
	if err != nil {
		return nil, err
	}
	version, err := ifMatch(req.Params.IfMatch, current)
	if err != nil {
		return nil, err
	}
	u := models.VictimUpdate{
		Name:                optional(b.Name),
		IsMinor:             optional(b.IsMinor),
		AddressConfidential: optional(b.AddressConfidential),
		PreferredLanguage:   optional(b.PreferredLanguage),
		InterpreterNeeded:   optional(b.InterpreterNeeded),
		Notes:               optional(b.Notes),
		Email:               clearable(b.Email),
		Phone:               clearable(b.Phone),
		SSN:                 clearable(b.Ssn),
	}
	if b.Kind != nil {
		u.Kind = models.Some(models.VictimKind(*b.Kind))
	}
	if b.WantsToBeHeard != nil {
		u.WantsToBeHeard = models.Some(models.HeardBy(*b.WantsToBeHeard))
	}
	if b.Status != nil {
		u.Status = models.Some(models.VictimStatus(*b.Status))
	}
	if b.NotificationChannels != nil {
		u.NotificationChannels = models.Some(channelsIn(*b.NotificationChannels))
	}
	if b.DateOfBirth.IsSpecified() {
		u.DateOfBirth = models.Some(dateIn(b.DateOfBirth))
	}
	if b.MailingAddress.IsSpecified() {
		var a *models.Address
		if in, err := b.MailingAddress.Get(); err == nil {
			a = addressIn(&in)
		}
		u.MailingAddress = models.Some(a)
	}
	v, err := s.store.UpdateVictim(ctx, id, version, u)
	if err != nil {
		return nil, err
	}
	return api.UpdateVictim200JSONResponse{Body: victimBody(v), Headers: api.UpdateVictim200ResponseHeaders{ETag: new(etag(v.Version))}}, nil
}

// victimBody renders a victim in the view the store gave it: fields the view leaves out are absent.
func victimBody(v models.Victim) api.Victim {
	out := api.Victim{
		Id:        uuid.MustParse(v.ID),
		CaseId:    uuid.MustParse(v.CaseID),
		View:      api.VictimView(v.View),
		Kind:      api.VictimKind(v.Kind),
		Name:      v.Name,
		Status:    api.VictimStatus(v.Status),
		CreatedAt: v.CreatedAt.UTC(),
		UpdatedAt: v.UpdatedAt.UTC(),
		Version:   v.Version,
	}
	if v.View == models.ViewClerk {
		out.MailingAddress = addressOut(v.MailingAddress, true)
		return out
	}
	// What the Rule 49.1 view and the full view share.
	channels := make([]api.NotificationChannel, len(v.NotificationChannels))
	for i, c := range v.NotificationChannels {
		channels[i] = api.NotificationChannel(c)
	}
	out.IsMinor = new(v.IsMinor)
	out.SsnLast4 = nullString(v.SSNLast4)
	out.AddressConfidential = new(v.AddressConfidential)
	out.PreferredLanguage = new(v.PreferredLanguage)
	out.InterpreterNeeded = new(v.InterpreterNeeded)
	out.WantsToBeHeard = new(api.WantsToBeHeard(v.WantsToBeHeard))
	out.NotificationChannels = &channels
	if v.View == models.ViewRule49 {
		out.BirthYear = nullable.NewNullNullable[int]()
		if v.BirthYear != 0 {
			out.BirthYear = nullable.NewNullableWithValue(v.BirthYear)
		}
		out.MailingAddress = addressOut(v.MailingAddress, false)
		return out
	}
	out.DateOfBirth = dateOut(v.DateOfBirth)
	out.Email = nullString(v.Email)
	out.Phone = nullString(v.Phone)
	out.MailingAddress = addressOut(v.MailingAddress, true)
	out.Notes = new(v.Notes)
	if v.SSN != "" {
		out.Ssn = new(v.SSN)
	}
	return out
}

// addressOut renders a mailing address; without street, only its city and state.
func addressOut(a *models.Address, street bool) nullable.Nullable[api.MailingAddress] {
	if a == nil {
		return nullable.NewNullNullable[api.MailingAddress]()
	}
	out := api.MailingAddress{City: a.City, State: a.State}
	if street {
		out.Line1, out.Line2, out.PostalCode = new(a.Line1), new(a.Line2), new(a.PostalCode)
	}
	return nullable.NewNullableWithValue(out)
}

func addressIn(a *api.MailingAddressInput) *models.Address {
	if a == nil {
		return nil
	}
	return &models.Address{Line1: a.Line1, Line2: valueOr(a.Line2), City: a.City, State: a.State, PostalCode: a.PostalCode}
}

func channelsIn(in []api.NotificationChannel) []models.NotificationChannel {
	out := make([]models.NotificationChannel, len(in))
	for i, c := range in {
		out[i] = models.NotificationChannel(c)
	}
	return out
}

// nullString renders an optional text: empty is null.
func nullString(s string) nullable.Nullable[string] {
	if s == "" {
		return nullable.NewNullNullable[string]()
	}
	return nullable.NewNullableWithValue(s)
}

// clearable turns a nullable merge-patch text into an update: absent leaves the field alone, null clears it
// (as empty does).
func clearable(n nullable.Nullable[string]) models.Optional[string] {
	if !n.IsSpecified() {
		return models.Optional[string]{}
	}
	v, err := n.Get()
	if err != nil {
		return models.Some("")
	}
	return models.Some(v)
}

// valueOr returns what p points to, or the zero value when p is nil.
func valueOr[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// dateOf converts a contract date that may be absent.
func dateOf(d *openapi_types.Date) *models.Date {
	if d == nil {
		return nil
	}
	md := models.DateOf(d.Time)
	return &md
}
