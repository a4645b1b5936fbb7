package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spidergo/spidergo/internal/metrics"
)

// BenchmarkAPIKeyGate measures what the /v1 gate adds to a request: the
// same JSON handler served through the whole middleware chain without the
// gate ("none"), behind it as a read (key lookup and the quota read), and
// behind it as work (key lookup and the atomic quota take), on each quota
// backend that is configured; and work again with the metrics observer
// ("work+metrics"), to show what the observer costs. Besides the time per
// request it reports the process's CPU time per request. docs/benchmarks.md
// records the figures.
func BenchmarkAPIKeyGate(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres", "redis"} {
		b.Run(backend, func(b *testing.B) {
			e := gateBackends()[backend](b)
			// Logging costs the same with and without the gate; keep it
			// out of the figures.
			e.s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
			_, secret := e.key(b, e.user(b).ID, 1<<30)
			e.s.mux.Handle("POST /bench/none", e.s.wrap(func(w http.ResponseWriter, r *http.Request) error {
				var in struct {
					URL string `json:"url"`
				}
				if err := decodeJSON(w, r, &in); err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, map[string]string{"url": in.URL})
			}))
			for _, c := range []struct {
				name, method, path string
				observe            bool
			}{
				{"none", "POST", "/bench/none", false},
				{"read", "GET", "/v1/test/whoami", false},
				{"work", "POST", "/v1/test/work", false},
				{"work+metrics", "POST", "/v1/test/work", true},
			} {
				b.Run(c.name, func(b *testing.B) {
					e.s.obs = nil
					if c.observe {
						e.s.obs = metrics.New().HTTP
					}
					defer func() { e.s.obs = nil }()
					header := bearer(secret)
					cpu0 := cpuTime()
					for b.Loop() {
						req := httptest.NewRequest(c.method, c.path, strings.NewReader(`{"url":"https://example.com"}`))
						req.Header = header
						rec := httptest.NewRecorder()
						e.h.ServeHTTP(rec, req)
						if rec.Code != http.StatusOK {
							b.Fatalf("status %d: %s", rec.Code, rec.Body)
						}
					}
					// The process's CPU time per request: SpiderGo's own
					// work, without the database server's or Redis's.
					b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
				})
			}
		})
	}
}
