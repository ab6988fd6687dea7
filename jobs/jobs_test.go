package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/documents"
	"github.com/impactledger/impactledger/models"
)

// list is a victim list of n people.
func list(n int) string {
	var b strings.Builder
	b.WriteString("kind,name,ssn\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "individual,Person %d,%03d-%02d-%04d\n", i, 100+i/9000, 10+(i/100)%89, 1000+i%9000)
	}
	return b.String()
}

type fixture struct {
	store *models.Store
	docs  documents.Storage
	ctx   context.Context
	c     models.Case
}

func newFixture(t *testing.T, s *models.Store) fixture {
	t.Helper()
	docs, err := documents.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(dbtest.System(), models.NewUser{Email: "dana@mesa.gov", DisplayName: "Dana Reyes",
		Role: models.RoleAdvocate, Password: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := models.WithActor(context.Background(), models.Actor{Type: models.ActorUser, ID: u.ID, Role: models.RoleAdvocate})
	c, err := s.CreateCase(ctx, models.NewCase{CourtCaseNumber: "22CR371", Caption: "People v. Tina Peters",
		Court: "Mesa County District Court", Jurisdiction: "us-co"})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{store: s, docs: docs, ctx: ctx, c: c}
}

func (f fixture) queue(t *testing.T, progress func(models.VictimImport)) *Queue {
	t.Helper()
	q, err := New(Config{Store: f.store, Documents: f.docs, Logger: slog.New(slog.DiscardHandler),
		PollInterval: 100 * time.Millisecond, ImportProgress: progress})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func (f fixture) wait(t *testing.T, id string, within time.Duration) models.VictimImport {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		imp, err := f.store.VictimImportByID(f.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if imp.Finished() {
			return imp
		}
		if time.Now().After(deadline) {
			t.Fatalf("import not finished within %s: %+v", within, imp)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAStoppedQueueLetsGoAndTheNextFinishes stops the queue (SIGTERM does) while an import writes: the
// import lets go at once, and the next queue to start carries it on without waiting for it to go stale.
func TestAStoppedQueueLetsGoAndTheNextFinishes(t *testing.T) {
	dbtest.EachWith(t, func(cfg *models.Config) { cfg.ImportChunkRows = 500 }, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		reached, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		first := f.queue(t, func(imp models.VictimImport) {
			if imp.Status == models.ImportImporting && imp.RowsDone >= 500 {
				once.Do(func() {
					close(reached)
					<-release
				})
			}
		})
		if err := first.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		imp, _, err := s.StartVictimImport(f.ctx, f.docs, f.c.ID, "", strings.NewReader(list(2000)))
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-reached:
		case <-time.After(time.Minute):
			t.Fatal("the import never started writing")
		}
		stopped := make(chan error)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			stopped <- first.Stop(ctx)
		}()
		time.Sleep(1500 * time.Millisecond) // past Stop's grace: the running import is cancelled
		close(release)
		if err := <-stopped; err != nil {
			t.Fatalf("stopping: %v", err)
		}
		if now, err := s.VictimImportByID(f.ctx, imp.ID); err != nil || now.Finished() || now.RowsDone != 500 {
			t.Fatalf("after the stop: %+v, %v", now, err)
		}

		second := f.queue(t, nil)
		started := time.Now()
		if err := second.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			second.Stop(ctx)
		}()
		done := f.wait(t, imp.ID, models.ImportStaleAfter)
		if done.Status != models.ImportSucceeded || done.VictimsCreated != 2000 {
			t.Fatalf("%+v", done)
		}
		t.Logf("carried on %s after the next start", time.Since(started).Round(time.Millisecond))
	})
}

// TestTheLastAttemptFailsTheImport runs the worker as River would on an import that cannot run (its sealed
// upload is gone): an early attempt fails to be retried, the last one fails the import cleanly.
func TestTheLastAttemptFailsTheImport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		q := f.queue(t, nil)
		s.SetJobQueue(q)
		imp, _, err := s.StartVictimImport(f.ctx, f.docs, f.c.ID, "", strings.NewReader(list(10)))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.docs.Remove(f.ctx, imp.ID); err != nil {
			t.Fatal(err)
		}
		w := &victimImportWorker{q: q}
		job := func(attempt int) *river.Job[VictimImportArgs] {
			return &river.Job[VictimImportArgs]{JobRow: &rivertype.JobRow{Attempt: attempt, MaxAttempts: 10},
				Args: VictimImportArgs{ImportID: imp.ID}}
		}
		err = w.Work(context.Background(), job(3))
		if err == nil || strings.Contains(err.Error(), imp.ID+".sealed") {
			t.Fatalf("an early attempt answered %v; want an error of its class only, to retry", err)
		}
		if now, _ := s.VictimImportByID(f.ctx, imp.ID); now.Finished() {
			t.Fatalf("an early attempt ended the import: %+v", now)
		}
		if err := w.Work(context.Background(), job(10)); err != nil {
			t.Fatalf("the last attempt answered %v", err)
		}
		if now, _ := s.VictimImportByID(f.ctx, imp.ID); now.Status != models.ImportFailed || now.Failure != models.ImportServerError {
			t.Fatalf("after the last attempt: %+v", now)
		}
	})
}
