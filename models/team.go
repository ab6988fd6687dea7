package models

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
)

// caseMember puts a staff member on a case's team.
type caseMember struct {
	CaseID  string `gorm:"primaryKey"`
	UserID  string `gorm:"primaryKey"`
	AddedAt time.Time
}

// TeamMember is a staff member on a case's team.
type TeamMember struct {
	UserID      string
	DisplayName string
	Email       string
	Role        Role
}

// CaseTeam returns the team of a case the request's actor may see, ordered by name.
func (s *Store) CaseTeam(ctx context.Context, caseID string) ([]TeamMember, error) {
	db := s.read.WithContext(ctx)
	if _, err := s.caseByID(db, caseID, false); err != nil {
		return nil, err
	}
	return caseTeam(db, caseID)
}

func caseTeam(db *gorm.DB, caseID string) ([]TeamMember, error) {
	var members []TeamMember
	err := db.Table("case_members").
		Select("users.id AS user_id, users.display_name, users.email, users.role").
		Joins("JOIN users ON users.id = case_members.user_id").
		Where("case_members.case_id = ?", caseID).
		Order("users.display_name, users.id").Scan(&members).Error
	return members, err
}

// SetCaseTeam replaces the team of a case the request's actor may see with the accounts userIDs name.
func (s *Store) SetCaseTeam(ctx context.Context, caseID string, userIDs []string) ([]TeamMember, error) {
	var members []TeamMember
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		// Locking the case queues concurrent edits of its team one behind the other.
		if _, err := s.caseByID(tx, caseID, true); err != nil {
			return err
		}
		wanted := slices.Compact(slices.Sorted(slices.Values(userIDs)))
		var found []string
		if len(wanted) > 0 {
			if err := tx.Model(&User{}).Where("id IN ? AND active", wanted).Pluck("id", &found).Error; err != nil {
				return err
			}
		}
		v := &ValidationError{}
		for i, id := range userIDs {
			if !slices.Contains(found, id) {
				v.add(fmt.Sprintf("members.%d.user_id", i), "is not an active staff account")
			}
		}
		if err := v.orNil(); err != nil {
			return err
		}
		if err := tx.Where("case_id = ?", caseID).Delete(&caseMember{}).Error; err != nil {
			return err
		}
		at := s.now()
		for _, id := range wanted {
			if err := tx.Create(&caseMember{CaseID: caseID, UserID: id, AddedAt: at}).Error; err != nil {
				return err
			}
		}
		if err := s.appendAudit(tx, audited{Action: "case.team.update", ObjectType: "case", ObjectID: caseID, CaseID: caseID, Outcome: OutcomeSuccess}); err != nil {
			return err
		}
		var err error
		members, err = caseTeam(tx, caseID)
		return err
	})
	return members, err
}
