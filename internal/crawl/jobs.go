package crawl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/fetch"
)

// SyncDeadline bounds a synchronous crawl; larger crawls go async.
const SyncDeadline = 90 * time.Second

// Default frontier lease (SPIDERGO_JOB_LEASE): long enough that a slow page never loses its
// claim between two extensions (every third of it), short enough that a
// lost worker's entries come back within minutes.
const defaultLeaseTTL = time.Minute

// Actor is who starts a job: a user (with the API key used, if any) or an
// anonymous trial visitor.
type Actor struct {
	UserID string
	KeyID  string // "" on cookie routes
	Trial  bool
}

// Started is what Start answers: the envelope, and whether the job was
// queued (an async start, answered 202) rather than run to its end.
type Started struct {
	Envelope *api.Envelope
	Queued   bool
}

// Jobs is the job service. Start is the one entry point for scrape, sync
// and async crawl, batch, map and trial; the service owns every status
// change and webhook event of a job, whether it runs inside a request or
// under the scheduler. The HTTP layer only decodes and encodes.
type Jobs struct {
	store     spidergo.Store
	engine    *Engine
	hooks     *Webhooks
	normalize func(string) (string, error)
	log       *slog.Logger
	now       func() time.Time
	owner     string
	leaseTTL  time.Duration
	poll      time.Duration
	maxPages  int
	sched     Scheduler
	obs       Observer

	// base ends at Close: runs stop with it.
	base context.Context
	stop context.CancelCauseFunc

	maxSync int // synchronous requests one user may have running here

	mu      sync.Mutex
	closed  bool
	live    map[string]*runHandle // sync runs of this process
	syncRun map[string]int        // running synchronous requests by user
}

// JobsConfig configures the job service.
type JobsConfig struct {
	Store    spidergo.Store
	Engine   *Engine
	Webhooks *Webhooks // nil turns webhooks off
	// Normalize checks and normalizes a user's URL (the fetcher's pre-check).
	Normalize func(string) (string, error)
	Log       *slog.Logger
	Now       func() time.Time
	// MaxPerUser bounds one user's running async jobs (the in-process
	// runner's cap).
	MaxPerUser int
	// MaxSyncPerUser bounds one user's synchronous requests (scrape, sync
	// crawl, map) running at once in this process (default 4); past it
	// Start answers ETHROTTLED.
	MaxSyncPerUser int
	// Owner names this worker in frontier claims. It must be stable across
	// restarts of one worker and unique among workers sharing a database
	// (default: the host name), so a restarted worker takes back its own
	// claims at once and never another's live ones.
	Owner string
	// LeaseTTL is how long a frontier claim lasts without being extended
	// (default 1 minute).
	LeaseTTL time.Duration
	// MaxCrawlPages caps an async crawl's limit (DefaultMaxCrawlPages).
	MaxCrawlPages int
	// Scheduler builds the scheduler around the service's RunFunc; nil
	// means the in-process Runner.
	Scheduler func(run RunFunc) Scheduler
	// Poll is how often the in-process runner's waiting jobs ask for a
	// slot again, and how often an async run checks whether another
	// process cancelled or deleted its job (default 2 s).
	Poll time.Duration
	// Observer, when set, is told when jobs start and finish and how long
	// pages take to save (metrics).
	Observer Observer
}

