package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spidergo/spidergo/api"
)

// fastRetry keeps tests quick while still exercising every retry.
var fastRetry = RetryPolicy{MaxRetries: 2, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxRetryAfter: 2 * time.Second}

func newTestClient(t *testing.T, h http.Handler, opts ...Option) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "sk_live_test", append([]Option{WithRetry(fastRetry)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("X-Request-ID", "rid-1")
	writeJSON(w, status, api.Error{Message: msg, Code: code, RequestID: "rid-1"})
}

func TestNew(t *testing.T) {
	for _, tc := range []struct{ base, key string }{
		{"", "k"}, {"ftp://x", "k"}, {"http://", "k"}, {"http://localhost", ""},
	} {
		if _, err := New(tc.base, tc.key); err == nil {
			t.Errorf("New(%q, %q): no error", tc.base, tc.key)
		}
	}
}

func TestScrape(t *testing.T) {
	var got api.Request
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/scrape" {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		if a := r.Header.Get("Authorization"); a != "Bearer sk_live_test" {
			t.Errorf("Authorization = %q", a)
		}
		if ua := r.Header.Get("User-Agent"); ua != "test-agent" {
			t.Errorf("User-Agent = %q", ua)
		}
		json.NewDecoder(r.Body).Decode(&got)
		w.Header().Set("X-RateLimit-Limit", "1000")
		w.Header().Set("X-RateLimit-Remaining", "998")
		w.Header().Set("X-RateLimit-Reset", "1800000000")
		w.Header().Set("X-Request-ID", "abc")
		writeJSON(w, 200, api.Response{Message: &api.Envelope{CRID: "c1", Status: "completed", TotalPages: 1, Pages: []*api.Page{{URL: "https://example.com/", Markdown: "# Hi"}}}})
	}), WithUserAgent("test-agent"))
	res, err := c.Scrape(context.Background(), &api.Request{URL: "https://example.com", Formats: []string{"markdown"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(api.Request{URL: "https://example.com", Formats: []string{"markdown"}}, got); diff != "" {
		t.Errorf("request body (-want +got):\n%s", diff)
	}
	if res.CRID != "c1" || len(res.Pages) != 1 || res.Pages[0].Markdown != "# Hi" {
		t.Errorf("result = %+v", res.Envelope)
	}
	want := RateLimit{Limit: 1000, Remaining: 998, Reset: time.Unix(1800000000, 0).UTC()}
	if res.RateLimit != want || res.RequestID != "abc" {
		t.Errorf("rate limit = %+v, request id %q", res.RateLimit, res.RequestID)
	}
}

// TestRoutes checks that each method calls its route with its body.
func TestRoutes(t *testing.T) {
	type seen struct {
		method, path, query string
		body                api.Request
	}
	var last seen
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		last = seen{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery}
		if r.Body != nil {
			json.NewDecoder(r.Body).Decode(&last.body)
		}
		switch r.URL.Path {
		case "/v1/usage":
			writeJSON(w, 200, api.Usage{KeyID: "k1", DailyLimit: 10, UsedToday: 3, Remaining: 7})
		case "/v1/history":
			writeJSON(w, 200, api.History{Jobs: []*api.Envelope{{CRID: "j1"}}, Next: "n"})
		case "/v1/webhook-secret":
			writeJSON(w, 200, map[string]string{"webhook_secret": "whsec_1"})
		default:
			writeJSON(w, 200, api.Response{Message: &api.Envelope{CRID: "j1", Status: "queued", URLs: []string{"https://a/"}}})
		}
	}))
	ctx := context.Background()
	req := &api.Request{URL: "https://example.com", Limit: api.Ptr(5)}
	tests := []struct {
		name string
		call func() (any, error)
		want seen
	}{
		{"crawl", func() (any, error) {
			return c.Crawl(ctx, &api.Request{URL: "https://example.com", Async: api.Ptr(true)})
		},
			seen{method: "POST", path: "/v1/crawl", body: api.Request{URL: "https://example.com"}}},
		{"start crawl", func() (any, error) { return c.StartCrawl(ctx, req) },
			seen{method: "POST", path: "/v1/crawl", body: api.Request{URL: "https://example.com", Limit: api.Ptr(5), Async: api.Ptr(true)}}},
		{"batch", func() (any, error) {
			return c.BatchScrape(ctx, []string{"https://a", "https://b"}, &api.Request{Formats: []string{"text"}})
		},
			seen{method: "POST", path: "/v1/batch/scrape", body: api.Request{URLs: []string{"https://a", "https://b"}, Formats: []string{"text"}}}},
		{"map", func() (any, error) { return c.Map(ctx, req) },
			seen{method: "POST", path: "/v1/map", body: *req}},
		{"job", func() (any, error) { return c.Job(ctx, "j1", "7", 50) },
			seen{method: "GET", path: "/v1/crawl/j1", query: "cursor=7&limit=50"}},
		{"cancel", func() (any, error) { return c.Cancel(ctx, "j1") },
			seen{method: "DELETE", path: "/v1/crawl/j1"}},
		{"history", func() (any, error) { return c.History(ctx, "x", 5) },
			seen{method: "GET", path: "/v1/history", query: "cursor=x&limit=5"}},
		{"usage", func() (any, error) { return c.Usage(ctx) },
			seen{method: "GET", path: "/v1/usage"}},
		{"webhook secret", func() (any, error) { return c.WebhookSecret(ctx) },
			seen{method: "GET", path: "/v1/webhook-secret"}},
		{"rotate webhook secret", func() (any, error) { return c.RotateWebhookSecret(ctx) },
			seen{method: "POST", path: "/v1/webhook-secret"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			last = seen{}
			out, err := tc.call()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, last, cmp.AllowUnexported(seen{})); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			switch v := out.(type) {
			case string:
				if v != "j1" && v != "whsec_1" {
					t.Errorf("answer = %q", v)
				}
			case *Result:
				if v.CRID != "j1" {
					t.Errorf("CRID = %q", v.CRID)
				}
			case *api.History:
				if len(v.Jobs) != 1 || v.Next != "n" {
					t.Errorf("history = %+v", v)
				}
			case *api.Usage:
				if v.Remaining != 7 {
					t.Errorf("usage = %+v", v)
				}
			}
		})
	}
}

