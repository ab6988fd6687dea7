package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/impactledger/impactledger/models"
)

// denialFlushArgs are the arguments of the periodic job that writes the refusals the audit trail has only
// counted so far (models.FlushDenials): none, since it looks at every actor.
type denialFlushArgs struct{}

func (denialFlushArgs) Kind() string { return "audit_denial_flush" }

// denialFlushJob runs the flush every interval (0: models.DenialWindow), and at start-up, once per period
// across instances.
func denialFlushJob(interval time.Duration) *river.PeriodicJob {
	if interval <= 0 {
		interval = models.DenialWindow
	}
	interval = max(interval, time.Second) // River's shortest period of uniqueness
	return river.NewPeriodicJob(river.PeriodicInterval(interval), func() (river.JobArgs, *river.InsertOpts) {
		return denialFlushArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: interval}}
	}, &river.PeriodicJobOpts{RunOnStart: true})
}

type denialFlushWorker struct {
	river.WorkerDefaults[denialFlushArgs]
	q *Queue
}

func (w *denialFlushWorker) Timeout(*river.Job[denialFlushArgs]) time.Duration { return time.Minute }

func (w *denialFlushWorker) Work(ctx context.Context, _ *river.Job[denialFlushArgs]) error {
	if _, err := w.q.store.FlushDenials(ctx); err != nil {
		// River keeps the error's text with the job: its class only, since a driver's text may quote values.
		return fmt.Errorf("audit denial flush: %s", models.ErrorClass(err))
	}
	return nil
}
