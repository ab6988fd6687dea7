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
