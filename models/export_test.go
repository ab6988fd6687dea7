package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/impactledger/impactledger/restitution"
)

// MakeKeyThenRollBack makes the data key of scope in a transaction, reads it back there, and rolls the
// transaction back: what a write that fails after sealing two values does.
func (s *Store) MakeKeyThenRollBack(ctx context.Context, scope string) error {
	rollBack := errors.New("rolled back on purpose")
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		if _, err := s.dataKeyFor(tx, scope); err != nil {
			return err
		}
		if _, err := s.dataKeyFor(tx, scope); err != nil {
			return err
		}
		return rollBack
	})
	if errors.Is(err, rollBack) {
		return nil
	}
	return err
}

// HoldImportForTest claims the import with id for a worker that then dies without a word: its token stays,
// and its heartbeat stops now.
func (s *Store) HoldImportForTest(ctx context.Context, id string) error {
	return s.write.WithContext(ctx).Model(&victimImportRow{}).Where("id = ?", id).
		Updates(map[string]any{"worker_token": "a worker that died", "heartbeat_at": s.now()}).Error
}

// SetImportRunsForTest records that n runs have taken the import with id already.
func (s *Store) SetImportRunsForTest(ctx context.Context, id string, n int) error {
	return s.write.WithContext(ctx).Model(&victimImportRow{}).Where("id = ?", id).Update("runs", n).Error
}

// DeleteOneImportedVictimForTest deletes one victim an unfinished import wrote (and its losses), as a
// database restored to an odd point might: the import no longer adds up.
func (s *Store) DeleteOneImportedVictimForTest(ctx context.Context, importID string) error {
	return s.inTx(ctx, func(tx *gorm.DB) error {
		var id string
		if err := tx.Raw("SELECT id FROM victims WHERE import_id = ? LIMIT 1", importID).Scan(&id).Error; err != nil {
			return err
		}
		if err := tx.Exec("DELETE FROM losses WHERE victim_id = ?", id).Error; err != nil {
			return err
		}
		return tx.Exec("DELETE FROM victims WHERE id = ?", id).Error
	})
}

// benchVictim is the least of a victim a benchmark needs: the restitution ledger reads kind and name only.
type benchVictim struct {
	ID        string
	CaseID    string
	Kind      VictimKind
	Name      string
	SearchKey string
	Notes     string
	CreatedAt string
	UpdatedAt string
}

func (benchVictim) TableName() string { return "victims" }

// SeedVictimsForTest writes one victim of the case per kind in kinds, in one statement, for benchmarks that
// need a hundred thousand of them; it returns their IDs in order.
func (s *Store) SeedVictimsForTest(ctx context.Context, caseID string, kinds []VictimKind) ([]string, error) {
	rows := make([]benchVictim, len(kinds))
	ids := make([]string, len(kinds))
	at := s.now().Format(time.RFC3339Nano)
	for i, k := range kinds {
		id, err := uuid.NewV7()
		if err != nil {
			return nil, err
		}
		ids[i] = id.String()
		name := fmt.Sprintf("Victim %06d", i)
		rows[i] = benchVictim{ID: ids[i], CaseID: caseID, Kind: k, Name: name, SearchKey: strings.ToLower(name), Notes: "-", CreatedAt: at, UpdatedAt: at}
	}
	return ids, s.inTx(ctx, func(tx *gorm.DB) error { return s.insertMany(tx, rows) })
}

// SeedPaymentsForTest posts n payments of amount on the order, one a day from the order date, allocating
// each as RecordPayment does, and writes them in one transaction: a ledger of n entries in seconds rather
// than n round trips.
func (s *Store) SeedPaymentsForTest(ctx context.Context, orderID string, n int, amount int64) error {
	return s.inTx(ctx, func(tx *gorm.DB) error {
		o, err := s.orderByID(tx, orderID, true)
		if err != nil {
			return err
		}
		l, _, err := loadLedger(tx, o)
		if err != nil {
			return err
		}
		var entries []entryRow
		var allocations []allocationRow
		for i := range n {
			on := dayOf(o.OrderedOn) + restitution.Day(i)
			allocs, unapplied, err := l.Allocate(on, amount)
			if err != nil {
				return err
			}
			id, _ := uuid.NewV7()
			seq := int64(len(l.Entries) + 1)
			l.Entries = append(l.Entries, restitution.Entry{Kind: restitution.Payment, On: on, Seq: seq, AmountCents: amount, Allocations: allocs, UnappliedCents: unapplied})
			entries = append(entries, entryRow{ID: id.String(), OrderID: o.ID, Seq: seq, Kind: restitution.Payment, EffectiveOn: dateOfDay(on),
				AmountCents: amount, UnappliedCents: unapplied, PayerDefendantID: &o.DefendantIDs[0], Method: new("check"),
				CreatedAt: s.now()})
			for _, a := range allocs {
				allocations = append(allocations, allocationRow{EntryID: id.String(), VictimID: a.VictimID, PrincipalCents: a.PrincipalCents, InterestCents: a.InterestCents})
			}
		}
		if err := tx.CreateInBatches(entries, 500).Error; err != nil {
			return err
		}
		return s.insertMany(tx, allocations)
	})
}

// HoldHashSlotsForTest takes every slot that password hashing runs in, as a flood of sign-ins would, until
// release is called.
func (s *Store) HoldHashSlotsForTest() (release func()) {
	for range cap(s.hashSlots) {
		s.hashSlots <- struct{}{}
	}
	return func() {
		for range cap(s.hashSlots) {
			<-s.hashSlots
		}
	}
}

// RecordStatementsForTest records the SQL of every statement the store runs from now on, without its values,
// until stop is called, which answers them in order. Its callbacks stay registered but record nothing after
// stop (GORM warns on every removal), so it suits a store that a test throws away.
func (s *Store) RecordStatementsForTest() (stop func() []string) {
	name := "test:record-statements:" + uuid.NewString()
	var mu sync.Mutex
	var seen []string
	recording := true
	record := func(db *gorm.DB) {
		mu.Lock()
		defer mu.Unlock()
		if recording {
			seen = append(seen, db.Statement.SQL.String())
		}
	}
	for _, db := range s.pools() {
		cb := db.Callback()
		for _, p := range []interface {
			Register(string, func(*gorm.DB)) error
		}{cb.Query(), cb.Create(), cb.Update(), cb.Delete(), cb.Row(), cb.Raw()} {
			if err := p.Register(name, record); err != nil {
				panic(err)
			}
		}
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		recording = false
		return seen
	}
}
