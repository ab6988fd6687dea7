package models

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/impactledger/impactledger/money"
)

// LossCategory is what kind of harm a loss is.
type LossCategory string

// The categories of loss.
const (
	LossFraudulentCharges        LossCategory = "fraudulent_charges"
	LossLostWages                LossCategory = "lost_wages"
	LossCreditMonitoring         LossCategory = "credit_monitoring"
	LossRemediationTime          LossCategory = "remediation_time"
	LossLegalFees                LossCategory = "legal_fees"
	LossCounseling               LossCategory = "counseling"
	LossTravelAndCourtCosts      LossCategory = "travel_and_court_costs"
	LossPostageAndNotary         LossCategory = "postage_and_notary"
	LossPropertyOrEquipment      LossCategory = "property_or_equipment"
	LossInvestigationAndResponse LossCategory = "investigation_and_response"
	LossFutureExpense            LossCategory = "future_expense"
	LossOther                    LossCategory = "other"
)

// LossCategories lists every category, in the order summaries show them.
var LossCategories = []LossCategory{LossFraudulentCharges, LossLostWages, LossCreditMonitoring, LossRemediationTime,
	LossLegalFees, LossCounseling, LossTravelAndCourtCosts, LossPostageAndNotary, LossPropertyOrEquipment,
	LossInvestigationAndResponse, LossFutureExpense, LossOther}

// LossStatus is where a loss stands on its way to a restitution order.
type LossStatus string

// The statuses of a loss.
const (
	LossClaimed  LossStatus = "claimed"
	LossVerified LossStatus = "verified"
	LossDisputed LossStatus = "disputed"
	LossExcluded LossStatus = "excluded"
	LossOrdered  LossStatus = "ordered"
)

// LossStatuses lists every status of a loss.
var LossStatuses = []LossStatus{LossClaimed, LossVerified, LossDisputed, LossExcluded, LossOrdered}

// lossMoves says where a loss may move from each status; excluded and ordered are final.
var lossMoves = map[LossStatus][]LossStatus{
	LossClaimed:  {LossVerified, LossDisputed, LossExcluded},
	LossDisputed: {LossVerified, LossExcluded},
	LossVerified: {LossOrdered},
}

// Loss is one itemized loss of a victim. Description, ReimbursedBy and VoidReason are sealed in the
// database. A voided loss is kept, counts in no total, and cannot change.
type Loss struct {
	ID       string
	CaseID   string
	VictimID string
	Category LossCategory
	// ClaimedCents is what the victim claims; VerifiedCents, when set, what the office verified.
	ClaimedCents  int64
	VerifiedCents *int64
	// ReimbursedCents is what an insurer or fund already paid, so that the victim does not recover twice.
	ReimbursedCents int64
	ReimbursedBy    string
	// DefendantID, when not empty, ties the loss to a defendant of the case, and ChargeCount to one of its
	// counts.
	DefendantID string
	ChargeCount *int
	// HoursHundredths and HourlyRateCents, for remediation time, are given together; ClaimedCents is then
	// their product rounded half-up to the cent.
	HoursHundredths *int64
	HourlyRateCents *int64
	Description     string
	IncurredOn      *Date
	Status          LossStatus
	VoidedAt        *time.Time
	VoidReason      string
	VoidedBy        string
	// Documents are the files attached, oldest first, voided ones included.
	Documents []Document
	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time
	UpdatedBy string
	// Version starts at 1 and grows by one with every change; it is the loss's ETag.
	Version int64
}

// NewLoss is what it takes to record a loss; a new loss is always claimed.
type NewLoss struct {
	Category        LossCategory
	ClaimedCents    int64
	VerifiedCents   *int64
	ReimbursedCents int64
	ReimbursedBy    string
	DefendantID     string
	ChargeCount     *int
	HoursHundredths *int64
	HourlyRateCents *int64
	Description     string
	IncurredOn      *Date
}

// LossUpdate changes the fields that are Set. A nil pointer or an empty DefendantID clears the field.
type LossUpdate struct {
	Category        Optional[LossCategory]
	ClaimedCents    Optional[int64]
	VerifiedCents   Optional[*int64]
	ReimbursedCents Optional[int64]
	ReimbursedBy    Optional[string]
	DefendantID     Optional[string]
	ChargeCount     Optional[*int]
	HoursHundredths Optional[*int64]
	HourlyRateCents Optional[*int64]
	Description     Optional[string]
	IncurredOn      Optional[*Date]
	Status          Optional[LossStatus]
}

