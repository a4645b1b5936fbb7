// Package dispatch is the scaled-out mode's crawl.Scheduler: River
// (github.com/riverqueue/river) owns async jobs on PostgreSQL.
//
// An API process inserts one River job per async SpiderGo job, in the same
// transaction as the job's row, and never runs jobs itself. A worker runs a
// River client with a bounded number of workers; each River job calls the
// job service's RunFunc. Three rules make a crawl survive its worker:
//
//   - A run lasts one slice (five frontier leases) and then hands the job
//     back with river.JobSnooze(0): its claimed pages go back to the
//     frontier and any worker continues the crawl. River's job timeout is a
//     lease past the slice, and its rescuer takes over a job whose worker
//     has been silent for seven leases: by then that worker's frontier
//     claims, no longer extended by its heartbeat, have expired and the
//     next worker fetches them again. A crawl never waits an hour for
//     River's default rescue window, and a live run is never rescued.
//   - River's unique jobs (by the SpiderGo job id, over the states that
//     are not final) keep one River job per SpiderGo job, so resuming
//     stored jobs at a worker's start can only fill a gap, never double one.
//   - Cancelling goes through River's job cancel, which reaches the worker
//     running the job through LISTEN/NOTIFY; the run's status poll is the
//     fallback.
//
// Watchers of a job (streams) are woken across processes through
// PostgreSQL LISTEN/NOTIFY on one channel; a stream also looks again every
// second, so a lost notification only delays it.
package dispatch

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/crawl"
)

// RunArgs is the River job of one SpiderGo async job.
type RunArgs struct {
	CRID string `json:"crid"`
}

// kind is RunArgs' River kind.
const kind = "spidergo_job"

// Kind implements river.JobArgs.
func (RunArgs) Kind() string { return kind }

// InsertOpts implements river.JobArgsWithInsertOpts: one live River job
// per SpiderGo job.
func (RunArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}}
}

// JobCreator stores a job and runs more statements in the same
// transaction (sqlstore.DB on PostgreSQL).
type JobCreator interface {
	CreateJobWith(ctx context.Context, j *spidergo.Job, also func(tx *sql.Tx) error) error
}

// Config configures a Scheduler.
type Config struct {
	// Pool is the PostgreSQL pool River and the notification listener use.
	Pool *pgxpool.Pool
	// DB is the store's own pool, for River inserts in its transactions.
	DB      *sql.DB
	Store   spidergo.JobStore
	Creator JobCreator
	Log     *slog.Logger
	Now     func() time.Time
	// Workers is how many jobs this process runs at once; 0 makes a
	// process that only queues jobs (the api role).
	Workers int
	// MaxPerUser bounds one user's running async jobs.
	MaxPerUser int
	// Lease is the frontier lease (crawl.JobsConfig.LeaseTTL); the run
	// slice, River's job timeout and its rescue window derive from it.
	Lease time.Duration
	// Poll is how long a job whose user is at the cap waits before asking
	// for a slot again (2 s).
	Poll time.Duration
	// Deliveries stores webhook deliveries with their River jobs, and
	// Hooks sends them on workers; nil Hooks leaves webhooks to others.
	Deliveries DeliveryAdder
	Hooks      HookDrainer
}

// Scheduler implements crawl.Scheduler on River.
type Scheduler struct {
	cfg    Config
	run    crawl.RunFunc
	client *river.Client[pgx.Tx]
	insert *river.Client[*sql.Tx]
	notify *notifier
	slice  time.Duration
	// base ends at Close: webhook sends stop with it.
	base context.Context
	stop context.CancelFunc

	mu      sync.Mutex
	closed  bool
	started bool // River's workers, which Close must stop
	running map[string]context.CancelCauseFunc
}

// New builds a Scheduler; Bind gives it the job service's RunFunc.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.MaxPerUser <= 0 {
		cfg.MaxPerUser = 1
	}
	if cfg.Lease <= 0 {
		cfg.Lease = time.Minute
	}
	s := &Scheduler{cfg: cfg, slice: 5 * cfg.Lease, running: map[string]context.CancelCauseFunc{}}
	s.base, s.stop = context.WithCancel(context.Background())
	rc := &river.Config{Logger: cfg.Log.With("component", "river")}
	if cfg.Workers > 0 {
		workers := river.NewWorkers()
		if err := river.AddWorkerSafely(workers, &worker{s: s}); err != nil {
			return nil, err
		}
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
		if cfg.Hooks != nil {
			if err := river.AddWorkerSafely(workers, &hookWorker{s: s}); err != nil {
				return nil, err
			}
			rc.Queues[hookQueue] = river.QueueConfig{MaxWorkers: HookWorkers}
		}
		rc.Workers = workers
		rc.JobTimeout = s.slice + cfg.Lease
		rc.RescueStuckJobsAfter = s.slice + 2*cfg.Lease
	}
	var err error
	if s.client, err = river.NewClient(riverpgxv5.New(cfg.Pool), rc); err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	if s.insert, err = river.NewClient(riverdatabasesql.New(cfg.DB), &river.Config{Logger: rc.Logger}); err != nil {
		return nil, fmt.Errorf("river insert client: %w", err)
	}
	s.notify = newNotifier(cfg.Pool, cfg.Log)
	return s, nil
}

// Bind sets the RunFunc jobs run with; it is crawl.JobsConfig.Scheduler.
func (s *Scheduler) Bind(run crawl.RunFunc) crawl.Scheduler {
	s.run = run
	return s
}

