package models_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

// Statement text in several scripts, none of which may be stored in the clear.
var (
	stmtEmotional   = "Ich konnte monatelang nicht schlafen. Tôi sợ mở hộp thư."
	stmtPhysical    = "我的血壓一直很高。"
	stmtFinancial   = "Lost two weeks of wages disputing the loans."
	stmtRestitution = "Please order repayment of the remediation costs."
	stmtSecrets     = []string{"nicht schlafen", "mở hộp thư", "血壓", "weeks of wages", "remediation costs", "rewritten in revision two"}
)

func statementText() models.StatementText {
	return models.StatementText{
		Language: "de",
		Sections: models.Sections{Emotional: stmtEmotional, Physical: stmtPhysical, Financial: stmtFinancial},

		RestitutionRequest: stmtRestitution,
	}
}

// newStatement adds a victim to a new case and starts a statement of theirs.
func newStatement(t *testing.T, s *models.Store) (models.Case, models.Statement) {
	t.Helper()
	ctx := dbtest.System()
	c := mustCreate(t, s, mesaCase("22CR371"))
	v, err := s.CreateVictim(ctx, c.ID, janeRoe())
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.CreateStatement(ctx, v.ID, statementText())
	if err != nil {
		t.Fatal(err)
	}
	return c, st
}

// TestStatementTextIsSealedAtRest reads the SQLite file and its write-ahead log after a checkpoint, as a
// thief with a copy would: no section or restitution request, of any revision, may be there in the clear.
// On PostgreSQL it reads the stored columns of every revision.
func TestStatementTextIsSealedAtRest(t *testing.T) {
	ctx := dbtest.System()
	store := func(t *testing.T, s *models.Store) {
		_, st := newStatement(t, s)
		if _, err := s.UpdateStatement(ctx, st.ID, st.Version, models.StatementUpdate{Other: models.Some("rewritten in revision two")}); err != nil {
			t.Fatal(err)
		}
		got, err := s.StatementByID(ctx, st.ID)
		if err != nil || got.Sections.Emotional != stmtEmotional || got.Sections.Physical != stmtPhysical ||
			got.Sections.Other != "rewritten in revision two" || got.RestitutionRequest != stmtRestitution || got.Revision != 2 {
			t.Fatalf("read back %+v, %v", got, err)
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
	for _, file := range []string{cfg.DSN, cfg.DSN + "-wal"} {
		raw, err := os.ReadFile(file)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if file == cfg.DSN && !bytes.Contains(raw, []byte("Jane Roe")) {
			t.Fatal("the database file does not hold the victim at all; the test reads the wrong file")
		}
		for _, secret := range stmtSecrets {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("%s holds %q in the clear", file, secret)
			}
		}
	}

	pgURL := dbtest.PostgresURL(t)
	if pgURL == "" {
		return
	}
	pg, err := models.Open(ctx, dbtest.PostgresConfig(t, pgURL))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	migrate(t, pg)
	store(t, pg)
	var stored string
	err = rawDB(t, pg).QueryRow(`SELECT string_agg(concat_ws('|', emotional, physical, financial, other,
		restitution_request_text), '|') FROM statement_revisions`).Scan(&stored)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range stmtSecrets {
		if bytes.Contains([]byte(stored), []byte(secret)) {
			t.Errorf("PostgreSQL holds %q in the clear", secret)
		}
	}
}

// TestStatementRevisionsAreAppendOnlyAndBound checks that the database refuses to change or remove a
// revision, and that a sealed section copied into another revision behind the application's back (with the
// guards dropped, as a database administrator could) does not open there.
func TestStatementRevisionsAreAppendOnlyAndBound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := dbtest.System()
		_, st := newStatement(t, s)
		if _, err := s.UpdateStatement(ctx, st.ID, st.Version, models.StatementUpdate{Emotional: models.Some("A calmer second draft.")}); err != nil {
			t.Fatal(err)
		}
		db := rawDB(t, s)
		if _, err := db.Exec(rebindQ(s, "UPDATE statement_revisions SET status = 'final' WHERE statement_id = ?"), st.ID); err == nil {
			t.Error("a revision was changed")
		}
		if _, err := db.Exec(rebindQ(s, "DELETE FROM statement_revisions WHERE statement_id = ?"), st.ID); err == nil {
			t.Error("a revision was deleted")
		}
		var n int
		if err := db.QueryRow(rebindQ(s, "SELECT count(*) FROM statement_revisions WHERE statement_id = ? AND status = 'draft'"), st.ID).Scan(&n); err != nil || n != 2 {
			t.Fatalf("after the refused changes: %d draft revisions, %v; want 2", n, err)
		}

		drop := []string{"ALTER TABLE statement_revisions DISABLE TRIGGER USER"}
		if s.Dialect() == models.SQLite {
			drop = []string{"DROP TRIGGER statement_revisions_no_update"}
		}
		for _, q := range drop {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		// Revision 1's sealed emotional section, put into revision 2, the current one.
		var sealed string
		if err := db.QueryRow(rebindQ(s, "SELECT emotional FROM statement_revisions WHERE statement_id = ? AND number = 1"), st.ID).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(rebindQ(s, "UPDATE statement_revisions SET emotional = ? WHERE statement_id = ? AND number = 2"), sealed, st.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := s.StatementByID(ctx, st.ID); err == nil {
			t.Fatalf("a ciphertext moved to another revision opened: %q", got.Sections.Emotional)
		}
		if _, err := s.ListStatementRevisions(ctx, st.ID, 0, ""); err == nil {
			t.Fatal("the revisions listed with a moved ciphertext among them")
		}
	})
}

