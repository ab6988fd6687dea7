package models

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/impactledger/impactledger/money"
	"github.com/impactledger/impactledger/redact"
	"github.com/impactledger/impactledger/restitution"
)

// MaxOrderLines bounds the lines of one restitution order: as many victims as one import may bring.
const MaxOrderLines = 250_000

// maxOrderDefendants bounds the defendants liable on one order.
const maxOrderDefendants = 100

// OrderTerms are the terms an order copied from its jurisdiction profile when it was entered; RateBps is the
// profile's fixed rate, the order's own for a per-order profile, and 0 for none.
type OrderTerms struct {
	InterestMode   InterestMode
	RateBps        int64
	ThresholdCents int64
	WaiverDays     int64
	Classes        [][]VictimKind
}

// RestitutionOrder is a court's restitution order: liable defendants (two or more are jointly and severally
// liable), a date, the terms it was entered under, and one line per victim.
type RestitutionOrder struct {
	ID                  string
	CaseID              string
	OrderedOn           Date
	Jurisdiction        string
	Terms               OrderTerms
	DefendantIDs        []string
	CourtOrderReference string
	// Lines are ordered by victim ID.
	Lines     []OrderLine
	CreatedAt time.Time
	CreatedBy string
}

// OrderLine is what an order awards one victim; VictimKind is the victim's kind when the order was entered,
// which fixes the line's priority. VictimName, filled in by the reads that show it, is the name as the
// caller may see it.
type OrderLine struct {
	VictimID     string
	VictimKind   VictimKind
	VictimName   string
	OrderedCents int64
}

// NewRestitutionOrder is what the court ordered. Jurisdiction defaults to the case's; InterestRateBps is
// required by a per-order profile and refused by the others.
type NewRestitutionOrder struct {
	OrderedOn           Date
	Jurisdiction        string
	InterestRateBps     *int64
	DefendantIDs        []string
	CourtOrderReference string
	Lines               []NewOrderLine
}

// NewOrderLine is one victim's award in a NewRestitutionOrder.
type NewOrderLine struct {
	VictimID    string
	AmountCents int64
}

// OrderStatement is an order with where it stands on a day: Balance covers every line, and First and Last
// bound the page of lines asked for (Order.Lines[First:Last], named; every line when no page was asked
// for), NextAfterVictimID is the cursor past it, empty on the last page.
type OrderStatement struct {
	Order             RestitutionOrder
	Balance           restitution.Balance
	First, Last       int
	NextAfterVictimID string
	// LastSeq is the Seq of the order's latest entry, 0 before any: with the day and the page, what the
	// statement depends on.
	LastSeq int64
}

// LinePage asks for one page of an order's lines: up to Limit (default 50, at most 500) after the victim
// with AfterVictimID.
type LinePage struct {
	Limit         int
	AfterVictimID string
}

type orderRow struct {
	ID                  string `gorm:"primaryKey"`
	CaseID              string
	OrderedOn           Date
	Jurisdiction        string
	InterestMode        InterestMode
	AnnualRateBps       int64
	ThresholdCents      int64
	WaiverDays          int64
	PriorityClasses     string
	CourtOrderReference *string
	CreatedAt           time.Time
	CreatedBy           *string
}

func (orderRow) TableName() string { return "restitution_orders" }

type orderDefendantRow struct {
	OrderID     string `gorm:"primaryKey"`
	CaseID      string
	DefendantID string `gorm:"primaryKey"`
}

func (orderDefendantRow) TableName() string { return "restitution_order_defendants" }

type orderLineRow struct {
	OrderID      string `gorm:"primaryKey"`
	CaseID       string
	VictimID     string `gorm:"primaryKey"`
	VictimKind   VictimKind
	OrderedCents int64
}

func (orderLineRow) TableName() string { return "restitution_lines" }

// dayOf and dateOfDay convert between the store's dates and the ledger's days.
func dayOf(d Date) restitution.Day     { return restitution.DayOf(d.Time()) }
func dateOfDay(d restitution.Day) Date { return DateOf(d.Time()) }

