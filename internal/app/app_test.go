package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/config"
	"github.com/spidergo/spidergo/internal/render"
	"github.com/spidergo/spidergo/internal/storetest"
)

func testConfig(t testing.TB, role string) *config.Config {
	t.Helper()
	cfg, err := config.Load(nil, func(k string) string {
		if k == "SPIDERGO_ROLE" {
			return role
		}
		return ""
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestRoles runs each role on a loopback listener and checks which routes
// it answers, and that cancelling its context stops it.
func TestRoles(t *testing.T) {
	for _, tt := range []struct {
		role string
		// wantAPI is whether the API routes are served.
		wantAPI bool
	}{
		{RoleAll, true},
		{RoleAPI, true},
		{RoleWorker, false},
	} {
		t.Run(tt.role, func(t *testing.T) {
			cfg := testConfig(t, tt.role)
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			a, err := New(context.Background(), cfg, log, Options{Store: storetest.SQLite(t), PasswordParams: auth.TestParams})
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
			base := "http://" + ln.Addr().String()

			for path, want := range map[string]int{
				"/healthz":       200,
				"/readyz":        200,
				"/auth/me":       map[bool]int{true: 401, false: 404}[tt.wantAPI],
				"/v1/usage":      map[bool]int{true: 401, false: 404}[tt.wantAPI],
				"/no/such/route": 404,
			} {
				res, err := http.Get(base + path)
				if err != nil {
					t.Fatal(err)
				}
				var body map[string]any
				json.NewDecoder(res.Body).Decode(&body)
				res.Body.Close()
				if res.StatusCode != want {
					t.Errorf("GET %s = %d %v, want %d", path, res.StatusCode, body, want)
				}
				if body["request_id"] == nil && res.StatusCode >= 400 {
					t.Errorf("GET %s: error body without the API's conventions: %v", path, body)
				}
			}

			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run = %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not stop after its context ended")
			}
		})
	}
}

// TestRolesResumeJobs checks which roles pick up a job a previous process
// left queued: the worker and all roles run it (here it fails at once, for
// its options name no URL), the api role leaves it for a worker.
func TestRolesResumeJobs(t *testing.T) {
	for _, tt := range []struct {
		role        string
		wantResumed bool
	}{
		{RoleAll, true},
		{RoleWorker, true},
		{RoleAPI, false},
	} {
		t.Run(tt.role, func(t *testing.T) {
			store := storetest.SQLite(t)
			ctx := context.Background()
			u := storetest.NewUser(t, store)
			j := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindCrawl, URL: "https://example.com/", Options: []byte(`{"url":""}`)}
			if err := store.CreateJob(ctx, j); err != nil {
				t.Fatal(err)
			}
			a, err := New(ctx, testConfig(t, tt.role), slog.New(slog.NewTextHandler(io.Discard, nil)), Options{Store: store})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			runCtx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- a.Run(runCtx, ln) }()
			// Jobs are resumed before the listener answers.
			if res, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err != nil {
				t.Fatal(err)
			} else {
				res.Body.Close()
			}
			status := ""
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				got, err := store.JobByID(ctx, j.ID)
				if err != nil {
					t.Fatal(err)
				}
				if status = got.Status; status != spidergo.StatusQueued || !tt.wantResumed {
					break
				}
			}
			if resumed := status != spidergo.StatusQueued; resumed != tt.wantResumed {
				t.Errorf("job status %q: resumed = %v, want %v", status, resumed, tt.wantResumed)
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v", err)
			}
		})
	}
}

func TestUnknownRole(t *testing.T) {
	cfg := testConfig(t, RoleAll)
	cfg.Role = "scheduler"
	if _, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{Store: storetest.SQLite(t)}); err == nil {
		t.Error("New accepted an unknown role")
	}
}

