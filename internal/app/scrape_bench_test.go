package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/storetest"
)

// BenchmarkScrapeOverhead measures what the server adds to fetching a
// page: each iteration fetches one local article page of about 75 KB twice,
// once with a bare net/http client (the raw fetch) and once through
// POST /v1/scrape of the whole application on a loopback listener (API key
// gate, fetcher, extraction of the default formats, the page stored in
// SQLite, the JSON answer), alternately, so that both see the same machine.
// It reports the median and 99th percentile of each and of the difference.
func BenchmarkScrapeOverhead(b *testing.B) {
	var page strings.Builder
	page.WriteString(`<!doctype html><html lang="en"><head><title>A story</title><meta name="description" content="A page to scrape."></head><body>`)
	page.WriteString(`<nav>` + strings.Repeat(`<a href="/section">Section</a> `, 40) + `</nav><article><h1>A story</h1>`)
	for i := range 120 {
		fmt.Fprintf(&page, `<h2>Part %d</h2><p>%s <a href="/story/%d">more</a></p>`, i, strings.Repeat("The quick brown fox jumps over the lazy dog. ", 12), i)
	}
	page.WriteString(`</article><footer>Footer</footer></body></html>`)
	body := page.String()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, body)
	}))
	b.Cleanup(site.Close)

	cfg := testConfig(b, RoleAll)
	cfg.FetchAllow = []string{"127.0.0.1"} // the local site
	cfg.APIKeyDailyLimit = 1 << 30
	a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{Store: storetest.SQLite(b), PasswordParams: auth.TestParams})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ln) }()
	b.Cleanup(func() { cancel(); <-done })
	u := storetest.NewUser(b, a.Store)
	_, secret, err := a.Keys.Create(ctx, u.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	api := "http://" + ln.Addr().String() + "/v1/scrape"
	reqBody := `{"url":"` + site.URL + `/story"}`
	client := &http.Client{}
	b.Cleanup(client.CloseIdleConnections)
	get := func() {
		res, err := client.Get(site.URL + "/story")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	scrape := func() {
		req, _ := http.NewRequest("POST", api, strings.NewReader(reqBody))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("scrape: status %d", res.StatusCode)
		}
	}
	get()
	scrape() // warm both connections
	raw := make([]time.Duration, 0, b.N)
	api2 := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		get()
		t1 := time.Now()
		scrape()
		t2 := time.Now()
		raw = append(raw, t1.Sub(t0))
		api2 = append(api2, t2.Sub(t1))
	}
	b.StopTimer()
	diff := make([]time.Duration, len(raw))
	for i := range raw {
		diff[i] = api2[i] - raw[i]
	}
	pct := func(ds []time.Duration, p float64) float64 {
		s := slices.Clone(ds)
		slices.Sort(s)
		return float64(s[min(len(s)-1, int(p*float64(len(s))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(raw, 0.5), "raw-p50-ms")
	b.ReportMetric(pct(raw, 0.99), "raw-p99-ms")
	b.ReportMetric(pct(api2, 0.5), "scrape-p50-ms")
	b.ReportMetric(pct(api2, 0.99), "scrape-p99-ms")
	b.ReportMetric(pct(diff, 0.5), "overhead-p50-ms")
	b.ReportMetric(pct(diff, 0.99), "overhead-p99-ms")
}
