package apikey

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spidergo/spidergo/internal/outage"
	"github.com/spidergo/spidergo/internal/storetest"
)

// takenOf counts the trials of addr taken among n requests made at once,
// spread over counters.
func takenOf(n int, addr string, now time.Time, counters ...*TrialCounter) int64 {
	var took atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if counters[i%len(counters)].Take(addr, now) {
				took.Add(1)
			}
		})
	}
	wg.Wait()
	return took.Load()
}

func TestTrialCounterOnDatabase(t *testing.T) {
	url := storetest.PostgresDatabase(t)
	closed := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer closed.Close()
	now := time.Date(2026, 3, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		redis bool // a Redis that is down comes first
	}{
		{name: "database"},
		{name: "redis down, database holds", redis: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var counters []*TrialCounter
			for _, db := range storetest.Stores(t, url, 3) {
				c := NewTrialCounter(3)
				if tt.redis {
					c.Share(RedisTrials{closed}, outage.New("redis", "", nil))
				}
				counters = append(counters, c.Share(db, nil))
			}
			addr := "192.0.2.1-" + tt.name
			if n := takenOf(15, addr, now, counters...); n != 3 {
				t.Fatalf("15 requests over 3 processes took %d trials, want 3", n)
			}
			counters[1].Give(addr, now)
			if !counters[2].Take(addr, now) || counters[0].Take(addr, now) {
				t.Error("a given-back trial was not available exactly once")
			}
		})
	}
}

// downTrials is a TrialStore that does not answer.
type downTrials struct{ calls atomic.Int64 }

func (d *downTrials) TakeTrial(context.Context, string, string, int) (bool, error) {
	d.calls.Add(1)
	return false, errors.New("connection refused")
}

func (d *downTrials) GiveTrial(context.Context, string, string) error {
	d.calls.Add(1)
	return errors.New("connection refused")
}

// TestTrialCounterOutage: with every shared store down, the process's own
// count still limits, and the down store is not asked on every request.
func TestTrialCounterOutage(t *testing.T) {
	store := &downTrials{}
	c := NewTrialCounter(2).Share(store, outage.New("redis", "", nil))
	now := time.Date(2026, 3, 23, 12, 0, 0, 0, time.UTC)
	for i, want := range []bool{true, true, false, false} {
		if got := c.Take("192.0.2.1", now); got != want {
			t.Errorf("take %d = %v, want %v", i, got, want)
		}
	}
	c.Give("192.0.2.1", now)
	if !c.Take("192.0.2.1", now) {
		t.Error("a given-back trial was not available")
	}
	if n := store.calls.Load(); n != 1 {
		t.Errorf("the down store was asked %d times, want once", n)
	}
}
