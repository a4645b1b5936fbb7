// Package dispatch is the scaled-out mode's crawl.Scheduler: River
// (github.com/riverqueue/river) owns async jobs on PostgreSQL.
//
// An API process inserts one River job per async SpiderGo job, in the same
// transaction as the job's row, and never runs jobs itself. A worker runs a
// River client with a bounded number of workers; each River job calls the
// job service's RunFunc. Three rules make a crawl survive its worker:
//
//   - A run lasts one slice (five frontier leases): it then stops claiming,
//     stores the pages it is fetching (cut short half a lease later) and
//     hands the job back with river.JobSnooze(0): the pages it claimed
//     ahead go back to the frontier and any worker continues the crawl.
//     River's job timeout is a
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
//   - A large crawl spreads over workers: its run queues Spread helper
//     parts (River jobs of their own, unique by job and part number). A
//     part runs only on a worker not running the job already — elsewhere
//     it steps aside for a moment so that another worker takes it — and
//     claims batches of the same frontier under its own lease, so every
//     URL is still fetched once. The run that finds the frontier empty
//     finishes the job; a cancel reaches every part.
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

// PartArgs is the River job of one helper part of a SpiderGo job.
type PartArgs struct {
	CRID string `json:"crid"`
	Part int    `json:"part"`
}

// partKind is PartArgs' River kind.
const partKind = "spidergo_job_part"

// Kind implements river.JobArgs.
func (PartArgs) Kind() string { return partKind }

// InsertOpts implements river.JobArgsWithInsertOpts: one live River job
// per part of a SpiderGo job.
func (PartArgs) InsertOpts() river.InsertOpts { return RunArgs{}.InsertOpts() }

// stepAside is how long a part waits before another try when the worker
// that took it runs its job already.
const stepAside = 2 * time.Second

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
	// Spread is how many helper parts a large crawl queues besides its own
	// run, so that up to Spread+1 workers crawl it at once; 0 keeps every
	// job on one worker.
	Spread int
}

// Scheduler implements crawl.Scheduler on River.
type Scheduler struct {
	cfg    Config
	run    crawl.RunFunc
	part   crawl.PartFunc
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
	running map[string]map[*runSlot]struct{}
}

// runSlot is one run of a job in this process: its main run or a part.
type runSlot struct {
	cancel context.CancelCauseFunc
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
	s := &Scheduler{cfg: cfg, slice: 5 * cfg.Lease, running: map[string]map[*runSlot]struct{}{}}
	s.base, s.stop = context.WithCancel(context.Background())
	rc := &river.Config{Logger: cfg.Log.With("component", "river")}
	if cfg.Workers > 0 {
		workers := river.NewWorkers()
		if err := river.AddWorkerSafely(workers, &worker{s: s}); err != nil {
			return nil, err
		}
		if err := river.AddWorkerSafely(workers, &partWorker{s: s}); err != nil {
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

// BindPart implements crawl.Spreader.
func (s *Scheduler) BindPart(run crawl.PartFunc) { s.part = run }

// Spread implements crawl.Spreader: it queues the job's parts; River's
// unique jobs keep those already queued or running from being doubled.
func (s *Scheduler) Spread(ctx context.Context, id string) error {
	if s.cfg.Spread <= 0 || s.part == nil {
		return nil
	}
	for n := 1; n <= s.cfg.Spread; n++ {
		if _, err := s.client.Insert(ctx, PartArgs{CRID: id, Part: n}, nil); err != nil {
			return fmt.Errorf("queue part %d: %w", n, err)
		}
	}
	return nil
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
	for r := range s.running[id] {
		r.cancel(crawl.ErrCancelled)
	}
	s.mu.Unlock()
	res, err := s.client.JobList(ctx, river.NewJobListParams().Kinds(kind, partKind).
		States(rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled).
		Where("args->>'crid' = @crid", river.NamedArgs{"crid": id}).First(s.cfg.Spread+10))
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
	for _, runs := range s.running {
		for r := range runs {
			r.cancel(crawl.ErrShutdown)
		}
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
	runCtx, done, ok := s.track(ctx, id, false)
	if !ok {
		return river.JobSnooze(0)
	}
	defer done()
	s.Changed(id)
	s.run(runCtx, j)
	s.Changed(id)
	return s.handBack(ctx, id)
}

// track registers a run of job id in this process and returns its
// context, which ends with River's (a remote cancel, the timeout, the
// stop), at the end of the slice, or at Close, with the cause the job
// service expects. It refuses when the process is closing, and, for a
// part, when a run of the job is here already.
func (s *Scheduler) track(ctx context.Context, id string, part bool) (context.Context, func(), bool) {
	runCtx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	r := &runSlot{cancel: cancel}
	s.mu.Lock()
	if s.closed || part && len(s.running[id]) > 0 {
		s.mu.Unlock()
		cancel(nil)
		return nil, nil, false
	}
	if s.running[id] == nil {
		s.running[id] = map[*runSlot]struct{}{}
	}
	s.running[id][r] = struct{}{}
	s.mu.Unlock()
	// River's context ends on a remote cancel, its timeout or its stop.
	stopWatch := context.AfterFunc(ctx, func() {
		if errors.Is(context.Cause(ctx), river.ErrJobCancelledRemotely) {
			cancel(crawl.ErrCancelled)
		} else {
			cancel(crawl.ErrShutdown)
		}
	})
	// The slice ends gracefully: the run stores the pages it is fetching
	// and hands the job back; it is cut short only half a lease later.
	yield := make(chan struct{})
	runCtx = crawl.WithYield(runCtx, yield)
	slice := time.AfterFunc(s.slice, func() { close(yield) })
	hard := time.AfterFunc(s.slice+s.cfg.Lease/2, func() { cancel(crawl.ErrShutdown) })
	return runCtx, func() {
		slice.Stop()
		hard.Stop()
		stopWatch()
		cancel(nil)
		s.mu.Lock()
		delete(s.running[id], r)
		if len(s.running[id]) == 0 {
			delete(s.running, id)
		}
		s.mu.Unlock()
	}, true
}

// handBack ends a River job whose run returned: done when the SpiderGo job
// is finished (or gone), else snoozed for any worker to continue.
func (s *Scheduler) handBack(ctx context.Context, id string) error {
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

// workPart runs one slice of a part of a SpiderGo job.
func (s *Scheduler) workPart(ctx context.Context, id string, part int) error {
	j, err := s.cfg.Store.JobByID(ctx, id)
	switch {
	case spidergo.ErrorCode(err) == spidergo.ENOTFOUND:
		return nil
	case err != nil:
		return err
	case j.Finished():
		return nil
	case j.Status != spidergo.StatusRunning || s.part == nil:
		return river.JobSnooze(s.cfg.Poll)
	}
	runCtx, done, ok := s.track(ctx, id, true)
	if !ok {
		// This worker runs the job already (or is stopping): leave the
		// part to another one.
		return river.JobSnooze(stepAside)
	}
	defer done()
	s.part(runCtx, j, part)
	s.Changed(id)
	return s.handBack(ctx, id)
}

// partWorker is River's worker for PartArgs.
type partWorker struct {
	river.WorkerDefaults[PartArgs]
	s *Scheduler
}

func (w *partWorker) Work(ctx context.Context, job *river.Job[PartArgs]) error {
	return w.s.workPart(ctx, job.Args.CRID, job.Args.Part)
}

// worker is River's worker for RunArgs.
type worker struct {
	river.WorkerDefaults[RunArgs]
	s *Scheduler
}

func (w *worker) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	return w.s.work(ctx, job.Args.CRID)
}