func TestErrorsAndRetries(t *testing.T) {
	tests := []struct {
		name       string
		method     string // GET: Usage, POST: Scrape
		status     int
		code       string
		retryAfter string
		failures   int // answers with status before a success; -1: always
		wantCalls  int
		wantErr    error
		wantAfter  time.Duration
	}{
		{name: "401", method: "GET", status: 401, code: "unauthorized", failures: -1, wantCalls: 1, wantErr: ErrUnauthorized},
		{name: "403 revoked", method: "POST", status: 403, code: "forbidden", failures: -1, wantCalls: 1, wantErr: ErrForbidden},
		{name: "400 blocked", method: "POST", status: 400, code: "blocked_address", failures: -1, wantCalls: 1, wantErr: ErrBlockedAddress},
		{name: "404", method: "GET", status: 404, code: "not_found", failures: -1, wantCalls: 1, wantErr: ErrNotFound},
		{name: "429 quota past MaxRetryAfter", method: "POST", status: 429, code: "quota_exceeded", retryAfter: "3600", failures: -1, wantCalls: 1, wantErr: ErrQuotaExceeded, wantAfter: time.Hour},
		{name: "429 then success on GET", method: "GET", status: 429, code: "throttled", retryAfter: "0", failures: 1, wantCalls: 2},
		{name: "429 then success on POST", method: "POST", status: 429, code: "throttled", retryAfter: "0", failures: 2, wantCalls: 3},
		{name: "429 retries spent", method: "GET", status: 429, code: "throttled", retryAfter: "0", failures: -1, wantCalls: 3, wantErr: ErrThrottled},
		{name: "503 retried on GET", method: "GET", status: 503, code: "unavailable", failures: 2, wantCalls: 3},
		{name: "500 retries spent on GET", method: "GET", status: 500, code: "internal", failures: -1, wantCalls: 3, wantErr: ErrServer},
		{name: "500 not retried on POST", method: "POST", status: 500, code: "internal", failures: -1, wantCalls: 1, wantErr: ErrServer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1))
				if tc.failures < 0 || n <= tc.failures {
					if tc.retryAfter != "" {
						w.Header().Set("Retry-After", tc.retryAfter)
					}
					writeError(w, tc.status, tc.code, "refused "+strconv.Itoa(n))
					return
				}
				if r.URL.Path == "/v1/usage" {
					writeJSON(w, 200, api.Usage{Remaining: 1})
					return
				}
				writeJSON(w, 200, api.Response{Message: &api.Envelope{CRID: "ok"}})
			}))
			var err error
			if tc.method == "GET" {
				_, err = c.Usage(context.Background())
			} else {
				_, err = c.Scrape(context.Background(), &api.Request{URL: "https://example.com"})
			}
			if got := int(calls.Load()); got != tc.wantCalls {
				t.Errorf("calls = %d, want %d", got, tc.wantCalls)
			}
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err %T is not *Error", err)
			}
			if e.Status != tc.status || e.Code != tc.code || e.RequestID != "rid-1" || e.RetryAfter != tc.wantAfter {
				t.Errorf("error = %+v", e)
			}
		})
	}
}

