package apikey

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spidergo/spidergo/internal/outage"
)

// maxTrialAddrs bounds the addresses a day's trial counts remember, so a
// flood from rotating addresses cannot grow memory without end; past it,
// new addresses are refused until the next day.
const maxTrialAddrs = 100_000

// TrialStore keeps trial counts where every process sharing them sees
// them: Redis (RedisTrials), or the database (sqlstore.DB).
type TrialStore interface {
	// TakeTrial uses one of addr's limit requests of day, if any is left.
	TakeTrial(ctx context.Context, day, addr string, limit int) (bool, error)
	// GiveTrial returns one of addr's requests of day.
	GiveTrial(ctx context.Context, day, addr string) error
}

// Health follows whether a shared store answers: Try says whether to ask
// it now, Report tells how the asking went (*outage.Watch).
type Health interface {
	Try() bool
	Report(err error)
}

// TrialCounter counts the public trial routes' requests per client address
// per UTC day. Shared stores (Redis, then the database) are asked in the
// order they were added; when none answers, or none is configured, the
// process's own count decides: trials are a taste, not an account, and a
// restart forgiving a few is acceptable. Trials stay limited in every
// case, per process at worst.
type TrialCounter struct {
	limit  int
	shared []trialLink
	mu     sync.Mutex
	day    string
	used   map[string]int
}

type trialLink struct {
	store  TrialStore
	health Health
}

// NewTrialCounter allows limit requests per address per day; 0 allows
// none.
func NewTrialCounter(limit int) *TrialCounter {
	return &TrialCounter{limit: limit, used: map[string]int{}}
}

// NewSharedTrialCounter is NewTrialCounter with the counts in Redis; an
// outage and its end are logged to log once each.
func NewSharedTrialCounter(limit int, rdb redis.Scripter, log *slog.Logger) *TrialCounter {
	return NewTrialCounter(limit).Share(RedisTrials{rdb}, outage.New("redis", "trial counts fall back to this process", log))
}

// Share adds store as the next place trial counts are kept, asked while
// health (which may be nil) allows; it returns t.
func (t *TrialCounter) Share(store TrialStore, health Health) *TrialCounter {
	t.shared = append(t.shared, trialLink{store, health})
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

// RedisTrials is a TrialStore on Redis: one counter per address and day.
type RedisTrials struct{ Client redis.Scripter }

func redisTrialKey(day, addr string) string { return "spidergo:trial:" + day + ":" + addr }

// trialKeep is how long a day's counter lives: it outlives its day a
// little, for clocks that disagree.
const trialKeep = 25 * time.Hour

// TakeTrial implements TrialStore.
func (r RedisTrials) TakeTrial(ctx context.Context, day, addr string, limit int) (bool, error) {
	n, err := trialTake.Run(ctx, r.Client, []string{redisTrialKey(day, addr)}, limit, trialKeep.Milliseconds()).Int64()
	return n == 1, err
}

// GiveTrial implements TrialStore.
func (r RedisTrials) GiveTrial(ctx context.Context, day, addr string) error {
	return trialGive.Run(ctx, r.Client, []string{redisTrialKey(day, addr)}).Err()
}

// ask runs op on the first shared store that answers; ok false means none
// did (or none is configured).
func (t *TrialCounter) ask(op func(ctx context.Context, s TrialStore) error) (ok bool) {
	for _, l := range t.shared {
		if l.health != nil && !l.health.Try() {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := op(ctx, l.store)
		cancel()
		if l.health != nil {
			l.health.Report(err)
		}
		if err == nil {
			return true
		}
	}
	return false
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
	day := now.UTC().Format(time.DateOnly)
	var took bool
	if t.ask(func(ctx context.Context, s TrialStore) (err error) {
		took, err = s.TakeTrial(ctx, day, addr, t.limit)
		return err
	}) {
		return took
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
	day := now.UTC().Format(time.DateOnly)
	if t.ask(func(ctx context.Context, s TrialStore) error { return s.GiveTrial(ctx, day, addr) }) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.roll(now)
	if t.used[addr] > 0 {
		t.used[addr]--
	}
}
