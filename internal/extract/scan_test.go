package extract

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	whatwg "github.com/nlnwa/whatwg-url/url"
)

// treelessOptions are the option sets that take the token scan.
var treelessOptions = []Options{
	{Formats: []string{FormatLinks}},
	{Formats: []string{FormatLinks, FormatRawHTML}, SubdomainsInternal: true, RobotsHeaders: []string{"spidergo: noindex"}},
	{Formats: []string{FormatRawHTML}, OnlyMainContent: true},
}

// compareScan extracts body both ways and fails on any difference. It
// reports whether the scan path was taken (the scan gave up otherwise).
func compareScan(t *testing.T, name string, body []byte, page string) bool {
	t.Helper()
	u := mustURL(t, page)
	scanned := false
	if _, ok := scanPage(strings.NewReader(decode(body)), u); ok {
		scanned = true
	}
	for _, opts := range treelessOptions {
		want, werr := extract(body, u, opts, false)
		got, gerr := extract(body, u, opts, true)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%s %v: error %v from the scan, %v from the tree", name, opts.Formats, gerr, werr)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("%s %v: the scan differs from the tree (-tree +scan):\n%s", name, opts.Formats, d)
		}
	}
	return scanned
}

func TestScanMatchesTree(t *testing.T) {
	tests := []struct {
		name, html string
		scans      bool // the page is simple enough for the scan
	}{
		{"links and base", `<html lang=" en "><head><title> A  page </title><base href="/docs/"><link rel="Canonical" href="../c#x"></head>
			<body><a href="a">a</a><a href=" b?x=1#f ">b</a><a href="#top">t</a><a href="mailto:x@example.com">m</a>
			<a href="https://other.example/x" rel="NoFollow noopener">o</a><area href="/map" rel="nofollow"><a>no href</a></body></html>`, true},
		{"base after links, javascript base", `<a href="x">x</a><base href="javascript:alert(1)"><base href="/later/">`, true},
		{"robots meta", `<meta name="robots" content="noindex, NOFOLLOW"><meta name="SpiderGo" content="none"><a href="/a">a</a>`, true},
		{"meta keys", `<meta property="og:title" content=" OG "><meta name="description" content="d"><meta http-equiv="Content-Language" content="de, en">
			<meta itemprop="datePublished" content="2020-01-02"><meta name="x"><meta content="no key">`, true},
		{"title in body, empty first title", `<title></title><body><p>x<title>Second &amp; last</title><a href=/a>`, true},
		{"json-ld", `<script type="application/ld+json; charset=utf-8">{"@type":"NewsArticle","author":{"name":"Ann"},"datePublished":"2021-01-01"}</script>
			<script>var a = "<a href='/no'>";</script><a href="/yes">`, true},
		{"raw text keeps links out", `<textarea><a href="/t"></textarea><noscript><a href="/n"></noscript><xmp><a href="/x"></xmp><iframe><a href="/i"></iframe><style><a href="/s"></style><a href="/real">`, true},
		{"several html tags", `<html><body><html lang="fr" xml:lang="de"><html lang="it"><a href=/a>`, true},
		{"xml:lang only", `<html xml:lang=" pt "><a href=/a>`, true},
		{"tables with cells", `<table><caption><a href=/c>c</a></caption><colgroup><col></colgroup><tr><td><a href=/1>1</a><td><a href=/2>2</a></table>
			<table><tbody><tr><th><table><tr><td><a href=/3>3</a></td></tr></table><a href=/4>4</a></th></tr></tbody></table><a href=/5>`, true},
		{"anchors left open in cells", `<table><tr><td><a href=/1>1<td><a href=/2>2</table>`, false},
		{"foster parenting", `<table><tr><td><a href=/1>1</a></td></tr><a href=/2>2</a></table>`, false},
		{"foster parented div", `<table><div><a href=/2>2</a></div><tr><td><a href=/1>`, false},
		{"template", `<template><a href=/t></template><a href=/a>`, false},
		{"svg", `<svg><a xlink:href="/s"></a><title>svg title</title></svg><title>t</title><a href=/a>`, false},
		{"math", `<math><mi><a href=/m></a></mi></math>`, false},
		{"select", `<select><a href=/s></a><option>x</select><a href=/a>`, false},
		{"frameset", `<frameset><frame src=/f></frameset>`, false},
		{"deep nesting", strings.Repeat("<div>", 600) + `<a href=/deep>`, false},
		{"deep but closed", strings.Repeat("<div></div>", 600) + `<a href=/shallow>`, true},
		{"unclosed list items", strings.Repeat("<li><p>x", 300) + `<a href=/li>`, true},
		{"misnested anchors", `<p><a href=/1>x</p>y<a href=/2><b><a href=/3></b>z</a><p><a href=/4 rel=nofollow>w</p>v`, false},
		{"anchor in anchor, reordered by the parser", `<a><b>0<c><c><c><ol><a href=0></ol><a href=000>0`, false},
		{"misnested formatting", `<p><b>x<a href=/1>y</b>z</a><i><div><a href=/2></a></i></div><a href=/3>`, true},
		{"long attribute", `<a href="/` + strings.Repeat("x", maxAttrLen+1) + `">x</a><a href="/ok" rel="` + strings.Repeat("n", maxAttrLen+1) + `">`, true},
		{"long lang", `<html lang="` + strings.Repeat("e", maxAttrLen+1) + `" xml:lang="en"><a href=/a>`, true},
		{"self-closing", `<area href=/1 /><title/>t</title><script type=application/ld+json/>{}</script><a href=/2>`, true},
		{"self-closing anchor stays open", `<a href=/1 /><a href=/2>`, false},
		{"entities", `<a href="/a?x=1&amp;y=2&copy">x</a><a href='/b&#x20;c'>`, true},
		{"no html", `just text`, true},
		{"empty", ``, true},
		{"nul bytes", "<title>a\x00b</title><a href=\"/a\x00\">x</a><a\x00 href=/b>", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scanned := compareScan(t, tt.name, []byte(tt.html), "https://example.com/dir/page")
			if scanned != tt.scans {
				t.Errorf("scan taken = %v, want %v", scanned, tt.scans)
			}
		})
	}
}

