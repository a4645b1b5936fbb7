package site

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var hrefRE = regexp.MustCompile(`<a href="([^"]*)"`)

func links(page []byte) []string {
	var out []string
	for _, m := range hrefRE.FindAllSubmatch(page, -1) {
		out = append(out, strings.ReplaceAll(string(m[1]), "&amp;", "&"))
	}
	return out
}

func TestPages(t *testing.T) {
	cfg := Config{Pages: 300, Seed: 7}
	s := New(cfg)
	if !bytes.Equal(s.Page(123), New(cfg).Page(123)) {
		t.Fatal("the same seed gave different bytes")
	}
	if bytes.Equal(s.Page(123), New(Config{Pages: 300, Seed: 8}).Page(123)) {
		t.Fatal("another seed gave the same bytes")
	}
	out := make([][]int, cfg.Pages) // crawlable pages each page links to
	var sawDup, sawFragment, sawExternal, sawPrivate, sawVariant bool
	for i := range cfg.Pages {
		if got, ok := s.Lookup(s.Path(i)); !ok || got != i {
			t.Fatalf("Lookup(Path(%d) = %q) = %d, %v", i, s.Path(i), got, ok)
		}
		p := s.Page(i)
		if len(p) < DefaultMinBytes || len(p) > DefaultMaxBytes {
			t.Errorf("page %d is %d bytes, want %d-%d", i, len(p), DefaultMinBytes, DefaultMaxBytes)
		}
		ls := links(p)
		if len(ls) < DefaultMinLinks || len(ls) > DefaultMaxLinks {
			t.Errorf("page %d has %d links, want %d-%d", i, len(ls), DefaultMinLinks, DefaultMaxLinks)
		}
		seen := map[string]bool{}
		for _, l := range ls {
			sawDup = sawDup || seen[l]
			seen[l] = true
			switch {
			case strings.HasPrefix(l, "#"):
				sawFragment = true
			case strings.HasPrefix(l, "https://"):
				sawExternal = true
			default:
				sawPrivate = sawPrivate || strings.HasPrefix(l, "/private/")
				sawVariant = sawVariant || strings.Contains(l, "utm_") || strings.Contains(l, "?sort=new&page=")
				j, ok := s.Lookup(l)
				if !ok {
					t.Errorf("page %d links to %q, which is no page", i, l)
				} else if !s.Private(j) {
					out[i] = append(out[i], j)
				}
			}
		}
	}
	// A crawler that obeys robots.txt reaches every other page from the
	// home page, in a few steps.
	depth := map[int]int{0: 0}
	for queue := []int{0}; len(queue) > 0; queue = queue[1:] {
		for _, j := range out[queue[0]] {
			if _, ok := depth[j]; !ok {
				depth[j] = depth[queue[0]] + 1
				queue = append(queue, j)
			}
		}
	}
	maxDepth := 0
	for _, d := range depth {
		maxDepth = max(maxDepth, d)
	}
	if len(depth) != s.Crawlable() || maxDepth > 10 {
		t.Errorf("reached %d of %d crawlable pages, %d links deep at most", len(depth), s.Crawlable(), maxDepth)
	}
	if !sawDup || !sawFragment || !sawExternal || !sawPrivate || !sawVariant {
		t.Errorf("duplicate %v, fragment %v, external %v, private %v, variant %v: want all", sawDup, sawFragment, sawExternal, sawPrivate, sawVariant)
	}
}

func TestLookupVariants(t *testing.T) {
	s := New(Config{Pages: 300})
	for uri, want := range map[string]int{
		"/news/world/?ref=nav":          1,
		"/news/world/?sort=new&page=2":  firstListing,
		"/news/world/?page=2&sort=new":  firstListing,
		s.Path(60) + "?utm_source=x":    60,
		s.Path(60) + "#comments":        60,
		"/news/nowhere/":                -1,
		"/world/60-not-the-slug.html":   -1,
		"/news/world/?page=9&sort=new":  -1,
		"/technology/999999-x-y-z.html": -1,
	} {
		got, ok := s.Lookup(uri)
		if !ok {
			got = -1
		}
		if got != want {
			t.Errorf("Lookup(%q) = %d, want %d", uri, got, want)
		}
	}
}

func TestServerCounts(t *testing.T) {
	s := New(Config{Pages: 300})
	s.Prebuild()
	srv := httptest.NewServer(s)
	defer srv.Close()
	get := func(uri string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + uri)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(s.Path(100)); code != 200 || body != string(New(Config{Pages: 300}).Page(100)) {
		t.Fatalf("page 100: %d, not the page", code)
	}
	if code, body := get("/robots.txt"); code != 200 || !strings.Contains(body, "Disallow: /private/") {
		t.Fatalf("robots.txt: %d %q", code, body)
	}
	_, sm := get("/sitemap.xml")
	if n := strings.Count(sm, "<loc>"); n != s.Crawlable() {
		t.Errorf("sitemap lists %d pages, want %d", n, s.Crawlable())
	}
	for _, uri := range []string{"/", "/", "/news/world/?page=2&sort=new", "/news/world/?sort=new&page=2", "/news/world/?ref=nav", "/news/world/", "/nothing"} {
		get(uri)
	}
	got := s.Stats()
	want := Stats{Requests: 10, URIs: 9, URLs: 8, Pages: 7, HTML: 4, NotFound: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
	s.Reset()
	if got := s.Stats(); got.Requests != 0 {
		t.Errorf("after Reset: %+v", got)
	}
}
