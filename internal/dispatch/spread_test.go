package dispatch

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/crawl"
	"github.com/spidergo/spidergo/internal/fetch"
	"github.com/spidergo/spidergo/internal/sqlstore"
	"github.com/spidergo/spidergo/internal/storetest"
)

// treeSite serves pages /t/0 … /t/n-1, each linking to its two children in
// a binary tree and back to the root, after a delay; it counts fetches.
type treeSite struct {
	n     int
	delay time.Duration
	mu    sync.Mutex
	hits  map[int]int
	total atomic.Int64
}

func (s *treeSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/t/"))
	if !strings.HasPrefix(r.URL.Path, "/t/") || err != nil || i < 0 || i >= s.n {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.hits[i]++
	s.mu.Unlock()
	s.total.Add(1)
	time.Sleep(s.delay)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<html><body><a href="/t/0">home</a>`)
	for _, c := range []int{2*i + 1, 2*i + 2} {
		if c < s.n {
			fmt.Fprintf(w, `<a href="/t/%d">%d</a>`, c, c)
		}
	}
	io.WriteString(w, "</body></html>")
}

// testWorker is one worker process as app assembles it: a store, River
// with its workers, the job service and its engine.
type testWorker struct {
	name  string
	jobs  *crawl.Jobs
	sched *Scheduler
	stop  context.CancelFunc
	done  chan struct{}
}

func startWorker(t testing.TB, dbURL, name string, site *httptest.Server, spread, concurrency int) *testWorker {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	db, err := sqlstore.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	sched, err := New(Config{Pool: pool, DB: db.SQL(), Store: db, Creator: db, Log: log, Workers: 2, Lease: 2 * time.Second,
		Poll: 100 * time.Millisecond, Spread: spread})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(site.URL)
	f, err := fetch.New(fetch.Config{Allow: []string{u.Host}, UserAgent: "SpiderGo-test", PerHostConcurrency: concurrency})
	if err != nil {
		t.Fatal(err)
	}
	normalize := func(s string) (string, error) {
		n, ok := crawl.Normalize(s, false)
		if !ok {
			return "", fmt.Errorf("bad url %q", s)
		}
		return n, nil
	}
	jobs := crawl.NewJobs(crawl.JobsConfig{Store: db, Engine: crawl.NewEngine(crawl.EngineConfig{Fetcher: f, IdlePoll: 50 * time.Millisecond}),
		Normalize: normalize, Log: log, Owner: name, LeaseTTL: 2 * time.Second, Poll: 100 * time.Millisecond, Scheduler: sched.Bind, MaxCrawlPages: 100000})
	w := &testWorker{name: name, jobs: jobs, sched: sched, stop: stop, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		go sched.Run(ctx)
		<-ctx.Done()
		jobs.Close()
		pool.Close()
		db.Close()
	}()
	t.Cleanup(w.close)
	return w
}

func (w *testWorker) close() {
	w.stop()
	<-w.done
}

// startCrawl starts an async crawl of the site's tree through w.
func startCrawl(t testing.TB, w *testWorker, userID string, site *httptest.Server, limit, concurrency int) string {
	t.Helper()
	depth, async := 30, true
	st, err := w.jobs.Start(context.Background(), crawl.Actor{UserID: userID}, spidergo.KindCrawl, &api.Request{URL: site.URL + "/t/0",
		Formats: []string{"links"}, Limit: &limit, MaxDepth: &depth, Sitemap: "skip", MaxConcurrency: &concurrency, Async: &async})
	if err != nil {
		t.Fatal(err)
	}
	return st.Envelope.CRID
}

// waitJob polls the job until done says so or the deadline passes.
func waitJob(t testing.TB, store spidergo.JobStore, crid string, within time.Duration, done func(*spidergo.Job) bool) *spidergo.Job {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		j, err := store.JobByID(context.Background(), crid)
		if err != nil {
			t.Fatal(err)
		}
		if done(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s not there in %s: %+v", crid, within, j)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newUser(t testing.TB, store spidergo.Store) string {
	t.Helper()
	u := &spidergo.User{Email: "spread@example.com"}
	if err := store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// owners returns the worker names the job's frontier claims record.
func owners(t testing.TB, db *sqlstore.DB, crid string) map[string]int {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT claimed_by, count(*) FROM frontier WHERE job_id = $1 AND claimed_by <> '' GROUP BY claimed_by`, crid)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var owner string
		var n int
		if err := rows.Scan(&owner, &n); err != nil {
			t.Fatal(err)
		}
		name, _, _ := strings.Cut(owner, "/")
		out[name] += n
	}
	return out
}

