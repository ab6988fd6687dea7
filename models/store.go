// Package models holds ImpactLedger's records, their validation and the Store through which every read and
// write reaches the database. It is the only package that imports GORM.
package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/google/uuid"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/impactledger/impactledger/password"
	"github.com/impactledger/impactledger/sealing"
)

// Dialect is the kind of database a Store talks to.
type Dialect string

// The supported database kinds.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// Config says which database to open and how large its pools may grow.
type Config struct {
	// Dialect selects the driver.
	Dialect Dialect
	// DSN is a PostgreSQL connection URL, or the path of the SQLite file.
	DSN string
	// MaxOpenConns bounds the reading pool (and, on PostgreSQL, the only pool); 0 picks a default.
	MaxOpenConns int
	// MaxIdleConns bounds idle connections kept open; 0 picks a default.
	MaxIdleConns int
	// Logger receives slow-query and error lines, never with parameter values. Nil uses slog.Default.
	Logger *slog.Logger
	// Now is the clock of every stored timestamp; nil is the system clock. Tests move it.
	Now func() time.Time
	// PasswordIterations is the PBKDF2 work factor of new staff password hashes; 0 means
	// password.DefaultIterations.
	PasswordIterations int
	// LockoutMinutes is how long an account stays locked after too many failed sign-ins; nil means 30,
	// and 0 keeps it locked until an administrator unlocks it.
	LockoutMinutes *int
	// Keys are the key-encryption keys; the first wraps new data keys, all unwrap. At least one is required.
	Keys []sealing.KEK
	// AuditKeys, when set, are the keys that chain the audit trail (key_id and 32 bytes each, as Keys): the
	// first chains new events, all verify. Empty means the audit data key (scope AuditChainScope), wrapped by
	// Keys like every data key.
	AuditKeys []sealing.KEK
	// ImportChunkRows is how many rows of an import one transaction writes; 0 picks 500 on SQLite (a tenth of
	// a second of its one writer) and 2,500 on PostgreSQL.
	ImportChunkRows int
}

// Store reads and writes ImpactLedger's records.
//
// On SQLite every write goes through a pool of one connection, so that writers queue inside the process
// instead of failing on a locked database; reads use a pool of their own and see committed data (WAL).
type Store struct {
	dialect    Dialect
	read       *gorm.DB
	write      *gorm.DB
	clock      func() time.Time
	iterations int
	lockout    time.Duration // 0: until an administrator unlocks
	keys       *keyring
	// auditKeys are the configured audit keys, the first chaining new events; empty means the audit data key.
	auditKeys []sealing.KEK
	// decoyHash is a password hash at the current work factor that matches nothing: an unknown email is
	// checked against it, so that it costs as much time as a wrong password.
	decoyHash func() string
	// hashSlots bounds concurrent password checks.
	hashSlots chan struct{}
	// jobs queues durable work, such as imports; see SetJobQueue.
	jobs JobQueue
	// importChunk is how many rows of an import one transaction writes.
	importChunk int
	// denials gathers the refusals being counted at the same moment, so that they write once between them.
	denials *denialBatches
}

// sqlitePragmas are the connection settings every SQLite connection opens with: foreign keys enforced, WAL so
// readers never block the writer, a busy timeout for writers in other processes, and BEGIN IMMEDIATE so a
// read-then-write transaction takes the write lock up front instead of failing half-way.
const sqlitePragmas = "_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)" +
	"&_pragma=synchronous(NORMAL)&_txlock=immediate"

// writerPragmas give SQLite's one writing connection a page cache of 64 MiB instead of 2: a bulk import
// inserts into the blind indexes in random order, and with the small cache most of those inserts read
// their page back from the file.
const writerPragmas = "&_pragma=cache_size(-65536)"

