package models_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/documents"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/sealing"
)

// The sensitive values of one victim, their impact statement, a defendant and a hearing, each of which must
// never be stored in the clear.
var (
	atRestSSN        = "078-05-1120"
	atRestSecrets    = []string{"078051120", atRestSSN, "1961-07-14", "9705550123", "jane.roe@example.com", "Orchard Lane", "privileged remark", "1955-06-01", "courtroom aside", "my own name on the voter rolls", "credit freeze fees", "Card ending 4417", "First Mesa Bank", "000123456789", "bank letter"}
	atRestStatement  = "I learned my identity was used when I saw my own name on the voter rolls."
	atRestDOB, _     = models.ParseDate("1961-07-14")
	defendantDOB, _  = models.ParseDate("1955-06-01")
	atRestVictimNote = "A privileged remark about the victim's health."
)

func janeRoe() models.NewVictim {
	return models.NewVictim{
		Kind: models.VictimIndividual, Name: "Jane Roe", DateOfBirth: &atRestDOB, SSN: atRestSSN,
		Email: "jane.roe@example.com", Phone: "970-555-0123",
		MailingAddress: &models.Address{Line1: "12 Orchard Lane", City: "Grand Junction", State: "CO", PostalCode: "81501"},
		Notes:          atRestVictimNote,
	}
}

