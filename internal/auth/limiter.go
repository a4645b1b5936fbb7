package auth

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter throttles attempts per key (a client address, an email) with a
// token bucket per key. It lives in process memory, which bounds it to one
// server; its map is capped so that a flood of distinct keys cannot grow it
// without limit.
type Limiter struct {
	every time.Duration
	burst int
	max   int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewLimiter allows burst attempts per key at once, then one per every.
// It remembers at most max keys.
func NewLimiter(burst int, every time.Duration, max int) *Limiter {
	return &Limiter{every: every, burst: burst, max: max, buckets: map[string]*bucket{}}
}

// Allow takes one attempt for key at now. When none is left it returns
// false and how long until the next one.
func (l *Limiter) Allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.max {
			l.evict(now)
		}
		b = &bucket{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// evict makes room: first every bucket that has refilled (forgetting it
// changes nothing), then, if the map is still full, the least recently
// seen one.
func (l *Limiter) evict(now time.Time) {
	for k, b := range l.buckets {
		if b.lim.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) < l.max {
		return
	}
	var oldest string
	var at time.Time
	for k, b := range l.buckets {
		if oldest == "" || b.seen.Before(at) {
			oldest, at = k, b.seen
		}
	}
	delete(l.buckets, oldest)
}

// Len is the number of keys remembered.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// AddrKey is the throttling key of a client address. IPv6 clients are
// counted per /64, the block one subscriber usually holds, so that cycling
// through addresses inside it does not reset the count.
func AddrKey(a netip.Addr) string {
	if a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.Unmap().String()
}