// NewJobs builds the job service. It starts nothing: call Run (or Resume
// and Close) to run stored jobs.
func NewJobs(cfg JobsConfig) *Jobs {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Owner == "" {
		cfg.Owner = defaultOwner()
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = defaultLeaseTTL
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.MaxSyncPerUser <= 0 {
		cfg.MaxSyncPerUser = DefaultMaxSyncPerUser
	}
	if cfg.MaxCrawlPages <= 0 {
		cfg.MaxCrawlPages = DefaultMaxCrawlPages
	}
	s := &Jobs{maxSync: cfg.MaxSyncPerUser, syncRun: map[string]int{}, maxPages: cfg.MaxCrawlPages, store: cfg.Store, engine: cfg.Engine, hooks: cfg.Webhooks,
		normalize: cfg.Normalize, log: cfg.Log, now: cfg.Now,
		owner: cfg.Owner, leaseTTL: cfg.LeaseTTL, poll: cfg.Poll, live: map[string]*runHandle{}, obs: cfg.Observer}
	s.base, s.stop = context.WithCancelCause(context.Background())
	if cfg.Scheduler != nil {
		s.sched = cfg.Scheduler(s.RunJob)
		if sp, ok := s.sched.(Spreader); ok {
			sp.BindPart(s.RunPart)
		}
	} else {
		s.sched = NewRunner(RunnerConfig{Store: cfg.Store, Log: cfg.Log, MaxPerUser: cfg.MaxPerUser, Now: cfg.Now, Run: s.RunJob, Poll: cfg.Poll})
	}
	return s
}

// defaultOwner names this process in claims: the host name, stable across
// restarts.
func defaultOwner() string {
	if h, _ := os.Hostname(); h != "" {
		return h
	}
	return "spidergo"
}

// Run resumes the jobs left unfinished in the store, serves until ctx ends,
// then stops every run (Close) and returns.
func (s *Jobs) Run(ctx context.Context) error {
	err := s.Resume(ctx)
	if err == nil {
		<-ctx.Done()
	}
	s.Close()
	return err
}

// Resume submits every queued or running job of the store to the
// scheduler: after a restart they continue from their frontier.
func (s *Jobs) Resume(ctx context.Context) error {
	jobs, err := s.store.UnfinishedJobs(ctx)
	if err != nil {
		return fmt.Errorf("resume jobs: %w", err)
	}
	for _, j := range jobs {
		s.log.Info("resuming job", "crid", j.ID, "kind", j.Kind, "status", j.Status)
		if err := s.sched.Submit(ctx, j); err != nil {
			return fmt.Errorf("resume job %s: %w", j.ID, err)
		}
	}
	return nil
}

// MaxCrawlPages is the largest limit an async crawl may ask for here
// (SPIDERGO_MAX_CRAWL_PAGES).
func (s *Jobs) MaxCrawlPages() int { return s.maxPages }

// Close stops every run of this process — async ones stay unfinished in
// the store for the next start. It returns once runs have stopped, which
// they do promptly: each of their waits ends with the service's context.
// Webhook events are stored as they happen; Webhooks.Run sends them.
func (s *Jobs) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.stop(ErrShutdown)
	if c, ok := s.sched.(interface{ Close() }); ok {
		c.Close()
	}
}

// Start validates a request of kind and starts its job for the actor:
// synchronous kinds run to their end and answer with every page; async
// crawls and batches are stored, queued and answered at once.
func (s *Jobs) Start(ctx context.Context, a Actor, kind string, req *api.Request) (*Started, error) {
	if a.Trial && req.IsAsync() {
		return nil, spidergo.Errorf(spidergo.EINVALID, "Trial crawls are synchronous only; sign up for an API key to run async crawls.")
	}
	o, err := ValidateMax(req, kind, a.Trial, s.normalize, s.maxPages)
	if err != nil {
		return nil, err
	}
	if err := s.engine.CheckRender(o); err != nil {
		return nil, err
	}
	keep := req.Store == nil || *req.Store
	if !keep && o.Async {
		return nil, spidergo.Errorf(spidergo.EINVALID, "\"store\": false applies to synchronous requests only: an async job keeps its pages until you read them. Drop \"store\", or drop \"async\" and keep the crawl within %d pages.", MaxSyncLimit)
	}
	if a.Trial {
		return s.runTrial(ctx, o)
	}
	if !o.Async {
		release, err := s.holdSync(a.UserID)
		if err != nil {
			return nil, err
		}
		defer release()
	}
	opts, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode the job's options: %w", err)
	}
	j := &spidergo.Job{UserID: a.UserID, KeyID: a.KeyID, Kind: kind, URL: o.Seeds[0], Options: opts, Limit: o.Limit, Async: o.Async}
	if kind == spidergo.KindScrape {
		j.Limit = 1
	}
	if o.Async {
		j.Status = spidergo.StatusQueued
		if c, ok := s.sched.(Creator); ok {
			if err := c.Create(ctx, j); err != nil {
				return nil, err
			}
		} else if err := s.store.CreateJob(ctx, j); err != nil {
			return nil, err
		} else if err := s.sched.Submit(ctx, j); err != nil {
			s.setStatus(context.WithoutCancel(ctx), j.ID, spidergo.StatusFailed, "internal")
			return nil, fmt.Errorf("submit job %s: %w", j.ID, err)
		}
		env := EnvelopeOf(j)
		FillRequest(env, o)
		return &Started{Envelope: env, Queued: true}, nil
	}
	j.Status = spidergo.StatusRunning
	j.StartedAt = s.now().UTC()
	if err := s.store.CreateJob(ctx, j); err != nil {
		return nil, err
	}
	if kind == spidergo.KindMap {
		return s.runMap(ctx, j, o, keep)
	}
	return s.runSync(ctx, j, o, keep)
}

