package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/app"
	"github.com/spidergo/spidergo/internal/config"
	"github.com/spidergo/spidergo/internal/crawl"
)

// runServer crawls siteURL through the real server: the whole application
// (app.New, as `spidergo serve` builds it) on a loopback listener with a
// fresh SQLite file, a user and an API key, and an async POST /v1/crawl
// polled until the job ends. Every page is stored, as for any async crawl.
func runServer(ctx context.Context, siteURL string, wl workload, conc, limit int) (result, error) {
	var r result
	site, err := url.Parse(siteURL)
	if err != nil {
		return r, err
	}
	dir, err := os.MkdirTemp("", "crawlbench-server-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	env := map[string]string{
		"SPIDERGO_DATABASE_URL":               "sqlite:" + filepath.Join(dir, "spidergo.db"),
		"SPIDERGO_FETCH_ALLOW":                site.Host,
		"SPIDERGO_FETCH_PER_HOST_CONCURRENCY": strconv.Itoa(conc),
		"SPIDERGO_MAX_CRAWL_PAGES":            strconv.Itoa(max(limit, 1)),
		"SPIDERGO_USER_AGENT":                 "SpiderGo/bench",
		"SPIDERGO_CHROMIUM_PATH":              filepath.Join(dir, "no-browser"),
		"SPIDERGO_LOG_LEVEL":                  "error",
	}
	cfg, err := config.Load(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		return r, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := app.New(ctx, cfg, log, app.Options{})
	if err != nil {
		return r, err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return r, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ln) }()
	defer func() { cancel(); <-done }()
	base := "http://" + ln.Addr().String()

	user := &spidergo.User{Email: "bench@spidergo.invalid", FirstName: "Bench", IsVerified: true}
	if err := a.Store.CreateUser(ctx, user); err != nil {
		return r, err
	}
	_, secret, err := a.Keys.Create(ctx, user.ID, "crawlbench")
	if err != nil {
		return r, err
	}

	depth, async := crawl.MaxDepthCap, true
	req := api.Request{URL: siteURL + "/", Formats: wl.formats, Limit: &limit, MaxDepth: &depth, MaxConcurrency: &conc, Async: &async}
	if wl.fullPage {
		mainOnly := false
		req.OnlyMainContent = &mainOnly
	}
	body, err := json.Marshal(req)
	if err != nil {
		return r, err
	}
	client := &http.Client{Timeout: 30 * time.Second}
	call := func(method, path string, body []byte) (*api.Envelope, error) {
		hr, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		hr.Header.Set("Authorization", "Bearer "+secret)
		hr.Header.Set("Content-Type", "application/json")
		res, err := client.Do(hr)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
		if err != nil {
			return nil, err
		}
		if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusAccepted {
			return nil, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
		}
		var env struct {
			Message api.Envelope `json:"message"`
		}
		if err := json.Unmarshal(raw, &env); err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		return &env.Message, nil
	}

	start := time.Now()
	job, err := call("POST", "/v1/crawl", body)
	if err != nil {
		return r, err
	}
	for job.Status == spidergo.StatusQueued || job.Status == spidergo.StatusRunning {
		time.Sleep(50 * time.Millisecond)
		if job, err = call("GET", "/v1/crawl/"+job.CRID+"?limit=1", nil); err != nil {
			return r, err
		}
	}
	r.Seconds = time.Since(start).Seconds()
	if job.Status != spidergo.StatusCompleted {
		return r, fmt.Errorf("the crawl ended %s: %s", job.Status, job.Error)
	}
	r.Pages, r.Errors = job.TotalPages-job.Failed, job.Failed
	r.Note = fmt.Sprintf("through the server: %d pages stored, %d failed; skipped %v", job.TotalPages, job.Failed, job.Skipped)
	return r, nil
}
