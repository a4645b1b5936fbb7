// Package metrics is SpiderGo's Prometheus instrumentation: one registry
// per process (never the global default, so tests and embedders get their
// own), the metrics under the spidergo_ namespace, and the observers that
// internal/app hands to the fetcher, the crawl engine, the job service and
// the HTTP server. Those packages define the observer interfaces they call
// and never import this one; the types here satisfy them.
//
// Observers sit on hot paths (every request, fetch and page), so they never
// allocate per call: label children are bound once, at construction for
// fixed label sets and on first use for the others, and looked up without
// allocating afterwards. docs/operations.md lists every metric.
package metrics

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "spidergo"

// Buckets, in seconds and bytes.
var (
	// Requests and fetches: a cheap route answers in a millisecond, a sync
	// crawl in up to 90 s.
	latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 90}
	// Store calls and extraction: sub-millisecond to a second.
	fastBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}
	// Limiter waits: none, or a per-host delay of up to MaxCrawlDelay.
	waitBuckets = []float64{.001, .01, .1, .25, .5, 1, 2, 5, 10, 30}
	// Jobs: a scrape in a second, a big crawl in an hour or more.
	jobBuckets = []float64{.1, .5, 1, 5, 10, 30, 60, 300, 900, 3600, 14400}
	// Bodies: 1 KiB to 16 MiB (the default cap is 10 MiB).
	byteBuckets = prometheus.ExponentialBuckets(1024, 4, 8)
)

// Metrics is a process's registry and every metric in it.
type Metrics struct {
	reg *prometheus.Registry

	HTTP  *HTTP
	Fetch *Fetch
	Crawl *Crawl
}

// New builds a registry with SpiderGo's metrics and the Go runtime and
// process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	store := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "store", Name: "call_duration_seconds",
		Help:    "Latency of the hot store calls: call=authorize is the API gate's key check (key lookup and quota counter), call=save_page a crawled page's write.",
		Buckets: fastBuckets,
	}, []string{"call"})
	reg.MustRegister(store)
	return &Metrics{
		reg:   reg,
		HTTP:  newHTTP(reg, store.WithLabelValues("authorize")),
		Fetch: newFetch(reg),
		Crawl: newCrawl(reg, store.WithLabelValues("save_page")),
	}
}

// Registry is the process's registry: for registering more collectors,
// and for tests that read values back (Gather).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, EnableOpenMetrics: true})
}

// Gauge registers a gauge read from f at each scrape: queue depths that
// their owners already know, so that nothing is counted twice. name is
// under the spidergo_ namespace.
func (m *Metrics) Gauge(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, f))
}

// Counter registers a counter read from f at each scrape, for totals their
// owners already keep. name is under the spidergo_ namespace and ends in
// _total.
func (m *Metrics) Counter(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, f))
}

// maxValues bounds the distinct label values a cache binds; past it a
// value is counted under the cache's "other" key, so that a bug upstream
// cannot grow the registry without end.
const maxValues = 64

// cache binds the children of a vector on first use and finds them again
// without allocating: a read lock and a map lookup.
type cache[K comparable, V any] struct {
	bind  func(K) V
	other K

	mu sync.RWMutex
	m  map[K]V
}

func newCache[K comparable, V any](other K, bind func(K) V, known ...K) *cache[K, V] {
	c := &cache[K, V]{bind: bind, other: other, m: map[K]V{}}
	for _, k := range known {
		c.m[k] = bind(k) // shown at 0 from the start, for rates and ratios
	}
	return c
}

func (c *cache[K, V]) get(k K) V {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[k]; ok {
		return v
	}
	if len(c.m) >= maxValues {
		k = c.other
		if v, ok := c.m[k]; ok {
			return v
		}
	}
	v = c.bind(k)
	c.m[k] = v
	return v
}

// counters is a cache of a one-label counter vector's children.
func counters(vec *prometheus.CounterVec, known ...string) *cache[string, prometheus.Counter] {
	return newCache("other", func(v string) prometheus.Counter { return vec.WithLabelValues(v) }, known...)
}

// HTTP observes the API server; it satisfies server.Observer.
type HTTP struct {
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	inFlight  prometheus.Gauge
	authorize prometheus.Observer
	refused   *cache[string, prometheus.Counter]
	refunded  *cache[string, prometheus.Counter]
	series    *cache[routeKey, routeSeries]
}

