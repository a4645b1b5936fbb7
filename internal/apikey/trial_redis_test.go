package apikey

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spidergo/spidergo/internal/storetest"
)

func TestSharedTrialCounter(t *testing.T) {
	// Two clients stand for two processes.
	c1, _ := storetest.Redis(t)
	c2, _ := storetest.Redis(t)
	// A day of its own, so runs never share a count.
	now := time.Unix(int64(time.Now().UnixNano()%1e9)*86400, 0)
	t1, t2 := NewSharedTrialCounter(3, c1, nil), NewSharedTrialCounter(3, c2, nil)
	var took atomic.Int64
	var wg sync.WaitGroup
	for i := range 12 {
		tc := t1
		if i%2 == 1 {
			tc = t2
		}
		wg.Go(func() {
			if tc.Take("192.0.2.7", now) {
				took.Add(1)
			}
		})
	}
	wg.Wait()
	if took.Load() != 3 {
		t.Fatalf("took %d trials of 3 across two processes", took.Load())
	}
	t2.Give("192.0.2.7", now)
	if !t1.Take("192.0.2.7", now) || t1.Take("192.0.2.7", now) {
		t.Error("a given-back trial was not available exactly once")
	}
	c1.Del(t.Context(), redisTrialKey(now.UTC().Format(time.DateOnly), "192.0.2.7"))
}
