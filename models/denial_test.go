package models_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

// TestConcurrentDenialsWriteOneEvent refuses one actor 50 times at once, and 50 times more: however the
// refusals interleave (on PostgreSQL they race for real), one access.denied event is written for the minute,
// and the next one after it counts the other 99 and itself, none lost between the counting without a lock
// and the locked path, and lists the four objects they addressed.
func TestConcurrentDenialsWriteOneEvent(t *testing.T) {
	var clock atomic.Pointer[time.Time]
	dbtest.EachWith(t, func(c *models.Config) { c.Now = func() time.Time { return *clock.Load() } }, func(t *testing.T, s *models.Store) {
		now := time.Now()
		clock.Store(&now)
		scanner := models.WithActor(context.Background(), models.Actor{Type: models.ActorUser, ID: "01a00000-0000-7000-8000-00000000beef", Role: models.RoleAdvocate})
		bystander := models.WithActor(context.Background(), models.Actor{Type: models.ActorUser, ID: "01a00000-0000-7000-8000-00000000cafe", Role: models.RoleClerk})
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				if err := s.RecordDenial(scanner, models.Denial{Reason: "not-found", Status: 404, ObjectType: "case"}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if err := s.RecordDenial(bystander, models.Denial{Reason: "forbidden", Status: 403}); err != nil {
			t.Fatal(err)
		}
		count := func(actorID string) []models.AuditEvent {
			page, err := s.ListAuditEvents(dbtest.System(), models.AuditFilter{ActorID: actorID, Action: models.AccessDeniedAction})
			if err != nil {
				t.Fatal(err)
			}
			return page.Items
		}
		if got := count(models.ActorOf(scanner).ID); len(got) != 1 || got[0].Detail != `{"count":1,"reason":"not-found","status":404}` {
			t.Fatalf("scanner's events after 50 refusals at once: %+v", got)
		}
		if got := count(models.ActorOf(bystander).ID); len(got) != 1 {
			t.Fatalf("bystander's events: %+v", got)
		}
		// 50 more within the minute, over three objects: counted, most without a lock, none lost.
		for i := range 50 {
			wg.Go(func() {
				d := models.Denial{Reason: "not-found", Status: 404, ObjectType: "case", ObjectID: fmt.Sprintf("01a00000-0000-7000-8000-00000000000%d", i%3)}
				if err := s.RecordDenial(scanner, d); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := count(models.ActorOf(scanner).ID); len(got) != 1 {
			t.Fatalf("scanner's events after 100 refusals within a minute: %+v", got)
		}
		later := now.Add(models.DenialWindow)
		clock.Store(&later)
		if err := s.RecordDenial(scanner, models.Denial{Reason: "not-found", Status: 404}); err != nil {
			t.Fatal(err)
		}
		got := count(models.ActorOf(scanner).ID)
		var detail struct {
			Count   int
			Objects []map[string]string
		}
		if len(got) != 2 || json.Unmarshal([]byte(got[0].Detail), &detail) != nil || detail.Count != 100 || len(detail.Objects) != 4 {
			t.Fatalf("scanner's events a minute on: %+v", got)
		}
		if _, err := s.VerifyAudit(dbtest.System(), nil); err != nil {
			t.Fatal(err)
		}
	})
}

// TestFlushDenialsWritesWhatWasOnlyCounted checks that refusals counted after an actor's latest event reach
// the trail once the window has passed, even if the actor is never refused again, and never sooner.
func TestFlushDenialsWritesWhatWasOnlyCounted(t *testing.T) {
	var clock atomic.Pointer[time.Time]
	dbtest.EachWith(t, func(c *models.Config) { c.Now = func() time.Time { return *clock.Load() } }, func(t *testing.T, s *models.Store) {
		now := time.Now()
		clock.Store(&now)
		scanner := models.WithActor(context.Background(), models.Actor{Type: models.ActorUser, ID: "01a00000-0000-7000-8000-00000000beef", Role: models.RoleAdvocate})
		quiet := models.WithActor(context.Background(), models.Actor{Type: models.ActorUser, ID: "01a00000-0000-7000-8000-00000000cafe", Role: models.RoleClerk})
		for range 10 {
			if err := s.RecordDenial(scanner, models.Denial{Reason: "not-found", Status: 404}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.RecordDenial(quiet, models.Denial{Reason: "forbidden", Status: 403}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.FlushDenials(dbtest.System()); err != nil || n != 0 {
			t.Fatalf("FlushDenials within the window = %d, %v; want nothing written yet", n, err)
		}
		later := now.Add(models.DenialWindow)
		clock.Store(&later)
		if n, err := s.FlushDenials(dbtest.System()); err != nil || n != 1 {
			t.Fatalf("FlushDenials after the window = %d, %v; want the scanner's count written", n, err)
		}
		page, err := s.ListAuditEvents(dbtest.System(), models.AuditFilter{ActorID: models.ActorOf(scanner).ID})
		if err != nil || len(page.Items) != 2 || page.Items[0].Detail != `{"count":9,"reason":"summary"}` {
			t.Fatalf("scanner's events %+v, %v", page.Items, err)
		}
		if n, err := s.FlushDenials(dbtest.System()); err != nil || n != 0 {
			t.Fatalf("FlushDenials again = %d, %v", n, err)
		}
		// The written-out count is an event like any other: the next refusal within a minute of it is counted.
		if err := s.RecordDenial(scanner, models.Denial{Reason: "not-found", Status: 404}); err != nil {
			t.Fatal(err)
		}
		if page, _ := s.ListAuditEvents(dbtest.System(), models.AuditFilter{ActorID: models.ActorOf(scanner).ID}); len(page.Items) != 2 {
			t.Fatalf("a refusal right after the written-out count wrote an event: %+v", page.Items[0])
		}
	})
}

// TestDeniedObjectsAreBounded refuses one actor for 250 distinct objects within a minute: the next event
// lists the first MaxListedDenials, and says that at least 201 more were beyond them, where counting them
// one by one would take a row as wide as the scan; the counter row stays small.
func TestDeniedObjectsAreBounded(t *testing.T) {
	var clock atomic.Pointer[time.Time]
	dbtest.EachWith(t, func(c *models.Config) { c.Now = func() time.Time { return *clock.Load() } }, func(t *testing.T, s *models.Store) {
		now := time.Now()
		clock.Store(&now)
		scanner := models.WithActor(dbtest.System(), models.Actor{Type: models.ActorUser, ID: "01a00000-0000-7000-8000-00000000beef", Role: models.RoleAdvocate})
		for i := range 251 {
			d := models.Denial{Operation: "getVictim", Reason: "not-found", Status: 404, ObjectType: "victim", ObjectID: fmt.Sprintf("01a00000-0000-7000-8000-%012d", i)}
			if err := s.RecordDenial(scanner, d); err != nil {
				t.Fatal(err)
			}
		}
		// 20 objects listed in full and fingerprints of the rest: a few KiB, where listing all 251 would take
		// some 25 KiB.
		var widest int
		if err := rawDB(t, s).QueryRow("SELECT max(length(objects)) FROM audit_denial_counters").Scan(&widest); err != nil || widest > 8192 {
			t.Fatalf("counter row objects %d characters, %v", widest, err)
		}
		later := now.Add(models.DenialWindow)
		clock.Store(&later)
		if _, err := s.FlushDenials(dbtest.System()); err != nil {
			t.Fatal(err)
		}
		page, err := s.ListAuditEvents(dbtest.System(), models.AuditFilter{ActorID: models.ActorOf(scanner).ID})
		if err != nil || len(page.Items) != 2 {
			t.Fatalf("events %+v, %v", page.Items, err)
		}
		var detail struct {
			Count       int
			Objects     []map[string]string
			AtLeast     int  `json:"objects_beyond_at_least"`
			ExactlyMore *int `json:"objects_beyond"`
		}
		if err := json.Unmarshal([]byte(page.Items[0].Detail), &detail); err != nil || detail.Count != 250 || len(detail.Objects) != models.MaxListedDenials ||
			detail.AtLeast != 201 || detail.ExactlyMore != nil || !strings.HasSuffix(detail.Objects[0]["object_id"], "000000000001") {
			t.Fatalf("summary %s", page.Items[0].Detail)
		}
	})
}
