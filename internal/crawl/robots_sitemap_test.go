package crawl

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/fetch"
)

func TestRobotsMeta(t *testing.T) {
	site := newTestSite(t, map[string]string{
		"/":              page("home", "/noindex", "/nofollow"),
		"/noindex":       `<html><head><meta name="robots" content="noindex"></head><body><p>secret text</p><a href="/from-noindex">x</a></body></html>`,
		"/nofollow":      `<html><head><meta name="robots" content="nofollow"></head><body><p>text</p><a href="/from-nofollow">x</a></body></html>`,
		"/from-noindex":  page("from noindex"),
		"/from-nofollow": page("from nofollow"),
	})
	q, err := runCrawl(t, site, api.Request{Sitemap: "skip"})
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]*spidergo.Page{}
	for _, p := range q.Pages {
		u, _ := url.Parse(p.URL)
		byPath[u.Path] = p
	}
	// noindex is about search indexes: the content is kept and the
	// directive reported, unless respect_noindex asks otherwise.
	if p := byPath["/noindex"]; p == nil || p.Error != "" || !strings.Contains(p.Markdown, "secret") || len(p.Robots) != 1 || p.Robots[0] != "noindex" {
		t.Errorf("noindex page = %+v, want its content kept and Robots [noindex]", p)
	}
	if byPath["/from-noindex"] == nil {
		t.Error("links of a noindex page were not followed")
	}
	if byPath["/from-nofollow"] != nil || site.fetches()["/from-nofollow"] != 0 {
		t.Error("links of a nofollow page were followed")
	}
}

func gz(t *testing.T, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestSitemapIndexAndGzip(t *testing.T) {
	var base string
	child := gz(t, `<urlset><url><loc>BASE/gz-page</loc></url></urlset>`)
	mux := http.NewServeMux()
	mux.HandleFunc("/sitemap.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.Write([]byte(strings.ReplaceAll(`<?xml version="1.0"?><sitemapindex><sitemap><loc>BASE/a.xml</loc></sitemap><sitemap><loc>BASE/b.xml.gz</loc></sitemap><sitemap><loc>BASE/sitemap.xml</loc></sitemap></sitemapindex>`, "BASE", base)))
	})
	mux.HandleFunc("/a.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.Write([]byte(strings.ReplaceAll(`<urlset><url><loc>BASE/plain-page</loc></url><url><loc> BASE/plain-page </loc></url></urlset>`, "BASE", base)))
	})
	mux.HandleFunc("/b.xml.gz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/gzip")
		w.Write(gunzipReplace(t, child, base))
	})
	for _, p := range []string{"/", "/plain-page", "/gz-page"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != p {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(page(p)))
		})
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	base = srv.URL
	for _, mode := range []string{"include", "only"} {
		o, err := Validate(&api.Request{URL: srv.URL, Sitemap: mode}, spidergo.KindCrawl, false, func(s string) (string, error) { n, _ := Normalize(s, false); return n, nil })
		if err != nil {
			t.Fatal(err)
		}
		q := NewMemQueue()
		if err := NewEngine(EngineConfig{Fetcher: newTestFetcher(t, srv)}).Run(context.Background(), &Job{ID: "j", Options: o, Queue: q}); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range q.Pages {
			got = append(got, strings.TrimPrefix(p.URL, srv.URL))
		}
		sort.Strings(got)
		want := []string{"/", "/gz-page", "/plain-page"}
		if mode == "only" {
			want = []string{"/gz-page", "/plain-page"}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("sitemap %s: pages (-want +got):\n%s", mode, diff)
		}
	}
}

// gunzipReplace rewrites BASE inside a gzip'd body.
func gunzipReplace(t *testing.T, b []byte, base string) []byte {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	plain.ReadFrom(r)
	return gz(t, strings.ReplaceAll(plain.String(), "BASE", base))
}

func TestParseSitemapHostile(t *testing.T) {
	tests := []struct {
		name          string
		in            string
		pages, childs int
	}{
		{"empty", "", 0, 0},
		{"garbage", "<<<>>>&&&", 0, 0},
		{"truncated", "<urlset><url><loc>https://a/1</loc></url><url><loc>https://a/2", 2, 0},
		{"loc outside url", "<urlset><loc>https://a/x</loc></urlset>", 0, 0},
		{"index", "<sitemapindex><sitemap><loc>https://a/s1.xml</loc></sitemap></sitemapindex>", 0, 1},
	}
	for _, tt := range tests {
		p, c := parseSitemap([]byte(tt.in))
		if len(p) != tt.pages || len(c) != tt.childs {
			t.Errorf("%s: %d pages %d children, want %d %d", tt.name, len(p), len(c), tt.pages, tt.childs)
		}
	}
}

func FuzzParseSitemap(f *testing.F) {
	f.Add([]byte(`<urlset><url><loc>https://a/1</loc></url></urlset>`))
	f.Add([]byte(`<sitemapindex><sitemap><loc>x</loc></sitemap></sitemapindex>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		pages, children := parseSitemap(b)
		if len(pages)+len(children) > len(b) {
			t.Fatalf("%d URLs from %d bytes", len(pages)+len(children), len(b))
		}
	})
}

func TestAllowExternal(t *testing.T) {
	other := newTestSite(t, map[string]string{"/": page("other")})
	site := newTestSite(t, map[string]string{"/": page("home", other.URL+"/")})
	for _, external := range []bool{false, true} {
		o, err := Validate(&api.Request{URL: site.URL, Sitemap: "skip", AllowExternal: external}, spidergo.KindCrawl, false, func(s string) (string, error) { n, _ := Normalize(s, false); return n, nil })
		if err != nil {
			t.Fatal(err)
		}
		su, _ := url.Parse(site.URL)
		ou, _ := url.Parse(other.URL)
		f, err := fetch.New(fetch.Config{Allow: []string{su.Host, ou.Host}})
		if err != nil {
			t.Fatal(err)
		}
		q := NewMemQueue()
		if err := NewEngine(EngineConfig{Fetcher: f}).Run(context.Background(), &Job{ID: "j", Options: o, Queue: q}); err != nil {
			t.Fatal(err)
		}
		want := 1
		if external {
			want = 2
		}
		if len(q.Pages) != want {
			t.Errorf("allow_external=%v: %d pages, want %d (skipped %v)", external, len(q.Pages), want, q.Skipped)
		}
		if !external && q.Skipped["out_of_scope"] != 1 {
			t.Errorf("the other port was not counted out of scope: %v", q.Skipped)
		}
	}
}
