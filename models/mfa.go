package models

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/impactledger/impactledger/sealing"
	"github.com/impactledger/impactledger/totp"
)

// RecoveryCodeCount is how many one-time recovery codes an account gets when it turns two-factor sign-in on.
const RecoveryCodeCount = 10

// recoveryAlphabet leaves out letters and digits people confuse (0/O, 1/I/L, U/V), as Crockford's base32.
const recoveryAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// recoveryCode is one of an account's recovery codes; only a hash of the code is stored.
type recoveryCode struct {
	ID        string `gorm:"primaryKey"`
	UserID    string
	CodeHash  string
	CreatedAt time.Time
	UsedAt    *time.Time
}

// ErrMFAEnabled means the account already signs in with a second factor.
var ErrMFAEnabled = &ConflictError{Detail: "two-factor sign-in is already on for this account; an administrator can reset it"}

// ErrNoMFAEnrollment means there is no enrolment to confirm.
var ErrNoMFAEnrollment = &ConflictError{Detail: "start setting up two-factor sign-in first"}

// mfaPlace is where an account's TOTP secrets are sealed, with the 'global' data key.
func mfaPlace(userID, column string) sealing.Place {
	return sealing.Place{Table: "users", Column: column, RowID: userID}
}

// StartMFAEnrollment makes a new TOTP secret for an account and keeps it, sealed, until ConfirmMFAEnrollment
// proves the authenticator app has it. It returns the secret, to be shown to the account's owner once.
func (s *Store) StartMFAEnrollment(ctx context.Context, userID string) (string, error) {
	secret, err := totp.NewSecret()
	if err != nil {
		return "", err
	}
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		u, err := userByID(tx, userID)
		if err != nil {
			return err
		}
		if u.MFAEnabled() {
			return ErrMFAEnabled
		}
		sealed, err := s.seal(tx, GlobalScope, mfaPlace(userID, "mfa_pending_secret"), secret)
		if err != nil {
			return err
		}
		if err := tx.Model(&User{}).Where("id = ?", userID).Update("mfa_pending_secret", sealed).Error; err != nil {
			return err
		}
		return s.appendAudit(tx, audited{Action: "user.mfa_enrollment_start", ObjectType: "user", ObjectID: userID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// ConfirmMFAEnrollment turns two-factor sign-in on for an account once code shows that its authenticator
// app holds the secret from StartMFAEnrollment, marks the session it was done in as having passed two-factor
// sign-in under a new token, returned (sessionID may be empty when there is none, and then so is the token),
// ends the account's other sessions, which passed no second factor and may be someone else's, and returns
// RecoveryCodeCount fresh recovery codes, which are never shown again.
func (s *Store) ConfirmMFAEnrollment(ctx context.Context, userID, sessionID, code string) ([]string, string, error) {
	codes := make([]string, RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
	}
	token := ""
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		u, err := userByID(tx, userID)
		if err != nil {
			return err
		}
		if u.MFAEnabled() {
			return ErrMFAEnabled
		}
		if u.MFAPendingSecret == nil {
			return ErrNoMFAEnrollment
		}
		secret, err := s.openSealed(tx, GlobalScope, mfaPlace(userID, "mfa_pending_secret"), *u.MFAPendingSecret)
		if err != nil {
			return err
		}
		step, ok := totp.Verify(secret, code, s.now())
		if !ok {
			return &ValidationError{Fields: map[string]string{
				"code": "is not the current code from your authenticator app; check that its clock is right"}}
		}
		sealed, err := s.seal(tx, GlobalScope, mfaPlace(userID, "mfa_secret"), secret)
		if err != nil {
			return err
		}
		at := s.now()
		if err := tx.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{
			"mfa_secret": sealed, "mfa_pending_secret": nil, "mfa_enabled_at": at, "mfa_last_step": step,
		}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", userID).Delete(&recoveryCode{}).Error; err != nil {
			return err
		}
		rows := make([]recoveryCode, len(codes))
		for i, c := range codes {
			id, err := uuid.NewV7()
			if err != nil {
				return err
			}
			rows[i] = recoveryCode{ID: id.String(), UserID: userID, CodeHash: recoveryCodeHash(userID, c), CreatedAt: at}
		}
		if err := tx.Create(&rows).Error; err != nil {
			return err
		}
		if sessionID != "" {
			if token, err = s.renewSessionToken(tx, sessionID, userID, map[string]any{"mfa": true}); err != nil {
				return err
			}
		}
		if err := endOtherSessions(tx, userID, sessionID); err != nil {
			return err
		}
		return s.appendAudit(tx, audited{Action: "user.mfa_enable", ObjectType: "user", ObjectID: userID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return nil, "", err
	}
	return codes, token, nil
}

// ResetMFA turns an account's two-factor sign-in off, for a user who lost the authenticator app: it forgets
// the secret and the recovery codes, ends the account's sessions and revokes its API tokens.
func (s *Store) ResetMFA(ctx context.Context, userID string) (User, error) {
	var u User
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		var err error
		if u, err = userByID(tx, userID); err != nil {
			return err
		}
		u.MFASecret, u.MFAPendingSecret, u.MFAEnabledAt, u.MFALastStep = nil, nil, nil, nil
		u.Version, u.UpdatedAt = u.Version+1, s.now()
		if err := tx.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{
			"mfa_secret": nil, "mfa_pending_secret": nil, "mfa_enabled_at": nil, "mfa_last_step": nil,
			"version": u.Version, "updated_at": u.UpdatedAt,
		}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", userID).Delete(&recoveryCode{}).Error; err != nil {
			return err
		}
		// Tokens made by sessions that passed the lost (or stolen) second factor stop too.
		if err := revokeAccess(tx, userID, "", u.UpdatedAt); err != nil {
			return err
		}
		return s.appendAudit(tx, audited{Action: "user.mfa_reset", ObjectType: "user", ObjectID: userID, Outcome: OutcomeSuccess})
	})
	return u, err
}

