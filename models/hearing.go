package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// HearingKind is what a hearing is for.
type HearingKind string

// The kinds of hearing.
const (
	HearingArraignment HearingKind = "arraignment"
	HearingPlea        HearingKind = "plea"
	HearingTrial       HearingKind = "trial"
	HearingSentencing  HearingKind = "sentencing"
	HearingRestitution HearingKind = "restitution"
	HearingOther       HearingKind = "other"
)

// HearingKinds lists every kind of hearing.
var HearingKinds = []HearingKind{HearingArraignment, HearingPlea, HearingTrial, HearingSentencing, HearingRestitution, HearingOther}

// HearingStatus is where a hearing stands.
type HearingStatus string

// The statuses of a hearing.
const (
	HearingScheduled HearingStatus = "scheduled"
	HearingHeld      HearingStatus = "held"
	HearingContinued HearingStatus = "continued"
	HearingCancelled HearingStatus = "cancelled"
)

// HearingStatuses lists every status of a hearing.
var HearingStatuses = []HearingStatus{HearingScheduled, HearingHeld, HearingContinued, HearingCancelled}

// Hearing is a hearing in a case. Notes, free text that may be about victims, is held in the clear here and
// sealed with the case's data key in the database; clerks get a hearing without it.
type Hearing struct {
	ID       string `gorm:"primaryKey"`
	CaseID   string
	Kind     HearingKind
	StartsAt time.Time
	Location string
	Status   HearingStatus
	Notes    string
	// NotesWithheld says the caller may not see notes, so that Notes is empty for that reason.
	NotesWithheld bool `gorm:"-"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Version starts at 1 and grows by one with every change; it is the hearing's ETag.
	Version int64
}

// NewHearing is what it takes to schedule a hearing; Status defaults to HearingScheduled.
type NewHearing struct {
	Kind     HearingKind
	StartsAt time.Time
	Location string
	Status   HearingStatus
	Notes    string
}

// HearingUpdate changes the fields that are Set.
type HearingUpdate struct {
	Kind     Optional[HearingKind]
	StartsAt Optional[time.Time]
	Location Optional[string]
	Status   Optional[HearingStatus]
	Notes    Optional[string]
}

// HearingPage is one page of hearings; NextAfterID is empty on the last page.
type HearingPage struct {
	Items       []Hearing
	NextAfterID string
}

var locationRule = textRule{maxRunes: 200}

// normalize trims and checks every field; StartsAt is kept to the second, in UTC.
func (h *Hearing) normalize() *ValidationError {
	v := &ValidationError{}
	oneOf(v, "kind", h.Kind, HearingKinds)
	h.StartsAt = h.StartsAt.UTC().Truncate(time.Second)
	if y := h.StartsAt.Year(); y < MinYear || y > MaxYear {
		v.add("starts_at", fmt.Sprintf("must be between the years %d and %d", MinYear, MaxYear))
	}
	h.Location = cleanText(v, "location", h.Location, locationRule)
	oneOf(v, "status", h.Status, HearingStatuses)
	h.Notes = cleanText(v, "notes", h.Notes, notesRule)
	return v
}

func hearingSealer(key []byte, id string) sealer { return sealer{key: key, table: "hearings", row: id} }

// CreateHearing validates nh and schedules it in the case with caseID at version 1.
func (s *Store) CreateHearing(ctx context.Context, caseID string, nh NewHearing) (Hearing, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Hearing{}, err
	}
	h := Hearing{ID: id.String(), CaseID: caseID, Kind: nh.Kind, StartsAt: nh.StartsAt, Location: nh.Location,
		Status: nh.Status, Notes: nh.Notes, Version: 1}
	if h.Status == "" {
		h.Status = HearingScheduled
	}
	verr := h.normalize()
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		if _, err := s.caseByID(tx, caseID, false); err != nil {
			return err
		}
		if err := verr.orNil(); err != nil {
			return err
		}
		h.CreatedAt = s.now()
		h.UpdatedAt = h.CreatedAt
		stored := h
		key, err := s.dataKeyFor(tx, caseID)
		if err != nil {
			return err
		}
		if stored.Notes, err = hearingSealer(key, h.ID).seal("notes", h.Notes); err != nil {
			return err
		}
		if err := tx.Create(&stored).Error; err != nil {
			return err
		}
		return s.appendAudit(tx, audited{Action: "hearing.create", ObjectType: "hearing", ObjectID: h.ID, CaseID: caseID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return Hearing{}, err
	}
	return hearingView(h, requestOf(ctx).Actor), nil
}

// HearingByID returns the hearing with id, or ErrNotFound when the request's actor may not see its case.
func (s *Store) HearingByID(ctx context.Context, id string) (Hearing, error) {
	h, err := s.hearingByID(s.read.WithContext(ctx), id)
	if err != nil {
		return Hearing{}, err
	}
	return hearingView(h, requestOf(ctx).Actor), nil
}

func (s *Store) hearingByID(db *gorm.DB, id string) (Hearing, error) {
	if !ValidID(id) {
		return Hearing{}, ErrNotFound
	}
	var h Hearing
	err := inVisibleCases(db.Model(&Hearing{})).Where("id = ?", id).Take(&h).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Hearing{}, ErrNotFound
	}
	if err != nil {
		return Hearing{}, err
	}
	key, err := s.caseKey(db, h.CaseID)
	if err != nil {
		return Hearing{}, err
	}
	h.Notes, err = hearingSealer(key, h.ID).open("notes", h.Notes)
	return h, err
}

// ListHearings returns one page of a case's hearings, earliest first (by start, then ID).
func (s *Store) ListHearings(ctx context.Context, caseID string, limit int, afterID string) (HearingPage, error) {
	db := s.read.WithContext(ctx)
	if _, err := s.caseByID(db, caseID, false); err != nil {
		return HearingPage{}, err
	}
	limit = pageSize(limit)
	q := db.Model(&Hearing{}).Where("case_id = ?", caseID)
	if afterID != "" {
		// The cursor is the previous page's last hearing; the page goes on from its start and ID.
		badCursor := &ValidationError{Fields: map[string]string{"cursor": "is not a cursor this server issued"}}
		if !ValidID(afterID) {
			return HearingPage{}, badCursor
		}
		var after Hearing
		err := db.Model(&Hearing{}).Select("id, starts_at").Where("case_id = ? AND id = ?", caseID, afterID).Take(&after).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return HearingPage{}, badCursor
		}
		if err != nil {
			return HearingPage{}, err
		}
		q = q.Where("starts_at > ? OR (starts_at = ? AND id > ?)", after.StartsAt, after.StartsAt, after.ID)
	}
	var items []Hearing
	if err := q.Order("starts_at, id").Limit(limit + 1).Find(&items).Error; err != nil {
		return HearingPage{}, err
	}
	page := HearingPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		page.NextAfterID = page.Items[limit-1].ID
	}
	key, err := s.caseKey(db, caseID)
	if err != nil {
		return HearingPage{}, err
	}
	actor := requestOf(ctx).Actor
	for i := range page.Items {
		h := &page.Items[i]
		if h.Notes, err = hearingSealer(key, h.ID).open("notes", h.Notes); err != nil {
			return HearingPage{}, err
		}
		*h = hearingView(*h, actor)
	}
	return page, nil
}

// UpdateHearing applies u to the hearing with id, provided the stored version is still version.
func (s *Store) UpdateHearing(ctx context.Context, id string, version int64, u HearingUpdate) (Hearing, error) {
	var h Hearing
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		var err error
		if h, err = s.hearingByID(tx, id); err != nil {
			return err
		}
		if h.Version != version {
			return ErrVersionMismatch
		}
		before := h
		u.Kind.applyTo(&h.Kind)
		u.StartsAt.applyTo(&h.StartsAt)
		u.Location.applyTo(&h.Location)
		u.Status.applyTo(&h.Status)
		u.Notes.applyTo(&h.Notes)
		if err := h.normalize().orNil(); err != nil {
			return err
		}
		if h.Kind == before.Kind && h.StartsAt.Equal(before.StartsAt) && h.Location == before.Location &&
			h.Status == before.Status && h.Notes == before.Notes {
			return nil
		}
		h.Version++
		h.UpdatedAt = s.now()
		key, err := s.caseKey(tx, h.CaseID)
		if err != nil {
			return err
		}
		notes, err := hearingSealer(key, id).seal("notes", h.Notes)
		if err != nil {
			return err
		}
		res := tx.Model(&Hearing{}).Where("id = ? AND version = ?", id, version).Updates(map[string]any{
			"kind": h.Kind, "starts_at": h.StartsAt, "location": h.Location, "status": h.Status,
			"notes": notes, "updated_at": h.UpdatedAt, "version": h.Version,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrVersionMismatch
		}
		return s.appendAudit(tx, audited{Action: "hearing.update", ObjectType: "hearing", ObjectID: id, CaseID: h.CaseID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return Hearing{}, err
	}
	return hearingView(h, requestOf(ctx).Actor), nil
}

// hearingView leaves out what actor may not see: clerks get hearings without their notes.
func hearingView(h Hearing, actor Actor) Hearing {
	if !seesWhatStaffSee(AccessOf(actor).VictimView) {
		h.Notes, h.NotesWithheld = "", true
	}
	return h
}