// TestScanMatchesTreeOnDatasets compares the two paths on every page of
// the repository's test pages, the non-news set and, when it is present,
// the article-extraction dataset beside the repository.
func TestScanMatchesTreeOnDatasets(t *testing.T) {
	var files []string
	for _, pattern := range []string{
		filepath.Join("testdata", "*.html"),
		filepath.Join("testdata", "hostile", "*.html"),
		filepath.Join("..", "..", "bench", "testdata", "nonnews", "*.html"),
		filepath.Join(os.Getenv("SPIDERGO_ARTICLE_DATASET"), "html", "*.html.gz"),
		filepath.Join("..", "..", "..", "shared", "datasets", "article-extraction", "html", "*.html.gz"),
		filepath.Join("..", "..", "..", "..", "shared", "datasets", "article-extraction", "html", "*.html.gz"),
	} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	scanned, total := 0, 0
	seen := map[string]bool{}
	for _, name := range files {
		if seen[filepath.Base(name)] {
			continue
		}
		seen[filepath.Base(name)] = true
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		total++
		if compareScan(t, name, body, "https://www.example.com/section/page.html?id=3") {
			scanned++
		}
	}
	t.Logf("%d pages compared, %d read by the scan, %d left to the tree", total, scanned, total-scanned)
	if total < 30 || scanned == 0 {
		t.Fatalf("%d pages compared, %d by the scan: the comparison did not run", total, scanned)
	}
}

// FuzzScanMatchesTree checks on any input that the token scan gives
// exactly what the tree gives for the formats it serves.
func FuzzScanMatchesTree(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.html"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`<table><tr><td><a href=/1></td></tr><a href=/2></table>`,
		`<p><a href=/1>x</p>y<a href=/2>`,
		`<html lang=en><base href=/b/><a href=x rel=nofollow><meta name=robots content=nofollow>`,
		`<title>x</title><script type="application/ld+json">{}</script><link rel=canonical href=/c>`,
		`<table><caption><td><a href=/c></caption><colgroup><tr><a href=/x>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		compareScan(t, "fuzz", body, "https://example.com/dir/page")
	})
}

// FuzzAbsPath checks that the short way of resolving a root-relative link
// gives what the URL parser gives.
func FuzzAbsPath(f *testing.F) {
	for _, s := range []string{"/a/b", "/a?b=1&c=2", "/a/./b", "/a/../b", "/%41", "/a b", "/?", "/a?b?c", "//h/x", "/a#f", "/.a", "/a.", "/~u/x-y_z.html"} {
		f.Add("https://Example.com:443/d/p", s)
		f.Add("http://h.example:8080/", s)
	}
	f.Fuzz(func(t *testing.T, base, ref string) {
		u, err := url.Parse(base)
		if err != nil {
			return
		}
		p := &page{pageURL: u, resolved: map[string]string{}, urlParser: whatwg.NewParser()}
		p.setBase()
		got, ok := p.absPath(ref)
		if !ok {
			return
		}
		bu, err := p.urlParser.Parse(p.base.Href(false))
		if err != nil {
			t.Fatalf("base %q: %v", p.base.Href(false), err)
		}
		want := ""
		if r, err := bu.Parse(ref); err == nil && (r.Scheme() == "http" || r.Scheme() == "https") && r.Hostname() != "" {
			want = r.Href(true)
		}
		if got != want {
			t.Fatalf("absPath(%q) against %q = %q; the parser gives %q", ref, base, got, want)
		}
	})
}

func TestAbsPathMatchesParser(t *testing.T) {
	for _, base := range []string{"https://Example.com:443/d/p", "http://h.example:8080/x?y#z", "https://user@h.example/", "https://[::1]:8443/"} {
		u := mustURL(t, base)
		for _, ref := range []string{"/", "/a/b", "/a?b=1&c=2", "/a/./b", "/%41", "/a b", "/a?b?c", "/~u/x-y_z.html", "/A.B/c."} {
			p := &page{pageURL: u, resolved: map[string]string{}, urlParser: whatwg.NewParser()}
			p.setBase()
			got := p.abs(ref)
			bu, _ := p.urlParser.Parse(p.base.Href(false))
			r, err := bu.Parse(ref)
			if err != nil {
				t.Fatal(err)
			}
			if want := r.Href(true); got != want {
				t.Errorf("abs(%q) against %q = %q, want %q", ref, base, got, want)
			}
		}
	}
}
