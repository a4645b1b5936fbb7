package quota_test

import (
	"context"
	"testing"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/quota"
	"github.com/spidergo/spidergo/internal/storetest"
)

func TestRedisConformance(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	storetest.QuotaCounter(t, quota.NewRedis(rdb, prefix), func(t *testing.T) string { return spidergo.NewID() })
}

// TestRedisExpiry checks that a counter outlives the usage chart's window
// and then goes away by itself.
func TestRedisExpiry(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	q := quota.NewRedis(rdb, prefix)
	ctx := context.Background()
	key := spidergo.NewID()
	if _, _, err := q.TakeQuota(ctx, key, "2099-01-10", 5); err != nil {
		t.Fatal(err)
	}
	q.TakeQuota(ctx, key, "2099-01-10", 5)
	ttl, err := rdb.TTL(ctx, prefix+"quota:{"+key+"}:2099-01-10").Result()
	if err != nil {
		t.Fatal(err)
	}
	want := time.Duration(spidergo.UsageDays+1) * 24 * time.Hour
	if ttl > want || ttl < want-time.Minute {
		t.Errorf("counter lives %v, want %v", ttl, want)
	}
	// A return for a key and day that have no counter must not make one:
	// it would have no expiry and live for ever.
	fresh := spidergo.NewID()
	if err := q.ReturnQuota(ctx, fresh, "2099-01-10"); err != nil {
		t.Fatal(err)
	}
	if n, err := rdb.Exists(ctx, prefix+"quota:{"+fresh+"}:2099-01-10").Result(); err != nil || n != 0 {
		t.Errorf("a return created a counter (exists = %d, %v)", n, err)
	}
}

func TestRedisRejectsBadDay(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	q := quota.NewRedis(rdb, prefix)
	if _, _, err := q.TakeQuota(context.Background(), "k", "yesterday", 5); err == nil {
		t.Error("TakeQuota accepted a malformed day")
	}
	if _, err := q.QuotaUsage(context.Background(), "k", "2000-01-01", "2026-01-01"); err == nil {
		t.Error("QuotaUsage accepted a 26-year range")
	}
}
