package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/storetest"
)

// TestScaleOutPerHostLimit runs one api process and two workers, each
// worker taking one job at a time, while two users crawl the same local
// host at once: the two crawls run in two processes, and the host must
// never see more requests in flight than SPIDERGO_FETCH_PER_HOST_CONCURRENCY
// allows all processes together. It runs with the limits in Redis, and
// with no Redis, where PostgreSQL holds them.
func TestScaleOutPerHostLimit(t *testing.T) {
	bin := buildScaleOut(t, false)
	const perHost = 3
	for _, variant := range []struct {
		name  string
		redis string
	}{
		{"redis", os.Getenv("SPIDERGO_TEST_REDIS_URL")},
		{"postgresql without redis", ""},
	} {
		t.Run(variant.name, func(t *testing.T) {
			if variant.name == "redis" && variant.redis == "" {
				t.Skip("SPIDERGO_TEST_REDIS_URL is not set")
			}
			site := &busySite{n: 40, delay: 40 * time.Millisecond}
			srv := httptest.NewServer(site)
			defer srv.Close()
			env := []string{
				"SPIDERGO_DATABASE_URL=" + storetest.PostgresDatabase(t),
				"SPIDERGO_DATABASE_MAX_CONNECTIONS=8",
				"SPIDERGO_FETCH_ALLOW=" + strings.TrimPrefix(srv.URL, "http://"),
				"SPIDERGO_FETCH_PER_HOST_CONCURRENCY=" + strconv.Itoa(perHost),
				"SPIDERGO_WORKER_CONCURRENCY=1",
				"SPIDERGO_SHUTDOWN_TIMEOUT=2s",
				"SPIDERGO_LOG_LEVEL=info",
				"PATH=" + os.Getenv("PATH"),
				"HOME=" + t.TempDir(),
			}
			if variant.redis != "" {
				env = append(env, "SPIDERGO_REDIS_URL="+variant.redis)
			}
			var keys []string
			for _, email := range []string{"ada@example.com", "bob@example.com"} {
				runAdmin(t, bin, env, "a long enough password 42\n", "user", "create", "--email", email, "--password-stdin", "--verified")
				keys = append(keys, runAdmin(t, bin, env, "", "key", "create", "--user", email, "--name", "crawl"))
			}

			procs := []*process{
				startProcess(t, bin, "api", "api", env),
				startProcess(t, bin, "worker1", "worker", env),
				startProcess(t, bin, "worker2", "worker", env),
			}
			t.Cleanup(func() {
				for _, p := range procs {
					p.stop()
				}
				if t.Failed() {
					for _, p := range procs {
						t.Logf("--- %s log:\n%s", p.name, p.tail())
					}
				}
			})
			deadline := time.Now().Add(20 * time.Second)
			for _, p := range procs {
				p.waitReady(t, deadline)
			}
			apiURL := procs[0].url

			var ids []string
			for _, key := range keys {
				status, body := call(apiURL+"/v1/crawl", key, `{"url": "`+srv.URL+`/h/0", "limit": 100, "max_depth": 20, "sitemap": "skip", "async": true}`)
				var started struct {
					Message api.Envelope `json:"message"`
				}
				if status != http.StatusAccepted || json.Unmarshal(body, &started) != nil || started.Message.CRID == "" {
					t.Fatalf("start crawl: %d %s", status, body)
				}
				ids = append(ids, started.Message.CRID)
			}
			var wg sync.WaitGroup
			for i, id := range ids {
				wg.Go(func() {
					for give := time.Now().Add(40 * time.Second); ; time.Sleep(50 * time.Millisecond) {
						status, body := call(apiURL+"/v1/crawl/"+id+"?limit=1", keys[i], "")
						var got struct {
							Message api.Envelope `json:"message"`
						}
						json.Unmarshal(body, &got)
						if m := got.Message; status == http.StatusOK && m.Status == "completed" {
							if m.TotalPages != site.n {
								t.Errorf("crawl %d completed with %d pages, want %d", i, m.TotalPages, site.n)
							}
							return
						}
						if time.Now().After(give) || (status == http.StatusOK && (got.Message.Status == "failed" || got.Message.Status == "cancelled")) {
							t.Errorf("crawl %d did not complete in 40 s: %d %s", i, status, body)
							return
						}
					}
				})
			}
			wg.Wait()
			if peak := site.peak.Load(); peak > perHost {
				t.Errorf("the host saw %d requests in flight, with SPIDERGO_FETCH_PER_HOST_CONCURRENCY=%d", peak, perHost)
			}
			t.Logf("%d requests served, at most %d in flight (limit %d)", site.served.Load(), site.peak.Load(), perHost)
		})
	}
}

// busySite serves n pages /h/0 … /h/n-1, a binary tree of links, each
// after a delay, and keeps the most requests it ever had in flight, of
// any path (robots.txt included: the host sees them all).
type busySite struct {
	n        int
	delay    time.Duration
	inFlight atomic.Int64
	peak     atomic.Int64
	served   atomic.Int64
}

func (s *busySite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
	}
	s.served.Add(1)
	i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/h/"))
	if !strings.HasPrefix(r.URL.Path, "/h/") || err != nil || i < 0 || i >= s.n {
		http.NotFound(w, r)
		return
	}
	time.Sleep(s.delay)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<html><head><title>Page %d</title></head><body><h1>Page %d</h1>", i, i)
	for _, c := range []int{2*i + 1, 2*i + 2} {
		if c < s.n {
			fmt.Fprintf(w, `<p><a href="/h/%d">page %d</a></p>`, c, c)
		}
	}
	fmt.Fprint(w, "</body></html>")
}
