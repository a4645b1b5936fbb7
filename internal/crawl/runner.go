package crawl

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/spidergo/spidergo"
)

// Causes a job's run context ends with.
var (
	// ErrCancelled: the user cancelled the job (its status says so).
	ErrCancelled = errors.New("cancelled by the user")
	// ErrShutdown: the process is stopping; the job stays unfinished in
	// the store and the next start resumes it.
	ErrShutdown = errors.New("server shutting down")
)

// Scheduler runs stored async jobs. The in-process Runner is the embedded
// mode's; the scaled-out mode's River scheduler implements the same
// interface. A scheduler decides when and where a job runs; what a run does
// (status changes, events) is the RunFunc it is given.
type Scheduler interface {
	// Submit queues a stored job to run when its user has a free slot.
	Submit(ctx context.Context, j *spidergo.Job) error
	// Cancel stops the job's run, if any, and returns once it has stopped
	// or ctx ends. Recording the cancellation is the caller's.
	Cancel(ctx context.Context, id string) error
	// Watch returns a channel closed the next time the job saves a page or
	// changes status, and a function to call when no longer waiting.
	Watch(id string) (changed <-chan struct{}, stop func())
	// Changed wakes the job's watchers.
	Changed(id string)
}

// Creator is a Scheduler that stores a new job and queues it in one step
// (one transaction), so that no stored job is left without its queue
// entry; Start uses it instead of CreateJob and Submit when the scheduler
// has it.
type Creator interface {
	Create(ctx context.Context, j *spidergo.Job) error
}

// ErrYielded is what a run returns when it gave its job back on its
// scheduler's signal (WithYield): it claimed no more pages, stored those it
// was fetching and handed back the ones it had claimed ahead. The job is
// left as at a shutdown, for any worker to continue.
var ErrYielded = errors.New("run handed back to the scheduler")

type yieldKey struct{}

// WithYield returns ctx carrying the signal a scheduler closes to end a
// run's turn gracefully (ErrYielded) rather than by cancelling it, which
// would drop the pages in flight to be fetched again.
func WithYield(ctx context.Context, yield <-chan struct{}) context.Context {
	return context.WithValue(ctx, yieldKey{}, yield)
}

func yieldOf(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(yieldKey{}).(<-chan struct{})
	return ch
}

// Spreader is a Scheduler that runs one large job on several workers at
// once: besides the job's own run, helper parts claim from the same frontier
// in the store. Parts of a job run in different processes; a part never
// starts or fails the job, and the run that finds the frontier empty
// finishes it.
type Spreader interface {
	// Spread queues the parts of a running job; parts queued or running
	// already are not doubled.
	Spread(ctx context.Context, id string) error
	// BindPart sets what a part runs.
	BindPart(run PartFunc)
}

// PartFunc runs part number part (1, 2 …) of a running job until the
// job's frontier is empty or ctx ends, with the same causes as RunFunc.
type PartFunc func(ctx context.Context, j *spidergo.Job, part int)

// RunFunc runs one job to its end. ctx ends with ErrCancelled or
// ErrShutdown as its cause (context.Cause) when the run is stopped.
type RunFunc func(ctx context.Context, j *spidergo.Job)

// Runner is the in-process Scheduler. Slots are claimed in the store
// (ClaimJobSlot), so the per-user cap holds even when several processes
// share one database; jobs over the cap wait here in submission order.
type Runner struct {
	store      spidergo.JobStore
	log        *slog.Logger
	maxPerUser int
	now        func() time.Time
	run        RunFunc
	poll       time.Duration

	sched   sync.Mutex // serializes scheduling passes
	polling bool
	quit    chan struct{}
	mu      sync.Mutex
	closed  bool
	running map[string]*runHandle
	waiting []*spidergo.Job
	watch   map[string]map[chan struct{}]struct{}
	wg      sync.WaitGroup
}

type runHandle struct {
	cancel context.CancelCauseFunc
	done   chan struct{}
}

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	Store spidergo.JobStore
	Log   *slog.Logger
	// MaxPerUser bounds one user's running async jobs; more wait their turn.
	MaxPerUser int
	Now        func() time.Time
	// Run runs one job (the Jobs service's lifecycle).
	Run RunFunc
	// Poll is how often waiting jobs ask for a slot again (default 2 s):
	// a slot another process frees tells this one nothing.
	Poll time.Duration
}

