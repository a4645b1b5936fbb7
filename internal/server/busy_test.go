package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/crawl"
)

// TestSyncRequestsPerUser holds two synchronous scrapes of one user on a
// page that does not answer yet, with SPIDERGO_MAX_SYNC_PER_USER=2, and
// checks the HTTP answers of the requests that come next: the same user's
// are 429 throttled with Retry-After and give their quota unit back,
// another user's go through.
func TestSyncRequestsPerUser(t *testing.T) {
	started := make(chan struct{}, 10)
	release := make(chan struct{})
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/slow") {
			started <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><head><title>Hi</title></head><body><p>Hello there, this is a page.</p></body></html>"))
	}))
	defer site.Close()
	e := newAPIEnvWith(t, "", map[string]string{"SPIDERGO_MAX_SYNC_PER_USER": "2"}, hostOf(site))
	_, other := e.addUser(t, "other@example.com")
	_, key := e.addUser(t, "busy@example.com")

	var held sync.WaitGroup
	for _, path := range []string{"/slow/1", "/slow/2"} {
		held.Go(func() {
			if res, body := e.callAs(t, key, "POST", "/v1/scrape", `{"url":"`+site.URL+path+`"}`); res.StatusCode != 200 {
				t.Errorf("held scrape: %d %v", res.StatusCode, body)
			}
		})
		<-started
	}
	for _, tt := range []struct {
		name       string
		key        string
		wantStatus int
	}{
		{"the same user, over the cap", key, http.StatusTooManyRequests},
		{"the same user again", key, http.StatusTooManyRequests},
		{"another user", other, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, body := e.callAs(t, tt.key, "POST", "/v1/scrape", `{"url":"`+site.URL+`/"}`)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status %d %v, want %d", res.StatusCode, body, tt.wantStatus)
			}
			if tt.wantStatus != http.StatusTooManyRequests {
				return
			}
			if body["code"] != "throttled" || res.Header.Get("Retry-After") == "" || !strings.Contains(body["message"].(string), "synchronous requests") {
				t.Errorf("throttle answer: %v, Retry-After %q", body, res.Header.Get("Retry-After"))
			}
			// Two units held by the running scrapes, none by this one.
			if got := res.Header.Get("X-RateLimit-Remaining"); got != "998" {
				t.Errorf("X-RateLimit-Remaining = %s, want 998 (the unit given back)", got)
			}
		})
	}
	close(release)
	held.Wait()
	if res, body := e.callAs(t, key, "POST", "/v1/scrape", `{"url":"`+site.URL+`/"}`); res.StatusCode != 200 {
		t.Errorf("after the held scrapes: %d %v", res.StatusCode, body)
	}
}

// TestLimitAnswers checks the HTTP form of the limits' refusals: status,
// code and Retry-After.
func TestLimitAnswers(t *testing.T) {
	throttled := spidergo.Errorf(spidergo.ETHROTTLED, "Too many at once.")
	throttled.RetryAfter = 2 * time.Second
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tt := range []struct {
		name       string
		err        error
		status     int
		code       string
		retryAfter string
	}{
		{"extraction busy", crawl.ErrServerBusy, http.StatusServiceUnavailable, "server_busy", "5"},
		{"too many synchronous requests", throttled, http.StatusTooManyRequests, "throttled", "2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.writeError(rec, httptest.NewRequest("POST", "/v1/scrape", nil), tt.err)
			var body map[string]any
			json.Unmarshal(rec.Body.Bytes(), &body)
			if rec.Code != tt.status || body["code"] != tt.code || rec.Header().Get("Retry-After") != tt.retryAfter || body["message"] == "" {
				t.Errorf("answer %d %v Retry-After %q; want %d %s Retry-After %s", rec.Code, body, rec.Header().Get("Retry-After"), tt.status, tt.code, tt.retryAfter)
			}
		})
	}
}
