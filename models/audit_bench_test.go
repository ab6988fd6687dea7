package models_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

// BenchmarkCaseCreation creates cases one after another, and from 16 goroutines at once: each creation
// writes the case, makes its data key and appends its audit event, queued on the chain head. It measures
// what the audit chain costs a write.
func BenchmarkCaseCreation(b *testing.B) {
	dbtest.EachB(b, func(b *testing.B, s *models.Store) {
		var n atomic.Int64
		create := func(b *testing.B) {
			if _, err := s.CreateCase(dbtest.System(), mesaCase(fmt.Sprintf("B%09d", n.Add(1)))); err != nil {
				b.Fatal(err)
			}
		}
		b.Run("serial", func(b *testing.B) {
			for b.Loop() {
				create(b)
			}
		})
		b.Run("parallel16", func(b *testing.B) {
			b.SetParallelism(8) // 16 goroutines on 2 cores
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					create(b)
				}
			})
		})
	})
}

// BenchmarkDenialCounting refuses one signed-in actor again and again, each time for another random victim
// ID, as a scanner does, one refusal after another and from 8 goroutines at once: after the first, which
// writes the minute's access.denied event, each is only counted. On SQLite every count goes through the one
// writer, so this is what a scanner takes from every real change.
func BenchmarkDenialCounting(b *testing.B) {
	dbtest.EachB(b, func(b *testing.B, s *models.Store) {
		scanner := models.WithActor(dbtest.System(), models.Actor{Type: models.ActorUser, ID: uuid.NewString(), Role: models.RoleClerk})
		refuse := func(b *testing.B) {
			d := models.Denial{Operation: "getVictim", Reason: "not-found", Status: 404, ObjectType: "victim", ObjectID: uuid.NewString()}
			if err := s.RecordDenial(scanner, d); err != nil {
				b.Fatal(err)
			}
		}
		b.Run("serial", func(b *testing.B) {
			for b.Loop() {
				refuse(b)
			}
		})
		b.Run("parallel8", func(b *testing.B) {
			b.SetParallelism(4) // 8 goroutines on 2 cores
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					refuse(b)
				}
			})
		})
	})
}

// BenchmarkCaseCreationUnderProbes creates cases one after another while 8 goroutines refuse one signed-in
// actor as fast as they can, each time for another random victim ID: what a scanner's counted refusals cost
// the real changes queued behind them on the database's writer. Compare with BenchmarkCaseCreation/serial.
func BenchmarkCaseCreationUnderProbes(b *testing.B) {
	dbtest.EachB(b, func(b *testing.B, s *models.Store) {
		scanner := models.WithActor(dbtest.System(), models.Actor{Type: models.ActorUser, ID: uuid.NewString(), Role: models.RoleClerk})
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var refused atomic.Int64
		for range 8 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					d := models.Denial{Operation: "getVictim", Reason: "not-found", Status: 404, ObjectType: "victim", ObjectID: uuid.NewString()}
					if err := s.RecordDenial(scanner, d); err != nil {
						b.Error(err)
						return
					}
					refused.Add(1)
				}
			})
		}
		var n atomic.Int64
		start := time.Now()
		for b.Loop() {
			if _, err := s.CreateCase(dbtest.System(), mesaCase(fmt.Sprintf("P%09d", n.Add(1)))); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(refused.Load())/time.Since(start).Seconds(), "refusals/s")
		close(stop)
		wg.Wait()
	})
}
