package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
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

// ErrBadCredentials answers every failed sign-in alike: unknown email, wrong password, disabled account.
var ErrBadCredentials = errors.New("the email or password is wrong")

// ErrNoSession means a session token is unknown, expired, or belongs to an account that was disabled or
// whose role changed since sign-in.
var ErrNoSession = errors.New("not signed in")

// SignIn checks email and password and opens a session. It returns the account and the session's token,
// which is shown to the browser once and never stored.
func (s *Store) SignIn(ctx context.Context, email, pw string) (User, string, error) {
	u, err := s.UserByEmail(ctx, email)
	switch {
	case errors.Is(err, ErrNotFound):
		// Verify against a decoy, so that an unknown email costs as much time as a wrong password.
		password.Verify(pw, s.decoyHash())
		return User{}, "", s.auditSignIn(ctx, "", OutcomeFailure)
	case err != nil:
		return User{}, "", err
	}
	if !password.Verify(pw, u.PasswordHash) || !u.Active {
		return User{}, "", s.auditSignIn(ctx, u.ID, OutcomeFailure)
	}
	token, hash, err := newToken()
	if err != nil {
		return User{}, "", err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return User{}, "", err
	}
	at := s.now()
	sess := Session{ID: id.String(), TokenHash: hash, UserID: u.ID, Role: u.Role, CreatedAt: at, LastSeenAt: at,
		ExpiresAt: at.Add(SessionLifetime)}
	err = s.inTx(WithRequest(ctx, requestAs(ctx, Actor{Type: ActorUser, ID: u.ID})), func(tx *gorm.DB) error {
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

// auditSignIn records a failed sign-in and answers ErrBadCredentials.
func (s *Store) auditSignIn(ctx context.Context, userID string, outcome Outcome) error {
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		return s.appendAudit(tx, audited{Action: "auth.sign_in", ObjectType: "user", ObjectID: userID, Outcome: outcome})
	})
	if err != nil {
		return err
	}
	return ErrBadCredentials
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
