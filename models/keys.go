package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/impactledger/impactledger/sealing"
)

// dataKey is one wrapped data key: scope is a case's ID, or GlobalScope for data outside cases.
type dataKey struct {
	Scope     string `gorm:"primaryKey"`
	KEKID     string `gorm:"column:kek_id"`
	Wrapped   string
	CreatedAt time.Time
	RotatedAt *time.Time
}

func (dataKey) TableName() string { return "data_keys" }

// GlobalScope is the data key of sensitive values that belong to no case, such as TOTP secrets.
const GlobalScope = "global"

// keyring holds the key-encryption keys and the data keys already unwrapped. Unwrapped data keys stay in
// memory for the life of the process: cheap to keep, and each case's is needed on every read of it.
type keyring struct {
	keks []sealing.KEK
	mu   sync.RWMutex
	deks map[string][]byte
}

func (k *keyring) kek(id string) (sealing.KEK, bool) {
	for _, kek := range k.keks {
		if kek.ID == id {
			return kek, true
		}
	}
	return sealing.KEK{}, false
}

// MissingKeyError means the database holds data keys wrapped by a key-encryption key that is not configured.
type MissingKeyError struct{ IDs []string }

// Error names the missing keys and what to do.
func (e *MissingKeyError) Error() string {
	return fmt.Sprintf("the database holds data sealed under key %s, which IMPACTLEDGER_ENCRYPTION_KEYS does not list; "+
		"add the missing key (from your key backup) and start again", strings.Join(e.IDs, ", "))
}

// CheckKeys refuses to go on when some data key is wrapped by a key-encryption key that is not configured,
// so that the service never runs half-blind over data it cannot open.
func (s *Store) CheckKeys(ctx context.Context) error {
	usage, err := s.KeyUsage(ctx)
	if err != nil {
		return err
	}
	var missing []string
	for id := range usage {
		if _, ok := s.keys.kek(id); !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return &MissingKeyError{IDs: missing}
	}
	// The right ids are not enough: each configured key must also open what it wrapped.
	for id := range usage {
		var row dataKey
		if err := s.read.WithContext(ctx).Where("kek_id = ?", id).Take(&row).Error; err != nil {
			return err
		}
		kek, _ := s.keys.kek(id)
		if _, err := sealing.Unwrap(kek, row.Scope, row.Wrapped); err != nil {
			return &WrongKeyError{ID: id}
		}
	}
	return nil
}

// WrongKeyError means a configured key-encryption key has the id of the one that wrapped the data keys, but
// not its bytes.
type WrongKeyError struct{ ID string }

// Error names the key and what to do.
func (e *WrongKeyError) Error() string {
	return fmt.Sprintf("key %q is configured, but it is not the key that wrapped this database's data keys; "+
		"restore the right key %q from your key backup", e.ID, e.ID)
}

// KeyUsage counts the data keys wrapped by each key-encryption key.
func (s *Store) KeyUsage(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		KEKID string `gorm:"column:kek_id"`
		N     int64
	}
	err := s.read.WithContext(ctx).Model(&dataKey{}).Select("kek_id, count(*) AS n").Group("kek_id").Scan(&rows).Error
	usage := map[string]int64{}
	for _, r := range rows {
		usage[r.KEKID] = r.N
	}
	return usage, err
}

// ConfiguredKeyIDs lists the configured key-encryption keys in order; the first wraps new data keys.
func (s *Store) ConfiguredKeyIDs() []string {
	ids := make([]string, len(s.keys.keks))
	for i, k := range s.keys.keks {
		ids[i] = k.ID
	}
	return ids
}

// dataKeyFor returns the data key of scope, creating it the first time, in tx.
func (s *Store) dataKeyFor(tx *gorm.DB, scope string) ([]byte, error) {
	keys, err := s.dataKeysFor(tx, []string{scope}, true)
	if err != nil {
		return nil, err
	}
	return keys[scope], nil
}

// dataKeysFor returns the data keys of several scopes with one query for those not yet in memory. With
// create, a scope that has none yet gets one.
func (s *Store) dataKeysFor(db *gorm.DB, scopes []string, create bool) (map[string][]byte, error) {
	out := make(map[string][]byte, len(scopes))
	// Inside a transaction, keys read or made go to its pending set, cached only once it commits: a key it
	// made would otherwise outlive a rollback in memory, and values sealed under it later would have no
	// stored key to open them.
	pending, _ := db.Statement.Context.Value(txKeysKey{}).(*txKeys)
	remember := func(scope string, k []byte) {
		if pending != nil {
			pending.deks[scope] = k
			return
		}
		s.keys.mu.Lock()
		s.keys.deks[scope] = k
		s.keys.mu.Unlock()
	}
	var missing []string
	s.keys.mu.RLock()
	for _, scope := range scopes {
		if k, ok := s.keys.deks[scope]; ok {
			out[scope] = k
		} else if k, ok := pending.get(scope); ok {
			out[scope] = k
		} else if !slices.Contains(missing, scope) {
			missing = append(missing, scope)
		}
	}
	s.keys.mu.RUnlock()
	if len(missing) == 0 {
		return out, nil
	}
	var rows []dataKey
	if err := db.Where("scope IN ?", missing).Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, row := range rows {
		k, err := s.unwrap(row)
		if err != nil {
			return nil, err
		}
		out[row.Scope] = k
		remember(row.Scope, k)
	}
	for _, scope := range missing {
		if _, ok := out[scope]; ok || !create {
			continue
		}
		k, err := s.newDataKey(db, scope)
		if err != nil {
			return nil, err
		}
		out[scope] = k
		remember(scope, k)
	}
	return out, nil
}

