package crawl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/storetest"
)

// slowSite serves a home page linking to slow pages, which wait until
// released or the request ends.
type slowSite struct {
	*httptest.Server
	mu      sync.Mutex
	hits    int
	started chan string
	release chan struct{}
}

func newSlowSite(t *testing.T) *slowSite {
	t.Helper()
	s := &slowSite{started: make(chan string, 100), release: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path == "/" {
			fmt.Fprint(w, page("home", "/slow/1", "/slow/2", "/slow/3", "/slow/4"))
			return
		}
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		s.started <- r.URL.Path
		select {
		case <-s.release:
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, page(r.URL.Path))
	}))
	t.Cleanup(func() {
		close(s.release)
		s.Close()
	})
	return s
}

func (s *slowSite) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

// newTestJobs is a job service over a fresh SQLite store, fetching from
// site, with one user.
func newTestJobs(t *testing.T, site *httptest.Server) (*Jobs, spidergo.Store, string) {
	t.Helper()
	store := storetest.SQLite(t)
	u := &spidergo.User{Email: "jobs@example.com"}
	if err := store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	f := newTestFetcher(t, site)
	normalize := func(s string) (string, error) {
		n, ok := Normalize(s, false)
		if !ok {
			return "", fmt.Errorf("bad url %q", s)
		}
		return n, nil
	}
	jobs := NewJobs(JobsConfig{Store: store, Engine: NewEngine(EngineConfig{Fetcher: f}), Normalize: normalize,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxPerUser: 2, Owner: "test"})
	t.Cleanup(jobs.Close)
	return jobs, store, u.ID
}

func TestStreamLeavesNoWatchers(t *testing.T) {
	site := newSlowSite(t)
	jobs, store, userID := newTestJobs(t, site.Server)
	ctx := context.Background()
	runner := jobs.sched.(*Runner)

	finished := &spidergo.Job{UserID: userID, Kind: spidergo.KindCrawl, URL: site.URL, Status: spidergo.StatusCompleted}
	running := &spidergo.Job{UserID: userID, Kind: spidergo.KindCrawl, URL: site.URL, Status: spidergo.StatusRunning}
	for _, j := range []*spidergo.Job{finished, running} {
		if err := store.CreateJob(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		id   string
		// timeout ends the stream of a job that never finishes.
		timeout time.Duration
		summary bool
	}{
		{"finished job", finished.ID, time.Minute, true},
		{"client leaves a running job", running.ID, 50 * time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 5 {
				sctx, cancel := context.WithTimeout(ctx, tt.timeout)
				var lines []api.StreamLine
				err := jobs.Stream(sctx, userID, tt.id, func(l api.StreamLine) error {
					lines = append(lines, l)
					return nil
				})
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				if got := len(lines) == 1 && lines[0].Type == "summary"; got != tt.summary {
					t.Errorf("lines = %+v, summary wanted: %v", lines, tt.summary)
				}
			}
			if n := runner.watchers(); n != 0 {
				t.Errorf("%d wake-up channels left registered after the streams ended", n)
			}
		})
	}
}

