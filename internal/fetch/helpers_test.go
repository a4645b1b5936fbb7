package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeResolver answers from a table and refuses every other name, so no
// test ever sends a DNS query. A name may have a sequence of answers
// (rebinding): each lookup takes the next one, the last one repeats.
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][][]netip.Addr
	calls   map[string]int
}

func newFakeResolver() *fakeResolver {
	return &fakeResolver{answers: map[string][][]netip.Addr{}, calls: map[string]int{}}
}

// set gives name one answer per argument, used in turn by successive
// lookups; each answer is a comma-separated list of IPs.
func (r *fakeResolver) set(name string, answers ...string) *fakeResolver {
	r.mu.Lock()
	defer r.mu.Unlock()
	var seq [][]netip.Addr
	for _, a := range answers {
		var ips []netip.Addr
		for _, s := range strings.Split(a, ",") {
			ips = append(ips, netip.MustParseAddr(strings.TrimSpace(s)))
		}
		seq = append(seq, ips)
	}
	r.answers[normalizeHostName(name)] = seq
	return r
}

func (r *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	host = normalizeHostName(host)
	n := r.calls[host]
	r.calls[host]++
	seq, ok := r.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host (test resolver)", Name: host, IsNotFound: true}
	}
	return seq[min(n, len(seq)-1)], nil
}

func (r *fakeResolver) lookups() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	total := 0
	for _, n := range r.calls {
		total += n
	}
	return total
}

// testFetcher builds a Fetcher for tests: a fake resolver when none is
// given, short retry waits, and a last-resort net that refuses (and fails
// the test for) any dial to a non-loopback address the guard let through.
func testFetcher(t testing.TB, cfg Config) *Fetcher {
	t.Helper()
	if cfg.Resolver == nil {
		cfg.Resolver = newFakeResolver()
	}
	if cfg.RetryBaseDelay == 0 {
		cfg.RetryBaseDelay = time.Millisecond
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "SpiderGo/test (+http://spidergo.test)"
	}
	if cfg.Limiter == nil {
		// Pacing is tested on the limiters themselves; here a Crawl-delay
		// must not make a test wait for real.
		ml := NewMemoryLimiter(max(cfg.PerHostConcurrency, DefaultPerHostConcurrency))
		ml.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
		cfg.Limiter = ml
	}
	f, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.guard.afterGuard = func(network, address string) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !ap.Addr().Unmap().IsLoopback() {
			t.Errorf("guard allowed a dial to %s %s; the safety net refused it", network, address)
			return errors.New("test safety net: non-loopback dial refused")
		}
		return nil
	}
	t.Cleanup(f.CloseIdleConnections)
	return f
}

// canary is a loopback listener that counts the connections it accepts; a
// hostile target test passes only if it stays at zero.
type canary struct {
	ln       net.Listener
	accepted atomic.Int64
	port     int
}

func newCanary(t testing.TB, network, addr string) *canary {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	c := &canary{ln: ln, port: ln.Addr().(*net.TCPAddr).Port}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.accepted.Add(1)
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return c
}

// server starts an httptest server on loopback and returns it with the
// allow entry that opens exactly its port.
func server(t testing.TB, h http.Handler) (*httptest.Server, string) {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s, hostPort(s)
}

func hostPort(s *httptest.Server) string {
	return strings.TrimPrefix(strings.TrimPrefix(s.URL, "http://"), "https://")
}

func portOfServer(s *httptest.Server) int {
	_, p, _ := net.SplitHostPort(hostPort(s))
	n, _ := strconv.Atoi(p)
	return n
}

func wantKind(t testing.TB, err error, kind string) {
	t.Helper()
	if got := KindOf(err); got != kind {
		t.Fatalf("error kind = %q, want %q (err: %v)", got, kind, err)
	}
}

// recordingLimiter wraps a limiter and records the delays it is asked for.
type recordingLimiter struct {
	inner  HostLimiter
	mu     sync.Mutex
	delays []time.Duration
	hosts  []string
}

func (r *recordingLimiter) Acquire(ctx context.Context, host string, delay time.Duration) (func(), error) {
	r.mu.Lock()
	r.delays = append(r.delays, delay)
	r.hosts = append(r.hosts, host)
	r.mu.Unlock()
	return r.inner.Acquire(ctx, host, delay)
}

func (r *recordingLimiter) recorded() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.delays...)
}

// noSleep replaces a Fetcher's sleeps with a recorder, so tests about
// waiting never wait.
type noSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (n *noSleep) sleep(ctx context.Context, d time.Duration) error {
	n.mu.Lock()
	n.waits = append(n.waits, d)
	n.mu.Unlock()
	return ctx.Err()
}

func (n *noSleep) recorded() []time.Duration {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]time.Duration(nil), n.waits...)
}

func fmtPort(s string, port int) string { return fmt.Sprintf(s, port) }