// TestIntakeSecretsAreSealedAtRest reads the SQLite file and its write-ahead log after a checkpoint, and the
// stored documents, as a thief with a copy would: no SSN, birth date, phone, email, street address,
// statement text, loss description, document or note may be there in the clear. On PostgreSQL it reads the stored columns and a real pg_dump, as a stolen backup.
func TestIntakeSecretsAreSealedAtRest(t *testing.T) {
	ctx := dbtest.System()
	docDir := t.TempDir()
	docs, err := documents.NewDir(docDir)
	if err != nil {
		t.Fatal(err)
	}
	store := func(t *testing.T, s *models.Store) {
		c := mustCreate(t, s, mesaCase("22CR371"))
		v, err := s.CreateVictim(ctx, c.ID, janeRoe())
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.VictimByID(ctx, v.ID, true); err != nil || got.SSN != atRestSSN || got.Notes != atRestVictimNote ||
			got.Phone != "+19705550123" || *got.DateOfBirth != atRestDOB || got.MailingAddress.Line1 != "12 Orchard Lane" {
			t.Fatalf("read back %+v, %v", got, err)
		}
		if _, err := s.CreateStatement(ctx, v.ID, models.StatementText{Sections: models.Sections{
			Emotional: atRestStatement}, RestitutionRequest: "Please repay the credit freeze fees."}); err != nil {
			t.Fatal(err)
		}
		loss, err := s.CreateLoss(ctx, v.ID, models.NewLoss{Category: models.LossFraudulentCharges, ClaimedCents: 123456,
			Description: "Card ending 4417 charged at an electronics store", ReimbursedBy: "First Mesa Bank fraud desk"})
		if err != nil {
			t.Fatal(err)
		}
		receipt := "Receipt for Jane Roe: account 000123456789 frozen.\n"
		if _, err := s.AddDocument(ctx, docs, loss.ID, "Jane Roe bank letter.txt", strings.NewReader(receipt)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateDefendant(ctx, c.ID, models.NewDefendant{Name: "Tina Peters", DateOfBirth: &defendantDOB}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateHearing(ctx, c.ID, models.NewHearing{Kind: models.HearingSentencing,
			StartsAt: time.Date(2024, 10, 3, 21, 0, 0, 0, time.UTC), Notes: "A courtroom aside about Jane."}); err != nil {
			t.Fatal(err)
		}
	}

	cfg := dbtest.SQLiteConfig(t)
	s, err := models.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	migrate(t, s)
	store(t, s)
	if _, err := rawDB(t, s).Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	docFiles, err := filepath.Glob(filepath.Join(docDir, "*"))
	if err != nil || len(docFiles) == 0 {
		t.Fatalf("no stored document in %s: %v", docDir, err)
	}
	for _, file := range append([]string{cfg.DSN, cfg.DSN + "-wal"}, docFiles...) {
		raw, err := os.ReadFile(file)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if file == cfg.DSN && !bytes.Contains(raw, []byte("Jane Roe")) {
			t.Fatal("the database file does not hold the victim at all; the test reads the wrong file")
		}
		for _, secret := range atRestSecrets {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("%s holds %q in the clear", file, secret)
			}
		}
	}

	pgURL := dbtest.PostgresURL(t)
	if pgURL == "" {
		return
	}
	pgCfg := dbtest.PostgresConfig(t, pgURL)
	pg, err := models.Open(ctx, pgCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	migrate(t, pg)
	store(t, pg)
	var stored string
	err = rawDB(t, pg).QueryRow(`SELECT concat_ws('|', v.date_of_birth, v.ssn, v.email, v.phone, v.mailing_address, v.notes,
		d.date_of_birth, h.notes) FROM victims v, defendants d, hearings h`).Scan(&stored)
	if err != nil {
		t.Fatal(err)
	}
	dump := pgDump(t, pgCfg.DSN)
	if !bytes.Contains(dump, []byte("Jane Roe")) {
		t.Fatal("pg_dump does not hold the victim at all; it dumped the wrong schema")
	}
	for _, secret := range atRestSecrets {
		if bytes.Contains([]byte(stored), []byte(secret)) {
			t.Errorf("PostgreSQL holds %q in the clear", secret)
		}
		if bytes.Contains(dump, []byte(secret)) {
			t.Errorf("pg_dump shows %q in the clear", secret)
		}
	}
}

// TestBlindIndexesAreKeyedPerCase checks that duplicates are found through the blind-index key, which lives
// in its own data_keys row, and that one SSN gives unrelated index values in two cases.
func TestBlindIndexesAreKeyedPerCase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := dbtest.System()
		a := mustCreate(t, s, mesaCase("22CR371"))
		b := mustCreate(t, s, mesaCase("22CR372"))
		first, err := s.CreateVictim(ctx, a.ID, janeRoe())
		if err != nil {
			t.Fatal(err)
		}
		again := janeRoe()
		again.Name, again.DateOfBirth = "Someone Else", nil
		_, err = s.CreateVictim(ctx, a.ID, again)
		var conflict *models.ConflictError
		if !errors.As(err, &conflict) || conflict.ExistingID != first.ID {
			t.Fatalf("same SSN in the same case: %v", err)
		}
		if _, err := s.CreateVictim(ctx, b.ID, janeRoe()); err != nil {
			t.Fatalf("same victim in another case: %v", err)
		}
		db := rawDB(t, s)
		var distinct, rows int
		if err := db.QueryRow("SELECT count(DISTINCT ssn_index), count(*) FROM victims").Scan(&distinct, &rows); err != nil {
			t.Fatal(err)
		}
		if rows != 2 || distinct != 2 {
			t.Fatalf("%d victims with %d distinct SSN indexes; want 2 and 2", rows, distinct)
		}
		var scopes int
		if err := db.QueryRow(rebindQ(s, "SELECT count(*) FROM data_keys WHERE scope = ?"), models.BlindIndexScope).Scan(&scopes); err != nil || scopes != 1 {
			t.Fatalf("blind-index keys: %d, %v", scopes, err)
		}
	})
}

