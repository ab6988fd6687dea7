package models

import "github.com/impactledger/impactledger/sealing"

// sealer seals and opens the values of one row under its case's data key, each bound to its column.
type sealer struct {
	key        []byte
	table, row string
}

func (s sealer) place(column string) sealing.Place {
	return sealing.Place{Table: s.table, Column: column, RowID: s.row}
}

// seal encrypts a value that is always stored, empty or not (such as notes).
func (s sealer) seal(column, plain string) (string, error) {
	return sealing.Seal(s.key, s.place(column), []byte(plain))
}

// sealOptional encrypts a value that may be absent: empty is stored as NULL.
func (s sealer) sealOptional(column, plain string) (*string, error) {
	if plain == "" {
		return nil, nil
	}
	sealed, err := s.seal(column, plain)
	return &sealed, err
}

func (s sealer) open(column, sealed string) (string, error) {
	plain, err := sealing.Open(s.key, s.place(column), sealed)
	return string(plain), err
}

// openOptional decrypts a value that may be NULL, which opens as empty.
func (s sealer) openOptional(column string, sealed *string) (string, error) {
	if sealed == nil {
		return "", nil
	}
	return s.open(column, *sealed)
}
