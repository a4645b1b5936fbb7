package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisClient connects to the Redis named by SPIDERGO_TEST_REDIS_URL (CI
// sets it) and skips the test otherwise. Each call gets its own client, as
// separate processes would.
func redisClient(t *testing.T) *redis.Client {
	t.Helper()
	raw := os.Getenv("SPIDERGO_TEST_REDIS_URL")
	if raw == "" {
		t.Skip("SPIDERGO_TEST_REDIS_URL not set")
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		t.Fatalf("SPIDERGO_TEST_REDIS_URL: %v", err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis ping: %v", err)
	}
	return c
}

// testPrefix is unique per test run and removed afterwards, so parallel
// runs and other users of the same Redis never see each other's keys.
func testPrefix(t *testing.T, c *redis.Client) string {
	t.Helper()
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	prefix := fmt.Sprintf("spidergo:test:fetch:%s:%d:", name, time.Now().UnixNano())
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return prefix
}

func TestRedisLimiterConcurrencyAcrossProcesses(t *testing.T) {
	c1, c2 := redisClient(t), redisClient(t)
	prefix := testPrefix(t, c1)
	opts := RedisLimiterOptions{Prefix: prefix, Concurrency: 2, PollInterval: time.Millisecond}
	l1, l2 := NewRedisLimiter(c1, opts), NewRedisLimiter(c2, opts)
	peaks := exerciseConcurrency(t, []HostLimiter{l1, l2}, []string{"a.test", "b.test"}, 12, 15)
	for h, p := range peaks {
		if p > 2 {
			t.Fatalf("%s had %d requests in flight across two limiters, limit 2", h, p)
		}
		if p < 1 {
			t.Fatalf("%s never ran", h)
		}
	}
}

func TestRedisLimiterDelay(t *testing.T) {
	c := redisClient(t)
	l := NewRedisLimiter(c, RedisLimiterOptions{Prefix: testPrefix(t, c), Concurrency: 10})
	ctx := context.Background()
	const d = 10 * time.Second
	// The reservations are computed on Redis' clock: each start is d after
	// the previous one. The bounds allow for the (small) real time that
	// passes between the calls; nothing here measures elapsed time.
	bounds := [][2]time.Duration{{0, 0}, {d / 2, d}, {d + d/2, 2 * d}}
	for i, b := range bounds {
		wait, ok, err := l.reserve(ctx, "paced.test", fmt.Sprintf("token-%d", i), d)
		if err != nil || !ok {
			t.Fatalf("reserve %d: ok=%v err=%v", i, ok, err)
		}
		if wait < b[0] || wait > b[1] {
			t.Fatalf("reservation %d waits %s, want within [%s, %s]", i, wait, b[0], b[1])
		}
	}
	// Another host is independent.
	if wait, _, _ := l.reserve(ctx, "other.test", "token-x", d); wait != 0 {
		t.Fatalf("another host waits %s", wait)
	}
	// A smaller delay cannot jump the queue: it starts no earlier than the
	// last reservation.
	wait, _, _ := l.reserve(ctx, "paced.test", "token-3", 0)
	if wait < d+d/2 {
		t.Fatalf("a request without delay waits %s, before the last reserved start", wait)
	}

	t.Run("Acquire sleeps for the reserved wait", func(t *testing.T) {
		l := NewRedisLimiter(c, RedisLimiterOptions{Prefix: testPrefix(t, c), Concurrency: 10})
		ns := &noSleep{}
		l.sleep = func(ctx context.Context, d time.Duration) error { ns.sleep(ctx, d); return nil }
		for range 2 {
			release, err := l.Acquire(ctx, "s.test", d)
			if err != nil {
				t.Fatal(err)
			}
			release()
		}
		got := ns.recorded()
		if len(got) != 2 || got[0] != 0 || got[1] < d/2 || got[1] > d {
			t.Fatalf("waits %v", got)
		}
	})
}

func TestRedisLimiterLeaseAndCancel(t *testing.T) {
	c := redisClient(t)
	prefix := testPrefix(t, c)
	l := NewRedisLimiter(c, RedisLimiterOptions{Prefix: prefix, Concurrency: 1, Lease: 300 * time.Millisecond, PollInterval: 5 * time.Millisecond})
	ctx := context.Background()
	held, crash := context.WithCancel(ctx)
	if _, err := l.Acquire(held, "crashy.test", 0); err != nil {
		t.Fatal(err)
	}
	// The holder "crashes": it never releases, and its heartbeat stops.
	crash()
	t.Run("canceled while full", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := l.Acquire(cctx, "crashy.test", 0); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("the lease frees the slot", func(t *testing.T) {
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		release, err := l.Acquire(wctx, "crashy.test", 0)
		if err != nil {
			t.Fatalf("slot never freed: %v", err)
		}
		release()
	})
}

func TestRedisLimiterWithFetcher(t *testing.T) {
	c := redisClient(t)
	opts := RedisLimiterOptions{Prefix: testPrefix(t, c), Concurrency: 2, PollInterval: time.Millisecond}
	// Two fetchers, two clients: two processes sharing one Redis.
	checkHostPeak(t, 2, NewRedisLimiter(c, opts), NewRedisLimiter(redisClient(t), opts))
}

// TestRedisLimiterDown needs no Redis: a limiter whose Redis is gone makes
// fetches fail with an error that is not a target error.
func TestRedisLimiterDown(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	srv, allow := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	f := testFetcher(t, Config{Allow: []string{allow}, Limiter: NewRedisLimiter(c, RedisLimiterOptions{})})
	_, err := f.Fetch(context.Background(), Request{URL: srv.URL})
	if err == nil || KindOf(err) != "" || !strings.Contains(err.Error(), "limiter") {
		t.Fatalf("got %v (kind %q)", err, KindOf(err))
	}
}
