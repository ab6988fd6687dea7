package jobs

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

// TestCountedRefusalsAreWrittenOut refuses an actor three times within a minute, two minutes ago, and then
// leaves them alone: the periodic job writes the two refusals that were only counted.
func TestCountedRefusalsAreWrittenOut(t *testing.T) {
	var clock atomic.Pointer[time.Time]
	dbtest.EachWith(t, func(c *models.Config) { c.Now = func() time.Time { return *clock.Load() } }, func(t *testing.T, s *models.Store) {
		before := time.Now().Add(-2 * time.Minute)
		clock.Store(&before)
		f := newFixture(t, s)
		for range 3 {
			if err := s.RecordDenial(f.ctx, models.Denial{Reason: "not-found", Status: 404}); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now()
		clock.Store(&now)
		q, err := New(Config{Store: s, Documents: f.docs, PollInterval: 100 * time.Millisecond, Logger: slog.New(slog.DiscardHandler), DenialFlushInterval: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer q.Stop(context.Background())
		deadline := time.Now().Add(15 * time.Second)
		for {
			page, err := s.ListAuditEvents(context.Background(), models.AuditFilter{Action: models.AccessDeniedAction})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) == 2 {
				if page.Items[0].Detail != `{"count":2,"reason":"summary"}` || page.Items[0].ActorID != models.ActorOf(f.ctx).ID {
					t.Fatalf("the written-out count: %+v", page.Items[0])
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the counted refusals were not written out: %+v", page.Items)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}
