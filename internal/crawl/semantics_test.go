package crawl

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/fetch"
)

func testNormalize(s string) (string, error) {
	n, ok := Normalize(s, false)
	if !ok {
		return "", spidergo.Errorf(spidergo.EINVALID, "URL %q is not a valid URL.", s)
	}
	return n, nil
}

// pathsOf lists the pages' request URIs in the order they were stored.
func pathsOf(pages []*spidergo.Page) []string {
	var out []string
	for _, p := range pages {
		u, _ := url.Parse(p.URL)
		out = append(out, u.RequestURI())
	}
	return out
}

func crawlSite(t *testing.T, site *testSite, seedPath string, req api.Request) *MemQueue {
	t.Helper()
	req.URL = site.URL + seedPath
	o, err := Validate(&req, spidergo.KindCrawl, false, testNormalize)
	if err != nil {
		t.Fatal(err)
	}
	q := NewMemQueue()
	if err := NewEngine(EngineConfig{Fetcher: newTestFetcher(t, site.Server)}).Run(context.Background(), &Job{ID: "j", Options: o, Queue: q}); err != nil {
		t.Fatal(err)
	}
	return q
}

// TestScopeBySeedDirectory keeps a crawl seeded in a section inside that
// section, sitemap URLs included, unless crawl_entire_site widens it.
func TestScopeBySeedDirectory(t *testing.T) {
	pages := map[string]string{
		"/":           page("home", "/a.html", "/docs/"),
		"/a.html":     page("a"),
		"/docs/":      page("docs", "/docs/a", "/docs/b", "/", "/a.html", "/blog/x"),
		"/docs/intro": page("intro", "/docs/a", "/blog/x"),
		"/docs/a":     page("docs a"),
		"/docs/b":     page("docs b", "/docs/sub/c"),
		"/docs/sub/c": page("docs c"),
		"/blog/x":     page("blog x"),
		"/sitemap.xml": `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
			<url><loc>BASE/docs/from-sitemap</loc></url><url><loc>BASE/blog/from-sitemap</loc></url></urlset>`,
		"/docs/from-sitemap": page("docs sitemap"),
		"/blog/from-sitemap": page("blog sitemap"),
	}
	tests := []struct {
		name, seed string
		req        api.Request
		want       []string
	}{
		{"directory seed", "/docs/", api.Request{}, []string{"/docs/", "/docs/a", "/docs/b", "/docs/from-sitemap", "/docs/sub/c"}},
		{"page seed keeps its directory", "/docs/intro", api.Request{Sitemap: "skip"}, []string{"/docs/a", "/docs/intro"}},
		{"crawl_entire_site", "/docs/", api.Request{CrawlEntireSite: true, Limit: ptr(20)}, []string{"/", "/a.html", "/blog/from-sitemap", "/blog/x", "/docs/", "/docs/a", "/docs/b", "/docs/from-sitemap", "/docs/sub/c"}},
		{"root seed is the whole site", "/", api.Request{Sitemap: "skip", Limit: ptr(20)}, []string{"/", "/a.html", "/blog/x", "/docs/", "/docs/a", "/docs/b", "/docs/sub/c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := newTestSite(t, pages)
			q := crawlSite(t, site, tt.seed, tt.req)
			got := pathsOf(q.Pages)
			sort.Strings(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
			if !tt.req.CrawlEntireSite && tt.seed != "/" && q.Skipped["out_of_scope"] == 0 {
				t.Errorf("nothing counted out of scope: %v", q.Skipped)
			}
		})
	}
}

// TestFoldSimilarURLs fetches an index file and its directory, and a path
// with and without its trailing slash, once, unless folding is turned off.
func TestFoldSimilarURLs(t *testing.T) {
	pages := map[string]string{
		"/":                page("home", "/index.html", "/docs/", "/docs/index.html", "/docs", "/about/", "/about", "/about/default.aspx"),
		"/index.html":      page("home again"),
		"/docs/":           page("docs", "/docs/index.htm"),
		"/docs/index.html": page("docs index"),
		"/docs/index.htm":  page("docs index htm"),
		"/docs":            page("docs no slash"),
		"/about/":          page("about"),
		"/about":           page("about no slash"),
	}
	tests := []struct {
		name        string
		req         api.Request
		want        []string
		wantSimilar int
	}{
		{"folded by default", api.Request{}, []string{"/", "/about/", "/docs/"}, 6},
		{"deduplicate_similar_urls false", api.Request{DeduplicateSimilarURLs: ptr(false), Limit: ptr(20)},
			[]string{"/", "/about", "/about/", "/about/default.aspx", "/docs", "/docs/", "/docs/index.htm", "/docs/index.html", "/index.html"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := newTestSite(t, pages)
			tt.req.Sitemap = "skip"
			q := crawlSite(t, site, "/", tt.req)
			got := pathsOf(q.Pages)
			sort.Strings(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
			if q.Skipped["duplicate_similar"] != tt.wantSimilar {
				t.Errorf("Skipped = %v, want duplicate_similar %d", q.Skipped, tt.wantSimilar)
			}
			for uri, n := range site.fetches() {
				if n > 1 {
					t.Errorf("%s fetched %d times", uri, n)
				}
			}
		})
	}
}

// orderFetcher answers from memory; listed URLs answer late, so pages
// finish out of the order they were claimed in.
type orderFetcher struct {
	slow  map[string]time.Duration
	links map[string][]string
	mu    sync.Mutex
	peak  int
	now   int
}

func (f *orderFetcher) Fetch(ctx context.Context, req fetch.Request) (*fetch.Response, error) {
	if strings.HasSuffix(req.URL, "/sitemap.xml") {
		var b strings.Builder
		b.WriteString(`<urlset>`)
		for i := range 6 {
			fmt.Fprintf(&b, "<url><loc>https://site.example/s%d</loc></url>", i)
		}
		b.WriteString(`</urlset>`)
		return &fetch.Response{URL: req.URL, FinalURL: req.URL, StatusCode: 200, ContentType: "application/xml", Body: []byte(b.String())}, nil
	}
	f.mu.Lock()
	f.now++
	f.peak = max(f.peak, f.now)
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.now--; f.mu.Unlock() }()
	u, _ := url.Parse(req.URL)
	select {
	case <-time.After(f.slow[u.Path]):
	case <-ctx.Done():
		return nil, &fetch.Error{Kind: fetch.KindCanceled, Err: ctx.Err()}
	}
	return &fetch.Response{URL: req.URL, FinalURL: req.URL, StatusCode: 200, ContentType: "text/html", Body: []byte(page(u.Path, f.links[u.Path]...))}, nil
}

// TestPagesInCrawlOrder stores a sync crawl's pages seed first and in
// admission order however the fetches finish, and a batch's in input
// order, while fetches still overlap.
func TestPagesInCrawlOrder(t *testing.T) {
	f := &orderFetcher{
		slow:  map[string]time.Duration{"/": 60 * time.Millisecond, "/s0": 30 * time.Millisecond, "/c": 40 * time.Millisecond},
		links: map[string][]string{"/": {"/a", "/b"}},
	}
	o, err := Validate(&api.Request{URL: "https://site.example/", Limit: ptr(20)}, spidergo.KindCrawl, false, testNormalize)
	if err != nil {
		t.Fatal(err)
	}
	q := NewMemQueue()
	if err := NewEngine(EngineConfig{Fetcher: f}).Run(context.Background(), &Job{ID: "j", Options: o, Queue: q}); err != nil {
		t.Fatal(err)
	}
	want := []string{"/", "/s0", "/s1", "/s2", "/s3", "/s4", "/s5", "/a", "/b"}
	if diff := cmp.Diff(want, pathsOf(q.Pages)); diff != "" {
		t.Errorf("crawl order (-want +got):\n%s", diff)
	}
	if f.peak < 2 {
		t.Errorf("at most %d fetch in flight: the order was bought with concurrency", f.peak)
	}

	f.slow = map[string]time.Duration{"/c": 50 * time.Millisecond, "/a": 20 * time.Millisecond}
	ob, err := Validate(&api.Request{URLs: []string{"https://site.example/c", "https://site.example/a", "https://site.example/c", "https://site.example/b"}, Async: ptr(false)}, spidergo.KindBatch, false, testNormalize)
	if err != nil {
		t.Fatal(err)
	}
	if ob.Async {
		t.Error(`"async": false batch is async`)
	}
	qb := NewMemQueue()
	if err := NewEngine(EngineConfig{Fetcher: f}).Run(context.Background(), &Job{ID: "b", Options: ob, Queue: qb}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/c", "/a", "/b"}, pathsOf(qb.Pages)); diff != "" {
		t.Errorf("batch order (-want +got):\n%s", diff)
	}
	if qb.Skipped["duplicate"] != 1 {
		t.Errorf("Skipped = %v, want duplicate 1", qb.Skipped)
	}
}

func TestValidateBatch(t *testing.T) {
	good, bad := "https://a.example/", "https://not a url"
	tests := []struct {
		name        string
		req         api.Request
		wantErr     string
		wantSeeds   []string
		wantInvalid []string
		wantAsync   bool
	}{
		{"input order kept", api.Request{URLs: []string{"https://c.example/", good, "https://b.example/"}}, "", []string{"https://c.example/", good, "https://b.example/"}, nil, true},
		{"invalid refused, named", api.Request{URLs: []string{good, bad}}, `urls[1]: URL "https://not a url"`, nil, nil, false},
		{"invalid refused, hint", api.Request{URLs: []string{good, bad}}, "ignore_invalid_urls", nil, nil, false},
		{"invalid listed", api.Request{URLs: []string{bad, good}, IgnoreInvalidURLs: true}, "", []string{good}, []string{bad}, true},
		{"all invalid", api.Request{URLs: []string{bad}, IgnoreInvalidURLs: true}, "None of the 1 URLs", nil, nil, false},
		{"sync batch", api.Request{URLs: []string{good}, Async: ptr(false)}, "", []string{good}, nil, false},
		{"sync batch cap", api.Request{URLs: slices.Repeat([]string{good}, MaxSyncBatchURLs+1), Async: ptr(false)}, "at most 20 URLs", nil, nil, false},
		{"ignore_invalid_urls off batch", api.Request{URL: good, IgnoreInvalidURLs: true}, "", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind := spidergo.KindBatch
			if tt.req.URL != "" {
				kind, tt.wantErr = spidergo.KindScrape, "only for /v1/batch/scrape"
			}
			o, err := Validate(&tt.req, kind, false, testNormalize)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var invalid []string
			for _, iu := range o.InvalidURLs {
				invalid = append(invalid, iu.URL)
				if iu.Reason == "" || iu.Code == "" {
					t.Errorf("invalid URL without reason: %+v", iu)
				}
			}
			if diff := cmp.Diff(tt.wantSeeds, o.Seeds); diff != "" {
				t.Errorf("seeds (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantInvalid, invalid); diff != "" {
				t.Errorf("invalid (-want +got):\n%s", diff)
			}
			if o.Async != tt.wantAsync {
				t.Errorf("Async = %v, want %v", o.Async, tt.wantAsync)
			}
			env := &api.Envelope{}
			FillRequest(env, o)
			if len(env.InvalidURLs) != len(tt.wantInvalid) {
				t.Errorf("FillRequest: InvalidURLs %v, want %d", env.InvalidURLs, len(tt.wantInvalid))
			}
		})
	}
}

// TestValidateExplicitZeros refuses 0 where the documented range starts
// above it, and keeps the defaults for clients that leave the field out.
func TestValidateExplicitZeros(t *testing.T) {
	tests := []struct {
		name    string
		req     api.Request
		kind    string
		wantErr string
	}{
		{"absent", api.Request{}, spidergo.KindCrawl, ""},
		{"limit 0", api.Request{Limit: ptr(0)}, spidergo.KindCrawl, `"limit" must be at least 1`},
		{"limit 0 on map", api.Request{Limit: ptr(0)}, spidergo.KindMap, `"limit" must be at least 1`},
		{"max_concurrency 0", api.Request{MaxConcurrency: ptr(0)}, spidergo.KindCrawl, `"max_concurrency" must be from 1`},
		{"timeout_ms 0", api.Request{TimeoutMS: ptr(0)}, spidergo.KindScrape, `"timeout_ms" must be from 1000`},
		{"map formats", api.Request{Formats: []string{"markdown"}}, spidergo.KindMap, `Option "formats" does not apply to map`},
		{"map async", api.Request{Async: ptr(true)}, spidergo.KindMap, `Option "async" does not apply to map`},
		{"map async false", api.Request{Async: ptr(false)}, spidergo.KindMap, ""},
		{"map max_depth", api.Request{MaxDepth: ptr(2)}, spidergo.KindMap, `Option "max_depth"`},
		{"include_titles on scrape", api.Request{IncludeTitles: true}, spidergo.KindScrape, `Option "include_titles" does not apply to scrape`},
		{"map search", api.Request{Search: "docs", IncludeTitles: true}, spidergo.KindMap, ""},
		{"trial async", api.Request{Async: ptr(true)}, "trial", "synchronous only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.URL = "https://a.example/"
			kind, trial := tt.kind, false
			if kind == "trial" {
				kind, trial = spidergo.KindCrawl, true
			}
			o, err := Validate(&tt.req, kind, trial, testNormalize)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if kind == spidergo.KindCrawl && (o.Limit != DefaultLimit || o.Concurrency != DefaultConcurrency || o.Timeout != DefaultTimeoutMS*time.Millisecond) {
					t.Errorf("defaults not applied: %+v", o)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// memCache serves the pages a queue stored as a user's cache.
type memCache struct{ q *MemQueue }

func (c memCache) CachedPage(_ context.Context, _, u string, _ time.Time) (*spidergo.Page, error) {
	c.q.mu.Lock()
	defer c.q.mu.Unlock()
	for i := len(c.q.Pages) - 1; i >= 0; i-- {
		if p := c.q.Pages[i]; p.URL == u && p.Error == "" {
			cp := *p
			return &cp, nil
		}
	}
	return nil, spidergo.Errorf(spidergo.ENOTFOUND, "no page")
}

// TestCacheHonoursFormats serves a cached page only when it was made with
// every format asked now.
func TestCacheHonoursFormats(t *testing.T) {
	site := newTestSite(t, map[string]string{"/": page("home", "/a")})
	store := NewMemQueue()
	e := NewEngine(EngineConfig{Fetcher: newTestFetcher(t, site.Server), Cache: memCache{store}})
	steps := []struct {
		formats      []string
		wantCached   bool
		wantMarkdown bool
	}{
		{[]string{"raw_html"}, false, false},
		{[]string{"markdown", "links"}, false, true},
		{[]string{"markdown"}, true, true},
		{[]string{"links", "markdown"}, true, true},
		{[]string{"markdown", "raw_html"}, false, true},
	}
	for i, s := range steps {
		o, err := Validate(&api.Request{URL: site.URL + "/", Formats: s.formats, MaxAgeMS: 60000}, spidergo.KindScrape, false, testNormalize)
		if err != nil {
			t.Fatal(err)
		}
		q := NewMemQueue()
		if err := e.Run(context.Background(), &Job{ID: fmt.Sprint("j", i), UserID: "u", Options: o, Queue: q}); err != nil {
			t.Fatal(err)
		}
		p := q.Pages[0]
		if p.Cached != s.wantCached || (p.Markdown != "") != s.wantMarkdown {
			t.Errorf("step %d %v: Cached = %v, Markdown %q; want cached %v, markdown %v", i, s.formats, p.Cached, p.Markdown, s.wantCached, s.wantMarkdown)
		}
		if s.wantCached {
			continue
		}
		store.Save(context.Background(), p)
	}
	if got := site.fetches()["/"]; got != 3 {
		t.Errorf("page fetched %d times, want 3", got)
	}
}

// TestPageErrorDetail gives failed pages a sentence beside their code.
func TestPageErrorDetail(t *testing.T) {
	site := newTestSite(t, map[string]string{"/": page("home", "/missing"), "/robots.txt": "User-agent: *\nDisallow: /secret\n"})
	q := crawlSite(t, site, "/", api.Request{Sitemap: "skip"})
	u, _ := url.Parse(site.URL)
	for _, p := range q.Pages {
		if strings.HasSuffix(p.URL, "/missing") {
			if want := "The server at " + u.Hostname() + " answered 404 Not Found."; p.Error != "http_4xx" || p.ErrorDetail != want {
				t.Errorf("404 page: Error %q, ErrorDetail %q; want http_4xx, %q", p.Error, p.ErrorDetail, want)
			}
			if w := WirePage(p); w.ErrorDetail != p.ErrorDetail {
				t.Errorf("wire page lost ErrorDetail: %q", w.ErrorDetail)
			}
			return
		}
	}
	t.Fatalf("no page for /missing: %v", pathsOf(q.Pages))
}

// TestMapSearchAndTitles ranks URLs holding the search terms first and
// returns link texts as titles when asked.
func TestMapSearchAndTitles(t *testing.T) {
	site := newTestSite(t, map[string]string{
		"/": `<html><head><title>Home</title></head><body>
			<a href="/docs/start">Getting <b>started</b></a> <a href="/blog/news">News</a>
			<a href="/docs/api">API reference</a> <a href="/blog/news/">again</a> <a href="/index.html">home</a></body></html>`,
	})
	tests := []struct {
		name      string
		req       api.Request
		wantURLs  []string
		wantLinks []api.MapLink
	}{
		{"plain", api.Request{Sitemap: "skip"}, []string{"/", "/docs/start", "/blog/news", "/docs/api"}, nil},
		{"search", api.Request{Sitemap: "skip", Search: "Blog"}, []string{"/blog/news", "/", "/docs/start", "/docs/api"}, nil},
		{"search in titles", api.Request{Sitemap: "skip", Search: "reference"}, []string{"/docs/api", "/", "/docs/start", "/blog/news"}, nil},
		{"titles", api.Request{Sitemap: "skip", IncludeTitles: true}, []string{"/", "/docs/start", "/blog/news", "/docs/api"},
			[]api.MapLink{{URL: "/", Title: "Home"}, {URL: "/docs/start", Title: "Getting started"}, {URL: "/blog/news", Title: "News"}, {URL: "/docs/api", Title: "API reference"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.URL = site.URL + "/"
			o, err := Validate(&tt.req, spidergo.KindMap, false, testNormalize)
			if err != nil {
				t.Fatal(err)
			}
			res, err := NewEngine(EngineConfig{Fetcher: newTestFetcher(t, site.Server)}).MapSite(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range res.URLs {
				got = append(got, strings.TrimPrefix(u, site.URL))
			}
			if diff := cmp.Diff(tt.wantURLs, got); diff != "" {
				t.Errorf("URLs (-want +got):\n%s", diff)
			}
			for i := range res.Links {
				res.Links[i].URL = strings.TrimPrefix(res.Links[i].URL, site.URL)
			}
			if diff := cmp.Diff(tt.wantLinks, res.Links); diff != "" {
				t.Errorf("Links (-want +got):\n%s", diff)
			}
			env := &api.Envelope{}
			res.Fill(env)
			if env.TotalPages != len(tt.wantURLs) || len(env.URLs) != len(tt.wantURLs) || len(env.Links) != len(tt.wantLinks) {
				t.Errorf("Fill: TotalPages %d, %d URLs, %d Links; want %d, %d, %d", env.TotalPages, len(env.URLs), len(env.Links), len(tt.wantURLs), len(tt.wantURLs), len(tt.wantLinks))
			}
		})
	}
}

// TestSitemapLimitCountsInScopeURLs reads past sitemap URLs out of scope:
// they must not use up the limit before the ones in scope are read.
func TestSitemapLimitCountsInScopeURLs(t *testing.T) {
	site := newTestSite(t, map[string]string{
		"/docs/": page("docs"),
		"/sitemap.xml": `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
			<url><loc>BASE/blog/1</loc></url><url><loc>BASE/blog/2</loc></url><url><loc>BASE/blog/3</loc></url>
			<url><loc>BASE/docs/s</loc></url></urlset>`,
		"/docs/s": page("docs s"),
	})
	q := crawlSite(t, site, "/docs/", api.Request{Limit: ptr(2)})
	got := pathsOf(q.Pages)
	if diff := cmp.Diff([]string{"/docs/", "/docs/s"}, got); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	if q.Skipped["out_of_scope"] != 3 {
		t.Errorf("Skipped = %v, want out_of_scope 3", q.Skipped)
	}
}
