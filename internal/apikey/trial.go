package apikey

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// maxTrialAddrs bounds the addresses a day's trial counts remember, so a
// flood from rotating addresses cannot grow memory without end; past it,
// new addresses are refused until the next day.
const maxTrialAddrs = 100_000

// TrialCounter counts the public trial routes' requests per client address
// per UTC day. With Redis the count is shared by every process on it; else
// it lives in process memory: trials are a taste, not an account, and a
// restart forgiving a few is acceptable. When Redis does not answer, the
// process's own count decides (and the outage is logged), so trials stay
// limited per process.
type TrialCounter struct {
	limit int
	redis redis.Scripter
	log   *slog.Logger
	mu    sync.Mutex
	day   string
	used  map[string]int
}

// NewSharedTrialCounter is NewTrialCounter with the counts in Redis.
func NewSharedTrialCounter(limit int, rdb redis.Scripter, log *slog.Logger) *TrialCounter {
	t := NewTrialCounter(limit)
	t.redis, t.log = rdb, log
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	return t
}

// trialTake takes one request of the day's count if any is left, on
// Redis: ARGV[1] limit, ARGV[2] expiry in ms. It answers 1 or 0.
var trialTake = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return 0
end
return 1
`)

// trialGive returns a request, never below zero.
var trialGive = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return 0
`)

func (t *TrialCounter) key(addr string, now time.Time) string {
	return "spidergo:trial:" + now.UTC().Format(time.DateOnly) + ":" + addr
}

// shared runs a script on Redis; ok false means Redis did not answer.
func (t *TrialCounter) shared(s *redis.Script, addr string, now time.Time) (n int64, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// A day's key outlives its day a little, for clocks that disagree.
	n, err := s.Run(ctx, t.redis, []string{t.key(addr, now)}, t.limit, (25 * time.Hour).Milliseconds()).Int64()
	if err != nil {
		t.log.Warn("shared trial counter unavailable; counting in this process", "err", err)
		return 0, false
	}
	return n, true
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
	if t.limit <= 0 {
		return false
	}
	if t.redis != nil {
		if n, ok := t.shared(trialTake, addr, now); ok {
			return n == 1
		}
	}
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
	if t.redis != nil {
		if _, ok := t.shared(trialGive, addr, now); ok {
			return
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.roll(now)
	if t.used[addr] > 0 {
		t.used[addr]--
	}
}
