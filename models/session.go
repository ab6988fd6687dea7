package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
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
	// MFA is set when the session passed two-factor sign-in, or set it up while signed in.
	MFA bool `gorm:"column:mfa"`
	// Actor is who the session acts for: for a staff session, its account in its role.
	Actor Actor `gorm:"-"`
	// AuthenticatedAt is when the session last proved its password, and its second factor where the
	// account has one: at sign-in, and again at each re-authentication.
	AuthenticatedAt time.Time
	// Recent is set by SessionUser when AuthenticatedAt is within ReauthenticationWindow of the request,
	// by the store's clock: the session may take the actions that need a step-up.
	Recent bool `gorm:"-"`
}

// ReauthenticationWindow is how long a proof of password (and second factor) lets a session take the
// actions that need a step-up (CJIS IA-11, ASVS 7.5.1): changing a role, disabling an account, resetting a
// second factor or a password, revealing an SSN, moving money out of the ledger.
const ReauthenticationWindow = 15 * time.Minute

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
	EmailHash  string
	ClientIP   string
	OccurredAt time.Time
}

// ErrBadCredentials answers every failed sign-in alike: unknown email, wrong password, disabled or locked
// account.
var ErrBadCredentials = errors.New("the email or password is wrong")

// ErrNoSession means a session token is unknown, expired, or belongs to an account that was disabled or
// whose role changed since sign-in.
var ErrNoSession = errors.New("not signed in")

// SecondFactor is what a sign-in offers beyond the password: a code from the authenticator app, or one of
// the account's recovery codes.
type SecondFactor struct {
	TOTPCode     string
	RecoveryCode string
}

func (f SecondFactor) given() bool { return f.TOTPCode != "" || f.RecoveryCode != "" }

// ErrMFARequired means the password was right but the account signs in with a second factor and none was
// given. ErrMFARefused means the code given was wrong or already used, and counts as a failed sign-in.
var (
	ErrMFARequired = errors.New("a code from the authenticator app is required")
	ErrMFARefused  = errors.New("the code is wrong or was already used")
)

// SignIn checks email, password and, for an account with two-factor sign-in, the second factor, and opens
// a session. It returns the account, the session and the session's token, which is shown to the browser
// once and never stored. Every failure of the password costs the same time and answers ErrBadCredentials,
// whatever the reason, except a *ThrottledError for an address that failed too often. A right password
// without the second factor the account needs answers ErrMFARequired, the first step of a two-factor
// sign-in, and is not counted; a wrong or used second factor answers ErrMFARefused and counts towards the
// lockout like a wrong password, so that a stolen password cannot be used to guess codes.
func (s *Store) SignIn(ctx context.Context, email, pw string, second SecondFactor) (User, Session, string, error) {
	a, err := s.beginAttempt(ctx, email, "auth.sign_in", passwordAttempt)
	if err != nil {
		return User{}, Session{}, "", err
	}
	u := a.user
	matches, err := s.passwordMatches(ctx, a, pw)
	if err != nil {
		return User{}, Session{}, "", err
	}
	if !matches || !u.Active || a.refused() {
		return User{}, Session{}, "", s.failAttempt(ctx, a, "auth.sign_in", "", ErrBadCredentials)
	}
	if u.MFAEnabled() && !second.given() {
		// The first step of a two-factor sign-in: the password was right, and nothing was guessed.
		if err := s.forgetAttempt(ctx, a); err != nil {
			return User{}, Session{}, "", err
		}
		return User{}, Session{}, "", ErrMFARequired
	}
	u, sess, token, err := s.openSession(ctx, u, pw, second)
	if errors.Is(err, ErrMFARefused) {
		return User{}, Session{}, "", s.failAttempt(ctx, a, "auth.sign_in", "", ErrMFARefused)
	}
	return u, sess, token, err
}

// attemptKind says what an attempt offers, and so what its failures count towards.
type attemptKind int

const (
	// passwordAttempt offers the account's password (and second factor): its failures count towards the
	// account's lockout and the address throttle.
	passwordAttempt attemptKind = iota
	// resetCodeAttempt offers a password reset code: its failures count towards the address throttle (and the
	// code's own tries), not towards the account's lockout, so that wrong codes cannot lock the owner out of
	// signing in, nor wrong passwords stop the code.
	resetCodeAttempt
)