// CreateRestitutionOrder validates no and enters it as an order of the case with caseID, copying the terms
// of its jurisdiction profile. It answers ErrNotFound for a case the actor may not see, or a
// *ValidationError.
func (s *Store) CreateRestitutionOrder(ctx context.Context, caseID string, no NewRestitutionOrder) (RestitutionOrder, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return RestitutionOrder{}, err
	}
	v := &ValidationError{}
	no.CourtOrderReference = cleanText(v, "court_order_reference", no.CourtOrderReference, textRule{maxRunes: 200})
	s.checkDay(v, "ordered_on", no.OrderedOn)
	if len(no.DefendantIDs) == 0 || len(no.DefendantIDs) > maxOrderDefendants {
		v.add("defendant_ids", fmt.Sprintf("must name 1 to %d defendants", maxOrderDefendants))
	}
	if len(no.Lines) == 0 || len(no.Lines) > MaxOrderLines {
		v.add("lines", fmt.Sprintf("must have 1 to %d lines", MaxOrderLines))
	}
	o := RestitutionOrder{ID: id.String(), CaseID: caseID, OrderedOn: no.OrderedOn, CourtOrderReference: no.CourtOrderReference,
		CreatedAt: s.now(), CreatedBy: staffID(ctx)}
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		kase, err := s.caseByID(tx, caseID, false)
		if err != nil {
			return err
		}
		o.Jurisdiction = cmp.Or(no.Jurisdiction, kase.Jurisdiction)
		if o.Terms, err = orderTermsOf(tx, v, o.Jurisdiction, no.InterestRateBps); err != nil {
			return err
		}
		if o.DefendantIDs, err = checkOrderDefendants(tx, v, caseID, no.DefendantIDs); err != nil {
			return err
		}
		if o.Lines, err = checkOrderLines(tx, v, caseID, no.Lines); err != nil {
			return err
		}
		if err := v.orNil(); err != nil {
			return err
		}
		return s.insertOrder(tx, o)
	})
	if err != nil {
		return RestitutionOrder{}, err
	}
	return o, nil
}

// checkDay records a problem with a ledger day that is implausible or in the future.
func (s *Store) checkDay(v *ValidationError, field string, d Date) {
	checkDate(v, field, &d)
	if d.Time().After(s.today().Time()) {
		v.add(field, "must not be in the future")
	}
}

// orderTermsOf copies the terms of the profile with code, with the order's own rate for a per-order profile.
func orderTermsOf(tx *gorm.DB, v *ValidationError, code string, rate *int64) (OrderTerms, error) {
	j, err := jurisdictionByCode(tx, code)
	if errors.Is(err, ErrNotFound) {
		return OrderTerms{}, checkJurisdiction(tx, v, code)
	}
	if err != nil {
		return OrderTerms{}, err
	}
	t := OrderTerms{InterestMode: j.InterestMode, ThresholdCents: j.ThresholdCents, WaiverDays: j.WaiverDays, Classes: j.Classes}
	switch j.InterestMode {
	case InterestPerOrder:
		switch {
		case rate == nil:
			v.add("interest_rate_bps", fmt.Sprintf("is required: %s sets the interest rate in each order", j.Name))
		case *rate < 0 || *rate > MaxRateBps:
			v.add("interest_rate_bps", fmt.Sprintf("must be 0 to %d basis points", MaxRateBps))
		default:
			t.RateBps = *rate
		}
	case InterestFixed:
		if rate != nil {
			v.add("interest_rate_bps", fmt.Sprintf("must be left out: %s sets one rate for every order", j.Name))
		}
		t.RateBps = *j.AnnualRateBps
	default:
		if rate != nil {
			v.add("interest_rate_bps", fmt.Sprintf("must be left out: %s orders accrue no interest", j.Name))
		}
	}
	return t, nil
}

// checkOrderDefendants records a problem for each ID that is not a defendant of the case or repeats one.
func checkOrderDefendants(tx *gorm.DB, v *ValidationError, caseID string, ids []string) ([]string, error) {
	valid := make([]string, 0, len(ids))
	for i, id := range ids {
		switch {
		case !ValidID(id):
			v.add(fmt.Sprintf("defendant_ids.%d", i), "is not a defendant of this case")
		case slices.Contains(valid, id):
			v.add(fmt.Sprintf("defendant_ids.%d", i), "repeats a defendant")
		default:
			valid = append(valid, id)
		}
	}
	var found []string
	if len(valid) > 0 {
		if err := tx.Model(&Defendant{}).Where("case_id = ? AND id IN ?", caseID, valid).Pluck("id", &found).Error; err != nil {
			return nil, err
		}
	}
	for i, id := range ids {
		if ValidID(id) && !slices.Contains(found, id) {
			v.add(fmt.Sprintf("defendant_ids.%d", i), "is not a defendant of this case")
		}
	}
	slices.Sort(found)
	return found, nil
}

