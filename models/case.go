package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/impactledger/impactledger/sealing"
)

// CaseStatus is where a case stands.
type CaseStatus string

// The statuses a case moves through.
const (
	CaseIntake    CaseStatus = "intake"
	CaseCharged   CaseStatus = "charged"
	CaseConvicted CaseStatus = "convicted"
	CaseSentenced CaseStatus = "sentenced"
	CaseClosed    CaseStatus = "closed"
	CaseOnAppeal  CaseStatus = "on_appeal"
)

// CaseStatuses lists every status in the order a case usually moves through them.
var CaseStatuses = []CaseStatus{CaseIntake, CaseCharged, CaseConvicted, CaseSentenced, CaseClosed, CaseOnAppeal}

// Valid reports whether s is one of CaseStatuses.
func (s CaseStatus) Valid() bool {
	for _, known := range CaseStatuses {
		if s == known {
			return true
		}
	}
	return false
}

// Case is a criminal case: the root of every victim, loss and restitution record. Notes is held in the
// clear here and sealed with the case's data key in the database.
type Case struct {
	ID              string `gorm:"primaryKey"`
	CourtCaseNumber string
	Caption         string
	Court           string
	Jurisdiction    string
	Status          CaseStatus
	SentencingDate  *Date
	Notes           string
	// SearchKey is the lower-cased caption and case number that ?q= searches.
	SearchKey string
	// CourtKey is the lower-cased court and case number, unique across cases. Go lower-cases it, not the
	// database, because SQLite's lower() knows only ASCII.
	CourtKey  string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version starts at 1 and grows by one with every change; it is the case's ETag.
	Version int64
}

// NewCase is what it takes to open a case.
type NewCase struct {
	CourtCaseNumber string
	Caption         string
	Court           string
	Jurisdiction    string
	// Status defaults to CaseIntake.
	Status         CaseStatus
	SentencingDate *Date
	Notes          string
}

// CaseUpdate changes the fields that are Set and leaves the others alone.
type CaseUpdate struct {
	CourtCaseNumber Optional[string]
	Caption         Optional[string]
	Court           Optional[string]
	Jurisdiction    Optional[string]
	Status          Optional[CaseStatus]
	SentencingDate  Optional[*Date]
	Notes           Optional[string]
}

// CaseFilter selects a page of cases, newest first.
type CaseFilter struct {
	// Query matches text anywhere in the caption or the court case number, ignoring letter case.
	Query string
	// Status, when set, keeps only cases with that status.
	Status CaseStatus
	// Limit is the page size (1 to MaxPageSize; 0 means DefaultPageSize).
	Limit int
	// AfterID continues a listing after the case with this ID (the previous page's last).
	AfterID string
}

// Page sizes for every list.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// pageSize turns a requested page size into one within bounds.
func pageSize(limit int) int {
	if limit <= 0 {
		return DefaultPageSize
	}
	return min(limit, MaxPageSize)
}

// CasePage is one page of cases; NextAfterID is empty on the last page.
type CasePage struct {
	Items       []Case
	NextAfterID string
}

var (
	caseNumberRule = textRule{required: true, maxRunes: 64}
	captionRule    = textRule{required: true, maxRunes: 300}
	courtRule      = textRule{required: true, maxRunes: 200}
	notesRule      = textRule{maxRunes: 20000, multiline: true}
)

// normalize trims and checks every field, the same for a new case and a changed one.
func (c *Case) normalize() *ValidationError {
	v := &ValidationError{}
	c.CourtCaseNumber = cleanText(v, "court_case_number", c.CourtCaseNumber, caseNumberRule)
	c.Caption = cleanText(v, "caption", c.Caption, captionRule)
	c.Court = cleanText(v, "court", c.Court, courtRule)
	c.Jurisdiction = strings.TrimSpace(c.Jurisdiction)
	if c.Jurisdiction == "" {
		v.add("jurisdiction", "is required")
	}
	if !c.Status.Valid() {
		v.add("status", fmt.Sprintf("must be one of %s", joinStatuses()))
	}
	c.Notes = cleanText(v, "notes", c.Notes, notesRule)
	checkDate(v, "sentencing_date", c.SentencingDate)
	c.SearchKey = strings.ToLower(c.Caption + "\n" + c.CourtCaseNumber)
	// Neither part can hold a line break, so the key is unambiguous.
	c.CourtKey = strings.ToLower(c.Court + "\n" + c.CourtCaseNumber)
	return v
}

