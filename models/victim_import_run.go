package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"github.com/impactledger/impactledger/documents"
	"github.com/impactledger/impactledger/sealing"
	"github.com/impactledger/impactledger/victimcsv"
)

// How an import's run holds it: a worker claims the import with a token of its own and beats a heart every
// importHeartbeat; an import whose heart has not beaten for ImportStaleAfter may be claimed by another worker
// (see NudgeStalledImports). Every write of a run is conditional on its token, so two runs of one import (a
// job River ran twice, a worker presumed dead that was only slow) never both write.
const (
	importHeartbeat = 3 * time.Second
	// ImportStaleAfter is how long an import's worker may be silent before it is presumed dead.
	ImportStaleAfter = 15 * time.Second
	// importNudgeEvery is how long NudgeStalledImports waits before queueing an import's run again.
	importNudgeEvery = time.Minute
	// importForgottenAfter is how long an import let go of, or never taken, may wait for its job before a new
	// one is queued.
	importForgottenAfter = time.Hour
	// maxImportRuns is how many runs may take an import before it is failed: a file that kills its worker
	// (it should not happen; if it did) would otherwise take servers down one after another for ever.
	// Stopping a service gracefully counts a run too, so it is not small.
	maxImportRuns = 8
	// importChunk is how many rows one transaction writes on SQLite: about a tenth of a second of its one
	// writer, which everything else waits for meanwhile.
	importChunk = 500
	// importChunkPostgres is how many rows one transaction writes on PostgreSQL, whose writers do not wait
	// for one another: fewer, larger commits, each a flush of the write-ahead log.
	importChunkPostgres = 2500
	// importProgressEvery is how many rows validation checks between progress reports.
	importProgressEvery = 1000
)

// errLostImport means another worker holds the import now (or it ended): this run stops without error.
var errLostImport = errors.New("models: the import is held by another worker")

// inconsistentImport is an error no retry can mend (the file no longer reads as it validated, the rows
// written do not add up): the import is rolled back and failed at once rather than retried for hours.
type inconsistentImport struct{ error }

func inconsistent(format string, args ...any) error {
	return inconsistentImport{fmt.Errorf("models: "+format, args...)}
}

// ImportRun says how to carry an import on.
type ImportRun struct {
	// Storage holds the sealed files of uploaded imports.
	Storage documents.Storage
	// OpenLocal opens the file of a command-line import; without it, such an import cannot go on, and a run
	// rolls it back as stopped.
	OpenLocal func() (io.ReadCloser, error)
	// Progress, when set, hears how the import stands after every step.
	Progress func(VictimImport)
	// Abandon rolls the import back and fails it as Failure, whatever stage it is at: for a job that has
	// run out of retries, or a command line that was interrupted.
	Abandon bool
	// Failure is the reason an abandoned import fails; empty means ImportServerError.
	Failure ImportFailure
}

// RunVictimImport carries the import with id as far as it goes: it validates the whole file (status
// validating), then writes its victims and losses in short transactions, hidden (importing), then publishes
// them all at once (succeeded); a file with any error fails with every error recorded and nothing written.
// A run that stops part way (a restart, a crash) is resumed by the next: validation starts again, writing
// carries on from the last chunk written. Exactly one audit event records each import, when it ends.
//
// It returns nil when the import ended, when another worker holds it, and when it was already over; an
// error means it should run again later (the database failed, ctx ended).
func (s *Store) RunVictimImport(ctx context.Context, id string, run ImportRun) error {
	token, err := newWorkerToken()
	if err != nil {
		return err
	}
	row, claimed, err := s.claimImport(ctx, id, token)
	if err != nil {
		return err
	}
	if !claimed {
		if row.finished() {
			return s.cleanUpImport(ctx, run, row)
		}
		return nil
	}
	r := &importRunner{s: s, row: row, token: token, run: run}
	if row.Runs > maxImportRuns && !run.Abandon {
		r.run.Abandon, r.run.Failure = true, ImportServerError
	}
	err = r.beating(ctx, func() error { return r.carryOn(r.acting(ctx)) })
	var broken inconsistentImport
	if errors.As(err, &broken) && !r.run.Abandon {
		// Retrying cannot mend it: undo what was written and say so now.
		r.run.Abandon, r.run.Failure = true, ImportServerError
		err = r.beating(ctx, func() error { return r.carryOn(r.acting(ctx)) })
	}
	switch {
	case errors.Is(err, errLostImport):
		return nil
	case err != nil:
		// Let go of it, so that the next run can take it at once rather than wait for it to go stale.
		r.release(context.WithoutCancel(ctx))
		return err
	}
	return s.cleanUpImport(ctx, run, r.row)
}