type routeKey struct {
	route  string
	method string
	class  uint8
}

type routeSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

func newHTTP(reg *prometheus.Registry, authorize prometheus.Observer) *HTTP {
	h := &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests served, by route pattern (never the raw path; \"none\" when no route matched), method and status class.",
		}, []string{"route", "method", "status_class"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time from a request's arrival to the end of its answer, by route pattern and method.",
			Buckets: latencyBuckets,
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		authorize: authorize,
	}
	h.series = newCache(routeKey{route: "other", method: "other"}, func(k routeKey) routeSeries {
		return routeSeries{
			count:    h.requests.WithLabelValues(k.route, k.method, statusClasses[k.class]),
			duration: h.durations.WithLabelValues(k.route, k.method),
		}
	})
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "quota", Name: "rejections_total",
		Help: "Requests refused because a quota was spent: kind=api_key (the key's daily quota, 429) or kind=trial (the per-address trial limit).",
	}, []string{"kind"})
	refunded := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "quota", Name: "refunds_total",
		Help: "Quota units given back: kind=api_key for work requests that ended in 400 or 5xx, kind=trial for trials refused as bad input.",
	}, []string{"kind"})
	h.refused = counters(refused, "api_key", "trial")
	h.refunded = counters(refunded, "api_key", "trial")
	reg.MustRegister(h.requests, h.durations, h.inFlight, refused, refunded)
	return h
}

// statusClasses are the status_class label's values; index status/100.
var statusClasses = [...]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

func statusClass(status int) uint8 {
	if c := status / 100; c >= 1 && c <= 5 {
		return uint8(c)
	}
	return 0
}

// method folds methods no route uses into "other": the method comes from
// the client, and each value would be a series.
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// InFlight implements server.Observer.
func (h *HTTP) InFlight(delta int) { h.inFlight.Add(float64(delta)) }

// Request implements server.Observer. Routes are the server's finite
// patterns, so the series it binds are bounded.
func (h *HTTP) Request(route, m string, status int, d time.Duration) {
	if route == "" {
		route = "none"
	}
	s := h.series.get(routeKey{route: route, method: method(m), class: statusClass(status)})
	s.count.Inc()
	s.duration.Observe(d.Seconds())
}

// Authorized implements server.Observer.
func (h *HTTP) Authorized(d time.Duration) { h.authorize.Observe(d.Seconds()) }

// QuotaRefused implements server.Observer.
func (h *HTTP) QuotaRefused(kind string) { h.refused.get(kind).Inc() }

// QuotaRefunded implements server.Observer.
func (h *HTTP) QuotaRefunded(kind string) { h.refunded.get(kind).Inc() }

// Fetch observes the fetcher; it satisfies fetch.Observer.
type Fetch struct {
	fetches   *cache[string, prometheus.Counter]
	duration  prometheus.Observer
	bytes     prometheus.Observer
	limiterWt prometheus.Observer
}

func newFetch(reg *prometheus.Registry) *Fetch {
	fetches := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "fetch", Name: "requests_total",
		Help: "Fetches (pages, sitemaps; not robots.txt), by outcome: ok or the error kind users see (timeout, dns_error, http_4xx …).",
	}, []string{"outcome"})
	duration := prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "fetch", Name: "duration_seconds",
		Help:    "Network time of a fetch, redirects and retries included, limiter waits not; a fetch that got no answer counts the time until it failed.",
		Buckets: latencyBuckets,
	})
	bytes := prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "fetch", Name: "body_bytes",
		Help:    "Payload bytes of a fetch after decompression.",
		Buckets: byteBuckets,
	})
	wait := prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "fetch", Name: "limiter_wait_seconds",
		Help:    "Time an exchange waited for the per-host limiter (per-host concurrency, delay_ms, Crawl-delay).",
		Buckets: waitBuckets,
	})
	reg.MustRegister(fetches, duration, bytes, wait)
	return &Fetch{fetches: counters(fetches, "ok"), duration: duration, bytes: bytes, limiterWt: wait}
}

