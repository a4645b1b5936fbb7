package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/config"
	"github.com/spidergo/spidergo/internal/crawl"
	"github.com/spidergo/spidergo/internal/storetest"
)

// TestWebhooksSurviveARestart runs a crawl whose webhook receiver is down,
// stops the process with its events undelivered, and starts a new one on
// the same database: once the receiver is back, it gets every event
// exactly once, in order. On SQLite the process sends them itself; on
// PostgreSQL River does.
func TestWebhooksSurviveARestart(t *testing.T) {
	dbs := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "hooks.db") },
		"postgres": func(t *testing.T) string { return storetest.PostgresDatabase(t) },
	}
	for name, dbURL := range dbs {
		t.Run(name, func(t *testing.T) {
			site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				switch r.URL.Path {
				case "/":
					fmt.Fprint(w, `<html><head><title>Home</title></head><body><a href="/a">a</a><a href="/b">b</a></body></html>`)
				case "/a", "/b":
					fmt.Fprintf(w, `<html><head><title>%s</title></head><body>leaf</body></html>`, r.URL.Path)
				default:
					http.NotFound(w, r)
				}
			}))
			defer site.Close()
			var up atomic.Bool
			var mu sync.Mutex
			var got []string
			seen := map[string]int{}
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				if !up.Load() {
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				mu.Lock()
				got = append(got, r.Header.Get(api.HeaderEvent))
				seen[r.Header.Get(api.HeaderDelivery)]++
				mu.Unlock()
				w.WriteHeader(http.StatusNoContent)
			}))
			defer rcv.Close()

			url := dbURL(t)
			cfg, err := config.Load(nil, func(k string) string {
				return map[string]string{"SPIDERGO_DATABASE_URL": url, "SPIDERGO_JOB_LEASE": "1s",
					"SPIDERGO_FETCH_ALLOW": strings.TrimPrefix(site.URL, "http://") + "," + strings.TrimPrefix(rcv.URL, "http://")}[k]
			}, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			start := func() (*App, func()) {
				a, err := New(context.Background(), cfg, log, Options{PasswordParams: auth.TestParams, WebhookBackoff: 20 * time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- a.Run(ctx, ln) }()
				// Ready once the stored jobs are resumed: a job started
				// before could be resumed a second time.
				for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
					if res, err := http.Get("http://" + ln.Addr().String() + "/readyz"); err == nil {
						res.Body.Close()
						if res.StatusCode == http.StatusOK {
							break
						}
					}
					if time.Now().After(deadline) {
						t.Fatal("not ready")
					}
				}
				return a, func() {
					cancel()
					if err := <-done; err != nil {
						t.Errorf("Run = %v", err)
					}
					a.Close()
				}
			}

			a, stop := start()
			ctx := context.Background()
			u := storetest.NewUser(t, a.Store)
			st, err := a.Jobs.Start(ctx, crawl.Actor{UserID: u.ID}, spidergo.KindCrawl, &api.Request{URL: site.URL + "/", Sitemap: "skip", Async: api.Ptr(true),
				Webhook: &api.Webhook{URL: rcv.URL + "/hook"}})
			if err != nil {
				t.Fatal(err)
			}
			crid := st.Envelope.CRID
			deliveries := func() []*spidergo.WebhookDelivery {
				ds, _, err := a.Store.Deliveries(ctx, crid, "", 100)
				if err != nil {
					t.Fatal(err)
				}
				return ds
			}
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				ds := deliveries()
				if len(ds) == 5 && ds[0].Attempts >= 2 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the crawl's events were not stored and tried: %d deliveries", len(ds))
				}
			}
			stop()

			up.Store(true)
			a, stop = start()
			defer stop()
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				ds := deliveries()
				if !slices.ContainsFunc(ds, func(d *spidergo.WebhookDelivery) bool { return d.State != spidergo.DeliveryDelivered }) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("not every event delivered after the restart")
				}
			}
			mu.Lock()
			if want := []string{"started", "page", "page", "page", "completed"}; !slices.Equal(got, want) {
				t.Errorf("received %v, want %v", got, want)
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("delivery %s received %d times", id, n)
				}
			}
			mu.Unlock()

			// A redelivered event goes out once more, through the same
			// path (River on PostgreSQL).
			first := deliveries()[0]
			if _, err := a.Jobs.Redeliver(ctx, u.ID, crid, first.ID); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				mu.Lock()
				n := seen[first.ID]
				mu.Unlock()
				if n == 2 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the redelivered event was received %d times, want 2", n)
				}
			}
			if _, err := a.Jobs.Redeliver(ctx, "someone-else", crid, first.ID); spidergo.ErrorCode(err) != spidergo.ENOTFOUND {
				t.Errorf("redeliver of another user's job: %v, want ENOTFOUND", err)
			}
		})
	}
}