// failureKey is what a failure of kind at the account keyed key is recorded under: sign-in failures and
// reset code failures under hashes of their own, so that neither counts towards the other.
func (k attemptKind) failureKey(key string) string {
	if k == resetCodeAttempt {
		return hashToken("impactledger password reset try|" + key)
	}
	return hashToken(key)
}

// attempt is one try at an account's password or a code sent for it, counted as a failure from the moment
// beginAttempt records it until it succeeds.
type attempt struct {
	// id names the recorded failure.
	id string
	// key is the account's email as accounts are keyed, valid or not.
	key string
	// counted is what the failure is recorded under (attemptKind.failureKey).
	counted string
	// user is the account, when found is set.
	user  User
	found bool
	// failures is how many failures the account had within the window before this one.
	failures int64
	// at is when the attempt began, by the store's clock.
	at time.Time
	// locked is set when the account was locked out at that time.
	locked bool
}

// refused reports whether the attempt must fail whatever was offered: the account is locked, or has failed
// MaxAccountFailures times within the window.
func (a attempt) refused() bool { return a.locked || a.failures >= MaxAccountFailures }

// beginAttempt counts a try of kind at the account with email before anything offered is checked, in a
// transaction that every try queues on, so that concurrent guesses cannot slip past the lockout or the address
// throttle.
// An address that failed MaxAddressFailures times within the window gets a *ThrottledError, audited as an
// access.denied refusal (reason "throttled"): at most one event per caller per DenialWindow, counting the
// others, so that the throttle's refusals, which anyone can cause without limit, cannot flood the trail.
func (s *Store) beginAttempt(ctx context.Context, email, action string, kind attemptKind) (attempt, error) {
	key, keyOK := signInKey(email)
	ip := addressKey(requestOf(ctx).ClientIP)
	a := attempt{key: key, counted: kind.failureKey(key)}
	var throttled *ThrottledError
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		if err := s.queue(tx, signInLock); err != nil {
			return err
		}
		a.at = s.now()
		window := a.at.Add(-FailureWindow)
		if err := tx.Where("occurred_at <= ?", window).Delete(&loginFailure{}).Error; err != nil {
			return err
		}
		var recent []time.Time
		if err := tx.Model(&loginFailure{}).Where("client_ip = ? AND occurred_at > ?", ip, window).
			Order("occurred_at").Limit(MaxAddressFailures).Pluck("occurred_at", &recent).Error; err != nil {
			return err
		}
		if len(recent) >= MaxAddressFailures {
			// Refused: nothing is counted against an account, and the refusal is recorded after this
			// transaction, through the limiter.
			throttled = &ThrottledError{RetryAfter: max(recent[0].Add(FailureWindow).Sub(a.at), time.Second)}
			return nil
		}
		if keyOK {
			err := tx.Where("email_key = ?", key).Take(&a.user).Error
			if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
				return err
			}
			a.found = err == nil
		}
		if err := tx.Model(&loginFailure{}).Where("email_hash = ? AND occurred_at > ?", a.counted, window).
			Count(&a.failures).Error; err != nil {
			return err
		}
		a.locked = a.found && s.locked(a.user, a.at)
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		a.id = id.String()
		return tx.Create(&loginFailure{ID: a.id, EmailHash: a.counted, ClientIP: ip, OccurredAt: a.at}).Error
	})
	if err != nil {
		return attempt{}, err
	}
	if throttled != nil {
		operation := requestOf(ctx).Operation
		if operation == "" {
			operation = action
		}
		if err := s.RecordDenial(ctx, Denial{Operation: operation, Reason: "throttled", ObjectType: "user"}); err != nil {
			return attempt{}, err
		}
		return attempt{}, throttled
	}
	return a, nil
}

// passwordMatches checks pw against the attempt's account, or against a decoy when there is none, so that
// an unknown email costs as much time as a wrong password.
func (s *Store) passwordMatches(ctx context.Context, a attempt, pw string) (bool, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	hash := s.decoyHash()
	if a.found {
		hash = a.user.PasswordHash
	}
	return password.Verify(pw, hash) && a.found, nil
}

// forgetAttempt stops counting an attempt that guessed nothing, such as the first step of a two-factor
// sign-in.
func (s *Store) forgetAttempt(ctx context.Context, a attempt) error {
	return s.write.WithContext(ctx).Where("id = ?", a.id).Delete(&loginFailure{}).Error
}

