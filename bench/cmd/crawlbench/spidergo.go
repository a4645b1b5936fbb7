package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/crawl"
	"github.com/spidergo/spidergo/internal/fetch"
	"github.com/spidergo/spidergo/internal/sqlstore"
)

// runSpiderGo crawls siteURL as an asynchronous API crawl would: a job row
// of a user, its frontier and pages in SQLite.
// diagnosis holds the switches that take SpiderGo away from its production
// setup to find where time goes. All off is the production setup.
type diagnosis struct {
	memQueue   bool // crawl.MemQueue instead of the SQLite store
	claimAhead int  // claim this many frontier entries per store call
}

func runSpiderGo(ctx context.Context, siteURL string, wl workload, conc, limit int, diag diagnosis) (result, error) {
	var r result
	u, err := url.Parse(siteURL)
	if err != nil {
		return r, err
	}
	f, err := fetch.New(fetch.Config{
		UserAgent:          "SpiderGo/bench",
		Allow:              []string{u.Host},
		PerHostConcurrency: conc,
	})
	if err != nil {
		return r, err
	}
	defer f.CloseIdleConnections()

	dir, err := os.MkdirTemp("", "crawlbench-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	db, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(dir, "spidergo.db"))
	if err != nil {
		return r, err
	}
	defer db.Close()

	depth, async := crawl.MaxDepthCap, true
	req := api.Request{URL: siteURL + "/", Formats: wl.formats, Limit: &limit, MaxDepth: &depth, MaxConcurrency: &conc, Async: &async}
	if wl.fullPage {
		mainOnly := false
		req.OnlyMainContent = &mainOnly
	}
	opts, err := crawl.Validate(&req, spidergo.KindCrawl, false, func(s string) (string, error) {
		u, err := f.Check(s)
		if err != nil {
			return "", err
		}
		return u.String(), nil
	})
	if err != nil {
		return r, err
	}
	user := &spidergo.User{Email: "bench@spidergo.invalid", FirstName: "Bench", IsVerified: true}
	if err := db.CreateUser(ctx, user); err != nil {
		return r, err
	}
	raw, err := json.Marshal(req)
	if err != nil {
		return r, err
	}
	job := &spidergo.Job{UserID: user.ID, Kind: spidergo.KindCrawl, URL: opts.Seeds[0], Status: spidergo.StatusRunning, Options: raw}
	if err := db.CreateJob(ctx, job); err != nil {
		return r, err
	}

	resetCounters()
	var kindsMu sync.Mutex
	kinds := map[string]int{}
	var q crawl.Queue = crawl.StoreQueue{Store: db, JobID: job.ID, Owner: "crawlbench", TTL: time.Minute, Now: time.Now}
	if diag.memQueue {
		q = &countingMemQueue{MemQueue: crawl.NewMemQueue()}
	}
	if diag.claimAhead > 0 {
		q = &claimAheadQueue{Queue: q, n: diag.claimAhead}
	}
	queue := newTimedQueue(q)
	engine := crawl.NewEngine(crawl.EngineConfig{Fetcher: f, Cache: db})
	start := time.Now()
	err = engine.Run(ctx, &crawl.Job{
		ID: job.ID, UserID: user.ID, Options: opts,
		Queue: queue,
		OnPage: func(p *spidergo.Page) {
			// OnPage runs in the page's worker goroutine.
			if p.Error == "" && p.StatusCode == 200 {
				pagesDone.Add(1)
			} else {
				pagesFailed.Add(1)
				kindsMu.Lock()
				kinds[cmp.Or(p.Error, strconv.Itoa(p.StatusCode))]++
				kindsMu.Unlock()
			}
			if p.Links != nil {
				linksFound.Add(int64(len(p.Links.Internal) + len(p.Links.External)))
			}
		},
	})
	r.Seconds = time.Since(start).Seconds()
	if err != nil {
		return r, err
	}
	r.Pages, r.Errors, r.Links = int(pagesDone.Load()), int(pagesFailed.Load()), int(linksFound.Load())
	r.Note = queue.summary()
	if len(kinds) > 0 {
		r.Note += fmt.Sprintf("; failed %v", kinds)
	}
	if diag.memQueue {
		r.Note = "in-memory queue; " + r.Note
		return r, nil
	}
	if err := db.SetJobStatus(ctx, job.ID, spidergo.StatusCompleted, "", time.Now()); err != nil {
		return r, err
	}
	stored, err := db.JobByID(ctx, job.ID)
	if err != nil {
		return r, err
	}
	if stored.TotalPages != r.Pages+r.Errors {
		return r, fmt.Errorf("the store holds %d pages, the engine reported %d", stored.TotalPages, r.Pages+r.Errors)
	}
	r.Note += fmt.Sprintf("; skipped %v", stored.Skipped)
	return r, nil
}

// countingMemQueue is a MemQueue that drops pages once counted, as the
// store would have taken them away: a diagnosis run holds no more than a
// real one.
type countingMemQueue struct{ *crawl.MemQueue }

func (q *countingMemQueue) Save(context.Context, *spidergo.Page) error { return nil }
