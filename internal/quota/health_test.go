package quota

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spidergo/spidergo/internal/outage"
)

// TestRedisDownRefuses: with Redis gone every call fails, so the gate
// answers 503; once the outage is known, calls fail without dialing.
func TestRedisDownRefuses(t *testing.T) {
	var dials int
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond,
		Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials++
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}})
	defer rdb.Close()
	w := outage.New("redis", "", nil)
	q := NewRedis(rdb, "t:").WithHealth(w)
	ctx := context.Background()
	calls := []struct {
		name string
		call func() error
	}{
		{"take", func() error { _, _, err := q.TakeQuota(ctx, "k", "2026-03-23", 10); return err }},
		{"return", func() error { return q.ReturnQuota(ctx, "k", "2026-03-23") }},
		{"used", func() error { _, err := q.QuotaUsed(ctx, "k", "2026-03-23"); return err }},
		{"usage", func() error { _, err := q.QuotaUsage(ctx, "k", "2026-03-01", "2026-03-23"); return err }},
	}
	first := 0
	for i, c := range calls {
		err := c.call()
		if i == 0 {
			first = dials
		}
		if err == nil {
			t.Fatalf("%s with Redis down: no error", c.name)
		}
		if i > 0 && !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s after the outage was seen: %v, want ErrUnavailable", c.name, err)
		}
	}
	if w.Err() == nil {
		t.Error("the watch did not see the outage")
	}
	if first == 0 || dials != first {
		t.Errorf("%d dials by the first call, %d in all: calls during a known outage must not wait for Redis", first, dials)
	}
}
