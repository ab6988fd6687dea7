package restitution

import (
	"fmt"
	"slices"

	"github.com/impactledger/impactledger/money"
)

// LimitError explains why an entry would break a rule of the ledger; Field names the request field at fault.
type LimitError struct {
	Field  string
	Detail string
}

// Error says what the rule allows.
func (e *LimitError) Error() string { return e.Detail }

// CheckAdjustment refuses a change of delta to victimID's line that would leave it owed less than its
// principal already paid (an amended order cannot take back money already applied).
func (b Balance) CheckAdjustment(victimID string, delta int64) error {
	line, ok := b.Line(victimID)
	if !ok {
		return &LimitError{Field: "victim_id", Detail: "is not a victim on this order"}
	}
	if delta == 0 {
		return &LimitError{Field: "delta_cents", Detail: "must not be zero"}
	}
	if after := line.OwedCents() + delta; after < line.PrincipalPaidCents {
		return &LimitError{Field: "delta_cents", Detail: fmt.Sprintf(
			"would leave the line owed %s, below the %s of principal already paid", money.FormatDollars(after), money.FormatDollars(line.PrincipalPaidCents))}
	}
	return nil
}

// ReversalOf returns the entry that undoes payment p on p's own day: its allocations and credit, negated.
func ReversalOf(p Entry) Entry {
	r := Entry{Kind: Reversal, On: p.On, AmountCents: p.AmountCents, UnappliedCents: -p.UnappliedCents,
		Allocations: make([]Allocation, len(p.Allocations))}
	for i, a := range p.Allocations {
		r.Allocations[i] = Allocation{VictimID: a.VictimID, PrincipalCents: -a.PrincipalCents, InterestCents: -a.InterestCents}
	}
	return r
}

// CheckDisbursementOn refuses to send victimID, on day on, more than was applied to its line and not yet
// disbursed at the end of that day and of every later day with an entry: money sent on a day must have been
// there that day, and a back-dated disbursement must not overdraw a later one.
func (l Ledger) CheckDisbursementOn(victimID string, amount int64, on Day) error {
	if !slices.ContainsFunc(l.Lines, func(line Line) bool { return line.VictimID == victimID }) {
		return &LimitError{Field: "victim_id", Detail: "is not a victim on this order"}
	}
	if least := l.LeastUndisbursed(victimID, on); amount > least {
		return &LimitError{Field: "amount_cents", Detail: fmt.Sprintf(
			"is more than the %s applied to this victim and not yet disbursed, on that day and every day after", money.FormatDollars(least))}
	}
	return nil
}

// CheckRefundOn refuses to refund, on day on, more than the order's unapplied credit at the end of that day
// and of every later day with an entry.
func (l Ledger) CheckRefundOn(amount int64, on Day) error {
	if least := l.LeastCredit(on); amount > least {
		return &LimitError{Field: "amount_cents", Detail: fmt.Sprintf(
			"is more than the order's unapplied credit of %s, on that day and every day after", money.FormatDollars(least))}
	}
	return nil
}
