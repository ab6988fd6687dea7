package models

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/impactledger/impactledger/documents"
	"github.com/impactledger/impactledger/sealing"
	"github.com/impactledger/impactledger/victimcsv"
)

// VictimImportStatus is where a bulk import of victims stands.
type VictimImportStatus string

// The statuses of an import: validating reads the whole file and checks every row without writing a victim;
// importing writes them, invisible to everyone until the import succeeds; failed imports imported nothing.
const (
	ImportValidating VictimImportStatus = "validating"
	ImportImporting  VictimImportStatus = "importing"
	ImportSucceeded  VictimImportStatus = "succeeded"
	ImportFailed     VictimImportStatus = "failed"
)

// ImportSource says where an import's file is.
type ImportSource string

// The sources of an import's file.
const (
	// ImportFromUpload is a file uploaded over HTTP, kept sealed in document storage while the import runs.
	ImportFromUpload ImportSource = "upload"
	// ImportFromCommandLine is a local file that `impactledger import victims` reads itself.
	ImportFromCommandLine ImportSource = "command_line"
)

// ImportFailure says why an import failed when its file was not at fault.
type ImportFailure string

// The reasons an import fails that are not about its file.
const (
	// ImportServerError means the server could not finish it, after retrying.
	ImportServerError ImportFailure = "server_error"
	// ImportStopped means its command-line run was stopped (or died) before it finished.
	ImportStopped ImportFailure = "stopped"
)

// Limits of imports.
const (
	// MaxImportBytes is the largest file an import takes: 64 MiB.
	MaxImportBytes = 64 << 20
	// MaxShownImportErrors is how many errors an import shows with itself; the error report has them all
	// (up to MaxKeptImportErrors).
	MaxShownImportErrors = 1000
	// MaxKeptImportErrors is how many errors an import keeps for its report; ErrorCount counts them all.
	MaxKeptImportErrors = 100_000
	// maxIdempotencyKey is the longest Idempotency-Key kept.
	maxIdempotencyKey = 255
	// MaxUnfinishedImports is how many imports one person may have waiting or running at once: each holds up
	// to 64 MiB of storage and waits its turn for a worker.
	MaxUnfinishedImports = 5
)

// ImportError is one thing wrong with an import's file: a line (1-based, the header is line 1), a column's
// name (empty for the whole line) and what is wrong, never the value that was there.
type ImportError = victimcsv.Problem

// VictimImport is a bulk import of a list of victims (and one loss per row) into a case.
type VictimImport struct {
	ID            string
	CaseID        string
	Status        VictimImportStatus
	Source        ImportSource
	FileSizeBytes int64
	// RowsTotal is the number of rows of victims in the file: estimated while the file uploads, exact once
	// it has been validated.
	RowsTotal int
	// RowsDone is how many rows the current stage has done: checked while validating, written while
	// importing.
	RowsDone       int
	VictimsCreated int
	LossesCreated  int
	ErrorCount     int
	// Errors are the first MaxShownImportErrors errors, in the order of the file; filled in by
	// VictimImportByID only.
	Errors     []ImportError
	Failure    ImportFailure
	CreatedAt  time.Time
	CreatedBy  string
	FinishedAt *time.Time
}

// Finished reports whether the import has ended, for good or not.
func (v VictimImport) Finished() bool {
	return v.Status == ImportSucceeded || v.Status == ImportFailed
}

// victimImportRow is an import as stored.
type victimImportRow struct {
	ID             string `gorm:"primaryKey"`
	CaseID         string
	Status         VictimImportStatus
	Source         ImportSource
	FileSizeBytes  int64
	FileSHA256     string `gorm:"column:file_sha256"`
	IdempotencyKey *string
	RowsTotal      int
	RowsDone       int
	VictimsCreated int
	LossesCreated  int
	ErrorCount     int
	Failure        *string
	RollingBack    bool
	Runs           int
	WorkerToken    *string
	HeartbeatAt    *time.Time
	NudgedAt       *time.Time
	CreatedAt      time.Time
	CreatedBy      string
	RequestID      string
	ClientIP       string
	FinishedAt     *time.Time
	CleanedAt      *time.Time
}

