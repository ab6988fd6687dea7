package models_test

import (
	"fmt"
	"sync/atomic"
	"testing"

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