// runSync runs a job inside its request. The run ends with the request, its
// deadline, a cancel, or the service's Close.
func (s *Jobs) runSync(ctx context.Context, j *spidergo.Job, o *Options, keep bool) (*Started, error) {
	deadline := SyncDeadline
	if o.Kind == spidergo.KindScrape {
		deadline = o.Timeout + 5*time.Second
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopAtClose := context.AfterFunc(s.base, func() { cancel(ErrShutdown) })
	defer stopAtClose()
	runCtx, cancelDeadline := context.WithTimeout(runCtx, deadline)
	defer cancelDeadline()
	untrack := s.track(j.ID, cancel)
	defer untrack()
	run := s.startRun(j.ID, j.Kind, false)

	hooks := s.hooks.Open(s.base, j.UserID, j.ID, o.Webhook)
	s.send(runCtx, hooks, api.EventStarted, HeadOf(j))

	var q Queue = s.storeQueue(j.ID)
	var mem *MemQueue
	if !keep {
		mem = NewMemQueue()
		q = CountQueue{MemQueue: mem, Store: s.store, JobID: j.ID}
	}
	runErr := s.runEngine(runCtx, j, o, q, 0, hooks, run, nil)

	bg := context.WithoutCancel(ctx)
	status, msg := spidergo.StatusCompleted, ""
	switch cause := context.Cause(runCtx); {
	case errors.Is(cause, ErrCancelled):
		status = spidergo.StatusCancelled // recorded by Cancel
	case ctx.Err() != nil:
		status, msg = spidergo.StatusCancelled, "client_disconnected"
	case errors.Is(cause, ErrShutdown):
		status, msg = spidergo.StatusCancelled, "shutdown"
	case errors.Is(runErr, context.DeadlineExceeded):
		msg = "deadline_exceeded"
	case errors.Is(runErr, ErrServerBusy):
		// Refused whole, like a bad request: no job is left behind and the
		// quota unit comes back (503). A webhook still hears the end.
		s.finish(bg, j.ID, spidergo.StatusFailed, KindServerBusy, hooks)
		s.dropRefused(bg, j)
		return nil, runErr
	case runErr != nil:
		run.log.Error("job failed", "err", runErr)
		done, _ := s.finish(bg, j.ID, spidergo.StatusFailed, "internal", hooks)
		run.end(finalState(spidergo.StatusFailed, done))
		return nil, runErr
	}
	done, err := s.finish(bg, j.ID, status, msg, hooks)
	run.end(finalState(status, done))
	if err != nil {
		return nil, err
	}
	var pages []*spidergo.Page
	if keep {
		if pages, _, err = s.store.Pages(bg, j.ID, "", MaxSyncLimit+1); err != nil {
			return nil, err
		}
	} else {
		pages = mem.Pages
	}
	if err := seedRefused(pages, o); err != nil {
		if derr := s.store.DeleteJob(bg, j.UserID, j.ID); derr != nil {
			run.log.Error("refused job not deleted", "err", derr)
		}
		return nil, err
	}
	env := EnvelopeOf(done)
	FillRequest(env, o)
	env.Pages = WirePages(pages)
	if !keep {
		env.Discovered, env.Queued = mem.Progress()
	}
	return &Started{Envelope: env}, nil
}

// RunJob runs one stored async job to its end: the scheduler's RunFunc. The
// scheduler has moved the job to running (claiming the user's slot) before.
func (s *Jobs) RunJob(ctx context.Context, j *spidergo.Job) {
	bg := context.WithoutCancel(ctx)
	run := s.startRun(j.ID, j.Kind, true)
	state := spidergo.StatusFailed
	defer func() { run.end(state) }()
	o, err := s.storedOptions(j)
	if err != nil {
		run.log.Error("job options unusable", "err", err)
		done, _ := s.finish(bg, j.ID, spidergo.StatusFailed, "invalid_options", nil)
		state = finalState(spidergo.StatusFailed, done)
		return
	}
	hooks := s.hooks.Open(s.base, j.UserID, j.ID, o.Webhook)
	admitted, err := s.store.RequeueFrontier(bg, j.ID, s.owner)
	if err != nil {
		run.log.Error("job frontier unreadable", "err", err)
		done, _ := s.finish(bg, j.ID, spidergo.StatusFailed, "internal", hooks)
		state = finalState(spidergo.StatusFailed, done)
		return
	}
	if admitted == 0 && hooks != nil {
		if cur, err := s.store.JobByID(bg, j.ID); err == nil {
			s.send(ctx, hooks, api.EventStarted, HeadOf(cur))
		} else {
			run.log.Error("job unreadable", "err", err)
		}
	}
	ctx, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		s.watchStatus(ctx, j.ID, stopRun)
	}()
	var spread func()
	if sp, ok := s.sched.(Spreader); ok && spreads(o) {
		spread = func() {
			if err := sp.Spread(bg, j.ID); err != nil {
				run.log.Warn("crawl not spread over workers", "err", err)
			}
		}
	}
	err = s.runEngine(ctx, j, o, s.storeQueue(j.ID), admitted, hooks, run, &Job{OnSeeded: spread})
	stopRun(nil)
	<-watched
	var done *spidergo.Job
	cause := context.Cause(ctx)
	if errors.Is(err, ErrYielded) {
		cause, err = ErrShutdown, nil
	}
	switch {
	case errors.Is(cause, errFinished):
		// Another part of the job found its frontier empty and finished it.
		if cur, err := s.store.JobByID(bg, j.ID); err == nil {
			done = cur
		}
	case errors.Is(cause, ErrShutdown):
		// Left running in the store: the next start, or another worker,
		// resumes it. Pages claimed and not fetched go back to the
		// frontier now rather than when their lease runs out.
		if _, err := s.store.RequeueFrontier(bg, j.ID, s.owner); err != nil {
			s.log.Warn("frontier claims not handed back", "crid", j.ID, "err", err)
		}
		state = "interrupted"
		return
	case errors.Is(cause, ErrCancelled):
		state = spidergo.StatusCancelled
		done, _ = s.finish(bg, j.ID, spidergo.StatusCancelled, "", hooks) // recorded by Cancel
	case err != nil:
		run.log.Error("job failed", "err", err)
		done, _ = s.finish(bg, j.ID, spidergo.StatusFailed, "internal", hooks)
	default:
		state = spidergo.StatusCompleted
		done, _ = s.finish(bg, j.ID, spidergo.StatusCompleted, "", hooks)
	}
	state = finalState(state, done)
}

