package fetch

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// HostLimiter paces requests per host. One limiter is shared by every job
// and tenant (and, for the shared implementations, by every process), so a
// site sees SpiderGo as one polite client however many crawls target it.
type HostLimiter interface {
	// Acquire blocks until a request to host may start: fewer than the
	// limiter's concurrency are in flight for host, and at least delay has
	// passed since the previous start for host. The returned release must
	// be called once the request, body included, is finished; calling it
	// more than once is harmless. Acquire returns ctx's error if ctx ends
	// first, and then nothing needs releasing.
	Acquire(ctx context.Context, host string, delay time.Duration) (release func(), err error)
}

// MemoryLimiter is the in-process HostLimiter.
type MemoryLimiter struct {
	concurrency int

	mu        sync.Mutex
	hosts     map[string]*hostSlot
	maxDelay  time.Duration // largest delay ever asked for; idle hosts older than it are forgotten
	lastSweep time.Time

	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

type hostSlot struct {
	sem  chan struct{} // one token per request in flight
	refs int           // goroutines holding or waiting for a token
	last time.Time     // reserved start of the latest request
}

// sweepThreshold is the number of tracked hosts above which idle ones are
// dropped; below it the map is small enough to keep.
const sweepThreshold = 1024

// NewMemoryLimiter returns a limiter allowing concurrency requests in flight
// per host (at least 1).
func NewMemoryLimiter(concurrency int) *MemoryLimiter {
	if concurrency < 1 {
		concurrency = 1
	}
	return &MemoryLimiter{
		concurrency: concurrency,
		hosts:       map[string]*hostSlot{},
		now:         time.Now,
		sleep:       sleepCtx,
	}
}

// Acquire implements HostLimiter.
func (m *MemoryLimiter) Acquire(ctx context.Context, host string, delay time.Duration) (func(), error) {
	if delay < 0 {
		return nil, fmt.Errorf("fetch: negative delay %s", delay)
	}
	m.mu.Lock()
	m.sweepLocked()
	h := m.hosts[host]
	if h == nil {
		h = &hostSlot{sem: make(chan struct{}, m.concurrency)}
		m.hosts[host] = h
	}
	h.refs++
	m.mu.Unlock()

	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		m.unref(h)
		return nil, ctx.Err()
	}

	// Reserve a start time: the gap before this request is its own delay,
	// so a caller asking for more patience is paced by it while others are
	// not sped up past theirs.
	m.mu.Lock()
	now := m.now()
	start := now
	if !h.last.IsZero() {
		if t := h.last.Add(delay); t.After(start) {
			start = t
		}
	}
	h.last = start
	if delay > m.maxDelay {
		m.maxDelay = delay
	}
	m.mu.Unlock()

	if wait := start.Sub(now); wait > 0 {
		if err := m.sleep(ctx, wait); err != nil {
			// The reserved start stays taken: giving it back could let two
			// later requests start closer together than asked.
			<-h.sem
			m.unref(h)
			return nil, err
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-h.sem
			m.unref(h)
		})
	}, nil
}

func (m *MemoryLimiter) unref(h *hostSlot) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h.refs--
}

// retentionLocked is how long an idle host is remembered: long enough that
// forgetting it can never let a request start sooner than its delay allows.
func (m *MemoryLimiter) retentionLocked() time.Duration {
	return max(m.maxDelay, time.Minute)
}

// sweepLocked forgets hosts that nobody uses and whose last start is older
// than any delay could reach, so a long crawl over many hosts does not grow
// the map without bound.
func (m *MemoryLimiter) sweepLocked() {
	if len(m.hosts) < sweepThreshold {
		return
	}
	now := m.now()
	if now.Sub(m.lastSweep) < time.Second {
		return
	}
	m.lastSweep = now
	keep := m.retentionLocked()
	for k, h := range m.hosts {
		if h.refs == 0 && now.Sub(h.last) > keep {
			delete(m.hosts, k)
		}
	}
}

// tracked reports how many hosts the limiter currently remembers.
func (m *MemoryLimiter) tracked() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.hosts)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
