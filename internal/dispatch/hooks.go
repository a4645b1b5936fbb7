package dispatch

import (
	"context"
	"database/sql"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/spidergo/spidergo"
)

// HookArgs is the River job that sends one SpiderGo job's due webhook
// deliveries, in order. Every stored delivery inserts one, in the same
// transaction as its row; River's unique jobs fold those of one SpiderGo
// job that are not running yet into one, so a job's deliveries have one
// sender at a time and keep their order.
type HookArgs struct {
	CRID string `json:"crid"`
}

// hookKind is HookArgs' River kind, and hookQueue the River queue of
// webhook deliveries: apart from crawls, whose runs hold a worker for
// minutes, so that events never wait for a crawl slot.
const (
	hookKind  = "spidergo_webhook"
	hookQueue = "webhooks"
)

// HookWorkers is how many jobs' deliveries a worker process sends at once.
const HookWorkers = 8

// Kind implements river.JobArgs.
func (HookArgs) Kind() string { return hookKind }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (HookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: hookQueue, MaxAttempts: 100, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}}
}

// HookDrainer sends a job's due deliveries (crawl.Webhooks.Drain).
type HookDrainer interface {
	Drain(ctx context.Context, jobID string) (time.Time, error)
}

// DeliveryAdder stores a delivery and runs more statements in the same
// transaction (sqlstore.DB on PostgreSQL).
type DeliveryAdder interface {
	AddDeliveryWith(ctx context.Context, d *spidergo.WebhookDelivery, also func(tx *sql.Tx) error) error
}

// Enqueue implements crawl.HookQueue: the delivery's row and the River job
// that sends it are committed together.
func (s *Scheduler) Enqueue(ctx context.Context, d *spidergo.WebhookDelivery) error {
	return s.cfg.Deliveries.AddDeliveryWith(ctx, d, func(tx *sql.Tx) error {
		_, err := s.insert.InsertTx(ctx, tx, HookArgs{CRID: d.JobID}, nil)
		return err
	})
}

// Wake implements crawl.HookQueue: a River job sends the job's due
// deliveries, unless one is queued already. A sender that is running may
// have looked for deliveries just before a new one was stored: the
// webhooks' periodic look wakes the job again once that sender is done.
func (s *Scheduler) Wake(ctx context.Context, jobID string) error {
	_, err := s.client.Insert(ctx, HookArgs{CRID: jobID}, nil)
	return err
}

// hookWorker is River's worker for HookArgs.
type hookWorker struct {
	river.WorkerDefaults[HookArgs]
	s *Scheduler
}

// Work sends the job's due deliveries and snoozes until the next one is
// due. River retries a failed store with its own backoff; a stopping
// process cuts the sends short and hands the job back.
func (w *hookWorker) Work(ctx context.Context, job *river.Job[HookArgs]) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(w.s.base, cancel)
	defer stop()
	next, err := w.s.cfg.Hooks.Drain(ctx, job.Args.CRID)
	if err != nil {
		return err
	}
	if next.IsZero() {
		return nil
	}
	return river.JobSnooze(max(0, time.Until(next)))
}
