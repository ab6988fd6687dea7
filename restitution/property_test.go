package restitution

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// The property test replays thousands of random ledgers built the way the store builds them, and checks
// every balance and every allocation against the ledger's rules (README: Restitution ledger) and against
// references computed independently here (day-by-day interest in math/big, largest-remainder shares in
// math/big). Each ledger has its own generator seeded from (seed, ledger number), so a failure names the
// ledger to rerun alone:
//
//	go test ./restitution -run TestLedgerProperties -restitution.seed=S -restitution.ledger=N -v
var (
	propertySeed    = flag.Uint64("restitution.seed", 20250301, "seed of TestLedgerProperties")
	propertyLedgers = flag.Int("restitution.ledgers", 3000, "how many random ledgers TestLedgerProperties replays")
	propertyLedger  = flag.Int("restitution.ledger", -1, "replay only this ledger of TestLedgerProperties (with -v, printed in full)")
)

func TestLedgerProperties(t *testing.T) {
	seed := *propertySeed
	t.Logf("seed %d (rerun with -restitution.seed=%d)", seed, seed)
	from, to := 0, *propertyLedgers
	if *propertyLedger >= 0 {
		from, to = *propertyLedger, *propertyLedger+1
	}
	var st simStats
	failures, ran := 0, 0
	for n := from; n < to && failures < 3; n++ {
		ran++
		s := newSim(t, seed, n)
		s.run()
		st.add(s)
		if s.failed {
			failures++
			t.Logf("ledger %d (seed %d); replay: go test ./restitution -run TestLedgerProperties -restitution.seed=%d -restitution.ledger=%d -v\n%s", n, seed, seed, n, s.dump())
		} else if *propertyLedger >= 0 && testing.Verbose() {
			t.Logf("ledger %d:\n%s", n, s.dump())
		}
	}
	st.report(t, ran)
}

func (st simStats) report(t *testing.T, ledgers int) {
	t.Helper()
	t.Logf("%d ledgers: %d payments (%d paid interest, %d left credit, %d waived), %d reversals, %d refunds, %d adjustments, %d disbursements, %d over-disbursed lines, %d balances checked",
		ledgers, st.payments, st.interestPaid, st.unapplied, st.waived, st.reversals, st.refunds, st.adjustments, st.disbursements, st.overDisbursed, st.balances)
	// A test that would pass with the feature removed is not a test: make sure the generator reached
	// every kind of case it is meant to reach.
	if ledgers >= 1000 && (st.interestPaid == 0 || st.unapplied == 0 || st.waived == 0 || st.reversals == 0 ||
		st.refunds == 0 || st.adjustments == 0 || st.disbursements == 0 || st.overDisbursed == 0) {
		t.Errorf("the generator missed a kind of case: %+v", st)
	}
}

type simStats struct {
	payments, interestPaid, unapplied, waived, reversals, refunds, adjustments, disbursements, overDisbursed, balances int
}

func (st *simStats) add(s *sim) {
	st.payments += s.stats.payments
	st.interestPaid += s.stats.interestPaid
	st.unapplied += s.stats.unapplied
	st.waived += s.stats.waived
	st.reversals += s.stats.reversals
	st.refunds += s.stats.refunds
	st.adjustments += s.stats.adjustments
	st.disbursements += s.stats.disbursements
	st.overDisbursed += s.stats.overDisbursed
	st.balances += s.stats.balances
}

// sim builds one random ledger entry by entry, as the store would, checking as it goes.
type sim struct {
	t    *testing.T
	seed uint64
	n    int
	r    *rand.Rand
	l    Ledger
	seq  int64
	// posted is the latest day of a payment or an adjustment: like the store (checkPostingOrder in
	// models/restitution_entry.go), no payment or adjustment is dated before it.
	posted Day
	latest Day // the latest day of any entry
	// payments posted, by Seq, and whether each was reversed.
	payments map[int64]Entry
	reversed map[int64]bool
	failed   bool
	stats    simStats
}

func newSim(t *testing.T, seed uint64, n int) *sim {
	return &sim{t: t, seed: seed, n: n, r: rand.New(rand.NewPCG(seed, uint64(n))), payments: map[int64]Entry{}, reversed: map[int64]bool{}}
}

func (s *sim) fail(format string, args ...any) {
	s.t.Helper()
	s.failed = true
	s.t.Errorf("seed %d ledger %d: %s", s.seed, s.n, fmt.Sprintf(format, args...))
}

var propertyEpoch = DayOf(time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC))