func (victimImportRow) TableName() string { return "victim_imports" }

func (r victimImportRow) finished() bool {
	return r.Status == ImportSucceeded || r.Status == ImportFailed
}

func (r victimImportRow) public() VictimImport {
	v := VictimImport{ID: r.ID, CaseID: r.CaseID, Status: r.Status, Source: r.Source, FileSizeBytes: r.FileSizeBytes,
		RowsTotal: r.RowsTotal, RowsDone: r.RowsDone, VictimsCreated: r.VictimsCreated, LossesCreated: r.LossesCreated,
		ErrorCount: r.ErrorCount, CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy, FinishedAt: r.FinishedAt}
	if r.Failure != nil {
		v.Failure = ImportFailure(*r.Failure)
	}
	return v
}

// victimImportErrorRow is an ImportError as stored, numbered in the order found.
type victimImportErrorRow struct {
	ImportID   string `gorm:"primaryKey"`
	Seq        int    `gorm:"primaryKey;autoIncrement:false"`
	Line       int
	ColumnName string
	Message    string
}

func (victimImportErrorRow) TableName() string { return "victim_import_errors" }

// JobQueue puts durable jobs on the queue inside the transaction that makes their work, so that a job exists
// exactly when its work does. The jobs package implements it over River.
type JobQueue interface {
	// EnqueueVictimImport queues a run of the import with importID in tx.
	EnqueueVictimImport(ctx context.Context, tx *sql.Tx, importID string) error
}

// SetJobQueue gives the store the queue its imports run on. Without one, StartVictimImport fails.
func (s *Store) SetJobQueue(q JobQueue) { s.jobs = q }

// ErrNoJobQueue means no job queue runs (the schema is behind, or the queue did not start), so that an
// import would be accepted and never run.
var ErrNoJobQueue = errors.New("no job queue is running, so imports cannot run now")

// ErrEmptyImport refuses an import of an empty file.
var ErrEmptyImport = &ValidationError{Fields: map[string]string{"file": "is empty"}}

// ErrImportTooLarge refuses a file larger than MaxImportBytes.
var ErrImportTooLarge = fmt.Errorf("the file is larger than %d MiB", MaxImportBytes>>20)

// ErrTooManyImports refuses an import to someone who already has MaxUnfinishedImports unfinished.
var ErrTooManyImports = &ConflictError{Detail: fmt.Sprintf("You have %d imports that have not finished yet; "+
	"start another once one of them has.", MaxUnfinishedImports)}

// IdempotencyKeyReusedError means an Idempotency-Key came again with a different file or for another case:
// the key promises the same request, so the request is refused rather than guessed at.
type IdempotencyKeyReusedError struct {
	// Detail says what to do, for people; empty means an import's key.
	Detail string
}

// Error says what happened.
func (e IdempotencyKeyReusedError) Error() string {
	if e.Detail != "" {
		return e.Detail
	}
	return "This Idempotency-Key was already used for a different file or case. Use a new key for a new import."
}

// importFileName is the name an import's sealed upload is bound to: an upload cannot be opened as a document,
// nor as another import's.
func importFileName(id string) string { return "victim-import/" + id }

