package models

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"

	"github.com/impactledger/impactledger/password"
)

// Role is what a staff member may do.
type Role string

// The staff roles.
const (
	RoleAdmin      Role = "admin"
	RoleSupervisor Role = "supervisor"
	RoleAdvocate   Role = "advocate"
	RoleProsecutor Role = "prosecutor"
	RoleClerk      Role = "clerk"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleSupervisor, RoleAdvocate, RoleProsecutor, RoleClerk}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, known := range Roles {
		if r == known {
			return true
		}
	}
	return false
}

// User is a staff account.
type User struct {
	ID           string `gorm:"primaryKey"`
	Email        string
	EmailKey     string
	DisplayName  string
	Role         Role
	Active       bool
	PasswordHash string
	LockedAt     *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Version      int64
	// MFASecret is the authenticator app's TOTP secret, sealed; MFAPendingSecret one not yet confirmed.
	MFASecret        *string    `gorm:"column:mfa_secret"`
	MFAPendingSecret *string    `gorm:"column:mfa_pending_secret"`
	MFAEnabledAt     *time.Time `gorm:"column:mfa_enabled_at"`
	// MFALastStep is the last TOTP step accepted: no code of that step or before works again.
	MFALastStep *int64 `gorm:"column:mfa_last_step"`
}

// MFAEnabled reports whether the account signs in with a second factor.
func (u User) MFAEnabled() bool { return u.MFAEnabledAt != nil }

// NewUser is what it takes to create a staff account.
type NewUser struct {
	Email       string
	DisplayName string
	Role        Role
	Password    string
}

// ErrEmailTaken means another account already has the email.
var ErrEmailTaken = &ConflictError{Detail: "another account already has this email address"}

// cleanEmail checks an email address and returns it as given (trimmed) and as accounts are keyed: in
// Unicode normal form C and lower case, so that look-alike spellings of one address are one account.
func cleanEmail(v *ValidationError, email string) (string, string) {
	email = strings.TrimSpace(email)
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > 254 || hasControl(email, false) {
		v.add("email", "must be an email address such as name@agency.gov")
	}
	return email, strings.ToLower(norm.NFC.String(email))
}

// CreateUser validates nu, hashes its password and stores the account.
func (s *Store) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	v := &ValidationError{}
	u := User{Active: true, Version: 1, Role: nu.Role}
	u.Email, u.EmailKey = cleanEmail(v, nu.Email)
	u.DisplayName = cleanText(v, "display_name", nu.DisplayName, textRule{required: true, maxRunes: 200})
	if !u.Role.Valid() {
		v.add("role", "must be one of admin, supervisor, advocate, prosecutor, clerk")
	}
	if err := password.Check(nu.Password); err != nil {
		v.add("password", err.Error())
	}
	if err := v.orNil(); err != nil {
		return User{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return User{}, err
	}
	u.ID = id.String()
	if u.PasswordHash, err = s.hashPassword(ctx, nu.Password); err != nil {
		return User{}, err
	}
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&u).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrEmailTaken
			}
			return err
		}
		return s.appendAudit(tx, audited{Action: "user.create", ObjectType: "user", ObjectID: u.ID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// UserByEmail returns the account with email, whatever its letter case, or ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	key, ok := signInKey(email)
	if !ok {
		return User{}, ErrNotFound
	}
	err := s.read.WithContext(ctx).Where("email_key = ?", key).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return User{}, ErrNotFound
	}
	return u, err
}

// ListUsers returns every staff account, ordered by email.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	var users []User
	return users, s.read.WithContext(ctx).Order("email_key").Find(&users).Error
}

// UserUpdate changes the fields of an account that are Set.
type UserUpdate struct {
	DisplayName Optional[string]
	Role        Optional[Role]
	Active      Optional[bool]
}

// ErrLastAdmin refuses a change that would leave no active administrator to run the system.
var ErrLastAdmin = &ConflictError{Detail: "this is the last active administrator; make another administrator first"}

// UpdateUser applies u to an account at version (its ETag), or answers ErrVersionMismatch when the account
// changed since. Disabling it, or changing its role, ends its sessions and revokes its API tokens at once.
func (s *Store) UpdateUser(ctx context.Context, id string, version int64, u UserUpdate) (User, error) {
	var user User
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		if err := s.queue(tx, userAdminLock); err != nil {
			return err
		}
		if err := tx.Where("id = ?", id).Take(&user).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		if user.Version != version {
			return ErrVersionMismatch
		}
		before := user
		v := &ValidationError{}
		if u.DisplayName.Set {
			user.DisplayName = cleanText(v, "display_name", u.DisplayName.Value, textRule{required: true, maxRunes: 200})
		}
		if u.Role.Set {
			if user.Role = u.Role.Value; !user.Role.Valid() {
				v.add("role", "must be one of admin, supervisor, advocate, prosecutor, clerk")
			}
		}
		u.Active.applyTo(&user.Active)
		if err := v.orNil(); err != nil {
			return err
		}
		changed := changedUserFields(before, user)
		if len(changed) == 0 {
			return nil
		}
		if before.Role == RoleAdmin && before.Active && (user.Role != RoleAdmin || !user.Active) {
			var admins int64
			if err := tx.Model(&User{}).Where("role = ? AND active", RoleAdmin).Count(&admins).Error; err != nil {
				return err
			}
			if admins <= 1 {
				return ErrLastAdmin
			}
		}
		user.Version, user.UpdatedAt = user.Version+1, s.now()
		if err := tx.Model(&User{}).Where("id = ?", id).Updates(map[string]any{
			"display_name": user.DisplayName, "role": user.Role, "active": user.Active,
			"version": user.Version, "updated_at": user.UpdatedAt,
		}).Error; err != nil {
			return err
		}
		// New powers or none: the account's sessions end and its API tokens are revoked, so that nothing
		// issued under the old role carries on (or comes back when the account is enabled again).
		if before.Role != user.Role || !user.Active {
			if err := revokeAccess(tx, id, "", user.UpdatedAt); err != nil {
				return err
			}
		}
		// Which fields changed, never their values: a display name is personal data.
		return s.appendAudit(tx, audited{Action: "user.update", ObjectType: "user", ObjectID: id, Outcome: OutcomeSuccess,
			Detail: map[string]any{"fields": changed}})
	})
	if err != nil {
		return User{}, err
	}
	return user, nil
}

// changedUserFields names the fields of an account that differ between before and after, in a fixed order.
func changedUserFields(before, after User) []string {
	var fields []string
	if before.DisplayName != after.DisplayName {
		fields = append(fields, "display_name")
	}
	if before.Role != after.Role {
		fields = append(fields, "role")
	}
	if before.Active != after.Active {
		fields = append(fields, "active")
	}
	return fields
}

// UserByID returns the account with id, or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (User, error) {
	var u User
	err := s.read.WithContext(ctx).Where("id = ?", id).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return User{}, ErrNotFound
	}
	return u, err
}

// Locked reports whether u is locked out of signing in now.
func (s *Store) Locked(u User) bool { return s.locked(u, s.now()) }