// spreads reports whether a job is worth running on several workers: an
// async crawl or batch of more pages than one run fetches at once.
func spreads(o *Options) bool {
	return o.Async && (o.Kind == spidergo.KindCrawl || o.Kind == spidergo.KindBatch) && o.Limit > o.Concurrency
}

// storedOptions reads back a stored job's request.
func (s *Jobs) storedOptions(j *spidergo.Job) (*Options, error) {
	var req api.Request
	if err := json.Unmarshal(j.Options, &req); err != nil {
		return nil, err
	}
	// A job accepted under a higher cap keeps its limit.
	return ValidateMax(&req, j.Kind, false, s.normalize, max(s.maxPages, j.Limit))
}

// RunPart runs one part of a running async job beside its main run (the
// Spreader's PartFunc): it claims entries of the job's frontier under an
// owner of its own, stores their pages and admits their links as the main
// run does, and finishes the job if it is the run that finds the frontier
// empty. It sends no "started" event and never fails the job; a part that
// stops hands its claims back at once.
func (s *Jobs) RunPart(ctx context.Context, j *spidergo.Job, part int) {
	bg := context.WithoutCancel(ctx)
	run := &jobRun{log: s.log.With(slog.String("crid", j.ID), slog.String("kind", j.Kind), slog.Int("part", part)), kind: j.Kind, start: time.Now()}
	o, err := s.storedOptions(j)
	if err != nil {
		run.log.Error("job options unusable", "err", err)
		return
	}
	owner := fmt.Sprintf("%s/part%d", s.owner, part)
	q := s.storeQueue(j.ID)
	q.Owner = owner
	admitted, err := s.store.RequeueFrontier(bg, j.ID, owner)
	if err != nil {
		run.log.Error("job frontier unreadable", "err", err)
		return
	}
	run.log.Info("job part started", slog.String("owner", owner))
	hooks := s.hooks.Open(s.base, j.UserID, j.ID, o.Webhook)
	ctx, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		s.watchStatus(ctx, j.ID, stopRun)
	}()
	err = s.runEngine(ctx, j, o, q, max(admitted, 1), hooks, run, &Job{Part: true})
	stopRun(nil)
	<-watched
	state := "interrupted"
	cause := context.Cause(ctx)
	if errors.Is(err, ErrYielded) {
		cause, err = ErrShutdown, nil
	}
	switch {
	case errors.Is(cause, ErrCancelled), errors.Is(cause, errFinished):
		state = "stopped"
	case errors.Is(cause, ErrShutdown):
	case err != nil:
		run.log.Error("job part failed", "err", err)
	default:
		// The frontier is empty everywhere: the first run to see it
		// finishes the job, and only it tells the webhook.
		state = spidergo.StatusCompleted
		if s.setStatus(bg, j.ID, spidergo.StatusCompleted, "") {
			s.sched.Changed(j.ID)
			if cur, err := s.store.JobByID(bg, j.ID); err == nil {
				s.send(bg, hooks, api.EventCompleted, HeadOf(cur))
			}
		}
	}
	if state != spidergo.StatusCompleted {
		if _, err := s.store.RequeueFrontier(bg, j.ID, owner); err != nil {
			run.log.Warn("frontier claims not handed back", "err", err)
		}
	}
	run.log.Info("job part finished", slog.String("state", state), slog.Int64("pages", run.pages.Load()), slog.Duration("duration", time.Since(run.start)))
}