func (s *sim) run() {
	r := s.r
	s.genTerms()
	s.posted, s.latest = s.l.Terms.OrderedOn, s.l.Terms.OrderedOn
	steps := r.IntN(24)
	for range steps {
		if s.failed {
			return
		}
		switch k := r.IntN(100); {
		case k < 45:
			s.payment()
		case k < 57:
			s.reversal()
		case k < 69:
			s.refund()
		case k < 81:
			s.adjustment()
		default:
			s.disbursement()
		}
	}
	if !s.failed {
		s.checkFinal()
	}
}

// genTerms draws the terms and lines: rates 0..2000 bps, sometimes a waiver or a threshold near the ordered
// total, the statutory classes or another ranking of the kinds (sometimes leaving kinds out), and 1..12
// lines of random kinds, from 1 cent to $10,000,000, with ties.
func (s *sim) genTerms() {
	r := s.r
	tm := Terms{OrderedOn: propertyEpoch + Day(r.IntN(8*365))}
	switch r.IntN(6) {
	case 0:
		tm.RateBps = 0
	case 1:
		tm.RateBps = 2000
	default:
		tm.RateBps = r.Int64N(2001)
	}
	if r.IntN(3) == 0 {
		tm.WaiverDays = 1 + r.Int64N(30)
	}
	switch r.IntN(10) {
	case 0, 1, 2, 3, 4, 5:
		tm.Classes = StatutoryClasses
	case 6, 7, 8:
		tm.Classes = randomClasses(r, Kinds)
	default: // some kinds unranked: they are paid last
		kinds := slices.Clone(Kinds)
		r.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
		tm.Classes = randomClasses(r, kinds[:r.IntN(len(kinds))])
	}
	pool := []int64{1 + r.Int64N(3), 1 + r.Int64N(100_000), 1 + r.Int64N(1_000_000_000)}
	n := 1 + r.IntN(12)
	ids := map[string]bool{}
	var total int64
	for range n {
		id := ""
		for id == "" || ids[id] {
			id = fmt.Sprintf("%x", r.Uint64N(1<<(4*(1+r.IntN(3)))))
		}
		ids[id] = true
		var amount int64
		switch r.IntN(10) {
		case 0, 1:
			amount = 1 + r.Int64N(3)
		case 2, 3:
			amount = pool[r.IntN(len(pool))]
		case 4, 5:
			amount = 1 + r.Int64N(100_000)
		default:
			amount = 1 + r.Int64N(1_000_000_000)
		}
		total += amount
		s.l.Lines = append(s.l.Lines, Line{VictimID: id, Kind: Kinds[r.IntN(len(Kinds))], OrderedCents: amount})
	}
	switch r.IntN(10) {
	case 0:
		tm.ThresholdCents = total
	case 1:
		tm.ThresholdCents = total - 1
	case 2:
		tm.ThresholdCents = total + r.Int64N(2)
	case 3:
		tm.ThresholdCents = r.Int64N(2 * total)
	}
	s.l.Terms = tm
}

// randomClasses splits kinds, shuffled, into one to len(kinds) classes.
func randomClasses(r *rand.Rand, kinds []Kind) [][]Kind {
	kinds = slices.Clone(kinds)
	r.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	var classes [][]Kind
	for len(kinds) > 0 {
		n := 1 + r.IntN(len(kinds))
		classes = append(classes, kinds[:n])
		kinds = kinds[n:]
	}
	return classes
}

// post appends e with the next Seq and sorts the entries as AsOf needs them.
func (s *sim) post(e Entry) Entry {
	s.seq++
	e.Seq = s.seq
	s.l.Entries = append(s.l.Entries, e)
	Sort(s.l.Entries)
	s.latest = max(s.latest, e.On)
	return e
}

