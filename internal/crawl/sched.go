package crawl

import (
	"context"
	"sync"
)

// fairSlots hands out a fixed number of fetch slots round-robin across
// jobs: when slots are short, each waiting job gets the next free one in
// turn, so one huge crawl never starves a small scrape.
type fairSlots struct {
	mu      sync.Mutex
	size    int
	free    int
	order   []string // jobs with waiters, in turn order
	waiters map[string][]chan struct{}
}

func newFairSlots(n int) *fairSlots {
	return &fairSlots{size: n, free: n, waiters: map[string][]chan struct{}{}}
}

// load is how many slots are taken and how many fetches wait for one.
func (f *fairSlots) load() (inUse, waiting int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, q := range f.waiters {
		waiting += len(q)
	}
	return f.size - f.free, waiting
}

// acquire waits for a slot for job.
func (f *fairSlots) acquire(ctx context.Context, job string) error {
	f.mu.Lock()
	if f.free > 0 && len(f.order) == 0 {
		f.free--
		f.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	if len(f.waiters[job]) == 0 {
		f.order = append(f.order, job)
	}
	f.waiters[job] = append(f.waiters[job], ch)
	f.mu.Unlock()

	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		f.mu.Lock()
		defer f.mu.Unlock()
		select {
		case <-ch: // granted just as we gave up: pass the slot on
			f.releaseLocked()
		default:
			f.dropWaiter(job, ch)
		}
		return ctx.Err()
	}
}

func (f *fairSlots) release() {
	f.mu.Lock()
	f.releaseLocked()
	f.mu.Unlock()
}

func (f *fairSlots) releaseLocked() {
	if len(f.order) == 0 {
		f.free++
		return
	}
	job := f.order[0]
	f.order = f.order[1:]
	q := f.waiters[job]
	ch := q[0]
	if len(q) > 1 {
		f.waiters[job] = q[1:]
		f.order = append(f.order, job)
	} else {
		delete(f.waiters, job)
	}
	close(ch)
}

func (f *fairSlots) dropWaiter(job string, ch chan struct{}) {
	q := f.waiters[job]
	for i, c := range q {
		if c == ch {
			q = append(q[:i:i], q[i+1:]...)
			break
		}
	}
	if len(q) > 0 {
		f.waiters[job] = q
		return
	}
	delete(f.waiters, job)
	for i, j := range f.order {
		if j == job {
			f.order = append(f.order[:i:i], f.order[i+1:]...)
			break
		}
	}
}
