// Package jobs runs ImpactLedger's durable background work on River, a job queue that lives in the
// application's own database (PostgreSQL or SQLite): today, bulk imports of victims. A job is queued in the
// same transaction as the work it stands for, survives restarts, and may run on any instance.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/impactledger/impactledger/documents"
	"github.com/impactledger/impactledger/models"
)

// Queues of the work, so that a long import never holds up the short jobs behind it.
const (
	QueueImports = "imports"
	queueDefault = river.QueueDefault
)

// Config is what a Queue is built from.
type Config struct {
	Store *models.Store
	// Documents holds the sealed files of uploaded imports.
	Documents documents.Storage
	// Logger receives warnings and errors, never with personal data; nil uses slog.Default.
	Logger *slog.Logger
	// ImportWorkers is how many imports this process runs at once; 0 means 1. Each keeps a core busy.
	ImportWorkers int
	// PollInterval is how often the queue looks for work queued by other instances; 0 means a second.
	PollInterval time.Duration
	// WatchdogInterval is how often stalled imports are looked for; 0 means 5 seconds.
	WatchdogInterval time.Duration
	// DenialFlushInterval is how often refusals that were only counted are written to the audit trail
	// (models.FlushDenials); 0 means a minute.
	DenialFlushInterval time.Duration
	// ImportProgress, when set, hears every step of every import this queue runs, on the import's own
	// goroutine, between its transactions: for tests that must see an import part way.
	ImportProgress func(models.VictimImport)
}

// Queue is River set up for ImpactLedger's jobs. Start makes it the store's job queue.
type Queue struct {
	client   *river.Client[*sql.Tx]
	store    *models.Store
	docs     documents.Storage
	log      *slog.Logger
	progress func(models.VictimImport)
}

// New builds the queue on the store's database. It runs no job, and the store queues none on it, until
// Start.
func New(cfg Config) (*Queue, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	db, err := cfg.Store.SQLDB()
	if err != nil {
		return nil, err
	}
	q := &Queue{store: cfg.Store, docs: cfg.Documents, log: log, progress: cfg.ImportProgress}
	workers := river.NewWorkers()
	river.AddWorker(workers, &victimImportWorker{q: q})
	river.AddWorker(workers, &importWatchdogWorker{q: q})
	river.AddWorker(workers, &denialFlushWorker{q: q})
	watchdog := cfg.WatchdogInterval
	if watchdog <= 0 {
		watchdog = 5 * time.Second
	}
	config := &river.Config{
		Queues: map[string]river.QueueConfig{
			QueueImports: {MaxWorkers: max(cfg.ImportWorkers, 1)},
			queueDefault: {MaxWorkers: 2},
		},
		Workers:           workers,
		FetchPollInterval: cfg.PollInterval,
		// River's own notices are for its operators; only its warnings reach ours.
		Logger: slog.New(minLevel{log.Handler(), slog.LevelWarn}),
		// The watchdog leaves a finished job every few seconds; an hour of them is plenty to look back on.
		CompletedJobRetentionPeriod: time.Hour,
		PeriodicJobs: []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(watchdog),
			func() (river.JobArgs, *river.InsertOpts) {
				// One per period: a watchdog left running by a killed process must not stop the next ones, as
				// uniqueness across periods would (until River rescued it, an hour later).
				return importWatchdogArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: watchdog}}
			},
			&river.PeriodicJobOpts{RunOnStart: true})},
	}
	config.PeriodicJobs = append(config.PeriodicJobs, denialFlushJob(cfg.DenialFlushInterval))
	switch cfg.Store.Dialect() {
	case models.Postgres:
		// River rebuilds its job table's indexes every night, which only the tables' owner may do, and the
		// service's role owns nothing (IMPACTLEDGER_MIGRATE_DATABASE_URL): it would fail every night. Finished
		// jobs are deleted (completed ones after an hour), so the table and its indexes stay small without it.
		config.ReindexerIndexNames = []string{}
		// Poll-only over the same pool as the store: no connection of its own to LISTEN on.
		q.client, err = river.NewClient(riverdatabasesql.New(db), config)
	case models.SQLite:
		// Through the store's one writing connection, so that River's writes queue with the store's.
		q.client, err = river.NewClient(riversqlite.New(db), config)
	default:
		err = fmt.Errorf("jobs: unknown dialect %q", cfg.Store.Dialect())
	}
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return q, nil
}

// Start starts working jobs until Stop, and only then gives the queue to the store: until the queue runs, an
// upload is refused (models.ErrNoJobQueue) rather than accepted and left waiting.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.client.Start(ctx); err != nil {
		return err
	}
	q.store.SetJobQueue(q)
	return nil
}