// payment allocates a payment dated on or after the latest payment or adjustment (the same day, within any
// waiver period, or later) of a random amount: 1-3 cents, part of the principal outstanding, all of it,
// all of it and part or all of the interest, more than everything, or what the first class is owed.
func (s *sim) payment() {
	r := s.r
	on := s.posted
	switch r.IntN(10) {
	case 0, 1, 2: // the same day
	case 3, 4, 5: // within any waiver period
		on += Day(1 + r.IntN(20))
	default:
		on += Day(1 + r.IntN(200))
	}
	b := s.l.AsOf(on)
	var po, io int64
	for _, line := range b.Lines {
		po += max(line.PrincipalOutstandingCents(), 0)
		io += max(line.InterestOutstandingCents(), 0)
	}
	var amount int64
	switch r.IntN(9) {
	case 0:
		amount = 1 + r.Int64N(3)
	case 1, 2:
		amount = 1 + r.Int64N(max(po, 1))
	case 3:
		amount = po
	case 4:
		amount = po + 1 + r.Int64N(max(io, 1))
	case 5:
		amount = po + io
	case 6:
		amount = po + io + 1 + r.Int64N(1000)
	case 7:
		amount = 1 + r.Int64N(2_000_000_000)
	case 8: // exactly what the first class with anything outstanding is owed
		for _, class := range refClasses(s.l.Terms, b.Lines) {
			for _, i := range class {
				amount += max(b.Lines[i].PrincipalOutstandingCents(), 0)
			}
			if amount > 0 {
				break
			}
		}
	}
	if amount <= 0 {
		amount = 1 + r.Int64N(3)
	}
	if _, _, err := s.l.Allocate(on, -r.Int64N(2)); !errors.Is(err, ErrNotPositive) {
		s.fail("allocating nothing on %s: error %v, want ErrNotPositive", on, err)
	}
	allocs, unapplied, err := s.l.Allocate(on, amount)
	if err != nil {
		s.fail("Allocate(%s, %d): %v", on, amount, err)
		return
	}
	s.checkAllocation(b, on, amount, allocs, unapplied)
	if r.IntN(4) == 0 {
		// The balance the payment was allocated against has the interest of an independent reference.
		s.checkInterest(s.l, b, refSweep(s.l, []Day{on})[0])
	}
	e := s.post(Entry{Kind: Payment, On: on, AmountCents: amount, Allocations: allocs, UnappliedCents: unapplied})
	s.payments[e.Seq] = e
	s.posted = on
	s.stats.payments++
	if unapplied > 0 {
		s.stats.unapplied++
	}
	for _, a := range allocs {
		if a.InterestCents > 0 {
			s.stats.interestPaid++
			break
		}
	}
}

// reversal reverses a random payment not reversed yet, effective on its day.
func (s *sim) reversal() {
	var open []int64
	for seq := range s.payments {
		if !s.reversed[seq] {
			open = append(open, seq)
		}
	}
	if len(open) == 0 {
		return
	}
	slices.Sort(open)
	p := s.payments[open[s.r.IntN(len(open))]]
	rev := ReversalOf(p)
	if rev.Kind != Reversal || rev.On != p.On || rev.AmountCents != p.AmountCents || rev.UnappliedCents != -p.UnappliedCents || len(rev.Allocations) != len(p.Allocations) {
		s.fail("ReversalOf(%+v) = %+v", p, rev)
		return
	}
	for i, a := range p.Allocations {
		if want := (Allocation{VictimID: a.VictimID, PrincipalCents: -a.PrincipalCents, InterestCents: -a.InterestCents}); rev.Allocations[i] != want {
			s.fail("ReversalOf: allocation %+v, want %+v", rev.Allocations[i], want)
		}
	}
	s.post(rev)
	s.reversed[p.Seq] = true
	s.stats.reversals++
}

// refund refunds credit on any day from the order date, only when CheckRefundOn passes: the store's rule,
// which must agree with the credit as of that day and of every later day with an entry.
func (s *sim) refund() {
	r := s.r
	on := s.l.Terms.OrderedOn + Day(r.IntN(int(s.latest-s.l.Terms.OrderedOn)+30))
	least := s.leastOver(on, func(b Balance) int64 { return b.UnappliedCents })
	var amount int64
	switch r.IntN(4) {
	case 0:
		amount = least
	case 1:
		amount = least + 1
	default:
		amount = 1 + r.Int64N(max(least, 1))
	}
	if amount <= 0 {
		return
	}
	err := s.l.CheckRefundOn(amount, on)
	if refused := amount > least; refused != (err != nil) {
		s.fail("CheckRefundOn(%d, %s) with at least %d of credit from that day: %v", amount, on, least, err)
	}
	if err != nil {
		return
	}
	s.post(Entry{Kind: Refund, On: on, AmountCents: amount})
	s.stats.refunds++
}

// leastOver is the least of figure over the balances at the end of day on and of every later day with an
// entry, never below 0: the day-by-day reference for LeastCredit and LeastUndisbursed.
func (s *sim) leastOver(on Day, figure func(Balance) int64) int64 {
	least := figure(s.l.AsOf(on))
	for _, e := range s.l.Entries {
		if e.On > on {
			least = min(least, figure(s.l.AsOf(e.On)))
		}
	}
	return max(least, 0)
}

