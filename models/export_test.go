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