// signInKey normalises an email as accounts are keyed; ok is false for text no account can have.
func signInKey(email string) (key string, ok bool) {
	v := &ValidationError{}
	_, key = cleanEmail(v, email)
	return key, len(v.Fields) == 0
}

// addressKey is what the throttle counts per: the client's IPv4 address, or its IPv6 /64, since one
// subscriber commonly holds a whole /64.
func addressKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Is4() || addr.Is4In6() {
		return ip
	}
	prefix, _ := addr.Prefix(64)
	return prefix.String()
}

// locked reports whether u is locked out at time at.
func (s *Store) locked(u User, at time.Time) bool {
	return u.LockedAt != nil && (s.lockout == 0 || at.Before(u.LockedAt.Add(s.lockout)))
}

// hashPassword hashes pw at the store's work factor in a slot of hashSlot's, like every password check, so
// that a flood of account creations, resets or password changes cannot take every core either.
func (s *Store) hashPassword(ctx context.Context, pw string) (string, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return password.Hash(pw, s.iterations)
}

// hashSlot bounds how many password checks run at once, so that a flood of sign-ins cannot take every
// core from the rest of the service. It waits for a free slot as long as ctx allows.
func (s *Store) hashSlot(ctx context.Context) (release func(), err error) {
	select {
	case s.hashSlots <- struct{}{}:
		return func() { <-s.hashSlots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// failAttempt audits a failed attempt as action, locks the account once it has failed MaxAccountFailures
// times within the window, and answers reason. sessionID, when set, names the signed-in session whose own
// wrong password or code this attempt was (re-authenticating, changing the password): once the account has
// failed that often it ends as well, since whoever holds it does not know the password. Other sessions of the
// account go on, so that someone guessing from outside cannot sign its owner out.
func (s *Store) failAttempt(ctx context.Context, a attempt, action, sessionID string, reason error) error {
	u := a.user
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		if err := s.appendAudit(tx, audited{Action: action, ObjectType: "user", ObjectID: u.ID, Outcome: OutcomeFailure}); err != nil {
			return err
		}
		if u.ID == "" {
			return nil
		}
		at := s.now()
		var failures int64
		if err := tx.Model(&loginFailure{}).Where("email_hash = ? AND occurred_at > ?", a.counted, at.Add(-FailureWindow)).
			Count(&failures).Error; err != nil {
			return err
		}
		if failures < MaxAccountFailures {
			return nil
		}
		if sessionID != "" {
			if err := tx.Where("id = ? AND user_id = ?", sessionID, u.ID).Delete(&Session{}).Error; err != nil {
				return err
			}
		}
		lock := tx.Model(&User{}).Where("id = ? AND locked_at IS NULL", u.ID)
		if s.lockout > 0 {
			lock = tx.Model(&User{}).Where("id = ? AND (locked_at IS NULL OR locked_at <= ?)", u.ID, at.Add(-s.lockout))
		}
		res := lock.Update("locked_at", at)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return s.appendAudit(tx, audited{Action: "user.lock", ObjectType: "user", ObjectID: u.ID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return err
	}
	return reason
}

// openSession checks the second factor of an account that has one, forgets the account's failures and any
// lockout that has run out, brings its password hash to the current work factor, and opens a session. A
// refused second factor answers ErrMFARefused with nothing changed.
func (s *Store) openSession(ctx context.Context, u User, pw string, second SecondFactor) (User, Session, string, error) {
	token, tokenHash, err := newToken()
	if err != nil {
		return User{}, Session{}, "", err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return User{}, Session{}, "", err
	}
	rehash := ""
	if password.NeedsRehash(u.PasswordHash, s.iterations) {
		if rehash, err = s.hashPassword(ctx, pw); err != nil {
			return User{}, Session{}, "", err
		}
	}
	at := s.now()
	// Signing in is the session's first proof of its password and second factor.
	sess := Session{ID: id.String(), TokenHash: tokenHash, UserID: u.ID, Role: u.Role, CreatedAt: at, LastSeenAt: at,
		ExpiresAt: at.Add(SessionLifetime), MFA: u.MFAEnabled(), AuthenticatedAt: at, Recent: true}
	err = s.inTx(WithActor(ctx, Actor{Type: ActorUser, ID: u.ID, Role: u.Role}), func(tx *gorm.DB) error {
		if u.MFAEnabled() {
			if err := s.passSecondFactor(tx, u, second); err != nil {
				return err
			}
		}
		if err := tx.Where("email_hash = ?", hashToken(u.EmailKey)).Delete(&loginFailure{}).Error; err != nil {
			return err
		}
		changes := map[string]any{"locked_at": nil}
		if rehash != "" {
			changes["password_hash"] = rehash
		}
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(changes).Error; err != nil {
			return err
		}
		// Sessions of this account that ran out without anyone coming back are swept here.
		if err := tx.Where("user_id = ? AND (expires_at < ? OR last_seen_at < ?)", u.ID, at, at.Add(-SessionIdle)).
			Delete(&Session{}).Error; err != nil {
			return err
		}
		if err := tx.Create(&sess).Error; err != nil {
			return err
		}
		return s.appendAudit(tx, audited{Action: "auth.sign_in", ObjectType: "user", ObjectID: u.ID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return u, Session{}, "", err
	}
	return u, sess, token, nil
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
		if err := tx.Where("email_hash = ?", hashToken(u.EmailKey)).Delete(&loginFailure{}).Error; err != nil {
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
	// One query per request for the session and its account: this runs before every API call.
	var row struct {
		User
		SessionID        string
		SessionRole      Role
		SessionCreatedAt time.Time
		LastSeenAt       time.Time
		ExpiresAt        time.Time
		SessionMFA       bool
		AuthenticatedAt  time.Time
	}
	err := s.read.WithContext(ctx).Table("sessions").
		Select("users.*, sessions.id AS session_id, sessions.role AS session_role, "+
			"sessions.created_at AS session_created_at, sessions.last_seen_at, sessions.expires_at, "+
			"sessions.mfa AS session_mfa, sessions.authenticated_at").
		Joins("JOIN users ON users.id = sessions.user_id").
		Where("sessions.token_hash = ?", hashToken(token)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return User{}, Session{}, ErrNoSession
	}
	if err != nil {
		return User{}, Session{}, err
	}
	u := row.User
	sess := Session{ID: row.SessionID, UserID: u.ID, Role: row.SessionRole, CreatedAt: row.SessionCreatedAt,
		LastSeenAt: row.LastSeenAt, ExpiresAt: row.ExpiresAt, MFA: row.SessionMFA, AuthenticatedAt: row.AuthenticatedAt,
		Actor: Actor{Type: ActorUser, ID: u.ID, Role: u.Role}}
	at := s.now()
	sess.Recent = at.Sub(sess.AuthenticatedAt) <= ReauthenticationWindow
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

// revokeAccess ends every session of the account userID but keep (none kept when keep is empty) and revokes
// its API tokens as of at: what a change of password, role or second factor owes to whoever held the old one.
func revokeAccess(tx *gorm.DB, userID, keep string, at time.Time) error {
	if err := endOtherSessions(tx, userID, keep); err != nil {
		return err
	}
	return tx.Model(&APIToken{}).Where("user_id = ? AND revoked_at IS NULL", userID).Update("revoked_at", at).Error
}

// endOtherSessions ends every session of the account userID but keep (none kept when keep is empty).
func endOtherSessions(tx *gorm.DB, userID, keep string) error {
	if keep == "" {
		return tx.Where("user_id = ?", userID).Delete(&Session{}).Error
	}
	return tx.Where("user_id = ? AND id <> ?", userID, keep).Delete(&Session{}).Error
}

// renewSessionToken gives the session sessionID of the account userID a new token in tx, with changes to its
// other columns, and returns the token. Every new proof a session gives (a re-authentication, a password
// change, a second factor set up) is made under a new token, so that a copy of the cookie taken before is
// neither raised by the owner's proof nor carried past it. It answers ErrNoSession when the session has ended.
func (s *Store) renewSessionToken(tx *gorm.DB, sessionID, userID string, changes map[string]any) (string, error) {
	token, hash, err := newToken()
	if err != nil {
		return "", err
	}
	updates := map[string]any{"token_hash": hash}
	for column, value := range changes {
		updates[column] = value
	}
	res := tx.Model(&Session{}).Where("id = ? AND user_id = ?", sessionID, userID).Updates(updates)
	if res.Error != nil {
		return "", res.Error
	}
	if res.RowsAffected != 1 {
		return "", ErrNoSession
	}
	return token, nil
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
