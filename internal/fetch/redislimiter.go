package fetch

import (
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisLimiterOptions configures NewRedisLimiter; zero fields take the
// defaults named beside them.
type RedisLimiterOptions struct {
	// Prefix starts every key ("spidergo:fetch:"). Processes that share
	// limits must share the prefix.
	Prefix string
	// Concurrency is the number of requests in flight per host across all
	// processes (DefaultPerHostConcurrency).
	Concurrency int
	// Lease is how long a slot is held without a heartbeat (30 s): a
	// holder extends it every third of it while its fetch runs, so a
	// process that dies mid-fetch frees its slots within one lease, however
	// long fetches may take.
	Lease time.Duration
	// PollInterval is the first wait when a host is full (10ms); it grows
	// to 20 times that while the host stays full.
	PollInterval time.Duration
}

// RedisLimiter is a HostLimiter shared by every process using the same
// Redis and prefix. Per host it keeps a sorted set of leases (token → expiry)
// for concurrency and the reserved start of the latest request for the
// delay. Both are read and written by one Lua script using Redis' own clock,
// so processes on machines with skewed clocks still agree.
type RedisLimiter struct {
	client redis.Scripter
	opts   RedisLimiterOptions
	sleep  func(context.Context, time.Duration) error
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
	if opts.Concurrency < 1 {
		opts.Concurrency = DefaultPerHostConcurrency
	}
	if opts.Lease <= 0 {
		opts.Lease = 30 * time.Second
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 10 * time.Millisecond
	}
	return &RedisLimiter{client: client, opts: opts, sleep: sleepCtx}
}

func (l *RedisLimiter) keys(host string) []string {
	// The braces are a cluster hash tag: both keys land in one slot, which
	// a multi-key script needs.
	base := l.opts.Prefix + "{" + host + "}"
	return []string{base + ":leases", base + ":last"}
}

// reserve runs the acquire script once: ok false means the host is full.
func (l *RedisLimiter) reserve(ctx context.Context, host, token string, delay time.Duration) (wait time.Duration, ok bool, err error) {
	keep := max(delay, 10*time.Minute)
	ms, err := acquireScript.Run(ctx, l.client, l.keys(host),
		token, l.opts.Concurrency, l.opts.Lease.Milliseconds(), delay.Milliseconds(), keep.Milliseconds()).Int64()
	if err != nil {
		return 0, false, fmt.Errorf("redis limiter: %w", err)
	}
	if ms < 0 {
		return 0, false, nil
	}
	return time.Duration(ms) * time.Millisecond, true, nil
}

// Acquire implements HostLimiter.
func (l *RedisLimiter) Acquire(ctx context.Context, host string, delay time.Duration) (func(), error) {
	if delay < 0 {
		return nil, fmt.Errorf("fetch: negative delay %s", delay)
	}
	token := rand.Text() // names this holder's slot; never fails since Go 1.24
	poll := l.opts.PollInterval
	for {
		wait, ok, err := l.reserve(ctx, host, token, delay)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		if ok {
			release := l.releaser(ctx, host, token)
			if err := l.sleep(ctx, wait); err != nil {
				release()
				return nil, err
			}
			return release, nil
		}
		// Full: wait a little, with jitter so waiting processes do not
		// poll in lock step, and back off while the host stays full.
		if err := l.sleep(ctx, time.Duration(float64(poll)*(0.5+mrand.Float64()))); err != nil {
			return nil, err
		}
		poll = min(poll*2, l.opts.PollInterval*20)
	}
}

// releaser returns the function that frees the slot; until it is called,
// or ctx (the fetch's) ends, a heartbeat extends the slot's lease.
func (l *RedisLimiter) releaser(ctx context.Context, host, token string) func() {
	var once sync.Once
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(l.opts.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), l.opts.Lease/3)
				_ = extendScript.Run(ctx, l.client, l.keys(host)[:1], token, l.opts.Lease.Milliseconds()).Err()
				cancel()
			}
		}
	}()
	return func() {
		once.Do(func() {
			close(stop)
			// The caller's context may be done by now; the slot must still
			// be returned, or it stays taken until its lease ends.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = releaseScript.Run(ctx, l.client, l.keys(host)[:1], token).Err()
		})
	}
}