// LossFilter selects a page of a victim's losses, newest first.
type LossFilter struct {
	Category LossCategory
	Status   LossStatus
	// IncludeVoided lists voided losses too; they are left out by default.
	IncludeVoided bool
	// Limit is the page size (1 to MaxPageSize; 0 means DefaultPageSize).
	Limit int
	// AfterID continues a listing after the loss with this ID (the previous page's last).
	AfterID string
}

// LossPage is one page of losses; NextAfterID is empty on the last page.
type LossPage struct {
	Items       []Loss
	NextAfterID string
}

// lossRow is a loss as stored, its free text sealed.
type lossRow struct {
	ID              string `gorm:"primaryKey"`
	CaseID          string
	VictimID        string
	Category        LossCategory
	ClaimedCents    int64
	VerifiedCents   *int64
	ReimbursedCents int64
	ReimbursedBy    *string
	DefendantID     *string
	ChargeCount     *int
	HoursHundredths *int64
	HourlyRateCents *int64
	Description     string
	IncurredOn      *Date
	Status          LossStatus
	VoidedAt        *time.Time
	VoidReason      *string
	VoidedBy        *string
	CreatedAt       time.Time
	CreatedBy       string
	UpdatedAt       time.Time
	UpdatedBy       string
	Version         int64
	// ImportID names the import that wrote the loss; until it succeeds, the loss is hidden (published).
	ImportID *string
}

func (lossRow) TableName() string { return "losses" }

var (
	lossDescriptionRule = textRule{maxRunes: 5000, multiline: true}
	reimbursedByRule    = textRule{maxRunes: 200}
	voidReasonRule      = textRule{required: true, maxRunes: 2000, multiline: true}
)

// normalize trims and checks every field that needs no database to check, the same for a new loss and a
// changed one.
func (l *Loss) normalize(verr *ValidationError, today Date) {
	oneOf(verr, "category", l.Category, LossCategories)
	oneOf(verr, "status", l.Status, LossStatuses)
	checkCents(verr, "claimed_cents", l.ClaimedCents)
	if l.VerifiedCents != nil {
		checkCents(verr, "verified_cents", *l.VerifiedCents)
	}
	checkCents(verr, "reimbursed_cents", l.ReimbursedCents)
	basis, basisField := l.ClaimedCents, "claimed_cents"
	if l.VerifiedCents != nil {
		basis, basisField = *l.VerifiedCents, "verified_cents"
	}
	if l.ReimbursedCents > basis {
		verr.add("reimbursed_cents", "must not exceed "+basisField)
	}
	l.ReimbursedBy = cleanText(verr, "reimbursed_by", l.ReimbursedBy, reimbursedByRule)
	l.Description = cleanText(verr, "description", l.Description, lossDescriptionRule)
	if (l.Status == LossVerified || l.Status == LossOrdered) && l.VerifiedCents == nil {
		verr.add("verified_cents", "is required for a "+string(l.Status)+" loss")
	}
	if l.ChargeCount != nil && l.DefendantID == "" {
		verr.add("charge_count", "needs defendant_id")
	}
	if l.IncurredOn != nil {
		checkDate(verr, "incurred_on", l.IncurredOn)
		if l.IncurredOn.Time().After(today.Time()) {
			verr.add("incurred_on", "must not be in the future")
		}
	}
	l.checkTime(verr)
}

