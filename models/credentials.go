package models

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/impactledger/impactledger/password"
)

// Reauthenticate proves again, in the session sessionID of the account userID, the password and, for an
// account with two-factor sign-in, the second factor, so that the session may take the actions that need a
// step-up for ReauthenticationWindow more. It is counted and throttled exactly like a sign-in: a wrong
// password or code answers ErrBadCredentials or ErrMFARefused and counts towards the lockout, and the lock,
// when this attempt reaches it, ends the session too. A right password without the second factor the
// account needs answers ErrMFARequired and is not counted. It returns when the proof was recorded, and the
// session's new token: the one it had stops working.
func (s *Store) Reauthenticate(ctx context.Context, userID, sessionID, pw string, second SecondFactor) (time.Time, string, error) {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return time.Time{}, "", err
	}
	a, err := s.beginAttempt(ctx, u.Email, "auth.reauthenticate", passwordAttempt)
	if err != nil {
		return time.Time{}, "", err
	}
	matches, err := s.passwordMatches(ctx, a, pw)
	if err != nil {
		return time.Time{}, "", err
	}
	if !matches || a.user.ID != userID || !a.user.Active || a.refused() {
		return time.Time{}, "", s.failAttempt(ctx, a, "auth.reauthenticate", sessionToEnd(matches, sessionID), ErrBadCredentials)
	}
	u = a.user
	if u.MFAEnabled() && !second.given() {
		if err := s.forgetAttempt(ctx, a); err != nil {
			return time.Time{}, "", err
		}
		return time.Time{}, "", ErrMFARequired
	}
	at := s.now()
	token := ""
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		if u.MFAEnabled() {
			if err := s.passSecondFactor(tx, u, second); err != nil {
				return err
			}
		}
		if err := tx.Where("email_hash = ?", hashToken(u.EmailKey)).Delete(&loginFailure{}).Error; err != nil {
			return err
		}
		var err error
		if token, err = s.renewSessionToken(tx, sessionID, userID, map[string]any{"authenticated_at": at}); err != nil {
			return err
		}
		return s.appendAudit(tx, audited{Action: "auth.reauthenticate", ObjectType: "user", ObjectID: userID, Outcome: OutcomeSuccess})
	})
	if errors.Is(err, ErrMFARefused) {
		return time.Time{}, "", s.failAttempt(ctx, a, "auth.reauthenticate", sessionID, ErrMFARefused)
	}
	if err != nil {
		return time.Time{}, "", err
	}
	return at, token, nil
}

// sessionToEnd is the session a refused attempt ends should it reach the lockout: the one that made it, when
// its own password was wrong (whoever holds it does not know the password), and none when the password was
// right but refused, since others' guesses locked the account: they must not sign its owner out.
func sessionToEnd(passwordMatched bool, sessionID string) string {
	if passwordMatched {
		return ""
	}
	return sessionID
}

// ErrWrongPassword refuses a password change whose current password is wrong (or whose account is locked,
// which gets the same answer, as at sign-in).
var ErrWrongPassword = &ValidationError{Fields: map[string]string{"current_password": "is not your current password"}}

