package models

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/impactledger/impactledger/money"
	"github.com/impactledger/impactledger/restitution"
)

// EntryKind is what a ledger entry records.
type EntryKind = restitution.EntryKind

// PaymentMethods are the ways a payment arrives.
var PaymentMethods = []string{"check", "money_order", "cash", "eft", "garnishment", "tax_intercept", "inmate_account"}

// DisbursementMethods are the ways money is sent to a victim.
var DisbursementMethods = []string{"check", "eft"}

// LedgerEntry is one entry of an order's ledger. Reference and Reason are sealed in the database.
type LedgerEntry struct {
	ID          string
	OrderID     string
	Seq         int64
	Kind        EntryKind
	EffectiveOn Date
	// AmountCents is positive but for an adjustment, whose sign is its direction.
	AmountCents    int64
	UnappliedCents int64
	// PrincipalCents and InterestCents sum the entry's allocations, over every line it touched.
	PrincipalCents   int64
	InterestCents    int64
	VictimID         string
	PayerDefendantID string
	Method           string
	Reference        string
	Reason           string
	ReversesID       string
	// ReversedBy is the reversal of a payment that was reversed.
	ReversedBy string
	// AllocationCount is how many lines the entry touched; Allocations holds all of them or, in lists, only
	// those asked for.
	AllocationCount int
	Allocations     []restitution.Allocation
	CreatedAt       time.Time
	CreatedBy       string
}

type entryRow struct {
	ID               string `gorm:"primaryKey"`
	OrderID          string
	Seq              int64
	Kind             EntryKind
	EffectiveOn      Date
	AmountCents      int64
	UnappliedCents   int64
	PrincipalCents   int64
	InterestCents    int64
	VictimID         *string
	PayerDefendantID *string
	Method           *string
	Reference        *string
	Reason           *string
	ReversesID       *string
	IdempotencyKey   *string
	RequestHash      *string
	CreatedAt        time.Time
	CreatedBy        *string
}

func (entryRow) TableName() string { return "restitution_entries" }

type allocationRow struct {
	EntryID        string `gorm:"primaryKey"`
	VictimID       string `gorm:"primaryKey"`
	PrincipalCents int64
	InterestCents  int64
}

func (allocationRow) TableName() string { return "restitution_allocations" }

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// loadLedger reads an order's entries and allocations into the ledger the restitution package replays, with
// the entries as read (sealed), in replay order.
func loadLedger(db *gorm.DB, o RestitutionOrder) (restitution.Ledger, []entryRow, error) {
	l := restitution.Ledger{Terms: ledgerTerms(o), Lines: make([]restitution.Line, len(o.Lines))}
	for i, line := range o.Lines {
		l.Lines[i] = restitution.Line{VictimID: line.VictimID, Kind: restitution.Kind(line.VictimKind), OrderedCents: line.OrderedCents}
	}
	var rows []entryRow
	if err := db.Where("order_id = ?", o.ID).Order("effective_on, seq").Find(&rows).Error; err != nil {
		return l, nil, err
	}
	index := make(map[string]int, len(rows))
	l.Entries = make([]restitution.Entry, len(rows))
	for i, r := range rows {
		index[r.ID] = i
		l.Entries[i] = restitution.Entry{Kind: r.Kind, On: dayOf(r.EffectiveOn), Seq: r.Seq, AmountCents: r.AmountCents,
			VictimID: deref(r.VictimID), UnappliedCents: r.UnappliedCents}
	}
	rs, err := db.Model(&allocationRow{}).Select("entry_id, victim_id, principal_cents, interest_cents").
		Where("entry_id IN (SELECT id FROM restitution_entries WHERE order_id = ?)", o.ID).Rows()
	if err != nil {
		return l, nil, err
	}
	defer rs.Close()
	for rs.Next() {
		var entryID string
		var a restitution.Allocation
		if err := rs.Scan(&entryID, &a.VictimID, &a.PrincipalCents, &a.InterestCents); err != nil {
			return l, nil, err
		}
		e := &l.Entries[index[entryID]]
		e.Allocations = append(e.Allocations, a)
	}
	return l, rows, rs.Err()
}

