package auth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spidergo/spidergo/internal/outage"
	"github.com/spidergo/spidergo/internal/sqlstore"
	"github.com/spidergo/spidergo/internal/storetest"
)

// databaseStores opens n stores on one fresh PostgreSQL database, each its
// own connection pool: n processes sharing the database.
func databaseStores(t *testing.T, n int) []*sqlstore.DB {
	t.Helper()
	return storetest.Stores(t, storetest.PostgresDatabase(t), n)
}

// allowedOf counts the attempts on key allowed among n made at once, spread
// over limiters.
func allowedOf(n int, key string, limiters ...Allower) int64 {
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if ok, _ := limiters[i%len(limiters)].Allow(key, time.Now()); ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	return allowed.Load()
}

func TestStoreLimiterOnDatabase(t *testing.T) {
	dbs := databaseStores(t, 3)
	closed := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer closed.Close()
	tests := []struct {
		name  string
		build func(db *sqlstore.DB) Allower
	}{
		{"database", func(db *sqlstore.DB) Allower {
			return NewStoreLimiter(db, "t:", 5, time.Hour, StrictLimiter(5, time.Hour, 100), nil)
		}},
		{"redis down, database holds", func(db *sqlstore.DB) Allower {
			inner := NewStoreLimiter(db, "t:", 5, time.Hour, StrictLimiter(5, time.Hour, 100), nil)
			return NewStoreLimiter(RedisThrottles{closed}, "t:", 5, time.Hour, inner, outage.New("redis", "", nil))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ls []Allower
			for _, db := range dbs {
				ls = append(ls, tt.build(db))
			}
			key := "ops-" + tt.name + "@example.com"
			if n := allowedOf(30, key, ls...); n != 5 {
				t.Fatalf("30 attempts over %d processes: %d allowed, want the burst of 5", len(ls), n)
			}
			ok, wait := ls[0].Allow(key, time.Now())
			if ok || wait <= 0 || wait > time.Hour {
				t.Errorf("after the burst: ok %v, wait %v", ok, wait)
			}
			if ok, _ := ls[1].Allow("other-"+key, time.Now()); !ok {
				t.Error("another key was refused")
			}
		})
	}
}

// failingStore is a ThrottleStore that is down.
type failingStore struct{ calls atomic.Int64 }

func (f *failingStore) TakeThrottle(context.Context, string, int, time.Duration) (time.Duration, error) {
	f.calls.Add(1)
	return 0, errors.New("connection refused")
}

func TestStoreLimiterOutage(t *testing.T) {
	store := &failingStore{}
	w := outage.New("redis", "", nil)
	clock := time.Unix(1e9, 0)
	w.SetClock(func() time.Time { return clock })
	l := NewStoreLimiter(store, "t:", 4, time.Hour, StrictLimiter(4, time.Hour, 100), w)
	n := 0
	for range 10 {
		if ok, _ := l.Allow("k", time.Now()); ok {
			n++
		}
	}
	if n != 2 {
		t.Errorf("store down: %d of 10 allowed, want 2 (half the burst of 4)", n)
	}
	// The first attempt found the store down; the others went straight to
	// the fallback until the watch lets one try again.
	if c := store.calls.Load(); c != 1 {
		t.Errorf("the down store was asked %d times, want once", c)
	}
	clock = clock.Add(outage.RetryEvery)
	l.Allow("k", time.Now())
	if c := store.calls.Load(); c != 2 {
		t.Errorf("after the retry interval the store was asked %d times in all, want 2", c)
	}
}