// beating runs work with the run's heart beating, and stops the heartbeat before it returns, so that no
// write of this run outlives it.
func (r *importRunner) beating(ctx context.Context, work func() error) error {
	beat, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { r.heartbeat(beat) })
	err := work()
	stop()
	wg.Wait()
	return err
}

func newWorkerToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// claimImport takes the unfinished import with id for the worker with token, unless a live worker has it.
// It answers the import as it stands and whether it was claimed.
func (s *Store) claimImport(ctx context.Context, id, token string) (victimImportRow, bool, error) {
	db := s.write.WithContext(ctx)
	now := s.now()
	res := db.Model(&victimImportRow{}).
		Where("id = ? AND finished_at IS NULL AND (worker_token IS NULL OR heartbeat_at IS NULL OR heartbeat_at < ?)", id, now.Add(-ImportStaleAfter)).
		Updates(map[string]any{"worker_token": token, "heartbeat_at": now, "runs": gorm.Expr("runs + 1")})
	if res.Error != nil {
		return victimImportRow{}, false, res.Error
	}
	var row victimImportRow
	err := db.Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row, false, ErrNotFound
	}
	return row, res.RowsAffected == 1, err
}

// importRunner is one worker's run of one import.
type importRunner struct {
	s     *Store
	row   victimImportRow
	token string
	run   ImportRun
	// errSeq numbers the errors recorded; pending holds those not yet written.
	errSeq  int
	pending []victimImportErrorRow
}

// acting makes ctx act for whoever started the import, for its audit event: the uploader, whose access
// to the case was checked when they uploaded, or the command line.
func (r *importRunner) acting(ctx context.Context) context.Context {
	actor := Actor{Type: ActorUser, ID: r.row.CreatedBy}
	if r.row.Source == ImportFromCommandLine {
		actor = Actor{Type: ActorSystem, ID: r.row.CreatedBy}
	}
	return WithRequest(ctx, RequestInfo{ID: r.row.RequestID, ClientIP: r.row.ClientIP, Actor: actor})
}

func (r *importRunner) carryOn(ctx context.Context) error {
	if r.run.Abandon {
		failure := r.run.Failure
		if failure == "" {
			failure = ImportServerError
		}
		return r.abandon(ctx, failure)
	}
	if r.row.Status == ImportValidating {
		src, err := r.open(ctx)
		if errors.Is(err, errNoLocalFile) {
			return r.abandon(ctx, ImportStopped)
		}
		if err != nil {
			return err
		}
		valid, err := r.validate(ctx, src)
		src.Close()
		if err != nil || !valid {
			return err
		}
	}
	if r.row.Status == ImportImporting && !r.row.RollingBack {
		src, err := r.open(ctx)
		if errors.Is(err, errNoLocalFile) {
			return r.abandon(ctx, ImportStopped)
		}
		if err != nil {
			return err
		}
		err = r.write(ctx, src)
		src.Close()
		if err != nil {
			return err
		}
	}
	if r.row.RollingBack {
		return r.rollBack(ctx, r.row.Failure)
	}
	return nil
}

var errNoLocalFile = errors.New("models: the command line that started this import is not running it")