func TestHelpers(t *testing.T) {
	quota := error(&Error{Status: 429, Code: "quota_exceeded"})
	if !IsQuota(fmt.Errorf("wrapped: %w", quota)) || !IsRetryable(quota) || IsUnauthorized(quota) {
		t.Error("quota error misclassified")
	}
	if !IsUnauthorized(&Error{Status: 401, Code: "unauthorized"}) || !IsForbidden(&Error{Status: 403}) ||
		!IsNotFound(&Error{Status: 404}) || !IsInvalid(&Error{Status: 400, Code: "invalid"}) {
		t.Error("helpers misclassify")
	}
	if IsRetryable(&Error{Status: 400}) || IsRetryable(errors.New("x")) {
		t.Error("400 and plain errors are not retryable")
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	var calls atomic.Int32
	var first time.Time
	var gap time.Duration
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			writeError(w, 429, "throttled", "slow down")
			return
		}
		gap = time.Since(first)
		writeJSON(w, 200, api.Usage{Remaining: 5})
	}))
	u, err := c.Usage(context.Background())
	if err != nil || u.Remaining != 5 {
		t.Fatalf("Usage = %+v, %v", u, err)
	}
	if gap < 900*time.Millisecond {
		t.Errorf("retried after %v, want about 1s (Retry-After)", gap)
	}
}

// TestConnectionErrors: a POST is retried only when its request was never
// written; a GET is retried either way.
func TestConnectionErrors(t *testing.T) {
	t.Run("dial failure: POST retried", func(t *testing.T) {
		var dials atomic.Int32
		tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dials.Add(1) == 1 {
				return nil, errors.New("connection refused")
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}
		var calls atomic.Int32
		c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			writeJSON(w, 200, api.Response{Message: &api.Envelope{CRID: "ok"}})
		}), WithHTTPClient(&http.Client{Transport: tr}))
		res, err := c.Scrape(context.Background(), &api.Request{URL: "https://example.com"})
		if err != nil || res.CRID != "ok" || calls.Load() != 1 || dials.Load() != 2 {
			t.Fatalf("res %v err %v calls %d dials %d", res, err, calls.Load(), dials.Load())
		}
	})
	hangUp := func(calls *atomic.Int32) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		})
	}
	t.Run("connection lost after writing: POST not retried", func(t *testing.T) {
		var calls atomic.Int32
		c := newTestClient(t, hangUp(&calls))
		if _, err := c.Scrape(context.Background(), &api.Request{URL: "https://example.com"}); err == nil {
			t.Fatal("no error")
		}
		if calls.Load() != 1 {
			t.Errorf("calls = %d, want 1", calls.Load())
		}
	})
	t.Run("connection lost: GET retried", func(t *testing.T) {
		var calls atomic.Int32
		c := newTestClient(t, hangUp(&calls))
		if _, err := c.Usage(context.Background()); err == nil {
			t.Fatal("no error")
		}
		if calls.Load() != 3 {
			t.Errorf("calls = %d, want 3", calls.Load())
		}
	})
}

func TestContextCancel(t *testing.T) {
	release := make(chan struct{})
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Crawl(ctx, &api.Request{URL: "https://example.com"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("took %v to notice the cancelled context", time.Since(start))
	}
}

// pagedJob serves a job of n pages, 100 at a time, with numeric cursors.
func pagedJob(n int, status string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		from, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if limit == 0 {
			limit = 100
		}
		env := &api.Envelope{CRID: r.PathValue("id"), Status: status, TotalPages: n, Pages: []*api.Page{}}
		for i := from; i < min(n, from+limit); i++ {
			env.Pages = append(env.Pages, &api.Page{URL: fmt.Sprintf("https://example.com/%d", i)})
		}
		if from+limit < n {
			env.Next = strconv.Itoa(from + limit)
		}
		writeJSON(w, 200, api.Response{Message: env})
	}
}