// checkOrderLines records a problem for each line whose victim is not one of the case's, repeats another
// line's, or whose amount is out of range; it returns the lines ordered by victim ID with each victim's kind.
// It reads the case's victims in ID order beside the lines sorted the same way, rather than into a map, so
// that an order of 250,000 lines costs little more memory than its lines.
func checkOrderLines(tx *gorm.DB, v *ValidationError, caseID string, in []NewOrderLine) ([]OrderLine, error) {
	var total int64
	for i, l := range in {
		if l.AmountCents < 1 || l.AmountCents > money.MaxCents {
			v.add(fmt.Sprintf("lines.%d.amount_cents", i), fmt.Sprintf("must be 1 to %d cents", money.MaxCents))
		} else {
			total += l.AmountCents // at most 250,000 × 10^13: no overflow
		}
	}
	if total > money.MaxCents {
		v.add("lines", fmt.Sprintf("must total at most %d cents ($100 billion)", money.MaxCents))
	}
	// Positions by victim ID, then position: a victim's lines sit together, the first one first.
	byVictim := make([]int32, len(in))
	for i := range byVictim {
		byVictim[i] = int32(i)
	}
	slices.SortFunc(byVictim, func(a, b int32) int {
		return cmp.Or(strings.Compare(in[a].VictimID, in[b].VictimID), cmp.Compare(a, b))
	})
	rows, err := published(tx.Table("victims"), "victims").Select("id, kind").Where("case_id = ?", caseID).Order("id").Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var victimID, previous string
	var kind VictimKind
	more := rows.Next()
	lines := make([]OrderLine, 0, len(in))
	for k, i := range byVictim {
		l := in[i]
		if k > 0 && l.VictimID == in[byVictim[k-1]].VictimID {
			v.add(fmt.Sprintf("lines.%d.victim_id", i), "repeats the victim of another line; give each victim one line")
		}
		for ; more && victimID < l.VictimID; more = rows.Next() {
			if err := rows.Scan(&victimID, &kind); err != nil {
				return nil, err
			}
			if victimID < previous {
				return nil, errors.New("models: a case's victims did not come in the order of their IDs")
			}
			previous = victimID
			if victimID >= l.VictimID {
				break
			}
		}
		if victimID != l.VictimID {
			v.add(fmt.Sprintf("lines.%d.victim_id", i), "is not a victim of this case")
			continue
		}
		lines = append(lines, OrderLine{VictimID: l.VictimID, VictimKind: kind, OrderedCents: l.AmountCents})
	}
	return lines, rows.Err()
}

// victimBrief is the little of a victim a ledger shows.
type victimBrief struct {
	ID   string
	Kind VictimKind
	Name string
}

// caseVictims returns the published victims of a case by ID.
func caseVictims(tx *gorm.DB, caseID string) (map[string]victimBrief, error) {
	var rows []victimBrief
	if err := published(tx.Table("victims"), "victims").Select("id, kind, name").Where("case_id = ?", caseID).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]victimBrief, len(rows))
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}

// insertOrder writes o, its defendants and its lines, and audits it.
func (s *Store) insertOrder(tx *gorm.DB, o RestitutionOrder) error {
	classes, err := json.Marshal(o.Terms.Classes)
	if err != nil {
		return err
	}
	row := orderRow{ID: o.ID, CaseID: o.CaseID, OrderedOn: o.OrderedOn, Jurisdiction: o.Jurisdiction,
		InterestMode: o.Terms.InterestMode, AnnualRateBps: o.Terms.RateBps, ThresholdCents: o.Terms.ThresholdCents,
		WaiverDays: o.Terms.WaiverDays, PriorityClasses: string(classes), CreatedAt: o.CreatedAt, CreatedBy: optional(o.CreatedBy)}
	if o.CourtOrderReference != "" {
		row.CourtOrderReference = &o.CourtOrderReference
	}
	if err := tx.Create(&row).Error; err != nil {
		return err
	}
	defendants := make([]orderDefendantRow, len(o.DefendantIDs))
	for i, d := range o.DefendantIDs {
		defendants[i] = orderDefendantRow{OrderID: o.ID, CaseID: o.CaseID, DefendantID: d}
	}
	if err := tx.Create(&defendants).Error; err != nil {
		return err
	}
	// A chunk at a time, so that 250,000 lines are never all copied into rows at once.
	for chunk := range slices.Chunk(o.Lines, bulkChunk) {
		lines := make([]orderLineRow, len(chunk))
		for i, l := range chunk {
			lines[i] = orderLineRow{OrderID: o.ID, CaseID: o.CaseID, VictimID: l.VictimID, VictimKind: l.VictimKind, OrderedCents: l.OrderedCents}
		}
		if err := s.insertMany(tx, lines); err != nil {
			return err
		}
	}
	return s.appendAudit(tx, audited{Action: "restitution.order.create", ObjectType: "restitution_order", ObjectID: o.ID, CaseID: o.CaseID, Outcome: OutcomeSuccess})
}