// open returns the plaintext of the import's file.
func (r *importRunner) open(ctx context.Context) (io.ReadCloser, error) {
	if r.row.Source == ImportFromCommandLine {
		if r.run.OpenLocal == nil {
			return nil, errNoLocalFile
		}
		return r.run.OpenLocal()
	}
	if r.run.Storage == nil {
		return nil, errors.New("models: no document storage to read the import's file from")
	}
	key, err := r.s.caseKey(r.s.read.WithContext(ctx), r.row.CaseID)
	if err != nil {
		return nil, err
	}
	file, err := r.run.Storage.Open(ctx, r.row.ID)
	if err != nil {
		return nil, err
	}
	plain, err := sealing.NewFileReader(file, key, importFileName(r.row.ID))
	if err != nil {
		file.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{plain, file}, nil
}

// update changes the import's row, provided this run still holds it and it still matches where: the one
// way a run writes its import.
func (r *importRunner) update(tx *gorm.DB, changes map[string]any, where ...any) error {
	changes["heartbeat_at"] = r.s.now()
	q := tx.Model(&victimImportRow{}).Where("id = ? AND worker_token = ?", r.row.ID, r.token)
	if len(where) > 0 {
		q = q.Where(where[0], where[1:]...)
	}
	res := q.Updates(changes)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return errLostImport
	}
	return nil
}

func (r *importRunner) heartbeat(ctx context.Context) {
	t := time.NewTicker(importHeartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// A beat that fails is not fatal: the run's next write finds out whether it still holds the import.
			_ = r.update(r.s.write.WithContext(ctx), map[string]any{}, "finished_at IS NULL")
		}
	}
}

// release lets go of the import so that another run may take it at once.
func (r *importRunner) release(ctx context.Context) {
	_ = r.s.write.WithContext(ctx).Model(&victimImportRow{}).Where("id = ? AND worker_token = ?", r.row.ID, r.token).
		Update("worker_token", nil).Error
}

func (r *importRunner) progress() {
	if r.run.Progress != nil {
		r.run.Progress(r.row.public())
	}
}

// addError records a problem found, to be written with the next progress report. Past
// MaxKeptImportErrors, problems are only counted.
func (r *importRunner) addError(p victimcsv.Problem) {
	r.row.ErrorCount++
	if r.errSeq >= MaxKeptImportErrors {
		return
	}
	r.pending = append(r.pending, victimImportErrorRow{ImportID: r.row.ID, Seq: r.errSeq, Line: p.Line, ColumnName: p.Column, Message: p.Message})
	r.errSeq++
}

// writeErrors writes the errors found and not yet written, in tx.
func (r *importRunner) writeErrors(tx *gorm.DB) error {
	if len(r.pending) == 0 {
		return nil
	}
	if err := tx.CreateInBatches(r.pending, 500).Error; err != nil {
		return err
	}
	// Written, as far as this run can tell: should tx roll back, the run stops and the next validates again.
	r.pending = r.pending[:0]
	return nil
}

// validate reads the whole file and checks every row: the header, each value as the API would, and
// duplicates within the file and against the case, without writing a victim. Progress and errors are
// written as it goes. A valid file moves the import on to importing; any error fails it, with them all.
func (r *importRunner) validate(ctx context.Context, src io.Reader) (bool, error) {
	// A validation cut short starts again from the top: what it learnt is in memory only.
	err := r.s.inTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("import_id = ?", r.row.ID).Delete(&victimImportErrorRow{}).Error; err != nil {
			return err
		}
		return r.update(tx, map[string]any{"rows_done": 0, "error_count": 0}, "status = ?", ImportValidating)
	})
	if err != nil {
		return false, err
	}
	r.row.RowsDone, r.row.ErrorCount = 0, 0
	r.progress()
	reader, err := victimcsv.NewReader(src)
	if err != nil {
		return false, err
	}
	for _, p := range reader.HeaderProblems() {
		r.addError(p)
	}
	dups, err := r.s.newImportDuplicates(ctx, r.row.CaseID)
	if err != nil {
		return false, err
	}
	today := r.s.today()
	for {
		row, err := reader.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return false, err
		}
		problems := row.Problems
		if len(problems) == 0 {
			var checked importedRow
			checked, problems = checkImportedRow(row, today)
			problems = append(problems, dups.check(row.Line, checked, problems)...)
			sortByColumn(problems)
		}
		for _, p := range problems {
			r.addError(p)
		}
		r.row.RowsDone++
		if r.row.RowsDone%importProgressEvery == 0 {
			r.row.RowsTotal = max(r.row.RowsTotal, r.row.RowsDone)
			if err := r.flushValidation(ctx); err != nil {
				return false, err
			}
		}
	}
	if r.row.RowsDone == 0 && r.row.ErrorCount == 0 {
		r.addError(victimcsv.Problem{Line: victimcsv.HeaderLine, Message: "the file has a header but no victims below it"})
	}
	r.row.RowsTotal = r.row.RowsDone
	if r.row.ErrorCount > 0 {
		return false, r.finish(ctx, "")
	}
	err = r.s.inTx(ctx, func(tx *gorm.DB) error {
		return r.update(tx, map[string]any{"status": ImportImporting, "rows_total": r.row.RowsTotal, "rows_done": 0},
			"status = ?", ImportValidating)
	})
	if err != nil {
		return false, err
	}
	r.row.Status, r.row.RowsDone = ImportImporting, 0
	r.progress()
	return true, nil
}