// errFinished stops a run whose job another run has finished.
var errFinished = errors.New("finished by another run of the job")

// watchStatus stops a run with ErrCancelled when its job is cancelled or
// deleted through another process, which cannot reach this run directly,
// and with errFinished when another run of the job has finished it.
func (s *Jobs) watchStatus(ctx context.Context, id string, stop context.CancelCauseFunc) {
	t := time.NewTicker(s.poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		j, err := s.store.JobByID(ctx, id)
		switch {
		case spidergo.ErrorCode(err) == spidergo.ENOTFOUND, err == nil && j.Status == spidergo.StatusCancelled:
			stop(ErrCancelled)
			return
		case err == nil && j.Finished():
			stop(errFinished)
			return
		case err != nil && ctx.Err() == nil:
			s.log.Warn("job status unreadable", "crid", id, "err", err)
		}
	}
}

// runEngine runs the engine over q, keeping the frontier lease of a stored
// queue alive meanwhile, and posts each page to the job's watchers and
// webhook. how, when set, carries the run's Part and OnSeeded.
func (s *Jobs) runEngine(ctx context.Context, j *spidergo.Job, o *Options, q Queue, admitted int, hooks *Delivery, run *jobRun, how *Job) error {
	if sq, ok := q.(StoreQueue); ok {
		leaseCtx, stopLease := context.WithCancel(ctx)
		kept := make(chan struct{})
		go func() {
			defer close(kept)
			sq.KeepLease(leaseCtx, func(err error) { run.log.Warn("frontier lease not extended", "err", err) })
		}()
		defer func() { stopLease(); <-kept }()
	}
	if how == nil {
		how = &Job{}
	}
	return s.engine.Run(ctx, &Job{ID: j.ID, UserID: j.UserID, Options: o, Queue: q, Admitted: admitted, Part: how.Part, OnSeeded: how.OnSeeded, Yield: yieldOf(ctx),
		OnPage: func(p *spidergo.Page) {
			run.pages.Add(1)
			s.sched.Changed(j.ID)
			s.send(ctx, hooks, api.EventPage, WirePage(p))
		}})
}

func (s *Jobs) storeQueue(jobID string) StoreQueue {
	return StoreQueue{Store: s.store, JobID: jobID, Owner: s.owner, TTL: s.leaseTTL, Now: s.now, Observer: s.obs}
}

// finish records the job's final status (a status already final, such as
// a cancel, wins), wakes its watchers and sends the last event: "failed"
// for a failed job, "completed" otherwise (a cancelled job's data says
// Status "cancelled").
func (s *Jobs) finish(ctx context.Context, id, status, msg string, hooks *Delivery) (*spidergo.Job, error) {
	changed := s.setStatus(ctx, id, status, msg)
	s.sched.Changed(id)
	j, err := s.store.JobByID(ctx, id)
	if spidergo.ErrorCode(err) == spidergo.ENOTFOUND {
		return nil, err // deleted by its user: nothing left to report
	}
	if err != nil {
		s.log.Error("finished job unreadable", "crid", id, "err", err)
		return nil, err
	}
	if !changed && j.Status != spidergo.StatusCancelled {
		return j, nil // another run of the job finished it, and told
	}
	event := api.EventCompleted
	if j.Status == spidergo.StatusFailed {
		event = api.EventFailed
	}
	s.send(ctx, hooks, event, HeadOf(j))
	return j, nil
}

// setStatus records a job's status and reports whether it changed it.
func (s *Jobs) setStatus(ctx context.Context, id, status, msg string) bool {
	// ECONFLICT: a status already final (a cancel, or another run's
	// completion) wins; ENOTFOUND: the user deleted the job meanwhile.
	err := s.store.SetJobStatus(ctx, id, status, msg, s.now())
	if err != nil && spidergo.ErrorCode(err) != spidergo.ECONFLICT && spidergo.ErrorCode(err) != spidergo.ENOTFOUND {
		s.log.Error("job status not saved", "crid", id, "status", status, "err", err)
	}
	return err == nil
}

// send stores a webhook event; one the store refuses is dropped, and said
// so in the log.
func (s *Jobs) send(ctx context.Context, hooks *Delivery, event string, data any) {
	if err := hooks.Send(ctx, event, data); err != nil {
		s.log.Warn("webhook event dropped", "crid", hooks.crid, "event", event, "err", err)
	}
}

