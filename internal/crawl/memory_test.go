package crawl

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/storetest"
)

// wideSite serves pages /p/<i>/<padding> for i in [0, n): each links to
// its fanout children, to its parent (a repeat) and to a second spelling
// of its first child (with a query the crawl ignores: another repeat).
// Paths are long on purpose, so that anything kept per URL shows.
type wideSite struct {
	n, fanout int
}

var widePad = strings.Repeat("abcdefghij", 12)

func (s wideSite) path(i int) string { return "/p/" + strconv.Itoa(i) + "/" + widePad }

func (s wideSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/p/")
	num, pad, _ := strings.Cut(rest, "/")
	i, err := strconv.Atoi(num)
	if !ok || err != nil || pad != widePad || i < 0 || i >= s.n {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	b.WriteString("<html><body>")
	if i > 0 {
		fmt.Fprintf(&b, `<a href="%s">up</a>`, s.path((i-1)/s.fanout))
	}
	for c := s.fanout*i + 1; c <= s.fanout*i+s.fanout && c < s.n; c++ {
		fmt.Fprintf(&b, `<a href="%s">%d</a>`, s.path(c), c)
		if c == s.fanout*i+1 {
			fmt.Fprintf(&b, `<a href="%s?from=%d">again</a>`, s.path(c), i)
		}
	}
	b.WriteString("</body></html>")
	io.WriteString(w, b.String())
}

// heapSampler records the heap in use after a collection, with how many
// pages the job had stored then.
type heapSampler struct {
	mu      sync.Mutex
	samples []heapSample
}

type heapSample struct {
	pages int
	heap  uint64
}

func (h *heapSampler) sample(pages int) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	h.mu.Lock()
	h.samples = append(h.samples, heapSample{pages: pages, heap: m.HeapInuse})
	h.mu.Unlock()
}

// TestCrawlMemoryFlat crawls a large local site (50 000 pages) from the
// store-backed frontier on SQLite and checks, from the store's counters,
// that every page is stored exactly once, and that the heap in use does not
// grow with the crawl: between the stretch from a tenth to a fifth of the
// site and its last fifth, the heap in use (median of samples taken after a
// collection) may grow by less than a structure holding even 96 bytes per
// URL crawled in between would take. SPIDERGO_TEST_MEMORY_PAGES changes
// the size.
func TestCrawlMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped: the 50 000-page crawl is not run in -short")
	}
	if raceEnabled {
		// Several minutes under the race detector: make test runs it in a
		// second pass without it.
		t.Skip("skipped: the 50 000-page crawl is too slow under the race detector; run it without -race (make test does)")
	}
	n := 50000
	if v := os.Getenv("SPIDERGO_TEST_MEMORY_PAGES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			t.Fatalf("SPIDERGO_TEST_MEMORY_PAGES=%q: want a number of 1000 or more", v)
		}
	}
	site := wideSite{n: n, fanout: 2}
	srv := httptest.NewServer(site)
	defer srv.Close()

	store := storetest.SQLite(t)
	ctx := context.Background()
	u := &spidergo.User{Email: "memory@example.com"}
	if err := store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	normalize := func(s string) (string, error) {
		n, ok := Normalize(s, false)
		if !ok {
			return "", fmt.Errorf("bad url %q", s)
		}
		return n, nil
	}
	jobs := NewJobs(JobsConfig{Store: store, Engine: NewEngine(EngineConfig{Fetcher: newTestFetcher(t, srv)}), Normalize: normalize,
		Log: slog.New(slog.DiscardHandler), Owner: "test", MaxCrawlPages: n})
	defer jobs.Close()

	limit, depth, conc, async := n, 50, 16, true
	started, err := jobs.Start(ctx, Actor{UserID: u.ID}, spidergo.KindCrawl, &api.Request{URL: srv.URL + site.path(0), Formats: []string{"links"},
		Limit: &limit, MaxDepth: &depth, Sitemap: "skip", IgnoreQueryParameters: true, CrawlEntireSite: true, MaxConcurrency: &conc, Async: &async})
	if err != nil {
		t.Fatal(err)
	}
	crid := started.Envelope.CRID

	var heap heapSampler
	var job *spidergo.Job
	for {
		if job, err = store.JobByID(ctx, crid); err != nil {
			t.Fatal(err)
		}
		heap.sample(job.TotalPages)
		if job.Finished() {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}

	// Counters: every page of the site stored once, none missing.
	if job.Status != spidergo.StatusCompleted || job.TotalPages != n || job.Discovered != n || job.Failed != 0 || job.Queued != 0 || job.InFlight != 0 {
		t.Fatalf("job = %s, %d pages (%d failed), %d discovered, %d queued, %d in flight; want completed with %d pages",
			job.Status, job.TotalPages, job.Failed, job.Discovered, job.Queued, job.InFlight, n)
	}
	// Repeats: every page but the seed links to its parent, and every
	// parent to a second spelling of its first child.
	parents := (n-2)/site.fanout + 1
	if got, want := job.Skipped["duplicate"], (n-1)+parents; got != want {
		t.Errorf("skipped as duplicate = %d, want %d", got, want)
	}
	seen := make([]bool, n)
	stored := 0
	for cursor := ""; ; {
		pages, next, err := store.Pages(ctx, crid, cursor, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pages {
			rest, _ := strings.CutPrefix(p.URL, srv.URL+"/p/")
			num, _, _ := strings.Cut(rest, "/")
			i, err := strconv.Atoi(num)
			if err != nil || i < 0 || i >= n || seen[i] {
				t.Fatalf("page %q is not a page of the site, or stored twice", p.URL)
			}
			seen[i] = true
			stored++
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if stored != n {
		t.Errorf("read back %d pages, want %d", stored, n)
	}

	// Memory: a per-URL structure grows steadily with the pages stored;
	// medians of two stretches of samples keep a passing spike out.
	early, _, earlyLast := medianHeap(heap.samples, n/10, n/5)
	late, lateFirst, _ := medianHeap(heap.samples, 4*n/5, n)
	var peak heapSample
	for _, s := range heap.samples {
		if s.heap > peak.heap {
			peak = s
		}
	}
	if early == 0 || late == 0 {
		t.Fatalf("too few heap samples during the crawl: %+v", heap.samples)
	}
	bound := int64(96 * (lateFirst - earlyLast))
	growth := int64(late) - int64(early)
	t.Logf("%d pages; heap in use %d KiB around %d–%d pages, %d KiB in the last fifth, peak %d KiB at %d pages (%d samples); bound on growth %d KiB",
		n, early>>10, n/10, n/5, late>>10, peak.heap>>10, peak.pages, len(heap.samples), bound>>10)
	if growth > bound {
		t.Errorf("heap in use grew by %d KiB between %d and %d pages, more than %d KiB (96 bytes for each URL in between): something keeps state per URL",
			growth>>10, earlyLast, lateFirst, bound>>10)
	}
}

// medianHeap is the median heap in use of the samples taken with from to
// to pages stored, and the page counts of the first and last of them; 0
// when there is none.
func medianHeap(samples []heapSample, from, to int) (heap uint64, first, last int) {
	var in []heapSample
	for _, s := range samples {
		if s.pages >= from && s.pages <= to {
			in = append(in, s)
		}
	}
	if len(in) == 0 {
		return 0, 0, 0
	}
	first, last = in[0].pages, in[len(in)-1].pages
	slices.SortFunc(in, func(a, b heapSample) int { return cmp.Compare(a.heap, b.heap) })
	return in[len(in)/2].heap, first, last
}
