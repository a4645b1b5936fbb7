package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// benchPage is an ordinary 16 KiB HTML page.
var benchPage = []byte("<!doctype html><html><head><meta charset=utf-8><title>SpiderGo bench</title></head><body>" +
	strings.Repeat("<p>SpiderGo fetches pages safely and politely, one host at a time.</p>\n", 220) +
	"</body></html>")

func benchServer(b *testing.B) (string, string) {
	b.Helper()
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(benchPage)
	w.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("User-agent: *\nDisallow: /private\n"))
	})
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(benchPage)
	})
	mux.HandleFunc("/gzip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz.Bytes())
	})
	srv, allow := server(b, mux)
	return srv.URL, allow
}

// BenchmarkFetch measures whole fetches (URL check, robots.txt decision
// from the cache, per-host limiter, HTTP exchange over a kept-alive
// connection, body read, charset handling) against a local server. It
// reports fetches per second and, through ReportAllocs, allocations per
// fetch.
func BenchmarkFetch(b *testing.B) {
	base, allow := benchServer(b)
	for _, bc := range []struct {
		name     string
		path     string
		parallel bool
	}{
		{"sequential", "/page", false},
		{"sequential-gzip", "/gzip", false},
		{"parallel", "/page", true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f, err := New(Config{
				Allow:              []string{allow},
				PerHostConcurrency: 64,
				Resolver:           newFakeResolver(),
				UserAgent:          "SpiderGo/bench",
			})
			if err != nil {
				b.Fatal(err)
			}
			defer f.CloseIdleConnections()
			req := Request{URL: base + bc.path, RespectRobots: true}
			// Warm the connection pool and the robots.txt cache.
			if _, err := f.Fetch(context.Background(), req); err != nil {
				b.Fatal(err)
			}
			measureFetches(b, bc.parallel, func() error {
				_, err := f.Fetch(context.Background(), req)
				return err
			})
		})
	}
}

// BenchmarkPlainClient is the baseline for BenchmarkFetch: the same page
// fetched with a bare net/http client and io.ReadAll, with none of the
// fetcher's checks, caps, robots.txt or politeness. The gap between the two
// is what safety costs per fetch.
func BenchmarkPlainClient(b *testing.B) {
	base, _ := benchServer(b)
	for _, bc := range []struct {
		name     string
		parallel bool
	}{{"sequential", false}, {"parallel", true}} {
		b.Run(bc.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			defer client.CloseIdleConnections()
			get := func() error {
				res, err := client.Get(base + "/page")
				if err != nil {
					return err
				}
				defer res.Body.Close()
				_, err = io.ReadAll(res.Body)
				return err
			}
			measureFetches(b, bc.parallel, get)
		})
	}
}

// measureFetches runs fetch b.N times, from one goroutine or in parallel,
// and reports allocations and fetches per second.
func measureFetches(b *testing.B, parallel bool, fetch func() error) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPage)))
	start := time.Now()
	b.ResetTimer()
	if parallel {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := fetch(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	} else {
		for b.Loop() {
			if err := fetch(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "fetches/s")
}