// StartVictimImport reads a victim list from content, sealing it with the case's data key into storage as it
// streams in (never held whole, never written in the clear), records the import, and queues its run, in one
// transaction. The caller must be able to see the case.
//
// With an idempotencyKey that the same caller has used before, nothing new is made: the same key with the
// same file for the same case answers the import it made (replay true), and anything else is an
// IdempotencyKeyReusedError. The answer is ErrEmptyImport, ErrImportTooLarge, ErrNotFound, or content's
// read error, and a failed start leaves neither row nor file.
func (s *Store) StartVictimImport(ctx context.Context, storage documents.Storage, caseID, idempotencyKey string, content io.Reader) (VictimImport, bool, error) {
	if s.jobs == nil {
		return VictimImport{}, false, ErrNoJobQueue
	}
	if len(idempotencyKey) > maxIdempotencyKey {
		return VictimImport{}, false, &ValidationError{Fields: map[string]string{"Idempotency-Key": fmt.Sprintf("must be at most %d characters", maxIdempotencyKey)}}
	}
	db := s.read.WithContext(ctx)
	if _, err := s.caseByID(db, caseID, false); err != nil {
		return VictimImport{}, false, err
	}
	req := requestOf(ctx)
	if err := s.checkUnfinishedImports(db, req.Actor.ID, idempotencyKey); err != nil {
		return VictimImport{}, false, err
	}
	key, err := s.caseKey(db, caseID)
	if err != nil {
		return VictimImport{}, false, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return VictimImport{}, false, err
	}
	row := victimImportRow{ID: id.String(), CaseID: caseID, Status: ImportValidating, Source: ImportFromUpload}
	pending, err := storage.Create(ctx, row.ID)
	if err != nil {
		return VictimImport{}, false, err
	}
	defer pending.Abort()
	sealed, err := sealing.NewFileWriter(pending, key, importFileName(row.ID))
	if err != nil {
		return VictimImport{}, false, err
	}
	if err := readImportFile(&row, sealed, content); err != nil {
		return VictimImport{}, false, err
	}
	if err := sealed.Close(); err != nil {
		return VictimImport{}, false, err
	}
	if err := pending.Commit(); err != nil {
		return VictimImport{}, false, err
	}
	row.CreatedAt, row.CreatedBy, row.RequestID, row.ClientIP = s.now(), req.Actor.ID, req.ID, req.ClientIP
	if idempotencyKey != "" {
		row.IdempotencyKey = &idempotencyKey
	}
	var earlier *victimImportRow
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		// Counted again where the import is recorded, one request of the person's at a time (on SQLite every
		// write transaction queues anyway): the count before the upload only spares a refused upload its
		// reading, and twenty uploads at once had all passed it.
		if err := s.queueFor(tx, importStartLock, row.CreatedBy); err != nil {
			return err
		}
		if err := s.checkUnfinishedImports(tx, row.CreatedBy, idempotencyKey); err != nil {
			return err
		}
		var err error
		if earlier, err = importByKey(tx, row.CreatedBy, idempotencyKey); err != nil || earlier != nil {
			return err
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		sqlTx, err := sqlTxOf(tx)
		if err != nil {
			return err
		}
		return s.jobs.EnqueueVictimImport(ctx, sqlTx, row.ID)
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) && idempotencyKey != "" {
		// The same key raced in from another request, which won: answer as if this one came second.
		earlier, err = importByKey(s.write.WithContext(ctx), row.CreatedBy, idempotencyKey)
		if err == nil && earlier == nil {
			err = errors.New("models: an import's idempotency key collided but its import cannot be found")
		}
	}
	if err != nil || earlier != nil {
		// Not the request's context: a cancelled request must still clean up.
		if rmErr := storage.Remove(context.WithoutCancel(ctx), row.ID); rmErr != nil {
			err = errors.Join(err, rmErr)
		}
	}
	switch {
	case err != nil:
		return VictimImport{}, false, err
	case earlier != nil && (earlier.CaseID != caseID || earlier.FileSHA256 != row.FileSHA256):
		return VictimImport{}, false, IdempotencyKeyReusedError{}
	case earlier != nil:
		return earlier.public(), true, nil
	}
	return row.public(), false, nil
}

