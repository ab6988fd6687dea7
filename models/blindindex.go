package models

import (
	"strings"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"

	"github.com/impactledger/impactledger/sealing"
)

// BlindIndexScope is the data_keys scope of the key behind every blind index. It is a data key like a
// case's, wrapped by the key-encryption key and rewrapped by rotation, but it is never used to seal data, and
// no data key is ever used to compute an index: one key compromised does not give away the other's use.
const BlindIndexScope = "blind-index"

// Purposes of blind indexes: each field's index is kept apart, so that equal inputs to different fields
// never match.
const (
	indexSSN     = "ssn"
	indexNameDOB = "name+dob"
)

// blindIndexer computes the blind indexes of one case. The case's ID is part of every index's purpose, so
// that the same SSN in two cases gives two unrelated values: nobody reading the table can link victims
// across cases.
type blindIndexer struct {
	key    []byte
	caseID string
}

// indexerFor returns the blind indexer of a case, creating the blind-index key on first use, in tx.
func (s *Store) indexerFor(tx *gorm.DB, caseID string) (blindIndexer, error) {
	k, err := s.dataKeyFor(tx, BlindIndexScope)
	if err != nil {
		return blindIndexer{}, err
	}
	return blindIndexer{key: k, caseID: caseID}, nil
}

func (b blindIndexer) index(purpose, normalized string) string {
	return sealing.BlindIndex(b.key, purpose+"|case:"+b.caseID, normalized)
}

// ssn indexes an SSN given as its nine digits; an empty SSN has no index.
func (b blindIndexer) ssn(digits string) *string {
	if digits == "" {
		return nil
	}
	return new(b.index(indexSSN, digits))
}

// nameDOB indexes a name together with a birth date; without a birth date there is no index, since a name
// alone is too weak to call two victims the same.
func (b blindIndexer) nameDOB(name string, dob *Date) *string {
	if dob == nil {
		return nil
	}
	return new(b.index(indexNameDOB, foldName(name)+"\n"+dob.String()))
}

// foldName is the form of a name that matching and searching use: Unicode normal form C, case-folded (so
// that "STRASSE" and "straße" agree), with runs of white space collapsed to one space.
func foldName(name string) string {
	folded := cases.Fold().String(norm.NFC.String(name))
	// Folding can denormalise, so normalise again.
	return strings.Join(strings.Fields(norm.NFC.String(folded)), " ")
}
