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
// PostgreSQL and Redis (with SQLite or PostgreSQL keeping the keys) when
// SPIDERGO_TEST_DATABASE_URL and SPIDERGO_TEST_REDIS_URL are set.
func BenchmarkGateUnderLoad(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres", "redis", "postgres+redis"} {
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

// BenchmarkGateOpenLoop measures the /v1 gate's latency at a given load,
// which BenchmarkGateUnderLoad cannot: there each client sends its next
// request as soon as the last is answered, so with 64 clients on a couple
// of cores the percentiles measure the queue (Little's law: 64 requests in
// flight at 5 000 a second wait about 13 ms each), not the gate.
//
// Here 64 kept-alive connections send GET /v1/usage (the gate as a read
// and the usage answer) on a fixed schedule: request k is due at
// start + k/rate and goes on connection k mod 64, so each connection
// sends rate/64 requests a second. Latency runs from the time a request
// was due, not the time it left: a request held up behind a slow one on
// its connection, or by a late client, counts its wait (no coordinated
// omission). b.N is the number of requests; at 1 000 req/s -benchtime
// 10000x runs 10 s. It reports the percentiles (p50-ms, p99-ms,
// p99.9-ms), the same without the client's own lateness when its
// connection was free (srv-*: a sleeping Go program's timers fire up to a
// millisecond late), the rate achieved, how late the client itself sent
// (lag-*) and the process's CPU time per request (server and client).
//
// Backends as BenchmarkGateUnderLoad, plus "postgres+redis" (keys in
// PostgreSQL, quota in Redis: how several instances run); on SQLite,
// /healthz at the same rates is the baseline (no key, no database).
func BenchmarkGateOpenLoop(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres", "redis", "postgres+redis"} {
		b.Run(backend, func(b *testing.B) {
			e := gateBackends()[backend](b)
			e.s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
			_, secret := e.key(b, e.user(b).ID, 1<<30)
			srv := httptest.NewServer(e.h)
			b.Cleanup(srv.Close)
			routes := []string{"usage"}
			if backend == "sqlite" {
				// The baseline: the same server and middleware chain
				// without key or database, at the same rates.
				routes = append(routes, "healthz")
			}
			for _, route := range routes {
				for _, rate := range []int{500, 1000, 1500, 2000, 3000, 4000} {
					b.Run(fmt.Sprintf("%s/rate=%d", route, rate), func(b *testing.B) {
						if route == "healthz" {
							openLoop(b, srv.URL+"/healthz", "", 64, rate)
							return
						}
						openLoop(b, srv.URL+"/v1/usage", "Bearer "+secret, 64, rate)
					})
				}
			}
		})
	}
}

// openLoop sends b.N GETs to url over conns connections at rate requests
// a second in all, each timed from when it was due.
func openLoop(b *testing.B, url, auth string, conns, rate int) {
	clients := make([]*http.Client, conns)
	get := func(c *http.Client) error {
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			return err
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := c.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", res.StatusCode)
		}
		return nil
	}
	// One connection per client, opened before the clock starts, with a
	// few requests from all of them at once so that the server's database
	// and Redis pools have opened their connections too.
	var warm sync.WaitGroup
	for i := range clients {
		clients[i] = &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}}
		b.Cleanup(clients[i].CloseIdleConnections)
		warm.Go(func() {
			for range 5 {
				if err := get(clients[i]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	warm.Wait()
	if b.Failed() {
		return
	}
	interval := time.Second / time.Duration(rate)
	lat := make([][]time.Duration, conns)
	svc := make([][]time.Duration, conns)
	lag := make([][]time.Duration, conns)
	cpu0 := cpuTime()
	b.ResetTimer()
	began := time.Now()
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			var done time.Time // when this connection's last answer came
			for k := i; k < b.N; k += conns {
				due := began.Add(time.Duration(k) * interval)
				if d := time.Until(due); d > 0 {
					time.Sleep(d)
				}
				sent := time.Now()
				lag[i] = append(lag[i], sent.Sub(due))
				if err := get(c); err != nil {
					b.Error(err)
					return
				}
				end := time.Now()
				lat[i] = append(lat[i], end.Sub(due))
				// The server's share: from the time the request was due
				// when its connection was still busy with the previous
				// one, else from when the client woke to send it (Go's
				// timers can wake a sleeping client up to a millisecond
				// late, which is no fault of the server).
				from := sent
				if done.After(due) {
					from = due
				}
				svc[i] = append(svc[i], end.Sub(from))
				done = end
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	elapsed := time.Since(began)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
	all, server, late := slices.Concat(lat...), slices.Concat(svc...), slices.Concat(lag...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	slices.Sort(server)
	slices.Sort(late)
	b.ReportMetric(quantileMS(all, 0.50), "p50-ms")
	b.ReportMetric(quantileMS(all, 0.99), "p99-ms")
	b.ReportMetric(quantileMS(all, 0.999), "p99.9-ms")
	b.ReportMetric(quantileMS(server, 0.50), "srv-p50-ms")
	b.ReportMetric(quantileMS(server, 0.99), "srv-p99-ms")
	b.ReportMetric(quantileMS(server, 0.999), "srv-p99.9-ms")
	b.ReportMetric(quantileMS(late, 0.50), "lag-p50-ms")
	b.ReportMetric(quantileMS(late, 0.99), "lag-p99-ms")
}

// quantileMS is the q quantile of sorted durations, in milliseconds.
func quantileMS(sorted []time.Duration, q float64) float64 {
	return float64(sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]) / float64(time.Millisecond)
}