// TestBlindIndexKeySurvivesRotation rotates to a new key-encryption key and drops the old one: the
// blind-index key is rewrapped like the case keys, so duplicates are still found afterwards.
func TestBlindIndexKeySurvivesRotation(t *testing.T) {
	ctx := dbtest.System()
	cfg := dbtest.SQLiteConfig(t)
	s, err := models.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	migrate(t, s)
	c := mustCreate(t, s, mesaCase("22CR371"))
	first, err := s.CreateVictim(ctx, c.ID, janeRoe())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	newKey := dbtest.NewKeys(t)[0]
	cfg.Keys = []sealing.KEK{newKey, cfg.Keys[0]}
	if s, err = models.Open(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	// The case's data key, the blind-index key and the audit chain's key.
	if n, err := s.RotateKeys(ctx, nil); err != nil || n != 3 {
		t.Fatalf("RotateKeys = %d, %v; want 3 data keys rewrapped", n, err)
	}
	s.Close()

	cfg.Keys = []sealing.KEK{newKey}
	if s, err = models.Open(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CheckKeys(ctx); err != nil {
		t.Fatal(err)
	}
	again := janeRoe()
	again.SSN = ""
	_, err = s.CreateVictim(ctx, c.ID, again)
	var conflict *models.ConflictError
	if !errors.As(err, &conflict) || conflict.ExistingID != first.ID {
		t.Fatalf("name and birth date after rotation: %v", err)
	}
	if got, err := s.VictimByID(ctx, first.ID, true); err != nil || got.SSN != atRestSSN {
		t.Fatalf("after rotation: %+v, %v", got, err)
	}
}

// TestSearchMatchesOnlyWhatTheViewShows: a prosecutor sees minors by their initials, so a search of the full
// name must not find them (320 searches once rebuilt a minor's name from the yes and no answers), while the
// initials shown do; an advocate, who sees full names, finds them by name. Pages stay full and their cursors
// exact when rows fall out.
func TestSearchMatchesOnlyWhatTheViewShows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		sys := dbtest.System()
		c := mustCreate(t, s, mesaCase("22CR371"))
		child := models.DateOf(s.Today().Time().AddDate(-10, 0, 0))
		for _, nv := range []models.NewVictim{
			{Kind: models.VictimIndividual, Name: "Kevin Adams"},
			{Kind: models.VictimIndividual, Name: "Kevin Brown", IsMinor: true},
			// A minor by date of birth alone, with no tick in is_minor.
			{Kind: models.VictimIndividual, Name: "Kevin Bell", DateOfBirth: &child},
			{Kind: models.VictimIndividual, Name: "Kevin Cole"},
			{Kind: models.VictimIndividual, Name: "Kevin Dunn"},
		} {
			if _, err := s.CreateVictim(sys, c.ID, nv); err != nil {
				t.Fatal(err)
			}
		}
		prosecutor := mustCreateUser(t, s, "pat@mesa.gov", models.RoleProsecutor)
		if _, err := s.SetCaseTeam(sys, c.ID, []string{prosecutor.ID}); err != nil {
			t.Fatal(err)
		}
		asProsecutor := models.WithActor(sys, models.Actor{Type: models.ActorUser, ID: prosecutor.ID, Role: prosecutor.Role})
		search := func(ctx context.Context, q string, limit int, after string) models.VictimPage {
			t.Helper()
			page, err := s.ListVictims(ctx, c.ID, models.VictimFilter{Query: q, Limit: limit, AfterID: after})
			if err != nil {
				t.Fatal(err)
			}
			return page
		}
		names := func(page models.VictimPage) []string {
			var out []string
			for _, v := range page.Items {
				out = append(out, v.Name)
			}
			slices.Sort(out)
			return out
		}
		for _, tc := range []struct {
			ctx  context.Context
			q    string
			want []string
		}{
			{asProsecutor, "kevin", []string{"Kevin Adams", "Kevin Cole", "Kevin Dunn"}},
			{asProsecutor, "brown", nil},
			{asProsecutor, "bell", nil},
			{asProsecutor, "k. b", []string{"K. B."}}, // the flagged minor, as shown
			{asProsecutor, "b.", []string{"K. B."}},
			{sys, "kevin b", []string{"Kevin Bell", "Kevin Brown"}},
		} {
			if got := names(search(tc.ctx, tc.q, 50, "")); !slices.Equal(got, tc.want) {
				t.Errorf("search %q = %q; want %q", tc.q, got, tc.want)
			}
		}
		// Pages of one: the two minors found by name fall out between the adults, yet every page is full and
		// the last one says so.
		var seen []string
		after := ""
		for range 5 {
			page := search(asProsecutor, "kevin", 1, after)
			if len(page.Items) != 1 {
				t.Fatalf("a page of %d after %q; want 1", len(page.Items), after)
			}
			seen = append(seen, page.Items[0].Name)
			if after = page.NextAfterID; after == "" {
				break
			}
		}
		if slices.Sort(seen); !slices.Equal(seen, []string{"Kevin Adams", "Kevin Cole", "Kevin Dunn"}) || after != "" {
			t.Errorf("paged search found %q, last cursor %q", seen, after)
		}
	})
}
