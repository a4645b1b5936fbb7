package server

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/spidergo/spidergo/internal/crawl"
	"github.com/spidergo/spidergo/internal/fetch"
)

// jobRuntime is what scrape and crawl requests run on: one fetcher and one
// job service for the whole process.
type jobRuntime struct {
	fetcher *fetch.Fetcher
	svc     *crawl.Jobs
	trials  *trialCounter
}

// initJobs builds the fetcher from the configuration, the engine over it,
// and the job service, which resumes jobs left unfinished by the last
// process.
func (s *Server) initJobs(opts Options) error {
	fc := fetch.Config{
		UserAgent:    s.cfg.UserAgent,
		Allow:        s.cfg.FetchAllow,
		Ports:        s.cfg.FetchPorts,
		MaxBodyBytes: s.cfg.FetchMaxBody,
	}
	if s.redis != nil {
		fc.Limiter = fetch.NewRedisLimiter(s.redis, fetch.RedisLimiterOptions{})
	}
	f, err := fetch.New(fc)
	if err != nil {
		return fmt.Errorf("fetcher: %w", err)
	}
	s.onClose(f.CloseIdleConnections)
	rt := &jobRuntime{fetcher: f, trials: newTrialCounter(s.cfg.TrialDailyLimit)}
	engine := crawl.NewEngine(crawl.EngineConfig{Fetcher: f, Cache: s.store, Now: s.now})
	webhooks := crawl.NewWebhooks(crawl.WebhooksConfig{Poster: f, Secrets: s.store, Log: s.log, Now: s.now,
		Backoff: opts.WebhookBackoff})
	rt.svc = crawl.NewJobs(crawl.JobsConfig{Store: s.store, Engine: engine, Webhooks: webhooks, Normalize: s.normalizeURL,
		Log: s.log, Now: s.now, MaxPerUser: s.cfg.MaxJobsPerUser})
	s.jobs = rt
	s.onClose(rt.svc.Close)
	if s.cfg.Role != "api" {
		if err := rt.svc.Resume(context.Background()); err != nil {
			return err
		}
	}
	return nil
}

// keyIDFrom is the id of the request's API key, "" on cookie routes.
func keyIDFrom(ctx context.Context) string {
	if k := keyFrom(ctx); k != nil {
		return k.ID
	}
	return ""
}

// maxTrialAddrs bounds the addresses a day's trial counts remember, so a
// flood from rotating addresses cannot grow memory without end; past it,
// new addresses are refused until the next day.
const maxTrialAddrs = 100_000

// trialCounter counts trial requests per client address per UTC day, in
// memory: trials are a taste, not an account, and a restart forgiving a
// few is acceptable.
type trialCounter struct {
	limit int
	mu    sync.Mutex
	day   string
	used  map[string]int
}

func newTrialCounter(limit int) *trialCounter {
	return &trialCounter{limit: limit, used: map[string]int{}}
}

func (t *trialCounter) roll(now time.Time) {
	if d := now.UTC().Format(time.DateOnly); d != t.day {
		t.day, t.used = d, map[string]int{}
	}
}

// take uses one trial request of addr, if any is left today.
func (t *trialCounter) take(addr string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.roll(now)
	n, known := t.used[addr]
	if n >= t.limit || (!known && len(t.used) >= maxTrialAddrs) {
		return false
	}
	t.used[addr]++
	return true
}

// give returns a request refused for bad input.
func (t *trialCounter) give(addr string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.roll(now)
	if t.used[addr] > 0 {
		t.used[addr]--
	}
}

// secondsToMidnight is the wait until the next UTC day.
func secondsToMidnight(now time.Time) int {
	now = now.UTC()
	next := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
	return int(next.Sub(now).Seconds()) + 1
}
