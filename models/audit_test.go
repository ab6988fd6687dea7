package models_test

import (
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

func rawDB(t *testing.T, s *models.Store) *sql.DB {
	t.Helper()
	db, err := s.SQLDB()
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// disableAuditTriggers does what a database administrator could do behind the application's back.
func disableAuditTriggers(t *testing.T, s *models.Store) {
	t.Helper()
	stmts := []string{"ALTER TABLE audit_events DISABLE TRIGGER USER"}
	if s.Dialect() == models.SQLite {
		stmts = []string{"DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"}
	}
	for _, stmt := range stmts {
		if _, err := rawDB(t, s).Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCaseChangesAreAudited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		sam := mustCreateUser(t, s, "sam@mesa.gov", models.RoleSupervisor)
		supervisor := models.Actor{Type: models.ActorUser, ID: sam.ID, Role: sam.Role}
		ctx := models.WithRequest(dbtest.System(), models.RequestInfo{ID: "req-1", ClientIP: "192.0.2.7", Actor: supervisor})
		c, err := s.CreateCase(ctx, mesaCase("22CR371"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateCase(ctx, c.ID, 1, models.CaseUpdate{Status: models.Some(models.CaseCharged)}); err != nil {
			t.Fatal(err)
		}
		// A change that fails leaves no event: the event commits with the change or not at all.
		if _, err := s.UpdateCase(ctx, c.ID, 2, models.CaseUpdate{Caption: models.Some("")}); err == nil {
			t.Fatal("blank caption accepted")
		}
		page, err := s.ListAuditEvents(dbtest.System(), models.AuditFilter{CaseID: c.ID, ActorID: sam.ID})
		events := page.Items
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 2 {
			t.Fatalf("%d events for the case; want 2: %+v", len(events), events)
		}
		update, create := events[0], events[1]
		if create.Action != "case.create" || update.Action != "case.update" || update.Seq != create.Seq+1 ||
			update.PrevHash != create.Hash || create.RequestID != "req-1" || create.ClientIP != "192.0.2.7" ||
			create.ActorType != models.ActorUser || create.ActorID != supervisor.ID || create.Outcome != models.OutcomeSuccess ||
			create.CaseID == nil || *create.CaseID != c.ID || create.ObjectID != c.ID {
			t.Fatalf("events:\n%+v\n%+v", create, update)
		}
		sum, err := s.VerifyAudit(dbtest.System(), nil)
		if err != nil || sum.Events != 3 || sum.FirstSeq != 1 || sum.Last != 3 {
			t.Fatalf("VerifyAudit = %+v, %v", sum, err)
		}
	})
}

func TestAuditEventsCannotBeChangedOrDeleted(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		mustCreate(t, s, mesaCase("22CR371"))
		db := rawDB(t, s)
		if _, err := db.Exec("UPDATE audit_events SET action = 'case.read' WHERE seq = 1"); err == nil {
			t.Error("UPDATE of an audit event succeeded")
		}
		if _, err := db.Exec("DELETE FROM audit_events WHERE seq = 1"); err == nil {
			t.Error("DELETE of a recent audit event succeeded")
		}
		if s.Dialect() == models.Postgres {
			if _, err := db.Exec("TRUNCATE audit_events"); err == nil {
				t.Error("TRUNCATE of the audit trail succeeded")
			}
		}
		if _, err := s.VerifyAudit(dbtest.System(), nil); err != nil {
			t.Fatalf("after refused tampering: %v", err)
		}
	})
}

func TestVerifyAuditFindsTampering(t *testing.T) {
	for _, tc := range []struct {
		name, stmt string
		seq        int64
	}{
		{"changed action", "UPDATE audit_events SET action = 'case.read' WHERE seq = 2", 2},
		{"changed actor", "UPDATE audit_events SET actor_id = 'someone' WHERE seq = 3", 3},
		{"removed from the middle", "DELETE FROM audit_events WHERE seq = 2", 3},
		{"removed from the end", "DELETE FROM audit_events WHERE seq = 4", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, s *models.Store) {
				for i := range 4 {
					mustCreate(t, s, mesaCase(fmt.Sprintf("22CR%03d", i)))
				}
				disableAuditTriggers(t, s)
				if _, err := rawDB(t, s).Exec(tc.stmt); err != nil {
					t.Fatal(err)
				}
				_, err := s.VerifyAudit(dbtest.System(), nil)
				var broken *models.BrokenChainError
				if !errors.As(err, &broken) || broken.Seq != tc.seq {
					t.Fatalf("VerifyAudit after %q: %v; want the chain broken at event %d", tc.stmt, err, tc.seq)
				}
			})
		})
	}
}

// TestAuditEventsOlderThanAYearMayBePurged checks the retention rule: a year-old prefix of the trail can be
// deleted, nothing younger can, and what remains still verifies.
func TestAuditEventsOlderThanAYearMayBePurged(t *testing.T) {
	var clock atomic.Pointer[time.Time]
	longAgo := time.Now().AddDate(0, 0, -400)
	clock.Store(&longAgo)
	moveableClock := func(cfg *models.Config) { cfg.Now = func() time.Time { return *clock.Load() } }
	dbtest.EachWith(t, moveableClock, func(t *testing.T, s *models.Store) {
		clock.Store(&longAgo)
		mustCreate(t, s, mesaCase("21CR001"))
		today := time.Now()
		clock.Store(&today)
		mustCreate(t, s, mesaCase("22CR001"))
		mustCreate(t, s, mesaCase("22CR002"))

		db := rawDB(t, s)
		if _, err := db.Exec("DELETE FROM audit_events WHERE seq = 1"); err != nil {
			t.Fatalf("purging an event older than a year: %v", err)
		}
		if _, err := db.Exec("DELETE FROM audit_events WHERE seq = 2"); err == nil {
			t.Fatal("purging a recent event succeeded")
		}
		sum, err := s.VerifyAudit(dbtest.System(), nil)
		if err != nil || sum.FirstSeq != 2 || sum.Events != 2 {
			t.Fatalf("after the purge: %+v, %v", sum, err)
		}
	})
}

func TestConcurrentAppendsFormOneChain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				if _, err := s.CreateCase(dbtest.System(), mesaCase(fmt.Sprintf("23CR%03d", i))); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		sum, err := s.VerifyAudit(dbtest.System(), nil)
		if err != nil || sum.Events != 16 || sum.Last != 16 {
			t.Fatalf("after 16 concurrent creates: %+v, %v", sum, err)
		}
	})
}

// TestVerifyAuditWhileWritesGoOn checks that verification of a live system checks up to the head it saw,
// and never mistakes events appended meanwhile for tampering.
func TestVerifyAuditWhileWritesGoOn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := range 60 {
				if _, err := s.CreateCase(dbtest.System(), mesaCase(fmt.Sprintf("24CR%03d", i))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		for {
			select {
			case <-done:
				if _, err := s.VerifyAudit(dbtest.System(), nil); err != nil {
					t.Fatal(err)
				}
				return
			default:
				if _, err := s.VerifyAudit(dbtest.System(), nil); err != nil {
					t.Fatalf("verify during writes: %v", err)
				}
			}
		}
	})
}