// NewRunner builds a runner.
func NewRunner(cfg RunnerConfig) *Runner {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxPerUser <= 0 {
		cfg.MaxPerUser = 1
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	return &Runner{store: cfg.Store, log: cfg.Log, maxPerUser: cfg.MaxPerUser, now: cfg.Now, run: cfg.Run, poll: cfg.Poll,
		quit: make(chan struct{}), running: map[string]*runHandle{}, watch: map[string]map[chan struct{}]struct{}{}}
}

// pollLocked starts, once, the loop that schedules waiting jobs now and
// then until Close.
func (r *Runner) pollLocked() {
	if r.polling {
		return
	}
	r.polling = true
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		t := time.NewTicker(r.poll)
		defer t.Stop()
		for {
			select {
			case <-r.quit:
				return
			case <-t.C:
				r.mu.Lock()
				waiting := len(r.waiting) > 0
				r.mu.Unlock()
				if waiting {
					r.schedule(context.Background())
				}
			}
		}
	}()
}

// Submit implements Scheduler.
func (r *Runner) Submit(ctx context.Context, j *spidergo.Job) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil // stored as queued: the next start resumes it
	}
	r.waiting = append(r.waiting, j)
	r.pollLocked()
	r.mu.Unlock()
	// The job is queued now: a caller that goes away must not leave it
	// waiting for the next job to finish.
	r.schedule(context.WithoutCancel(ctx))
	return nil
}

// schedule starts waiting jobs whose users have a free slot, in submission
// order. A user found at the cap is not asked again in the same pass.
func (r *Runner) schedule(ctx context.Context) {
	r.sched.Lock()
	defer r.sched.Unlock()
	r.mu.Lock()
	waiting := append([]*spidergo.Job(nil), r.waiting...)
	r.mu.Unlock()
	full := map[string]bool{}
	for _, j := range waiting {
		if full[j.UserID] {
			continue
		}
		ok, err := r.store.ClaimJobSlot(ctx, j.ID, r.maxPerUser, r.now())
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			code := spidergo.ErrorCode(err)
			if code != spidergo.ECONFLICT && code != spidergo.ENOTFOUND {
				r.log.Error("job slot not claimed", "crid", j.ID, "err", err)
				continue // stays waiting; the next pass tries again
			}
			r.drop(j.ID) // cancelled or deleted while it waited
		case !ok:
			full[j.UserID] = true
		default:
			r.start(j)
		}
	}
}

func (r *Runner) drop(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, w := range r.waiting {
		if w.ID == id {
			r.waiting = append(r.waiting[:i:i], r.waiting[i+1:]...)
			return
		}
	}
}

func (r *Runner) start(j *spidergo.Job) {
	r.mu.Lock()
	defer r.mu.Unlock()
	removed := false
	for i, w := range r.waiting {
		if w.ID == j.ID {
			r.waiting = append(r.waiting[:i:i], r.waiting[i+1:]...)
			removed = true
			break
		}
	}
	if r.closed || !removed {
		return // closing, or cancelled while its slot was claimed: the store holds it
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	h := &runHandle{cancel: cancel, done: make(chan struct{})}
	r.running[j.ID] = h
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(h.done)
		defer r.finish(j)
		defer cancel(nil)
		r.Changed(j.ID)
		r.run(ctx, j)
	}()
}

func (r *Runner) finish(j *spidergo.Job) {
	r.mu.Lock()
	delete(r.running, j.ID)
	closed := r.closed
	r.mu.Unlock()
	r.Changed(j.ID)
	if !closed {
		r.schedule(context.Background())
	}
}

// Cancel implements Scheduler.
func (r *Runner) Cancel(ctx context.Context, id string) error {
	r.drop(id)
	r.mu.Lock()
	h := r.running[id]
	r.mu.Unlock()
	if h != nil {
		h.cancel(ErrCancelled)
		select {
		case <-h.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.Changed(id)
	return nil
}

// Watch implements Scheduler. Each watcher has its own channel, removed by
// stop or by the wake-up, so a stream that ends without a wake-up (a
// finished job) leaves nothing behind.
func (r *Runner) Watch(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	r.mu.Lock()
	set := r.watch[id]
	if set == nil {
		set = map[chan struct{}]struct{}{}
		r.watch[id] = set
	}
	set[ch] = struct{}{}
	r.mu.Unlock()
	return ch, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if set, ok := r.watch[id]; ok {
			delete(set, ch)
			if len(set) == 0 {
				delete(r.watch, id)
			}
		}
	}
}

// Changed implements Scheduler.
func (r *Runner) Changed(id string) {
	r.mu.Lock()
	set := r.watch[id]
	delete(r.watch, id)
	r.mu.Unlock()
	for ch := range set {
		close(ch)
	}
}

// watchers is how many wake-up channels are registered, for tests.
func (r *Runner) watchers() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, set := range r.watch {
		n += len(set)
	}
	return n
}

// Close stops every run without marking jobs finished, so the next Resume
// continues them, and waits for the runs to return. Runs end promptly: the
// engine honours their contexts.
func (r *Runner) Close() {
	r.mu.Lock()
	if !r.closed {
		close(r.quit)
	}
	r.closed = true
	for _, h := range r.running {
		h.cancel(ErrShutdown)
	}
	r.waiting = nil
	r.mu.Unlock()
	r.wg.Wait()
}