// adjustment amends a random line, dated on or after the latest payment or adjustment, only when
// CheckAdjustment passes (as of its day and the latest day; the store asks the latest).
func (s *sim) adjustment() {
	r := s.r
	on := s.posted
	if r.IntN(2) == 0 {
		on += Day(r.IntN(60))
	}
	line := s.l.Lines[r.IntN(len(s.l.Lines))]
	bOn, bLatest := s.l.AsOf(on), s.l.AsOf(max(on, s.latest))
	lb, _ := bLatest.Line(line.VictimID)
	room := lb.OwedCents() - lb.PrincipalPaidCents
	var delta int64
	switch r.IntN(7) {
	case 0:
		delta = 1 + r.Int64N(3)
	case 1:
		delta = 1 + r.Int64N(100_000_000)
	case 2:
		delta = -room
	case 3:
		delta = -room - 1
	case 4:
		delta = 0
	default:
		delta = -1 - r.Int64N(max(room, 1))
	}
	errOn, errLatest := bOn.CheckAdjustment(line.VictimID, delta), bLatest.CheckAdjustment(line.VictimID, delta)
	for _, c := range []struct {
		b   Balance
		err error
	}{{bOn, errOn}, {bLatest, errLatest}} {
		lb, _ := c.b.Line(line.VictimID)
		if refused := delta == 0 || lb.OwedCents()+delta < lb.PrincipalPaidCents; refused != (c.err != nil) {
			s.fail("CheckAdjustment(%s, %d) as of %s, owed %d, paid %d: %v", line.VictimID, delta, c.b.AsOf, lb.OwedCents(), lb.PrincipalPaidCents, c.err)
		}
	}
	if err := bOn.CheckAdjustment("no such victim", 1); err == nil {
		s.fail("CheckAdjustment accepted a victim not on the order")
	}
	if errOn != nil || errLatest != nil {
		return
	}
	s.post(Entry{Kind: Adjustment, On: on, VictimID: line.VictimID, AmountCents: delta})
	s.posted = on
	s.stats.adjustments++
}

// disbursement pays a victim out on any day from the order date, only when CheckDisbursementOn passes: the
// store's rule, which must agree with what is undisbursed as of that day and of every later day with an
// entry. Then a line can be disbursed more than is allocated to it only after a reversal.
func (s *sim) disbursement() {
	r := s.r
	on := s.l.Terms.OrderedOn + Day(r.IntN(int(s.latest-s.l.Terms.OrderedOn)+10))
	line := s.l.Lines[r.IntN(len(s.l.Lines))]
	least := s.leastOver(on, func(b Balance) int64 { lb, _ := b.Line(line.VictimID); return lb.UndisbursedCents() })
	var amount int64
	switch r.IntN(4) {
	case 0:
		amount = least
	case 1:
		amount = least + 1
	default:
		amount = 1 + r.Int64N(max(least, 1))
	}
	if amount <= 0 {
		return
	}
	err := s.l.CheckDisbursementOn(line.VictimID, amount, on)
	if refused := amount > least; refused != (err != nil) {
		s.fail("CheckDisbursementOn(%s, %d, %s) with at least %d undisbursed from that day: %v", line.VictimID, amount, on, least, err)
	}
	if err := s.l.CheckDisbursementOn("no such victim", 0, on); err == nil {
		s.fail("CheckDisbursementOn accepted a victim not on the order")
	}
	if err != nil {
		return
	}
	s.post(Entry{Kind: Disbursement, On: on, VictimID: line.VictimID, AmountCents: amount})
	s.stats.disbursements++
	for _, e := range s.l.Entries {
		if e.On < on {
			continue
		}
		if after, _ := s.l.AsOf(e.On).Line(line.VictimID); after.DisbursedCents > after.AllocatedCents() && !s.reversedSince(on) {
			s.fail("disbursed %d to %s by %s, more than the %d allocated, with no reversal", after.DisbursedCents, line.VictimID, e.On, after.AllocatedCents())
		}
	}
}

// reversedSince reports whether a reversal was posted after the last disbursement check could see it: any
// reversal in the ledger at all, which is when over-disbursement is allowed.
func (s *sim) reversedSince(Day) bool {
	return slices.ContainsFunc(s.l.Entries, func(e Entry) bool { return e.Kind == Reversal })
}

// checkPartial checks that the partial ledger of each line (see Ledger.OtherOrderedCents) gives that line,
// and the waiver, exactly as the whole ledger does.
func (s *sim) checkPartial(days []Day) {
	var ordered int64
	for _, line := range s.l.Lines {
		ordered += line.OrderedCents
	}
	for _, line := range s.l.Lines {
		part := Ledger{Terms: s.l.Terms, Lines: []Line{line}, OtherOrderedCents: ordered - line.OrderedCents}
		for _, e := range s.l.Entries {
			pe := e
			pe.Allocations = nil
			for _, a := range e.Allocations {
				if a.VictimID == line.VictimID {
					pe.Allocations = append(pe.Allocations, a)
				} else {
					pe.OtherPrincipalCents += a.PrincipalCents
				}
			}
			part.Entries = append(part.Entries, pe)
		}
		for _, on := range days {
			whole, partial := s.l.AsOf(on), part.AsOf(on)
			want, _ := whole.Line(line.VictimID)
			if got := partial.Lines[0]; got != want || partial.InterestWaived != whole.InterestWaived {
				s.fail("as of %s the partial ledger of %s gives %+v (waived %v); the whole one %+v (waived %v)",
					on, line.VictimID, got, partial.InterestWaived, want, whole.InterestWaived)
				return
			}
		}
	}
}