// track registers a sync run so that Cancel can stop it; the returned
// function unregisters it once the run is over.
func (s *Jobs) track(id string, cancel context.CancelCauseFunc) func() {
	h := &runHandle{cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	s.live[id] = h
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.live, id)
		s.mu.Unlock()
		close(h.done)
	}
}

// DefaultMaxSyncPerUser is how many synchronous requests one user may have
// running at once by default.
const DefaultMaxSyncPerUser = 4

// syncRetryAfter is what a throttled synchronous request is told to wait:
// most scrapes take a few seconds.
const syncRetryAfter = 2 * time.Second

// holdSync counts one more synchronous request of userID, or refuses it
// with ETHROTTLED when the user has maxSync running already. Each request
// holds a fetch, an extraction and its answer in memory, so one user's
// burst must not take the whole server.
func (s *Jobs) holdSync(userID string) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.syncRun[userID] >= s.maxSync {
		e := spidergo.Errorf(spidergo.ETHROTTLED, "You have %d synchronous requests running, the most allowed at once. Wait for one to finish, or start crawls with \"async\": true.", s.maxSync)
		e.RetryAfter = syncRetryAfter
		return nil, e
	}
	s.syncRun[userID]++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.syncRun[userID]--; s.syncRun[userID] <= 0 {
			delete(s.syncRun, userID)
		}
	}, nil
}

// dropRefused deletes the job of a request refused before it could
// answer.
func (s *Jobs) dropRefused(ctx context.Context, j *spidergo.Job) {
	if err := s.store.DeleteJob(ctx, j.UserID, j.ID); err != nil {
		s.log.Error("refused job not deleted", "crid", j.ID, "err", err)
	}
}

// runTrial runs a small synchronous job for a visitor without an account:
// nothing is stored.
func (s *Jobs) runTrial(ctx context.Context, o *Options) (*Started, error) {
	ctx, cancel := context.WithTimeout(ctx, SyncDeadline)
	defer cancel()
	stopAtClose := context.AfterFunc(s.base, cancel)
	defer stopAtClose()
	q := NewMemQueue()
	crid := spidergo.NewID()
	started := s.now().UTC()
	run := s.startRun(crid, o.Kind, false)
	err := s.engine.Run(ctx, &Job{ID: crid, Options: o, Queue: q, OnPage: func(*spidergo.Page) { run.pages.Add(1) }})
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		if ctx.Err() != nil {
			run.end(spidergo.StatusCancelled) // the visitor left, or the process stops
		} else {
			run.end(spidergo.StatusFailed)
		}
		return nil, err
	}
	run.end(spidergo.StatusCompleted)
	if err := seedRefused(q.Pages, o); err != nil {
		return nil, err
	}
	finished := s.now().UTC()
	env := &api.Envelope{CRID: crid, Kind: o.Kind, Status: spidergo.StatusCompleted, URL: o.Seeds[0], StartedAt: api.TimePtr(started), FinishedAt: api.TimePtr(finished),
		Limit: o.Limit, Pages: WirePages(q.Pages)}
	if o.Kind == spidergo.KindScrape {
		env.Limit = 1
	}
	env.Discovered, env.Queued = q.Progress()
	if len(q.Skipped) > 0 {
		env.Skipped = q.Skipped
	}
	for _, p := range q.Pages {
		env.TotalPages++
		env.TotalResponseTimeMS += p.ResponseTimeMS
		env.TotalPayloadSize += p.PayloadSize
		if p.Failed() {
			env.Failed++
		}
	}
	return &Started{Envelope: env}, nil
}