// ledgerTerms are the terms of o as the restitution package takes them.
func ledgerTerms(o RestitutionOrder) restitution.Terms {
	return restitution.Terms{OrderedOn: dayOf(o.OrderedOn), RateBps: o.Terms.RateBps, ThresholdCents: o.Terms.ThresholdCents,
		WaiverDays: o.Terms.WaiverDays, Classes: kinds(o.Terms.Classes)}
}

// loadLineLedger reads the partial ledger of one victim's line of order o (read without its lines): the
// line, the order's other lines as one ordered total, every entry with the principal it applied elsewhere,
// and this victim's allocations only.
func loadLineLedger(db *gorm.DB, o RestitutionOrder, victimID string) (restitution.Ledger, []entryRow, error) {
	l := restitution.Ledger{Terms: ledgerTerms(o)}
	var line orderLineRow
	if err := db.Where("order_id = ? AND victim_id = ?", o.ID, victimID).Take(&line).Error; err != nil {
		return l, nil, err
	}
	var ordered []int64
	if err := db.Model(&orderLineRow{}).Where("order_id = ?", o.ID).Pluck("COALESCE(SUM(ordered_cents), 0)", &ordered).Error; err != nil || len(ordered) != 1 {
		return l, nil, cmp.Or(err, errors.New("models: an order's ordered total did not come back"))
	}
	l.Lines = []restitution.Line{{VictimID: victimID, Kind: restitution.Kind(line.VictimKind), OrderedCents: line.OrderedCents}}
	l.OtherOrderedCents = ordered[0] - line.OrderedCents
	var rows []entryRow
	if err := db.Where("order_id = ?", o.ID).Order("effective_on, seq").Find(&rows).Error; err != nil {
		return l, nil, err
	}
	var mine []allocationRow
	if err := db.Where("victim_id = ? AND entry_id IN (SELECT id FROM restitution_entries WHERE order_id = ?)", victimID, o.ID).Find(&mine).Error; err != nil {
		return l, nil, err
	}
	byEntry := make(map[string]allocationRow, len(mine))
	for _, a := range mine {
		byEntry[a.EntryID] = a
	}
	l.Entries = make([]restitution.Entry, len(rows))
	for i, r := range rows {
		e := restitution.Entry{Kind: r.Kind, On: dayOf(r.EffectiveOn), Seq: r.Seq, AmountCents: r.AmountCents,
			VictimID: deref(r.VictimID), UnappliedCents: r.UnappliedCents, OtherPrincipalCents: r.PrincipalCents}
		if a, ok := byEntry[r.ID]; ok {
			e.Allocations = []restitution.Allocation{{VictimID: victimID, PrincipalCents: a.PrincipalCents, InterestCents: a.InterestCents}}
			e.OtherPrincipalCents -= a.PrincipalCents
		}
		l.Entries[i] = e
	}
	return l, rows, nil
}

// lastDay is the latest day among the ledger's entries and day.
func lastDay(l restitution.Ledger, day restitution.Day) restitution.Day {
	for _, e := range l.Entries {
		day = max(day, e.On)
	}
	return day
}

// OutOfOrderError refuses an entry dated before an entry it must follow.
type OutOfOrderError struct{ Detail string }

// Error says which entry it must follow and what to do.
func (e *OutOfOrderError) Error() string { return e.Detail }

// checkPostingOrder refuses a payment or adjustment dated before the order's latest payment or adjustment:
// those post in date order, so that no allocation already made is ever rewritten.
func checkPostingOrder(l restitution.Ledger, on restitution.Day, what string) error {
	var latest restitution.Day = -1 << 40
	var latestKind EntryKind
	for _, e := range l.Entries {
		if (e.Kind == restitution.Payment || e.Kind == restitution.Adjustment) && e.On > latest {
			latest, latestKind = e.On, e.Kind
		}
	}
	if on < latest {
		return &OutOfOrderError{Detail: fmt.Sprintf("This %s is dated %s, before the order's latest %s (%s). "+
			"Entries on an order are posted in date order so that no earlier allocation changes; "+
			"date it %s or later, or reverse the later payments first.", what, dateOfDay(on), latestKind, dateOfDay(latest), dateOfDay(latest))}
	}
	return nil
}