// refClasses groups the indexes of lines by the terms' priority, highest first, kinds the terms leave out
// last, each class in victim ID order.
func refClasses(tm Terms, lines []LineBalance) [][]int {
	classes := make([][]int, len(tm.Classes)+1)
	for i, line := range lines {
		classes[refRank(tm, line.Kind)] = append(classes[refRank(tm, line.Kind)], i)
	}
	for _, c := range classes {
		slices.SortFunc(c, func(x, y int) int { return strings.Compare(lines[x].VictimID, lines[y].VictimID) })
	}
	return classes
}

func refRank(tm Terms, k Kind) int {
	for r, class := range tm.Classes {
		if slices.Contains(class, k) {
			return r
		}
	}
	return len(tm.Classes)
}

// refSplit shares amount among lines owed owed[k] (in victim ID order) by the largest remainder method, in
// math/big: the floor of amount × owed / Σ owed each, then one cent each to the largest remainders, ties to
// the lower victim ID. It returns the shares and what is left.
func refSplit(amount int64, owed []int64) ([]int64, int64) {
	shares := make([]int64, len(owed))
	total := new(big.Int)
	for _, o := range owed {
		total.Add(total, big.NewInt(o))
	}
	if amount <= 0 || total.Sign() == 0 {
		return shares, amount
	}
	if big.NewInt(amount).Cmp(total) >= 0 {
		copy(shares, owed)
		return shares, amount - total.Int64()
	}
	rems := make([]*big.Int, len(owed))
	given := int64(0)
	for k, o := range owed {
		q, rem := new(big.Int).QuoRem(new(big.Int).Mul(big.NewInt(amount), big.NewInt(o)), total, new(big.Int))
		shares[k], rems[k] = q.Int64(), rem
		given += q.Int64()
	}
	order := make([]int, len(owed))
	for k := range order {
		order[k] = k
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Or(rems[b].Cmp(rems[a]), cmp.Compare(a, b)) })
	for _, k := range order[:amount-given] {
		shares[k]++
	}
	return shares, 0
}