// passSecondFactor checks a sign-in's second factor in tx and uses it up: a TOTP code's step must come after
// the last one accepted, and a recovery code must be unused. Either is claimed by a conditional update, so
// that two sign-ins racing with one code cannot both succeed. It answers ErrMFARefused otherwise.
func (s *Store) passSecondFactor(tx *gorm.DB, u User, second SecondFactor) error {
	if second.RecoveryCode != "" {
		res := tx.Model(&recoveryCode{}).
			Where("user_id = ? AND code_hash = ? AND used_at IS NULL", u.ID, recoveryCodeHash(u.ID, second.RecoveryCode)).
			Update("used_at", s.now())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrMFARefused
		}
		return s.appendAudit(tx, audited{Action: "auth.recovery_code_use", ObjectType: "user", ObjectID: u.ID, Outcome: OutcomeSuccess})
	}
	if u.MFASecret == nil {
		return ErrMFARefused
	}
	secret, err := s.openSealed(tx, GlobalScope, mfaPlace(u.ID, "mfa_secret"), *u.MFASecret)
	if err != nil {
		return err
	}
	step, ok := totp.Verify(secret, second.TOTPCode, s.now())
	if !ok {
		return ErrMFARefused
	}
	res := tx.Model(&User{}).Where("id = ? AND (mfa_last_step IS NULL OR mfa_last_step < ?)", u.ID, step).
		Update("mfa_last_step", step)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrMFARefused
	}
	return nil
}

// newRecoveryCode makes a 60-bit recovery code, written in three groups of four for reading aloud.
func newRecoveryCode() string {
	var b strings.Builder
	for i := range 12 {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(recoveryAlphabet[randIndex(len(recoveryAlphabet))])
	}
	return b.String()
}

// randIndex returns a uniformly random index below n (n divides 256).
func randIndex(n int) int {
	var b [1]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand.Read never fails on supported platforms (Go 1.24+ aborts instead).
		panic(err)
	}
	return int(b[0]) % n
}

// recoveryCodeHash is what is stored of a recovery code: the code is random enough (60 bits) that a fast
// hash, salted by the account, suffices. Typing is forgiven (normalizeCode).
func recoveryCodeHash(userID, code string) string {
	return hashToken("impactledger recovery code|" + userID + "|" + normalizeCode(code))
}

// normalizeCode forgives how a one-time code was typed: letter case, spaces, dashes, and the letters people
// mistake for digits.
func normalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-':
			return -1
		case 'O':
			return '0'
		case 'I', 'L':
			return '1'
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(code)))
}

// userByID reads one account in tx, or ErrNotFound.
func userByID(tx *gorm.DB, id string) (User, error) {
	var u User
	err := tx.Where("id = ?", id).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return User{}, ErrNotFound
	}
	return u, err
}

// openSealed opens a value sealed with scope's data key at place.
func (s *Store) openSealed(tx *gorm.DB, scope string, place sealing.Place, sealed string) (string, error) {
	keys, err := s.dataKeysFor(tx, []string{scope}, false)
	if err != nil {
		return "", err
	}
	k, ok := keys[scope]
	if !ok {
		return "", errors.New("the data key of a sealed value is missing")
	}
	plain, err := sealing.Open(k, place, sealed)
	if err != nil {
		return "", err
	}
	return string(plain), nil
}