// TestRenderer checks that the app builds the renderer from the settings:
// none when Chromium is missing (the server runs, /readyz says so, and
// the worker's probes too), one when it is installed.
func TestRenderer(t *testing.T) {
	readyz := func(t *testing.T, h http.Handler) map[string]any {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: h}
		go srv.Serve(ln)
		defer srv.Close()
		res, err := http.Get("http://" + ln.Addr().String() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		json.NewDecoder(res.Body).Decode(&body)
		if res.StatusCode != 200 {
			t.Fatalf("readyz = %d %v", res.StatusCode, body)
		}
		return body
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, role := range []string{RoleAll, RoleWorker} {
		cfg := testConfig(t, role)
		cfg.ChromiumPath = filepath.Join(t.TempDir(), "no-chromium")
		a, err := New(context.Background(), cfg, log, Options{Store: storetest.SQLite(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		if a.Renderer != nil || a.Engine.CanRender() {
			t.Errorf("%s: renderer built without Chromium", role)
		}
		if body := readyz(t, a.Handler()); body["renderer"] != "not installed" {
			t.Errorf("%s: readyz = %v", role, body)
		}
	}

	cfg := testConfig(t, RoleAll)
	cfg.RenderConcurrency = 3
	if err := render.Available(render.Config{ChromiumPath: cfg.ChromiumPath}); err != nil {
		t.Skipf("SKIPPED the installed case: Chromium is not installed (%v)", err)
	}
	a, err := New(context.Background(), cfg, log, Options{Store: storetest.SQLite(t)})
	if err != nil {
		t.Fatal(err)
	}
	if a.Renderer == nil || !a.Engine.CanRender() || a.Renderer.Status().Concurrency != 3 {
		t.Fatalf("renderer = %v", a.Renderer)
	}
	if body := readyz(t, a.Handler()); body["renderer"] != "ready" {
		t.Errorf("readyz = %v", body)
	}
	if err := a.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
}

// TestRolesSweepExpiredJobs checks that the worker and all roles delete
// finished jobs older than SPIDERGO_RETENTION, and the api role does not.
func TestRolesSweepExpiredJobs(t *testing.T) {
	for _, tt := range []struct {
		role        string
		wantDeleted bool
	}{
		{RoleAll, true},
		{RoleWorker, true},
		{RoleAPI, false},
	} {
		t.Run(tt.role, func(t *testing.T) {
			store := storetest.SQLite(t)
			ctx := context.Background()
			u := storetest.NewUser(t, store)
			old := time.Now().Add(-31 * 24 * time.Hour)
			expired := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindScrape, URL: "https://example.com/", CreatedAt: old}
			fresh := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindScrape, URL: "https://example.com/"}
			for _, j := range []*spidergo.Job{expired, fresh} {
				if err := store.CreateJob(ctx, j); err != nil {
					t.Fatal(err)
				}
				if err := store.SetJobStatus(ctx, j.ID, spidergo.StatusCompleted, "", j.CreatedAt); err != nil {
					t.Fatal(err)
				}
			}
			cfg := testConfig(t, tt.role)
			if cfg.Retention != 30*24*time.Hour {
				t.Fatalf("default retention = %v, want 30 days", cfg.Retention)
			}
			a, err := New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{Store: store})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			runCtx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- a.Run(runCtx, ln) }()
			if tt.wantDeleted {
				for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
					if _, err := store.JobByID(ctx, expired.ID); spidergo.ErrorCode(err) == spidergo.ENOTFOUND {
						break
					}
				}
			} else if res, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
				res.Body.Close()
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v", err)
			}
			_, err = store.JobByID(ctx, expired.ID)
			if deleted := spidergo.ErrorCode(err) == spidergo.ENOTFOUND; deleted != tt.wantDeleted {
				t.Errorf("expired job deleted = %v (err %v), want %v", deleted, err, tt.wantDeleted)
			}
			if _, err := store.JobByID(ctx, fresh.ID); err != nil {
				t.Errorf("a job within retention was deleted: %v", err)
			}
		})
	}
}

// TestRiverRoles runs the roles on PostgreSQL, where River owns jobs: an
// api process never runs a job, not even one left without its River job;
// a worker queues such a job on River at start and runs it.
func TestRiverRoles(t *testing.T) {
	url := storetest.PostgresDatabase(t)
	ctx := context.Background()
	cfgFor := func(role string) *config.Config {
		cfg, err := config.Load(nil, func(k string) string {
			return map[string]string{"SPIDERGO_ROLE": role, "SPIDERGO_DATABASE_URL": url, "SPIDERGO_JOB_LEASE": "1s"}[k]
		}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	start := func(role string) (*App, func()) {
		a, err := New(ctx, cfgFor(role), log, Options{PasswordParams: auth.TestParams})
		if err != nil {
			t.Fatal(err)
		}
		if a.River == nil {
			t.Fatal("no River scheduler on PostgreSQL")
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- a.Run(runCtx, ln) }()
		return a, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("%s: Run = %v", role, err)
			}
			a.Close()
		}
	}

	api, stopAPI := start(RoleAPI)
	defer stopAPI()
	u := storetest.NewUser(t, api.Store)
	// Options without a URL: the run fails at once, which is enough to
	// see who runs it.
	j := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindCrawl, URL: "https://example.com/", Options: []byte(`{"url":""}`), Async: true}
	if err := api.Store.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if got, _ := api.Store.JobByID(ctx, j.ID); got.Status != spidergo.StatusQueued {
		t.Fatalf("an api process ran a job: status %q", got.Status)
	}

	_, stopWorker := start(RoleWorker)
	defer stopWorker()
	status := ""
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		got, err := api.Store.JobByID(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if status = got.Status; status == spidergo.StatusFailed {
			break
		}
	}
	if status != spidergo.StatusFailed {
		t.Errorf("job status %q after a worker started, want failed (run)", status)
	}
}