func joinStatuses() string {
	names := make([]string, len(CaseStatuses))
	for i, s := range CaseStatuses {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// CreateCase validates nc and stores it as a new case at version 1.
func (s *Store) CreateCase(ctx context.Context, nc NewCase) (Case, error) {
	if !accessIn(ctx).staffReach() {
		// Only a caller who can work cases may open one.
		return Case{}, ErrForbidden
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Case{}, err
	}
	c := Case{
		ID:              id.String(),
		CourtCaseNumber: nc.CourtCaseNumber,
		Caption:         nc.Caption,
		Court:           nc.Court,
		Jurisdiction:    nc.Jurisdiction,
		Status:          nc.Status,
		SentencingDate:  nc.SentencingDate,
		Notes:           nc.Notes,
		Version:         1,
	}
	if c.Status == "" {
		c.Status = CaseIntake
	}
	v := c.normalize()
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		if err := checkJurisdiction(tx, v, c.Jurisdiction); err != nil {
			return err
		}
		if err := v.orNil(); err != nil {
			return err
		}
		notes := c.Notes
		sealed, err := s.seal(tx, c.ID, notesPlace(c.ID), notes)
		if err != nil {
			return err
		}
		c.Notes = sealed
		err = caseWriteError(tx.Create(&c).Error, c)
		c.Notes = notes
		if err != nil {
			return err
		}
		// Whoever opens a case is on its team, so that an advocate or prosecutor can go on working it.
		if actor := requestOf(ctx).Actor; actor.Type == ActorUser {
			if err := tx.Create(&caseMember{CaseID: c.ID, UserID: actor.ID, AddedAt: c.CreatedAt}).Error; err != nil {
				return err
			}
		}
		return s.appendAudit(tx, audited{Action: "case.create", ObjectType: "case", ObjectID: c.ID, CaseID: c.ID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return Case{}, err
	}
	return c, nil
}

// CaseByID returns the case with id, or ErrNotFound.
func (s *Store) CaseByID(ctx context.Context, id string) (Case, error) {
	return s.caseByID(s.read.WithContext(ctx), id, false)
}

// caseByID reads a case the request's actor may see; any other is ErrNotFound, so that a case's existence
// is not revealed to those outside its team. With lock, the case's row stays locked until db's transaction
// ends, so that changes to what hangs off it queue.
func (s *Store) caseByID(db *gorm.DB, id string, lock bool) (Case, error) {
	if !ValidID(id) {
		return Case{}, ErrNotFound
	}
	var c Case
	q := visibleCases(db.Model(&Case{})).Where("id = ?", id)
	if lock {
		q = s.forUpdate(q)
	}
	err := q.Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Case{}, ErrNotFound
	}
	if err != nil {
		return Case{}, err
	}
	cases := []Case{c}
	if err := s.openCases(db, cases); err != nil {
		return Case{}, err
	}
	return cases[0], nil
}

// notesPlace is where a case's notes are sealed: free text that may be about victims.
func notesPlace(caseID string) sealing.Place {
	return sealing.Place{Table: "cases", Column: "notes", RowID: caseID}
}

// openCases decrypts the sealed fields of cases read from the database, in place.
func (s *Store) openCases(db *gorm.DB, cases []Case) error {
	scopes := make([]string, len(cases))
	for i, c := range cases {
		scopes[i] = c.ID
	}
	keys, err := s.dataKeysFor(db, scopes, false)
	if err != nil {
		return err
	}
	for i := range cases {
		k, ok := keys[cases[i].ID]
		if !ok {
			return fmt.Errorf("case %s has no data key", cases[i].ID)
		}
		notes, err := sealing.Open(k, notesPlace(cases[i].ID), cases[i].Notes)
		if err != nil {
			return err
		}
		cases[i].Notes = string(notes)
	}
	return nil
}

// ListCases returns one page of the cases that f selects, newest first.
func (s *Store) ListCases(ctx context.Context, f CaseFilter) (CasePage, error) {
	limit := pageSize(f.Limit)
	q := visibleCases(s.read.WithContext(ctx).Model(&Case{}))
	query, err := CleanQuery("q", f.Query)
	if err != nil {
		return CasePage{}, err
	}
	if query != "" {
		q = q.Where(`search_key LIKE ? ESCAPE '\'`, likePattern(strings.ToLower(query)))
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.AfterID != "" {
		if !ValidID(f.AfterID) {
			return CasePage{}, &ValidationError{Fields: map[string]string{"cursor": "is not a cursor this server issued"}}
		}
		q = q.Where("id < ?", f.AfterID)
	}
	// IDs are UUIDv7, so their order is the order of creation.
	var items []Case
	if err := q.Order("id DESC").Limit(limit + 1).Find(&items).Error; err != nil {
		return CasePage{}, err
	}
	if err := s.openCases(s.read.WithContext(ctx), items); err != nil {
		return CasePage{}, err
	}
	page := CasePage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		page.NextAfterID = page.Items[limit-1].ID
	}
	return page, nil
}

// UpdateCase applies u to the case with id, provided the stored version is still version. It answers
// ErrNotFound, ErrVersionMismatch, a *ValidationError or a *ConflictError without changing anything.
func (s *Store) UpdateCase(ctx context.Context, id string, version int64, u CaseUpdate) (Case, error) {
	var c Case
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		var err error
		if c, err = s.caseByID(tx, id, false); err != nil {
			return err
		}
		if c.Version != version {
			return ErrVersionMismatch
		}
		before := c
		u.applyTo(&c)
		v := c.normalize()
		if u.Jurisdiction.Set {
			if err := checkJurisdiction(tx, v, c.Jurisdiction); err != nil {
				return err
			}
		}
		if err := v.orNil(); err != nil {
			return err
		}
		if sameCase(before, c) {
			return nil
		}
		c.Version++
		c.UpdatedAt = s.now()
		sealedNotes, err := s.seal(tx, c.ID, notesPlace(c.ID), c.Notes)
		if err != nil {
			return err
		}
		res := tx.Model(&Case{}).Where("id = ? AND version = ?", id, version).Updates(map[string]any{
			"court_case_number": c.CourtCaseNumber,
			"caption":           c.Caption,
			"court":             c.Court,
			"jurisdiction":      c.Jurisdiction,
			"status":            c.Status,
			"sentencing_date":   c.SentencingDate,
			"notes":             sealedNotes,
			"search_key":        c.SearchKey,
			"court_key":         c.CourtKey,
			"updated_at":        c.UpdatedAt,
			"version":           c.Version,
		})
		if err := caseWriteError(res.Error, c); err != nil {
			return err
		}
		if res.RowsAffected != 1 {
			return ErrVersionMismatch
		}
		return s.appendAudit(tx, audited{Action: "case.update", ObjectType: "case", ObjectID: c.ID, CaseID: c.ID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return Case{}, err
	}
	return c, nil
}

func (u CaseUpdate) applyTo(c *Case) {
	u.CourtCaseNumber.applyTo(&c.CourtCaseNumber)
	u.Caption.applyTo(&c.Caption)
	u.Court.applyTo(&c.Court)
	u.Jurisdiction.applyTo(&c.Jurisdiction)
	u.Status.applyTo(&c.Status)
	u.SentencingDate.applyTo(&c.SentencingDate)
	u.Notes.applyTo(&c.Notes)
}

// sameCase reports whether an update left every stored field as it was, so that it need not bump the version.
func sameCase(a, b Case) bool {
	sameDate := (a.SentencingDate == nil) == (b.SentencingDate == nil) &&
		(a.SentencingDate == nil || *a.SentencingDate == *b.SentencingDate)
	a.SentencingDate, b.SentencingDate = nil, nil
	return sameDate && a == b
}

// caseWriteError turns the database's uniqueness error into a ConflictError the user can act on.
func caseWriteError(err error, c Case) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return &ConflictError{Detail: fmt.Sprintf("%s already has a case numbered %s", c.Court, c.CourtCaseNumber)}
	}
	return err
}
