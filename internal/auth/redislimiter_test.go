package auth

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spidergo/spidergo/internal/storetest"
)

func TestSharedLimiterAcrossProcesses(t *testing.T) {
	// Two clients stand for two processes.
	c1, prefix := storetest.Redis(t)
	c2, _ := storetest.Redis(t)
	l1 := NewSharedLimiter(c1, prefix, 5, time.Hour, 100, nil)
	l2 := NewSharedLimiter(c2, prefix, 5, time.Hour, 100, nil)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		l := l1
		if i%2 == 1 {
			l = l2
		}
		wg.Go(func() {
			if ok, _ := l.Allow("ops@example.com", time.Now()); ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 5 {
		t.Errorf("allowed %d of 20 attempts with a burst of 5", allowed.Load())
	}
	ok, wait := l1.Allow("ops@example.com", time.Now())
	if ok || wait <= 0 || wait > time.Hour {
		t.Errorf("after the burst: ok %v, wait %v", ok, wait)
	}
	if ok, _ := l2.Allow("other@example.com", time.Now()); !ok {
		t.Error("another key was refused")
	}

	t.Run("an outage limits in process, more strictly", func(t *testing.T) {
		down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
		defer down.Close()
		l := NewSharedLimiter(down, prefix, 4, time.Hour, 100, nil)
		n := 0
		for range 5 {
			if ok, _ := l.Allow("k", time.Now()); ok {
				n++
			}
		}
		if n != 2 {
			t.Errorf("allowed %d of 5 with Redis down and a burst of 4, want half the burst", n)
		}
	})
}
