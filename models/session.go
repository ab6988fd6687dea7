package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/impactledger/impactledger/password"
)

// Session limits (CJIS IA and AC-11/AC-12): a session ends after SessionIdle without a request, and after
// SessionLifetime whatever happens.
const (
	SessionIdle     = 30 * time.Minute
	SessionLifetime = 12 * time.Hour
	// sessionTouchEvery spares a write per request: last_seen_at moves only when it is this stale.
	sessionTouchEvery = time.Minute
)

// Session is a signed-in browser. Only the SHA-256 of its token is stored.
type Session struct {
	ID         string `gorm:"primaryKey"`
	TokenHash  string
	UserID     string
	Role       Role
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// Throttling limits (CJIS AC-7): failures counted over FailureWindow; MaxAccountFailures lock the account,
// MaxAddressFailures from one client address hold off further attempts from it.
const (
	FailureWindow      = 15 * time.Minute
	MaxAccountFailures = 5
	MaxAddressFailures = 50
)

// ThrottledError means a client address failed to sign in too often; it may try again after RetryAfter.
type ThrottledError struct{ RetryAfter time.Duration }

// Error says how long to wait.
func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed sign-ins from this address; try again in %s", e.RetryAfter.Round(time.Second))
}

// loginFailure is one failed sign-in, kept for FailureWindow.
type loginFailure struct {
	ID         string `gorm:"primaryKey"`
	EmailKey   string
	ClientIP   string
	OccurredAt time.Time
}

// ErrBadCredentials answers every failed sign-in alike: unknown email, wrong password, disabled or locked
// account.
var ErrBadCredentials = errors.New("the email or password is wrong")

// ErrNoSession means a session token is unknown, expired, or belongs to an account that was disabled or
// whose role changed since sign-in.
var ErrNoSession = errors.New("not signed in")

// SignIn checks email and password and opens a session. It returns the account and the session's token,
// which is shown to the browser once and never stored. Every failure costs the same time and answers
// ErrBadCredentials, whatever the reason, except a *ThrottledError for an address that failed too often.
func (s *Store) SignIn(ctx context.Context, email, pw string) (User, string, error) {
	at := s.now()
	ip := requestOf(ctx).ClientIP
	if err := s.checkAddressThrottle(ctx, ip, at); err != nil {
		return User{}, "", err
	}
	u, err := s.UserByEmail(ctx, email)
	found := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return User{}, "", err
	}
	hash := s.decoyHash()
	if found {
		hash = u.PasswordHash
	}
	matches := password.Verify(pw, hash)
	locked := found && u.LockedAt != nil && (s.lockout == 0 || at.Before(u.LockedAt.Add(s.lockout)))
	if !found || !matches || !u.Active || locked {
		return User{}, "", s.failSignIn(ctx, u, strings.ToLower(strings.TrimSpace(email)), ip, at, locked)
	}
	token, tokenHash, err := newToken()
	if err != nil {
		return User{}, "", err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return User{}, "", err
	}
	sess := Session{ID: id.String(), TokenHash: tokenHash, UserID: u.ID, Role: u.Role, CreatedAt: at, LastSeenAt: at,
		ExpiresAt: at.Add(SessionLifetime)}
	err = s.inTx(WithRequest(ctx, requestAs(ctx, Actor{Type: ActorUser, ID: u.ID})), func(tx *gorm.DB) error {
		// A success forgets the account's failures and any lockout that has run out.
		if err := tx.Where("email_key = ?", u.EmailKey).Delete(&loginFailure{}).Error; err != nil {
			return err
		}
		if u.LockedAt != nil {
			if err := tx.Model(&User{}).Where("id = ?", u.ID).Update("locked_at", nil).Error; err != nil {
				return err
			}
		}
		if err := tx.Create(&sess).Error; err != nil {
			return err
		}
		return s.appendAudit(tx, audited{Action: "auth.sign_in", ObjectType: "user", ObjectID: u.ID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return User{}, "", err
	}
	return u, token, nil
}

// checkAddressThrottle refuses a client address with MaxAddressFailures failures in the window.
func (s *Store) checkAddressThrottle(ctx context.Context, ip string, at time.Time) error {
	var recent []time.Time
	err := s.read.WithContext(ctx).Model(&loginFailure{}).
		Where("client_ip = ? AND occurred_at > ?", ip, at.Add(-FailureWindow)).
		Order("occurred_at").Limit(MaxAddressFailures).Pluck("occurred_at", &recent).Error
	if err != nil || len(recent) < MaxAddressFailures {
		return err
	}
	return &ThrottledError{RetryAfter: max(recent[0].Add(FailureWindow).Sub(at), time.Second)}
}

// failSignIn records a failed sign-in, locks the account when it has failed too often, and answers
// ErrBadCredentials.
func (s *Store) failSignIn(ctx context.Context, u User, emailKey, ip string, at time.Time, alreadyLocked bool) error {
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		// Failures older than the window count for nothing; forget them as new ones arrive.
		if err := tx.Where("occurred_at <= ?", at.Add(-FailureWindow)).Delete(&loginFailure{}).Error; err != nil {
			return err
		}
		if err := tx.Create(&loginFailure{ID: id.String(), EmailKey: emailKey, ClientIP: ip, OccurredAt: at}).Error; err != nil {
			return err
		}
		if err := s.appendAudit(tx, audited{Action: "auth.sign_in", ObjectType: "user", ObjectID: u.ID, Outcome: OutcomeFailure}); err != nil {
			return err
		}
		if u.ID == "" || alreadyLocked {
			return nil
		}
		var failures int64
		if err := tx.Model(&loginFailure{}).Where("email_key = ? AND occurred_at > ?", emailKey, at.Add(-FailureWindow)).
			Count(&failures).Error; err != nil {
			return err
		}
		if failures < MaxAccountFailures {
			return nil
		}
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Update("locked_at", at).Error; err != nil {
			return err
		}
		return s.appendAudit(tx, audited{Action: "user.lock", ObjectType: "user", ObjectID: u.ID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return err
	}
	return ErrBadCredentials
}

// UnlockUser lifts a lockout and forgets the account's failed sign-ins.
func (s *Store) UnlockUser(ctx context.Context, id string) (User, error) {
	var u User
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", id).Take(&u).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		if err := tx.Where("email_key = ?", u.EmailKey).Delete(&loginFailure{}).Error; err != nil {
			return err
		}
		if err := tx.Model(&User{}).Where("id = ?", id).Update("locked_at", nil).Error; err != nil {
			return err
		}
		u.LockedAt = nil
		return s.appendAudit(tx, audited{Action: "user.unlock", ObjectType: "user", ObjectID: id, Outcome: OutcomeSuccess})
	})
	return u, err
}

