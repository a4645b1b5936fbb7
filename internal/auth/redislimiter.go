package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spidergo/spidergo/internal/outage"
)

// Allower takes attempts per key: a Limiter in one process, a
// SharedLimiter across processes.
type Allower interface {
	Allow(key string, now time.Time) (bool, time.Duration)
}

// ThrottleStore keeps throttle buckets where every process sharing limits
// sees them: Redis (RedisThrottles), or the database (sqlstore.DB).
type ThrottleStore interface {
	// TakeThrottle takes one attempt from bucket, which allows burst
	// attempts at once and then one per every. It answers 0 when the
	// attempt is allowed, else the wait until one will be.
	TakeThrottle(ctx context.Context, bucket string, burst int, every time.Duration) (time.Duration, error)
}

// Health follows whether a ThrottleStore answers: Try says whether to ask
// it now, Report tells how the asking went (*outage.Watch).
type Health interface {
	Try() bool
	Report(err error)
}

// gcraScript is the token bucket of Limiter as a generic cell rate
// algorithm on Redis' clock: the key holds the theoretical arrival time
// of the next attempt. It answers 0 when the attempt is allowed, else the
// milliseconds until one will be.
//
// KEYS[1] bucket; ARGV[1] ms per attempt, ARGV[2] burst
var gcraScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local every = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next = tat + every
local allowAt = next - tonumber(ARGV[2]) * every
if now < allowAt then return allowAt - now end
redis.call('SET', KEYS[1], string.format('%d', next), 'PX', string.format('%d', next - now))
return 0
`)

// RedisThrottles is a ThrottleStore on Redis.
type RedisThrottles struct{ Client redis.Scripter }

// TakeThrottle implements ThrottleStore.
func (r RedisThrottles) TakeThrottle(ctx context.Context, bucket string, burst int, every time.Duration) (time.Duration, error) {
	ms, err := gcraScript.Run(ctx, r.Client, []string{bucket}, every.Milliseconds(), burst).Int64()
	if err != nil {
		return 0, err
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// SharedLimiter is a Limiter kept in a ThrottleStore, so that every
// process sharing the store counts one key's attempts together. When the
// store does not answer, fallback decides: limits then hold in the
// fallback's scope, never not at all.
type SharedLimiter struct {
	store    ThrottleStore
	prefix   string
	every    time.Duration
	burst    int
	fallback Allower
	health   Health
}

// NewStoreLimiter allows burst attempts per key at once, then one per
// every, across the processes sharing store; buckets are named under
// prefix. fallback decides while health says the store is down, or when it
// fails; health may be nil.
func NewStoreLimiter(store ThrottleStore, prefix string, burst int, every time.Duration, fallback Allower, health Health) *SharedLimiter {
	return &SharedLimiter{store: store, prefix: prefix, every: every, burst: burst, fallback: fallback, health: health}
}

// NewSharedLimiter is NewStoreLimiter on Redis with StrictLimiter as the
// fallback (remembering at most max keys); an outage and the end of it are
// logged to log once each.
func NewSharedLimiter(client redis.Scripter, prefix string, burst int, every time.Duration, max int, log *slog.Logger) *SharedLimiter {
	health := outage.New("redis", "sign-in and mail throttles count in this process at a stricter limit", log)
	return NewStoreLimiter(RedisThrottles{client}, prefix, burst, every, StrictLimiter(burst, every, max), health)
}

// StrictLimiter is the in-process Limiter that stands in for a shared one
// while its store is down: half the burst, at half the rate. Each process
// then counts alone, so the stricter limit keeps a few processes together
// near what the shared limit allowed.
func StrictLimiter(burst int, every time.Duration, keys int) *Limiter {
	return NewLimiter(max(1, burst/2), 2*every, keys)
}

// Allow implements Allower. now only serves the fallback: the store's
// clock decides otherwise.
func (l *SharedLimiter) Allow(key string, now time.Time) (bool, time.Duration) {
	if l.health != nil && !l.health.Try() {
		return l.fallback.Allow(key, now)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// Keys are emails and addresses: stores hold their hashes only.
	sum := sha256.Sum256([]byte(key))
	wait, err := l.store.TakeThrottle(ctx, l.prefix+hex.EncodeToString(sum[:16]), l.burst, l.every)
	if l.health != nil {
		l.health.Report(err)
	}
	if err != nil {
		return l.fallback.Allow(key, now)
	}
	if wait > 0 {
		return false, wait
	}
	return true, 0
}
