package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/impactledger/impactledger/money"
	"github.com/impactledger/impactledger/restitution"
)

// InterestMode is how a jurisdiction sets restitution interest.
type InterestMode string

// The interest modes: none; one fixed rate for every order; the rate each order sets.
const (
	InterestNone     InterestMode = "none"
	InterestFixed    InterestMode = "fixed"
	InterestPerOrder InterestMode = "per_order"
)

// MaxRateBps is the highest annual interest rate a profile or order may set: 100%.
const MaxRateBps = 10_000

// maxWaiverDays bounds a profile's waiver period: ten years.
const maxWaiverDays = 3650

// Jurisdiction is a jurisdiction profile: the rules of the court system a case is heard in. Its terms are
// data, not code; an order copies them when it is entered.
type Jurisdiction struct {
	Code string `gorm:"primaryKey"`
	Name string
	JurisdictionTerms
	// ClassesJSON is Classes as stored.
	ClassesJSON string `gorm:"column:priority_classes"`
	CreatedAt   time.Time
	UpdatedAt   *time.Time
	Version     int64
}

// JurisdictionTerms are a profile's restitution terms.
type JurisdictionTerms struct {
	InterestMode InterestMode
	// AnnualRateBps is the rate of a fixed profile, nil otherwise.
	AnnualRateBps  *int64
	ThresholdCents int64
	// WaiverDays, when positive, waives all interest on an order paid in full before that many days after it.
	WaiverDays int64
	// Classes are the kinds of victim in the order they are paid, highest first.
	Classes [][]VictimKind `gorm:"-"`
}

// JurisdictionUpdate replaces a profile's name and terms.
type JurisdictionUpdate struct {
	Name string
	JurisdictionTerms
}

// ListJurisdictions returns every jurisdiction profile, ordered by code.
func (s *Store) ListJurisdictions(ctx context.Context) ([]Jurisdiction, error) {
	var js []Jurisdiction
	if err := s.read.WithContext(ctx).Order("code").Find(&js).Error; err != nil {
		return nil, err
	}
	for i := range js {
		if err := js[i].decode(); err != nil {
			return nil, err
		}
	}
	return js, nil
}

// JurisdictionByCode returns the profile with code, or ErrNotFound.
func (s *Store) JurisdictionByCode(ctx context.Context, code string) (Jurisdiction, error) {
	return jurisdictionByCode(s.read.WithContext(ctx), code)
}

func jurisdictionByCode(db *gorm.DB, code string) (Jurisdiction, error) {
	var j Jurisdiction
	err := db.Where("code = ?", code).Take(&j).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return j, ErrNotFound
	}
	if err != nil {
		return j, err
	}
	return j, j.decode()
}

func (j *Jurisdiction) decode() error {
	if err := json.Unmarshal([]byte(j.ClassesJSON), &j.Classes); err != nil {
		return fmt.Errorf("models: jurisdiction %s has unreadable priority classes: %w", j.Code, err)
	}
	return nil
}

// PutJurisdiction replaces the profile with code (or creates it: created says which). Orders keep the terms
// they copied. It answers a *ValidationError for terms that do not hold together.
func (s *Store) PutJurisdiction(ctx context.Context, code string, u JurisdictionUpdate) (Jurisdiction, bool, error) {
	v := &ValidationError{}
	u.Name = cleanText(v, "name", u.Name, textRule{required: true, maxRunes: 200})
	u.JurisdictionTerms.check(v)
	if err := v.orNil(); err != nil {
		return Jurisdiction{}, false, err
	}
	classes, err := json.Marshal(u.Classes)
	if err != nil {
		return Jurisdiction{}, false, err
	}
	var j Jurisdiction
	created := false
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		var err error
		j, err = jurisdictionByCode(s.forUpdate(tx), code)
		switch {
		case errors.Is(err, ErrNotFound):
			created = true
			j = Jurisdiction{Code: code, CreatedAt: s.now(), Version: 1}
		case err != nil:
			return err
		default:
			j.Version++
			at := s.now()
			j.UpdatedAt = &at
		}
		j.Name, j.JurisdictionTerms, j.ClassesJSON = u.Name, u.JurisdictionTerms, string(classes)
		if created {
			err = tx.Create(&j).Error
		} else {
			err = tx.Select("*").Save(&j).Error
		}
		if err != nil {
			return err
		}
		return s.appendAudit(tx, audited{Action: "jurisdiction.update", ObjectType: "jurisdiction", ObjectID: code, Outcome: OutcomeSuccess})
	})
	return j, created, err
}

// check records what is wrong with t: a rate only and always in fixed mode, and classes that rank every kind
// of victim exactly once.
func (t *JurisdictionTerms) check(v *ValidationError) {
	switch t.InterestMode {
	case InterestFixed:
		if t.AnnualRateBps == nil {
			v.add("interest.annual_rate_bps", "is required when mode is fixed")
		} else if *t.AnnualRateBps < 0 || *t.AnnualRateBps > MaxRateBps {
			v.add("interest.annual_rate_bps", fmt.Sprintf("must be 0 to %d basis points", MaxRateBps))
		}
	case InterestNone, InterestPerOrder:
		if t.AnnualRateBps != nil {
			v.add("interest.annual_rate_bps", "must be null unless mode is fixed (a per_order rate is set in each order)")
		}
	default:
		v.add("interest.mode", "must be none, fixed or per_order")
	}
	if t.ThresholdCents < 0 || t.ThresholdCents > money.MaxCents {
		v.add("interest.threshold_cents", fmt.Sprintf("must be 0 to %d", money.MaxCents))
	}
	if t.WaiverDays < 0 || t.WaiverDays > maxWaiverDays {
		v.add("interest.waived_if_principal_paid_within_days", fmt.Sprintf("must be 0 to %d", maxWaiverDays))
	}
	seen := map[VictimKind]bool{}
	for i, class := range t.Classes {
		if len(class) == 0 {
			v.add(fmt.Sprintf("priority_classes.%d", i), "must name at least one kind of victim")
		}
		for _, k := range class {
			if !slices.Contains(VictimKinds, k) {
				v.add(fmt.Sprintf("priority_classes.%d", i), fmt.Sprintf("names %q, which is not a kind of victim", k))
			} else if seen[k] {
				v.add("priority_classes", fmt.Sprintf("names %s more than once", k))
			}
			seen[k] = true
		}
	}
	for _, k := range VictimKinds {
		if !seen[k] {
			v.add("priority_classes", fmt.Sprintf("must rank every kind of victim; %s is missing", k))
			break
		}
	}
}

// kinds converts classes of victim kinds to the restitution package's.
func kinds(classes [][]VictimKind) [][]restitution.Kind {
	out := make([][]restitution.Kind, len(classes))
	for i, c := range classes {
		for _, k := range c {
			out[i] = append(out[i], restitution.Kind(k))
		}
	}
	return out
}

// checkJurisdiction records a validation problem when code names no jurisdiction profile.
func checkJurisdiction(tx *gorm.DB, v *ValidationError, code string) error {
	if code == "" {
		return nil
	}
	var found int64
	if err := tx.Model(&Jurisdiction{}).Where("code = ?", code).Count(&found).Error; err != nil || found > 0 {
		return err
	}
	var codes []string
	if err := tx.Model(&Jurisdiction{}).Order("code").Pluck("code", &codes).Error; err != nil {
		return err
	}
	v.add("jurisdiction", fmt.Sprintf("is not a known jurisdiction (known: %s)", strings.Join(codes, ", ")))
	return nil
}