// checkTime checks remediation hours: given with their rate, only for remediation time, and then the claim
// is exactly what they come to.
func (l *Loss) checkTime(verr *ValidationError) {
	hours, rate := l.HoursHundredths, l.HourlyRateCents
	switch {
	case hours == nil && rate == nil:
		return
	case hours == nil:
		verr.add("hours", "is required with hourly_rate_cents")
		return
	case rate == nil:
		verr.add("hourly_rate_cents", "is required with hours")
		return
	case l.Category != LossRemediationTime:
		verr.add("hours", "is only for losses of category remediation_time")
		return
	}
	if *hours < 0 || *hours > money.MaxHundredths {
		verr.add("hours", fmt.Sprintf("must be from 0 to %s", money.FormatHours(money.MaxHundredths)))
		return
	}
	checkCents(verr, "hourly_rate_cents", *rate)
	value, err := money.TimeValue(*hours, *rate)
	if err != nil || value > money.MaxCents {
		verr.add("hourly_rate_cents", "times hours is more than any loss may claim")
		return
	}
	if value != l.ClaimedCents {
		verr.add("claimed_cents", fmt.Sprintf("must equal hours × hourly_rate_cents rounded half-up to the cent, %d", value))
	}
}

// checkCents records a problem with an amount outside 0 to money.MaxCents.
func checkCents(verr *ValidationError, field string, cents int64) {
	if cents < 0 {
		verr.add(field, "must not be negative")
	} else if cents > money.MaxCents {
		verr.add(field, fmt.Sprintf("must be at most %d", money.MaxCents))
	}
}

// checkLossLinks checks, in tx, what only the database knows: the defendant belongs to the loss's case and
// the count is one of its charges.
func checkLossLinks(tx *gorm.DB, verr *ValidationError, l Loss) error {
	if l.DefendantID == "" {
		return nil
	}
	var found []string
	if ValidID(l.DefendantID) {
		if err := tx.Model(&Defendant{}).Where("id = ? AND case_id = ?", l.DefendantID, l.CaseID).Pluck("id", &found).Error; err != nil {
			return err
		}
	}
	if len(found) == 0 {
		verr.add("defendant_id", "is not a defendant of this case")
		return nil
	}
	if l.ChargeCount == nil {
		return nil
	}
	var n int64
	if err := tx.Model(&Charge{}).Where("defendant_id = ? AND count_number = ?", l.DefendantID, *l.ChargeCount).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		verr.add("charge_count", "is not a count charged against that defendant")
	}
	return nil
}

