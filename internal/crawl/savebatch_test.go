package crawl

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
)

// batchQueue is a MemQueue that stores pages in batches and records them;
// fail makes every batch write fail.
type batchQueue struct {
	*MemQueue
	mu      sync.Mutex
	batches [][]string
	fail    error
}

func (q *batchQueue) SaveBatch(ctx context.Context, pages []*spidergo.Page) error {
	if q.fail != nil {
		return q.fail
	}
	var urls []string
	for _, p := range pages {
		urls = append(urls, p.URL)
		q.MemQueue.Save(ctx, p)
	}
	q.mu.Lock()
	q.batches = append(q.batches, urls)
	q.mu.Unlock()
	return nil
}

func (q *batchQueue) Save(ctx context.Context, p *spidergo.Page) error {
	if q.fail != nil {
		return q.fail
	}
	return q.SaveBatch(ctx, []*spidergo.Page{p})
}

// TestSaveBatches crawls through a queue that stores batches: every page is
// stored once, in crawl order, and reported to OnPage in that order; a
// failing write stops the crawl with its error.
func TestSaveBatches(t *testing.T) {
	pages := map[string]string{"/robots.txt": "", "/sitemap.xml": ""}
	var links []string
	for i := range 40 {
		links = append(links, fmt.Sprintf("/p%d", i))
		pages[fmt.Sprintf("/p%d", i)] = page(fmt.Sprintf("p%d", i))
	}
	pages["/"] = page("home", links...)
	for _, tt := range []struct {
		name string
		fail error
	}{{"stored", nil}, {"write fails", errors.New("disk full")}} {
		t.Run(tt.name, func(t *testing.T) {
			site := newTestSite(t, pages)
			req := api.Request{URL: site.URL + "/", Limit: ptr(100), MaxConcurrency: ptr(8)}
			o, err := Validate(&req, spidergo.KindCrawl, false, func(s string) (string, error) {
				n, _ := Normalize(s, false)
				return n, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			q := &batchQueue{MemQueue: NewMemQueue(), fail: tt.fail}
			var mu sync.Mutex
			var reported []string
			e := NewEngine(EngineConfig{Fetcher: newTestFetcher(t, site.Server)})
			err = e.Run(context.Background(), &Job{ID: "j", Options: o, Queue: q, OnPage: func(p *spidergo.Page) {
				mu.Lock()
				reported = append(reported, p.URL)
				mu.Unlock()
			}})
			if tt.fail != nil {
				if !errors.Is(err, tt.fail) || len(reported) != 0 {
					t.Fatalf("run = %v with %d pages reported; want the write's error and none", err, len(reported))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var stored []string
			for _, b := range q.batches {
				if len(b) == 0 || len(b) > maxSaveBatch {
					t.Errorf("a batch of %d pages", len(b))
				}
				stored = append(stored, b...)
			}
			if len(stored) != 41 || fmt.Sprint(stored) != fmt.Sprint(reported) {
				t.Fatalf("stored %d pages %v, reported %v; want 41, the same, in order", len(stored), stored, reported)
			}
			seen := map[string]bool{}
			for i, u := range stored {
				if seen[u] {
					t.Errorf("%s stored twice", u)
				}
				seen[u] = true
				if i == 0 && u != site.URL+"/" {
					t.Errorf("first page stored %s, want the seed", u)
				}
			}
		})
	}
}

// flushQueue blocks its first write until released and records whether
// each write's context was still live.
type flushQueue struct {
	batchQueue
	once     sync.Once
	started  chan struct{}
	release  chan struct{}
	ctxErrs  []error
	errsLock sync.Mutex
}

func (q *flushQueue) SaveBatch(ctx context.Context, pages []*spidergo.Page) error {
	q.once.Do(func() {
		close(q.started)
		<-q.release
	})
	q.errsLock.Lock()
	q.ctxErrs = append(q.ctxErrs, ctx.Err())
	q.errsLock.Unlock()
	return q.batchQueue.SaveBatch(ctx, pages)
}

func (q *flushQueue) Save(ctx context.Context, p *spidergo.Page) error {
	return q.SaveBatch(ctx, []*spidergo.Page{p})
}

// TestSaveFlushesOnCancel: pages handed to the saver before a run is
// cancelled are still written, with a live context, and reported.
func TestSaveFlushesOnCancel(t *testing.T) {
	pages := map[string]string{"/robots.txt": "", "/sitemap.xml": ""}
	var links []string
	for i := range 20 {
		links = append(links, fmt.Sprintf("/p%d", i))
		pages[fmt.Sprintf("/p%d", i)] = page(fmt.Sprintf("p%d", i))
	}
	pages["/"] = page("home", links...)
	site := newTestSite(t, pages)
	req := api.Request{URL: site.URL + "/", Limit: ptr(100), MaxConcurrency: ptr(4)}
	o, err := Validate(&req, spidergo.KindCrawl, false, func(s string) (string, error) {
		n, _ := Normalize(s, false)
		return n, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	q := &flushQueue{batchQueue: batchQueue{MemQueue: NewMemQueue()}, started: make(chan struct{}), release: make(chan struct{})}
	var mu sync.Mutex
	reported := 0
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	e := NewEngine(EngineConfig{Fetcher: newTestFetcher(t, site.Server)})
	go func() {
		done <- e.Run(ctx, &Job{ID: "j", Options: o, Queue: q, OnPage: func(*spidergo.Page) {
			mu.Lock()
			reported++
			mu.Unlock()
		}})
	}()
	<-q.started
	cancel()
	close(q.release)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("run = %v, want context.Canceled", err)
	}
	for i, err := range q.ctxErrs {
		if err != nil {
			t.Errorf("write %d ran with an ended context: %v", i, err)
		}
	}
	if len(q.Pages) == 0 || len(q.Pages) != reported {
		t.Errorf("%d pages stored, %d reported; want the same, at least the seed", len(q.Pages), reported)
	}
}
