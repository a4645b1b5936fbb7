package crawl

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/sqlstore"
)

// bigPage is a 2.7 MB page with 100 000 links, the page that used to take
// 692 MB of memory at 16 concurrent scrapes and 15 MB of storage each.
var bigPage = sync.OnceValue(func() string { return linksPage(100_000) })

// smallerPage stands in for bigPage under the race detector, which slows
// extraction tenfold: the pool's bound does not depend on the page's size.
var smallerPage = sync.OnceValue(func() string { return linksPage(10_000) })

func linksPage(n int) string {
	var b strings.Builder
	b.WriteString(`<html><head><title>Links</title></head><body><article><h1>Links</h1><p>A page with very many links, long enough to count as content.</p>`)
	for i := range n {
		fmt.Fprintf(&b, `<a href="/p/%06d">page %d</a> `, i, i)
	}
	b.WriteString(`</article></body></html>`)
	return b.String()
}

func newBigSite(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if raceEnabled && r.URL.Query().Has("smaller") {
			fmt.Fprint(w, smallerPage())
			return
		}
		fmt.Fprint(w, bigPage())
	}))
	t.Cleanup(srv.Close)
	return srv
}

func scrapeOptions(t *testing.T, seed string, formats ...string) *Options {
	t.Helper()
	o, err := Validate(&api.Request{URL: seed, Formats: formats}, spidergo.KindScrape, false, func(s string) (string, error) {
		n, ok := Normalize(s, false)
		if !ok {
			return "", fmt.Errorf("bad url %q", s)
		}
		return n, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestExtractPool(t *testing.T) {
	ctx := context.Background()
	p := NewExtractPool(2)
	for range 2 {
		if err := p.Acquire(ctx, time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		wait    time.Duration
		want    error
		refused int64
	}{
		{"bounded wait runs out", func() (context.Context, context.CancelFunc) { return ctx, func() {} }, 10 * time.Millisecond, ErrServerBusy, 1},
		{"unbounded wait ends with the context", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 10*time.Millisecond)
		}, 0, context.DeadlineExceeded, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, cancel := tt.ctx()
			defer cancel()
			if err := p.Acquire(c, tt.wait); !errors.Is(err, tt.want) {
				t.Fatalf("Acquire = %v, want %v", err, tt.want)
			}
			if st := p.Stats(); st.Refused != tt.refused || st.InUse != 2 || st.Waiting != 0 {
				t.Errorf("stats = %+v, want 2 in use, none waiting, %d refused", st, tt.refused)
			}
		})
	}
	t.Run("a waiter gets the slot released", func(t *testing.T) {
		got := make(chan error)
		go func() { got <- p.Acquire(ctx, 0) }()
		for p.Stats().Waiting != 1 {
			time.Sleep(time.Millisecond)
		}
		p.Release()
		if err := <-got; err != nil {
			t.Fatal(err)
		}
		p.Release()
		p.Release()
		if st := p.Stats(); st != (PoolStats{Size: 2, Refused: 1, Peak: 2}) {
			t.Errorf("stats = %+v", st)
		}
	})
}

// TestExtractBoundAcrossRequests runs many scrapes of the big page at once
// through one engine and checks, by the pool's counters, that never more
// than the pool's size extracted at once: synchronous scrapes past the wait
// are refused with ErrServerBusy, async ones all wait their turn.
func TestExtractBoundAcrossRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts a 2.7 MB page many times")
	}
	site := newBigSite(t)
	const workers = 2
	for _, tt := range []struct {
		name     string
		async    bool
		requests int
	}{
		{"sync requests past the wait are refused", false, 12},
		// Fewer: each of them is extracted in the end.
		{"async crawls wait", true, 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			requests := tt.requests
			e := NewEngine(EngineConfig{Fetcher: newTestFetcher(t, site), ExtractWorkers: workers, ExtractWait: time.Millisecond})
			errs := make([]error, requests)
			queues := make([]*MemQueue, requests)
			var wg sync.WaitGroup
			for i := range requests {
				seed := site.URL + "/"
				if raceEnabled {
					seed += "?smaller"
				}
				o := scrapeOptions(t, seed, "links")
				o.Async = tt.async
				queues[i] = NewMemQueue()
				wg.Go(func() {
					errs[i] = e.Run(context.Background(), &Job{ID: fmt.Sprint("j", i), Options: o, Queue: queues[i]})
				})
			}
			wg.Wait()
			st := e.ExtractPool().Stats()
			if st.Peak > workers || st.Peak < 1 {
				t.Errorf("at most %d pages were to be extracted at once, the pool saw %d", workers, st.Peak)
			}
			if st.InUse != 0 || st.Waiting != 0 {
				t.Errorf("pool not drained: %+v", st)
			}
			extracted, busy := 0, 0
			for i, err := range errs {
				switch {
				case err == nil && len(queues[i].Pages) == 1 && queues[i].Pages[0].Error == "":
					extracted++
				case errors.Is(err, ErrServerBusy) && len(queues[i].Pages) == 0:
					busy++
				default:
					t.Errorf("request %d: err %v, pages %d", i, err, len(queues[i].Pages))
				}
			}
			if int64(busy) != st.Refused || extracted+busy != requests || extracted == 0 {
				t.Errorf("%d extracted, %d busy, pool refused %d; want every request either extracted or refused, and some extracted", extracted, busy, st.Refused)
			}
			if tt.async && busy != 0 {
				t.Errorf("async crawls were refused %d times; they should wait", busy)
			}
			t.Logf("%d extracted, %d refused, pool %+v", extracted, busy, st)
		})
	}
}