// TestStatementsByRole calls the store directly as each role: clerks get nothing (and the refusal is
// recorded), prosecutors on the team read but change nothing, and the others read and write.
func TestStatementsByRole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c, st := newStatement(t, s)
		users := map[models.Role]models.User{}
		ids := []string{}
		for _, role := range models.Roles {
			users[role] = mustCreateUser(t, s, string(role)+"@mesa.gov", role)
			ids = append(ids, users[role].ID)
		}
		if _, err := s.SetCaseTeam(dbtest.System(), c.ID, ids); err != nil {
			t.Fatal(err)
		}
		as := func(role models.Role) context.Context {
			return models.WithActor(dbtest.System(), models.Actor{Type: models.ActorUser, ID: users[role].ID, Role: role})
		}

		clerk := as(models.RoleClerk)
		reads := map[string]func(ctx context.Context) error{
			"StatementByID": func(ctx context.Context) error { _, err := s.StatementByID(ctx, st.ID); return err },
			"StatementVersion": func(ctx context.Context) error {
				_, err := s.StatementVersion(ctx, st.ID)
				return err
			},
			"ListStatements": func(ctx context.Context) error {
				_, err := s.ListStatements(ctx, st.VictimID, 0, "")
				return err
			},
			"ListStatementRevisions": func(ctx context.Context) error {
				_, err := s.ListStatementRevisions(ctx, st.ID, 0, "")
				return err
			},
		}
		writes := map[string]func(ctx context.Context) error{
			"CreateStatement": func(ctx context.Context) error {
				_, err := s.CreateStatement(ctx, st.VictimID, statementText())
				return err
			},
			"UpdateStatement": func(ctx context.Context) error {
				_, err := s.UpdateStatement(ctx, st.ID, 0, models.StatementUpdate{Other: models.Some("more")})
				return err
			},
			"SubmitStatement": func(ctx context.Context) error {
				_, err := s.SubmitStatement(ctx, st.ID, 0)
				return err
			},
			"FinalizeStatement": func(ctx context.Context) error {
				_, err := s.FinalizeStatement(ctx, st.ID, 0)
				return err
			},
		}
		for name, call := range reads {
			if err := call(clerk); !errors.Is(err, models.ErrForbidden) {
				t.Errorf("%s as a clerk: %v; want ErrForbidden", name, err)
			}
			if err := call(as(models.RoleProsecutor)); err != nil {
				t.Errorf("%s as a prosecutor on the team: %v", name, err)
			}
		}
		for name, call := range writes {
			for _, role := range []models.Role{models.RoleClerk, models.RoleProsecutor} {
				if err := call(as(role)); !errors.Is(err, models.ErrForbidden) {
					t.Errorf("%s as a %s: %v; want ErrForbidden", name, role, err)
				}
			}
		}
		denied, err := s.ListAuditEvents(dbtest.System(), models.AuditFilter{ActorID: users[models.RoleClerk].ID, Outcome: models.OutcomeDenied})
		if err != nil || len(denied.Items) != len(reads)+len(writes) {
			t.Errorf("the clerk's refusals left %d denied audit events, %v; want %d", len(denied.Items), err, len(reads)+len(writes))
		}
		if got, err := s.StatementByID(dbtest.System(), st.ID); err != nil || got.Revision != 1 {
			t.Fatalf("the refused writes changed the statement: %+v, %v", got, err)
		}

		// An advocate writes, and the revision names them.
		adv := as(models.RoleAdvocate)
		if _, err := s.UpdateStatement(adv, st.ID, 1, models.StatementUpdate{Other: models.Some("more")}); err != nil {
			t.Fatal(err)
		}
		page, err := s.ListStatementRevisions(adv, st.ID, 0, "")
		if err != nil || len(page.Items) != 2 || page.Items[0].CreatedBy != users[models.RoleAdvocate].ID || page.Items[1].CreatedBy != "" {
			t.Fatalf("revisions %+v, %v; want the advocate's on top of the system's", page.Items, err)
		}
	})
}

