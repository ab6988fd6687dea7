package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/impactledger/impactledger/redact"
)

// VictimKind is what kind of victim a victim is; it decides restitution payment priority.
type VictimKind string

// The kinds of victim.
const (
	VictimIndividual       VictimKind = "individual"
	VictimBusiness         VictimKind = "business"
	VictimGovernment       VictimKind = "government"
	VictimInsurer          VictimKind = "insurer"
	VictimCompensationFund VictimKind = "compensation_fund"
)

// VictimKinds lists every kind of victim.
var VictimKinds = []VictimKind{VictimIndividual, VictimBusiness, VictimGovernment, VictimInsurer, VictimCompensationFund}

// VictimStatus says whether a victim takes part in the case.
type VictimStatus string

// The statuses of a victim.
const (
	VictimActive      VictimStatus = "active"
	VictimDeclined    VictimStatus = "declined"
	VictimUnreachable VictimStatus = "unreachable"
)

// VictimStatuses lists every status of a victim.
var VictimStatuses = []VictimStatus{VictimActive, VictimDeclined, VictimUnreachable}

// HeardBy is how a victim wants to be heard at sentencing.
type HeardBy string

// The ways a victim may want to be heard.
const (
	HeardWritten HeardBy = "written"
	HeardOral    HeardBy = "oral"
	HeardBoth    HeardBy = "both"
	HeardNone    HeardBy = "none"
)

// HeardByOptions lists every way a victim may want to be heard.
var HeardByOptions = []HeardBy{HeardWritten, HeardOral, HeardBoth, HeardNone}

// NotificationChannel is a way a victim wants to be told of the critical stages of the case.
type NotificationChannel string

// The notification channels.
const (
	NotifyEmail NotificationChannel = "email"
	NotifySMS   NotificationChannel = "sms"
	NotifyPhone NotificationChannel = "phone"
	NotifyMail  NotificationChannel = "mail"
)

// NotificationChannels lists every notification channel.
var NotificationChannels = []NotificationChannel{NotifyEmail, NotifySMS, NotifyPhone, NotifyMail}

// VictimView names how much of a victim a caller gets, decided by the caller's role.
type VictimView string

// The views of a victim.
const (
	// ViewFull is everything but the full SSN: administrators, supervisors and advocates (on the team).
	ViewFull VictimView = "full"
	// ViewRule49 follows Fed. R. Crim. P. 49.1, for prosecutors: SSN last four, birth year, a minor's
	// initials, city and state; no phone, email or notes. Notes are withheld because advocates' notes may
	// hold communications privileged between victim and advocate, and free text can hold the very details
	// the rule withholds.
	ViewRule49 VictimView = "rule_49_1"
	// ViewClerk is the name and mailing address, for clerks.
	ViewClerk VictimView = "clerk"
)

// Victim is a victim of a case, as one caller may see it: View says which fields the store filled in, and
// the others are zero. SSN is set only when revealed.
type Victim struct {
	ID                  string
	CaseID              string
	Kind                VictimKind
	Name                string
	IsMinor             bool
	DateOfBirth         *Date
	BirthYear           int // in ViewRule49 only; 0 when unknown
	SSN                 string
	SSNLast4            string
	Email               string
	Phone               string
	MailingAddress      *Address
	AddressConfidential bool
	PreferredLanguage   string
	InterpreterNeeded   bool
	WantsToBeHeard      HeardBy
	// NotificationChannels is never nil once read, so that it shows as an empty list.
	NotificationChannels []NotificationChannel
	Status               VictimStatus
	Notes                string
	View                 VictimView
	CreatedAt            time.Time
	UpdatedAt            time.Time
	// Version starts at 1 and grows by one with every change; it is the victim's ETag.
	Version int64
}

// NewVictim is what it takes to add a victim to a case. Empty strings mean none; PreferredLanguage defaults
// to "en", WantsToBeHeard to HeardNone and Status to VictimActive.
type NewVictim struct {
	Kind                 VictimKind
	Name                 string
	IsMinor              bool
	DateOfBirth          *Date
	SSN                  string
	Email                string
	Phone                string
	MailingAddress       *Address
	AddressConfidential  bool
	PreferredLanguage    string
	InterpreterNeeded    bool
	WantsToBeHeard       HeardBy
	NotificationChannels []NotificationChannel
	Status               VictimStatus
	Notes                string
}

