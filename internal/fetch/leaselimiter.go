package fetch

import (
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"time"
)

// LeaseLimiterOptions configures NewLeaseLimiter and NewRedisLimiter;
// zero fields take the defaults named beside them.
type LeaseLimiterOptions struct {
	// Prefix starts every Redis key ("spidergo:fetch:"). Processes that
	// share limits must share the prefix. The database ignores it.
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

// RedisLimiterOptions is the former name of LeaseLimiterOptions.
type RedisLimiterOptions = LeaseLimiterOptions

// SlotStore keeps per-host slots where every process sharing limits sees
// them: Redis, or the database (sqlstore.DB implements it).
type SlotStore interface {
	// ReserveHostSlot takes one of host's concurrency slots for token,
	// leased for lease from the reserved start, and reserves a start at
	// least delay after the host's previous start. It answers the wait
	// until that start, or ok false when every slot is taken.
	ReserveHostSlot(ctx context.Context, host, token string, concurrency int, lease, delay time.Duration) (wait time.Duration, ok bool, err error)
	// ExtendHostSlot moves a held slot's lease end to lease from now.
	ExtendHostSlot(ctx context.Context, host, token string, lease time.Duration) error
	// ReleaseHostSlot frees token's slot.
	ReleaseHostSlot(ctx context.Context, host, token string) error
}

// LeaseLimiter is a HostLimiter shared by every process using the same
// SlotStore. Each request in flight holds a leased slot, extended by a
// heartbeat while the request runs, so the slots of a process that died
// come back within one lease.
type LeaseLimiter struct {
	slots SlotStore
	opts  LeaseLimiterOptions
	sleep func(context.Context, time.Duration) error
}

// NewLeaseLimiter returns a HostLimiter keeping its slots in slots.
func NewLeaseLimiter(slots SlotStore, opts LeaseLimiterOptions) *LeaseLimiter {
	if opts.Concurrency < 1 {
		opts.Concurrency = DefaultPerHostConcurrency
	}
	if opts.Lease <= 0 {
		opts.Lease = 30 * time.Second
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 10 * time.Millisecond
	}
	return &LeaseLimiter{slots: slots, opts: opts, sleep: sleepCtx}
}

// reserve asks the store once: ok false means the host is full.
func (l *LeaseLimiter) reserve(ctx context.Context, host, token string, delay time.Duration) (time.Duration, bool, error) {
	return l.slots.ReserveHostSlot(ctx, host, token, l.opts.Concurrency, l.opts.Lease, delay)
}

// Acquire implements HostLimiter.
func (l *LeaseLimiter) Acquire(ctx context.Context, host string, delay time.Duration) (func(), error) {
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
func (l *LeaseLimiter) releaser(ctx context.Context, host, token string) func() {
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
				_ = l.slots.ExtendHostSlot(ctx, host, token, l.opts.Lease)
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
			_ = l.slots.ReleaseHostSlot(ctx, host, token)
		})
	}
}
