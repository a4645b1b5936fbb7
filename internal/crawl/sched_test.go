package crawl

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestFairSlotsRoundRobin(t *testing.T) {
	f := newFairSlots(1)
	if err := f.acquire(context.Background(), "holder"); err != nil {
		t.Fatal(err)
	}
	// A big job queues many waiters before a small job queues one; the
	// small job must be served second, not after all of the big job's.
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	enqueue := func(job string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.acquire(context.Background(), job); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, job)
			mu.Unlock()
			f.release()
		}()
	}
	waitWaiters := func(n int) {
		for {
			f.mu.Lock()
			c := 0
			for _, q := range f.waiters {
				c += len(q)
			}
			f.mu.Unlock()
			if c == n {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	for i := 0; i < 5; i++ {
		enqueue("big")
		waitWaiters(i + 1)
	}
	enqueue("small")
	waitWaiters(6)
	f.release()
	wg.Wait()
	if len(order) != 6 || order[0] != "big" || order[1] != "small" {
		t.Fatalf("service order = %v, want big, small, big…", order)
	}
}

func TestFairSlotsCancel(t *testing.T) {
	f := newFairSlots(1)
	f.acquire(context.Background(), "a")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.acquire(ctx, "b") }()
	for {
		f.mu.Lock()
		n := len(f.waiters["b"])
		f.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("acquire after cancel returned nil")
	}
	f.release()
	// The slot must be free again, not lost to the cancelled waiter.
	if err := f.acquire(context.Background(), "c"); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.order) != 0 || len(f.waiters) != 0 {
		t.Errorf("state left behind: order %v waiters %v", f.order, f.waiters)
	}
}