// VictimUpdate changes the fields that are Set and leaves the others alone. An empty SSN, Email or Phone
// and a nil DateOfBirth or MailingAddress clear the field.
type VictimUpdate struct {
	Kind                 Optional[VictimKind]
	Name                 Optional[string]
	IsMinor              Optional[bool]
	DateOfBirth          Optional[*Date]
	SSN                  Optional[string]
	Email                Optional[string]
	Phone                Optional[string]
	MailingAddress       Optional[*Address]
	AddressConfidential  Optional[bool]
	PreferredLanguage    Optional[string]
	InterpreterNeeded    Optional[bool]
	WantsToBeHeard       Optional[HeardBy]
	NotificationChannels Optional[[]NotificationChannel]
	Status               Optional[VictimStatus]
	Notes                Optional[string]
}

// VictimFilter selects a page of a case's victims, newest first.
type VictimFilter struct {
	// Query matches text anywhere in the name, ignoring letter case.
	Query  string
	Kind   VictimKind
	Status VictimStatus
	// Limit is the page size (1 to MaxPageSize; 0 means DefaultPageSize).
	Limit int
	// AfterID continues a listing after the victim with this ID (the previous page's last).
	AfterID string
}

// VictimPage is one page of victims; NextAfterID is empty on the last page.
type VictimPage struct {
	Items       []Victim
	NextAfterID string
}

// victimRow is a victim as stored: the sensitive columns hold ciphertext (NULL when absent).
type victimRow struct {
	ID                   string `gorm:"primaryKey"`
	CaseID               string
	Kind                 VictimKind
	Name                 string
	SearchKey            string
	IsMinor              bool
	DateOfBirth          *string `gorm:"column:date_of_birth"`
	SSN                  *string `gorm:"column:ssn"`
	SSNLast4             *string `gorm:"column:ssn_last4"`
	SSNIndex             *string `gorm:"column:ssn_index"`
	NameDOBIndex         *string `gorm:"column:name_dob_index"`
	Email                *string
	Phone                *string
	MailingAddress       *string
	AddressConfidential  bool
	PreferredLanguage    string
	InterpreterNeeded    bool
	WantsToBeHeard       HeardBy
	NotificationChannels string
	Status               VictimStatus
	Notes                string
	CreatedAt            time.Time
	UpdatedAt            time.Time
	Version              int64
	// ImportID names the import that wrote the victim; until it succeeds, the victim is hidden (published).
	ImportID *string
}

func (victimRow) TableName() string { return "victims" }

var victimNameRule = textRule{required: true, maxRunes: 200}

// normalize trims and checks every field but the SSN, the same for a new victim and a changed one.
func (v *Victim) normalize(verr *ValidationError, today Date) {
	oneOf(verr, "kind", v.Kind, VictimKinds)
	v.Name = cleanText(verr, "name", v.Name, victimNameRule)
	checkBirthDate(verr, "date_of_birth", v.DateOfBirth, today)
	v.Email = cleanContactEmail(verr, "email", v.Email)
	v.Phone = cleanPhone(verr, "phone", v.Phone)
	v.MailingAddress = cleanAddress(verr, "mailing_address", v.MailingAddress)
	v.PreferredLanguage = cleanLanguage(verr, "preferred_language", v.PreferredLanguage)
	oneOf(verr, "wants_to_be_heard", v.WantsToBeHeard, HeardByOptions)
	oneOf(verr, "status", v.Status, VictimStatuses)
	channels := []NotificationChannel{}
	for i, c := range v.NotificationChannels {
		oneOf(verr, fmt.Sprintf("notification_channels.%d", i), c, NotificationChannels)
		if !slices.Contains(channels, c) {
			channels = append(channels, c)
		}
	}
	v.NotificationChannels = channels
	v.Notes = cleanText(verr, "notes", v.Notes, notesRule)
}

