package fetch

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spidergo/spidergo/internal/sqlstore"
	"github.com/spidergo/spidergo/internal/storetest"
)

// databaseSlots opens n stores on one fresh PostgreSQL database, each its
// own connection pool: n processes sharing the database.
func databaseSlots(t *testing.T, n int) []*sqlstore.DB {
	t.Helper()
	return storetest.Stores(t, storetest.PostgresDatabase(t), n)
}

// closedRedis is a client of a loopback port nobody listens on: Redis
// down.
func closedRedis(t *testing.T) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestLeaseLimiterOnDatabase(t *testing.T) {
	dbs := databaseSlots(t, 2)
	opts := LeaseLimiterOptions{Concurrency: 2, PollInterval: time.Millisecond}
	// Two fetchers on two pools: two processes sharing one database.
	checkHostPeak(t, 2, NewLeaseLimiter(dbs[0], opts), NewLeaseLimiter(dbs[1], opts))
}

// TestRedisDownDatabaseHolds is the chain a process builds on PostgreSQL
// with Redis: with Redis gone, the database keeps one limit for every
// process.
func TestRedisDownDatabaseHolds(t *testing.T) {
	dbs := databaseSlots(t, 2)
	opts := LeaseLimiterOptions{Concurrency: 2, PollInterval: time.Millisecond}
	var chains []HostLimiter
	for _, db := range dbs {
		local := NewFallbackLimiter(NewLeaseLimiter(db, opts), NewMemoryLimiter(2), nil)
		chains = append(chains, NewFallbackLimiter(NewRedisLimiter(closedRedis(t), opts), local, &fakeHealth{}))
	}
	checkHostPeak(t, 2, chains...)
}

// fakeHealth records reports; down makes Try refuse.
type fakeHealth struct {
	mu      sync.Mutex
	down    bool
	tries   int
	reports []error
}

func (h *fakeHealth) Try() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tries++
	return !h.down
}

func (h *fakeHealth) Report(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reports = append(h.reports, err)
}

// countingLimiter counts acquisitions and fails them with err when set.
type countingLimiter struct {
	inner HostLimiter
	err   error
	calls atomic.Int64
}

func (c *countingLimiter) Acquire(ctx context.Context, host string, delay time.Duration) (func(), error) {
	c.calls.Add(1)
	if c.err != nil {
		return nil, c.err
	}
	return c.inner.Acquire(ctx, host, delay)
}

func TestFallbackLimiter(t *testing.T) {
	errDown := errors.New("connection refused")
	tests := []struct {
		name          string
		sharedErr     error
		down          bool // the health says the shared store is down
		cancelled     bool
		wantErr       bool
		wantShared    int64
		wantLocal     int64
		wantReportErr []bool // per report: an error?
	}{
		{name: "shared answers", wantShared: 1, wantLocal: 0, wantReportErr: []bool{false}},
		{name: "shared fails: local decides", sharedErr: errDown, wantShared: 1, wantLocal: 1, wantReportErr: []bool{true}},
		{name: "known down: shared is not asked", sharedErr: errDown, down: true, wantShared: 0, wantLocal: 1},
		{name: "the caller gave up: no report, no fallback", sharedErr: context.Canceled, cancelled: true, wantErr: true, wantShared: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shared := &countingLimiter{inner: NewMemoryLimiter(1), err: tt.sharedErr}
			local := &countingLimiter{inner: NewMemoryLimiter(1)}
			h := &fakeHealth{down: tt.down}
			l := NewFallbackLimiter(shared, local, h)
			ctx, cancel := context.WithCancel(context.Background())
			if tt.cancelled {
				cancel()
			}
			defer cancel()
			release, err := l.Acquire(ctx, "a.test", 0)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want an error %v", err, tt.wantErr)
			}
			if release != nil {
				release()
			}
			if shared.calls.Load() != tt.wantShared || local.calls.Load() != tt.wantLocal {
				t.Errorf("shared asked %d, local %d; want %d and %d", shared.calls.Load(), local.calls.Load(), tt.wantShared, tt.wantLocal)
			}
			var got []bool
			for _, e := range h.reports {
				got = append(got, e != nil)
			}
			if len(got) != len(tt.wantReportErr) || (len(got) > 0 && got[0] != tt.wantReportErr[0]) {
				t.Errorf("reports %v, want errors %v", h.reports, tt.wantReportErr)
			}
		})
	}
	t.Run("negative delay", func(t *testing.T) {
		l := NewFallbackLimiter(NewMemoryLimiter(1), NewMemoryLimiter(1), nil)
		if _, err := l.Acquire(context.Background(), "a.test", -time.Second); err == nil {
			t.Error("a negative delay was accepted")
		}
	})
}