// TestStatementTextRules checks the limits in characters, not bytes, and the characters refused.
func TestStatementTextRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := dbtest.System()
		c := mustCreate(t, s, mesaCase("22CR371"))
		v, err := s.CreateVictim(ctx, c.ID, janeRoe())
		if err != nil {
			t.Fatal(err)
		}
		long := string(bytes.Repeat([]byte("語"), models.MaxStatementRunes))
		st, err := s.CreateStatement(ctx, v.ID, models.StatementText{Sections: models.Sections{Other: long}})
		if err != nil || st.Sections.Other != long || st.Language != "en" || st.Delivery != models.DeliveryWritten {
			t.Fatalf("a section of %d three-byte characters: %v", models.MaxStatementRunes, err)
		}
		for name, tc := range map[string]struct {
			text  models.StatementText
			field string
		}{
			"one character too many":       {models.StatementText{RestitutionRequest: long + "x"}, "restitution_request_text"},
			"a bell":                       {models.StatementText{Sections: models.Sections{Emotional: "ring\a"}}, "sections.emotional"},
			"a right-to-left override":     {models.StatementText{Sections: models.Sections{Physical: "abc\u202Edef"}}, "sections.physical"},
			"a language that is not a tag": {models.StatementText{Language: "Deutsch!"}, "language"},
			"an unknown delivery":          {models.StatementText{Delivery: "sung"}, "delivery"},
		} {
			_, err := s.CreateStatement(ctx, v.ID, tc.text)
			var verr *models.ValidationError
			if !errors.As(err, &verr) || verr.Fields[tc.field] == "" {
				t.Errorf("%s: %v; want a problem with %s", name, err, tc.field)
			}
		}
		kept, err := s.CreateStatement(ctx, v.ID, models.StatementText{Language: "zh-Hant",
			Sections: models.Sections{Emotional: "  first line\r\n\tsecond line\rthird\n\n"}})
		if err != nil || kept.Sections.Emotional != "first line\n\tsecond line\nthird" {
			t.Fatalf("line breaks and tabs: %q, %v", kept.Sections.Emotional, err)
		}
	})
}
