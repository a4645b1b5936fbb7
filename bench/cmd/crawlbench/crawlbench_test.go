package main

import (
	"context"
	"testing"

	"github.com/spidergo/spidergo/bench/site"
)

// TestCrawlers crawls a small site with both crawlers (SpiderGo through its
// engine and through the whole server), as the benchmark
// does, and checks that they reach it all and that SpiderGo fetches nothing
// twice.
func TestCrawlers(t *testing.T) {
	srv, err := site.Start(site.Config{Pages: site.MinPages, Seed: 3, MinBytes: 4 << 10, MaxBytes: 12 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, tc := range []struct {
		crawler, mode string
	}{{"spidergo", "links"}, {"spidergo", "full"}, {"spidergo", "markdown"}, {"server", "links"}, {"colly", "links"}, {"colly", "full"}} {
		srv.Reset()
		var r result
		wl := modes[tc.mode]
		switch tc.crawler {
		case "spidergo":
			r, err = runSpiderGo(context.Background(), srv.URL, wl, 4, 1000, diagnosis{})
		case "server":
			r, err = runServer(context.Background(), srv.URL, wl, 4, 1000)
		default:
			r, err = runColly(srv.URL, wl.markdown, 4, 1000)
		}
		if err != nil {
			t.Fatalf("%s (%s): %v", tc.crawler, tc.mode, err)
		}
		st := srv.Stats()
		reached := map[int]bool{}
		for uri := range srv.Hits() {
			if i, ok := srv.Lookup(uri); ok {
				reached[i] = true
			}
		}
		if len(reached) != srv.Crawlable() || r.Pages < srv.Crawlable() || st.NotFound != 0 {
			t.Errorf("%s (%s): reached %d pages in %d fetches, %d not found; want %d pages, none not found",
				tc.crawler, tc.mode, len(reached), r.Pages, st.NotFound, srv.Crawlable())
		}
		if tc.crawler != "colly" && st.RepeatedURLs() != 0 {
			t.Errorf("spidergo (%s) fetched %d URLs again: %v", tc.mode, st.Requests-st.URLs, srv.Hits())
		}
	}
}