// txKeys holds the data keys a transaction read or made, until it commits.
type txKeys struct{ deks map[string][]byte }

type txKeysKey struct{}

func (p *txKeys) get(scope string) ([]byte, bool) {
	if p == nil {
		return nil, false
	}
	k, ok := p.deks[scope]
	return k, ok
}

// unwrap opens a stored data key with its key-encryption key.
func (s *Store) unwrap(row dataKey) ([]byte, error) {
	kek, ok := s.keys.kek(row.KEKID)
	if !ok {
		return nil, &MissingKeyError{IDs: []string{row.KEKID}}
	}
	return sealing.Unwrap(kek, row.Scope, row.Wrapped)
}

// newDataKey makes, wraps and stores the data key of scope. Two writers racing to make the same one both
// end with the one stored first.
func (s *Store) newDataKey(db *gorm.DB, scope string) ([]byte, error) {
	k, err := sealing.NewDataKey()
	if err != nil {
		return nil, err
	}
	first := s.keys.keks[0]
	wrapped, err := sealing.Wrap(first, scope, k)
	if err != nil {
		return nil, err
	}
	row := dataKey{Scope: scope, KEKID: first.ID, Wrapped: wrapped, CreatedAt: s.now()}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return nil, err
	}
	var stored dataKey
	if err := db.Where("scope = ?", scope).Take(&stored).Error; err != nil {
		return nil, err
	}
	return s.unwrap(stored)
}

// seal encrypts a value for its place under the data key of scope.
func (s *Store) seal(tx *gorm.DB, scope string, place sealing.Place, plain string) (string, error) {
	k, err := s.dataKeyFor(tx, scope)
	if err != nil {
		return "", err
	}
	return sealing.Seal(k, place, []byte(plain))
}

// RotateKeys rewraps every data key not yet wrapped by the first key-encryption key, in batches, and
// reports progress after each. It can stop and start again at any point: what is done stays done.
func (s *Store) RotateKeys(ctx context.Context, progress func(done, total int64)) (int64, error) {
	first := s.keys.keks[0]
	// Rotation runs alone: two runs with different first keys would rewrap the same rows back and forth.
	unlock, err := s.exclusive(ctx, keyRotationLock)
	if err != nil {
		return 0, err
	}
	defer unlock()
	var total int64
	if err := s.read.WithContext(ctx).Model(&dataKey{}).Where("kek_id <> ?", first.ID).Count(&total).Error; err != nil {
		return 0, err
	}
	var done int64
	for {
		var batch []dataKey
		if err := s.read.WithContext(ctx).Where("kek_id <> ?", first.ID).Order("scope").Limit(500).Find(&batch).Error; err != nil {
			return done, err
		}
		if len(batch) == 0 {
			return done, nil
		}
		var rewrapped int64
		err := s.inTx(ctx, func(tx *gorm.DB) error {
			for _, row := range batch {
				k, err := s.unwrap(row)
				if err != nil {
					return err
				}
				wrapped, err := sealing.Wrap(first, row.Scope, k)
				if err != nil {
					return err
				}
				res := tx.Model(&dataKey{}).Where("scope = ? AND kek_id = ?", row.Scope, row.KEKID).
					Updates(map[string]any{"kek_id": first.ID, "wrapped": wrapped, "rotated_at": s.now()})
				if res.Error != nil {
					return res.Error
				}
				rewrapped += res.RowsAffected
			}
			return s.appendAudit(tx, audited{Action: "keys.rotate", ObjectType: "data_keys", ObjectID: fmt.Sprint(len(batch)), Outcome: OutcomeSuccess})
		})
		if err != nil {
			return done, err
		}
		done += rewrapped
		if progress != nil {
			progress(done, total)
		}
	}
}

var errNoKeys = errors.New("no key-encryption keys configured")

// keyRotationLock is the PostgreSQL session advisory lock a key rotation holds for its whole run.
const keyRotationLock int64 = 0x696d7063

// exclusive holds a PostgreSQL session-level advisory lock until unlock is called, for work that spans many
// transactions; SQLite, with one writer, needs none.
func (s *Store) exclusive(ctx context.Context, lock int64) (unlock func(), err error) {
	if s.dialect != Postgres {
		return func() {}, nil
	}
	sqlDB, err := s.write.DB()
	if err != nil {
		return nil, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", lock); err != nil {
		conn.Close()
		return nil, err
	}
	return func() {
		_, _ = conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", lock)
		conn.Close()
	}, nil
}