// TestPageCaps scrapes the big page through the job service and checks
// what the stored row holds: every text format cut to its cap, 5 000
// links, Truncated naming each, and the row bounded by the caps' sum.
func TestPageCaps(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("extracts a 2.7 MB page, too slow under -short or the race detector")
	}
	site := newBigSite(t)
	jobs, store, userID := newTestJobs(t, site)
	started, err := jobs.Start(context.Background(), Actor{UserID: userID}, spidergo.KindScrape,
		&api.Request{URL: site.URL + "/", Formats: []string{"markdown", "text", "html", "raw_html", "links"}, OnlyMainContent: ptr(false)})
	if err != nil {
		t.Fatal(err)
	}
	if len(started.Envelope.Pages) != 1 || started.Envelope.Pages[0].Error != "" {
		t.Fatalf("scrape answered %+v", started.Envelope)
	}
	p := started.Envelope.Pages[0]
	// The page's text (link labels only) is under the cap.
	want := []string{"links", "raw_html", "markdown", "html"}
	for _, f := range want {
		if !slices.Contains(p.Truncated, f) {
			t.Errorf("Truncated = %v, want %q in it", p.Truncated, f)
		}
	}
	caps := DefaultPageCaps
	if n := len(p.Links.Internal) + len(p.Links.External); n != caps.Links {
		t.Errorf("%d links kept, want %d", n, caps.Links)
	}
	if slices.Contains(p.Truncated, "text") || len(p.TextContent) > caps.Text {
		t.Errorf("text of %d bytes reported cut", len(p.TextContent))
	}
	for name, s := range map[string]string{"raw_html": p.RawHTML, "markdown": p.Markdown, "html": p.HTML} {
		if len(s) > caps.Text || len(s) < caps.Text-4 {
			t.Errorf("%s: %d bytes kept, want the cap, %d", name, len(s), caps.Text)
		}
	}
	var rowSize int
	if err := store.(*sqlstore.DB).SQL().QueryRow(`SELECT length(data) FROM pages WHERE job_id = ?`, started.Envelope.CRID).Scan(&rowSize); err != nil {
		t.Fatal(err)
	}
	// Four formats of at most 2 MiB each, 5 000 links and JSON quoting.
	if limit := caps.RawHTML + 3*caps.Text + 2<<20; rowSize > limit {
		t.Errorf("stored row is %d bytes, want at most %d", rowSize, limit)
	}
	t.Logf("stored row: %d bytes", rowSize)

	stored, _, err := store.Pages(context.Background(), started.Envelope.CRID, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(stored[0].Truncated, p.Truncated) {
		t.Errorf("stored Truncated = %v, answered %v", stored[0].Truncated, p.Truncated)
	}
}

