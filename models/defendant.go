package models

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Disposition is how a charged count was resolved.
type Disposition string

// The dispositions of a count.
const (
	DispositionPending   Disposition = "pending"
	DispositionConvicted Disposition = "convicted"
	DispositionPleaded   Disposition = "pleaded"
	DispositionAcquitted Disposition = "acquitted"
	DispositionDismissed Disposition = "dismissed"
)

// Dispositions lists every disposition.
var Dispositions = []Disposition{DispositionPending, DispositionConvicted, DispositionPleaded, DispositionAcquitted, DispositionDismissed}

// MaxCharges bounds the counts of one defendant.
const MaxCharges = 200

// Defendant is a defendant of a case with the counts charged, ordered by count number. DateOfBirth is sealed
// in the database; clerks get a defendant without it.
type Defendant struct {
	ID          string `gorm:"primaryKey"`
	CaseID      string
	Name        string
	DateOfBirth *Date `gorm:"-"`
	// SealedDOB is the stored ciphertext of DateOfBirth, NULL when there is none.
	SealedDOB *string  `gorm:"column:date_of_birth"`
	Charges   []Charge `gorm:"-"`
	// DOBWithheld says the caller may not see dates of birth, so that DateOfBirth is empty for that reason
	// and not because there is none.
	DOBWithheld bool `gorm:"-"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Version starts at 1 and grows by one with every change to the defendant or its charges; it is the
	// defendant's ETag.
	Version int64
}

// Charge is one count charged against a defendant; CountNumber is unique per defendant.
type Charge struct {
	ID          string `gorm:"primaryKey"`
	DefendantID string
	CountNumber int
	Statute     string
	Description string
	Disposition Disposition
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64
}

// NewCharge is a count as a caller gives it; Disposition defaults to DispositionPending.
type NewCharge struct {
	CountNumber int
	Statute     string
	Description string
	Disposition Disposition
}

// NewDefendant is what it takes to add a defendant to a case.
type NewDefendant struct {
	Name        string
	DateOfBirth *Date
	Charges     []NewCharge
}

// DefendantUpdate changes the fields that are Set. Charges, when Set, replaces the whole list: a count number
// already charged keeps its charge (and ID), a new one adds a charge, one left out removes its charge.
type DefendantUpdate struct {
	Name        Optional[string]
	DateOfBirth Optional[*Date]
	Charges     Optional[[]NewCharge]
}

// DefendantPage is one page of defendants; NextAfterID is empty on the last page.
type DefendantPage struct {
	Items       []Defendant
	NextAfterID string
}

var (
	statuteRule     = textRule{required: true, maxRunes: 200}
	descriptionRule = textRule{maxRunes: 2000, multiline: true}
)

// cleanCharges checks a list of counts (errors named charges.N.field) and returns them trimmed, with their
// default disposition, ordered by count number.
func cleanCharges(v *ValidationError, charges []NewCharge) []NewCharge {
	if len(charges) > MaxCharges {
		v.add("charges", fmt.Sprintf("must list at most %d counts", MaxCharges))
	}
	out := make([]NewCharge, len(charges))
	seen := map[int]bool{}
	for i, c := range charges {
		field := fmt.Sprintf("charges.%d.", i)
		if c.CountNumber < 1 {
			v.add(field+"count_number", "must be at least 1")
		} else if seen[c.CountNumber] {
			v.add(field+"count_number", fmt.Sprintf("repeats count %d", c.CountNumber))
		}
		seen[c.CountNumber] = true
		c.Statute = cleanText(v, field+"statute", c.Statute, statuteRule)
		c.Description = cleanText(v, field+"description", c.Description, descriptionRule)
		if c.Disposition == "" {
			c.Disposition = DispositionPending
		}
		oneOf(v, field+"disposition", c.Disposition, Dispositions)
		out[i] = c
	}
	slices.SortFunc(out, func(a, b NewCharge) int { return a.CountNumber - b.CountNumber })
	return out
}

// CreateDefendant validates nd and adds it, with its charges, to the case with caseID at version 1.
func (s *Store) CreateDefendant(ctx context.Context, caseID string, nd NewDefendant) (Defendant, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Defendant{}, err
	}
	verr := &ValidationError{}
	d := Defendant{ID: id.String(), CaseID: caseID, Version: 1, DateOfBirth: nd.DateOfBirth,
		Name: cleanText(verr, "name", nd.Name, victimNameRule)}
	checkBirthDate(verr, "date_of_birth", d.DateOfBirth, s.today())
	charges := cleanCharges(verr, nd.Charges)
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		if _, err := s.caseByID(tx, caseID, false); err != nil {
			return err
		}
		if err := verr.orNil(); err != nil {
			return err
		}
		d.CreatedAt = s.now()
		d.UpdatedAt = d.CreatedAt
		if err := s.sealDefendant(tx, &d); err != nil {
			return err
		}
		if err := tx.Create(&d).Error; err != nil {
			return err
		}
		if d.Charges, err = replaceCharges(tx, d.ID, nil, charges, d.CreatedAt); err != nil {
			return err
		}
		return s.appendAudit(tx, audited{Action: "defendant.create", ObjectType: "defendant", ObjectID: d.ID, CaseID: caseID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return Defendant{}, err
	}
	return defendantView(d, requestOf(ctx).Actor), nil
}

// DefendantByID returns the defendant with id and its charges, or ErrNotFound when the request's actor may
// not see its case.
func (s *Store) DefendantByID(ctx context.Context, id string) (Defendant, error) {
	d, err := s.defendantByID(s.read.WithContext(ctx), id)
	if err != nil {
		return Defendant{}, err
	}
	return defendantView(d, requestOf(ctx).Actor), nil
}

func (s *Store) defendantByID(db *gorm.DB, id string) (Defendant, error) {
	if !ValidID(id) {
		return Defendant{}, ErrNotFound
	}
	var d Defendant
	err := inVisibleCases(db.Model(&Defendant{})).Where("id = ?", id).Take(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Defendant{}, ErrNotFound
	}
	if err != nil {
		return Defendant{}, err
	}
	ds := []Defendant{d}
	if err := s.openDefendants(db, ds); err != nil {
		return Defendant{}, err
	}
	return ds[0], nil
}

// ListDefendants returns one page of a case's defendants with their charges, newest first.
func (s *Store) ListDefendants(ctx context.Context, caseID string, limit int, afterID string) (DefendantPage, error) {
	db := s.read.WithContext(ctx)
	if _, err := s.caseByID(db, caseID, false); err != nil {
		return DefendantPage{}, err
	}
	limit = pageSize(limit)
	q := db.Model(&Defendant{}).Where("case_id = ?", caseID)
	if afterID != "" {
		if !ValidID(afterID) {
			return DefendantPage{}, &ValidationError{Fields: map[string]string{"cursor": "is not a cursor this server issued"}}
		}
		q = q.Where("id < ?", afterID)
	}
	var items []Defendant
	if err := q.Order("id DESC").Limit(limit + 1).Find(&items).Error; err != nil {
		return DefendantPage{}, err
	}
	page := DefendantPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		page.NextAfterID = page.Items[limit-1].ID
	}
	if err := s.openDefendants(db, page.Items); err != nil {
		return DefendantPage{}, err
	}
	actor := requestOf(ctx).Actor
	for i := range page.Items {
		page.Items[i] = defendantView(page.Items[i], actor)
	}
	return page, nil
}

// UpdateDefendant applies u to the defendant with id, provided the stored version is still version.
func (s *Store) UpdateDefendant(ctx context.Context, id string, version int64, u DefendantUpdate) (Defendant, error) {
	var d Defendant
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		var err error
		if d, err = s.defendantByID(tx, id); err != nil {
			return err
		}
		if d.Version != version {
			return ErrVersionMismatch
		}
		before := d
		verr := &ValidationError{}
		u.Name.applyTo(&d.Name)
		u.DateOfBirth.applyTo(&d.DateOfBirth)
		d.Name = cleanText(verr, "name", d.Name, victimNameRule)
		checkBirthDate(verr, "date_of_birth", d.DateOfBirth, s.today())
		var charges []NewCharge
		if u.Charges.Set {
			charges = cleanCharges(verr, u.Charges.Value)
		}
		if err := verr.orNil(); err != nil {
			return err
		}
		if d.Name == before.Name && reflect.DeepEqual(d.DateOfBirth, before.DateOfBirth) &&
			(!u.Charges.Set || sameCharges(before.Charges, charges)) {
			return nil
		}
		d.Version++
		d.UpdatedAt = s.now()
		if err := s.sealDefendant(tx, &d); err != nil {
			return err
		}
		res := tx.Model(&Defendant{}).Where("id = ? AND version = ?", id, version).Updates(map[string]any{
			"name": d.Name, "date_of_birth": d.SealedDOB, "updated_at": d.UpdatedAt, "version": d.Version,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrVersionMismatch
		}
		if u.Charges.Set {
			if d.Charges, err = replaceCharges(tx, id, before.Charges, charges, d.UpdatedAt); err != nil {
				return err
			}
		}
		return s.appendAudit(tx, audited{Action: "defendant.update", ObjectType: "defendant", ObjectID: id, CaseID: d.CaseID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return Defendant{}, err
	}
	return defendantView(d, requestOf(ctx).Actor), nil
}

// sameCharges reports whether a replacement list would leave the stored charges as they are.
func sameCharges(stored []Charge, next []NewCharge) bool {
	if len(stored) != len(next) {
		return false
	}
	for i, c := range stored {
		if (NewCharge{c.CountNumber, c.Statute, c.Description, c.Disposition}) != next[i] {
			return false
		}
	}
	return true
}

// replaceCharges makes a defendant's charges those of next: a count already charged keeps its row (and ID),
// changed in place with its version bumped when it differs; a new count is added; a count not in next is
// removed. It returns the charges as they now are, ordered by count number.
func replaceCharges(tx *gorm.DB, defendantID string, stored []Charge, next []NewCharge, at time.Time) ([]Charge, error) {
	byCount := map[int]Charge{}
	for _, c := range stored {
		byCount[c.CountNumber] = c
	}
	out := make([]Charge, 0, len(next))
	var keep []int
	for _, n := range next {
		keep = append(keep, n.CountNumber)
		old, ok := byCount[n.CountNumber]
		switch {
		case !ok:
			id, err := uuid.NewV7()
			if err != nil {
				return nil, err
			}
			c := Charge{ID: id.String(), DefendantID: defendantID, CountNumber: n.CountNumber, Statute: n.Statute,
				Description: n.Description, Disposition: n.Disposition, CreatedAt: at, UpdatedAt: at, Version: 1}
			if err := tx.Create(&c).Error; err != nil {
				return nil, err
			}
			out = append(out, c)
		case old.Statute != n.Statute || old.Description != n.Description || old.Disposition != n.Disposition:
			c := old
			c.Statute, c.Description, c.Disposition, c.UpdatedAt, c.Version = n.Statute, n.Description, n.Disposition, at, old.Version+1
			err := tx.Model(&Charge{}).Where("id = ?", c.ID).Updates(map[string]any{
				"statute": c.Statute, "description": c.Description, "disposition": c.Disposition,
				"updated_at": c.UpdatedAt, "version": c.Version,
			}).Error
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		default:
			out = append(out, old)
		}
	}
	q := tx.Where("defendant_id = ?", defendantID)
	if len(keep) > 0 {
		q = q.Where("count_number NOT IN ?", keep)
	}
	if err := q.Delete(&Charge{}).Error; err != nil {
		return nil, err
	}
	return out, nil
}

func defendantPlace(id string) sealer { return sealer{table: "defendants", row: id} }

// sealDefendant sets d.SealedDOB from d.DateOfBirth under its case's data key.
func (s *Store) sealDefendant(tx *gorm.DB, d *Defendant) error {
	seal := defendantPlace(d.ID)
	var err error
	if seal.key, err = s.dataKeyFor(tx, d.CaseID); err != nil {
		return err
	}
	dob := ""
	if d.DateOfBirth != nil {
		dob = d.DateOfBirth.String()
	}
	d.SealedDOB, err = seal.sealOptional("date_of_birth", dob)
	return err
}

// openDefendants decrypts the dates of birth of defendants of one case and reads their charges, in place.
func (s *Store) openDefendants(db *gorm.DB, ds []Defendant) error {
	if len(ds) == 0 {
		return nil
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	var charges []Charge
	if err := db.Where("defendant_id IN ?", ids).Order("defendant_id, count_number").Find(&charges).Error; err != nil {
		return err
	}
	for i := range ds {
		d := &ds[i]
		key, err := s.caseKey(db, d.CaseID)
		if err != nil {
			return err
		}
		seal := defendantPlace(d.ID)
		seal.key = key
		dob, err := seal.openOptional("date_of_birth", d.SealedDOB)
		if err != nil {
			return err
		}
		d.DateOfBirth = nil
		if dob != "" {
			parsed, err := ParseDate(dob)
			if err != nil {
				return fmt.Errorf("defendant %s: stored date of birth is not a date", d.ID)
			}
			d.DateOfBirth = &parsed
		}
		d.Charges = []Charge{}
		for _, c := range charges {
			if c.DefendantID == d.ID {
				d.Charges = append(d.Charges, c)
			}
		}
	}
	return nil
}

// defendantView leaves out what actor may not see: clerks get the name and charges, not the date of birth.
// Prosecutors see it in full: Rule 49.1 governs what is filed, and defendants' identities are the case.
func defendantView(d Defendant, actor Actor) Defendant {
	d.SealedDOB = nil
	if !seesWhatStaffSee(AccessOf(actor).VictimView) {
		d.DateOfBirth, d.DOBWithheld = nil, true
	}
	return d
}