// TestFallbackLimiterRedisDown: with Redis gone, fetches still run, under
// the local limit.
func TestFallbackLimiterRedisDown(t *testing.T) {
	h := &fakeHealth{}
	l := NewFallbackLimiter(NewRedisLimiter(closedRedis(t), RedisLimiterOptions{Concurrency: 2}), NewMemoryLimiter(2), h)
	checkHostPeak(t, 2, l)
	if len(h.reports) == 0 || h.reports[0] == nil {
		t.Errorf("reports %v: the outage was not reported", h.reports)
	}
}

func TestWithMinDelay(t *testing.T) {
	tests := []struct {
		floor, asked, want time.Duration
	}{
		{floor: 2 * time.Second, asked: time.Second, want: 2 * time.Second},
		{floor: 2 * time.Second, asked: 3 * time.Second, want: 3 * time.Second},
		{floor: 0, asked: time.Second, want: time.Second},
	}
	for _, tt := range tests {
		mem := NewMemoryLimiter(1)
		mem.sleep = (&noSleep{}).sleep
		rec := &recordingLimiter{inner: mem}
		l := WithMinDelay(rec, tt.floor)
		release, err := l.Acquire(context.Background(), "a.test", tt.asked)
		if err != nil {
			t.Fatal(err)
		}
		release()
		if got := rec.recorded(); len(got) != 1 || got[0] != tt.want {
			t.Errorf("floor %v, asked %v: limiter got %v, want %v", tt.floor, tt.asked, got, tt.want)
		}
	}
	if _, err := WithMinDelay(NewMemoryLimiter(1), time.Second).Acquire(context.Background(), "a.test", -1); err == nil {
		t.Error("a negative delay was accepted")
	}
}

// TestGatedLimiter: behind a gate of 2, no more than 2 requests of the
// process reach the shared limiter at once, and the gate's slot comes back
// when the shared limiter refuses.
func TestGatedLimiter(t *testing.T) {
	var asking, peak atomic.Int64
	inner := &peakLimiter{inner: NewMemoryLimiter(10), asking: &asking, peak: &peak}
	l := NewGatedLimiter(NewMemoryLimiter(2), inner)
	checkHostPeak(t, 2, l)
	if p := peak.Load(); p > 2 {
		t.Errorf("%d requests held the shared limiter at once behind a gate of 2", p)
	}

	failing := NewGatedLimiter(NewMemoryLimiter(1), &countingLimiter{err: errors.New("refused")})
	for range 3 {
		// With the gate's one slot leaked, the second call would block.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := failing.Acquire(ctx, "a.test", 0)
		cancel()
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want the shared limiter's refusal", err)
		}
	}
}

// peakLimiter keeps the most acquisitions held at once.
type peakLimiter struct {
	inner        HostLimiter
	asking, peak *atomic.Int64
}

func (p *peakLimiter) Acquire(ctx context.Context, host string, delay time.Duration) (func(), error) {
	release, err := p.inner.Acquire(ctx, host, delay)
	if err != nil {
		return nil, err
	}
	n := p.asking.Add(1)
	for q := p.peak.Load(); n > q && !p.peak.CompareAndSwap(q, n); q = p.peak.Load() {
	}
	return func() {
		p.asking.Add(-1)
		release()
	}, nil
}
