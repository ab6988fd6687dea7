package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Jurisdiction is a jurisdiction profile: the rules of the court system a case is heard in.
type Jurisdiction struct {
	Code      string `gorm:"primaryKey"`
	Name      string
	CreatedAt time.Time
}

// ListJurisdictions returns every jurisdiction profile, ordered by code.
func (s *Store) ListJurisdictions(ctx context.Context) ([]Jurisdiction, error) {
	var js []Jurisdiction
	err := s.read.WithContext(ctx).Order("code").Find(&js).Error
	return js, err
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