// checkAllocation checks one payment's allocation against the balance b it was allocated against.
func (s *sim) checkAllocation(b Balance, on Day, amount int64, allocs []Allocation, unapplied int64) {
	s.t.Helper()
	tm := s.l.Terms
	got := map[string]Allocation{}
	sum := unapplied
	if unapplied < 0 {
		s.fail("payment of %d on %s: unapplied %d", amount, on, unapplied)
	}
	for _, a := range allocs {
		if _, dup := got[a.VictimID]; dup {
			s.fail("payment of %d on %s: %s allocated twice", amount, on, a.VictimID)
		}
		got[a.VictimID] = a
		lb, ok := b.Line(a.VictimID)
		switch {
		case !ok:
			s.fail("payment of %d on %s: allocation %+v to no line", amount, on, a)
		case a.PrincipalCents < 0 || a.InterestCents < 0 || a.PrincipalCents == 0 && a.InterestCents == 0:
			s.fail("payment of %d on %s: allocation %+v negative or zero", amount, on, a)
		case a.PrincipalCents > lb.PrincipalOutstandingCents():
			s.fail("payment of %d on %s: %d of principal to %s, which has %d outstanding", amount, on, a.PrincipalCents, a.VictimID, lb.PrincipalOutstandingCents())
		case a.InterestCents > lb.InterestOutstandingCents():
			s.fail("payment of %d on %s: %d of interest to %s, which has %d outstanding", amount, on, a.InterestCents, a.VictimID, lb.InterestOutstandingCents())
		}
		sum += a.PrincipalCents + a.InterestCents
	}
	if sum != amount {
		s.fail("payment of %d on %s: allocations and credit sum to %d", amount, on, sum)
	}

	// Priority: after the allocation, no line of a higher class has principal outstanding if a line of a
	// lower class was paid principal; no line has principal outstanding if any interest was paid; no line
	// of a higher class has interest outstanding if a lower class was paid interest; and credit is held only
	// when nothing more could be applied.
	var principalLeft, interestLeft int64
	highestPrincipalLeft, highestInterestLeft := 1<<31, 1<<31
	lowestPrincipalPaid, lowestInterestPaid, interestPaid := -1, -1, int64(0)
	for _, lb := range b.Lines {
		a := got[lb.VictimID]
		rank := refRank(tm, lb.Kind)
		if left := lb.PrincipalOutstandingCents() - a.PrincipalCents; left > 0 {
			principalLeft += left
			highestPrincipalLeft = min(highestPrincipalLeft, rank)
		}
		if left := lb.InterestOutstandingCents() - a.InterestCents; left > 0 {
			interestLeft += left
			highestInterestLeft = min(highestInterestLeft, rank)
		}
		if a.PrincipalCents > 0 {
			lowestPrincipalPaid = max(lowestPrincipalPaid, rank)
		}
		if a.InterestCents > 0 {
			lowestInterestPaid = max(lowestInterestPaid, rank)
			interestPaid += a.InterestCents
		}
	}
	if lowestPrincipalPaid > highestPrincipalLeft {
		s.fail("payment of %d on %s: principal paid to class %d while class %d still has principal outstanding", amount, on, lowestPrincipalPaid, highestPrincipalLeft)
	}
	if interestPaid > 0 && principalLeft > 0 {
		s.fail("payment of %d on %s: %d of interest paid while %d of principal is outstanding", amount, on, interestPaid, principalLeft)
	}
	if lowestInterestPaid > highestInterestLeft {
		s.fail("payment of %d on %s: interest paid to class %d while class %d still has interest outstanding", amount, on, lowestInterestPaid, highestInterestLeft)
	}
	waived := tm.WaiverDays > 0 && on < tm.OrderedOn+Day(tm.WaiverDays) && principalLeft == 0
	if unapplied > 0 && (principalLeft > 0 || interestLeft > 0 && !waived) {
		s.fail("payment of %d on %s: %d held as credit with %d of principal and %d of interest outstanding", amount, on, unapplied, principalLeft, interestLeft)
	}
	if waived && interestPaid > 0 {
		s.fail("payment of %d on %s paid the principal in full within the waiver period, and %d of interest", amount, on, interestPaid)
	}
	if waived {
		s.stats.waived++
	}

	// Pro rata exactness, class by class, principal then interest: with R the money that reached a class
	// and O its lines' outstanding, when R < ΣO each line's share is floor(R·O/ΣO) or one more and the
	// shares sum to R (in math/big); and the shares are exactly the reference's largest-remainder split,
	// the extra cents to the largest remainders, ties to the lower victim ID.
	left := amount
	classes := refClasses(tm, b.Lines)
	pass := func(what string, owedOf func(LineBalance) int64, paidOf func(Allocation) int64) {
		for c, class := range classes {
			owed := make([]int64, len(class))
			actual := make([]int64, len(class))
			var total, sum int64
			for k, i := range class {
				owed[k] = max(owedOf(b.Lines[i]), 0)
				actual[k] = paidOf(got[b.Lines[i].VictimID])
				total += owed[k]
				sum += actual[k]
			}
			in := left
			if in < total {
				for k := range class {
					floor := new(big.Int).Quo(new(big.Int).Mul(big.NewInt(in), big.NewInt(owed[k])), big.NewInt(total))
					if !floor.IsInt64() || actual[k] != floor.Int64() && actual[k] != floor.Int64()+1 {
						s.fail("payment of %d on %s: %s of class %d got %d of %s, not ⌊%d·%d/%d⌋ = %s or one more",
							amount, on, b.Lines[class[k]].VictimID, c, actual[k], what, in, owed[k], total, floor)
					}
				}
			}
			if sum != min(max(in, 0), total) {
				s.fail("payment of %d on %s: class %d got %d of %s, of the %d that reached it, owed %d", amount, on, c, sum, what, in, total)
			}
			var want []int64
			want, left = refSplit(in, owed)
			if !slices.Equal(actual, want) {
				s.fail("payment of %d on %s: class %d got %v of %s, owed %v, the largest-remainder split of %d is %v", amount, on, c, actual, what, owed, in, want)
			}
		}
	}
	pass("principal", LineBalance.PrincipalOutstandingCents, func(a Allocation) int64 { return a.PrincipalCents })
	if !waived {
		pass("interest", LineBalance.InterestOutstandingCents, func(a Allocation) int64 { return a.InterestCents })
	}
	if left != unapplied {
		s.fail("payment of %d on %s: unapplied %d, the reference %d", amount, on, unapplied, left)
	}
}

// refSnap is where the reference stands as of a day.
type refSnap struct {
	on          Day
	centDays    []int64 // Σ over the days before on of each line's principal outstanding
	outstanding []int64
	waived      bool
}