// runMap lists a site's URLs from its sitemaps and the seed's links. Kept
// maps store each URL as a page without content, so that reading the job
// back later gives the same URLs.
func (s *Jobs) runMap(ctx context.Context, j *spidergo.Job, o *Options, keep bool) (*Started, error) {
	run := s.startRun(j.ID, j.Kind, false)
	hooks := s.hooks.Open(s.base, j.UserID, j.ID, o.Webhook)
	s.send(ctx, hooks, api.EventStarted, HeadOf(j))
	mapCtx, cancel := context.WithTimeout(ctx, o.Timeout+5*time.Second)
	defer cancel()
	stopAtClose := context.AfterFunc(s.base, cancel)
	defer stopAtClose()
	res, err := s.engine.MapSite(mapCtx, o)
	bg := context.WithoutCancel(ctx)
	status, msg := spidergo.StatusCompleted, ""
	if errors.Is(err, ErrServerBusy) {
		s.dropRefused(bg, j)
		return nil, err
	}
	if err != nil {
		if fetch.KindOf(err) == fetch.KindBlockedAddress {
			run.end(spidergo.StatusFailed)
			if derr := s.store.DeleteJob(bg, j.UserID, j.ID); derr != nil {
				run.log.Error("refused job not deleted", "err", derr)
			}
			return nil, &spidergo.Error{Code: spidergo.EINVALID, Reason: fetch.KindBlockedAddress, Message: fmt.Sprintf("URL %q cannot be fetched: %s", o.Seeds[0], fetch.Detail(err))}
		}
		status, msg = spidergo.StatusFailed, fetch.KindOf(err)
	}
	if res == nil {
		res = &MapResult{}
	}
	if keep {
		if err := s.store.AddPages(bg, j.ID, res.pages(s.now().UTC())); err != nil {
			done, _ := s.finish(bg, j.ID, spidergo.StatusFailed, "internal", hooks)
			run.end(finalState(spidergo.StatusFailed, done))
			return nil, err
		}
	}
	done, err := s.finish(bg, j.ID, status, msg, hooks)
	run.end(finalState(status, done))
	if err != nil {
		return nil, err
	}
	env := EnvelopeOf(done)
	res.Fill(env)
	return &Started{Envelope: env}, nil
}

// seedRefused turns a seed refused by the address guard into the 400 the
// API promises; any other failed seed is a page with its Error.
func seedRefused(pages []*spidergo.Page, o *Options) error {
	if len(o.Seeds) != 1 {
		return nil
	}
	for _, p := range pages {
		if p.URL == o.Seeds[0] && p.Error == fetch.KindBlockedAddress {
			return &spidergo.Error{Code: spidergo.EINVALID, Reason: fetch.KindBlockedAddress,
				Message: fmt.Sprintf("URL %q cannot be fetched: %s", p.URL, p.ErrorDetail)}
		}
	}
	return nil
}