// oneOf records a problem with field unless value is one of allowed.
func oneOf[T ~string](v *ValidationError, field string, value T, allowed []T) {
	if slices.Contains(allowed, value) {
		return
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	v.add(field, "must be one of "+strings.Join(names, ", "))
}

// CreateVictim validates nv and adds it to the case with caseID at version 1. It answers ErrNotFound for a
// case the actor may not see, a *ValidationError, or a *ConflictError naming the victim already in the case
// with the same SSN, or the same name and date of birth.
func (s *Store) CreateVictim(ctx context.Context, caseID string, nv NewVictim) (Victim, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Victim{}, err
	}
	v := Victim{
		ID: id.String(), CaseID: caseID, Kind: nv.Kind, Name: nv.Name, IsMinor: nv.IsMinor,
		DateOfBirth: nv.DateOfBirth, Email: nv.Email, Phone: nv.Phone, MailingAddress: nv.MailingAddress,
		AddressConfidential: nv.AddressConfidential, PreferredLanguage: nv.PreferredLanguage,
		InterpreterNeeded: nv.InterpreterNeeded, WantsToBeHeard: nv.WantsToBeHeard,
		NotificationChannels: nv.NotificationChannels, Status: nv.Status, Notes: nv.Notes, Version: 1,
	}
	if v.PreferredLanguage == "" {
		v.PreferredLanguage = "en"
	}
	if v.WantsToBeHeard == "" {
		v.WantsToBeHeard = HeardNone
	}
	if v.Status == "" {
		v.Status = VictimActive
	}
	verr := &ValidationError{}
	ssn := ""
	if strings.TrimSpace(nv.SSN) != "" {
		ssn = cleanSSN(verr, "ssn", nv.SSN)
	}
	v.normalize(verr, s.today())
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		// Whether the case is visible comes before whether the body is valid. Locking it queues the intake
		// changes of one case, so that two of them cannot both pass the duplicate check.
		if _, err := s.caseByID(tx, caseID, true); err != nil {
			return err
		}
		if err := verr.orNil(); err != nil {
			return err
		}
		v.CreatedAt = s.now()
		v.UpdatedAt = v.CreatedAt
		key, idx, err := s.victimKeys(tx, caseID)
		if err != nil {
			return err
		}
		row, err := victimRowOf(v, key, idx)
		if err != nil {
			return err
		}
		if err := setSSN(&row, key, idx, ssn); err != nil {
			return err
		}
		if err := checkDuplicateVictim(tx, row); err != nil {
			return err
		}
		if err := victimWriteError(tx.Create(&row).Error); err != nil {
			return err
		}
		return s.appendAudit(tx, audited{Action: "victim.create", ObjectType: "victim", ObjectID: v.ID, CaseID: caseID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return Victim{}, err
	}
	v.SSNLast4 = redact.LastFour(ssn)
	s.applyVictimView(&v, accessIn(ctx).VictimView)
	return v, nil
}

// VictimByID returns the victim with id in the request's actor's view, and records the read in the audit
// trail. With revealSSN it adds the full SSN, for those whose view is ViewFull, and records a reveal
// instead; anyone else gets ErrForbidden, and the refusal is recorded. A victim the actor may not see is
// ErrNotFound.
func (s *Store) VictimByID(ctx context.Context, id string, revealSSN bool) (Victim, error) {
	db := s.read.WithContext(ctx)
	row, err := victimRowByID(db, id)
	if err != nil {
		return Victim{}, err
	}
	view := accessIn(ctx).VictimView
	action := "victim.read"
	if revealSSN {
		action = "victim.reveal_ssn"
		if view != ViewFull {
			if err := s.inTx(ctx, func(tx *gorm.DB) error {
				return s.appendAudit(tx, audited{Action: action, ObjectType: "victim", ObjectID: row.ID, CaseID: row.CaseID, Outcome: OutcomeDenied})
			}); err != nil {
				return Victim{}, err
			}
			return Victim{}, ErrForbidden
		}
	}
	key, err := s.caseKey(db, row.CaseID)
	if err != nil {
		return Victim{}, err
	}
	v, err := openVictim(key, row)
	if err != nil {
		return Victim{}, err
	}
	if revealSSN {
		ssn, err := victimSealer(key, row.ID).openOptional("ssn", row.SSN)
		if err != nil {
			return Victim{}, err
		}
		v.SSN = formatSSN(ssn)
	}
	// Nothing is answered unless its reading is on record.
	if err := s.inTx(ctx, func(tx *gorm.DB) error {
		return s.appendAudit(tx, audited{Action: action, ObjectType: "victim", ObjectID: row.ID, CaseID: row.CaseID, Outcome: OutcomeSuccess})
	}); err != nil {
		return Victim{}, err
	}
	s.applyVictimView(&v, view)
	return v, nil
}

// VictimVersion returns the version of a victim the request's actor may see, without reading (or auditing)
// anything personal, so that a change can check its If-Match first.
func (s *Store) VictimVersion(ctx context.Context, id string) (int64, error) {
	row, err := victimRowByID(s.read.WithContext(ctx), id)
	return row.Version, err
}

// ListVictims returns one page of the victims of a case that f selects, newest first, in the request's
// actor's view, and records one victim.list event for the case.
//
// A search matches only what the caller's view shows: a prosecutor sees a minor by initials alone, so a
// minor's full name must not answer a prosecutor's search, or a few hundred searches would spell it out.
// Names are searched in the database; in the Rule 49.1 view every row found (and every recorded minor, whose
// initials may match) is checked again against the name as shown, and the page is filled from further rows
// when some fall out, so that nothing about the rows left out shows, not even a short page.
func (s *Store) ListVictims(ctx context.Context, caseID string, f VictimFilter) (VictimPage, error) {
	db := s.read.WithContext(ctx)
	if _, err := s.caseByID(db, caseID, false); err != nil {
		return VictimPage{}, err
	}
	limit := pageSize(f.Limit)
	view := accessIn(ctx).VictimView
	query, err := CleanQuery("q", f.Query)
	if err != nil {
		return VictimPage{}, err
	}
	verr := &ValidationError{}
	if f.Kind != "" {
		oneOf(verr, "kind", f.Kind, VictimKinds)
	}
	if f.Status != "" {
		oneOf(verr, "status", f.Status, VictimStatuses)
	}
	if f.AfterID != "" && !ValidID(f.AfterID) {
		verr.add("cursor", "is not a cursor this server issued")
	}
	if err := verr.orNil(); err != nil {
		return VictimPage{}, err
	}
	folded := foldName(query)
	recheck := query != "" && view != ViewFull && view != ViewClerk
	selected := func(after string) *gorm.DB {
		q := published(db.Model(&victimRow{}), "victims").Where("case_id = ?", caseID)
		switch {
		case query != "" && recheck:
			q = q.Where(`(search_key LIKE ? ESCAPE '\' OR is_minor)`, likePattern(folded))
		case query != "":
			q = q.Where(`search_key LIKE ? ESCAPE '\'`, likePattern(folded))
		}
		if f.Kind != "" {
			q = q.Where("kind = ?", f.Kind)
		}
		if f.Status != "" {
			q = q.Where("status = ?", f.Status)
		}
		if after != "" {
			q = q.Where("id < ?", after)
		}
		return q.Order("id DESC").Limit(limit + 1)
	}
	key, err := s.caseKey(db, caseID)
	if err != nil {
		return VictimPage{}, err
	}
	page := VictimPage{Items: make([]Victim, 0, limit+1)}
	for after := f.AfterID; len(page.Items) <= limit; {
		var rows []victimRow
		if err := selected(after).Find(&rows).Error; err != nil {
			return VictimPage{}, err
		}
		for _, row := range rows {
			v, err := openVictim(key, row)
			if err != nil {
				return VictimPage{}, err
			}
			s.applyVictimView(&v, view)
			if recheck && !strings.Contains(foldName(v.Name), folded) {
				continue
			}
			page.Items = append(page.Items, v)
		}
		if len(rows) <= limit {
			break
		}
		after = rows[len(rows)-1].ID
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextAfterID = page.Items[limit-1].ID
	}
	if err := s.inTx(ctx, func(tx *gorm.DB) error {
		return s.appendAudit(tx, audited{Action: "victim.list", ObjectType: "case", ObjectID: caseID, CaseID: caseID, Outcome: OutcomeSuccess})
	}); err != nil {
		return VictimPage{}, err
	}
	return page, nil
}

// UpdateVictim applies u to the victim with id, provided the stored version is still version. It answers
// ErrNotFound, ErrVersionMismatch, a *ValidationError or a *ConflictError (a duplicate, with its ID) without
// changing anything, and the victim after the change in the request's actor's view.
func (s *Store) UpdateVictim(ctx context.Context, id string, version int64, u VictimUpdate) (Victim, error) {
	var v Victim
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		row, err := victimRowByID(tx, id)
		if err != nil {
			return err
		}
		// Queue behind other intake changes of the case, as CreateVictim does, then read the victim again:
		// a change that held the lock meanwhile may have committed.
		if _, err := s.caseByID(tx, row.CaseID, true); err != nil {
			return err
		}
		if row, err = victimRowByID(tx, id); err != nil {
			return err
		}
		if row.Version != version {
			return ErrVersionMismatch
		}
		key, idx, err := s.victimKeys(tx, row.CaseID)
		if err != nil {
			return err
		}
		if v, err = openVictim(key, row); err != nil {
			return err
		}
		before := v
		verr := &ValidationError{}
		u.applyTo(&v)
		v.normalize(verr, s.today())
		ssnChanged := false
		ssn := ""
		if u.SSN.Set {
			if strings.TrimSpace(u.SSN.Value) != "" {
				ssn = cleanSSN(verr, "ssn", u.SSN.Value)
			}
			stored, err := victimSealer(key, id).openOptional("ssn", row.SSN)
			if err != nil {
				return err
			}
			ssnChanged = ssn != stored
		}
		if err := verr.orNil(); err != nil {
			return err
		}
		if !ssnChanged && reflect.DeepEqual(before, v) {
			return nil
		}
		v.Version++
		v.UpdatedAt = s.now()
		next, err := victimRowOf(v, key, idx)
		if err != nil {
			return err
		}
		next.SSN, next.SSNLast4, next.SSNIndex = row.SSN, row.SSNLast4, row.SSNIndex
		if ssnChanged {
			if err := setSSN(&next, key, idx, ssn); err != nil {
				return err
			}
		}
		if err := checkDuplicateVictim(tx, next); err != nil {
			return err
		}
		res := tx.Model(&victimRow{}).Where("id = ? AND version = ?", id, version).Updates(map[string]any{
			"kind": next.Kind, "name": next.Name, "search_key": next.SearchKey, "is_minor": next.IsMinor,
			"date_of_birth": next.DateOfBirth, "ssn": next.SSN, "ssn_last4": next.SSNLast4,
			"ssn_index": next.SSNIndex, "name_dob_index": next.NameDOBIndex, "email": next.Email,
			"phone": next.Phone, "mailing_address": next.MailingAddress,
			"address_confidential": next.AddressConfidential, "preferred_language": next.PreferredLanguage,
			"interpreter_needed": next.InterpreterNeeded, "wants_to_be_heard": next.WantsToBeHeard,
			"notification_channels": next.NotificationChannels, "status": next.Status, "notes": next.Notes,
			"updated_at": next.UpdatedAt, "version": next.Version,
		})
		if err := victimWriteError(res.Error); err != nil {
			return err
		}
		if res.RowsAffected != 1 {
			return ErrVersionMismatch
		}
		v.SSNLast4 = deref(next.SSNLast4)
		return s.appendAudit(tx, audited{Action: "victim.update", ObjectType: "victim", ObjectID: id, CaseID: row.CaseID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return Victim{}, err
	}
	s.applyVictimView(&v, accessIn(ctx).VictimView)
	return v, nil
}

func (u VictimUpdate) applyTo(v *Victim) {
	u.Kind.applyTo(&v.Kind)
	u.Name.applyTo(&v.Name)
	u.IsMinor.applyTo(&v.IsMinor)
	u.DateOfBirth.applyTo(&v.DateOfBirth)
	u.Email.applyTo(&v.Email)
	u.Phone.applyTo(&v.Phone)
	u.MailingAddress.applyTo(&v.MailingAddress)
	u.AddressConfidential.applyTo(&v.AddressConfidential)
	u.PreferredLanguage.applyTo(&v.PreferredLanguage)
	u.InterpreterNeeded.applyTo(&v.InterpreterNeeded)
	u.WantsToBeHeard.applyTo(&v.WantsToBeHeard)
	u.NotificationChannels.applyTo(&v.NotificationChannels)
	u.Status.applyTo(&v.Status)
	u.Notes.applyTo(&v.Notes)
}

// victimRowByID reads the stored victim with id, provided the request's actor may see its case.
func victimRowByID(db *gorm.DB, id string) (victimRow, error) {
	if !ValidID(id) {
		return victimRow{}, ErrNotFound
	}
	var row victimRow
	err := published(inVisibleCases(db.Model(&victimRow{})), "victims").Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return victimRow{}, ErrNotFound
	}
	return row, err
}

// caseKey returns the data key of a case that already has one.
func (s *Store) caseKey(db *gorm.DB, caseID string) ([]byte, error) {
	keys, err := s.dataKeysFor(db, []string{caseID}, false)
	if err != nil {
		return nil, err
	}
	k, ok := keys[caseID]
	if !ok {
		return nil, fmt.Errorf("case %s has no data key", caseID)
	}
	return k, nil
}

func victimSealer(key []byte, id string) sealer { return sealer{key: key, table: "victims", row: id} }

// victimKeys returns the data key and the blind indexer of a case, for one write transaction to use
// throughout. They are fetched once: a key made earlier in the same transaction must not be read back, and
// so cached, before the transaction commits.
func (s *Store) victimKeys(tx *gorm.DB, caseID string) ([]byte, blindIndexer, error) {
	key, err := s.dataKeyFor(tx, caseID)
	if err != nil {
		return nil, blindIndexer{}, err
	}
	idx, err := s.indexerFor(tx, caseID)
	return key, idx, err
}

// victimRowOf seals v for storage under key and computes its name and birth date index. The SSN columns are
// left for setSSN.
func victimRowOf(v Victim, key []byte, idx blindIndexer) (victimRow, error) {
	channels, err := json.Marshal(v.NotificationChannels)
	if err != nil {
		return victimRow{}, err
	}
	row := victimRow{
		ID: v.ID, CaseID: v.CaseID, Kind: v.Kind, Name: v.Name, SearchKey: foldName(v.Name),
		IsMinor: v.IsMinor, NameDOBIndex: idx.nameDOB(v.Name, v.DateOfBirth),
		AddressConfidential: v.AddressConfidential, PreferredLanguage: v.PreferredLanguage,
		InterpreterNeeded: v.InterpreterNeeded, WantsToBeHeard: v.WantsToBeHeard,
		NotificationChannels: string(channels), Status: v.Status,
		CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt, Version: v.Version,
	}
	seal := victimSealer(key, v.ID)
	dob := ""
	if v.DateOfBirth != nil {
		dob = v.DateOfBirth.String()
	}
	address := ""
	if v.MailingAddress != nil {
		raw, err := json.Marshal(v.MailingAddress)
		if err != nil {
			return victimRow{}, err
		}
		address = string(raw)
	}
	for _, f := range []struct {
		column, plain string
		dst           **string
	}{
		{"date_of_birth", dob, &row.DateOfBirth},
		{"email", v.Email, &row.Email},
		{"phone", v.Phone, &row.Phone},
		{"mailing_address", address, &row.MailingAddress},
	} {
		if *f.dst, err = seal.sealOptional(f.column, f.plain); err != nil {
			return victimRow{}, err
		}
	}
	row.Notes, err = seal.seal("notes", v.Notes)
	return row, err
}

// setSSN stores an SSN's nine digits in row: sealed, its last four digits, and its blind index; empty
// clears all three.
func setSSN(row *victimRow, key []byte, idx blindIndexer, digits string) error {
	row.SSN, row.SSNLast4, row.SSNIndex = nil, nil, nil
	if digits == "" {
		return nil
	}
	var err error
	if row.SSN, err = victimSealer(key, row.ID).sealOptional("ssn", digits); err != nil {
		return err
	}
	row.SSNLast4 = new(redact.LastFour(digits))
	row.SSNIndex = idx.ssn(digits)
	return nil
}

// openVictim decrypts a stored victim with its case's data key, all but the SSN, which is opened only when
// revealed.
func openVictim(key []byte, row victimRow) (Victim, error) {
	v := Victim{
		ID: row.ID, CaseID: row.CaseID, Kind: row.Kind, Name: row.Name, IsMinor: row.IsMinor,
		SSNLast4: deref(row.SSNLast4), AddressConfidential: row.AddressConfidential,
		PreferredLanguage: row.PreferredLanguage, InterpreterNeeded: row.InterpreterNeeded,
		WantsToBeHeard: row.WantsToBeHeard, Status: row.Status, CreatedAt: row.CreatedAt,
		UpdatedAt: row.UpdatedAt, Version: row.Version, NotificationChannels: []NotificationChannel{},
	}
	if err := json.Unmarshal([]byte(row.NotificationChannels), &v.NotificationChannels); err != nil {
		return Victim{}, fmt.Errorf("victim %s: notification channels: %w", row.ID, err)
	}
	seal := victimSealer(key, row.ID)
	dob, err := seal.openOptional("date_of_birth", row.DateOfBirth)
	if err != nil {
		return Victim{}, err
	}
	if dob != "" {
		d, err := ParseDate(dob)
		if err != nil {
			return Victim{}, fmt.Errorf("victim %s: stored date of birth is not a date", row.ID)
		}
		v.DateOfBirth = &d
	}
	if v.Email, err = seal.openOptional("email", row.Email); err != nil {
		return Victim{}, err
	}
	if v.Phone, err = seal.openOptional("phone", row.Phone); err != nil {
		return Victim{}, err
	}
	address, err := seal.openOptional("mailing_address", row.MailingAddress)
	if err != nil {
		return Victim{}, err
	}
	if address != "" {
		v.MailingAddress = &Address{}
		if err := json.Unmarshal([]byte(address), v.MailingAddress); err != nil {
			return Victim{}, fmt.Errorf("victim %s: stored mailing address is not JSON", row.ID)
		}
	}
	if v.Notes, err = seal.open("notes", row.Notes); err != nil {
		return Victim{}, err
	}
	return v, nil
}

// checkDuplicateVictim refuses a victim whose SSN, or name and birth date, another victim of the case
// already has, naming that victim. A match among the rows of an import still running is refused too (the
// unique indexes would refuse it anyway), but without its ID, which nobody may see yet.
func checkDuplicateVictim(tx *gorm.DB, row victimRow) error {
	for _, index := range []struct {
		column string
		value  *string
		what   string
	}{
		{"ssn_index", row.SSNIndex, "the same SSN"},
		{"name_dob_index", row.NameDOBIndex, "the same name and date of birth"},
	} {
		if index.value == nil {
			continue
		}
		var existing []victimRow
		err := tx.Model(&victimRow{}).Select("id", "import_id").Where("case_id = ? AND id <> ?", row.CaseID, row.ID).
			Where(index.column+" = ?", *index.value).Limit(1).Find(&existing).Error
		if err != nil {
			return err
		}
		if len(existing) == 0 {
			continue
		}
		var visible []string
		if err := published(tx.Model(&victimRow{}), "victims").Where("id = ?", existing[0].ID).Pluck("id", &visible).Error; err != nil {
			return err
		}
		if len(visible) == 0 {
			return &ConflictError{Detail: "A victim with " + index.what + " is being imported into this case right now; " +
				"if the import succeeds, they are already recorded."}
		}
		return &ConflictError{Detail: "This case already has a victim with " + index.what + ".", ExistingID: existing[0].ID}
	}
	return nil
}

// victimWriteError turns the database's uniqueness error, which only a race past checkDuplicateVictim can
// reach, into a ConflictError.
func victimWriteError(err error) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return &ConflictError{Detail: "This case already has a victim with the same SSN, or the same name and date of birth."}
	}
	return err
}