// readImportFile copies an import's file from src to dst (its sealed copy, or nowhere), noting in row its
// size, its SHA-256 and an estimate of its rows. It refuses an empty file and one over MaxImportBytes.
func readImportFile(row *victimImportRow, dst io.Writer, src io.Reader) error {
	hash := sha256.New()
	var records victimcsv.CountRecords
	n, err := io.Copy(io.MultiWriter(dst, hash, &records), io.LimitReader(src, MaxImportBytes+1))
	switch {
	case err != nil:
		return err
	case n == 0:
		return ErrEmptyImport
	case n > MaxImportBytes:
		return ErrImportTooLarge
	}
	row.FileSizeBytes, row.FileSHA256 = n, hex.EncodeToString(hash.Sum(nil))
	row.RowsTotal = max(records.Total()-1, 0)
	return nil
}

// checkUnfinishedImports refuses a new import to someone with MaxUnfinishedImports unfinished, unless the
// request repeats an earlier one by its Idempotency-Key, whose answer is the import it already made.
func (s *Store) checkUnfinishedImports(db *gorm.DB, createdBy, idempotencyKey string) error {
	if earlier, err := importByKey(db, createdBy, idempotencyKey); err != nil || earlier != nil {
		return err
	}
	var unfinished int64
	if err := db.Model(&victimImportRow{}).Where("created_by = ? AND finished_at IS NULL", createdBy).Count(&unfinished).Error; err != nil {
		return err
	}
	if unfinished >= MaxUnfinishedImports {
		return ErrTooManyImports
	}
	return nil
}

// importByKey finds the import a caller made with an Idempotency-Key, or nil.
func importByKey(db *gorm.DB, createdBy, key string) (*victimImportRow, error) {
	if key == "" {
		return nil, nil
	}
	var row victimImportRow
	err := db.Where("created_by = ? AND idempotency_key = ?", createdBy, key).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	return &row, err
}

// sqlTxOf is the database/sql transaction under a GORM transaction, for work in the same transaction that
// GORM does not do (queueing a job, inserting many rows at once).
func sqlTxOf(tx *gorm.DB) (*sql.Tx, error) {
	sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return nil, fmt.Errorf("models: a transaction's connection is a %T, not a *sql.Tx", tx.Statement.ConnPool)
	}
	return sqlTx, nil
}