// refSweep walks the calendar one day at a time from the order date to the last of days (sorted), keeping
// each line's principal outstanding (owed, with adjustments dated on or before the day, less principal
// allocated by payments and reversals dated on or before it) and summing it over the days, and whether
// the principal was paid in full at the end of a day within the waiver period. It returns a snapshot for
// each of days.
func refSweep(l Ledger, days []Day) []refSnap {
	idx := map[string]int{}
	out := make([]int64, len(l.Lines))
	for i, line := range l.Lines {
		idx[line.VictimID] = i
		out[i] = line.OrderedCents
	}
	entries := slices.Clone(l.Entries)
	slices.SortStableFunc(entries, func(a, b Entry) int { return cmp.Compare(a.On, b.On) })
	sums := make([]int64, len(l.Lines))
	snaps := make([]refSnap, 0, len(days))
	waived := false
	tm := l.Terms
	next := 0
	for d := min(tm.OrderedOn, days[0]); len(snaps) < len(days); d++ {
		for ; next < len(entries) && entries[next].On <= d; next++ {
			e := entries[next]
			switch e.Kind {
			case Payment, Reversal:
				for _, a := range e.Allocations {
					out[idx[a.VictimID]] -= a.PrincipalCents
				}
			case Adjustment:
				out[idx[e.VictimID]] += e.AmountCents
			}
		}
		if tm.WaiverDays > 0 && d >= tm.OrderedOn && d < tm.OrderedOn+Day(tm.WaiverDays) && !slices.ContainsFunc(out, func(o int64) bool { return o > 0 }) {
			waived = true
		}
		for len(snaps) < len(days) && days[len(snaps)] == d {
			snaps = append(snaps, refSnap{on: d, centDays: slices.Clone(sums), outstanding: slices.Clone(out), waived: waived})
		}
		if d >= tm.OrderedOn {
			for i, o := range out {
				// Negative principal outstanding is reported on its own; it accrues nothing.
				if o > 0 {
					if sums[i] > 1<<62-o {
						panic("reference cent-days overflow")
					}
					sums[i] += o
				}
			}
		}
	}
	return snaps
}

// refInterest is cent-days × bps / 3,650,000 as an exact rational, rounded half-up to the cent.
func refInterest(centDays, bps int64) int64 {
	x := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(centDays), big.NewInt(bps)), big.NewInt(daysBpsPerYear))
	x.Add(x, big.NewRat(1, 2))
	return new(big.Int).Quo(x.Num(), x.Denom()).Int64()
}

// checkInterest compares b's interest with the reference snapshot.
func (s *sim) checkInterest(l Ledger, b Balance, ref refSnap) {
	s.t.Helper()
	tm := l.Terms
	var ordered int64
	for _, line := range l.Lines {
		ordered += line.OrderedCents
	}
	if tm.WaiverDays > 0 && b.InterestWaived != ref.waived {
		s.fail("as of %s: interest waived %v, want %v", b.AsOf, b.InterestWaived, ref.waived)
	}
	for i, lb := range b.Lines {
		var want int64
		if ordered > tm.ThresholdCents && !ref.waived {
			want = refInterest(ref.centDays[i], tm.RateBps)
		}
		if lb.InterestAccruedCents != want {
			s.fail("as of %s: %s accrued %d of interest, the day-by-day reference %d (cent-days %d, %d bps, threshold %d of %d ordered, waived %v)",
				b.AsOf, lb.VictimID, lb.InterestAccruedCents, want, ref.centDays[i], tm.RateBps, tm.ThresholdCents, ordered, ref.waived)
		}
		if ordered <= tm.ThresholdCents && (lb.InterestAccruedCents != 0 || lb.InterestPaidCents != 0) {
			s.fail("as of %s: %s has %d of interest accrued and %d paid with %d ordered, at most the threshold %d",
				b.AsOf, lb.VictimID, lb.InterestAccruedCents, lb.InterestPaidCents, ordered, tm.ThresholdCents)
		}
		if got := lb.PrincipalOutstandingCents(); got != ref.outstanding[i] {
			s.fail("as of %s: %s has %d of principal outstanding, the reference %d", b.AsOf, lb.VictimID, got, ref.outstanding[i])
		}
	}
}

// checkFinal checks the finished ledger as of every day an entry takes effect, the day before each, the
// order date and the waiver's last day, random days, and a day well after the last entry.
func (s *sim) checkFinal() {
	l := s.l
	tm := l.Terms
	days := []Day{tm.OrderedOn, tm.OrderedOn - 1 - Day(s.r.IntN(5)), s.latest + Day(s.r.IntN(400))}
	if tm.WaiverDays > 0 {
		days = append(days, tm.OrderedOn+Day(tm.WaiverDays)-1, tm.OrderedOn+Day(tm.WaiverDays))
	}
	for _, e := range l.Entries {
		days = append(days, e.On, e.On-1)
	}
	for range 4 {
		days = append(days, tm.OrderedOn+Day(s.r.IntN(int(s.latest-tm.OrderedOn)+2)))
	}
	slices.Sort(days)
	days = slices.Compact(days)
	s.checkPartial(days)
	refs := refSweep(l, days)
	for k, on := range days {
		b := l.AsOf(on)
		s.stats.balances++
		s.checkInterest(l, b, refs[k])
		s.checkBalance(b)
		if s.failed {
			return
		}
	}
}