// NewPayment is a payment received on an order.
type NewPayment struct {
	AmountCents      int64
	ReceivedOn       Date
	PayerDefendantID string
	Method           string
	Reference        string
}

// NewRefund returns part of an order's unapplied credit to the payer.
type NewRefund struct {
	AmountCents int64
	PaidOn      Date
	Reference   string
}

// NewAdjustment amends one line of an order.
type NewAdjustment struct {
	VictimID    string
	DeltaCents  int64
	EffectiveOn Date
	Reason      string
}

// NewDisbursement is money sent to a victim.
type NewDisbursement struct {
	VictimID    string
	AmountCents int64
	PaidOn      Date
	Method      string
	Reference   string
}

// ledgerPost is what every write to a ledger shares: the order, the caller's idempotency key and a digest
// of the request it stands for, and how to build the entry once the order is locked and its ledger read.
type ledgerPost struct {
	orderID string
	key     string
	request string
	audit   string
	build   func(tx *gorm.DB, o RestitutionOrder, l restitution.Ledger, e *LedgerEntry) error
}

// post runs p: it locks the order (entries on one order queue), answers the first entry again for a
// repeated idempotency key, builds and checks the entry, and writes it with its allocations and an audit
// event, in one transaction. replayed says the entry was already there.
func (s *Store) post(ctx context.Context, p ledgerPost) (e LedgerEntry, replayed bool, err error) {
	if len(p.key) > maxIdempotencyKey {
		return e, false, &ValidationError{Fields: map[string]string{"Idempotency-Key": fmt.Sprintf("must be at most %d characters", maxIdempotencyKey)}}
	}
	var hash string // the request's digest under the case's data key, once the order is read
	actor := staffID(ctx)
	switch {
	case actor == "":
		p.key = "" // keys are the caller's own; the system, which has no account, does not retry through them
	case p.key == "":
		return e, false, ErrIdempotencyKeyRequired
	}
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		o, err := s.orderByID(tx, p.orderID, true)
		if err != nil {
			return err
		}
		if p.key != "" {
			// Keyed with the case's data key, the digest cannot be used to guess the sealed reference or reason
			// it covers from the plain fields beside it.
			dk, err := s.dataKeyFor(tx, o.CaseID)
			if err != nil {
				return err
			}
			mac := hmac.New(sha256.New, dk)
			mac.Write([]byte("restitution-request\x00" + o.ID + "\x00" + p.request))
			hash = hex.EncodeToString(mac.Sum(nil))
			var earlier entryRow
			err = tx.Where("created_by = ? AND idempotency_key = ?", actor, p.key).Take(&earlier).Error
			if err == nil {
				if deref(earlier.RequestHash) != hash {
					return IdempotencyKeyReusedError{Detail: reusedEntryKey}
				}
				replayed = true
				e, err = s.entryByID(tx, earlier.ID)
				return err
			}
			if !errors.Is(err, gorm.ErrRecordNotFound) {
				return err
			}
		}
		l, _, err := loadLedger(tx, o)
		if err != nil {
			return err
		}
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		e = LedgerEntry{ID: id.String(), OrderID: o.ID, CreatedAt: s.now(), CreatedBy: actor}
		if err := p.build(tx, o, l, &e); err != nil {
			return err
		}
		var next struct{ Seq int64 }
		if err := tx.Model(&entryRow{}).Select("COALESCE(MAX(seq), 0) + 1 AS seq").Where("order_id = ?", o.ID).Take(&next).Error; err != nil {
			return err
		}
		e.Seq = next.Seq
		if err := s.insertEntry(tx, o.CaseID, e, optional(p.key), optional(hash)); err != nil {
			return err
		}
		return s.appendAudit(tx, audited{Action: p.audit, ObjectType: "restitution_entry", ObjectID: e.ID, CaseID: o.CaseID, Outcome: OutcomeSuccess})
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) && p.key != "" && hash != "" {
		// The same key raced in on another order: answer as if it had come second.
		var earlier entryRow
		if err := s.write.WithContext(ctx).Where("created_by = ? AND idempotency_key = ?", actor, p.key).Take(&earlier).Error; err != nil {
			return e, false, err
		}
		if deref(earlier.RequestHash) != hash {
			return e, false, IdempotencyKeyReusedError{Detail: reusedEntryKey}
		}
		e, err = s.entryByID(s.write.WithContext(ctx), earlier.ID)
		return e, true, err
	}
	return e, replayed, err
}

