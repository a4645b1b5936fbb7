package fetch

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisLimiter is the LeaseLimiter on Redis. Per host it keeps a sorted
// set of leases (token → expiry) for concurrency and the reserved start of
// the latest request for the delay. Both are read and written by one Lua
// script using Redis' own clock, so processes on machines with skewed
// clocks still agree.
type RedisLimiter = LeaseLimiter

// redisSlots is a SlotStore on Redis.
type redisSlots struct {
	client redis.Scripter
	prefix string
}

// acquireScript takes a slot and reserves a start time, or answers -1 when
// the host is full. It returns the milliseconds to wait before starting.
//
// KEYS[1] leases (sorted set), KEYS[2] latest reserved start (ms)
// ARGV[1] token, ARGV[2] concurrency, ARGV[3] lease ms, ARGV[4] delay ms,
// ARGV[5] how long to remember the latest start, ms
var acquireScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return -1
end
local start = now
local last = redis.call('GET', KEYS[2])
if last then
  local earliest = tonumber(last) + tonumber(ARGV[4])
  if earliest > start then start = earliest end
end
local wait = start - now
redis.call('SET', KEYS[2], string.format('%d', start), 'PX', string.format('%d', wait + tonumber(ARGV[5])))
local lease = wait + tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], string.format('%d', start + tonumber(ARGV[3])), ARGV[1])
if redis.call('PTTL', KEYS[1]) < lease then
  redis.call('PEXPIRE', KEYS[1], string.format('%d', lease))
end
return wait
`)

var releaseScript = redis.NewScript(`return redis.call('ZREM', KEYS[1], ARGV[1])`)

// extendScript moves a held slot's expiry to a lease from now, unless it
// is later already; a slot no longer held stays free.
//
// KEYS[1] leases, ARGV[1] token, ARGV[2] lease ms
var extendScript = redis.NewScript(`
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return 0 end
local t = redis.call('TIME')
local until_ = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])
if until_ > tonumber(score) then
  redis.call('ZADD', KEYS[1], 'XX', string.format('%d', until_), ARGV[1])
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
  end
end
return 1
`)

// NewRedisLimiter returns a HostLimiter backed by Redis. client is a
// *redis.Client, *redis.Ring or *redis.ClusterClient (the two keys of a
// host share a hash tag, so cluster slots are respected).
func NewRedisLimiter(client redis.Scripter, opts RedisLimiterOptions) *RedisLimiter {
	if opts.Prefix == "" {
		opts.Prefix = "spidergo:fetch:"
	}
	return NewLeaseLimiter(&redisSlots{client: client, prefix: opts.Prefix}, opts)
}

func (r *redisSlots) keys(host string) []string {
	// The braces are a cluster hash tag: both keys land in one slot, which
	// a multi-key script needs.
	base := r.prefix + "{" + host + "}"
	return []string{base + ":leases", base + ":last"}
}

// ReserveHostSlot implements SlotStore.
func (r *redisSlots) ReserveHostSlot(ctx context.Context, host, token string, concurrency int, lease, delay time.Duration) (time.Duration, bool, error) {
	keep := max(delay, 10*time.Minute)
	ms, err := acquireScript.Run(ctx, r.client, r.keys(host),
		token, concurrency, lease.Milliseconds(), delay.Milliseconds(), keep.Milliseconds()).Int64()
	if err != nil {
		return 0, false, fmt.Errorf("redis limiter: %w", err)
	}
	if ms < 0 {
		return 0, false, nil
	}
	return time.Duration(ms) * time.Millisecond, true, nil
}

// ExtendHostSlot implements SlotStore.
func (r *redisSlots) ExtendHostSlot(ctx context.Context, host, token string, lease time.Duration) error {
	return extendScript.Run(ctx, r.client, r.keys(host)[:1], token, lease.Milliseconds()).Err()
}

// ReleaseHostSlot implements SlotStore.
func (r *redisSlots) ReleaseHostSlot(ctx context.Context, host, token string) error {
	return releaseScript.Run(ctx, r.client, r.keys(host)[:1], token).Err()
}
