// Package restitution is the arithmetic of a restitution order's ledger: simple interest carried exactly,
// the allocation of a payment across victims by statutory priority, and balances as of any day. It is pure:
// plain structs in, plain structs out, no database and no HTTP. A balance is a function of the entries and
// the day asked about only, so a back-dated entry (a reversal effective on a bounced payment's day) corrects
// every later figure by itself.
package restitution

import (
	"cmp"
	"errors"
	"math"
	"math/bits"
	"slices"
	"time"
)

// Day is a calendar day, counted from 1970-01-01.
type Day int64

// DayOf returns the calendar day of t in UTC.
func DayOf(t time.Time) Day {
	y, m, d := t.Date()
	return Day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Time returns midnight UTC at the start of d.
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String formats d as YYYY-MM-DD.
func (d Day) String() string { return d.Time().Format(time.DateOnly) }

// Kind is a kind of victim; it decides the class a line is paid in.
type Kind string

// The kinds of victim.
const (
	Individual       Kind = "individual"
	Business         Kind = "business"
	Government       Kind = "government"
	Insurer          Kind = "insurer"
	CompensationFund Kind = "compensation_fund"
)

// Kinds lists every kind of victim.
var Kinds = []Kind{Individual, Business, Government, Insurer, CompensationFund}

// StatutoryClasses is the priority of 18 U.S.C. 3664(i),(j): victims who are people or businesses first,
// then those who compensated them, then governments.
var StatutoryClasses = [][]Kind{{Individual, Business}, {Insurer, CompensationFund}, {Government}}

// Terms are the terms an order was entered under, copied from its jurisdiction profile.
type Terms struct {
	OrderedOn Day
	// RateBps is the simple annual interest rate in basis points; 0 accrues nothing.
	RateBps int64
	// ThresholdCents: interest accrues only when the ordered total exceeds it.
	ThresholdCents int64
	// WaiverDays, when positive, waives all interest when the principal is paid in full on a day before
	// OrderedOn + WaiverDays.
	WaiverDays int64
	// Classes is the priority of kinds of victim, highest first; every kind is in exactly one class.
	Classes [][]Kind
}

// Line is what an order awards one victim.
type Line struct {
	VictimID     string
	Kind         Kind
	OrderedCents int64
}

// EntryKind is what a ledger entry records.
type EntryKind string

// The kinds of ledger entry.
const (
	Payment      EntryKind = "payment"
	Reversal     EntryKind = "reversal"
	Refund       EntryKind = "refund"
	Adjustment   EntryKind = "adjustment"
	Disbursement EntryKind = "disbursement"
)

// Allocation is the part of a payment applied to one victim's line. A reversal's allocations are the
// reversed payment's, negated.
type Allocation struct {
	VictimID       string
	PrincipalCents int64
	InterestCents  int64
}

// Entry is one ledger entry. It takes effect from its day On; Seq orders the entries of one order as they
// were posted.
type Entry struct {
	Kind EntryKind
	On   Day
	Seq  int64
	// AmountCents is what a payment received, a refund or a disbursement paid out, or a reversal took back
	// (all positive), or an adjustment's signed change to its line.
	AmountCents int64
	// VictimID is the line an adjustment or a disbursement is for.
	VictimID string
	// Allocations and UnappliedCents are what a payment applied and held as credit, or, negated, what a
	// reversal undid.
	Allocations    []Allocation
	UnappliedCents int64
	// OtherPrincipalCents is the principal the entry applied to lines left out of a partial ledger (see
	// Ledger.OtherOrderedCents); 0 in a whole one.
	OtherPrincipalCents int64
}

// Ledger is an order's terms, lines and entries. A partial ledger holds only some of the order's lines (one
// victim's, say) and the allocations to them: OtherOrderedCents and each entry's OtherPrincipalCents then
// carry what the rest of the order contributes to the order-wide rules (the interest threshold and the
// waiver), so that its lines come out exactly as in the whole ledger.
type Ledger struct {
	Terms   Terms
	Lines   []Line
	Entries []Entry
	// OtherOrderedCents is what the order awards the lines left out.
	OtherOrderedCents int64
}

// LineBalance is where one victim's line stands on a day.
type LineBalance struct {
	VictimID           string
	Kind               Kind
	OrderedCents       int64
	AdjustedCents      int64
	PrincipalPaidCents int64
	// InterestAccruedCents is the exact interest accrued, rounded half-up to the cent.
	InterestAccruedCents int64
	InterestPaidCents    int64
	DisbursedCents       int64
}

// OwedCents is the principal the line is owed in all: ordered plus adjustments.
func (b LineBalance) OwedCents() int64 { return b.OrderedCents + b.AdjustedCents }

// PrincipalOutstandingCents is the principal still to be paid.
func (b LineBalance) PrincipalOutstandingCents() int64 { return b.OwedCents() - b.PrincipalPaidCents }

// InterestOutstandingCents is the interest accrued and not yet paid.
func (b LineBalance) InterestOutstandingCents() int64 {
	return b.InterestAccruedCents - b.InterestPaidCents
}

// BalanceCents is what the line is still owed: outstanding principal and interest.
func (b LineBalance) BalanceCents() int64 {
	return b.PrincipalOutstandingCents() + b.InterestOutstandingCents()
}

// AllocatedCents is what payments have applied to the line, net of reversals.
func (b LineBalance) AllocatedCents() int64 { return b.PrincipalPaidCents + b.InterestPaidCents }

// UndisbursedCents is money applied to the line and not yet sent to the victim.
func (b LineBalance) UndisbursedCents() int64 { return max(0, b.AllocatedCents()-b.DisbursedCents) }

// OverDisbursedCents is money sent to the victim beyond what is applied to the line, which happens only when
// a payment was reversed after its money was disbursed: the victim owes it back.
func (b LineBalance) OverDisbursedCents() int64 { return max(0, b.DisbursedCents-b.AllocatedCents()) }

// Balance is where a whole order stands on a day.
type Balance struct {
	AsOf  Day
	Lines []LineBalance
	// UnappliedCents is the payments' credit not applied to any line and not refunded. It is negative only
	// when a reversed payment's credit had already been refunded: the payer owes it back.
	UnappliedCents int64
	// InterestWaived says the principal was paid in full within the waiver period, so nothing accrues.
	InterestWaived bool
}

// Totals sums the lines of b.
func (b Balance) Totals() LineBalance {
	var t LineBalance
	for _, l := range b.Lines {
		t.Add(l)
	}
	return t
}

// Add adds the figures of line balance l to b, for totals over lines (b's VictimID and Kind stay).
func (b *LineBalance) Add(l LineBalance) {
	b.OrderedCents += l.OrderedCents
	b.AdjustedCents += l.AdjustedCents
	b.PrincipalPaidCents += l.PrincipalPaidCents
	b.InterestAccruedCents += l.InterestAccruedCents
	b.InterestPaidCents += l.InterestPaidCents
	b.DisbursedCents += l.DisbursedCents
}

// Rank is the index of each kind's class in classes, highest priority 0.
func Rank(classes [][]Kind) map[Kind]int {
	rank := map[Kind]int{}
	for i, class := range classes {
		for _, k := range class {
			rank[k] = i
		}
	}
	return rank
}

// Line returns the balance of victimID's line, and whether the order has one.
func (b Balance) Line(victimID string) (LineBalance, bool) {
	for _, l := range b.Lines {
		if l.VictimID == victimID {
			return l, true
		}
	}
	return LineBalance{}, false
}

// accrual carries one line's principal through time: interest is the exact sum of outstanding principal ×
// days, multiplied by the rate only when shown, so that nothing is rounded on the way.
type accrual struct {
	outstanding int64 // principal outstanding since `since`
	since       Day
	centDays    int64 // Σ principal × days before `since`; ≤ MaxCents × days of any plausible order
}

func (a *accrual) advance(to Day) {
	if to > a.since {
		a.centDays += max(a.outstanding, 0) * int64(to-a.since)
		a.since = to
	}
}

// centsOfInterest is centDays × bps / 3,650,000 (Actual/365, basis points), rounded half-up, in 128 bits.
func centsOfInterest(centDays, bps int64) int64 {
	if centDays <= 0 || bps <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(centDays), uint64(bps))
	lo, carry := bits.Add64(lo, daysBpsPerYear/2, 0)
	hi += carry
	q, _ := bits.Div64(hi, lo, daysBpsPerYear)
	return int64(q)
}