// CreateLoss validates nl and records it as a claimed loss of the victim with victimID, at version 1. It
// answers ErrNotFound for a victim the actor may not see, or a *ValidationError.
func (s *Store) CreateLoss(ctx context.Context, victimID string, nl NewLoss) (Loss, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Loss{}, err
	}
	l := Loss{
		ID: id.String(), VictimID: victimID, Category: nl.Category, ClaimedCents: nl.ClaimedCents,
		VerifiedCents: nl.VerifiedCents, ReimbursedCents: nl.ReimbursedCents, ReimbursedBy: nl.ReimbursedBy,
		DefendantID: nl.DefendantID, ChargeCount: nl.ChargeCount, HoursHundredths: nl.HoursHundredths,
		HourlyRateCents: nl.HourlyRateCents, Description: nl.Description, IncurredOn: nl.IncurredOn,
		Status: LossClaimed, Version: 1, Documents: []Document{},
	}
	verr := &ValidationError{}
	l.normalize(verr, s.today())
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		// Whether the victim is visible comes before whether the body is valid.
		victim, err := victimRowByID(tx, victimID)
		if err != nil {
			return err
		}
		l.CaseID = victim.CaseID
		if err := checkLossLinks(tx, verr, l); err != nil {
			return err
		}
		if err := verr.orNil(); err != nil {
			return err
		}
		l.CreatedAt, l.CreatedBy = s.now(), requestOf(ctx).Actor.ID
		l.UpdatedAt, l.UpdatedBy = l.CreatedAt, l.CreatedBy
		key, err := s.dataKeyFor(tx, l.CaseID)
		if err != nil {
			return err
		}
		row, err := lossRowOf(l, key)
		if err != nil {
			return err
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.appendAudit(tx, audited{Action: "loss.create", ObjectType: "loss", ObjectID: l.ID, CaseID: l.CaseID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return Loss{}, err
	}
	return l, nil
}

// LossByID returns the loss with id, voided or not, with its documents, and records the read.
func (s *Store) LossByID(ctx context.Context, id string) (Loss, error) {
	db := s.read.WithContext(ctx)
	row, err := s.lossRowByID(db, id, false)
	if err != nil {
		return Loss{}, err
	}
	losses, err := s.openLosses(db, row.CaseID, []lossRow{row})
	if err != nil {
		return Loss{}, err
	}
	if err := s.inTx(ctx, func(tx *gorm.DB) error {
		return s.appendAudit(tx, audited{Action: "loss.read", ObjectType: "loss", ObjectID: id, CaseID: row.CaseID, Outcome: OutcomeSuccess})
	}); err != nil {
		return Loss{}, err
	}
	return losses[0], nil
}

// LossVersion returns the version of a loss the request's actor may see, without reading (or auditing)
// its content, so that a change can check its If-Match first.
func (s *Store) LossVersion(ctx context.Context, id string) (int64, error) {
	row, err := s.lossRowByID(s.read.WithContext(ctx), id, false)
	return row.Version, err
}

// ListLosses returns one page of the losses of a victim that f selects, newest first, and records one
// loss.list event for the victim.
func (s *Store) ListLosses(ctx context.Context, victimID string, f LossFilter) (LossPage, error) {
	db := s.read.WithContext(ctx)
	victim, err := victimRowByID(db, victimID)
	if err != nil {
		return LossPage{}, err
	}
	limit := pageSize(f.Limit)
	q := published(db.Model(&lossRow{}), "losses").Where("victim_id = ?", victimID)
	verr := &ValidationError{}
	if f.Category != "" {
		oneOf(verr, "category", f.Category, LossCategories)
		q = q.Where("category = ?", f.Category)
	}
	if f.Status != "" {
		oneOf(verr, "status", f.Status, LossStatuses)
		q = q.Where("status = ?", f.Status)
	}
	if !f.IncludeVoided {
		q = q.Where("voided_at IS NULL")
	}
	if f.AfterID != "" {
		if !ValidID(f.AfterID) {
			verr.add("cursor", "is not a cursor this server issued")
		}
		q = q.Where("id < ?", f.AfterID)
	}
	if err := verr.orNil(); err != nil {
		return LossPage{}, err
	}
	var rows []lossRow
	if err := q.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return LossPage{}, err
	}
	page := LossPage{}
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextAfterID = rows[limit-1].ID
	}
	if page.Items, err = s.openLosses(db, victim.CaseID, rows); err != nil {
		return LossPage{}, err
	}
	if err := s.inTx(ctx, func(tx *gorm.DB) error {
		return s.appendAudit(tx, audited{Action: "loss.list", ObjectType: "victim", ObjectID: victimID, CaseID: victim.CaseID, Outcome: OutcomeSuccess})
	}); err != nil {
		return LossPage{}, err
	}
	return page, nil
}

