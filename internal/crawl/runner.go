package crawl

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
)

var (
	errCancelled = errors.New("cancelled by the user")
	errShutdown  = errors.New("server shutting down")
)

// Runner runs asynchronous jobs in this process. Jobs and their frontiers
// live in the store, so a job that was running when the process stopped is
// picked up again by the next Start, continuing from its frontier.
type Runner struct {
	store      spidergo.Store
	engine     *Engine
	log        *slog.Logger
	normalize  func(string) (string, error)
	maxPerUser int
	now        func() time.Time
	webhooks   *Webhooks

	mu      sync.Mutex
	closed  bool
	running map[string]context.CancelCauseFunc
	perUser map[string]int
	waiting []*spidergo.Job
	signal  map[string]chan struct{}
	wg      sync.WaitGroup
}

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	Store  spidergo.Store
	Engine *Engine
	Log    *slog.Logger
	// Normalize checks and normalizes a user's URL (the fetcher's pre-check).
	Normalize func(string) (string, error)
	// MaxPerUser bounds one user's running jobs; more wait their turn.
	MaxPerUser int
	Now        func() time.Time
	// Webhooks delivers job events; nil turns them off.
	Webhooks *Webhooks
}

// NewRunner builds a runner; call Start to resume stored jobs.
func NewRunner(cfg RunnerConfig) *Runner {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxPerUser <= 0 {
		cfg.MaxPerUser = 1
	}
	return &Runner{store: cfg.Store, engine: cfg.Engine, log: cfg.Log, normalize: cfg.Normalize, maxPerUser: cfg.MaxPerUser, now: cfg.Now, webhooks: cfg.Webhooks,
		running: map[string]context.CancelCauseFunc{}, perUser: map[string]int{}, signal: map[string]chan struct{}{}}
}

// Start resumes every queued or running job found in the store.
func (r *Runner) Start(ctx context.Context) error {
	jobs, err := r.store.UnfinishedJobs(ctx)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		r.log.Info("resuming job", "crid", j.ID, "kind", j.Kind, "status", j.Status)
		r.Submit(j)
	}
	return nil
}

// Submit queues a stored job to run when its user has a free slot.
func (r *Runner) Submit(j *spidergo.Job) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.waiting = append(r.waiting, j)
	r.startLocked()
}

// startLocked starts waiting jobs whose users are under their cap, in
// submission order.
func (r *Runner) startLocked() {
	kept := r.waiting[:0]
	for _, j := range r.waiting {
		if r.perUser[j.UserID] >= r.maxPerUser {
			kept = append(kept, j)
			continue
		}
		r.perUser[j.UserID]++
		ctx, cancel := context.WithCancelCause(context.Background())
		r.running[j.ID] = cancel
		r.wg.Add(1)
		go r.run(ctx, j)
	}
	for i := len(kept); i < len(r.waiting); i++ {
		r.waiting[i] = nil
	}
	r.waiting = kept
}

func (r *Runner) run(ctx context.Context, j *spidergo.Job) {
	defer r.wg.Done()
	defer r.finish(j)
	bg := context.WithoutCancel(ctx)
	var req api.Request
	o, err := func() (*Options, error) {
		if err := json.Unmarshal(j.Options, &req); err != nil {
			return nil, err
		}
		return Validate(&req, j.Kind, false, r.normalize)
	}()
	if err != nil {
		r.log.Error("job options unusable", "crid", j.ID, "err", err)
		r.setStatus(bg, j.ID, spidergo.StatusFailed, "invalid_options")
		return
	}
	if err := r.store.SetJobStatus(bg, j.ID, spidergo.StatusRunning, "", r.now()); err != nil {
		return // cancelled or deleted while it waited
	}
	r.poke(j.ID)
	hooks := r.webhooks.Open(j.UserID, j.ID, o.Webhook)
	defer hooks.Close()
	admitted, err := r.store.RequeueFrontier(bg, j.ID)
	if err != nil {
		r.log.Error("job frontier unreadable", "crid", j.ID, "err", err)
		r.setStatus(bg, j.ID, spidergo.StatusFailed, "internal")
		r.sendFinal(bg, hooks, j.ID)
		return
	}
	if admitted == 0 && hooks != nil {
		if cur, err := r.store.JobByID(bg, j.ID); err == nil {
			hooks.Send(api.EventStarted, HeadOf(cur))
		}
	}
	err = r.engine.Run(ctx, &Job{ID: j.ID, UserID: j.UserID, Options: o, Queue: StoreQueue{Store: r.store, JobID: j.ID}, Admitted: admitted,
		OnPage: func(p *spidergo.Page) {
			r.poke(j.ID)
			hooks.Send(api.EventPage, WirePage(p))
		}})
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errShutdown):
		// Left running in the store: the next start resumes it.
		return
	case errors.Is(cause, errCancelled):
		// Cancel already recorded the status.
	case err != nil:
		r.log.Error("job failed", "crid", j.ID, "err", err)
		r.setStatus(bg, j.ID, spidergo.StatusFailed, "internal")
	default:
		r.setStatus(bg, j.ID, spidergo.StatusCompleted, "")
	}
	r.sendFinal(bg, hooks, j.ID)
}

