package models

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// APIToken lets a script act as the staff member who made it, with that member's current role and teams.
type APIToken struct {
	ID         string `gorm:"primaryKey"`
	UserID     string
	Name       string
	TokenHash  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	// Access is what the token may do at all: read, or change data too.
	Access TokenAccess
	// Sensitive lets the token take the actions that need a recent re-authentication from a session.
	Sensitive bool
}

// TokenAccess is the scope of an API token that says whether it may change data.
type TokenAccess string

// The access scopes of API tokens.
const (
	// TokenRead may call only operations that change nothing (GET and HEAD).
	TokenRead TokenAccess = "read"
	// TokenWrite may call every operation its owner's role allows.
	TokenWrite TokenAccess = "write"
)

// Scopes lists the token's scopes as the API names them: its access, then "sensitive" when it has it.
func (t APIToken) Scopes() []string {
	scopes := []string{string(t.Access)}
	if t.Sensitive {
		scopes = append(scopes, "sensitive")
	}
	return scopes
}

// NewToken is what it takes to make an API token.
type NewToken struct {
	Name string
	// Days until it expires; 0 picks DefaultTokenDays, or MaxSensitiveTokenDays for a sensitive token.
	Days      int
	Access    TokenAccess
	Sensitive bool
}

// TableName names the table of API tokens.
func (APIToken) TableName() string { return "api_tokens" }

// Token lifetimes, in days, and how many live tokens one account may hold. A sensitive token lives a month
// at most, so that a leaked one cannot move money or reveal SSNs for long.
const (
	DefaultTokenDays      = 90
	MaxTokenDays          = 365
	MaxSensitiveTokenDays = 30
	MaxLiveTokens         = 20
)

// tokenPrefix marks ImpactLedger's API tokens, so that secret scanners can recognise a leaked one.
const tokenPrefix = "il_"

// CreateToken makes an API token for the user and returns it with its secret, which is never stored. That
// a sensitive token comes from a session that re-authenticated recently is for the caller to check.
func (s *Store) CreateToken(ctx context.Context, userID string, nt NewToken) (APIToken, string, error) {
	v := &ValidationError{}
	name := cleanText(v, "name", nt.Name, textRule{required: true, maxRunes: 100})
	days, most := nt.Days, MaxTokenDays
	if nt.Sensitive {
		most = MaxSensitiveTokenDays
	}
	if days == 0 {
		days = min(DefaultTokenDays, most)
	}
	if days < 1 || days > most {
		if nt.Sensitive {
			v.add("expires_in_days", "must be from 1 to 30 for a sensitive token")
		} else {
			v.add("expires_in_days", "must be from 1 to 365")
		}
	}
	if nt.Access != TokenRead && nt.Access != TokenWrite {
		v.add("scopes", "must hold read or write")
	}
	if err := v.orNil(); err != nil {
		return APIToken{}, "", err
	}
	secret, _, err := newToken()
	if err != nil {
		return APIToken{}, "", err
	}
	secret = tokenPrefix + secret
	hash := hashToken(secret)
	id, err := uuid.NewV7()
	if err != nil {
		return APIToken{}, "", err
	}
	at := s.now()
	t := APIToken{ID: id.String(), UserID: userID, Name: name, TokenHash: hash, CreatedAt: at,
		ExpiresAt: at.AddDate(0, 0, days), Access: nt.Access, Sensitive: nt.Sensitive}
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		var live int64
		if err := tx.Model(&APIToken{}).Where("user_id = ? AND revoked_at IS NULL AND expires_at > ?", userID, at).
			Count(&live).Error; err != nil {
			return err
		}
		if live >= MaxLiveTokens {
			return &ConflictError{Detail: "this account already has 20 live API tokens; revoke one first"}
		}
		if err := tx.Create(&t).Error; err != nil {
			return err
		}
		return s.appendAudit(tx, audited{Action: "token.create", ObjectType: "api_token", ObjectID: t.ID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return APIToken{}, "", err
	}
	return t, secret, nil
}

// ListTokens returns the user's live tokens (neither revoked nor expired), newest first.
func (s *Store) ListTokens(ctx context.Context, userID string) ([]APIToken, error) {
	var tokens []APIToken
	err := s.read.WithContext(ctx).Where("user_id = ? AND revoked_at IS NULL AND expires_at > ?", userID, s.now()).
		Order("created_at DESC, id DESC").Find(&tokens).Error
	return tokens, err
}

// RevokeToken revokes one of the user's tokens; anyone else's, or one already revoked, is ErrNotFound.
func (s *Store) RevokeToken(ctx context.Context, userID, tokenID string) error {
	return s.inTx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&APIToken{}).Where("id = ? AND user_id = ? AND revoked_at IS NULL", tokenID, userID).
			Update("revoked_at", s.now())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return s.appendAudit(tx, audited{Action: "token.revoke", ObjectType: "api_token", ObjectID: tokenID, Outcome: OutcomeSuccess})
	})
}

// TokenUser returns the account a token acts for, with the token itself for its scopes, or ErrNoSession
// when the token is unknown, revoked, expired, or its account is disabled.
func (s *Store) TokenUser(ctx context.Context, secret string) (User, APIToken, error) {
	var t APIToken
	db := s.read.WithContext(ctx)
	if err := db.Where("token_hash = ? AND revoked_at IS NULL", hashToken(secret)).Take(&t).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return User{}, APIToken{}, ErrNoSession
		}
		return User{}, APIToken{}, err
	}
	at := s.now()
	var u User
	if err := db.Where("id = ?", t.UserID).Take(&u).Error; err != nil {
		return User{}, APIToken{}, err
	}
	if !at.Before(t.ExpiresAt) || !u.Active {
		return User{}, APIToken{}, ErrNoSession
	}
	if t.LastUsedAt == nil || at.Sub(*t.LastUsedAt) > sessionTouchEvery {
		if err := s.write.WithContext(ctx).Model(&APIToken{}).Where("id = ?", t.ID).Update("last_used_at", at).Error; err != nil {
			return User{}, APIToken{}, err
		}
	}
	return u, t, nil
}
