package models

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"gorm.io/gorm"

	"github.com/impactledger/impactledger/money"
)

// LossTotals adds up losses in exact cents. Only losses that count are added: voided and excluded losses
// count nothing. NetRequestedCents is, loss by loss, the verified amount when one is set (else the claimed
// amount) less what was reimbursed.
type LossTotals struct {
	Count             int64
	ClaimedCents      int64
	VerifiedCents     int64
	ReimbursedCents   int64
	NetRequestedCents int64
}

// CategoryTotals are the totals of one category of loss.
type CategoryTotals struct {
	Category LossCategory
	LossTotals
}

// VictimTotals are the totals of one victim's losses.
type VictimTotals struct {
	VictimID   string
	VictimKind VictimKind
	LossTotals
}

// KindTotals are the totals of the losses of one kind of victim.
type KindTotals struct {
	VictimKind VictimKind
	LossTotals
}

// LossSummary totals a case's losses: overall, by category (in LossCategories order), by victim (by victim
// ID) and by kind of victim (in VictimKinds order). Groups without a counted loss are left out.
type LossSummary struct {
	CaseID       string
	Totals       LossTotals
	ByCategory   []CategoryTotals
	ByVictim     []VictimTotals
	ByVictimKind []KindTotals
}

// countedLoss is what a summary needs of one loss.
type countedLoss struct {
	VictimID        string
	Kind            VictimKind
	Category        LossCategory
	ClaimedCents    int64
	VerifiedCents   *int64
	ReimbursedCents int64
}

// add adds one loss to t, refusing any total that would overflow.
func (t *LossTotals) add(l countedLoss) error {
	basis := l.ClaimedCents
	verified := int64(0)
	if l.VerifiedCents != nil {
		basis, verified = *l.VerifiedCents, *l.VerifiedCents
	}
	var err error
	for _, step := range []struct {
		dst *int64
		n   int64
	}{
		{&t.ClaimedCents, l.ClaimedCents},
		{&t.VerifiedCents, verified},
		{&t.ReimbursedCents, l.ReimbursedCents},
		{&t.NetRequestedCents, basis - l.ReimbursedCents},
	} {
		if *step.dst, err = money.Add(*step.dst, step.n); err != nil {
			return err
		}
	}
	t.Count++
	return nil
}

// LossSummaryOf totals the losses of the case with caseID, which the request's actor must be able to see,
// and records the reading.
func (s *Store) LossSummaryOf(ctx context.Context, caseID string) (LossSummary, error) {
	db := s.read.WithContext(ctx)
	if _, err := s.caseByID(db, caseID, false); err != nil {
		return LossSummary{}, err
	}
	rows, err := published(db.Table("losses"), "losses").
		Select("losses.victim_id, victims.kind, losses.category, losses.claimed_cents, losses.verified_cents, losses.reimbursed_cents").
		Joins("JOIN victims ON victims.id = losses.victim_id").
		Where("losses.case_id = ? AND losses.voided_at IS NULL AND losses.status <> ?", caseID, LossExcluded).
		Rows()
	if err != nil {
		return LossSummary{}, err
	}
	defer rows.Close()
	sum := LossSummary{CaseID: caseID}
	byCategory := map[LossCategory]*LossTotals{}
	byVictim := map[string]*VictimTotals{}
	byKind := map[VictimKind]*LossTotals{}
	for rows.Next() {
		var l countedLoss
		if err := rows.Scan(&l.VictimID, &l.Kind, &l.Category, &l.ClaimedCents, &l.VerifiedCents, &l.ReimbursedCents); err != nil {
			return LossSummary{}, err
		}
		if byCategory[l.Category] == nil {
			byCategory[l.Category] = &LossTotals{}
		}
		if byVictim[l.VictimID] == nil {
			byVictim[l.VictimID] = &VictimTotals{VictimID: l.VictimID, VictimKind: l.Kind}
		}
		if byKind[l.Kind] == nil {
			byKind[l.Kind] = &LossTotals{}
		}
		for _, t := range []*LossTotals{&sum.Totals, byCategory[l.Category], &byVictim[l.VictimID].LossTotals, byKind[l.Kind]} {
			if err := t.add(l); err != nil {
				return LossSummary{}, fmt.Errorf("case %s: loss totals: %w", caseID, err)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return LossSummary{}, err
	}
	for _, c := range LossCategories {
		if t := byCategory[c]; t != nil {
			sum.ByCategory = append(sum.ByCategory, CategoryTotals{Category: c, LossTotals: *t})
		}
	}
	for _, id := range slices.Sorted(maps.Keys(byVictim)) {
		sum.ByVictim = append(sum.ByVictim, *byVictim[id])
	}
	for _, k := range VictimKinds {
		if t := byKind[k]; t != nil {
			sum.ByVictimKind = append(sum.ByVictimKind, KindTotals{VictimKind: k, LossTotals: *t})
		}
	}
	if err := s.inTx(ctx, func(tx *gorm.DB) error {
		return s.appendAudit(tx, audited{Action: "loss.summary", ObjectType: "case", ObjectID: caseID, CaseID: caseID, Outcome: OutcomeSuccess})
	}); err != nil {
		return LossSummary{}, err
	}
	return sum, nil
}
