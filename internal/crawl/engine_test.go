package crawl

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/fetch"
)

// testSite is a small site on loopback that counts every request.
type testSite struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func newTestSite(t testing.TB, pages map[string]string) *testSite {
	t.Helper()
	s := &testSite{hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.RequestURI()]++
		s.mu.Unlock()
		body, ok := pages[r.URL.RequestURI()]
		if !ok {
			body, ok = pages[r.URL.Path]
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		switch {
		case r.URL.Path == "/robots.txt":
			w.Header().Set("Content-Type", "text/plain")
		case strings.HasSuffix(r.URL.Path, ".xml"):
			w.Header().Set("Content-Type", "application/xml")
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
		fmt.Fprint(w, strings.ReplaceAll(body, "BASE", "http://"+r.Host))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *testSite) fetches() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.hits {
		out[k] = v
	}
	return out
}

// newTestFetcher allows exactly the site's address.
func newTestFetcher(t testing.TB, site *httptest.Server) *fetch.Fetcher {
	t.Helper()
	u, _ := url.Parse(site.URL)
	f, err := fetch.New(fetch.Config{Allow: []string{u.Host}, UserAgent: "SpiderGo-test"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func page(title string, links ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<html><head><title>%s</title></head><body><article><h1>%s</h1><p>Some text about %s that is long enough to count as content for the extractor.</p>", title, title, title)
	for _, l := range links {
		if strings.HasPrefix(l, "nofollow:") {
			fmt.Fprintf(&b, `<a rel="nofollow" href="%s">x</a> `, strings.TrimPrefix(l, "nofollow:"))
			continue
		}
		fmt.Fprintf(&b, `<a href="%s">link</a> `, l)
	}
	b.WriteString("</article></body></html>")
	return b.String()
}

func runCrawl(t *testing.T, site *testSite, req api.Request) (*MemQueue, error) {
	t.Helper()
	req.URL = site.URL + "/"
	o, err := Validate(&req, spidergo.KindCrawl, false, func(s string) (string, error) {
		n, ok := Normalize(s, false)
		if !ok {
			return "", fmt.Errorf("bad url %q", s)
		}
		return n, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	q := NewMemQueue()
	e := NewEngine(EngineConfig{Fetcher: newTestFetcher(t, site.Server)})
	err = e.Run(context.Background(), &Job{ID: "j", Options: o, Queue: q})
	return q, err
}

func TestCrawl(t *testing.T) {
	site := newTestSite(t, map[string]string{
		"/":           page("home", "/a", "/b", "/a#top", "BASE/a", "/c?y=2&x=1", "/c?x=1&y=2", "https://elsewhere.example/", "nofollow:/secret", "/private", "mailto:x@example.com"),
		"/a":          page("a", "/", "/a/deeper"),
		"/a/deeper":   page("deeper", "/a/deeper/still"),
		"/b":          page("b", "/missing"),
		"/c":          page("c"),
		"/private":    page("private"),
		"/robots.txt": "User-agent: *\nDisallow: /private\n",
		"/sitemap.xml": `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
			<url><loc>BASE/from-sitemap</loc></url><url><loc>https://other.example/x</loc></url></urlset>`,
		"/from-sitemap": page("from sitemap"),
	})
	depth := 2
	q, err := runCrawl(t, site, api.Request{Limit: ptr(20), MaxDepth: &depth})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range q.Pages {
		u, _ := url.Parse(p.URL)
		got[u.RequestURI()] = fmt.Sprintf("d%d %d %s parent=%s", p.Depth, p.StatusCode, p.Error, strings.TrimPrefix(p.ParentURL, site.URL))
	}
	want := map[string]string{
		"/":             "d0 200  parent=",
		"/a":            "d1 200  parent=/",
		"/b":            "d1 200  parent=/",
		"/c?x=1&y=2":    "d1 200  parent=/",
		"/private":      "d1 0 robots_disallowed parent=/",
		"/from-sitemap": "d1 200  parent=/sitemap.xml",
		"/a/deeper":     "d2 200  parent=/a",
		"/missing":      "d2 404 http_4xx parent=/b",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	for uri, n := range site.fetches() {
		if n != 1 {
			t.Errorf("%s fetched %d times", uri, n)
		}
	}
	if q.Skipped["max_depth"] == 0 || q.Skipped["out_of_scope"] < 2 || q.Skipped["duplicate"] == 0 {
		t.Errorf("skipped = %v", q.Skipped)
	}
	if site.fetches()["/secret"] != 0 {
		t.Error("followed a rel=nofollow link")
	}
}

func TestCrawlOptions(t *testing.T) {
	pages := map[string]string{
		"/":           page("home", "/docs/1", "/docs/2", "/blog/1", "/docs/1?ref=x", "/docs/1?ref=y"),
		"/docs/1":     page("d1", "/docs/3"),
		"/docs/2":     page("d2"),
		"/docs/3":     page("d3"),
		"/blog/1":     page("b1"),
		"/robots.txt": "User-agent: *\nDisallow: /docs/2\n",
	}
	zero := 0
	tests := []struct {
		name string
		req  api.Request
		want []string
	}{
		{"limit", api.Request{Limit: ptr(2), Sitemap: "skip"}, []string{"/", "/docs/1"}},
		{"max_depth 0", api.Request{MaxDepth: &zero}, []string{"/"}},
		{"include_paths", api.Request{IncludePaths: []string{"^/docs/"}, Sitemap: "skip"}, []string{"/", "/docs/1", "/docs/1?ref=x", "/docs/1?ref=y", "/docs/2", "/docs/3"}},
		{"exclude_paths", api.Request{ExcludePaths: []string{"^/docs"}}, []string{"/", "/blog/1"}},
		{"ignore_query_parameters", api.Request{IgnoreQueryParameters: true, ExcludePaths: []string{"blog"}}, []string{"/", "/docs/1", "/docs/2", "/docs/3"}},
		{"respect_robots false", api.Request{RespectRobots: new(bool), IncludePaths: []string{"^/docs/2"}}, []string{"/", "/docs/2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := newTestSite(t, pages)
			q, err := runCrawl(t, site, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range q.Pages {
				u, _ := url.Parse(p.URL)
				got = append(got, u.RequestURI())
				if tt.name == "respect_robots false" && p.Error != "" {
					t.Errorf("%s: error %s with robots off", p.URL, p.Error)
				}
			}
			sort.Strings(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCancelStopsCrawl(t *testing.T) {
	site := newTestSite(t, map[string]string{"/": page("home", "/a", "/b")})
	o, _ := Validate(&api.Request{URL: site.URL}, spidergo.KindCrawl, false, func(s string) (string, error) { n, _ := Normalize(s, false); return n, nil })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q := NewMemQueue()
	err := NewEngine(EngineConfig{Fetcher: newTestFetcher(t, site.Server)}).Run(ctx, &Job{ID: "j", Options: o, Queue: q})
	if err == nil {
		t.Fatal("cancelled run returned nil")
	}
	if len(q.Pages) != 0 {
		t.Errorf("cancelled before start, yet %d pages saved", len(q.Pages))
	}
}