// RestitutionOrderByID returns the order with id and where it stands at the end of asOf, or ErrNotFound
// when the actor may not see its case.
func (s *Store) RestitutionOrderByID(ctx context.Context, id string, asOf Date, page LinePage) (OrderStatement, error) {
	if err := checkAsOf(asOf); err != nil {
		return OrderStatement{}, err
	}
	db := s.read.WithContext(ctx)
	o, err := s.orderByID(db, id, false)
	if err != nil {
		return OrderStatement{}, err
	}
	l, _, err := loadLedger(db, o)
	if err != nil {
		return OrderStatement{}, err
	}
	st := OrderStatement{Order: o, Balance: l.AsOf(dayOf(asOf))}
	for _, e := range l.Entries {
		st.LastSeq = max(st.LastSeq, e.Seq)
	}
	st.First, _ = slices.BinarySearchFunc(o.Lines, page.AfterVictimID, func(l OrderLine, id string) int { return strings.Compare(l.VictimID, id) })
	if page.AfterVictimID != "" && st.First < len(o.Lines) && o.Lines[st.First].VictimID == page.AfterVictimID {
		st.First++
	}
	st.Last = min(st.First+pageSize(page.Limit), len(o.Lines))
	if st.Last < len(o.Lines) {
		st.NextAfterVictimID = o.Lines[st.Last-1].VictimID
	}
	ids := make([]string, 0, st.Last-st.First)
	for _, line := range o.Lines[st.First:st.Last] {
		ids = append(ids, line.VictimID)
	}
	names, err := s.victimNames(db, o.CaseID, ids)
	if err != nil {
		return OrderStatement{}, err
	}
	for i := st.First; i < st.Last; i++ {
		o.Lines[i].VictimName = names[o.Lines[i].VictimID]
	}
	return st, nil
}

// checkAsOf refuses a day to report as of outside the years any date of the service may have.
func checkAsOf(d Date) error {
	v := &ValidationError{}
	checkDate(v, "as_of", &d)
	return v.orNil()
}

// orderRowByID reads the stored order with id, provided the actor may see its case. With lock, the order
// stays locked until db's transaction ends, so that entries on one order queue.
func (s *Store) orderRowByID(db *gorm.DB, id string, lock bool) (orderRow, error) {
	if !ValidID(id) {
		return orderRow{}, ErrNotFound
	}
	var row orderRow
	err := inVisibleCases(db.Model(&orderRow{})).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return orderRow{}, ErrNotFound
	}
	if err == nil && lock {
		// An order never changes, so reading it before the lock is safe; what must queue is its ledger.
		err = s.lockOrder(db, id)
	}
	return row, err
}

// orderByID reads the order with id with its defendants and lines (without victim names), as orderRowByID.
func (s *Store) orderByID(db *gorm.DB, id string, lock bool) (RestitutionOrder, error) {
	row, err := s.orderRowByID(db, id, lock)
	if err != nil {
		return RestitutionOrder{}, err
	}
	orders, err := s.openOrders(db, []orderRow{row}, true)
	if err != nil {
		return RestitutionOrder{}, err
	}
	return orders[0], nil
}

