package apikey

import (
	"sync"
	"time"
)

// maxTrialAddrs bounds the addresses a day's trial counts remember, so a
// flood from rotating addresses cannot grow memory without end; past it,
// new addresses are refused until the next day.
const maxTrialAddrs = 100_000

// TrialCounter counts the public trial routes' requests per client address
// per UTC day, in memory: trials are a taste, not an account, and a
// restart forgiving a few is acceptable.
type TrialCounter struct {
	limit int
	mu    sync.Mutex
	day   string
	used  map[string]int
}

// NewTrialCounter allows limit requests per address per day; 0 allows
// none.
func NewTrialCounter(limit int) *TrialCounter {
	return &TrialCounter{limit: limit, used: map[string]int{}}
}

func (t *TrialCounter) roll(now time.Time) {
	if d := now.UTC().Format(time.DateOnly); d != t.day {
		t.day, t.used = d, map[string]int{}
	}
}

// Take uses one trial request of addr, if any is left today.
func (t *TrialCounter) Take(addr string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.roll(now)
	n, known := t.used[addr]
	if n >= t.limit || (!known && len(t.used) >= maxTrialAddrs) {
		return false
	}
	t.used[addr]++
	return true
}

// Give returns a request that was refused for bad input or failed on our
// side.
func (t *TrialCounter) Give(addr string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.roll(now)
	if t.used[addr] > 0 {
		t.used[addr]--
	}
}
