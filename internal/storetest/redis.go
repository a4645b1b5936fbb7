package storetest

import (
	"context"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/spidergo/spidergo"
)

// Redis connects to SPIDERGO_TEST_REDIS_URL, skipping the test when it is
// unset (CI always sets it). It returns the client and a key prefix unique
// to the test; every key under the prefix is deleted afterwards, so tests
// can share one Redis without seeing each other.
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	u := os.Getenv("SPIDERGO_TEST_REDIS_URL")
	if u == "" {
		t.Skip("SPIDERGO_TEST_REDIS_URL is not set")
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("SPIDERGO_TEST_REDIS_URL: %v", err)
	}
	// Race tests send hundreds of commands at once; let them all have a
	// connection rather than queue on the default pool.
	opts.PoolSize = 64
	rdb := redis.NewClient(opts)
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		t.Fatalf("redis: %v", err)
	}
	prefix := "spidergo_test:" + spidergo.NewID()[:12] + ":"
	t.Cleanup(func() {
		iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
		rdb.Close()
	})
	return rdb, prefix
}
