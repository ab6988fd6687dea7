package models

import (
	"cmp"
	"context"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/impactledger/impactledger/restitution"
)

// VictimOrderLine is a victim's line on one order.
type VictimOrderLine struct {
	Order RestitutionOrder
	Line  restitution.LineBalance
}

// VictimEntry is a ledger entry as it touched one victim's line: an allocation (or its reversal), an
// adjustment or a disbursement.
type VictimEntry struct {
	EntryID        string
	OrderID        string
	Seq            int64
	Kind           EntryKind
	EffectiveOn    Date
	AmountCents    int64
	PrincipalCents int64
	InterestCents  int64
}

// VictimRestitution is a victim's restitution over every order as of a day.
type VictimRestitution struct {
	VictimID string
	Name     string
	Kind     VictimKind
	Orders   []VictimOrderLine
	Totals   Totals
	Entries  []VictimEntry
}

// VictimRestitutionOf returns the restitution of the victim with victimID as of asOf, or ErrNotFound when
// the actor may not see the victim. Each order is replayed for this victim's line alone, so that a victim
// among 100,000 reads only its own allocations.
func (s *Store) VictimRestitutionOf(ctx context.Context, victimID string, asOf Date) (VictimRestitution, error) {
	if err := checkAsOf(asOf); err != nil {
		return VictimRestitution{}, err
	}
	db := s.read.WithContext(ctx)
	victim, err := victimRowByID(db, victimID)
	if err != nil {
		return VictimRestitution{}, err
	}
	names, err := s.victimNames(db, victim.CaseID, []string{victimID})
	if err != nil {
		return VictimRestitution{}, err
	}
	out := VictimRestitution{VictimID: victimID, Name: names[victimID], Kind: victim.Kind, Orders: []VictimOrderLine{}, Entries: []VictimEntry{}}
	var rows []orderRow
	if err := db.Where("id IN (SELECT order_id FROM restitution_lines WHERE victim_id = ?)", victimID).Order("ordered_on, id").Find(&rows).Error; err != nil {
		return out, err
	}
	orders, err := s.openOrders(db, rows, false)
	if err != nil {
		return out, err
	}
	day := dayOf(asOf)
	for _, o := range orders {
		l, entries, err := loadLineLedger(db, o, victimID)
		if err != nil {
			return out, err
		}
		line, ok := l.AsOf(day).Line(victimID)
		if !ok {
			return out, fmt.Errorf("models: order %s lists victim %s but has no line for it", o.ID, victimID)
		}
		out.Orders = append(out.Orders, VictimOrderLine{Order: o, Line: line})
		out.Totals.Add(line)
		for i, e := range l.Entries {
			if e.On > day {
				break
			}
			ve := VictimEntry{EntryID: entries[i].ID, OrderID: o.ID, Seq: e.Seq, Kind: e.Kind, EffectiveOn: dateOfDay(e.On)}
			switch {
			case e.VictimID == victimID:
				ve.AmountCents = e.AmountCents
			case len(e.Allocations) == 1: // a payment or reversal that touched this line
				a := e.Allocations[0]
				ve.PrincipalCents, ve.InterestCents, ve.AmountCents = a.PrincipalCents, a.InterestCents, a.PrincipalCents+a.InterestCents
			default:
				continue
			}
			out.Entries = append(out.Entries, ve)
		}
	}
	slices.SortStableFunc(out.Entries, func(a, b VictimEntry) int {
		return cmp.Or(cmp.Compare(a.EffectiveOn.String(), b.EffectiveOn.String()), cmp.Compare(a.OrderID, b.OrderID), cmp.Compare(a.Seq, b.Seq))
	})
	return out, nil
}

// Totals are sums of line balances. Over-disbursement is summed line by line, so that one victim's debt is
// never hidden inside another's undisbursed money.
type Totals struct {
	restitution.LineBalance
	UndisbursedCents   int64
	OverDisbursedCents int64
}

// Add adds the figures of line balance b to t.
func (t *Totals) Add(b restitution.LineBalance) {
	t.LineBalance.Add(b)
	t.UndisbursedCents += b.UndisbursedCents()
	t.OverDisbursedCents += b.OverDisbursedCents()
}

// ClassTotals are the totals of one priority class.
type ClassTotals struct {
	Kinds  []VictimKind
	Totals Totals
}

// VictimRestitutionTotals are one victim's totals over a case's orders.
type VictimRestitutionTotals struct {
	VictimID string
	Name     string
	Kind     VictimKind
	Totals   Totals
}