// daysBpsPerYear is 365 days × 10,000 basis points: the divisor of Actual/365 Fixed in basis points.
const daysBpsPerYear = 365 * 10_000

// AsOf replays the ledger to the end of day on: entries dated on or before it count, and interest accrues
// for the days before it. Entries must be sorted by day, then Seq (see Sort).
func (l Ledger) AsOf(on Day) Balance {
	index := make(map[string]int, len(l.Lines))
	b := Balance{AsOf: on, Lines: make([]LineBalance, len(l.Lines))}
	acc := make([]accrual, len(l.Lines))
	owed := l.OtherOrderedCents
	for i, line := range l.Lines {
		index[line.VictimID] = i
		b.Lines[i] = LineBalance{VictimID: line.VictimID, Kind: line.Kind, OrderedCents: line.OrderedCents}
		acc[i] = accrual{outstanding: line.OrderedCents, since: l.Terms.OrderedOn}
		owed += line.OrderedCents
	}
	cutoff := l.Terms.OrderedOn + Day(l.Terms.WaiverDays)
	// The order's principal outstanding and paid, to see when it is paid in full: by payments, not by an
	// amendment that takes the award down to nothing.
	outstanding, paid := owed, int64(0)
	for i, e := range l.Entries {
		if e.On > on {
			break
		}
		switch e.Kind {
		case Payment, Reversal:
			for _, a := range e.Allocations {
				outstanding -= a.PrincipalCents
				paid += a.PrincipalCents
				j, ok := index[a.VictimID]
				if !ok {
					continue
				}
				acc[j].advance(e.On)
				acc[j].outstanding -= a.PrincipalCents
				b.Lines[j].PrincipalPaidCents += a.PrincipalCents
				b.Lines[j].InterestPaidCents += a.InterestCents
			}
			outstanding -= e.OtherPrincipalCents
			paid += e.OtherPrincipalCents
			b.UnappliedCents += e.UnappliedCents
		case Refund:
			b.UnappliedCents -= e.AmountCents
		case Adjustment:
			outstanding += e.AmountCents
			if j, ok := index[e.VictimID]; ok {
				acc[j].advance(e.On)
				acc[j].outstanding += e.AmountCents
				b.Lines[j].AdjustedCents += e.AmountCents
			}
		case Disbursement:
			if j, ok := index[e.VictimID]; ok {
				b.Lines[j].DisbursedCents += e.AmountCents
			}
		}
		// Paid in full is judged at the end of a day, once all of its entries are in.
		lastOfDay := i+1 == len(l.Entries) || l.Entries[i+1].On != e.On
		if lastOfDay && l.Terms.WaiverDays > 0 && e.On < cutoff && outstanding <= 0 && paid > 0 {
			b.InterestWaived = true
		}
	}
	bps := l.Terms.RateBps
	if owed <= l.Terms.ThresholdCents || b.InterestWaived {
		bps = 0
	}
	for i := range acc {
		acc[i].advance(on)
		b.Lines[i].InterestAccruedCents = centsOfInterest(acc[i].centDays, bps)
	}
	return b
}