// ErrIdempotencyKeyRequired refuses an entry a person posts without an Idempotency-Key: every entry moves
// money, and only a key makes a retry after a lost answer safe.
var ErrIdempotencyKeyRequired = errors.New("models: an entry moves money and needs an idempotency key")

const reusedEntryKey = "This Idempotency-Key was already used for a different request. Use a new key for a new entry."

// insertEntry writes e, its reference and reason sealed with the case's data key, and its allocations.
func (s *Store) insertEntry(tx *gorm.DB, caseID string, e LedgerEntry, key, hash *string) error {
	dk, err := s.dataKeyFor(tx, caseID)
	if err != nil {
		return err
	}
	seal := entrySealer(dk, e.ID)
	row := entryRow{ID: e.ID, OrderID: e.OrderID, Seq: e.Seq, Kind: e.Kind, EffectiveOn: e.EffectiveOn, AmountCents: e.AmountCents,
		UnappliedCents: e.UnappliedCents, VictimID: optional(e.VictimID), PayerDefendantID: optional(e.PayerDefendantID),
		PrincipalCents: e.PrincipalCents, InterestCents: e.InterestCents,
		Method: optional(e.Method), ReversesID: optional(e.ReversesID), IdempotencyKey: key, RequestHash: hash,
		CreatedAt: e.CreatedAt, CreatedBy: optional(e.CreatedBy)}
	if row.Reference, err = seal.sealOptional("reference", e.Reference); err != nil {
		return err
	}
	if row.Reason, err = seal.sealOptional("reason", e.Reason); err != nil {
		return err
	}
	if err := tx.Create(&row).Error; err != nil {
		return err
	}
	allocations := make([]allocationRow, len(e.Allocations))
	for i, a := range e.Allocations {
		allocations[i] = allocationRow{EntryID: e.ID, VictimID: a.VictimID, PrincipalCents: a.PrincipalCents, InterestCents: a.InterestCents}
	}
	return s.insertMany(tx, allocations)
}

func entrySealer(key []byte, id string) sealer {
	return sealer{key: key, table: "restitution_entries", row: id}
}

// checkPayment validates p against the order: a positive amount, a liable payer, a known method, a day from
// the order date to today.
func (s *Store) checkPayment(v *ValidationError, o RestitutionOrder, p *NewPayment) {
	checkPositive(v, "amount_cents", p.AmountCents)
	if !slices.Contains(o.DefendantIDs, p.PayerDefendantID) {
		v.add("payer_defendant_id", "is not a defendant liable on this order")
	}
	if !slices.Contains(PaymentMethods, p.Method) {
		v.add("method", "must be one of "+strings.Join(PaymentMethods, ", "))
	}
	p.Reference = cleanText(v, "reference", p.Reference, textRule{maxRunes: 200})
	s.checkLedgerDay(v, "received_on", o, p.ReceivedOn)
}

func checkPositive(v *ValidationError, field string, cents int64) {
	if cents < 1 || cents > money.MaxCents {
		v.add(field, fmt.Sprintf("must be 1 to %d cents", money.MaxCents))
	}
}

// checkLedgerDay refuses a day before the order or in the future.
func (s *Store) checkLedgerDay(v *ValidationError, field string, o RestitutionOrder, d Date) {
	s.checkDay(v, field, d)
	if d.Time().Before(o.OrderedOn.Time()) {
		v.add(field, fmt.Sprintf("must not be before the order date, %s", o.OrderedOn))
	}
}

// PreviewPayment answers the allocation a payment would get, saving nothing.
func (s *Store) PreviewPayment(ctx context.Context, orderID string, p NewPayment) (LedgerEntry, error) {
	db := s.read.WithContext(ctx)
	o, err := s.orderByID(db, orderID, false)
	if err != nil {
		return LedgerEntry{}, err
	}
	l, _, err := loadLedger(db, o)
	if err != nil {
		return LedgerEntry{}, err
	}
	e := LedgerEntry{OrderID: o.ID}
	return e, s.buildPayment(o, l, p, &e)
}