// TimelinePoint is where a case stood at the end of a day with an entry.
type TimelinePoint struct {
	Date           Date
	OrderedCents   int64
	CollectedCents int64
	DisbursedCents int64
}

// CaseRestitution is a case's restitution as of a day.
type CaseRestitution struct {
	CaseID     string
	OrderCount int
	Totals     Totals
	// CollectedCents is what payments brought in, less reversals and refunds.
	CollectedCents int64
	UnappliedCents int64
	ByClass        []ClassTotals
	ByVictim       []VictimRestitutionTotals
	NextAfterID    string
	Timeline       []TimelinePoint
}

// ShareCollectedBps is what was paid (principal and interest) as a share of what is owed and accrued, in
// basis points rounded half-up; 0 when nothing is owed.
func (c CaseRestitution) ShareCollectedBps() int64 {
	owed := c.Totals.OwedCents() + c.Totals.InterestAccruedCents
	if owed <= 0 {
		return 0
	}
	// paid × 20,000 may pass an int64 on a case of many large orders: divide exactly in big integers.
	share := new(big.Int).Mul(big.NewInt(c.Totals.AllocatedCents()), big.NewInt(20_000))
	share.Add(share, big.NewInt(owed))
	return share.Quo(share, big.NewInt(2*owed)).Int64()
}