// StartCommandLineImport records an import of the local file at path into the case with caseID, run by the
// command line itself (RunVictimImport with ImportRun.OpenLocal); no job is queued for it. It reads the file
// once for its size and hash.
func (s *Store) StartCommandLineImport(ctx context.Context, caseID, path string) (VictimImport, error) {
	db := s.read.WithContext(ctx)
	if _, err := s.caseByID(db, caseID, false); err != nil {
		return VictimImport{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return VictimImport{}, err
	}
	defer f.Close()
	id, err := uuid.NewV7()
	if err != nil {
		return VictimImport{}, err
	}
	req := requestOf(ctx)
	row := victimImportRow{ID: id.String(), CaseID: caseID, Status: ImportValidating, Source: ImportFromCommandLine,
		CreatedAt: s.now(), CreatedBy: req.Actor.ID, RequestID: req.ID, ClientIP: req.ClientIP}
	if err := readImportFile(&row, io.Discard, f); err != nil {
		return VictimImport{}, err
	}
	if err := s.write.WithContext(ctx).Create(&row).Error; err != nil {
		return VictimImport{}, err
	}
	return row.public(), nil
}

// RecoverCommandLineImports rolls back and fails every command-line import whose run died (its heartbeat
// stopped, or it never took the import) and answers their IDs. The command line calls it first, so that an
// import killed where no service runs to notice never stands in the way of the next.
func (s *Store) RecoverCommandLineImports(ctx context.Context) ([]string, error) {
	var ids []string
	err := s.read.WithContext(ctx).Model(&victimImportRow{}).
		Where("source = ? AND finished_at IS NULL AND coalesce(heartbeat_at, created_at) < ?", ImportFromCommandLine, s.now().Add(-ImportStaleAfter)).
		Order("id").Pluck("id", &ids).Error
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := s.RunVictimImport(ctx, id, ImportRun{Abandon: true, Failure: ImportStopped}); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// VictimImportByID returns the import with id, with its first MaxShownImportErrors errors, provided the
// request's actor may see its case.
func (s *Store) VictimImportByID(ctx context.Context, id string) (VictimImport, error) {
	db := s.read.WithContext(ctx)
	row, err := victimImportRowByID(db, id)
	if err != nil {
		return VictimImport{}, err
	}
	v := row.public()
	v.Errors = []ImportError{}
	err = s.eachImportError(db, id, MaxShownImportErrors, func(e ImportError) error {
		v.Errors = append(v.Errors, e)
		return nil
	})
	return v, err
}

// VictimImportErrors calls each with every error the import with id keeps, in the order of its file,
// provided the request's actor may see its case; each's error stops the walk and is returned.
func (s *Store) VictimImportErrors(ctx context.Context, id string, each func(ImportError) error) error {
	db := s.read.WithContext(ctx)
	if _, err := victimImportRowByID(db, id); err != nil {
		return err
	}
	return s.eachImportError(db, id, MaxKeptImportErrors, each)
}

func (s *Store) eachImportError(db *gorm.DB, id string, limit int, each func(ImportError) error) error {
	const batch = 5000
	for afterSeq := -1; limit > 0; {
		var rows []victimImportErrorRow
		err := db.Where("import_id = ? AND seq > ?", id, afterSeq).Order("seq").Limit(min(batch, limit)).Find(&rows).Error
		if err != nil || len(rows) == 0 {
			return err
		}
		for _, r := range rows {
			if err := each(ImportError{Line: r.Line, Column: r.ColumnName, Message: r.Message}); err != nil {
				return err
			}
		}
		afterSeq, limit = rows[len(rows)-1].Seq, limit-len(rows)
	}
	return nil
}

// VictimImportPage is one page of a case's imports; NextAfterID is empty on the last page.
type VictimImportPage struct {
	Items       []VictimImport
	NextAfterID string
}

// ListVictimImports returns one page of the imports into the case with caseID, newest first, without
// their errors.
func (s *Store) ListVictimImports(ctx context.Context, caseID string, limit int, afterID string) (VictimImportPage, error) {
	db := s.read.WithContext(ctx)
	if _, err := s.caseByID(db, caseID, false); err != nil {
		return VictimImportPage{}, err
	}
	limit = pageSize(limit)
	q := db.Where("case_id = ?", caseID)
	if afterID != "" {
		if !ValidID(afterID) {
			return VictimImportPage{}, &ValidationError{Fields: map[string]string{"cursor": "is not a cursor this server issued"}}
		}
		q = q.Where("id < ?", afterID)
	}
	var rows []victimImportRow
	if err := q.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return VictimImportPage{}, err
	}
	page := VictimImportPage{Items: make([]VictimImport, 0, len(rows))}
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextAfterID = rows[limit-1].ID
	}
	for _, r := range rows {
		page.Items = append(page.Items, r.public())
	}
	return page, nil
}

// victimImportRowByID reads the import with id, provided the request's actor may see its case.
func victimImportRowByID(db *gorm.DB, id string) (victimImportRow, error) {
	if !ValidID(id) {
		return victimImportRow{}, ErrNotFound
	}
	var row victimImportRow
	err := inVisibleCases(db.Model(&victimImportRow{})).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return victimImportRow{}, ErrNotFound
	}
	return row, err
}

// published narrows a query on victims or losses (table names which) to the rows anyone may see: those no
// import wrote, and those of imports that succeeded. Every read of victims and losses goes through it, so
// that an import is all or nothing to its readers while it runs, as it is in the end.
func published(q *gorm.DB, table string) *gorm.DB {
	return q.Where("(" + table + ".import_id IS NULL OR " + table + ".import_id IN " +
		"(SELECT id FROM victim_imports WHERE status = 'succeeded'))")
}