// RecordPayment records a payment on the order with orderID and allocates it (see restitution.Allocate).
// A payment dated before the order's latest payment or adjustment is an *OutOfOrderError. With key, a
// repeated request answers the first payment again (replayed) and a different one IdempotencyKeyReusedError.
func (s *Store) RecordPayment(ctx context.Context, orderID, key string, p NewPayment) (LedgerEntry, bool, error) {
	request := fmt.Sprintf("payment\x00%d\x00%s\x00%s\x00%s\x00%s", p.AmountCents, p.ReceivedOn, p.PayerDefendantID, p.Method, p.Reference)
	return s.post(ctx, ledgerPost{orderID: orderID, key: key, request: request, audit: "restitution.payment",
		build: func(_ *gorm.DB, o RestitutionOrder, l restitution.Ledger, e *LedgerEntry) error {
			return s.buildPayment(o, l, p, e)
		}})
}

func (s *Store) buildPayment(o RestitutionOrder, l restitution.Ledger, p NewPayment, e *LedgerEntry) error {
	v := &ValidationError{}
	s.checkPayment(v, o, &p)
	if err := v.orNil(); err != nil {
		return err
	}
	on := dayOf(p.ReceivedOn)
	if err := checkPostingOrder(l, on, "payment"); err != nil {
		return err
	}
	allocations, unapplied, err := l.Allocate(on, p.AmountCents)
	if err != nil {
		return err
	}
	e.Kind, e.EffectiveOn, e.AmountCents, e.UnappliedCents = restitution.Payment, p.ReceivedOn, p.AmountCents, unapplied
	e.PayerDefendantID, e.Method, e.Reference = p.PayerDefendantID, p.Method, p.Reference
	e.setAllocations(allocations)
	return nil
}

// setAllocations gives e its allocations and their sums.
func (e *LedgerEntry) setAllocations(allocations []restitution.Allocation) {
	e.Allocations, e.AllocationCount = allocations, len(allocations)
	e.PrincipalCents, e.InterestCents = 0, 0
	for _, a := range allocations {
		e.PrincipalCents += a.PrincipalCents
		e.InterestCents += a.InterestCents
	}
}

// ErrAlreadyReversed refuses to reverse a payment twice.
var ErrAlreadyReversed = &ConflictError{Detail: "This payment was already reversed."}

// ReversePayment undoes the payment with paymentID on its own day: entries negating exactly its allocations
// and credit, so that interest since then is recomputed while later payments keep their allocations. It
// answers the payment, now reversed. With key, as for RecordPayment, a repeated request answers the payment
// again and reverses nothing more, and a different one is an IdempotencyKeyReusedError.
func (s *Store) ReversePayment(ctx context.Context, paymentID, key, reason string) (LedgerEntry, error) {
	v := &ValidationError{}
	reason = cleanText(v, "reason", reason, textRule{required: true, maxRunes: 2000, multiline: true})
	if !ValidID(paymentID) {
		return LedgerEntry{}, ErrNotFound
	}
	db := s.read.WithContext(ctx)
	var payment entryRow
	err := db.Where("id = ? AND kind = ? AND order_id IN (?)", paymentID, restitution.Payment,
		inVisibleCases(db.Model(&orderRow{})).Select("id")).Take(&payment).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return LedgerEntry{}, ErrNotFound
	}
	if err != nil {
		return LedgerEntry{}, err
	}
	request := "reversal\x00" + paymentID + "\x00" + reason
	_, _, err = s.post(ctx, ledgerPost{orderID: payment.OrderID, key: key, request: request, audit: "restitution.reversal",
		build: func(tx *gorm.DB, _ RestitutionOrder, l restitution.Ledger, e *LedgerEntry) error {
			if err := v.orNil(); err != nil {
				return err
			}
			var done int64
			if err := tx.Model(&entryRow{}).Where("reverses_id = ?", paymentID).Count(&done).Error; err != nil {
				return err
			}
			if done > 0 {
				return ErrAlreadyReversed
			}
			original, err := s.entryByID(tx, paymentID)
			if err != nil {
				return err
			}
			r := restitution.ReversalOf(restitution.Entry{On: dayOf(original.EffectiveOn), AmountCents: original.AmountCents,
				UnappliedCents: original.UnappliedCents, Allocations: original.Allocations})
			e.Kind, e.EffectiveOn, e.AmountCents, e.UnappliedCents = restitution.Reversal, original.EffectiveOn, r.AmountCents, r.UnappliedCents
			e.ReversesID, e.Reason = paymentID, reason
			e.setAllocations(r.Allocations)
			return nil
		}})
	if err != nil {
		return LedgerEntry{}, err
	}
	return s.entryByID(s.write.WithContext(ctx), paymentID)
}