// openOrders reads the defendants of the orders rows and, withLines, their lines, without victim names
// (victimNames reads those for the lines shown: posting needs none, and 100,000 cost a payment a tenth of a
// second).
func (s *Store) openOrders(db *gorm.DB, rows []orderRow, withLines bool) ([]RestitutionOrder, error) {
	ids := make([]string, len(rows))
	byID := make(map[string]*RestitutionOrder, len(rows))
	out := make([]RestitutionOrder, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
		o := RestitutionOrder{ID: r.ID, CaseID: r.CaseID, OrderedOn: r.OrderedOn, Jurisdiction: r.Jurisdiction,
			Terms:     OrderTerms{InterestMode: r.InterestMode, RateBps: r.AnnualRateBps, ThresholdCents: r.ThresholdCents, WaiverDays: r.WaiverDays},
			CreatedAt: r.CreatedAt, CreatedBy: deref(r.CreatedBy), DefendantIDs: []string{}}
		if r.CourtOrderReference != nil {
			o.CourtOrderReference = *r.CourtOrderReference
		}
		if err := json.Unmarshal([]byte(r.PriorityClasses), &o.Terms.Classes); err != nil {
			return nil, fmt.Errorf("models: order %s has unreadable priority classes: %w", r.ID, err)
		}
		out[i] = o
		byID[r.ID] = &out[i]
	}
	if len(rows) == 0 {
		return out, nil
	}
	var defendants []orderDefendantRow
	if err := db.Where("order_id IN ?", ids).Order("order_id, defendant_id").Find(&defendants).Error; err != nil {
		return nil, err
	}
	for _, d := range defendants {
		o := byID[d.OrderID]
		o.DefendantIDs = append(o.DefendantIDs, d.DefendantID)
	}
	if !withLines {
		return out, nil
	}
	rs, err := db.Table("restitution_lines").Select("order_id, victim_id, victim_kind, ordered_cents").
		Where("order_id IN ?", ids).Order("order_id, victim_id").Rows()
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	for rs.Next() {
		var orderID string
		var l OrderLine
		if err := rs.Scan(&orderID, &l.VictimID, &l.VictimKind, &l.OrderedCents); err != nil {
			return nil, err
		}
		o := byID[orderID]
		o.Lines = append(o.Lines, l)
	}
	return out, rs.Err()
}

// victimNames returns the names of a case's victims (those with ids, or all when ids is nil) as the
// request's actor may see them: to a prosecutor (Fed. R. Crim. P. 49.1), a minor's initials, as on the
// victim's own page.
func (s *Store) victimNames(db *gorm.DB, caseID string, ids []string) (map[string]string, error) {
	var rule49 bool
	switch accessIn(db.Statement.Context).VictimView {
	case ViewFull, ViewClerk:
	case ViewRule49:
		rule49 = true
	default:
		// A view the policy does not name shows no names.
		return map[string]string{}, nil
	}
	var rows []struct {
		ID          string
		Name        string
		IsMinor     bool
		DateOfBirth *string
	}
	q := db.Table("victims").Where("case_id = ?", caseID)
	if ids != nil {
		if len(ids) == 0 {
			return map[string]string{}, nil
		}
		q = q.Where("id IN ?", ids)
	}
	if rule49 {
		q = q.Select("id, name, is_minor, date_of_birth")
	} else {
		q = q.Select("id, name")
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	var key []byte
	names := make(map[string]string, len(rows))
	for _, r := range rows {
		names[r.ID] = r.Name
		if !rule49 {
			continue
		}
		minor := r.IsMinor
		if !minor && r.DateOfBirth != nil {
			if key == nil {
				var err error
				if key, err = s.caseKey(db, caseID); err != nil {
					return nil, err
				}
			}
			dob, err := victimSealer(key, r.ID).open("date_of_birth", *r.DateOfBirth)
			if err != nil {
				return nil, err
			}
			born, err := ParseDate(dob)
			if err != nil {
				return nil, fmt.Errorf("victim %s: stored date of birth is not a date", r.ID)
			}
			minor = ageOn(born, s.today()) < 18
		}
		if minor {
			names[r.ID] = redact.Initials(r.Name)
		}
	}
	return names, nil
}

// OrderPage is one page of a case's orders with where each stands today; NextAfterID is empty on the last
// page.
type OrderPage struct {
	Items       []OrderStatement
	NextAfterID string
}

// ListRestitutionOrders returns one page of the orders of a case the actor may see, newest first, each as of
// asOf.
func (s *Store) ListRestitutionOrders(ctx context.Context, caseID string, asOf Date, limit int, afterID string) (OrderPage, error) {
	db := s.read.WithContext(ctx)
	if _, err := s.caseByID(db, caseID, false); err != nil {
		return OrderPage{}, err
	}
	size := pageSize(limit)
	q := db.Where("case_id = ?", caseID).Order("id DESC").Limit(size + 1)
	if afterID != "" {
		q = q.Where("id < ?", afterID)
	}
	var rows []orderRow
	if err := q.Find(&rows).Error; err != nil {
		return OrderPage{}, err
	}
	page := OrderPage{}
	if len(rows) > size {
		rows = rows[:size]
		page.NextAfterID = rows[size-1].ID
	}
	orders, err := s.openOrders(db, rows, true)
	if err != nil {
		return OrderPage{}, err
	}
	for _, o := range orders {
		l, _, err := loadLedger(db, o)
		if err != nil {
			return OrderPage{}, err
		}
		page.Items = append(page.Items, OrderStatement{Order: o, Balance: l.AsOf(dayOf(asOf))})
	}
	return page, nil
}
