package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/storetest"
)

// running is an App serving a public and an admin listener on loopback.
type running struct {
	app    *App
	public string // base URL
	admin  string // base URL
	stop   func()
}

func runWithAdmin(t *testing.T, role string) *running {
	t.Helper()
	cfg := testConfig(t, role)
	cfg.FetchAllow = []string{"127.0.0.1"} // the test site
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)),
		Options{Store: storetest.SQLite(t), PasswordParams: auth.TestParams, AdminListener: adminLn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ln) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not stop after its context ended")
		}
	}
	t.Cleanup(stop)
	return &running{app: a, public: "http://" + ln.Addr().String(), admin: "http://" + adminLn.Addr().String(), stop: stop}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestAdminListener checks that metrics and pprof are served on the admin
// listener in every role, and never on the public address.
func TestAdminListener(t *testing.T) {
	for _, role := range []string{RoleAll, RoleAPI, RoleWorker} {
		t.Run(role, func(t *testing.T) {
			r := runWithAdmin(t, role)
			for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline"} {
				if code, _ := get(t, r.public+path); code != http.StatusNotFound {
					t.Errorf("public GET %s = %d, want 404", path, code)
				}
			}
			for _, tt := range []struct {
				path, want string
			}{
				{"/metrics", "spidergo_http_requests_in_flight"},
				{"/metrics", "go_goroutines"},
				{"/debug/pprof/", "goroutine"},
				{"/debug/pprof/cmdline", ""},
				{"/debug/pprof/heap?debug=1", "heap profile"},
			} {
				code, body := get(t, r.admin+tt.path)
				if code != http.StatusOK || !strings.Contains(body, tt.want) {
					t.Errorf("admin GET %s = %d, want 200 with %q", tt.path, code, tt.want)
				}
			}
		})
	}
}

// TestNoMetricsWithoutAdmin checks that nothing is observed when the admin
// listener is off.
func TestNoMetricsWithoutAdmin(t *testing.T) {
	a, err := New(context.Background(), testConfig(t, RoleAll), slog.New(slog.DiscardHandler), Options{Store: storetest.SQLite(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Metrics != nil || a.AdminHandler() != nil {
		t.Error("metrics kept without SPIDERGO_ADMIN_ADDR")
	}
}

// TestMetricsMove scrapes a local page through the API and reads the
// registry back: the request, the page, the fetch, the gate and the job
// have all been counted.
func TestMetricsMove(t *testing.T) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<html><head><title>Metrics</title></head><body><h1>Hello</h1><p>A page to count.</p><a href="/next">next</a></body></html>`)
	}))
	defer site.Close()
	r := runWithAdmin(t, RoleAll)
	ctx := context.Background()
	u := storetest.NewUser(t, r.app.Store)
	_, secret, err := r.app.Keys.Create(ctx, u.ID, "metrics")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", r.public+"/v1/scrape", strings.NewReader(`{"url":"`+site.URL+`/page"}`))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("scrape = %d %s", res.StatusCode, body)
	}
	// A raw path never becomes a label: this one is answered by the
	// /v1/crawl/{id} pattern.
	req, _ = http.NewRequest("GET", r.public+"/v1/crawl/no-such-job", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	if res, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
	}

	mfs, err := r.app.Metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		labels map[string]string
		want   func(float64) bool
		what   string
	}{
		{"spidergo_http_requests_total", map[string]string{"route": "POST /v1/scrape", "method": "POST", "status_class": "2xx"}, eq(1), "1"},
		{"spidergo_http_requests_total", map[string]string{"route": "GET /v1/crawl/{id}", "status_class": "4xx"}, eq(1), "1"},
		{"spidergo_http_request_duration_seconds", map[string]string{"route": "POST /v1/scrape"}, eq(1), "1 observation"},
		{"spidergo_crawl_pages_total", map[string]string{"outcome": "ok"}, eq(1), "1"},
		{"spidergo_fetch_requests_total", map[string]string{"outcome": "ok"}, eq(1), "1"},
		{"spidergo_fetch_duration_seconds", nil, gt(0), "> 0 observations"},
		{"spidergo_fetch_body_bytes", nil, gt(0), "> 0 observations"},
		{"spidergo_fetch_limiter_wait_seconds", nil, gt(0), "> 0 observations"},
		{"spidergo_crawl_extract_duration_seconds", nil, eq(1), "1 observation"},
		{"spidergo_crawl_frontier_added_total", nil, eq(1), "1 (the seed)"},
		{"spidergo_store_call_duration_seconds", map[string]string{"call": "authorize"}, eq(2), "2 observations"},
		{"spidergo_store_call_duration_seconds", map[string]string{"call": "save_page"}, eq(1), "1 observation"},
		{"spidergo_jobs_started_total", map[string]string{"kind": "scrape"}, eq(1), "1"},
		{"spidergo_jobs_finished_total", map[string]string{"kind": "scrape", "state": "completed"}, eq(1), "1"},
		{"spidergo_jobs_running", map[string]string{"kind": "scrape"}, eq(0), "0"},
		{"spidergo_jobs_duration_seconds", map[string]string{"kind": "scrape"}, eq(1), "1 observation"},
		{"spidergo_quota_rejections_total", map[string]string{"kind": "api_key"}, eq(0), "0"},
		{"spidergo_crawl_fetch_slots_in_use", nil, eq(0), "0"},
		{"spidergo_jobs_waiting", nil, eq(0), "0"},
	} {
		got, ok := value(mfs, tt.name, tt.labels)
		if !ok {
			t.Errorf("%s%v: not found", tt.name, tt.labels)
			continue
		}
		if !tt.want(got) {
			t.Errorf("%s%v = %v, want %s", tt.name, tt.labels, got, tt.what)
		}
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "route" && strings.Contains(l.GetValue(), "no-such-job") {
					t.Errorf("%s has a raw path as its route: %q", mf.GetName(), l.GetValue())
				}
			}
		}
	}

	// The same figures are what the admin listener serves.
	_, text := get(t, r.admin+"/metrics")
	if !strings.Contains(text, `spidergo_crawl_pages_total{outcome="ok"} 1`) {
		t.Errorf("admin /metrics lacks the page counter:\n%.2000s", text)
	}
}

func eq(want float64) func(float64) bool { return func(v float64) bool { return v == want } }
func gt(min float64) func(float64) bool  { return func(v float64) bool { return v > min } }

// value finds the metric of family name whose labels include want: a
// counter's or gauge's value, a histogram's observation count.
func value(mfs []*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if have[k] != v {
					continue metrics
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount()), true
			}
		}
	}
	return 0, false
}