// RecordRefund returns part of the order's unapplied credit to the payer; never more than the credit.
func (s *Store) RecordRefund(ctx context.Context, orderID, key string, r NewRefund) (LedgerEntry, bool, error) {
	request := fmt.Sprintf("refund\x00%d\x00%s\x00%s", r.AmountCents, r.PaidOn, r.Reference)
	return s.post(ctx, ledgerPost{orderID: orderID, key: key, request: request, audit: "restitution.refund",
		build: func(_ *gorm.DB, o RestitutionOrder, l restitution.Ledger, e *LedgerEntry) error {
			v := &ValidationError{}
			checkPositive(v, "amount_cents", r.AmountCents)
			r.Reference = cleanText(v, "reference", r.Reference, textRule{maxRunes: 200})
			s.checkLedgerDay(v, "paid_on", o, r.PaidOn)
			if err := v.orNil(); err != nil {
				return err
			}
			if err := l.CheckRefundOn(r.AmountCents, dayOf(r.PaidOn)); err != nil {
				return limitError(err)
			}
			e.Kind, e.EffectiveOn, e.AmountCents, e.Reference = restitution.Refund, r.PaidOn, r.AmountCents, r.Reference
			return nil
		}})
}

// RecordAdjustment amends a line of the order: never below the principal already paid, and dated no earlier
// than the order's latest payment or adjustment.
func (s *Store) RecordAdjustment(ctx context.Context, orderID, key string, a NewAdjustment) (LedgerEntry, bool, error) {
	request := fmt.Sprintf("adjustment\x00%s\x00%d\x00%s\x00%s", a.VictimID, a.DeltaCents, a.EffectiveOn, a.Reason)
	return s.post(ctx, ledgerPost{orderID: orderID, key: key, request: request, audit: "restitution.adjustment",
		build: func(_ *gorm.DB, o RestitutionOrder, l restitution.Ledger, e *LedgerEntry) error {
			v := &ValidationError{}
			a.Reason = cleanText(v, "reason", a.Reason, textRule{required: true, maxRunes: 2000, multiline: true})
			s.checkLedgerDay(v, "effective_on", o, a.EffectiveOn)
			if a.DeltaCents < -money.MaxCents || a.DeltaCents > money.MaxCents {
				v.add("delta_cents", fmt.Sprintf("must be between -%d and %d cents", money.MaxCents, money.MaxCents))
			}
			if err := v.orNil(); err != nil {
				return err
			}
			on := dayOf(a.EffectiveOn)
			if err := checkPostingOrder(l, on, "adjustment"); err != nil {
				return err
			}
			b := l.AsOf(lastDay(l, on))
			if err := b.CheckAdjustment(a.VictimID, a.DeltaCents); err != nil {
				return limitError(err)
			}
			if b.Totals().OwedCents()+a.DeltaCents > money.MaxCents {
				return &ValidationError{Fields: map[string]string{"delta_cents": fmt.Sprintf("would make the order's total more than %d cents ($100 billion)", money.MaxCents)}}
			}
			e.Kind, e.EffectiveOn, e.AmountCents, e.VictimID, e.Reason = restitution.Adjustment, a.EffectiveOn, a.DeltaCents, a.VictimID, a.Reason
			return nil
		}})
}