// ChangePassword sets a new password for the account userID, which must prove its current one. The check
// of the current password is counted and throttled like a sign-in (a wrong one counts towards the lockout).
// The account's other sessions end and its API tokens are revoked, since whoever knew the old password may
// hold them (a token outlives any password change otherwise), while sessionID, the one that made the change,
// goes on under the new token returned (empty when sessionID is); any reset code an administrator issued is
// withdrawn.
func (s *Store) ChangePassword(ctx context.Context, userID, sessionID, current, next string) (string, error) {
	if err := checkNewPassword(current, next); err != nil {
		return "", err
	}
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return "", err
	}
	a, err := s.beginAttempt(ctx, u.Email, "user.password_change", passwordAttempt)
	if err != nil {
		return "", err
	}
	matches, err := s.passwordMatches(ctx, a, current)
	if err != nil {
		return "", err
	}
	if !matches || a.user.ID != userID || !a.user.Active || a.refused() {
		return "", s.failAttempt(ctx, a, "user.password_change", sessionToEnd(matches, sessionID), ErrWrongPassword)
	}
	hash, err := s.hashPassword(ctx, next)
	if err != nil {
		return "", err
	}
	token := ""
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&User{}).Where("id = ?", userID).Update("password_hash", hash).Error; err != nil {
			return err
		}
		if err := tx.Where("email_hash = ?", hashToken(a.user.EmailKey)).Delete(&loginFailure{}).Error; err != nil {
			return err
		}
		if err := revokeAccess(tx, userID, sessionID, s.now()); err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", userID).Delete(&passwordReset{}).Error; err != nil {
			return err
		}
		if sessionID != "" {
			var err error
			if token, err = s.renewSessionToken(tx, sessionID, userID, nil); err != nil {
				return err
			}
		}
		return s.appendAudit(tx, audited{Action: "user.password_change", ObjectType: "user", ObjectID: userID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// checkNewPassword applies the password policy to a new password, which must also differ from the one it
// replaces (when that is known).
func checkNewPassword(old, next string) error {
	if err := password.Check(next); err != nil {
		return &ValidationError{Fields: map[string]string{"new_password": err.Error()}}
	}
	if old != "" && subtle.ConstantTimeCompare([]byte(old), []byte(next)) == 1 {
		return &ValidationError{Fields: map[string]string{"new_password": "must differ from your current password"}}
	}
	return nil
}

// PasswordResetLifetime is how long an administrator's reset code works.
const PasswordResetLifetime = 24 * time.Hour

// MaxResetCodeTries is how many tries a reset code gets: the one that uses up the last try with a wrong code
// voids it, and its owner asks an administrator for a new one. 100 random bits need no more to stay out of
// reach of guessing.
const MaxResetCodeTries = 5

// passwordReset is an account's one outstanding reset code; only a hash of the code is stored. Attempts
// counts the tries at it, right or wrong, apart from the account's failed sign-ins.
type passwordReset struct {
	UserID    string `gorm:"primaryKey"`
	CodeHash  string
	CreatedAt time.Time
	ExpiresAt time.Time
	Attempts  int
}

// decoyUserID stands for the account of an email that has none when a reset code is offered for it, so that
// the refusal runs the same statements as a wrong code for a real account, and takes as long.
const decoyUserID = "00000000-0000-0000-0000-000000000000"

// ErrOwnPasswordReset refuses a staff member's reset of their own password.
var ErrOwnPasswordReset = &ConflictError{Detail: "To change your own password, use Change password on your account page."}

// ResetPassword is an administrator's reset of the password of the account userID, for someone who forgot
// it or whose password may be known to others. It returns a one-time code, shown once and stored only as a
// hash, with which the account's owner sets a new password (SetPasswordWithCode) until the code expires,
// PasswordResetLifetime from now. A new reset replaces an earlier code. The old password stops working at
// once, the account's sessions end and its API tokens are revoked, so that whoever may have held the old
// password keeps nothing. Two-factor sign-in is left as it is: the next sign-in still needs it. A staff
// member cannot reset their own password (ErrOwnPasswordReset): it would sign them out with nothing but a
// code, where a change needs the current password.
func (s *Store) ResetPassword(ctx context.Context, userID string) (code string, expires time.Time, err error) {
	if actor := ActorOf(ctx); actor.Type == ActorUser && actor.ID == userID {
		return "", time.Time{}, ErrOwnPasswordReset
	}
	code = newResetCode()
	// A hash of 256 random bits nobody knows replaces the old password's, so that signing in with any
	// password fails, and costs the same time as any wrong password.
	unusable, err := s.hashPassword(ctx, randomSecret())
	if err != nil {
		return "", time.Time{}, err
	}
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		if _, err := userByID(tx, userID); err != nil {
			return err
		}
		at := s.now()
		expires = at.Add(PasswordResetLifetime)
		if err := tx.Where("user_id = ?", userID).Delete(&passwordReset{}).Error; err != nil {
			return err
		}
		if err := tx.Create(&passwordReset{UserID: userID, CodeHash: resetCodeHash(userID, code), CreatedAt: at,
			ExpiresAt: expires}).Error; err != nil {
			return err
		}
		if err := tx.Model(&User{}).Where("id = ?", userID).Update("password_hash", unusable).Error; err != nil {
			return err
		}
		if err := revokeAccess(tx, userID, "", at); err != nil {
			return err
		}
		return s.appendAudit(tx, audited{Action: "user.password_reset", ObjectType: "user", ObjectID: userID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return code, expires, nil
}

// ErrBadResetCode answers every refused use of a reset code alike: an unknown email, a wrong, used, voided
// or expired code, or a disabled account.
var ErrBadResetCode = errors.New("the email or reset code is wrong, or the code has expired")

// SetPasswordWithCode sets a new password for the account with email, with the code from ResetPassword.
// Every refusal answers ErrBadResetCode, whatever the reason, and a new password that breaks the policy is a
// *ValidationError before the code is looked at. Tries are counted on the code, MaxResetCodeTries at most,
// and on the client's address like sign-ins (a *ThrottledError beyond), but not towards the account's
// lockout, and the account's failed sign-ins do not stop the code: wrong passwords, which anyone who knows the
// email can send, must not keep the owner out. The code is used up, any lockout is lifted (an administrator
// vouched for the owner), and the account's sessions end. No session is opened: the owner signs in next,
// with the second factor where the account has one.
func (s *Store) SetPasswordWithCode(ctx context.Context, email, code, next string) error {
	if err := checkNewPassword("", next); err != nil {
		return err
	}
	a, err := s.beginAttempt(ctx, email, "auth.password_reset", resetCodeAttempt)
	if err != nil {
		return err
	}
	reset, ok, err := s.tryResetCode(ctx, a, code)
	if err != nil {
		return err
	}
	if !ok {
		return ErrBadResetCode
	}
	hash, err := s.hashPassword(ctx, next)
	if err != nil {
		return err
	}
	// Audited as the account's owner, who proved to be so with the code, as a sign-in is.
	owner := WithActor(ctx, Actor{Type: ActorUser, ID: a.user.ID, Role: a.user.Role})
	err = s.inTx(owner, func(tx *gorm.DB) error {
		// Used once: of two requests racing with one code, only the one that deletes it goes on.
		res := tx.Where("user_id = ? AND code_hash = ?", a.user.ID, reset.CodeHash).Delete(&passwordReset{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrBadResetCode
		}
		if err := tx.Model(&User{}).Where("id = ?", a.user.ID).
			Updates(map[string]any{"password_hash": hash, "locked_at": nil}).Error; err != nil {
			return err
		}
		if err := tx.Where("email_hash IN ?", []string{hashToken(a.user.EmailKey), a.counted}).Delete(&loginFailure{}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", a.user.ID).Delete(&Session{}).Error; err != nil {
			return err
		}
		return s.appendAudit(tx, audited{Action: "auth.password_reset", ObjectType: "user", ObjectID: a.user.ID, Outcome: OutcomeSuccess})
	})
	if errors.Is(err, ErrBadResetCode) {
		return s.inTx(ctx, func(tx *gorm.DB) error {
			if err := s.appendAudit(tx, audited{Action: "auth.password_reset", ObjectType: "user", ObjectID: a.user.ID,
				Outcome: OutcomeFailure}); err != nil {
				return err
			}
			return ErrBadResetCode
		})
	}
	return err
}

// tryResetCode takes one of the tries of the reset code of the attempt's account and checks code against it,
// in one transaction, so that concurrent guesses cannot get more than MaxResetCodeTries between them. It
// reports whether code is that account's live code; a wrong one that takes the last try voids the code, and
// every refusal is audited. An unknown email runs the same statements against decoyUserID, which has no
// code, so that its refusal costs what a wrong code does.
func (s *Store) tryResetCode(ctx context.Context, a attempt, code string) (passwordReset, bool, error) {
	userID := decoyUserID
	if a.found {
		userID = a.user.ID
	}
	var reset passwordReset
	ok := false
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		took := tx.Model(&passwordReset{}).Where("user_id = ? AND attempts < ?", userID, MaxResetCodeTries).
			Update("attempts", gorm.Expr("attempts + 1"))
		if took.Error != nil {
			return took.Error
		}
		err := tx.Where("user_id = ?", userID).Take(&reset).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		// Compared even when there is no code (an empty hash matches nothing), so that every refusal costs alike.
		matches := subtle.ConstantTimeCompare([]byte(reset.CodeHash), []byte(resetCodeHash(userID, code))) == 1
		ok = matches && took.RowsAffected == 1 && a.found && a.user.Active && a.at.Before(reset.ExpiresAt)
		if ok {
			return nil
		}
		if err := tx.Where("user_id = ? AND attempts >= ?", userID, MaxResetCodeTries).Delete(&passwordReset{}).Error; err != nil {
			return err
		}
		return s.appendAudit(tx, audited{Action: "auth.password_reset", ObjectType: "user", ObjectID: a.user.ID, Outcome: OutcomeFailure})
	})
	return reset, ok, err
}

// resetCodeGroups and resetGroupLength shape a reset code: four groups of five characters of
// recoveryAlphabet, 100 random bits, read out or typed from a message without confusing 0 and O or 1 and I.
const (
	resetCodeGroups  = 4
	resetGroupLength = 5
)

// newResetCode makes a password reset code such as 7KQ2M-XD4HP-9RT0W-C3NBV.
func newResetCode() string {
	var b strings.Builder
	for i := range resetCodeGroups * resetGroupLength {
		if i > 0 && i%resetGroupLength == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(recoveryAlphabet[randIndex(len(recoveryAlphabet))])
	}
	return b.String()
}

// resetCodeHash is what is stored of a reset code: 100 random bits need no slow hash, and the account's ID
// salts it. Typing is forgiven as for recovery codes.
func resetCodeHash(userID, code string) string {
	return hashToken("impactledger password reset|" + userID + "|" + normalizeCode(code))
}

// randomSecret is 256 random bits, as text.
func randomSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand.Read never fails on supported platforms (Go 1.24+ aborts instead).
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
