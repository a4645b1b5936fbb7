package extract

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzExtract(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.html"))
	if err != nil {
		f.Fatal(err)
	}
	hostile, err := filepath.Glob(filepath.Join("testdata", "hostile", "*.html"))
	if err != nil {
		f.Fatal(err)
	}
	files = append(files, hostile...)
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, true, "article p", "")
	}
	f.Add([]byte(linksPage), false, "", "a")
	f.Add([]byte(`<script type="application/ld+json">{"@graph":[{"@type":"Product","offers":[{"price":1,}]}]}</script>`), true, "", "")
	f.Add([]byte(`<div itemscope itemtype="schema.org/Product"><span itemprop="name">x</span></div>`), false, "", "")
	f.Add([]byte(strings.Repeat("<div>", 600)), true, "", "")
	f.Add([]byte(`<img srcset=",,, x 1x,(y),z"><base href="//h"><a href="?q#f">`), true, "", "img")
	page := mustURL(f, "https://example.com/dir/page")
	f.Fuzz(func(t *testing.T, body []byte, main bool, include, exclude string) {
		opts := Options{Formats: allFormats, OnlyMainContent: main, SubdomainsInternal: main}
		if include != "" {
			opts.IncludeTags = []string{include}
		}
		if exclude != "" {
			opts.ExcludeTags = []string{exclude}
		}
		res, err := Extract(body, page, opts)
		if err != nil {
			if errors.Is(err, ErrInternal) {
				t.Fatalf("internal error: %v", err)
			}
			return
		}
		for _, l := range append(append([]string{}, res.Links.Internal...), res.Links.External...) {
			if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") || strings.Contains(l, "#") {
				t.Errorf("link %q is not an absolute http(s) URL without fragment", l)
			}
		}
		// The html format is rendered by browsers: whatever the page, it
		// must hold nothing that runs script or loads a hostile document.
		for _, d := range dangerous(t, res.HTML) {
			t.Errorf("html format unsafe: %s\n%s", d, res.HTML)
		}
		for _, img := range res.Images {
			if !strings.HasPrefix(img, "http://") && !strings.HasPrefix(img, "https://") {
				t.Errorf("image %q is not an absolute http(s) URL", img)
			}
		}
	})
}