// RecordDisbursement records money sent to a victim: never more than was applied to the victim's line and
// not yet disbursed.
func (s *Store) RecordDisbursement(ctx context.Context, orderID, key string, d NewDisbursement) (LedgerEntry, bool, error) {
	request := fmt.Sprintf("disbursement\x00%s\x00%d\x00%s\x00%s\x00%s", d.VictimID, d.AmountCents, d.PaidOn, d.Method, d.Reference)
	return s.post(ctx, ledgerPost{orderID: orderID, key: key, request: request, audit: "restitution.disbursement",
		build: func(_ *gorm.DB, o RestitutionOrder, l restitution.Ledger, e *LedgerEntry) error {
			v := &ValidationError{}
			checkPositive(v, "amount_cents", d.AmountCents)
			if !slices.Contains(DisbursementMethods, d.Method) {
				v.add("method", "must be one of "+strings.Join(DisbursementMethods, ", "))
			}
			d.Reference = cleanText(v, "reference", d.Reference, textRule{maxRunes: 200})
			s.checkLedgerDay(v, "paid_on", o, d.PaidOn)
			if err := v.orNil(); err != nil {
				return err
			}
			if err := l.CheckDisbursementOn(d.VictimID, d.AmountCents, dayOf(d.PaidOn)); err != nil {
				return limitError(err)
			}
			e.Kind, e.EffectiveOn, e.AmountCents, e.VictimID = restitution.Disbursement, d.PaidOn, d.AmountCents, d.VictimID
			e.Method, e.Reference = d.Method, d.Reference
			return nil
		}})
}

// limitError turns a ledger rule's refusal into a validation problem of its field.
func limitError(err error) error {
	var le *restitution.LimitError
	if errors.As(err, &le) {
		return &ValidationError{Fields: map[string]string{le.Field: le.Detail}}
	}
	return err
}

// entryByID reads one entry with its allocations, opened, and the reversal that undid it if any. The caller
// has checked that the actor may see its order.
func (s *Store) entryByID(db *gorm.DB, id string) (LedgerEntry, error) {
	var row entryRow
	if err := db.Where("id = ?", id).Take(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return LedgerEntry{}, ErrNotFound
		}
		return LedgerEntry{}, err
	}
	entries, err := s.openEntries(db, []entryRow{row}, allAllocations)
	if err != nil {
		return LedgerEntry{}, err
	}
	return entries[0], nil
}

// LedgerEntryByID returns the entry with id with all its allocations, or ErrNotFound when the actor may not
// see its order's case.
func (s *Store) LedgerEntryByID(ctx context.Context, id string) (LedgerEntry, error) {
	db := s.read.WithContext(ctx)
	if !ValidID(id) {
		return LedgerEntry{}, ErrNotFound
	}
	var row entryRow
	err := db.Where("id = ? AND order_id IN (?)", id, inVisibleCases(db.Model(&orderRow{})).Select("id")).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return LedgerEntry{}, ErrNotFound
	}
	if err != nil {
		return LedgerEntry{}, err
	}
	entries, err := s.openEntries(db, []entryRow{row}, allAllocations)
	if err != nil {
		return LedgerEntry{}, err
	}
	return entries[0], nil
}

// allAllocations asks openEntries for every allocation of each entry.
const allAllocations = "*"

