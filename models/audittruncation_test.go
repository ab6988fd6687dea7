package models_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/sealing"
)

// saveHead copies the chain head row aside, as a backup of the database would keep it.
func saveHead(t *testing.T, s *models.Store) {
	t.Helper()
	sqlExec(t, s, "CREATE TABLE audit_chain_saved AS SELECT * FROM audit_chain")
}

// restoreHead puts the saved head row back, its keyed MAC and all: someone with the database owner's rights
// winding the head back to a state the service itself once wrote.
func restoreHead(t *testing.T, s *models.Store) {
	t.Helper()
	sqlExec(t, s, "DELETE FROM audit_chain")
	sqlExec(t, s, "INSERT INTO audit_chain SELECT * FROM audit_chain_saved")
}

// TestRestoredHeadIsCaught restores a head row saved four events ago over the current one: its MAC is
// genuine, so only the events that lie beyond it show that it was wound back, and they must, even when one
// of them was rewritten as well. The service chains nothing to such a head.
func TestRestoredHeadIsCaught(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		for i := range 4 {
			mustCreate(t, s, mesaCase(fmt.Sprintf("22CR%03d", i)))
		}
		saveHead(t, s)
		for i := range 3 {
			mustCreate(t, s, mesaCase(fmt.Sprintf("23CR%03d", i)))
		}
		disableAuditTriggers(t, s)
		sqlExec(t, s, "UPDATE audit_events SET action = 'case.read' WHERE seq = 6")
		restoreHead(t, s)
		if b := wantBrokenAt(t, s, 5); !strings.Contains(b.Reason, "beyond the chain head") {
			t.Fatalf("reason %q", b.Reason)
		}
		if _, err := s.CreateCase(dbtest.System(), mesaCase("24CR001")); !errors.Is(err, models.ErrAuditHeadTampered) {
			t.Fatalf("CreateCase on a restored head: %v; want ErrAuditHeadTampered", err)
		}
	})
}

// TestAppendDuringVerifyIsNotTampering appends an event while verification walks the trail: it lies beyond
// the head verification read first, and the head read again at the end shows that it was appended, not
// hidden.
func TestAppendDuringVerifyIsNotTampering(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		for i := range 3 {
			mustCreate(t, s, mesaCase(fmt.Sprintf("22CR%03d", i)))
		}
		appended := false
		sum, err := s.VerifyAudit(dbtest.System(), func(int64) {
			if !appended {
				appended = true
				mustCreate(t, s, mesaCase("23CR001"))
			}
		})
		if err != nil || !appended || sum.Last != 3 {
			t.Fatalf("VerifyAudit with an append during the walk = %+v, %v (appended %v)", sum, err, appended)
		}
	})
}

// TestYoungEventsRemovedFromTheStartAreCaught deletes the first 20 of 39 recent events: the triggers let only
// events older than 365 days go, so a trail that starts at event 21 with a young event before it was cut.
func TestYoungEventsRemovedFromTheStartAreCaught(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		for i := range 39 {
			mustCreate(t, s, mesaCase(fmt.Sprintf("22CR%03d", i)))
		}
		disableAuditTriggers(t, s)
		sqlExec(t, s, "DELETE FROM audit_events WHERE seq <= 20")
		if b := wantBrokenAt(t, s, 21); !strings.Contains(b.Reason, "events 1 to 20 are missing") {
			t.Fatalf("reason %q", b.Reason)
		}
	})
}

// TestPurgesVerify purges as the database owner would, with the triggers on (they let go of events older than
// 365 days): of a sparse trail, whose oldest remaining event is then only days old; of a trail that was
// entirely a year old, which leaves no event at all. Both still verify. Cutting the same sparse trail one
// event further, past the last event a purge could remove, does not.
func TestPurgesVerify(t *testing.T) {
	clk := &clock{}
	purge := func(t *testing.T, s *models.Store) {
		t.Helper()
		sqlExec(t, s, "DELETE FROM audit_events WHERE occurred_at < ?", time.Now().UTC().AddDate(0, 0, -366))
	}
	sparse := func(t *testing.T, s *models.Store) {
		t.Helper()
		for i, age := range []int{400, 380, 10, 5, 0} {
			clk.Set(time.Now().AddDate(0, 0, -age))
			mustCreate(t, s, mesaCase(fmt.Sprintf("22CR%03d", i)))
		}
		clk.Set(time.Now())
	}
	t.Run("sparse trail", func(t *testing.T) {
		dbtest.EachWith(t, clk.use, func(t *testing.T, s *models.Store) {
			sparse(t, s)
			purge(t, s)
			sum, err := s.VerifyAudit(dbtest.System(), nil)
			if err != nil || sum.FirstSeq != 3 || sum.Events != 3 || sum.Last != 5 {
				t.Fatalf("after the purge: %+v, %v", sum, err)
			}
			mustCreate(t, s, mesaCase("23CR001"))
			if _, err := s.VerifyAudit(dbtest.System(), nil); err != nil {
				t.Fatalf("after the purge and a new event: %v", err)
			}
		})
	})
	t.Run("cut past the purge", func(t *testing.T) {
		dbtest.EachWith(t, clk.use, func(t *testing.T, s *models.Store) {
			sparse(t, s)
			disableAuditTriggers(t, s)
			sqlExec(t, s, "DELETE FROM audit_events WHERE seq <= 3")
			if b := wantBrokenAt(t, s, 4); !strings.Contains(b.Reason, "events 1 to 3 are missing") {
				t.Fatalf("reason %q", b.Reason)
			}
		})
	})
	t.Run("whole trail", func(t *testing.T) {
		dbtest.EachWith(t, clk.use, func(t *testing.T, s *models.Store) {
			clk.Set(time.Now().AddDate(0, 0, -400))
			for i := range 3 {
				mustCreate(t, s, mesaCase(fmt.Sprintf("21CR%03d", i)))
			}
			clk.Set(time.Now())
			purge(t, s)
			if events := allEvents(t, s); len(events) != 0 {
				t.Fatalf("%d events left after the purge", len(events))
			}
			sum, err := s.VerifyAudit(dbtest.System(), nil)
			if err != nil || sum.Events != 0 || sum.Last != 3 || sum.HeadHash == "" {
				t.Fatalf("after purging every event: %+v, %v", sum, err)
			}
			mustCreate(t, s, mesaCase("22CR001"))
			if sum, err := s.VerifyAudit(dbtest.System(), nil); err != nil || sum.FirstSeq != 4 || sum.Events != 1 {
				t.Fatalf("after purging every event and a new one: %+v, %v", sum, err)
			}
		})
	})
}