// Fetched implements fetch.Observer.
func (f *Fetch) Fetched(kind string, d time.Duration, n int64) {
	if kind == "" {
		kind = "ok"
	}
	f.fetches.get(kind).Inc()
	f.duration.Observe(d.Seconds())
	if n > 0 {
		f.bytes.Observe(float64(n))
	}
}

// LimiterWaited implements fetch.Observer.
func (f *Fetch) LimiterWaited(d time.Duration) { f.limiterWt.Observe(d.Seconds()) }

// Crawl observes the crawl engine and the job service; it satisfies
// crawl.Observer.
type Crawl struct {
	started  *cache[string, prometheus.Counter]
	running  *cache[string, prometheus.Gauge]
	finished *cache[jobKey, jobSeries]
	pages    *cache[string, prometheus.Counter]
	extract  prometheus.Histogram
	frontier prometheus.Counter
	save     prometheus.Observer
}

type jobKey struct{ kind, state string }

type jobSeries struct {
	finished prometheus.Counter
	duration prometheus.Observer
}

// Job kinds and final states, bound at start so that they show at 0.
var (
	jobKinds  = []string{"scrape", "crawl", "batch", "map"}
	jobStates = []string{"completed", "failed", "cancelled", "interrupted"}
)

func newCrawl(reg *prometheus.Registry, save prometheus.Observer) *Crawl {
	started := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "jobs", Name: "started_total",
		Help: "Job runs started in this process, by kind (trials included; a resumed job starts again).",
	}, []string{"kind"})
	running := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "jobs", Name: "running",
		Help: "Job runs in progress in this process, by kind.",
	}, []string{"kind"})
	finished := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "jobs", Name: "finished_total",
		Help: "Job runs ended, by kind and state: completed, failed, cancelled, or interrupted (left to resume when the process stopped).",
	}, []string{"kind", "state"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "jobs", Name: "duration_seconds",
		Help:    "Length of a job run, by kind.",
		Buckets: jobBuckets,
	}, []string{"kind"})
	pages := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "crawl", Name: "pages_total",
		Help: "Pages of jobs done, by outcome: ok, cached, or the page's error (a fetch error kind, extract_failed, noindex).",
	}, []string{"outcome"})
	c := &Crawl{
		started: counters(started, jobKinds...),
		running: newCache("other", func(k string) prometheus.Gauge { return running.WithLabelValues(k) }, jobKinds...),
		pages:   counters(pages, "ok"),
		extract: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "crawl", Name: "extract_duration_seconds",
			Help:    "Time to extract one HTML page (parse, content, Markdown, links, metadata).",
			Buckets: fastBuckets,
		}),
		frontier: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "crawl", Name: "frontier_added_total",
			Help: "URLs admitted to job frontiers (seeds, sitemap entries, followed links).",
		}),
		save: save,
	}
	var known []jobKey
	for _, k := range jobKinds {
		for _, s := range jobStates {
			known = append(known, jobKey{k, s})
		}
	}
	c.finished = newCache(jobKey{"other", "other"}, func(k jobKey) jobSeries {
		return jobSeries{finished: finished.WithLabelValues(k.kind, k.state), duration: duration.WithLabelValues(k.kind)}
	}, known...)
	reg.MustRegister(started, running, finished, duration, c.extract, c.frontier, pages)
	return c
}

// JobStarted implements crawl.Observer.
func (c *Crawl) JobStarted(kind string) {
	c.started.get(kind).Inc()
	c.running.get(kind).Inc()
}

// JobFinished implements crawl.Observer.
func (c *Crawl) JobFinished(kind, state string, d time.Duration) {
	c.running.get(kind).Dec()
	s := c.finished.get(jobKey{kind, state})
	s.finished.Inc()
	s.duration.Observe(d.Seconds())
}

// PageDone implements crawl.Observer.
func (c *Crawl) PageDone(outcome string) { c.pages.get(outcome).Inc() }

// Extracted implements crawl.Observer.
func (c *Crawl) Extracted(d time.Duration) { c.extract.Observe(d.Seconds()) }

// FrontierAdded implements crawl.Observer.
func (c *Crawl) FrontierAdded(n int) { c.frontier.Add(float64(n)) }

// PageSaved implements crawl.Observer.
func (c *Crawl) PageSaved(d time.Duration) { c.save.Observe(d.Seconds()) }
