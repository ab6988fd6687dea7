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

// TeamCandidates returns every active staff account, ordered by name, to a caller who may change the team of
// the case with caseID: ErrNotFound for a case beyond its reach, ErrForbidden for a caller who may not change
// teams.
func (s *Store) TeamCandidates(ctx context.Context, caseID string) ([]TeamMember, error) {
	db := s.read.WithContext(ctx)
	if _, err := s.caseByID(db, caseID, false); err != nil {
		return nil, err
	}
	if !accessIn(ctx).ChangesTeams {
		return nil, ErrForbidden
	}
	var members []TeamMember
	err := db.Model(&User{}).Select("id AS user_id, display_name, email, role").Where("active").
		Order("display_name, id").Scan(&members).Error
	return members, err
}

// ErrTeamWithoutCaseworker refuses a team change that would leave a case with nobody who can work it.
var ErrTeamWithoutCaseworker = &ConflictError{Detail: "A case's team needs at least one active advocate or " +
	"prosecutor, or nobody could work the case. Add one before removing the last."}

// SetCaseTeam replaces the team of a case the request's actor may see with the accounts userIDs name. Only
// callers the access policy lets change teams may (administrators, supervisors, and advocates on the team),
// and the team must keep at least one active advocate or prosecutor: ErrForbidden, ErrNotFound, a
// *ValidationError or ErrTeamWithoutCaseworker otherwise, with nothing changed.
func (s *Store) SetCaseTeam(ctx context.Context, caseID string, userIDs []string) ([]TeamMember, error) {
	var members []TeamMember
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		// Locking the case queues concurrent edits of its team one behind the other.
		if _, err := s.caseByID(tx, caseID, true); err != nil {
			return err
		}
		if !accessIn(ctx).ChangesTeams {
			return ErrForbidden
		}
		wanted := slices.Compact(slices.Sorted(slices.Values(userIDs)))
		var found []User
		if len(wanted) > 0 {
			if err := tx.Select("id", "role").Where("id IN ? AND active", wanted).Find(&found).Error; err != nil {
				return err
			}
		}
		v := &ValidationError{}
		caseworkers := 0
		for i, id := range userIDs {
			at := slices.IndexFunc(found, func(u User) bool { return u.ID == id })
			switch {
			case at < 0:
				v.add(fmt.Sprintf("members.%d.user_id", i), "is not an active staff account")
			case worksThroughTeams(found[at].Role):
				caseworkers++
			}
		}
		if err := v.orNil(); err != nil {
			return err
		}
		if caseworkers == 0 {
			return ErrTeamWithoutCaseworker
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