// Stop stops taking jobs and gives running ones until ctx ends to finish, then cancels them: a cancelled
// import lets go of its place and carries on at the next start, here or on another instance.
func (q *Queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		cancelCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return q.client.StopAndCancel(cancelCtx)
	}
	return err
}

// EnqueueVictimImport queues a run of the import with importID in tx (models.JobQueue).
func (q *Queue) EnqueueVictimImport(ctx context.Context, tx *sql.Tx, importID string) error {
	if tx == nil {
		return errors.New("jobs: an import must be queued inside the transaction that records it")
	}
	_, err := q.client.InsertTx(ctx, tx, VictimImportArgs{ImportID: importID}, nil)
	return err
}

// VictimImportArgs are the arguments of a run of an import: its ID, nothing personal.
type VictimImportArgs struct {
	ImportID string `json:"import_id"`
}

// Kind names the job.
func (VictimImportArgs) Kind() string { return "victim_import" }

// InsertOpts puts imports on their own queue. Ten attempts, River's backoff between them, span hours: a
// database that is down for a while does not fail an import that can still finish.
func (VictimImportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueImports, MaxAttempts: 10}
}

type victimImportWorker struct {
	river.WorkerDefaults[VictimImportArgs]
	q *Queue
}

// Timeout lets an import run long; a run that was only slow is never run twice at once, since the import
// is held by one worker's token (see models.RunVictimImport).
func (w *victimImportWorker) Timeout(*river.Job[VictimImportArgs]) time.Duration {
	return 2 * time.Hour
}

func (w *victimImportWorker) Work(ctx context.Context, job *river.Job[VictimImportArgs]) error {
	// A job runs on behalf of nobody in particular; the import's own audit event names its uploader.
	ctx = models.AsSystem(ctx, "jobs")
	id := job.Args.ImportID
	run := models.ImportRun{Storage: w.q.docs, Progress: w.q.progress}
	err := w.q.store.RunVictimImport(ctx, id, run)
	switch {
	case err == nil:
		return nil
	case errors.Is(ctx.Err(), context.Canceled):
		// Stopping (a shutdown): come back soon, without spending an attempt. A run past its Timeout is a
		// failure like any other, which spends one.
		return river.JobSnooze(time.Second)
	case job.Attempt >= job.MaxAttempts:
		// The last attempt failed too: roll back whatever was written and fail the import, so that it does
		// not sit unfinished (unless another run holds it meanwhile, which then carries it on).
		run.Abandon = true
		if abandonErr := w.q.store.RunVictimImport(context.WithoutCancel(ctx), id, run); abandonErr != nil {
			w.q.log.Error("an import's last attempt failed, and it could not be rolled back", "import_id", id,
				"error_class", models.ErrorClass(abandonErr))
			return fmt.Errorf("victim import %s: rolling back: %s", id, models.ErrorClass(abandonErr))
		}
		w.q.log.Error("an import's last attempt failed; it has been rolled back and failed", "import_id", id,
			"error_class", models.ErrorClass(err))
		return nil
	default:
		w.q.log.Warn("an import stopped; it will be tried again", "import_id", id, "attempt", job.Attempt, "error_class", models.ErrorClass(err))
		// River keeps the error's text with the job: its class only, since a driver's text may quote values.
		return fmt.Errorf("victim import %s: %s", id, models.ErrorClass(err))
	}
}

// importWatchdogArgs are the arguments of the watchdog that hands stalled imports to new runs.
type importWatchdogArgs struct{}

func (importWatchdogArgs) Kind() string { return "victim_import_watchdog" }

type importWatchdogWorker struct {
	river.WorkerDefaults[importWatchdogArgs]
	q *Queue
}

func (w *importWatchdogWorker) Timeout(*river.Job[importWatchdogArgs]) time.Duration {
	return time.Minute
}

func (w *importWatchdogWorker) Work(ctx context.Context, _ *river.Job[importWatchdogArgs]) error {
	ctx = models.AsSystem(ctx, "jobs")
	n, err := w.q.store.NudgeStalledImports(ctx)
	if n > 0 {
		w.q.log.Info("queued imports whose worker stopped", "imports", n)
	}
	if err != nil {
		return fmt.Errorf("import watchdog: %s", models.ErrorClass(err))
	}
	return nil
}

// minLevel passes on only records at or above min.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.min && m.Handler.Enabled(ctx, l)
}

func (m minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{m.Handler.WithAttrs(attrs), m.min}
}

func (m minLevel) WithGroup(name string) slog.Handler {
	return minLevel{m.Handler.WithGroup(name), m.min}
}