// Run starts the River workers (when this process has any) and runs the
// notification listener until ctx ends. Close stops the workers.
func (s *Scheduler) Run(ctx context.Context) error {
	if s.cfg.Workers > 0 {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil
		}
		// Close stops River, after handing running jobs back; the
		// end of ctx alone must not cut the completer short.
		err := s.client.Start(context.WithoutCancel(ctx))
		s.started = err == nil
		s.mu.Unlock()
		if err != nil {
			return fmt.Errorf("start river: %w", err)
		}
	}
	s.notify.run(ctx)
	return nil
}

// Create implements crawl.Creator: the job's row and its River job are
// committed together, so no queued job exists without its River job.
func (s *Scheduler) Create(ctx context.Context, j *spidergo.Job) error {
	return s.cfg.Creator.CreateJobWith(ctx, j, func(tx *sql.Tx) error {
		_, err := s.insert.InsertTx(ctx, tx, RunArgs{CRID: j.ID}, nil)
		return err
	})
}

// Submit implements crawl.Scheduler: a stored job gets its River job
// unless it has one already (Resume after an upgrade, or a lost insert).
func (s *Scheduler) Submit(ctx context.Context, j *spidergo.Job) error {
	_, err := s.client.Insert(ctx, RunArgs{CRID: j.ID}, nil)
	return err
}

// Cancel implements crawl.Scheduler: River cancels the job; the worker
// running it, wherever it is, stops it. Cancel returns once no River job
// of id runs any more, or ctx ends, or after 15 s: the run then stops at
// its next status poll.
func (s *Scheduler) Cancel(ctx context.Context, id string) error {
	s.mu.Lock()
	if c := s.running[id]; c != nil {
		c(crawl.ErrCancelled)
	}
	s.mu.Unlock()
	res, err := s.client.JobList(ctx, river.NewJobListParams().Kinds(kind).
		States(rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled).
		Where("args->>'crid' = @crid", river.NamedArgs{"crid": id}).First(10))
	if err != nil {
		return fmt.Errorf("find river job: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for _, rj := range res.Jobs {
		row, err := s.client.JobCancel(ctx, rj.ID)
		if err != nil {
			if errors.Is(err, river.ErrNotFound) {
				continue
			}
			return fmt.Errorf("cancel river job: %w", err)
		}
		for row.State == rivertype.JobStateRunning {
			select {
			case <-ctx.Done():
				s.Changed(id)
				return nil
			case <-time.After(100 * time.Millisecond):
			}
			if row, err = s.client.JobGet(ctx, rj.ID); err != nil {
				break
			}
		}
	}
	s.Changed(id)
	return nil
}

// Watch implements crawl.Scheduler.
func (s *Scheduler) Watch(id string) (<-chan struct{}, func()) { return s.notify.watch(id) }

// Changed implements crawl.Scheduler: watchers here at once, elsewhere
// through NOTIFY.
func (s *Scheduler) Changed(id string) { s.notify.changed(id) }

// Close stops this process's runs — they hand their jobs back to River —
// and the River client, waiting for the runs to return.
func (s *Scheduler) Close() {
	s.mu.Lock()
	s.closed = true
	s.stop()
	for _, c := range s.running {
		c(crawl.ErrShutdown)
	}
	started := s.started
	s.mu.Unlock()
	if started {
		ctx, cancel := context.WithTimeout(context.Background(), s.slice)
		defer cancel()
		if err := s.client.Stop(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			s.cfg.Log.Warn("river did not stop cleanly", "err", err)
		}
	}
}

// work runs one slice of a SpiderGo job.
func (s *Scheduler) work(ctx context.Context, id string) error {
	ok, err := s.cfg.Store.ClaimJobSlot(ctx, id, s.cfg.MaxPerUser, s.cfg.Now())
	switch {
	case err != nil:
		if code := spidergo.ErrorCode(err); code == spidergo.ECONFLICT || code == spidergo.ENOTFOUND {
			return nil // finished, cancelled or deleted meanwhile
		}
		return err
	case !ok:
		return river.JobSnooze(s.cfg.Poll) // the user is at the cap
	}
	j, err := s.cfg.Store.JobByID(ctx, id)
	if err != nil {
		if spidergo.ErrorCode(err) == spidergo.ENOTFOUND {
			return nil
		}
		return err
	}
	runCtx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancel(nil)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return river.JobSnooze(0)
	}
	s.running[id] = cancel
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.running, id)
		s.mu.Unlock()
	}()
	// River's context ends on a remote cancel, its timeout or its stop.
	stopWatch := context.AfterFunc(ctx, func() {
		if errors.Is(context.Cause(ctx), river.ErrJobCancelledRemotely) {
			cancel(crawl.ErrCancelled)
		} else {
			cancel(crawl.ErrShutdown)
		}
	})
	defer stopWatch()
	slice := time.AfterFunc(s.slice, func() { cancel(crawl.ErrShutdown) })
	defer slice.Stop()

	s.Changed(id)
	s.run(runCtx, j)
	s.Changed(id)

	bg := context.WithoutCancel(ctx)
	cur, err := s.cfg.Store.JobByID(bg, id)
	switch {
	case spidergo.ErrorCode(err) == spidergo.ENOTFOUND:
		return nil
	case err != nil:
		return err
	case cur.Finished():
		return nil
	}
	// The slice ended or the process stops: the run handed its claims
	// back; any worker continues.
	return river.JobSnooze(0)
}

// worker is River's worker for RunArgs.
type worker struct {
	river.WorkerDefaults[RunArgs]
	s *Scheduler
}

func (w *worker) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	return w.s.work(ctx, job.Args.CRID)
}