// checkBalance checks the sums of b against the entries dated on or before its day.
func (s *sim) checkBalance(b Balance) {
	s.t.Helper()
	var in, allocated int64
	type sums struct{ principal, interest, adjusted, disbursed int64 }
	want := map[string]*sums{}
	for _, line := range s.l.Lines {
		want[line.VictimID] = &sums{}
	}
	// firstDisbursed[id] is the Seq of the first disbursement to id effective by b's day; reversals are the
	// reversals effective by then.
	firstDisbursed := map[string]int64{}
	var reversals []Entry
	for _, e := range s.l.Entries {
		if e.On > b.AsOf {
			continue
		}
		switch e.Kind {
		case Payment:
			in += e.AmountCents
		case Reversal:
			in -= e.AmountCents
			reversals = append(reversals, e)
		case Refund:
			in -= e.AmountCents
		case Adjustment:
			want[e.VictimID].adjusted += e.AmountCents
		case Disbursement:
			want[e.VictimID].disbursed += e.AmountCents
			if f, ok := firstDisbursed[e.VictimID]; !ok || e.Seq < f {
				firstDisbursed[e.VictimID] = e.Seq
			}
		}
		for _, a := range e.Allocations {
			want[a.VictimID].principal += a.PrincipalCents
			want[a.VictimID].interest += a.InterestCents
		}
	}
	for _, lb := range b.Lines {
		w := want[lb.VictimID]
		allocated += lb.AllocatedCents()
		if lb.PrincipalPaidCents != w.principal || lb.InterestPaidCents != w.interest || lb.AdjustedCents != w.adjusted || lb.DisbursedCents != w.disbursed {
			s.fail("as of %s: %s is %+v, the entries sum to %+v", b.AsOf, lb.VictimID, lb, *w)
		}
		if lb.PrincipalOutstandingCents() < 0 {
			s.fail("as of %s: %s has %d of principal outstanding (owed %d, paid %d)", b.AsOf, lb.VictimID, lb.PrincipalOutstandingCents(), lb.OwedCents(), lb.PrincipalPaidCents)
		}
		if lb.InterestOutstandingCents() < 0 {
			s.fail("as of %s: %s has %d of interest outstanding (accrued %d, paid %d)", b.AsOf, lb.VictimID, lb.InterestOutstandingCents(), lb.InterestAccruedCents, lb.InterestPaidCents)
		}
		if lb.PrincipalPaidCents < 0 || lb.InterestPaidCents < 0 || lb.DisbursedCents < 0 {
			s.fail("as of %s: %s has a negative sum: %+v", b.AsOf, lb.VictimID, lb)
		}
		// Disbursed beyond allocated only when a reversal was posted after a disbursement, and then the
		// excess is owed back and nothing is undisbursed.
		over := lb.DisbursedCents - lb.AllocatedCents()
		if lb.UndisbursedCents() != max(-over, 0) || lb.OverDisbursedCents() != max(over, 0) {
			s.fail("as of %s: %s allocated %d, disbursed %d: undisbursed %d, over-disbursed %d", b.AsOf, lb.VictimID, lb.AllocatedCents(), lb.DisbursedCents, lb.UndisbursedCents(), lb.OverDisbursedCents())
		}
		if over > 0 {
			f, ok := firstDisbursed[lb.VictimID]
			if !ok || !slices.ContainsFunc(reversals, func(r Entry) bool { return r.Seq > f }) {
				s.fail("as of %s: %s disbursed %d, more than the %d allocated, with no reversal after a disbursement", b.AsOf, lb.VictimID, lb.DisbursedCents, lb.AllocatedCents())
			}
			if b.AsOf == s.latest {
				s.stats.overDisbursed++
			}
		}
	}
	if allocated+b.UnappliedCents != in {
		s.fail("as of %s: allocated %d + unapplied %d = %d, but payments less reversals and refunds are %d", b.AsOf, allocated, b.UnappliedCents, allocated+b.UnappliedCents, in)
	}
}

func (s *sim) dump() string {
	var sb strings.Builder
	tm := s.l.Terms
	fmt.Fprintf(&sb, "\tTerms{OrderedOn: %d /* %s */, RateBps: %d, ThresholdCents: %d, WaiverDays: %d, Classes: %v}\n", tm.OrderedOn, tm.OrderedOn, tm.RateBps, tm.ThresholdCents, tm.WaiverDays, tm.Classes)
	for _, line := range s.l.Lines {
		fmt.Fprintf(&sb, "\t%+v\n", line)
	}
	for _, e := range s.l.Entries {
		fmt.Fprintf(&sb, "\t%s %+v\n", e.On, e)
	}
	return sb.String()
}