// CaseRestitutionOf sums every order of a case as of asOf: in all, by the statutory priority classes, and
// for one page of victims (by victim ID, after afterID), with a timeline for charts.
func (s *Store) CaseRestitutionOf(ctx context.Context, caseID string, asOf Date, limit int, afterID string) (CaseRestitution, error) {
	if err := checkAsOf(asOf); err != nil {
		return CaseRestitution{}, err
	}
	db := s.read.WithContext(ctx)
	if _, err := s.caseByID(db, caseID, false); err != nil {
		return CaseRestitution{}, err
	}
	var rows []orderRow
	if err := db.Where("case_id = ?", caseID).Order("id").Find(&rows).Error; err != nil {
		return CaseRestitution{}, err
	}
	orders, err := s.openOrders(db, rows, true)
	if err != nil {
		return CaseRestitution{}, err
	}
	day := dayOf(asOf)
	out := CaseRestitution{CaseID: caseID, OrderCount: len(orders)}
	for _, class := range restitution.StatutoryClasses {
		totals := ClassTotals{}
		for _, k := range class {
			totals.Kinds = append(totals.Kinds, VictimKind(k))
		}
		out.ByClass = append(out.ByClass, totals)
	}
	classOf := restitution.Rank(restitution.StatutoryClasses)
	victims := map[string]*VictimRestitutionTotals{}
	changes := map[restitution.Day]*TimelinePoint{}
	point := func(d restitution.Day) *TimelinePoint {
		if changes[d] == nil {
			changes[d] = &TimelinePoint{Date: dateOfDay(d)}
		}
		return changes[d]
	}
	for _, o := range orders {
		l, _, err := loadLedger(db, o)
		if err != nil {
			return out, err
		}
		b := l.AsOf(day)
		out.UnappliedCents += b.UnappliedCents
		for i, line := range b.Lines {
			out.Totals.Add(line)
			out.ByClass[classOf[restitution.Kind(o.Lines[i].VictimKind)]].Totals.Add(line)
			v := victims[line.VictimID]
			if v == nil {
				v = &VictimRestitutionTotals{VictimID: line.VictimID, Kind: o.Lines[i].VictimKind}
				victims[line.VictimID] = v
			}
			v.Totals.Add(line)
		}
		if l.Terms.OrderedOn <= day {
			point(l.Terms.OrderedOn).OrderedCents += b.Totals().OrderedCents
		}
		for _, e := range l.Entries {
			if e.On > day {
				break
			}
			p := point(e.On)
			switch e.Kind {
			case restitution.Payment:
				p.CollectedCents += e.AmountCents
			case restitution.Reversal, restitution.Refund:
				p.CollectedCents -= e.AmountCents
			case restitution.Adjustment:
				p.OrderedCents += e.AmountCents
			case restitution.Disbursement:
				p.DisbursedCents += e.AmountCents
			}
		}
	}
	days := slices.Sorted(func(yield func(restitution.Day) bool) {
		for d := range changes {
			if !yield(d) {
				return
			}
		}
	})
	var running TimelinePoint
	for _, d := range days {
		p := changes[d]
		running.OrderedCents += p.OrderedCents
		running.CollectedCents += p.CollectedCents
		running.DisbursedCents += p.DisbursedCents
		running.Date = p.Date
		out.Timeline = append(out.Timeline, running)
	}
	out.CollectedCents = running.CollectedCents
	ids := make([]string, 0, len(victims))
	for id := range victims {
		if id > afterID {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	size := pageSize(limit)
	if len(ids) > size {
		ids = ids[:size]
		out.NextAfterID = ids[size-1]
	}
	names, err := s.victimNames(db, caseID, ids)
	if err != nil {
		return out, err
	}
	for _, id := range ids {
		v := *victims[id]
		v.Name = names[id]
		out.ByVictim = append(out.ByVictim, v)
	}
	return out, nil
}

// RequestLine is a suggested line of a restitution order.
type RequestLine struct {
	VictimID    string
	Name        string
	Kind        VictimKind
	AmountCents int64
	// Basis is "verified_losses" or "reimbursements".
	Basis string
}

// RestitutionRequest suggests an order's lines from a case's verified losses.
type RestitutionRequest struct {
	CaseID       string
	Jurisdiction string
	Lines        []RequestLine
}

// RestitutionRequestOf suggests lines from the verified, not voided losses of a case: each victim's verified
// less reimbursed amounts, and, where a loss's reimburser is an insurer or compensation fund that is a
// victim of the case (matched by name, ignoring letter case and spacing), the reimbursement as that
// victim's line.
func (s *Store) RestitutionRequestOf(ctx context.Context, caseID string) (RestitutionRequest, error) {
	db := s.read.WithContext(ctx)
	kase, err := s.caseByID(db, caseID, false)
	if err != nil {
		return RestitutionRequest{}, err
	}
	victims, err := caseVictims(db, caseID)
	if err != nil {
		return RestitutionRequest{}, err
	}
	reimbursers := map[string]string{}
	for id, v := range victims {
		if v.Kind == VictimInsurer || v.Kind == VictimCompensationFund {
			reimbursers[nameKey(v.Name)] = id
		}
	}
	var rows []lossRow
	err = published(db.Model(&lossRow{}), "losses").
		Where("case_id = ? AND voided_at IS NULL AND status IN ? AND verified_cents IS NOT NULL", caseID, []LossStatus{LossVerified, LossOrdered}).
		Find(&rows).Error
	if err != nil {
		return RestitutionRequest{}, err
	}
	var key []byte
	if len(rows) > 0 {
		if key, err = s.caseKey(db, caseID); err != nil {
			return RestitutionRequest{}, err
		}
	}
	lines := map[string]*RequestLine{}
	names, err := s.victimNames(db, caseID, nil)
	if err != nil {
		return RestitutionRequest{}, err
	}
	line := func(id, basis string) *RequestLine {
		if lines[id] == nil {
			lines[id] = &RequestLine{VictimID: id, Name: names[id], Kind: victims[id].Kind, Basis: basis}
		}
		return lines[id]
	}
	for _, r := range rows {
		if _, ok := victims[r.VictimID]; !ok {
			continue
		}
		line(r.VictimID, "verified_losses").AmountCents += max(*r.VerifiedCents-r.ReimbursedCents, 0)
		if r.ReimbursedCents == 0 || r.ReimbursedBy == nil {
			continue
		}
		by, err := lossSealer(key, r.ID).open("reimbursed_by", *r.ReimbursedBy)
		if err != nil {
			return RestitutionRequest{}, err
		}
		if id, ok := reimbursers[nameKey(by)]; ok {
			line(id, "reimbursements").AmountCents += r.ReimbursedCents
		}
	}
	out := RestitutionRequest{CaseID: caseID, Jurisdiction: kase.Jurisdiction, Lines: []RequestLine{}}
	rank := restitution.Rank(restitution.StatutoryClasses)
	for _, l := range lines {
		if l.AmountCents > 0 {
			out.Lines = append(out.Lines, *l)
		}
	}
	slices.SortFunc(out.Lines, func(a, b RequestLine) int {
		return cmp.Or(cmp.Compare(rank[restitution.Kind(a.Kind)], rank[restitution.Kind(b.Kind)]), cmp.Compare(nameKey(a.Name), nameKey(b.Name)), cmp.Compare(a.VictimID, b.VictimID))
	})
	return out, nil
}

// nameKey folds a name for matching: Unicode normal form C, lower case, spaces collapsed.
func nameKey(name string) string {
	return strings.Join(strings.Fields(strings.ToLower(norm.NFC.String(name))), " ")
}