// flushValidation writes validation's progress and the errors found since the last time.
func (r *importRunner) flushValidation(ctx context.Context) error {
	err := r.s.inTx(ctx, func(tx *gorm.DB) error {
		if err := r.writeErrors(tx); err != nil {
			return err
		}
		return r.update(tx, map[string]any{"rows_done": r.row.RowsDone, "rows_total": r.row.RowsTotal,
			"error_count": r.row.ErrorCount}, "status = ?", ImportValidating)
	})
	if err != nil {
		return err
	}
	r.progress()
	return nil
}

// write writes the victims and losses of a validated file, hidden, a chunk per transaction, carrying on after
// the rows an earlier run wrote; then it publishes them. The next chunk is read, checked and sealed on one
// core while the database writes the last on another. A victim that someone added to the case since
// validation, duplicating a row, fails the import and rolls it back.
func (r *importRunner) write(ctx context.Context, src io.Reader) error {
	reader, err := victimcsv.NewReader(src)
	if err != nil {
		return err
	}
	if len(reader.HeaderProblems()) > 0 {
		return inconsistent("a validated import's file no longer reads the same")
	}
	var key []byte
	var idx blindIndexer
	if err := r.s.inTx(ctx, func(tx *gorm.DB) error {
		var keyErr error
		key, idx, keyErr = r.s.victimKeys(tx, r.row.CaseID)
		return keyErr
	}); err != nil {
		return err
	}
	skip := r.row.RowsDone
	chunkRows := r.s.importChunk
	g, gctx := errgroup.WithContext(ctx)
	chunks := make(chan *importChunkRows, 1)
	g.Go(func() error {
		defer close(chunks)
		today := r.s.today()
		chunk := &importChunkRows{}
		send := func() error {
			if err := chunk.seal(r.s); err != nil {
				return err
			}
			select {
			case chunks <- chunk:
				chunk = &importChunkRows{}
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		for n := 0; ; n++ {
			row, err := reader.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			if n < skip {
				continue
			}
			checked, problems := checkImportedRow(row, today)
			if len(row.Problems) > 0 || len(problems) > 0 {
				return inconsistent("line %d of a validated import no longer validates", row.Line)
			}
			if err := chunk.add(r, row.Line, checked, key, idx); err != nil {
				return err
			}
			if len(chunk.victims) == chunkRows {
				if err := send(); err != nil {
					return err
				}
			}
		}
		if len(chunk.victims) > 0 {
			return send()
		}
		return nil
	})
	g.Go(func() error {
		for chunk := range chunks {
			if err := r.writeChunk(gctx, chunk); err != nil {
				return err
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return r.failOnConflicts(ctx, err)
	}
	if r.row.RowsDone != r.row.RowsTotal {
		return inconsistent("the import wrote %d rows of %d", r.row.RowsDone, r.row.RowsTotal)
	}
	return r.publish(ctx)
}

// importChunkRows are the rows of one chunk, sealed and ready to write.
type importChunkRows struct {
	victims []victimRow
	losses  []lossRow
	lines   []int
	// victimRows and lossRows are the same, laid out for a bulk insert (by seal).
	victimRows, lossRows bulkRows
}

// seal lays the chunk's rows out for writing.
func (c *importChunkRows) seal(s *Store) error {
	var err error
	if c.victimRows, err = s.bulkRowsOf(c.victims); err != nil {
		return err
	}
	c.lossRows, err = s.bulkRowsOf(c.losses)
	return err
}

func (c *importChunkRows) add(r *importRunner, line int, in importedRow, key []byte, idx blindIndexer) error {
	now := r.s.now()
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	v := in.victim
	v.ID, v.CaseID, v.CreatedAt, v.UpdatedAt, v.Version = id.String(), r.row.CaseID, now, now, 1
	vr, err := victimRowOf(v, key, idx)
	if err != nil {
		return err
	}
	if err := setSSN(&vr, key, idx, in.ssn); err != nil {
		return err
	}
	vr.ImportID = &r.row.ID
	c.victims = append(c.victims, vr)
	c.lines = append(c.lines, line)
	if in.loss == nil {
		return nil
	}
	lossID, err := uuid.NewV7()
	if err != nil {
		return err
	}
	l := *in.loss
	l.ID, l.CaseID, l.VictimID, l.Version = lossID.String(), r.row.CaseID, v.ID, 1
	l.CreatedAt, l.CreatedBy, l.UpdatedAt, l.UpdatedBy = now, r.row.CreatedBy, now, r.row.CreatedBy
	lr, err := lossRowOf(l, key)
	if err != nil {
		return err
	}
	lr.ImportID = &r.row.ID
	c.losses = append(c.losses, lr)
	return nil
}

// importConflicts are rows that a victim added to the case since validation now duplicates.
type importConflicts []victimcsv.Problem

func (c importConflicts) Error() string {
	return fmt.Sprintf("%d rows duplicate victims added meanwhile", len(c))
}

// writeChunk writes one chunk in one transaction, queued behind the case's other intake changes, and moves
// the import's place on past it: COPY on PostgreSQL, INSERTs of many rows on SQLite. The unique indexes
// of victims refuse a row that a victim added to the case since validation duplicates; only then does it
// look for which rows those are.
func (r *importRunner) writeChunk(ctx context.Context, chunk *importChunkRows) error {
	done := r.row.RowsDone + len(chunk.victims)
	var err error
	if r.s.dialect == Postgres {
		err = r.s.inPgxTx(ctx, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, "UPDATE victim_imports SET rows_done = $1, heartbeat_at = $2 "+
				"WHERE id = $3 AND worker_token = $4 AND status = 'importing' AND NOT rolling_back AND rows_done = $5",
				done, r.s.now(), r.row.ID, r.token, r.row.RowsDone)
			if err != nil {
				return err
			}
			if tag.RowsAffected() != 1 {
				return errLostImport
			}
			if _, err := tx.Exec(ctx, "SELECT id FROM cases WHERE id = $1 FOR UPDATE", r.row.CaseID); err != nil {
				return err
			}
			if err := copyRows(ctx, tx, chunk.victimRows); err != nil {
				return err
			}
			return copyRows(ctx, tx, chunk.lossRows)
		})
	} else {
		err = r.s.inTx(ctx, func(tx *gorm.DB) error {
			if err := r.update(tx, map[string]any{"rows_done": done},
				"status = ? AND rolling_back = ? AND rows_done = ?", ImportImporting, false, r.row.RowsDone); err != nil {
				return err
			}
			sqlTx, err := sqlTxOf(tx)
			if err != nil {
				return err
			}
			if err := insertRows(ctx, sqlTx, chunk.victimRows); err != nil {
				return err
			}
			return insertRows(ctx, sqlTx, chunk.lossRows)
		})
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		conflicts, findErr := chunkConflicts(r.s.read.WithContext(ctx), r.row.CaseID, chunk)
		if findErr != nil {
			return findErr
		}
		if len(conflicts) == 0 {
			return err
		}
		return conflicts
	}
	if err != nil {
		return err
	}
	r.row.RowsDone = done
	r.progress()
	return nil
}

// chunkConflicts finds the rows of a chunk whose SSN, or name and birth date, a victim of the case already
// has: one added since validation (or by another import).
func chunkConflicts(tx *gorm.DB, caseID string, chunk *importChunkRows) (importConflicts, error) {
	var conflicts importConflicts
	for _, index := range []struct {
		column, what string
		value        func(victimRow) *string
	}{
		{"ssn_index", "SSN", func(v victimRow) *string { return v.SSNIndex }},
		{"name_dob_index", "name and date of birth", func(v victimRow) *string { return v.NameDOBIndex }},
	} {
		lineOf := map[string]int{}
		for i, v := range chunk.victims {
			if p := index.value(v); p != nil {
				lineOf[*p] = chunk.lines[i]
			}
		}
		if len(lineOf) == 0 {
			continue
		}
		values := make([]string, 0, len(lineOf))
		for v := range lineOf {
			values = append(values, v)
		}
		var found []string
		if err := tx.Model(&victimRow{}).Where("case_id = ? AND "+index.column+" IN ?", caseID, values).Pluck(index.column, &found).Error; err != nil {
			return nil, err
		}
		column := string(victimcsv.SSN)
		if index.column == "name_dob_index" {
			column = string(victimcsv.Name)
		}
		for _, f := range found {
			conflicts = append(conflicts, victimcsv.Problem{Line: lineOf[f], Column: column,
				Message: "a victim with the same " + index.what + " was added to this case while the file was importing"})
		}
	}
	return conflicts, nil
}

// failOnConflicts turns conflicts found while writing into a failed import, rolled back; other errors pass.
func (r *importRunner) failOnConflicts(ctx context.Context, err error) error {
	var conflicts importConflicts
	if !errors.As(err, &conflicts) {
		return err
	}
	for _, p := range conflicts {
		r.addError(p)
	}
	err = r.s.inTx(ctx, func(tx *gorm.DB) error {
		if err := r.writeErrors(tx); err != nil {
			return err
		}
		return r.update(tx, map[string]any{"rolling_back": true, "error_count": r.row.ErrorCount})
	})
	if err != nil {
		return err
	}
	r.row.RollingBack = true
	return r.rollBack(ctx, nil)
}

// publish makes every row the import wrote visible at once: one update of one row, however long the file.
func (r *importRunner) publish(ctx context.Context) error {
	now := r.s.now()
	err := r.s.inTx(ctx, func(tx *gorm.DB) error {
		var counts struct{ Victims, Losses int }
		err := tx.Raw("SELECT (SELECT count(*) FROM victims WHERE import_id = ?) AS victims, "+
			"(SELECT count(*) FROM losses WHERE import_id = ?) AS losses", r.row.ID, r.row.ID).Scan(&counts).Error
		if err != nil {
			return err
		}
		if counts.Victims != r.row.RowsTotal {
			return inconsistent("import %s holds %d victims for %d rows", r.row.ID, counts.Victims, r.row.RowsTotal)
		}
		r.row.VictimsCreated, r.row.LossesCreated = counts.Victims, counts.Losses
		if err := r.update(tx, map[string]any{"status": ImportSucceeded, "finished_at": now, "worker_token": nil,
			"victims_created": counts.Victims, "losses_created": counts.Losses},
			"status = ? AND rolling_back = ?", ImportImporting, false); err != nil {
			return err
		}
		return r.s.appendAudit(tx, audited{Action: "victim.import", ObjectType: "victim_import", ObjectID: r.row.ID,
			CaseID: r.row.CaseID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return err
	}
	r.row.Status, r.row.FinishedAt, r.row.WorkerToken = ImportSucceeded, &now, nil
	r.progress()
	return nil
}

// abandon fails the import for a reason that is not its file's, rolling back whatever it wrote.
func (r *importRunner) abandon(ctx context.Context, failure ImportFailure) error {
	if r.row.Status == ImportValidating {
		return r.finish(ctx, failure)
	}
	f := string(failure)
	if err := r.s.inTx(ctx, func(tx *gorm.DB) error {
		return r.update(tx, map[string]any{"rolling_back": true, "failure": f})
	}); err != nil {
		return err
	}
	r.row.RollingBack, r.row.Failure = true, &f
	return r.rollBack(ctx, &f)
}

// rollBack deletes what the import wrote, a chunk per transaction, then fails it.
func (r *importRunner) rollBack(ctx context.Context, failure *string) error {
	for _, table := range []string{"losses", "victims"} {
		for {
			var deleted int64
			err := r.s.inTx(ctx, func(tx *gorm.DB) error {
				if err := r.update(tx, map[string]any{}, "rolling_back = ?", true); err != nil {
					return err
				}
				res := tx.Exec("DELETE FROM "+table+" WHERE id IN (SELECT id FROM "+table+" WHERE import_id = ? LIMIT ?)", r.row.ID, r.s.importChunk*4)
				deleted = res.RowsAffected
				return res.Error
			})
			if err != nil {
				return err
			}
			if deleted == 0 {
				break
			}
		}
	}
	reason := ImportFailure("")
	if failure != nil {
		reason = ImportFailure(*failure)
	}
	return r.finish(ctx, reason)
}

// finish fails the import, writing the errors not yet written, and records its one audit event.
func (r *importRunner) finish(ctx context.Context, failure ImportFailure) error {
	now := r.s.now()
	changes := map[string]any{"status": ImportFailed, "finished_at": now, "worker_token": nil, "rolling_back": false,
		"error_count": r.row.ErrorCount, "rows_done": r.row.RowsDone, "rows_total": r.row.RowsTotal,
		"victims_created": 0, "losses_created": 0}
	if failure != "" {
		changes["failure"] = string(failure)
	}
	err := r.s.inTx(ctx, func(tx *gorm.DB) error {
		if err := r.writeErrors(tx); err != nil {
			return err
		}
		if err := r.update(tx, changes, "finished_at IS NULL"); err != nil {
			return err
		}
		return r.s.appendAudit(tx, audited{Action: "victim.import", ObjectType: "victim_import", ObjectID: r.row.ID,
			CaseID: r.row.CaseID, Outcome: OutcomeFailure})
	})
	if err != nil {
		return err
	}
	r.row.Status, r.row.FinishedAt, r.row.RollingBack, r.row.WorkerToken = ImportFailed, &now, false, nil
	r.row.VictimsCreated, r.row.LossesCreated = 0, 0
	if failure != "" {
		f := string(failure)
		r.row.Failure = &f
	}
	r.progress()
	return nil
}

// cleanUpImport removes a finished import's sealed upload, once.
func (s *Store) cleanUpImport(ctx context.Context, run ImportRun, row victimImportRow) error {
	if !row.finished() || row.CleanedAt != nil {
		return nil
	}
	if row.Source == ImportFromUpload {
		if run.Storage == nil {
			return nil
		}
		if err := run.Storage.Remove(context.WithoutCancel(ctx), row.ID); err != nil {
			return err
		}
	}
	return s.write.WithContext(ctx).Model(&victimImportRow{}).Where("id = ?", row.ID).Update("cleaned_at", s.now()).Error
}

// NudgeStalledImports queues a new run of every import whose worker has gone silent (it died, or the
// process was killed), of every finished import whose upload was never removed, and of any import let go,
// or never taken, and then left alone for an hour (its job gave up, or a command line died at once). An import that a stopping worker let go is left to
// that worker's job, which River runs again soon. It is for a watchdog
// that runs every few seconds on one instance; an import is queued again at most once a minute. It answers
// how many it queued.
func (s *Store) NudgeStalledImports(ctx context.Context) (int, error) {
	if s.jobs == nil {
		return 0, ErrNoJobQueue
	}
	now := s.now()
	var ids []string
	err := s.read.WithContext(ctx).Model(&victimImportRow{}).
		Where("cleaned_at IS NULL AND (nudged_at IS NULL OR nudged_at < ?)", now.Add(-importNudgeEvery)).
		Where("(finished_at IS NULL AND worker_token IS NOT NULL AND heartbeat_at < ?) OR "+
			"(finished_at IS NULL AND worker_token IS NULL AND coalesce(heartbeat_at, created_at) < ?) OR "+
			"(finished_at IS NOT NULL AND finished_at < ?)",
			now.Add(-ImportStaleAfter), now.Add(-importForgottenAfter), now.Add(-ImportStaleAfter)).
		Order("id").Limit(100).Pluck("id", &ids).Error
	if err != nil {
		return 0, err
	}
	queued := 0
	for _, id := range ids {
		err := s.inTx(ctx, func(tx *gorm.DB) error {
			res := tx.Model(&victimImportRow{}).
				Where("id = ? AND (nudged_at IS NULL OR nudged_at < ?)", id, now.Add(-importNudgeEvery)).
				Update("nudged_at", now)
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			queued++
			sqlTx, err := sqlTxOf(tx)
			if err != nil {
				return err
			}
			return s.jobs.EnqueueVictimImport(ctx, sqlTx, id)
		})
		if err != nil {
			return queued, err
		}
	}
	return queued, nil
}

// importDuplicates finds rows of a file that repeat one another, or a victim the case already has (or is
// importing), by their blind indexes.
type importDuplicates struct {
	idx               blindIndexer
	caseSSN, caseNDOB map[[32]byte]struct{}
	fileSSN, fileNDOB map[[32]byte]int
}

// newImportDuplicates loads the blind indexes of the case's victims, hidden ones included.
func (s *Store) newImportDuplicates(ctx context.Context, caseID string) (*importDuplicates, error) {
	d := &importDuplicates{caseSSN: map[[32]byte]struct{}{}, caseNDOB: map[[32]byte]struct{}{},
		fileSSN: map[[32]byte]int{}, fileNDOB: map[[32]byte]int{}}
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		var err error
		d.idx, err = s.indexerFor(tx, caseID)
		return err
	})
	if err != nil {
		return nil, err
	}
	rows, err := s.read.WithContext(ctx).Model(&victimRow{}).Select("ssn_index", "name_dob_index").
		Where("case_id = ?", caseID).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var ssn, ndob *string
		if err := rows.Scan(&ssn, &ndob); err != nil {
			return nil, err
		}
		if k, ok := indexKey(ssn); ok {
			d.caseSSN[k] = struct{}{}
		}
		if k, ok := indexKey(ndob); ok {
			d.caseNDOB[k] = struct{}{}
		}
	}
	return d, rows.Err()
}

// indexKey is a hex blind index as a map key.
func indexKey(hexIndex *string) ([32]byte, bool) {
	var k [32]byte
	if hexIndex == nil {
		return k, false
	}
	n, err := hex.Decode(k[:], []byte(*hexIndex))
	return k, err == nil && n == len(k)
}

// check finds whether a row repeats an earlier row or a victim of the case, by whichever of its SSN, and
// its name with its birth date, are valid (have none of found, the row's problems so far).
func (d *importDuplicates) check(line int, row importedRow, found []victimcsv.Problem) []victimcsv.Problem {
	var problems []victimcsv.Problem
	for _, index := range []struct {
		value        func() *string
		needs        []victimcsv.Column
		inCase       map[[32]byte]struct{}
		inFile       map[[32]byte]int
		column, what string
	}{
		{func() *string { return d.idx.ssn(row.ssn) }, []victimcsv.Column{victimcsv.SSN},
			d.caseSSN, d.fileSSN, string(victimcsv.SSN), "SSN"},
		{func() *string { return d.idx.nameDOB(row.victim.Name, row.victim.DateOfBirth) }, []victimcsv.Column{victimcsv.Name, victimcsv.DateOfBirth},
			d.caseNDOB, d.fileNDOB, string(victimcsv.Name), "name and date of birth"},
	} {
		if hasProblem(found, index.needs...) {
			continue
		}
		k, ok := indexKey(index.value())
		if !ok {
			continue
		}
		if _, found := index.inCase[k]; found {
			problems = append(problems, victimcsv.Problem{Line: line, Column: index.column,
				Message: "a victim with the same " + index.what + " is already in this case (or being imported into it)"})
		} else if first, found := index.inFile[k]; found {
			problems = append(problems, victimcsv.Problem{Line: line, Column: index.column,
				Message: fmt.Sprintf("has the same %s as line %d", index.what, first)})
		} else {
			index.inFile[k] = line
		}
	}
	return problems
}