// openEntries unseals rows, all of one order, and reads their reversals, how many lines each touched, and
// their allocations: all of them with allAllocations, one victim's with a victim ID, none with "" (a list
// of payments over 100,000 lines would otherwise carry them all).
func (s *Store) openEntries(db *gorm.DB, rows []entryRow, allocations string) ([]LedgerEntry, error) {
	if len(rows) == 0 {
		return []LedgerEntry{}, nil
	}
	for _, r := range rows {
		if r.OrderID != rows[0].OrderID {
			return nil, errors.New("models: entries of several orders opened together")
		}
	}
	var caseID string
	if err := db.Model(&orderRow{}).Where("id = ?", rows[0].OrderID).Pluck("case_id", &caseID).Error; err != nil {
		return nil, err
	}
	dk, err := s.caseKey(db, caseID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rows))
	out := make([]LedgerEntry, len(rows))
	byID := make(map[string]*LedgerEntry, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
		e := LedgerEntry{ID: r.ID, OrderID: r.OrderID, Seq: r.Seq, Kind: r.Kind, EffectiveOn: r.EffectiveOn, AmountCents: r.AmountCents,
			UnappliedCents: r.UnappliedCents, PrincipalCents: r.PrincipalCents, InterestCents: r.InterestCents,
			VictimID: deref(r.VictimID), PayerDefendantID: deref(r.PayerDefendantID),
			Method: deref(r.Method), ReversesID: deref(r.ReversesID), CreatedAt: r.CreatedAt, CreatedBy: deref(r.CreatedBy),
			Allocations: []restitution.Allocation{}}
		open := entrySealer(dk, r.ID)
		if e.Reference, err = open.openOptional("reference", r.Reference); err != nil {
			return nil, err
		}
		if e.Reason, err = open.openOptional("reason", r.Reason); err != nil {
			return nil, err
		}
		out[i] = e
		byID[r.ID] = &out[i]
	}
	for chunk := range slices.Chunk(ids, 1000) {
		var counts []struct {
			EntryID string
			Count   int
		}
		if err := db.Model(&allocationRow{}).Select("entry_id, COUNT(*) AS count").Where("entry_id IN ?", chunk).
			Group("entry_id").Find(&counts).Error; err != nil {
			return nil, err
		}
		for _, c := range counts {
			byID[c.EntryID].AllocationCount = c.Count
		}
		if allocations != "" {
			q := db.Where("entry_id IN ?", chunk).Order("entry_id, victim_id")
			if allocations != allAllocations {
				q = q.Where("victim_id = ?", allocations)
			}
			var rows []allocationRow
			if err := q.Find(&rows).Error; err != nil {
				return nil, err
			}
			for _, a := range rows {
				e := byID[a.EntryID]
				e.Allocations = append(e.Allocations, restitution.Allocation{VictimID: a.VictimID, PrincipalCents: a.PrincipalCents, InterestCents: a.InterestCents})
			}
		}
		var reversals []entryRow
		if err := db.Select("id, reverses_id").Where("reverses_id IN ?", chunk).Find(&reversals).Error; err != nil {
			return nil, err
		}
		for _, r := range reversals {
			byID[*r.ReversesID].ReversedBy = r.ID
		}
	}
	return out, nil
}

// EntryFilter narrows a list of ledger entries.
type EntryFilter struct {
	Kind     EntryKind
	VictimID string
	Limit    int
	AfterSeq int64
}

// EntryPage is one page of ledger entries; NextAfterSeq is 0 on the last page.
type EntryPage struct {
	Items        []LedgerEntry
	NextAfterSeq int64
}

// ListLedgerEntries returns one page of an order's entries in the order they were posted.
func (s *Store) ListLedgerEntries(ctx context.Context, orderID string, f EntryFilter) (EntryPage, error) {
	db := s.read.WithContext(ctx)
	if _, err := s.orderRowByID(db, orderID, false); err != nil {
		return EntryPage{}, err
	}
	size := pageSize(f.Limit)
	q := db.Where("order_id = ? AND seq > ?", orderID, f.AfterSeq).Order("seq").Limit(size + 1)
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if f.VictimID != "" {
		q = q.Where("(victim_id = ? OR EXISTS (SELECT 1 FROM restitution_allocations a WHERE a.entry_id = restitution_entries.id AND a.victim_id = ?))",
			f.VictimID, f.VictimID)
	}
	var rows []entryRow
	if err := q.Find(&rows).Error; err != nil {
		return EntryPage{}, err
	}
	page := EntryPage{}
	if len(rows) > size {
		rows = rows[:size]
		page.NextAfterSeq = rows[size-1].Seq
	}
	items, err := s.openEntries(db, rows, f.VictimID)
	page.Items = items
	return page, err
}

// LedgerEntries returns every entry of an order in the order they were posted, for export, and records the
// export.
func (s *Store) LedgerEntries(ctx context.Context, orderID string) ([]LedgerEntry, error) {
	db := s.read.WithContext(ctx)
	o, err := s.orderRowByID(db, orderID, false)
	if err != nil {
		return nil, err
	}
	var rows []entryRow
	if err := db.Where("order_id = ?", orderID).Order("seq").Find(&rows).Error; err != nil {
		return nil, err
	}
	entries, err := s.openEntries(db, rows, allAllocations)
	if err != nil {
		return nil, err
	}
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		return s.appendAudit(tx, audited{Action: "restitution.ledger.export", ObjectType: "restitution_order", ObjectID: o.ID, CaseID: o.CaseID, Outcome: OutcomeSuccess})
	})
	return entries, err
}
