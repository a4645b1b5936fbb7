package crawl

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/fetch"
)

// recordingFetcher serves a synthetic site from memory and records every
// request and the most fetches it saw in flight at once.
type recordingFetcher struct {
	mu       sync.Mutex
	reqs     []fetch.Request
	inflight int
	peak     int
}

func (f *recordingFetcher) Fetch(ctx context.Context, req fetch.Request) (*fetch.Response, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.inflight++
	f.peak = max(f.peak, f.inflight)
	f.mu.Unlock()
	time.Sleep(2 * time.Millisecond) // long enough for fetches to overlap
	f.mu.Lock()
	f.inflight--
	f.mu.Unlock()
	if strings.HasSuffix(req.URL, ".xml") {
		return nil, &fetch.Error{Kind: fetch.KindHTTP4xx}
	}
	var links []string
	for i := 0; i < 30; i++ {
		links = append(links, fmt.Sprintf("/p%d", i))
	}
	return &fetch.Response{URL: req.URL, FinalURL: req.URL, StatusCode: 200, ContentType: "text/html", Body: []byte(page("x", links...))}, nil
}

func TestOptionsReachTheFetcher(t *testing.T) {
	tests := []struct {
		name        string
		req         api.Request
		wantDelay   time.Duration
		wantTimeout time.Duration
		wantRobots  bool
		wantPeak    int
	}{
		{"defaults", api.Request{}, 0, 30 * time.Second, true, DefaultConcurrency},
		{"pacing", api.Request{DelayMS: 250, TimeoutMS: ptr(5000), MaxConcurrency: ptr(2), RespectRobots: new(bool)}, 250 * time.Millisecond, 5 * time.Second, false, 2},
		{"one at a time", api.Request{MaxConcurrency: ptr(1), Headers: map[string]string{"x-team": "growth"}}, 0, 30 * time.Second, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.URL = "https://example.com/"
			tt.req.Limit = ptr(25)
			o, err := Validate(&tt.req, spidergo.KindCrawl, false, func(s string) (string, error) { n, _ := Normalize(s, false); return n, nil })
			if err != nil {
				t.Fatal(err)
			}
			f := &recordingFetcher{}
			q := NewMemQueue()
			if err := NewEngine(EngineConfig{Fetcher: f}).Run(context.Background(), &Job{ID: "j", Options: o, Queue: q}); err != nil {
				t.Fatal(err)
			}
			if len(q.Pages) != 25 {
				t.Errorf("%d pages, want the limit 25", len(q.Pages))
			}
			if f.peak > tt.wantPeak {
				t.Errorf("%d fetches in flight at once, max_concurrency is %d", f.peak, tt.wantPeak)
			}
			for _, r := range f.reqs {
				if strings.HasSuffix(r.URL, ".xml") {
					continue
				}
				if r.Delay != tt.wantDelay || r.Timeout != tt.wantTimeout || r.RespectRobots != tt.wantRobots {
					t.Fatalf("request %+v: want delay %s timeout %s robots %v", r, tt.wantDelay, tt.wantTimeout, tt.wantRobots)
				}
				if tt.req.Headers != nil && r.Header.Get("X-Team") != "growth" {
					t.Fatalf("custom header not sent: %v", r.Header)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	normalize := func(s string) (string, error) {
		n, ok := Normalize(s, false)
		if !ok {
			return "", fmt.Errorf("bad URL")
		}
		return n, nil
	}
	long := strings.Repeat("a", MaxPatternLength+1)
	tests := []struct {
		name  string
		kind  string
		trial bool
		req   api.Request
		want  string // "" = valid
	}{
		{"minimal", spidergo.KindScrape, false, api.Request{URL: "https://a.example"}, ""},
		{"no url", spidergo.KindScrape, false, api.Request{}, `"url" is required`},
		{"urls on scrape", spidergo.KindScrape, false, api.Request{URL: "https://a", URLs: []string{"https://b"}}, "only for /v1/batch/scrape"},
		{"batch needs urls", spidergo.KindBatch, false, api.Request{}, `"urls" is required`},
		{"batch too big", spidergo.KindBatch, false, api.Request{URLs: make([]string, MaxBatchURLs+1)}, "the most is"},
		{"sync crawl cap", spidergo.KindCrawl, false, api.Request{URL: "https://a", Limit: ptr(101)}, `"async": true`},
		{"async crawl cap", spidergo.KindCrawl, false, api.Request{URL: "https://a", Limit: ptr(10001), Async: ptr(true)}, "at most 10000"},
		{"trial cap", spidergo.KindCrawl, true, api.Request{URL: "https://a", Limit: ptr(6)}, "at most 5"},
		{"negative limit", spidergo.KindCrawl, false, api.Request{URL: "https://a", Limit: ptr(-1)}, "at least 1"},
		{"deep", spidergo.KindCrawl, false, api.Request{URL: "https://a", MaxDepth: ptr(51)}, "max_depth"},
		{"bad regexp", spidergo.KindCrawl, false, api.Request{URL: "https://a", IncludePaths: []string{"("}}, "not a valid regular expression"},
		{"long regexp", spidergo.KindCrawl, false, api.Request{URL: "https://a", ExcludePaths: []string{long}}, "longer than"},
		{"too many regexps", spidergo.KindCrawl, false, api.Request{URL: "https://a", IncludePaths: make([]string, MaxPathPatterns+1)}, "at most 50"},
		{"sitemap", spidergo.KindCrawl, false, api.Request{URL: "https://a", Sitemap: "maybe"}, `"sitemap"`},
		{"concurrency", spidergo.KindCrawl, false, api.Request{URL: "https://a", MaxConcurrency: ptr(99)}, "max_concurrency"},
		{"delay", spidergo.KindCrawl, false, api.Request{URL: "https://a", DelayMS: -1}, "delay_ms"},
		{"timeout", spidergo.KindCrawl, false, api.Request{URL: "https://a", TimeoutMS: ptr(10)}, "timeout_ms"},
		{"max age", spidergo.KindScrape, false, api.Request{URL: "https://a", MaxAgeMS: -5}, "max_age_ms"},
		{"format", spidergo.KindScrape, false, api.Request{URL: "https://a", Formats: []string{"markdown", "pdf"}}, `"pdf"`},
		{"render", spidergo.KindScrape, false, api.Request{URL: "https://a", Render: "gpu"}, `"render"`},
		{"header value", spidergo.KindScrape, false, api.Request{URL: "https://a", Headers: map[string]string{"X": "a\r\nb"}}, "line break"},
		{"hop by hop", spidergo.KindScrape, false, api.Request{URL: "https://a", Headers: map[string]string{"connection": "close"}}, "may not be set"},
		{"trial webhook", spidergo.KindCrawl, true, api.Request{URL: "https://a", Webhook: &api.Webhook{URL: "https://h"}}, "cannot use webhooks"},
		{"webhook event", spidergo.KindCrawl, false, api.Request{URL: "https://a", Webhook: &api.Webhook{URL: "https://h", Events: []string{"x"}}}, "Unknown webhook event"},
		{"webhook signature header", spidergo.KindCrawl, false, api.Request{URL: "https://a", Webhook: &api.Webhook{URL: "https://h", Headers: map[string]string{"X-SpiderGo-Signature": "x"}}}, "may not be set"},
		{"bad url", spidergo.KindScrape, false, api.Request{URL: "ftp://a"}, "bad URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Validate(&tt.req, tt.kind, tt.trial, normalize)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