// LeastUndisbursed is the least money applied to victimID's line and not yet disbursed, over the end of day
// from and of every later day with an entry: the most that may be disbursed on day from without leaving any
// day overdrawn. It replays the ledger once, without interest, which neither side of it involves.
func (l Ledger) LeastUndisbursed(victimID string, from Day) int64 {
	return l.least(from, func(e Entry) int64 {
		var change int64
		switch e.Kind {
		case Payment, Reversal:
			for _, a := range e.Allocations {
				if a.VictimID == victimID {
					change += a.PrincipalCents + a.InterestCents
				}
			}
		case Disbursement:
			if e.VictimID == victimID {
				change -= e.AmountCents
			}
		}
		return change
	})
}

// LeastCredit is the least unapplied credit over the end of day from and of every later day with an entry:
// the most that may be refunded on day from.
func (l Ledger) LeastCredit(from Day) int64 {
	return l.least(from, func(e Entry) int64 {
		switch e.Kind {
		case Payment, Reversal:
			return e.UnappliedCents
		case Refund:
			return -e.AmountCents
		}
		return 0
	})
}

// least runs a figure through the entries by the change each makes, and returns its least value at the end
// of day from and of each later day with an entry, never below 0 (a figure already overdrawn by a reversal
// leaves nothing to pay out).
func (l Ledger) least(from Day, change func(Entry) int64) int64 {
	var figure int64
	lowest := int64(math.MaxInt64)
	for i, e := range l.Entries {
		if e.On > from && lowest == math.MaxInt64 {
			lowest = figure // the end of day from, which had no entry of its own
		}
		figure += change(e)
		if e.On >= from && (i+1 == len(l.Entries) || l.Entries[i+1].On != e.On) {
			lowest = min(lowest, figure)
		}
	}
	if lowest == math.MaxInt64 {
		lowest = figure
	}
	return max(lowest, 0)
}