// UpdateLoss applies u to the loss with id, provided the stored version is still version. A status moves
// only along lossMoves, and a voided loss does not change: both are a *ConflictError.
func (s *Store) UpdateLoss(ctx context.Context, id string, version int64, u LossUpdate) (Loss, error) {
	var l Loss
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		row, err := s.lossRowByID(tx, id, true)
		if err != nil {
			return err
		}
		if row.Version != version {
			return ErrVersionMismatch
		}
		if row.VoidedAt != nil {
			return &ConflictError{Detail: "This loss is void; a void loss cannot be changed."}
		}
		key, err := s.dataKeyFor(tx, row.CaseID)
		if err != nil {
			return err
		}
		if l, err = openLoss(key, row); err != nil {
			return err
		}
		before := l
		u.applyTo(&l)
		if err := checkMove(before.Status, l.Status); err != nil {
			return err
		}
		verr := &ValidationError{}
		l.normalize(verr, s.today())
		if err := checkLossLinks(tx, verr, l); err != nil {
			return err
		}
		if err := verr.orNil(); err != nil {
			return err
		}
		if reflect.DeepEqual(before, l) {
			return nil
		}
		l.Version++
		l.UpdatedAt, l.UpdatedBy = s.now(), requestOf(ctx).Actor.ID
		next, err := lossRowOf(l, key)
		if err != nil {
			return err
		}
		res := tx.Model(&lossRow{}).Where("id = ? AND version = ?", id, version).Updates(map[string]any{
			"category": next.Category, "claimed_cents": next.ClaimedCents, "verified_cents": next.VerifiedCents,
			"reimbursed_cents": next.ReimbursedCents, "reimbursed_by": next.ReimbursedBy,
			"defendant_id": next.DefendantID, "charge_count": next.ChargeCount,
			"hours_hundredths": next.HoursHundredths, "hourly_rate_cents": next.HourlyRateCents,
			"description": next.Description, "incurred_on": next.IncurredOn, "status": next.Status,
			"updated_at": next.UpdatedAt, "updated_by": next.UpdatedBy, "version": next.Version,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrVersionMismatch
		}
		return s.appendAudit(tx, audited{Action: "loss.update", ObjectType: "loss", ObjectID: id, CaseID: row.CaseID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return Loss{}, err
	}
	return s.withDocuments(ctx, l)
}

// checkMove refuses a status change that lossMoves does not allow.
func checkMove(from, to LossStatus) error {
	if from == to || slices.Contains(lossMoves[from], to) || !slices.Contains(LossStatuses, to) {
		return nil // no move, an allowed one, or an unknown status that validation names
	}
	next := lossMoves[from]
	if len(next) == 0 {
		return &ConflictError{Detail: fmt.Sprintf("A loss cannot move from %s to %s: %s is final.", from, to, from)}
	}
	names := make([]string, len(next))
	for i, n := range next {
		names[i] = string(n)
	}
	return &ConflictError{Detail: fmt.Sprintf("A loss cannot move from %s to %s; from %s it may move only to %s.",
		from, to, from, strings.Join(names, ", "))}
}

// VoidLoss marks the loss with id void for reason: it is kept, shows its voiding, counts in no total and can
// no longer change. version 0 skips the version check. Voiding a void loss again changes nothing and answers
// it as it is, so that a retried request gets the same answer.
func (s *Store) VoidLoss(ctx context.Context, id string, version int64, reason string) (Loss, error) {
	verr := &ValidationError{}
	reason = cleanText(verr, "reason", reason, voidReasonRule)
	var l Loss
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		row, err := s.lossRowByID(tx, id, true)
		if err != nil {
			return err
		}
		if version != 0 && row.Version != version {
			return ErrVersionMismatch
		}
		if err := verr.orNil(); err != nil {
			return err
		}
		key, err := s.dataKeyFor(tx, row.CaseID)
		if err != nil {
			return err
		}
		if l, err = openLoss(key, row); err != nil {
			return err
		}
		if row.VoidedAt != nil {
			return nil
		}
		at, by := s.now(), requestOf(ctx).Actor.ID
		sealed, err := lossSealer(key, id).seal("void_reason", reason)
		if err != nil {
			return err
		}
		res := tx.Model(&lossRow{}).Where("id = ? AND version = ?", id, row.Version).Updates(map[string]any{
			"voided_at": at, "void_reason": sealed, "voided_by": by,
			"updated_at": at, "updated_by": by, "version": row.Version + 1,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrVersionMismatch
		}
		l.VoidedAt, l.VoidReason, l.VoidedBy = &at, reason, by
		l.UpdatedAt, l.UpdatedBy, l.Version = at, by, row.Version+1
		return s.appendAudit(tx, audited{Action: "loss.void", ObjectType: "loss", ObjectID: id, CaseID: row.CaseID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return Loss{}, err
	}
	return s.withDocuments(ctx, l)
}

func (u LossUpdate) applyTo(l *Loss) {
	u.Category.applyTo(&l.Category)
	u.ClaimedCents.applyTo(&l.ClaimedCents)
	u.VerifiedCents.applyTo(&l.VerifiedCents)
	u.ReimbursedCents.applyTo(&l.ReimbursedCents)
	u.ReimbursedBy.applyTo(&l.ReimbursedBy)
	u.DefendantID.applyTo(&l.DefendantID)
	u.ChargeCount.applyTo(&l.ChargeCount)
	u.HoursHundredths.applyTo(&l.HoursHundredths)
	u.HourlyRateCents.applyTo(&l.HourlyRateCents)
	u.Description.applyTo(&l.Description)
	u.IncurredOn.applyTo(&l.IncurredOn)
	u.Status.applyTo(&l.Status)
}

// lossRowByID reads the stored loss with id, provided the request's actor may see its case. With lock, the
// row stays locked until db's transaction ends, so that changes to one loss queue.
func (s *Store) lossRowByID(db *gorm.DB, id string, lock bool) (lossRow, error) {
	if !ValidID(id) {
		return lossRow{}, ErrNotFound
	}
	var row lossRow
	q := published(inVisibleCases(db.Model(&lossRow{})), "losses").Where("id = ?", id)
	if lock {
		q = s.forUpdate(q)
	}
	err := q.Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return lossRow{}, ErrNotFound
	}
	return row, err
}

func lossSealer(key []byte, id string) sealer { return sealer{key: key, table: "losses", row: id} }

// lossRowOf seals l for storage under key; the void columns are written only by VoidLoss.
func lossRowOf(l Loss, key []byte) (lossRow, error) {
	row := lossRow{
		ID: l.ID, CaseID: l.CaseID, VictimID: l.VictimID, Category: l.Category, ClaimedCents: l.ClaimedCents,
		VerifiedCents: l.VerifiedCents, ReimbursedCents: l.ReimbursedCents, ChargeCount: l.ChargeCount,
		HoursHundredths: l.HoursHundredths, HourlyRateCents: l.HourlyRateCents, IncurredOn: l.IncurredOn,
		Status: l.Status, CreatedAt: l.CreatedAt, CreatedBy: l.CreatedBy, UpdatedAt: l.UpdatedAt,
		UpdatedBy: l.UpdatedBy, Version: l.Version,
	}
	if l.DefendantID != "" {
		row.DefendantID = &l.DefendantID
	}
	seal := lossSealer(key, l.ID)
	var err error
	if row.ReimbursedBy, err = seal.sealOptional("reimbursed_by", l.ReimbursedBy); err != nil {
		return lossRow{}, err
	}
	row.Description, err = seal.seal("description", l.Description)
	return row, err
}

// openLoss decrypts a stored loss with its case's data key; its documents are left to the caller.
func openLoss(key []byte, row lossRow) (Loss, error) {
	l := Loss{
		ID: row.ID, CaseID: row.CaseID, VictimID: row.VictimID, Category: row.Category,
		ClaimedCents: row.ClaimedCents, VerifiedCents: row.VerifiedCents, ReimbursedCents: row.ReimbursedCents,
		DefendantID: deref(row.DefendantID), ChargeCount: row.ChargeCount, HoursHundredths: row.HoursHundredths,
		HourlyRateCents: row.HourlyRateCents, IncurredOn: row.IncurredOn, Status: row.Status,
		VoidedBy: deref(row.VoidedBy), CreatedAt: row.CreatedAt, CreatedBy: row.CreatedBy,
		UpdatedAt: row.UpdatedAt, UpdatedBy: row.UpdatedBy, Version: row.Version, Documents: []Document{},
	}
	if row.VoidedAt != nil {
		at := row.VoidedAt.UTC()
		l.VoidedAt = &at
	}
	seal := lossSealer(key, row.ID)
	var err error
	if l.ReimbursedBy, err = seal.openOptional("reimbursed_by", row.ReimbursedBy); err != nil {
		return Loss{}, err
	}
	if l.Description, err = seal.open("description", row.Description); err != nil {
		return Loss{}, err
	}
	if l.VoidReason, err = seal.openOptional("void_reason", row.VoidReason); err != nil {
		return Loss{}, err
	}
	return l, nil
}

// openLosses decrypts stored losses of one case and attaches their documents.
func (s *Store) openLosses(db *gorm.DB, caseID string, rows []lossRow) ([]Loss, error) {
	out := make([]Loss, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	key, err := s.caseKey(db, caseID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rows))
	for i, row := range rows {
		l, err := openLoss(key, row)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
		ids[i] = row.ID
	}
	docs, err := s.documentsOf(db, key, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Documents = append(out[i].Documents, docs[out[i].ID]...)
	}
	return out, nil
}

// withDocuments attaches a loss's documents after a change.
func (s *Store) withDocuments(ctx context.Context, l Loss) (Loss, error) {
	db := s.read.WithContext(ctx)
	key, err := s.caseKey(db, l.CaseID)
	if err != nil {
		return Loss{}, err
	}
	docs, err := s.documentsOf(db, key, []string{l.ID})
	if err != nil {
		return Loss{}, err
	}
	l.Documents = append([]Document{}, docs[l.ID]...)
	return l, nil
}