func TestPages(t *testing.T) {
	var calls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/crawl/{id}", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		pagedJob(250, "completed")(w, r)
	})
	c := newTestClient(t, mux)
	var urls []string
	for p, err := range c.Pages(context.Background(), "j1") {
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, p.URL)
	}
	if len(urls) != 250 || urls[0] != "https://example.com/0" || urls[249] != "https://example.com/249" {
		t.Fatalf("got %d pages: first %v", len(urls), urls[:min(3, len(urls))])
	}
	if calls.Load() != 3 {
		t.Errorf("calls = %d, want 3", calls.Load())
	}
	// Breaking out early stops asking.
	calls.Store(0)
	for range c.Pages(context.Background(), "j1") {
		break
	}
	if calls.Load() != 1 {
		t.Errorf("after break: calls = %d, want 1", calls.Load())
	}
}

func TestWait(t *testing.T) {
	var calls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/crawl/{id}", func(w http.ResponseWriter, r *http.Request) {
		status := "running"
		if calls.Add(1) >= 2 {
			status = "completed"
		}
		pagedJob(3, status)(w, r)
	})
	c := newTestClient(t, mux)
	res, err := c.Wait(context.Background(), "j1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "completed" || res.TotalPages != 3 || res.Pages != nil {
		t.Errorf("Wait = %+v", res.Envelope)
	}
}

func TestStream(t *testing.T) {
	line := func(w http.ResponseWriter, l api.StreamLine) {
		json.NewEncoder(w).Encode(l)
		http.NewResponseController(w).Flush()
	}
	page := func(i int) api.StreamLine {
		return api.StreamLine{Type: "page", Page: &api.Page{URL: fmt.Sprintf("https://example.com/%d", i)}}
	}
	tests := []struct {
		name string
		// serve answers connection n (from 1).
		serve     func(w http.ResponseWriter, n int)
		wantPages int
		wantErr   error
		wantConns int
	}{
		{"whole", func(w http.ResponseWriter, n int) {
			for i := range 3 {
				line(w, page(i))
			}
			line(w, api.StreamLine{Type: "summary", Job: &api.Envelope{Status: "completed", TotalPages: 3}})
		}, 3, nil, 1},
		{"reconnects after a drop", func(w http.ResponseWriter, n int) {
			if n == 1 {
				line(w, page(0))
				line(w, page(1))
				w.Write([]byte(`{"type":"page","page":{"UR`)) // cut mid-line
				return
			}
			for i := range 4 {
				line(w, page(i))
			}
			line(w, api.StreamLine{Type: "summary", Job: &api.Envelope{Status: "completed", TotalPages: 4}})
		}, 4, nil, 2},
		{"gives up", func(w http.ResponseWriter, n int) {
			line(w, page(0))
		}, 1, ErrStreamIncomplete, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var conns atomic.Int32
			mux := http.NewServeMux()
			mux.HandleFunc("GET /v1/crawl/{id}/stream", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/x-ndjson")
				tc.serve(w, int(conns.Add(1)))
			})
			c := newTestClient(t, mux)
			var urls []string
			var summary *api.Envelope
			var err error
			for l, e := range c.Stream(context.Background(), "j1") {
				if e != nil {
					err = e
					break
				}
				if l.Type == "page" {
					urls = append(urls, l.Page.URL)
				} else {
					summary = l.Job
				}
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			want := []string{}
			for i := range tc.wantPages {
				want = append(want, fmt.Sprintf("https://example.com/%d", i))
			}
			if diff := cmp.Diff(want, append([]string{}, urls...)); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
			if tc.wantErr == nil && (summary == nil || summary.TotalPages != tc.wantPages) {
				t.Errorf("summary = %+v", summary)
			}
			if int(conns.Load()) != tc.wantConns {
				t.Errorf("connections = %d, want %d", conns.Load(), tc.wantConns)
			}
		})
	}
}