// Open connects to the database described by cfg. For SQLite it creates the file's folder (0700) and the
// file (0600) when they do not exist yet.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if len(cfg.Keys) == 0 {
		return nil, errNoKeys
	}
	s := &Store{dialect: cfg.Dialect, clock: cfg.Now, iterations: cfg.PasswordIterations,
		keys: &keyring{keks: cfg.Keys, deks: map[string][]byte{}}, auditKeys: cfg.AuditKeys, importChunk: importChunk,
		denials: &denialBatches{pending: map[string]*denialBatch{}}}
	if cfg.Dialect == Postgres {
		s.importChunk = importChunkPostgres
	}
	if cfg.ImportChunkRows > 0 {
		s.importChunk = cfg.ImportChunkRows
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.iterations == 0 {
		s.iterations = password.DefaultIterations
	}
	s.lockout = 30 * time.Minute
	if cfg.LockoutMinutes != nil {
		s.lockout = time.Duration(*cfg.LockoutMinutes) * time.Minute
	}
	s.decoyHash = sync.OnceValue(func() string {
		h, _ := password.Hash("a decoy that matches no password", s.iterations)
		return h
	})
	// Made now, in the background, so that the first unknown email costs no more than any other.
	go s.decoyHash()
	s.hashSlots = make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	gcfg := func() *gorm.Config {
		return &gorm.Config{
			TranslateError: true,
			NowFunc:        s.now,
			Logger:         newGormLogger(log),
			// Every write method opens its own transaction where it needs one.
			SkipDefaultTransaction: true,
		}
	}
	switch cfg.Dialect {
	case Postgres:
		db, err := gorm.Open(postgres.Open(cfg.DSN), gcfg())
		if err != nil {
			return nil, fmt.Errorf("opening PostgreSQL: %w", redactDSNError(err))
		}
		s.read, s.write = db, db
		if err := setPool(db, cfg.MaxOpenConns, 10, cfg.MaxIdleConns); err != nil {
			return nil, err
		}
	case SQLite:
		if err := prepareSQLiteFile(cfg.DSN); err != nil {
			return nil, err
		}
		dsn := "file:" + (&url.URL{Path: cfg.DSN}).EscapedPath() + "?" + sqlitePragmas
		read, err := gorm.Open(sqlite.Open(dsn), gcfg())
		if err != nil {
			return nil, fmt.Errorf("opening SQLite file %s: %w", cfg.DSN, err)
		}
		write, err := gorm.Open(sqlite.Open(dsn+writerPragmas), gcfg())
		if err != nil {
			return nil, fmt.Errorf("opening SQLite file %s: %w", cfg.DSN, err)
		}
		s.read, s.write = read, write
		if err := setPool(read, cfg.MaxOpenConns, 4, cfg.MaxIdleConns); err != nil {
			return nil, err
		}
		if err := setPool(write, 1, 1, 1); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown database dialect %q", cfg.Dialect)
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// now is the clock of every stored timestamp: UTC, at the microsecond precision PostgreSQL keeps, so that a
// record read back equals the record written.
func (s *Store) now() time.Time { return s.clock().UTC().Truncate(time.Microsecond) }

// Today is the store's current calendar date in UTC: what views "as of today" mean.
func (s *Store) Today() Date { return s.today() }

func setPool(db *gorm.DB, maxOpen, defaultOpen, maxIdle int) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	if maxOpen <= 0 {
		maxOpen = defaultOpen
	}
	if maxIdle <= 0 || maxIdle > maxOpen {
		maxIdle = maxOpen
	}
	sqlDB.SetMaxOpenConns(maxOpen)
	sqlDB.SetMaxIdleConns(maxIdle)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	return nil
}

func prepareSQLiteFile(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("creating the database folder %s: %w", dir, err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("opening the database file %s: %w", path, err)
	}
	return f.Close()
}

// redactDSNError keeps a connection error's meaning but not a password the driver may have echoed.
func redactDSNError(err error) error {
	return errors.New(ScrubPassword(err.Error()))
}

// Dialect reports which kind of database the Store uses.
func (s *Store) Dialect() Dialect { return s.dialect }

// SQLDB returns the connection pool that writes, for migrations.
func (s *Store) SQLDB() (*sql.DB, error) { return s.write.DB() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	for _, db := range s.pools() {
		sqlDB, err := db.DB()
		if err != nil {
			return err
		}
		if err := sqlDB.PingContext(ctx); err != nil {
			return fmt.Errorf("database unreachable: %w", redactDSNError(err))
		}
	}
	return nil
}

// Close releases the Store's connections.
func (s *Store) Close() error {
	var errs []error
	for _, db := range s.pools() {
		if sqlDB, err := db.DB(); err == nil {
			errs = append(errs, sqlDB.Close())
		}
	}
	return errors.Join(errs...)
}

func (s *Store) pools() []*gorm.DB {
	if s.read == s.write {
		return []*gorm.DB{s.write}
	}
	return []*gorm.DB{s.read, s.write}
}

// inTx runs fn in a transaction on the writing pool; fn's error rolls it back.
func (s *Store) inTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	pending := &txKeys{deks: map[string][]byte{}}
	if err := s.write.WithContext(context.WithValue(ctx, txKeysKey{}, pending)).Transaction(fn); err != nil {
		return err
	}
	if len(pending.deks) > 0 {
		s.keys.mu.Lock()
		maps.Copy(s.keys.deks, pending.deks)
		s.keys.mu.Unlock()
	}
	return nil
}