// sendFinal sends "failed" for a failed job and "completed" otherwise
// (a cancelled job's data says Status "cancelled").
func (r *Runner) sendFinal(ctx context.Context, hooks *Delivery, id string) {
	if hooks == nil {
		return
	}
	j, err := r.store.JobByID(ctx, id)
	if err != nil {
		return
	}
	event := api.EventCompleted
	if j.Status == spidergo.StatusFailed {
		event = api.EventFailed
	}
	hooks.Send(event, HeadOf(j))
}

func (r *Runner) setStatus(ctx context.Context, id, status, msg string) {
	if err := r.store.SetJobStatus(ctx, id, status, msg, r.now()); err != nil && spidergo.ErrorCode(err) != spidergo.ECONFLICT {
		r.log.Error("job status not saved", "crid", id, "status", status, "err", err)
	}
}

func (r *Runner) finish(j *spidergo.Job) {
	r.mu.Lock()
	delete(r.running, j.ID)
	r.perUser[j.UserID]--
	if r.perUser[j.UserID] <= 0 {
		delete(r.perUser, j.UserID)
	}
	if !r.closed {
		r.startLocked()
	}
	r.mu.Unlock()
	r.poke(j.ID)
}

// Cancel stops one of userID's jobs; pages fetched so far stay. A finished
// job answers ECONFLICT, another user's ENOTFOUND.
func (r *Runner) Cancel(ctx context.Context, userID, id string) error {
	j, err := r.store.Job(ctx, userID, id)
	if err != nil {
		return err
	}
	if j.Finished() {
		return spidergo.Errorf(spidergo.ECONFLICT, "The job has already %s.", j.Status)
	}
	if err := r.store.SetJobStatus(ctx, id, spidergo.StatusCancelled, "", r.now()); err != nil {
		return err
	}
	r.mu.Lock()
	if cancel, ok := r.running[id]; ok {
		cancel(errCancelled)
	}
	for i, w := range r.waiting {
		if w.ID == id {
			r.waiting = append(r.waiting[:i:i], r.waiting[i+1:]...)
			break
		}
	}
	r.mu.Unlock()
	r.poke(id)
	return nil
}

// Changed returns a channel that is closed the next time the job saves a
// page or changes status. Streams wait on it instead of polling hard.
func (r *Runner) Changed(id string) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch, ok := r.signal[id]
	if !ok {
		ch = make(chan struct{})
		r.signal[id] = ch
	}
	return ch
}

func (r *Runner) poke(id string) {
	r.mu.Lock()
	if ch, ok := r.signal[id]; ok {
		close(ch)
		delete(r.signal, id)
	}
	r.mu.Unlock()
}

// Close stops every run without marking jobs finished, so the next Start
// resumes them, and waits for the runs to return.
func (r *Runner) Close() {
	r.mu.Lock()
	r.closed = true
	for _, cancel := range r.running {
		cancel(errShutdown)
	}
	r.waiting = nil
	r.mu.Unlock()
	r.wg.Wait()
}
