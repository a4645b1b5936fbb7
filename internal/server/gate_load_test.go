package server

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BenchmarkGateUnderLoad measures the /v1 gate under concurrency, over
// real loopback connections: conns clients, each on its own kept-alive
// connection, send requests back to back to /v1/usage (the gate as a read
// and the usage handler, on SQLite) and to /healthz (the baseline: the same
// middleware chain, no key, no database). It reports the latency
// percentiles of each; docs/benchmarks.md records the figures and the
// command.
//
// It runs on each quota backend the tests can reach: SQLite always, and
// PostgreSQL and Redis (with SQLite keeping the keys) when
// SPIDERGO_TEST_DATABASE_URL and SPIDERGO_TEST_REDIS_URL are set.
func BenchmarkGateUnderLoad(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres", "redis"} {
		b.Run(backend, func(b *testing.B) { benchmarkGateUnderLoad(b, backend) })
	}
}

func benchmarkGateUnderLoad(b *testing.B, backend string) {
	e := gateBackends()[backend](b)
	e.s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	_, secret := e.key(b, e.user(b).ID, 1<<30)
	srv := httptest.NewServer(e.h)
	b.Cleanup(srv.Close)
	for _, conns := range []int{16, 64} {
		for _, c := range []struct {
			name, path string
			auth       bool
		}{
			{"healthz", "/healthz", false},
			{"usage", "/v1/usage", true},
		} {
			b.Run(fmt.Sprintf("%s/conns=%d", c.name, conns), func(b *testing.B) {
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
				b.Cleanup(client.CloseIdleConnections)
				lat := make([][]time.Duration, conns)
				next := make(chan struct{}, b.N)
				for range b.N {
					next <- struct{}{}
				}
				close(next)
				cpu0 := cpuTime()
				b.ResetTimer()
				began := time.Now()
				var wg sync.WaitGroup
				for i := range conns {
					wg.Go(func() {
						for range next {
							req, _ := http.NewRequest("GET", srv.URL+c.path, nil)
							if c.auth {
								req.Header.Set("Authorization", "Bearer "+secret)
							}
							start := time.Now()
							res, err := client.Do(req)
							if err != nil {
								b.Error(err)
								return
							}
							io.Copy(io.Discard, res.Body)
							res.Body.Close()
							lat[i] = append(lat[i], time.Since(start))
							if res.StatusCode != http.StatusOK {
								b.Errorf("status %d", res.StatusCode)
								return
							}
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "req/s")
				// CPU time per request (server and client, user and
				// system) moves far less with the machine's load than
				// latency does.
				b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
				all := slices.Concat(lat...)
				slices.Sort(all)
				if len(all) == 0 {
					return
				}
				pct := func(p float64) float64 {
					return float64(all[min(len(all)-1, int(p*float64(len(all))))].Microseconds()) / 1000
				}
				b.ReportMetric(pct(0.50), "p50-ms")
				b.ReportMetric(pct(0.99), "p99-ms")
			})
		}
	}
}

// cpuTime is the CPU time the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