// ValidID reports whether id is a UUID in the canonical form this service issues (lower-case, dashed), so
// that no other spelling of an ID reaches a query.
func ValidID(id string) bool {
	u, err := uuid.Parse(id)
	return err == nil && u.String() == id
}

// Advisory locks that PostgreSQL transactions queue on for work that must not interleave; SQLite's single
// writer queues every write transaction already.
const (
	signInLock    int64 = 0x696d7061 // sign-in attempts, so that concurrent guesses are counted one by one
	userAdminLock int64 = 0x696d7062 // account changes, so that the last administrator cannot be removed twice
)

// importStartLock is the advisory lock class (the first of two keys, beside orderLockClass) of starting an
// import, per person, so that the limit of unfinished imports holds however many uploads arrive at once.
const importStartLock int32 = 0x696d7065

// queueFor makes tx wait its turn behind other transactions holding lock for the same id (PostgreSQL; on
// SQLite every write transaction queues already). IDs are hashed into the lock's second key: two that
// collide only wait for each other.
func (s *Store) queueFor(tx *gorm.DB, lock int32, id string) error {
	if s.dialect != Postgres {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(?, hashtext(?))", lock, id).Error
}

// queue makes tx wait its turn behind other transactions holding lock.
func (s *Store) queue(tx *gorm.DB, lock int64) error {
	if s.dialect != Postgres {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(?)", lock).Error
}

// orderLockClass is the advisory lock class of restitution orders (the first of two keys; the second is a
// hash of the order's ID): entries on one order queue on it. A row lock (SELECT … FOR UPDATE) on the order
// would need the UPDATE privilege on restitution_orders, which the service's role does not hold, the table
// being append-only; two orders whose IDs share a hash only queue behind each other.
const orderLockClass int32 = 0x696d7063

// lockOrder makes tx wait its turn behind other transactions posting to the order with orderID
// (PostgreSQL; SQLite's single writer queues them already).
func (s *Store) lockOrder(tx *gorm.DB, orderID string) error {
	if s.dialect != Postgres {
		return nil
	}
	h := fnv.New32a()
	h.Write([]byte(orderID))
	return tx.Exec("SELECT pg_advisory_xact_lock(?, ?)", orderLockClass, int32(h.Sum32())).Error
}

// forUpdate makes a query lock the rows it reads until its transaction ends (PostgreSQL; SQLite's single
// writer holds the whole database already). Apply it to the query being built, not to a transaction that
// other queries go on to use.
func (s *Store) forUpdate(tx *gorm.DB) *gorm.DB {
	if s.dialect != Postgres {
		return tx
	}
	return tx.Clauses(clause.Locking{Strength: "UPDATE"})
}