// SessionUser returns the account and session that token belongs to, or ErrNoSession. It ends sessions
// that are idle, too old, or whose account was disabled or changed role, and keeps live ones alive.
func (s *Store) SessionUser(ctx context.Context, token string) (User, Session, error) {
	var sess Session
	db := s.read.WithContext(ctx)
	if err := db.Where("token_hash = ?", hashToken(token)).Take(&sess).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return User{}, Session{}, ErrNoSession
		}
		return User{}, Session{}, err
	}
	var u User
	if err := db.Where("id = ?", sess.UserID).Take(&u).Error; err != nil {
		return User{}, Session{}, err
	}
	at := s.now()
	if !u.Active || u.Role != sess.Role || at.After(sess.ExpiresAt) || at.Sub(sess.LastSeenAt) > SessionIdle {
		if err := s.write.WithContext(ctx).Where("id = ?", sess.ID).Delete(&Session{}).Error; err != nil {
			return User{}, Session{}, err
		}
		return User{}, Session{}, ErrNoSession
	}
	if at.Sub(sess.LastSeenAt) > sessionTouchEvery {
		sess.LastSeenAt = at
		if err := s.write.WithContext(ctx).Model(&Session{}).Where("id = ?", sess.ID).
			Update("last_seen_at", at).Error; err != nil {
			return User{}, Session{}, err
		}
	}
	return u, sess, nil
}

// SignOut ends the session of token, if it is still open.
func (s *Store) SignOut(ctx context.Context, token string) error {
	return s.inTx(ctx, func(tx *gorm.DB) error {
		var sess Session
		if err := tx.Where("token_hash = ?", hashToken(token)).Take(&sess).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil
			}
			return err
		}
		if err := tx.Delete(&sess).Error; err != nil {
			return err
		}
		return s.appendAudit(tx, audited{Action: "auth.sign_out", ObjectType: "user", ObjectID: sess.UserID, Outcome: OutcomeSuccess})
	})
}

// newToken makes a 256-bit random token and its SHA-256, the only form stored.
func newToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token), nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// requestAs returns the request ctx serves, acting as actor.
func requestAs(ctx context.Context, actor Actor) RequestInfo {
	info := requestOf(ctx)
	info.Actor = actor
	return info
}