// TestLegacyEventsRemovedFromTheStart applies the same rule to events from before the chain was keyed, which
// do not record the time of the event before them: a legacy trail may start after event 1 only with an
// event that is itself older than 365 days.
func TestLegacyEventsRemovedFromTheStart(t *testing.T) {
	for _, tc := range []struct {
		name     string
		age      int
		triggers bool
		wantSeq  int64
	}{
		{"year-old events purged", 400, true, 0},
		{"recent events cut", 2, false, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, s *models.Store) {
				dbtest.WriteLegacyAuditChain(t, rawDB(t, s), s.Dialect(), 5, time.Now().AddDate(0, 0, -tc.age))
				if _, err := s.SealAuditChain(dbtest.System()); err != nil {
					t.Fatal(err)
				}
				if !tc.triggers {
					disableAuditTriggers(t, s)
				}
				sqlExec(t, s, "DELETE FROM audit_events WHERE seq <= 2")
				if tc.wantSeq != 0 {
					if b := wantBrokenAt(t, s, tc.wantSeq); !strings.Contains(b.Reason, "events 1 to 2 are missing") {
						t.Fatalf("reason %q", b.Reason)
					}
					return
				}
				if sum, err := s.VerifyAudit(dbtest.System(), nil); err != nil || sum.FirstSeq != 3 || sum.Legacy != 3 || sum.Keyed != 1 {
					t.Fatalf("after the purge: %+v, %v", sum, err)
				}
			})
		})
	}
}

// TestEmptiedTrailIsCaught deletes every event and resets the head to the start of an empty trail: that the
// audit key was used (the audit data key exists) or that audited records exist (staff accounts) shows that
// events were written, so the trail was emptied, and the service does not start it again.
func TestEmptiedTrailIsCaught(t *testing.T) {
	empty := func(t *testing.T, s *models.Store) {
		t.Helper()
		disableAuditTriggers(t, s)
		sqlExec(t, s, "DELETE FROM audit_events")
		sqlExec(t, s, "UPDATE audit_chain SET seq = 0, hash = ?, key_id = '', mac = '' WHERE id = 1",
			"0000000000000000000000000000000000000000000000000000000000000000")
	}
	t.Run("audit data key", func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, s *models.Store) {
			mustCreate(t, s, mesaCase("22CR001"))
			empty(t, s)
			if b := wantBrokenAt(t, s, 1); !strings.Contains(b.Reason, "emptied") {
				t.Fatalf("reason %q", b.Reason)
			}
			if _, err := s.CreateCase(dbtest.System(), mesaCase("22CR002")); !errors.Is(err, models.ErrAuditHeadTampered) {
				t.Fatalf("CreateCase on an emptied trail: %v; want ErrAuditHeadTampered", err)
			}
		})
	})
	t.Run("configured audit key", func(t *testing.T) {
		dbtest.EachWith(t, func(c *models.Config) {
			k := dbtest.NewKeys(t)[0]
			k.ID = "office-audit"
			c.AuditKeys = []sealing.KEK{k}
		}, func(t *testing.T, s *models.Store) {
			mustCreateUser(t, s, "dana@mesa.gov", models.RoleAdvocate)
			empty(t, s)
			if b := wantBrokenAt(t, s, 1); !strings.Contains(b.Reason, "emptied") {
				t.Fatalf("reason %q", b.Reason)
			}
		})
	})
	t.Run("never used", func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, s *models.Store) {
			if sum, err := s.VerifyAudit(dbtest.System(), nil); err != nil || sum.Events != 0 || sum.Last != 0 {
				t.Fatalf("a new trail: %+v, %v", sum, err)
			}
		})
	})
}