func TestCancelUserStopsFetching(t *testing.T) {
	site := newSlowSite(t)
	jobs, store, userID := newTestJobs(t, site.Server)
	ctx := context.Background()
	actor := Actor{UserID: userID}

	async, err := jobs.Start(ctx, actor, spidergo.KindCrawl, &api.Request{URL: site.URL, Async: api.Ptr(true), Sitemap: "skip", MaxConcurrency: api.Ptr(1)})
	if err != nil || !async.Queued {
		t.Fatalf("async start = %+v, %v", async, err)
	}
	<-site.started
	type answer struct {
		st  *Started
		err error
	}
	syncDone := make(chan answer, 1)
	go func() {
		st, err := jobs.Start(ctx, actor, spidergo.KindCrawl, &api.Request{URL: site.URL, Sitemap: "skip", MaxConcurrency: api.Ptr(1)})
		syncDone <- answer{st, err}
	}()
	<-site.started

	if err := jobs.CancelUser(ctx, userID); err != nil {
		t.Fatal(err)
	}
	hits := site.count()
	got := <-syncDone
	if got.err != nil || got.st.Envelope.Status != spidergo.StatusCancelled {
		t.Errorf("sync crawl after CancelUser = %+v, %v; want cancelled", got.st, got.err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := site.count(); n != hits {
		t.Errorf("%d requests after CancelUser returned", n-hits)
	}
	list, _, err := store.ListJobs(ctx, userID, spidergo.JobFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range list {
		if j.Status != spidergo.StatusCancelled {
			t.Errorf("job %s (%s) = %s, want cancelled", j.ID, j.Kind, j.Status)
		}
	}
}

// failingStore fails the writes a test names, to check that the service
// reports what it could not save instead of dropping the error.
type failingStore struct {
	spidergo.Store
	failStatus, failDelete bool
}

func (s failingStore) SetJobStatus(ctx context.Context, id, status, msg string, at time.Time) error {
	if s.failStatus && status != spidergo.StatusRunning {
		return errors.New("disk full")
	}
	return s.Store.SetJobStatus(ctx, id, status, msg, at)
}

func (s failingStore) DeleteJob(ctx context.Context, userID, id string) error {
	if s.failDelete {
		return errors.New("disk full")
	}
	return s.Store.DeleteJob(ctx, userID, id)
}

func TestJobsLogStoreFailures(t *testing.T) {
	site := newTestSite(t, map[string]string{"/": page("home")})
	tests := []struct {
		name    string
		store   failingStore
		kind    string
		url     string
		wantLog string
	}{
		{"scrape status", failingStore{failStatus: true}, spidergo.KindScrape, site.URL + "/", "job status not saved"},
		{"map status", failingStore{failStatus: true}, spidergo.KindMap, site.URL + "/", "job status not saved"},
		{"refused map not deleted", failingStore{failDelete: true}, spidergo.KindMap, "http://10.0.0.1/", "refused job not deleted"},
		{"refused scrape not deleted", failingStore{failDelete: true}, spidergo.KindScrape, "http://10.0.0.1/", "refused job not deleted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := storetest.SQLite(t)
			u := &spidergo.User{Email: "logs@example.com"}
			if err := store.CreateUser(context.Background(), u); err != nil {
				t.Fatal(err)
			}
			tt.store.Store = store
			var logs strings.Builder
			var mu sync.Mutex
			log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
				mu.Lock()
				defer mu.Unlock()
				return logs.Write(p)
			}), nil))
			jobs := NewJobs(JobsConfig{Store: tt.store, Engine: NewEngine(EngineConfig{Fetcher: newTestFetcher(t, site.Server)}), Log: log,
				Normalize: func(s string) (string, error) { n, _ := Normalize(s, false); return n, nil }})
			defer jobs.Close()
			jobs.Start(context.Background(), Actor{UserID: u.ID}, tt.kind, &api.Request{URL: tt.url})
			mu.Lock()
			defer mu.Unlock()
			if !strings.Contains(logs.String(), tt.wantLog) || !strings.Contains(logs.String(), "disk full") {
				t.Errorf("log = %q, want %q with the cause", logs.String(), tt.wantLog)
			}
		})
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestJobCapAcrossProcesses runs two job services over one database, as
// two server processes would: a user's cap of one running job holds across
// both, and a slot freed by one is taken by the other's waiting job.
func TestJobCapAcrossProcesses(t *testing.T) {
	site := newSlowSite(t)
	store := storetest.SQLite(t)
	ctx := context.Background()
	u := &spidergo.User{Email: "cap@example.com"}
	if err := store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	normalize := func(s string) (string, error) { n, _ := Normalize(s, false); return n, nil }
	var procs []*Jobs
	for i := range 2 {
		j := NewJobs(JobsConfig{Store: store, Engine: NewEngine(EngineConfig{Fetcher: newTestFetcher(t, site.Server)}), Normalize: normalize,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxPerUser: 1, Owner: fmt.Sprint("proc-", i), Poll: 20 * time.Millisecond})
		t.Cleanup(j.Close)
		procs = append(procs, j)
	}
	var ids []string
	for i, p := range procs {
		st, err := p.Start(ctx, Actor{UserID: u.ID}, spidergo.KindScrape, &api.Request{URL: site.URL + fmt.Sprintf("/slow/%d", i), Async: api.Ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, st.Envelope.CRID)
	}
	<-site.started
	statuses := func() []string {
		var out []string
		for _, id := range ids {
			j, err := store.JobByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, j.Status)
		}
		return out
	}
	time.Sleep(100 * time.Millisecond) // several polls of the waiting process
	if got := statuses(); !(got[0] == spidergo.StatusRunning && got[1] == spidergo.StatusQueued) {
		t.Fatalf("statuses = %v, want the first running and the second queued", got)
	}
	site.release <- struct{}{} // the first scrape ends, freeing the slot
	select {
	case <-site.started:
	case <-time.After(5 * time.Second):
		t.Fatalf("the second process never started its waiting job: %v", statuses())
	}
	site.release <- struct{}{}
	deadline := time.Now().Add(5 * time.Second)
	for got := statuses(); got[1] != spidergo.StatusCompleted; got = statuses() {
		if time.Now().After(deadline) {
			t.Fatalf("statuses = %v", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRunResumesAndStops: Run continues the jobs a previous process left
// queued, and returns once its context ends.
func TestRunResumesAndStops(t *testing.T) {
	site := newTestSite(t, map[string]string{"/": page("home")})
	jobs, store, userID := newTestJobs(t, site.Server)
	ctx := context.Background()
	j := &spidergo.Job{UserID: userID, Kind: spidergo.KindScrape, URL: site.URL + "/", Status: spidergo.StatusQueued, Async: true,
		Options: []byte(`{"url":"` + site.URL + `/"}`)}
	if err := store.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- jobs.Run(runCtx) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := store.JobByID(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == spidergo.StatusCompleted && got.TotalPages == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("resumed job = %+v", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	select {
	case err := <-ran:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

// TestCancelFromAnotherProcess: a job cancelled or deleted through one
// process stops running in the process that runs it.
func TestCancelFromAnotherProcess(t *testing.T) {
	tests := []struct {
		name string
		stop func(p *Jobs, userID, id string) error
	}{
		{"cancel", func(p *Jobs, userID, id string) error {
			_, err := p.Cancel(context.Background(), userID, id)
			return err
		}},
		{"delete", func(p *Jobs, userID, id string) error { return p.Delete(context.Background(), userID, id) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := newSlowSite(t)
			store := storetest.SQLite(t)
			ctx := context.Background()
			u := &spidergo.User{Email: "other@example.com"}
			if err := store.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			normalize := func(s string) (string, error) { n, _ := Normalize(s, false); return n, nil }
			var procs []*Jobs
			for i := range 2 {
				j := NewJobs(JobsConfig{Store: store, Engine: NewEngine(EngineConfig{Fetcher: newTestFetcher(t, site.Server)}), Normalize: normalize,
					Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxPerUser: 1, Owner: fmt.Sprint("proc-", i), Poll: 20 * time.Millisecond})
				t.Cleanup(j.Close)
				procs = append(procs, j)
			}
			st, err := procs[0].Start(ctx, Actor{UserID: u.ID}, spidergo.KindCrawl, &api.Request{URL: site.URL, Async: api.Ptr(true), Sitemap: "skip", MaxConcurrency: api.Ptr(1)})
			if err != nil {
				t.Fatal(err)
			}
			<-site.started
			if err := tt.stop(procs[1], u.ID, st.Envelope.CRID); err != nil {
				t.Fatal(err)
			}
			runner := procs[0].sched.(*Runner)
			deadline := time.Now().Add(5 * time.Second)
			for {
				runner.mu.Lock()
				n := len(runner.running)
				runner.mu.Unlock()
				if n == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the job still runs in the first process")
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