// applyVictimView reduces v, read in full, to view. A victim counts as a minor when recorded as one or when
// the date of birth says so today, so that a forgotten tick never shows a child's name to a prosecutor.
func (s *Store) applyVictimView(v *Victim, view VictimView) {
	v.View = view
	if v.DateOfBirth != nil && ageOn(*v.DateOfBirth, s.today()) < 18 {
		v.IsMinor = true
	}
	switch view {
	case ViewFull:
		return
	case ViewRule49:
		if v.DateOfBirth != nil {
			v.BirthYear = v.DateOfBirth.Year
		}
		if v.IsMinor {
			v.Name = redact.Initials(v.Name)
		}
		if v.MailingAddress != nil {
			v.MailingAddress = &Address{City: v.MailingAddress.City, State: v.MailingAddress.State}
		}
		v.DateOfBirth, v.SSN, v.Email, v.Phone, v.Notes = nil, "", "", "", ""
	case ViewClerk:
		*v = Victim{
			ID: v.ID, CaseID: v.CaseID, Kind: v.Kind, Name: v.Name, Status: v.Status,
			MailingAddress: v.MailingAddress, View: ViewClerk, CreatedAt: v.CreatedAt,
			UpdatedAt: v.UpdatedAt, Version: v.Version,
		}
	default:
		// A view the policy does not name shows nothing.
		*v = Victim{ID: v.ID, View: ViewNothing}
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
