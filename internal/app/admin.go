package app

import (
	"fmt"
	"net"
	"net/http"
	"runtime"
	"time"

	"github.com/spidergo/spidergo/internal/crawl"
	"github.com/spidergo/spidergo/internal/fetch"
	"github.com/spidergo/spidergo/internal/metrics"
	"github.com/spidergo/spidergo/internal/server"
)

// observers are what New hands the fetcher, the engine, the job service
// and the server: nil interfaces, which cost nothing, when no metrics are
// kept.
type observers struct {
	fetch fetch.Observer
	crawl crawl.Observer
	http  server.Observer
}

// observe keeps m, or a new registry when the admin listener is on, and
// returns the observers that feed it. Without either, nothing is
// observed.
func (a *App) observe(m *metrics.Metrics) observers {
	if m == nil && (a.cfg.AdminAddr != "" || a.adminLn != nil) {
		m = metrics.New()
	}
	a.Metrics = m
	if m == nil {
		return observers{}
	}
	// Read at each scrape, after New has built the engine and the jobs.
	load := func(f func(crawl.Load) int) func() float64 {
		return func() float64 { return float64(f(a.Engine.Load())) }
	}
	m.Gauge("crawl_fetch_slots_in_use", "Page fetches in flight across all jobs of this process.",
		load(func(l crawl.Load) int { return l.FetchSlotsInUse }))
	m.Gauge("crawl_fetch_queue_depth", "Pages waiting for a fetch slot (slots are shared round-robin across jobs).",
		load(func(l crawl.Load) int { return l.FetchWaiting }))
	m.Gauge("crawl_extract_slots_in_use", "Pages being extracted (bounded by SPIDERGO_EXTRACT_WORKERS).",
		load(func(l crawl.Load) int { return l.ParseSlotsInUse }))
	m.Gauge("crawl_extract_queue_depth", "Pages waiting for an extract slot.",
		load(func(l crawl.Load) int { return l.ParseWaiting }))
	m.Counter("crawl_extract_refused_total", "Synchronous pages refused (503 server_busy) because no extract slot freed within SPIDERGO_EXTRACT_WAIT.",
		load(func(l crawl.Load) int { return int(l.ParseRefused) }))
	m.Gauge("jobs_waiting", "Async jobs waiting in this process for their user's running-job slot.",
		func() float64 { return float64(a.Jobs.Waiting()) })
	return observers{fetch: m.Fetch, crawl: m.Crawl, http: m.HTTP}
}

// AdminHandler is what the admin listener serves (/metrics and
// /debug/pprof/), or nil when no metrics are kept.
func (a *App) AdminHandler() http.Handler {
	if a.Metrics == nil {
		return nil
	}
	return a.Metrics.AdminHandler()
}

// listenAdmin opens the admin listener: the one given in Options, else
// SPIDERGO_ADMIN_ADDR; nil when it is off.
func (a *App) listenAdmin() (net.Listener, error) {
	if a.adminLn != nil {
		return a.adminLn, nil
	}
	if a.cfg.AdminAddr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", a.cfg.AdminAddr)
	if err != nil {
		return nil, fmt.Errorf("SPIDERGO_ADMIN_ADDR: %w", err)
	}
	return ln, nil
}

// Contention sampling while the admin listener runs, so that its mutex and
// block profiles have something to show: one contended lock in
// mutexFraction, and blocking events in proportion to their length, all
// of those of blockRate or longer. Both are cheap at these rates.
const (
	mutexFraction = 100
	blockRate     = time.Millisecond
)

func sampleContention() {
	runtime.SetMutexProfileFraction(mutexFraction)
	runtime.SetBlockProfileRate(int(blockRate))
}