// Get returns one of userID's jobs with a page of its results.
func (s *Jobs) Get(ctx context.Context, userID, id, cursor string, limit int) (*api.Envelope, error) {
	j, err := s.store.Job(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	pages, next, err := s.store.Pages(ctx, j.ID, cursor, limit)
	if err != nil {
		return nil, err
	}
	env := EnvelopeOf(j)
	env.Next = next
	if j.Kind == spidergo.KindMap {
		var req api.Request
		titles := json.Unmarshal(j.Options, &req) == nil && req.IncludeTitles
		mapResultOf(pages, titles).Fill(env)
		env.TotalPages = j.TotalPages // Fill counts this page of results only
		return env, nil
	}
	env.Pages = WirePages(pages)
	return env, nil
}

// jobStatuses are the statuses a list may be filtered by.
var jobStatuses = []string{spidergo.StatusQueued, spidergo.StatusRunning, spidergo.StatusCompleted, spidergo.StatusCancelled, spidergo.StatusFailed}

// List returns userID's job heads, newest first.
func (s *Jobs) List(ctx context.Context, userID string, f spidergo.JobFilter) (*api.History, error) {
	if f.Status != "" && !slices.Contains(jobStatuses, f.Status) {
		return nil, spidergo.Errorf(spidergo.EINVALID, "Query parameter \"status\" must be one of queued, running, completed, cancelled, failed.")
	}
	jobs, next, err := s.store.ListJobs(ctx, userID, f)
	if err != nil {
		return nil, err
	}
	out := &api.History{Jobs: make([]*api.Envelope, 0, len(jobs)), Next: next}
	for _, j := range jobs {
		out.Jobs = append(out.Jobs, HeadOf(j))
	}
	return out, nil
}

// Errors returns a page of one of userID's job's failures: failed pages
// with their reasons, and apart from them the URLs robots.txt refused.
func (s *Jobs) Errors(ctx context.Context, userID, id, cursor string, limit int) (*api.JobErrors, error) {
	j, err := s.store.Job(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	pages, next, err := s.store.FailedPages(ctx, j.ID, cursor, limit)
	if err != nil {
		return nil, err
	}
	out := &api.JobErrors{Errors: []api.PageError{}, RobotsBlocked: []string{}, Next: next}
	for _, p := range pages {
		if p.Error == fetch.KindRobotsDisallowed {
			out.RobotsBlocked = append(out.RobotsBlocked, p.URL)
			continue
		}
		code := p.Error
		if code == "" {
			code = fmt.Sprintf("http_%dxx", p.StatusCode/100)
		}
		out.Errors = append(out.Errors, api.PageError{URL: p.URL, Error: code, StatusCode: p.StatusCode})
	}
	return out, nil
}

// Cancel stops one of userID's jobs, wherever it runs in this process, and
// returns it; pages fetched so far stay. A finished job is ECONFLICT,
// another user's ENOTFOUND. Cancel returns once the run has stopped
// fetching (or ctx ends).
func (s *Jobs) Cancel(ctx context.Context, userID, id string) (*spidergo.Job, error) {
	j, err := s.store.Job(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	if j.Finished() {
		return nil, spidergo.Errorf(spidergo.ECONFLICT, "The job has already %s.", j.Status)
	}
	if err := s.store.SetJobStatus(ctx, id, spidergo.StatusCancelled, "", s.now()); err != nil {
		return nil, err
	}
	s.mu.Lock()
	h := s.live[id]
	s.mu.Unlock()
	if h != nil {
		h.cancel(ErrCancelled)
		select {
		case <-h.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err := s.sched.Cancel(ctx, id); err != nil {
		return nil, err
	}
	s.sched.Changed(id)
	return s.store.Job(ctx, userID, id)
}

// CancelUser cancels every queued and running job of userID and returns
// once none of them fetches any more. Deleting an account calls it first.
func (s *Jobs) CancelUser(ctx context.Context, userID string) error {
	for _, status := range []string{spidergo.StatusRunning, spidergo.StatusQueued} {
		f := spidergo.JobFilter{Status: status, Limit: 100}
		for {
			jobs, next, err := s.store.ListJobs(ctx, userID, f)
			if err != nil {
				return err
			}
			for _, j := range jobs {
				if _, err := s.Cancel(ctx, userID, j.ID); err != nil {
					if code := spidergo.ErrorCode(err); code != spidergo.ECONFLICT && code != spidergo.ENOTFOUND {
						return err
					}
				}
			}
			if next == "" {
				break
			}
			f.Cursor = next
		}
	}
	return nil
}

// Delete removes one of userID's jobs and its pages, cancelling it first
// if it still runs.
func (s *Jobs) Delete(ctx context.Context, userID, id string) error {
	if _, err := s.Cancel(ctx, userID, id); err != nil && spidergo.ErrorCode(err) != spidergo.ECONFLICT {
		return err
	}
	return s.store.DeleteJob(ctx, userID, id)
}

// streamBatch is how many pages a stream reads at a time.
const streamBatch = 100

// Stream sends one of userID's jobs to emit: every stored page from the
// first, then live as pages are stored, and a summary with the job's head
// once it has finished. It returns ENOTFOUND before emitting anything for
// a job that is not the user's, and nil when ctx ends or emit fails (the
// client went away).
func (s *Jobs) Stream(ctx context.Context, userID, id string, emit func(api.StreamLine) error) error {
	j, err := s.store.Job(ctx, userID, id)
	if err != nil {
		if ctx.Err() != nil {
			return nil // the client left before the job was read
		}
		return err
	}
	cursor := ""
	for {
		// Watch before reading so that a page stored in between wakes us.
		changed, stop := s.sched.Watch(j.ID)
		more, err := s.streamPages(ctx, j.ID, &cursor, emit)
		if err != nil || !more {
			stop()
			return err
		}
		if j.Finished() {
			stop()
			if err := emit(api.StreamLine{Type: "summary", Job: HeadOf(j)}); err != nil {
				s.log.Debug("stream ended by the client", "crid", j.ID, "err", err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
		case <-changed:
		case <-time.After(time.Second):
			// Another process may run the job; look again now and then.
		}
		stop()
		if ctx.Err() != nil {
			return nil
		}
		if j, err = s.store.Job(ctx, userID, j.ID); err != nil {
			return nil // deleted meanwhile
		}
	}
}

// streamPages emits the pages stored after the cursor and moves it on. It
// reports false when the client has gone.
func (s *Jobs) streamPages(ctx context.Context, jobID string, cursor *string, emit func(api.StreamLine) error) (bool, error) {
	for {
		pages, next, err := s.store.Pages(ctx, jobID, *cursor, streamBatch)
		if err != nil {
			if ctx.Err() != nil {
				return false, nil
			}
			return false, err
		}
		for _, p := range pages {
			if err := emit(api.StreamLine{Type: "page", Page: WirePage(p)}); err != nil {
				return false, nil
			}
		}
		// Page numbers run 1, 2, 3 … without gaps, so the cursor after k
		// more pages is the old one plus k.
		*cursor = advance(*cursor, len(pages))
		if next == "" {
			return true, nil
		}
	}
}

// advance moves a page cursor past n pages. The cursor is one this
// stream made ("" or a number), so it always parses; "" is 0.
func advance(cursor string, n int) string {
	c, _ := strconv.Atoi(cursor)
	return strconv.Itoa(c + n)
}
