package migrations_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/migrations"
	"github.com/impactledger/impactledger/models"
)

// TestStepUpMigrationKeepsWhatExisted checks migration 16 on data made before it: API tokens, which could
// change data, become write tokens without the sensitive scope, and open sessions keep their sign-in as
// their proof of password.
func TestStepUpMigrationKeepsWhatExisted(t *testing.T) {
	dbtest.EachEmpty(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		db, d := sqlDB(t, s)
		p, err := migrations.NewProvider(db, d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.UpTo(ctx, 15); err != nil {
			t.Fatal(err)
		}
		const (
			user    = "01a211c6-f93c-78c4-8695-72deaf645c6f"
			secret  = "il_made-before-scopes"
			session = "01a211c6-f93c-78c4-8695-72deaf645c70"
			created = "2026-01-05 10:00:00+00:00"
		)
		hash := sha256.Sum256([]byte(secret))
		for _, stmt := range []string{
			`INSERT INTO users (id, email, email_key, display_name, role, active, password_hash, created_at, updated_at, version)
				VALUES ('` + user + `', 'dana@mesa.gov', 'dana@mesa.gov', 'Dana', 'advocate', true, 'x', '` + created + `', '` + created + `', 1)`,
			`INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at)
				VALUES ('01a211c6-f93c-78c4-8695-72deaf645c71', '` + user + `', 'old', '` + hex.EncodeToString(hash[:]) + `',
				'` + created + `', '2100-01-01 00:00:00+00:00')`,
			`INSERT INTO sessions (id, token_hash, user_id, role, created_at, last_seen_at, expires_at)
				VALUES ('` + session + `', 'h', '` + user + `', 'advocate', '` + created + `', '` + created + `', '2100-01-01 00:00:00+00:00')`,
		} {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatal(err)
		}
		_, tok, err := s.TokenUser(ctx, secret)
		if err != nil || tok.Access != models.TokenWrite || tok.Sensitive {
			t.Errorf("a token from before scopes: access %q, sensitive %v (%v); want write, not sensitive", tok.Access, tok.Sensitive, err)
		}
		var authenticated time.Time
		if err := db.QueryRowContext(ctx, "SELECT authenticated_at FROM sessions").Scan(&authenticated); err != nil {
			t.Fatal(err)
		}
		if want, _ := time.Parse("2006-01-02 15:04:05-07:00", created); !authenticated.Equal(want) {
			t.Errorf("an open session's proof of password is %s; want its sign-in, %s", authenticated, want)
		}
	})
}