// Sort puts entries in the order a ledger replays them: by day, then as posted.
func Sort(entries []Entry) {
	slices.SortStableFunc(entries, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.On, b.On), cmp.Compare(a.Seq, b.Seq))
	})
}

// ErrNotPositive means an amount to allocate is zero or negative.
var ErrNotPositive = errors.New("restitution: the amount must be positive")

// Allocate applies a payment of amount received on day on, posted after every entry of the ledger: interest
// accrues to that day; principal is paid class by class in priority order, pro rata within a class by
// outstanding principal; then interest in the same class order, pro rata by each line's outstanding interest
// rounded half-up to the cent; the rest is unapplied credit. Every split is exact to the cent by the largest
// remainder method, ties going to the lower victim ID. Allocations of zero are left out. The payment must
// come after every entry that changes what a line is owed (the store posts payments and adjustments in date
// order): an earlier payment would be split by amounts a later adjustment has since changed.
func (l Ledger) Allocate(on Day, amount int64) ([]Allocation, int64, error) {
	if amount <= 0 {
		return nil, 0, ErrNotPositive
	}
	b := l.AsOf(on)
	principal := make([]int64, len(b.Lines))
	interest := make([]int64, len(b.Lines))
	left := amount
	classes := l.classesOf(b)
	var owedAfter int64
	for _, class := range classes {
		left = split(left, b.Lines, class, principal, LineBalance.PrincipalOutstandingCents)
	}
	for i, line := range b.Lines {
		owedAfter += line.PrincipalOutstandingCents() - principal[i]
	}
	// Paying the principal in full within the waiver period waives every cent of interest, this payment's
	// included: what is left is held as credit.
	waived := l.Terms.WaiverDays > 0 && on < l.Terms.OrderedOn+Day(l.Terms.WaiverDays) && owedAfter <= 0
	if !waived {
		for _, class := range classes {
			left = split(left, b.Lines, class, interest, LineBalance.InterestOutstandingCents)
		}
	}
	var out []Allocation
	for i, line := range b.Lines {
		if principal[i] != 0 || interest[i] != 0 {
			out = append(out, Allocation{VictimID: line.VictimID, PrincipalCents: principal[i], InterestCents: interest[i]})
		}
	}
	return out, left, nil
}

// classesOf groups the indexes of b's lines by priority class, each class in victim ID order. A kind the
// terms do not rank is paid last, so that no money is ever left unapplied for want of a class.
func (l Ledger) classesOf(b Balance) [][]int {
	rank := Rank(l.Terms.Classes)
	classes := make([][]int, len(l.Terms.Classes)+1)
	for i, line := range b.Lines {
		r, ok := rank[line.Kind]
		if !ok {
			r = len(l.Terms.Classes)
		}
		classes[r] = append(classes[r], i)
	}
	for _, c := range classes {
		slices.SortFunc(c, func(x, y int) int { return cmp.Compare(b.Lines[x].VictimID, b.Lines[y].VictimID) })
	}
	return classes
}

// split pays up to amount to the lines of class (indexes into lines, in victim ID order), pro rata by what
// each is owed, and adds each share to paid; it returns what is left. Shares are exact: each line gets the
// floor of its share, and the cents left over go one each to the largest remainders, ties to the lower
// victim ID. No line gets more than it is owed.
func split(amount int64, lines []LineBalance, class []int, paid []int64, owedOf func(LineBalance) int64) int64 {
	if amount <= 0 {
		return amount
	}
	var total int64
	owed := make([]int64, len(class))
	for k, i := range class {
		owed[k] = max(owedOf(lines[i])-paid[i], 0)
		total += owed[k]
	}
	if total == 0 {
		return amount
	}
	if amount >= total {
		for k, i := range class {
			paid[i] += owed[k]
		}
		return amount - total
	}
	type share struct {
		k   int
		rem uint64
	}
	rems := make([]share, 0, len(class))
	given := int64(0)
	for k, i := range class {
		if owed[k] == 0 {
			continue
		}
		hi, lo := bits.Mul64(uint64(amount), uint64(owed[k]))
		q, r := bits.Div64(hi, lo, uint64(total))
		paid[i] += int64(q)
		given += int64(q)
		if r > 0 {
			rems = append(rems, share{k, r})
		}
	}
	// Σ remainders / total = amount − given < len(rems): every leftover cent finds a line with a remainder.
	slices.SortStableFunc(rems, func(a, b share) int { return cmp.Compare(b.rem, a.rem) })
	for _, s := range rems[:amount-given] {
		paid[class[s.k]]++
	}
	return 0
}
