package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Allower takes attempts per key: a Limiter in one process, a
// SharedLimiter across processes.
type Allower interface {
	Allow(key string, now time.Time) (bool, time.Duration)
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

// SharedLimiter is a Limiter kept in Redis, so that every process sharing
// the Redis counts one key's attempts together. When Redis does not
// answer, the process's own Limiter decides, and the outage is logged:
// limits then hold per process, never not at all.
type SharedLimiter struct {
	client   redis.Scripter
	prefix   string
	every    time.Duration
	burst    int
	fallback *Limiter
	log      *slog.Logger
}

// NewSharedLimiter allows burst attempts per key at once, then one per
// every, across processes; keys are stored under prefix. max bounds the
// fallback's keys.
func NewSharedLimiter(client redis.Scripter, prefix string, burst int, every time.Duration, max int, log *slog.Logger) *SharedLimiter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &SharedLimiter{client: client, prefix: prefix, every: every, burst: burst, fallback: NewLimiter(burst, every, max), log: log}
}

// Allow implements Allower. now only serves the fallback: Redis' clock
// decides otherwise.
func (l *SharedLimiter) Allow(key string, now time.Time) (bool, time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// Keys are emails and addresses: Redis holds their hashes only.
	sum := sha256.Sum256([]byte(key))
	ms, err := gcraScript.Run(ctx, l.client, []string{l.prefix + hex.EncodeToString(sum[:16])}, l.every.Milliseconds(), l.burst).Int64()
	if err != nil {
		l.log.Warn("shared limiter unavailable; limiting in this process", "prefix", l.prefix, "err", err)
		return l.fallback.Allow(key, now)
	}
	if ms > 0 {
		return false, time.Duration(ms) * time.Millisecond
	}
	return true, 0
}
