package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeClock is a clock whose sleeps record the wait and move time forward
// instead of blocking.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	return ctx.Err()
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// exerciseConcurrency runs many goroutines through acquire/release on a
// few hosts and reports the largest number seen in flight per host.
func exerciseConcurrency(t *testing.T, limiters []HostLimiter, hosts []string, workers, rounds int) map[string]int64 {
	t.Helper()
	inFlight := map[string]*atomic.Int64{}
	peak := map[string]*atomic.Int64{}
	for _, h := range hosts {
		inFlight[h], peak[h] = &atomic.Int64{}, &atomic.Int64{}
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := limiters[w%len(limiters)]
			for r := range rounds {
				h := hosts[(w+r)%len(hosts)]
				release, err := l.Acquire(context.Background(), h, 0)
				if err != nil {
					errs <- err
					return
				}
				n := inFlight[h].Add(1)
				for {
					p := peak[h].Load()
					if n <= p || peak[h].CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(100 * time.Microsecond) // hold the slot so requests overlap
				inFlight[h].Add(-1)
				release()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for h, p := range peak {
		out[h] = p.Load()
	}
	return out
}

func TestMemoryLimiterConcurrency(t *testing.T) {
	l := NewMemoryLimiter(3)
	hosts := []string{"a.test", "b.test"}
	peaks := exerciseConcurrency(t, []HostLimiter{l}, hosts, 24, 40)
	for h, p := range peaks {
		if p > 3 {
			t.Fatalf("%s had %d requests in flight, limit 3", h, p)
		}
		if p < 1 {
			t.Fatalf("%s never ran", h)
		}
	}
}

func TestMemoryLimiterDelay(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewMemoryLimiter(10)
	l.now, l.sleep = clock.now, clock.sleep
	ctx := context.Background()
	acquire := func(host string, d time.Duration) {
		t.Helper()
		release, err := l.Acquire(ctx, host, d)
		if err != nil {
			t.Fatal(err)
		}
		release()
		release() // twice is harmless
	}
	acquire("a.test", 10*time.Second) // first: no wait
	acquire("a.test", 10*time.Second) // 10s after the first start
	acquire("a.test", 10*time.Second) // 10s after the second
	acquire("b.test", 10*time.Second) // another host is not held up
	clock.advance(25 * time.Second)   // the third starts at 20s; now is 25s
	acquire("a.test", 10*time.Second) // 10s after the third: 5s from now
	acquire("a.test", 0)              // no delay asked: together with the previous
	want := []time.Duration{10 * time.Second, 20 * time.Second, 5 * time.Second, 5 * time.Second}
	if diff := cmp.Diff(want, clock.waits); diff != "" {
		t.Fatalf("waits (-want +got):\n%s", diff)
	}
}

func TestMemoryLimiterCancel(t *testing.T) {
	l := NewMemoryLimiter(1)
	release, err := l.Acquire(context.Background(), "a.test", 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := l.Acquire(ctx, "a.test", 0)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire on a full host after cancel = %v", err)
	}
	release()
	// The canceled waiter took nothing: the slot is free again.
	r2, err := l.Acquire(context.Background(), "a.test", 0)
	if err != nil {
		t.Fatal(err)
	}
	r2()
}

func TestMemoryLimiterForgetsIdleHosts(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewMemoryLimiter(2)
	l.now, l.sleep = clock.now, clock.sleep
	for i := range 3 * sweepThreshold {
		release, err := l.Acquire(context.Background(), fmt.Sprintf("h%d.test", i), 0)
		if err != nil {
			t.Fatal(err)
		}
		release()
	}
	clock.advance(2 * time.Minute)
	release, _ := l.Acquire(context.Background(), "fresh.test", 0)
	release()
	if n := l.tracked(); n > 2 {
		t.Fatalf("limiter still tracks %d hosts after they went idle", n)
	}
}

// TestFetcherSharesLimiter sends concurrent fetches to one host through
// one Fetcher and checks the server never sees more than the limit.
func TestFetcherSharesLimiter(t *testing.T) {
	checkHostPeak(t, 2, NewMemoryLimiter(2))
}

// checkHostPeak sends 16 concurrent fetches to one loopback host, spread
// over one Fetcher per limiter (as separate processes would be), and fails
// if the host ever sees more than limit requests at once.
func checkHostPeak(t *testing.T, limit int64, limiters ...HostLimiter) {
	t.Helper()
	var inFlight, peak atomic.Int64
	srv, allow := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		w.Write([]byte("ok"))
	}))
	var fetchers []*Fetcher
	for _, l := range limiters {
		fetchers = append(fetchers, testFetcher(t, Config{Allow: []string{allow}, Limiter: l}))
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := fetchers[i%len(fetchers)].Fetch(context.Background(), Request{URL: srv.URL}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > limit {
		t.Fatalf("server saw %d concurrent requests, limit %d", p, limit)
	}
}

// TestDelayOnlySlowsDown checks the delay handed to the limiter: the
// largest of the server's per-host delay and the request's.
func TestDelayOnlySlowsDown(t *testing.T) {
	srv, allow := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	rec := &recordingLimiter{inner: NewMemoryLimiter(2)}
	rec.inner.(*MemoryLimiter).sleep = (&noSleep{}).sleep
	f := testFetcher(t, Config{Allow: []string{allow}, Limiter: rec, PerHostDelay: 2 * time.Second})
	for _, d := range []time.Duration{0, time.Second, 5 * time.Second} {
		if _, err := f.Fetch(context.Background(), Request{URL: srv.URL, Delay: d}); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{2 * time.Second, 2 * time.Second, 5 * time.Second}
	if diff := cmp.Diff(want, rec.recorded()); diff != "" {
		t.Fatalf("delays (-want +got):\n%s", diff)
	}
}
