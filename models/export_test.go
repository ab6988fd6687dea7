package models

import (
	"context"
	"errors"

	"gorm.io/gorm"
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

// SetImportChunkForTest makes imports write n rows a transaction, so that tests can stop one between chunks
// the same way on either database.
func (s *Store) SetImportChunkForTest(n int) { s.importChunk = n }