// TestCrawlSpreadsOverWorkers: one crawl started on one worker is crawled
// by both; every page is fetched and stored once, the counters are exact,
// the job completes once; a cancel through the other worker stops every
// part.
func TestCrawlSpreadsOverWorkers(t *testing.T) {
	dbURL := storetest.PostgresDatabase(t)
	site := &treeSite{n: 800, delay: 5 * time.Millisecond, hits: map[int]int{}}
	srv := httptest.NewServer(site)
	defer srv.Close()
	db, err := sqlstore.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	userID := newUser(t, db)
	w1 := startWorker(t, dbURL, "w1", srv, 3, 4)
	w2 := startWorker(t, dbURL, "w2", srv, 3, 4)

	t.Run("crawl", func(t *testing.T) {
		crid := startCrawl(t, w1, userID, srv, site.n, 4)
		j := waitJob(t, db, crid, 90*time.Second, (*spidergo.Job).Finished)
		if j.Status != spidergo.StatusCompleted || j.TotalPages != site.n || j.Discovered != site.n || j.Failed != 0 || j.Queued+j.InFlight != 0 {
			t.Errorf("job = %s, %d pages, %d discovered, %d failed, %d open; want completed with %d", j.Status, j.TotalPages, j.Discovered, j.Failed, j.Queued+j.InFlight, site.n)
		}
		site.mu.Lock()
		for i := range site.n {
			if site.hits[i] != 1 {
				t.Errorf("/t/%d fetched %d times", i, site.hits[i])
			}
		}
		site.mu.Unlock()
		// Every page links to the root: all repeats.
		if got := j.Skipped["duplicate"]; got != site.n {
			t.Errorf("skipped as duplicate = %d, want %d", got, site.n)
		}
		took := owners(t, db, crid)
		if took["w1"] == 0 || took["w2"] == 0 || took["w1"]+took["w2"] != site.n {
			t.Errorf("pages claimed by worker: %v; want both workers, %d in all", took, site.n)
		}
		t.Logf("pages claimed by worker: %v", took)
	})

	t.Run("cancel reaches every part", func(t *testing.T) {
		crid := startCrawl(t, w1, userID, srv, site.n, 2)
		waitJob(t, db, crid, 60*time.Second, func(j *spidergo.Job) bool {
			took := owners(t, db, crid)
			return j.Finished() || took["w1"] > 0 && took["w2"] > 0 && j.TotalPages >= 20
		})
		got, err := w2.jobs.Cancel(context.Background(), userID, crid)
		if err != nil || got.Status != spidergo.StatusCancelled {
			t.Fatalf("cancel = %+v, %v", got, err)
		}
		before := site.total.Load()
		time.Sleep(time.Second)
		if after := site.total.Load(); after != before {
			t.Errorf("the site served %d more fetches after the cancel returned", after-before)
		}
	})
}

// BenchmarkCrawlWorkers crawls one large crawl with one worker and with
// two (each its own store pool, River client, engine and fetcher, as
// separate processes have, here in one process), and reports pages per
// second and CPU per page. The site answers after 10 ms, as a distant
// server would; per-host politeness is raised out of the way, so the
// figures show what a second worker adds to one crawl. It needs
// SPIDERGO_TEST_DATABASE_URL:
//
//	go test -run '^$' -bench CrawlWorkers -benchtime 1x -count 3 ./internal/dispatch/
func BenchmarkCrawlWorkers(b *testing.B) {
	const pages, concurrency = 3000, 8
	for _, workers := range []int{1, 2} {
		b.Run("workers="+strconv.Itoa(workers), func(b *testing.B) {
			var total int
			var elapsed time.Duration
			var cpu time.Duration
			for range b.N {
				b.StopTimer()
				dbURL := storetest.PostgresDatabase(b)
				site := &treeSite{n: pages, delay: 10 * time.Millisecond, hits: map[int]int{}}
				srv := httptest.NewServer(site)
				db, err := sqlstore.Open(context.Background(), dbURL)
				if err != nil {
					b.Fatal(err)
				}
				userID := newUser(b, db)
				var ws []*testWorker
				for i := range workers {
					ws = append(ws, startWorker(b, dbURL, fmt.Sprintf("w%d", i+1), srv, workers-1, 4*concurrency))
				}
				b.StartTimer()
				start, cpu0 := time.Now(), processCPU()
				crid := startCrawl(b, ws[0], userID, srv, pages, concurrency)
				j := waitJob(b, db, crid, 10*time.Minute, (*spidergo.Job).Finished)
				elapsed += time.Since(start)
				cpu += processCPU() - cpu0
				b.StopTimer()
				if j.Status != spidergo.StatusCompleted || j.TotalPages != pages {
					b.Fatalf("job = %s with %d pages, want completed with %d", j.Status, j.TotalPages, pages)
				}
				total += j.TotalPages
				for _, w := range ws {
					w.close()
				}
				db.Close()
				srv.Close()
			}
			b.ReportMetric(float64(total)/elapsed.Seconds(), "pages/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(total), "cpu-µs/page")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
