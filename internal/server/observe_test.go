package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spidergo/spidergo/internal/storetest"
)

// recordingObserver keeps what the server tells its observer.
type recordingObserver struct {
	mu       sync.Mutex
	inFlight int
	requests []observed
	auths    int
	refused  []string
	refunded []string
}

type observed struct {
	Route, Method string
	Status        int
}

func (o *recordingObserver) InFlight(d int) { o.mu.Lock(); o.inFlight += d; o.mu.Unlock() }
func (o *recordingObserver) Request(route, method string, status int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.requests = append(o.requests, observed{route, method, status})
}
func (o *recordingObserver) Authorized(time.Duration) { o.mu.Lock(); o.auths++; o.mu.Unlock() }
func (o *recordingObserver) QuotaRefused(k string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refused = append(o.refused, k)
}
func (o *recordingObserver) QuotaRefunded(k string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refunded = append(o.refunded, k)
}

// TestObserverRoutes checks that requests are reported under the route
// table's pattern, never the raw path, with their status.
func TestObserverRoutes(t *testing.T) {
	obs := &recordingObserver{}
	s, err := newServer(t, testConfig(t, nil), storetest.SQLite(t), slog.New(slog.DiscardHandler), testOptions{Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		method, path string
		want         observed
	}{
		{"GET", "/healthz", observed{"GET /healthz", "GET", 200}},
		{"GET", "/v1/crawl/0123456789abcdef", observed{"GET /v1/crawl/{id}", "GET", 401}},
		{"DELETE", "/auth/api-keys/some-key", observed{"DELETE /auth/api-keys/{id}", "DELETE", 401}},
		{"GET", "/no/such/page", observed{"/", "GET", 404}},
		{"GET", "/v1/no/such/route", observed{"/v1/", "GET", 401}},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			obs.mu.Lock()
			obs.requests = nil
			obs.mu.Unlock()
			do(t, s.Handler(), tt.method, tt.path, nil, nil)
			obs.mu.Lock()
			defer obs.mu.Unlock()
			if diff := cmp.Diff([]observed{tt.want}, obs.requests); diff != "" {
				t.Errorf("observed (-want +got):\n%s", diff)
			}
			if obs.inFlight != 0 {
				t.Errorf("in flight after the answer = %d, want 0", obs.inFlight)
			}
		})
	}
	// The gate's check is timed on /v1 routes.
	if obs.auths != 0 {
		t.Errorf("Authorized called %d times for requests without a key", obs.auths)
	}
}

// TestObserverTrialQuota checks that a trial refused for its daily limit,
// and one refunded for bad input, are reported.
func TestObserverTrialQuota(t *testing.T) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<title>t</title><p>trial</p>")
	}))
	defer site.Close()
	obs := &recordingObserver{}
	cfg := testConfig(t, map[string]string{"SPIDERGO_TRIAL_DAILY_LIMIT": "1", "SPIDERGO_FETCH_ALLOW": "127.0.0.1"})
	s, err := newServer(t, cfg, storetest.SQLite(t), slog.New(slog.DiscardHandler), testOptions{Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	json := http.Header{"Content-Type": {"application/json"}}
	for i, tt := range []struct {
		body string
		want int
	}{
		{`{"url": 1}`, 400},                   // bad input: the trial is given back
		{`{"url":"` + site.URL + `/"}`, 200},  // the day's one trial
		{`{"url":"` + site.URL + `/2"}`, 429}, // refused
	} {
		if res, body := do(t, s.Handler(), "POST", "/trial/scrape", strings.NewReader(tt.body), json); res.StatusCode != tt.want {
			t.Fatalf("trial %d = %d %v, want %d", i, res.StatusCode, body, tt.want)
		}
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if diff := cmp.Diff([]string{QuotaTrial}, obs.refused); diff != "" {
		t.Errorf("refused (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{QuotaTrial}, obs.refunded); diff != "" {
		t.Errorf("refunded (-want +got):\n%s", diff)
	}
}

// TestSlowRequestLog checks the WARN line for requests past
// SPIDERGO_SLOW_REQUEST.
func TestSlowRequestLog(t *testing.T) {
	for _, tt := range []struct {
		threshold string
		want      bool
	}{
		{"1ns", true},
		{"0", false}, // off
		{"", false},  // the default, 5s, is far above a health check
	} {
		t.Run("threshold="+tt.threshold, func(t *testing.T) {
			s, logs := newTestServer(t, map[string]string{"SPIDERGO_SLOW_REQUEST": tt.threshold})
			req := httptest.NewRequest("GET", "/healthz", nil)
			req.Header.Set("X-Request-ID", "slow-req-1")
			s.Handler().ServeHTTP(httptest.NewRecorder(), req)
			var line string
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, `msg="slow request"`) {
					line = l
				}
			}
			if (line != "") != tt.want {
				t.Fatalf("slow request line = %q, want one: %v\nlogs:\n%s", line, tt.want, logs)
			}
			if !tt.want {
				return
			}
			for _, attr := range []string{"level=WARN", `route="GET /healthz"`, "status=200", "duration=", "request_id=slow-req-1"} {
				if !strings.Contains(line, attr) {
					t.Errorf("slow request line lacks %s: %s", attr, line)
				}
			}
		})
	}
}

// TestRequestLogRoute checks that the request line names the route
// pattern beside the path.
func TestRequestLogRoute(t *testing.T) {
	s, logs := newTestServer(t, nil)
	do(t, s.Handler(), "GET", "/v1/crawl/abc123", nil, nil)
	if !strings.Contains(logs.String(), `route="GET /v1/crawl/{id}"`) {
		t.Errorf("request line lacks the route pattern:\n%s", logs)
	}
}

// TestSlowRequestSkipsStreams checks that an answer that streams (the job
// stream, long by design) is not logged as slow, while one that does not
// stream is.
func TestSlowRequestSkipsStreams(t *testing.T) {
	for _, tt := range []struct {
		name   string
		stream bool
		want   bool
	}{
		{"plain", false, true},
		{"stream", true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			logs := &logBuffer{}
			s := &Server{log: slog.New(slog.NewTextHandler(logs, nil)), slow: time.Nanosecond}
			h := s.withLogging(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "line\n")
				if tt.stream {
					http.NewResponseController(w).Flush()
				}
			}))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
			if got := strings.Contains(logs.String(), "slow request"); got != tt.want {
				t.Errorf("slow request logged = %v, want %v:\n%s", got, tt.want, logs)
			}
		})
	}
}
