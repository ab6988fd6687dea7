package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/migrations"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/sealing"
)

// openConfigured opens the database the environment names, as the commands do.
func openConfigured(t *testing.T) *models.Store {
	t.Helper()
	_, _, store, code := setup(context.Background(), io.Discard)
	if code != 0 {
		t.Fatalf("setup: exit %d", code)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

func auditVerify(t *testing.T) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"audit", "verify"}, nil, &out, &errOut)
	return code, out.String() + errOut.String()
}

// disableTriggers is what the database owner can do behind the service's back.
func disableTriggers(t *testing.T, s *models.Store, db *sql.DB) {
	t.Helper()
	stmts := []string{"ALTER TABLE audit_events DISABLE TRIGGER USER"}
	if s.Dialect() == models.SQLite {
		stmts = []string{"DROP TRIGGER audit_events_no_update"}
	}
	for _, stmt := range stmts {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAuditVerifyCatchesARecomputedChain is the insider of the security review, on the command line: the
// reveal of a victim's SSN rewritten as a read, and every hash after it recomputed with plain SHA-256 or
// with an HMAC under a key of the insider's own. audit verify exits 1 naming the event.
func TestAuditVerifyCatchesARecomputedChain(t *testing.T) {
	wrongKey := make([]byte, 32)
	rand.Read(wrongKey)
	for _, recompute := range []string{"sha256", "hmac"} {
		t.Run(recompute, func(t *testing.T) {
			eachDatabase(t, func(t *testing.T, env map[string]string) {
				setEnv(t, env)
				ctx := dbtest.System()
				if code := run(ctx, []string{"migrate", "up"}, nil, io.Discard, io.Discard); code != 0 {
					t.Fatalf("migrate up: exit %d", code)
				}
				store := openConfigured(t)
				c, err := store.CreateCase(ctx, models.NewCase{CourtCaseNumber: "22CR371", Caption: "People v. Tina Peters",
					Court: "Mesa County District Court", Jurisdiction: "us-co"})
				if err != nil {
					t.Fatal(err)
				}
				v, err := store.CreateVictim(ctx, c.ID, models.NewVictim{Kind: models.VictimIndividual, Name: "Jane Roe", SSN: "078-05-1120"})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := store.VictimByID(ctx, v.ID, true); err != nil {
					t.Fatal(err)
				}
				for i := range 3 {
					if _, err := store.CreateCase(ctx, models.NewCase{CourtCaseNumber: fmt.Sprint("23CR", i), Caption: "People v. Other",
						Court: "Mesa County District Court", Jurisdiction: "us-co"}); err != nil {
						t.Fatal(err)
					}
				}
				if code, out := auditVerify(t); code != 0 || !strings.Contains(out, "intact: 6 events") || !strings.Contains(out, "0 legacy") {
					t.Fatalf("audit verify before the rewrite: exit %d, %q", code, out)
				}

				db, err := store.SQLDB()
				if err != nil {
					t.Fatal(err)
				}
				disableTriggers(t, store, db)
				page, err := store.ListAuditEvents(ctx, models.AuditFilter{})
				if err != nil || len(page.Items) != 6 || page.Items[3].Action != "victim.reveal_ssn" {
					t.Fatalf("events %+v, %v", page.Items, err)
				}
				prev := page.Items[3].PrevHash
				for i := 3; i >= 0; i-- {
					e := page.Items[i]
					if e.Seq == 3 {
						e.Action = "victim.read"
					}
					e.PrevHash = prev
					if recompute == "sha256" {
						e.Hash = dbtest.LegacyAuditHash(e.PrevHash, e.Seq, e.ID, e.OccurredAt, string(e.ActorType), e.ActorID, e.Action,
							e.ObjectType, e.ObjectID, e.CaseID, string(e.Outcome), e.RequestID, e.ClientIP)
					} else {
						fields, _ := json.Marshal([]any{e.Seq, e.ID, e.OccurredAt.UTC().Format(time.RFC3339Nano), e.ActorType, e.ActorID,
							e.Action, e.ObjectType, e.ObjectID, e.CaseID, e.Outcome, e.RequestID, e.ClientIP, e.Detail, e.KeyID, prevStamp(e.PrevOccurredAt)})
						m := hmac.New(sha256.New, wrongKey)
						m.Write([]byte("impactledger audit event v2\n" + e.PrevHash + "\n"))
						m.Write(fields)
						e.Hash = hex.EncodeToString(m.Sum(nil))
					}
					if _, err := db.Exec(dbtest.Rebind(store.Dialect(), "UPDATE audit_events SET action = ?, prev_hash = ?, hash = ? WHERE seq = ?"),
						e.Action, e.PrevHash, e.Hash, e.Seq); err != nil {
						t.Fatal(err)
					}
					prev = e.Hash
				}
				if _, err := db.Exec(dbtest.Rebind(store.Dialect(), "UPDATE audit_chain SET hash = ? WHERE id = 1"), prev); err != nil {
					t.Fatal(err)
				}
				if code, out := auditVerify(t); code != 1 || !strings.Contains(out, "broken at event 3 ") {
					t.Fatalf("audit verify after the rewrite: exit %d, %q; want 1 naming event 3", code, out)
				}
			})
		})
	}
}

// TestMigrateUpSealsALegacyChain upgrades a database whose trail was written before the chain was keyed:
// migrate up applies migration 14 and appends the checkpoint, after which audit verify passes and counts
// the legacy events.
func TestMigrateUpSealsALegacyChain(t *testing.T) {
	eachDatabase(t, func(t *testing.T, env map[string]string) {
		setEnv(t, env)
		ctx := dbtest.System()
		store := openConfigured(t)
		db, err := store.SQLDB()
		if err != nil {
			t.Fatal(err)
		}
		p, err := migrations.NewProvider(db, store.Dialect())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.UpTo(ctx, 13); err != nil {
			t.Fatal(err)
		}
		dbtest.WriteLegacyAuditChain(t, db, store.Dialect(), 40, time.Now().Add(-time.Hour))
		var out, errOut bytes.Buffer
		if code := run(ctx, []string{"migrate", "up"}, nil, &out, &errOut); code != 0 || !strings.Contains(out.String(), "00014_keyed_audit.sql") ||
			!strings.Contains(errOut.String(), "sealed the audit events") {
			t.Fatalf("migrate up: exit %d, %q %q", code, out.String(), errOut.String())
		}
		if code, out := auditVerify(t); code != 0 || !strings.Contains(out, "intact: 41 events (1 to 41): 40 legacy") || !strings.Contains(out, "1 keyed") {
			t.Fatalf("audit verify after migrate up: exit %d, %q", code, out)
		}
		// Running it again seals nothing more.
		errOut.Reset()
		if code := run(ctx, []string{"migrate", "up"}, nil, io.Discard, &errOut); code != 0 || strings.Contains(errOut.String(), "sealed") {
			t.Fatalf("migrate up again: exit %d, %q", code, errOut.String())
		}
	})
}

// TestAuditKeyFromTheEnvironment chains the trail under IMPACTLEDGER_AUDIT_KEY (and its _FILE variant) and
// then drops the key: audit verify exits 1 naming the key it lacks.
func TestAuditKeyFromTheEnvironment(t *testing.T) {
	eachDatabase(t, func(t *testing.T, env map[string]string) {
		setEnv(t, env)
		ctx := dbtest.System()
		one := "office-audit-1:" + strings.SplitN(mustKEK(t), ":", 2)[1]
		two := "office-audit-2:" + strings.SplitN(mustKEK(t), ":", 2)[1]
		t.Setenv("IMPACTLEDGER_AUDIT_KEY", one)
		if code := run(ctx, []string{"migrate", "up"}, nil, io.Discard, io.Discard); code != 0 {
			t.Fatalf("migrate up: exit %d", code)
		}
		create := func(email string) {
			t.Helper()
			var errOut bytes.Buffer
			if code := run(ctx, []string{"users", "create", "--email", email, "--name", "Ada Admin", "--role", "admin"},
				strings.NewReader("correct horse battery staple\n"), io.Discard, &errOut); code != 0 {
				t.Fatalf("users create: exit %d %s", code, errOut.String())
			}
		}
		create("ada@mesa.gov")
		page, err := openConfigured(t).ListAuditEvents(ctx, models.AuditFilter{})
		if err != nil || len(page.Items) != 1 || page.Items[0].KeyID != "office-audit-1" {
			t.Fatalf("events %+v, %v", page.Items, err)
		}
		if code, out := auditVerify(t); code != 0 || !strings.Contains(out, "1 keyed") {
			t.Fatalf("audit verify under office-audit-1: exit %d, %q", code, out)
		}
		// A new key first, the old one after it, from a file: both verify.
		t.Setenv("IMPACTLEDGER_AUDIT_KEY", "")
		t.Setenv("IMPACTLEDGER_AUDIT_KEY_FILE", writeFile(t, two+","+one+"\n"))
		create("grace@mesa.gov")
		if code, out := auditVerify(t); code != 0 || !strings.Contains(out, "2 keyed") {
			t.Fatalf("audit verify under office-audit-2, office-audit-1: exit %d, %q", code, out)
		}
		// The old key dropped: its event is reported, by key id.
		t.Setenv("IMPACTLEDGER_AUDIT_KEY_FILE", writeFile(t, two+"\n"))
		if code, out := auditVerify(t); code != 1 || !strings.Contains(out, "event 1 ") || !strings.Contains(out, `"office-audit-1"`) {
			t.Fatalf("audit verify without office-audit-1: exit %d, %q", code, out)
		}
		// A malformed key is a configuration error.
		t.Setenv("IMPACTLEDGER_AUDIT_KEY_FILE", "")
		t.Setenv("IMPACTLEDGER_AUDIT_KEY", "office-audit-3:short")
		if code, out := auditVerify(t); code != 2 || !strings.Contains(out, "IMPACTLEDGER_AUDIT_KEY") {
			t.Fatalf("audit verify with a malformed key: exit %d, %q", code, out)
		}
	})
}

// prevStamp renders the previous event's time as the keyed hash covers it.
func prevStamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func mustKEK(t *testing.T) string {
	t.Helper()
	entry, err := sealing.GenerateKEK(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return entry
}

// TestServeSealsALegacyChain is the same upgrade through serve's own migration at start-up.
func TestServeSealsALegacyChain(t *testing.T) {
	eachDatabase(t, func(t *testing.T, env map[string]string) {
		setEnv(t, env)
		store := openConfigured(t)
		db, err := store.SQLDB()
		if err != nil {
			t.Fatal(err)
		}
		p, err := migrations.NewProvider(db, store.Dialect())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.UpTo(context.Background(), 13); err != nil {
			t.Fatal(err)
		}
		dbtest.WriteLegacyAuditChain(t, db, store.Dialect(), 5, time.Now().Add(-time.Hour))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		t.Setenv("IMPACTLEDGER_ADDR", addr)
		ctx, stop := context.WithCancel(context.Background())
		var logs bytes.Buffer
		exited := make(chan int, 1)
		go func() { exited <- run(ctx, nil, nil, io.Discard, &syncWriter{w: &logs}) }()
		waitReady(t, "http://"+addr)
		stop()
		if code := <-exited; code != 0 || !strings.Contains(logs.String(), "sealed the audit events") {
			t.Fatalf("serve: exit %d, %s", code, logs.String())
		}
		if code, out := auditVerify(t); code != 0 || !strings.Contains(out, "5 legacy") || !strings.Contains(out, "1 keyed") {
			t.Fatalf("audit verify after serve: exit %d, %q", code, out)
		}
	})
}

// headAnchor runs audit verify and returns the --expect argument its head line offers.
func headAnchor(t *testing.T) string {
	t.Helper()
	code, out := auditVerify(t)
	_, anchor, ok := strings.Cut(out, "--expect ")
	if code != 0 || !ok {
		t.Fatalf("audit verify: exit %d, %q", code, out)
	}
	anchor, _, _ = strings.Cut(anchor, ")")
	return anchor
}

// TestAuditVerifyExpect keeps the head line outside the database, as the README asks: after the newest
// events are deleted and the head row is put back as a backup had it, plain verification sees a shorter,
// intact trail, and only --expect with the head kept shows the cut.
func TestAuditVerifyExpect(t *testing.T) {
	eachDatabase(t, func(t *testing.T, env map[string]string) {
		setEnv(t, env)
		ctx := dbtest.System()
		if code := run(ctx, []string{"migrate", "up"}, nil, io.Discard, io.Discard); code != 0 {
			t.Fatalf("migrate up: exit %d", code)
		}
		store := openConfigured(t)
		create := func(n int) {
			t.Helper()
			for range n {
				if _, err := store.CreateCase(ctx, models.NewCase{CourtCaseNumber: "22CR" + rand.Text()[:6], Caption: "People v. Other",
					Court: "Mesa County District Court", Jurisdiction: "us-co"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		create(3)
		early := headAnchor(t)
		if !strings.HasPrefix(early, "3:") {
			t.Fatalf("head after 3 events: %q", early)
		}
		db, err := store.SQLDB()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("CREATE TABLE audit_chain_saved AS SELECT * FROM audit_chain"); err != nil {
			t.Fatal(err)
		}
		create(3)
		late := headAnchor(t)
		var out bytes.Buffer
		if code := run(ctx, []string{"audit", "verify", "--expect", early, "--expect", late}, nil, &out, &out); code != 0 ||
			!strings.Contains(out.String(), "expected event 3 found") || !strings.Contains(out.String(), "expected event 6 found") {
			t.Fatalf("audit verify --expect on the same trail: exit %d, %q", code, out.String())
		}

		// The insider removes events 4 to 6 and puts back the head row saved at event 3, MAC and all.
		disableTriggers(t, store, db)
		if store.Dialect() == models.SQLite {
			if _, err := db.Exec("DROP TRIGGER audit_events_no_delete"); err != nil {
				t.Fatal(err)
			}
		}
		for _, stmt := range []string{"DELETE FROM audit_events WHERE seq > 3", "DELETE FROM audit_chain",
			"INSERT INTO audit_chain SELECT * FROM audit_chain_saved"} {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatal(err)
			}
		}
		if code, out := auditVerify(t); code != 0 || !strings.Contains(out, "intact: 3 events") {
			t.Fatalf("plain audit verify after the cut: exit %d, %q (nothing inside the database shows it)", code, out)
		}
		out.Reset()
		if code := run(ctx, []string{"audit", "verify", "--expect", late}, nil, &out, io.Discard); code != 1 ||
			!strings.Contains(out.String(), "broken at event 6 ") || !strings.Contains(out.String(), "ends at event 3") {
			t.Fatalf("audit verify --expect %s after the cut: exit %d, %q; want 1", late, code, out.String())
		}
		out.Reset()
		wrong := "3:" + strings.Repeat("ab", 32)
		if code := run(ctx, []string{"audit", "verify", "--expect", wrong}, nil, &out, io.Discard); code != 1 || !strings.Contains(out.String(), "event 3 ") {
			t.Fatalf("audit verify --expect with another hash: exit %d, %q; want 1", code, out.String())
		}
		var errOut bytes.Buffer
		if code := run(ctx, []string{"audit", "verify", "--expect", "6"}, nil, io.Discard, &errOut); code != 2 || !strings.Contains(errOut.String(), "SEQ:HASH") {
			t.Fatalf("audit verify --expect without a hash: exit %d, %q; want 2", code, errOut.String())
		}
		errOut.Reset()
		if code := run(ctx, []string{"audit", "verify", "--help"}, nil, io.Discard, &errOut); code != 0 || !strings.Contains(errOut.String(), "--expect") {
			t.Fatalf("audit verify --help: exit %d, %q", code, errOut.String())
		}
	})
}