// TestSyncPerUserCap holds two synchronous scrapes of one user on slow
// pages and checks that the user's next synchronous request is throttled
// while another user's is not, and that a finished request frees its
// place.
func TestSyncPerUserCap(t *testing.T) {
	site := newSlowSite(t)
	base, store, userA := newTestJobs(t, site.Server)
	base.Close()
	jobs := NewJobs(JobsConfig{Store: store, Engine: base.engine, Normalize: base.normalize, Log: base.log, MaxPerUser: 2, MaxSyncPerUser: 2, Owner: "test"})
	t.Cleanup(jobs.Close)
	ub := &spidergo.User{Email: "other@example.com"}
	if err := store.CreateUser(context.Background(), ub); err != nil {
		t.Fatal(err)
	}

	holdCtx, release := context.WithCancel(context.Background())
	var held sync.WaitGroup
	for _, path := range []string{"/slow/1", "/slow/2"} {
		held.Go(func() {
			jobs.Start(holdCtx, Actor{UserID: userA}, spidergo.KindScrape, &api.Request{URL: site.URL + path})
		})
		<-site.started
	}
	scrape := func(user string) error {
		_, err := jobs.Start(context.Background(), Actor{UserID: user}, spidergo.KindScrape, &api.Request{URL: site.URL + "/"})
		return err
	}
	for _, tt := range []struct {
		name          string
		user          string
		wantThrottled bool
	}{
		{"the user's third request", userA, true},
		{"another user's request", ub.ID, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := scrape(tt.user)
			var e *spidergo.Error
			throttled := errors.As(err, &e) && e.Code == spidergo.ETHROTTLED
			if throttled != tt.wantThrottled {
				t.Fatalf("err = %v, want throttled %v", err, tt.wantThrottled)
			}
			if throttled && (e.RetryAfter <= 0 || !strings.Contains(e.Message, "2 synchronous requests")) {
				t.Errorf("throttle without Retry-After or a clear message: %+v", e)
			}
			if !tt.wantThrottled && err != nil {
				t.Fatal(err)
			}
		})
	}
	release()
	held.Wait()
	if err := scrape(userA); err != nil {
		t.Errorf("after the held requests ended: %v", err)
	}
}

// TestSyncBusy holds the engine's only extract slot and checks that a
// synchronous scrape is refused with ErrServerBusy after the wait, leaving
// no job behind, while an async crawl waits and completes once the slot
// is free.
func TestSyncBusy(t *testing.T) {
	site := newTestSite(t, map[string]string{"/": page("home")})
	base, store, userID := newTestJobs(t, site.Server)
	base.Close()
	engine := NewEngine(EngineConfig{Fetcher: newTestFetcher(t, site.Server), ExtractWorkers: 1, ExtractWait: 20 * time.Millisecond})
	jobs := NewJobs(JobsConfig{Store: store, Engine: engine, Normalize: base.normalize, Log: base.log, MaxPerUser: 2, Owner: "test", Poll: 10 * time.Millisecond})
	t.Cleanup(jobs.Close)
	ctx := context.Background()
	pool := engine.ExtractPool()
	if err := pool.Acquire(ctx, 0); err != nil {
		t.Fatal(err)
	}

	_, err := jobs.Start(ctx, Actor{UserID: userID}, spidergo.KindScrape, &api.Request{URL: site.URL + "/"})
	if !errors.Is(err, ErrServerBusy) {
		t.Fatalf("scrape with the pool held: err = %v, want ErrServerBusy", err)
	}
	if list, _, _ := store.ListJobs(ctx, userID, spidergo.JobFilter{Limit: 10}); len(list) != 0 {
		t.Errorf("a refused scrape left %d jobs", len(list))
	}
	if st := pool.Stats(); st.Refused != 1 {
		t.Errorf("pool stats %+v, want 1 refused", st)
	}

	started, err := jobs.Start(ctx, Actor{UserID: userID}, spidergo.KindCrawl, &api.Request{URL: site.URL + "/", Async: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	for pool.Stats().Waiting == 0 {
		time.Sleep(time.Millisecond)
	}
	pool.Release()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		j, err := store.JobByID(ctx, started.Envelope.CRID)
		if err != nil {
			t.Fatal(err)
		}
		if j.Finished() {
			if j.Status != spidergo.StatusCompleted || j.TotalPages != 1 || j.Failed != 0 {
				t.Errorf("async job after waiting: %+v", j)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("async job still %s", j.Status)
		}
	}
}
