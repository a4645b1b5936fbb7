package metrics

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// TestObserversDoNotAllocate checks the promise of the package doc: once a
// label value has been seen, observing costs no allocation.
func TestObserversDoNotAllocate(t *testing.T) {
	m := New()
	for _, tt := range []struct {
		name string
		f    func()
	}{
		{"http request", func() { m.HTTP.Request("GET /v1/crawl/{id}", "GET", 200, time.Millisecond) }},
		{"http in flight", func() { m.HTTP.InFlight(1); m.HTTP.InFlight(-1) }},
		{"authorize", func() { m.HTTP.Authorized(time.Millisecond) }},
		{"quota", func() { m.HTTP.QuotaRefused("api_key"); m.HTTP.QuotaRefunded("api_key") }},
		{"fetch", func() { m.Fetch.Fetched("", time.Millisecond, 2048) }},
		{"fetch error", func() { m.Fetch.Fetched("timeout", time.Second, 0) }},
		{"limiter", func() { m.Fetch.LimiterWaited(time.Millisecond) }},
		{"page", func() { m.Crawl.PageDone("ok") }},
		{"extract", func() { m.Crawl.Extracted(time.Millisecond) }},
		{"frontier", func() { m.Crawl.FrontierAdded(3) }},
		{"save", func() { m.Crawl.PageSaved(time.Millisecond) }},
		{"job", func() { m.Crawl.JobStarted("crawl"); m.Crawl.JobFinished("crawl", "completed", time.Second) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.f() // binds the children
			if n := testing.AllocsPerRun(100, tt.f); n != 0 {
				t.Errorf("%v allocations per call, want 0", n)
			}
		})
	}
}

// TestLabelValuesBounded checks that label values past maxValues are
// counted as "other" rather than growing the registry.
func TestLabelValuesBounded(t *testing.T) {
	m := New()
	for i := range 3 * maxValues {
		m.Crawl.PageDone(fmt.Sprintf("kind_%d", i))
	}
	if n := testutil.CollectAndCount(m.reg, "spidergo_crawl_pages_total"); n > maxValues+1 {
		t.Errorf("%d page outcome series, want at most %d", n, maxValues+1)
	}
	if got := testutil.ToFloat64(m.Crawl.pages.get("other")); got == 0 {
		t.Error(`no page counted as "other"`)
	}
}

// TestValues checks names, labels and values of a few observations.
func TestValues(t *testing.T) {
	m := New()
	m.HTTP.Request("", "BREW", 418, time.Millisecond)
	m.HTTP.Request("POST /v1/scrape", "POST", 200, time.Millisecond)
	m.HTTP.Request("POST /v1/scrape", "POST", 201, time.Millisecond)
	m.Crawl.JobStarted("crawl")
	m.Crawl.JobStarted("crawl")
	m.Crawl.JobFinished("crawl", "failed", time.Second)
	m.Fetch.Fetched("dns_error", time.Millisecond, 0)

	for _, tt := range []struct {
		name, labels string
		want         float64
	}{
		{"spidergo_http_requests_total", `method="other",route="none",status_class="4xx"`, 1},
		{"spidergo_http_requests_total", `method="POST",route="POST /v1/scrape",status_class="2xx"`, 2},
		{"spidergo_jobs_started_total", `kind="crawl"`, 2},
		{"spidergo_jobs_running", `kind="crawl"`, 1},
		{"spidergo_jobs_finished_total", `kind="crawl",state="failed"`, 1},
		{"spidergo_jobs_finished_total", `kind="scrape",state="completed"`, 0},
		{"spidergo_fetch_requests_total", `outcome="dns_error"`, 1},
		{"spidergo_fetch_requests_total", `outcome="ok"`, 0},
	} {
		if got, ok := find(t, m, tt.name, tt.labels); !ok || got != tt.want {
			t.Errorf("%s{%s} = %v (found %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
}

func find(t *testing.T, m *Metrics, name, labels string) (float64, bool) {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, x := range mf.GetMetric() {
			if labelString(x) == labels {
				switch {
				case x.Counter != nil:
					return x.Counter.GetValue(), true
				case x.Gauge != nil:
					return x.Gauge.GetValue(), true
				}
			}
		}
	}
	return 0, false
}

// labelString is the labels as Gather sorts them, by name.
func labelString(m *dto.Metric) string {
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
	}
	return strings.Join(parts, ",")
}

// TestAdminHandler checks what the admin handler serves.
func TestAdminHandler(t *testing.T) {
	m := New()
	m.Gauge("test_depth", "A queue depth for the test.", func() float64 { return 7 })
	h := m.AdminHandler()
	for _, tt := range []struct {
		path string
		code int
		want string
	}{
		{"/metrics", 200, "spidergo_test_depth 7"},
		{"/metrics", 200, "# HELP spidergo_http_requests_in_flight"},
		{"/debug/pprof/", 200, "goroutine"},
		{"/debug/pprof/goroutine?debug=1", 200, "goroutine profile"},
		{"/", 200, "/metrics"},
		{"/elsewhere", 404, ""},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
		body, _ := io.ReadAll(rec.Result().Body)
		if rec.Code != tt.code || !strings.Contains(string(body), tt.want) {
			t.Errorf("GET %s = %d, want %d with %q", tt.path, rec.Code, tt.code, tt.want)
		}
	}
}

// TestWatchRenderer checks the renderer's figures as a scrape shows them.
func TestWatchRenderer(t *testing.T) {
	m := New()
	m.WatchRenderer(func() RendererStats {
		return RendererStats{Running: true, Concurrency: 4, Busy: 3, Waiting: 2, Starts: 2, Restarts: 1, Rendered: 10, Failed: 1, Refused: 5}
	})
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		"spidergo_render_browser_up 1",
		"spidergo_render_tabs 4",
		"spidergo_render_tabs_busy 3",
		"spidergo_render_queue_depth 2",
		"spidergo_render_browser_restarts_total 1",
		`spidergo_render_pages_total{outcome="ok"} 10`,
		`spidergo_render_pages_total{outcome="failed"} 1`,
		"spidergo_render_guard_refusals_total 5",
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}
